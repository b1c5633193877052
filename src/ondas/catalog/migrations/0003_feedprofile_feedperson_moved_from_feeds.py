# The feed profile and people of a show moved here from the feeds app: feeds/0003 renamed their tables,
# so this migration only takes the models into catalog's state and moves their
# content types (permissions, admin history) along. No row is copied.

import django.db.models.deletion
from django.db import migrations, models

from ondas.core.moves import move_content_types

MODELS = ['feedperson', 'feedprofile']


class Migration(migrations.Migration):

    dependencies = [
        ('feeds', '0003_models_moved_out'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('catalog', '0002_audiobook_parts_chapters'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='FeedPerson',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('name', models.CharField(max_length=128, verbose_name='name')),
                        ('role', models.CharField(default='host', max_length=64, verbose_name='role')),
                        ('group', models.CharField(default='cast', max_length=64, verbose_name='group')),
                        ('href', models.URLField(blank=True, max_length=2000, verbose_name='link')),
                        ('img', models.URLField(blank=True, max_length=2000, verbose_name='picture')),
                        ('position', models.PositiveSmallIntegerField(default=0)),
                        ('episode', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='catalog.episode')),
                        ('show', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='catalog.show')),
                    ],
                    options={
                        'verbose_name': 'person',
                        'ordering': ['position', 'pk'],
                    },
                ),
                migrations.CreateModel(
                    name='FeedProfile',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('owner_name', models.CharField(blank=True, max_length=255, verbose_name="owner's name")),
                        ('owner_email', models.EmailField(blank=True, max_length=254, verbose_name="owner's email")),
                        ('locked', models.BooleanField(default=True, verbose_name='locked against imports')),
                        ('funding_url', models.URLField(blank=True, max_length=2000, verbose_name='funding link')),
                        ('funding_text', models.CharField(blank=True, max_length=128, verbose_name='funding text')),
                        ('copyright', models.CharField(blank=True, max_length=255, verbose_name='copyright')),
                        ('show', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='feed_profile', to='catalog.show')),
                    ],
                    options={
                        'verbose_name': 'feed profile',
                    },
                ),
            ],
        ),
        move_content_types('feeds', 'catalog', MODELS),
    ]
