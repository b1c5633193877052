# Follows moved here from the feeds app: feeds/0003 renamed their tables,
# so this migration only takes the models into library's state and moves their
# content types (permissions, admin history) along. No row is copied.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from ondas.core.moves import move_content_types

MODELS = ['follow']


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('feeds', '0003_models_moved_out'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('catalog', '0002_audiobook_parts_chapters'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='Follow',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(verbose_name='followed since')),
                        ('show', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='follows', to='catalog.show')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='follows', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'follow',
                        'constraints': [models.UniqueConstraint(fields=('user', 'show'), name='feeds_follow_once')],
                    },
                ),
            ],
        ),
        move_content_types('feeds', 'library', MODELS),
    ]
