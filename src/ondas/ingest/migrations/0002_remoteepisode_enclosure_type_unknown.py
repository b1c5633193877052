# An enclosure whose feed declares no type (or application/octet-stream) was
# stored as audio/mpeg; it now takes its file name's type, or stays unknown
# ("") until its first bytes are read. Rows written before cannot tell a
# declared audio/mpeg from an invented one, so every source forgets its HTTP
# validators: its next refresh reads the feed in full (no 304), and applies
# what the parser now keeps (issue 12, item 10). Nothing else changes.

from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps


def validators_forget(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    FeedSource = apps.get_model('ingest', 'FeedSource')
    alias = schema_editor.connection.alias
    FeedSource.objects.using(alias).exclude(etag='', last_modified='').update(
        etag='', last_modified=''
    )


class Migration(migrations.Migration):

    dependencies = [
        ('ingest', '0001_feedsource_and_imports_moved_from_feeds'),
    ]

    operations = [
        migrations.AlterField(
            model_name='remoteepisode',
            name='enclosure_type',
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.RunPython(validators_forget, migrations.RunPython.noop),
    ]
