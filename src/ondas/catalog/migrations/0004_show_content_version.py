# A show's content version (catalog.versioning): the columns, and for shows
# that exist already the next publication still to come, so that a scheduled
# episode appears in their feeds on time from the first request on.

import django.utils.timezone
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps
from django.db.models import OuterRef, Subquery


def next_publications(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Show = apps.get_model('catalog', 'Show')
    Episode = apps.get_model('catalog', 'Episode')
    alias = schema_editor.connection.alias
    now = django.utils.timezone.now()
    upcoming = (
        Episode.objects.using(alias)
        .filter(show=OuterRef('pk'), published_at__gt=now)
        .order_by('published_at')
        .values('published_at')[:1]
    )
    Show.objects.using(alias).update(
        content_changed_at=now, next_publication_at=Subquery(upcoming)
    )


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0003_feedprofile_feedperson_moved_from_feeds'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='audiofile',
            options={'base_manager_name': 'objects'},
        ),
        migrations.AlterModelOptions(
            name='category',
            options={'base_manager_name': 'objects', 'ordering': ['parent__name', 'name'], 'verbose_name_plural': 'categories'},
        ),
        migrations.AlterModelOptions(
            name='chapter',
            options={'base_manager_name': 'objects', 'ordering': ['start_seconds']},
        ),
        migrations.AlterModelOptions(
            name='episode',
            options={'base_manager_name': 'objects', 'ordering': ['-published_at', '-pk']},
        ),
        migrations.AlterModelOptions(
            name='feedperson',
            options={'base_manager_name': 'objects', 'ordering': ['position', 'pk'], 'verbose_name': 'person'},
        ),
        migrations.AlterModelOptions(
            name='feedprofile',
            options={'base_manager_name': 'objects', 'verbose_name': 'feed profile'},
        ),
        migrations.AlterModelOptions(
            name='show',
            options={'base_manager_name': 'objects', 'ordering': ['title']},
        ),
        migrations.AlterModelOptions(
            name='showcategory',
            options={'base_manager_name': 'objects', 'ordering': ['position']},
        ),
        migrations.AddField(
            model_name='show',
            name='content_changed_at',
            field=models.DateTimeField(default=django.utils.timezone.now, editable=False),
        ),
        migrations.AddField(
            model_name='show',
            name='content_version',
            field=models.PositiveBigIntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name='show',
            name='next_publication_at',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(next_publications, migrations.RunPython.noop),
    ]
