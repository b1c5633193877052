# Feed sources, refreshes, remote episodes and imports moved here from the feeds app: feeds/0003 renamed their tables,
# so this migration only takes the models into ingest's state and moves their
# content types (permissions, admin history) along. No row is copied.

import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from ondas.core.moves import move_content_types

MODELS = ['feedsource', 'feedrefresh', 'remoteepisode', 'feedimport']


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('feeds', '0003_models_moved_out'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('catalog', '0003_feedprofile_feedperson_moved_from_feeds'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='FeedSource',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('url', models.URLField(max_length=2000, unique=True, verbose_name='feed URL')),
                        ('enabled', models.BooleanField(default=True, verbose_name='refresh automatically')),
                        ('refresh_interval_minutes', models.PositiveIntegerField(default=60, validators=[django.core.validators.MinValueValidator(5)], verbose_name='refresh every (minutes)')),
                        ('next_refresh_at', models.DateTimeField(db_index=True, verbose_name='next refresh')),
                        ('failure_count', models.PositiveIntegerField(default=0, verbose_name='failures in a row')),
                        ('last_attempt_at', models.DateTimeField(blank=True, null=True)),
                        ('last_success_at', models.DateTimeField(blank=True, null=True)),
                        ('etag', models.CharField(blank=True, max_length=255)),
                        ('last_modified', models.CharField(blank=True, max_length=64)),
                        ('applied_content_sha256', models.CharField(blank=True, max_length=64)),
                        ('applied_newest_item_at', models.DateTimeField(blank=True, null=True)),
                        ('applied_build_date', models.DateTimeField(blank=True, null=True)),
                        ('remote_image_url', models.URLField(blank=True, max_length=2000)),
                        ('remote_link', models.URLField(blank=True, max_length=2000)),
                        ('imported_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('show', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='feed_source', to='catalog.show')),
                    ],
                    options={
                        'verbose_name': 'feed source',
                    },
                ),
                migrations.CreateModel(
                    name='RemoteEpisode',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('enclosure_url', models.URLField(max_length=2000)),
                        ('enclosure_length', models.PositiveBigIntegerField(default=0)),
                        ('enclosure_type', models.CharField(default='audio/mpeg', max_length=64)),
                        ('link', models.URLField(blank=True, max_length=2000)),
                        ('chapters_url', models.URLField(blank=True, max_length=2000)),
                        ('chapters_origin', models.CharField(blank=True, max_length=16)),
                        ('transcript_url', models.URLField(blank=True, max_length=2000)),
                        ('transcript_type', models.CharField(blank=True, max_length=64)),
                        ('item_sha256', models.CharField(max_length=64)),
                        ('last_seen_at', models.DateTimeField()),
                        ('missing_since', models.DateTimeField(blank=True, db_index=True, null=True)),
                        ('episode', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='remote', to='catalog.episode')),
                        ('source', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='episodes', to='ingest.feedsource')),
                    ],
                    options={
                        'verbose_name': 'remote episode',
                    },
                ),
                migrations.CreateModel(
                    name='FeedRefresh',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('trigger', models.CharField(choices=[('import', 'Import'), ('schedule', 'Schedule'), ('manual', 'Manual'), ('approval', 'Approval')], max_length=16)),
                        ('started_at', models.DateTimeField(db_index=True)),
                        ('finished_at', models.DateTimeField()),
                        ('outcome', models.CharField(choices=[('applied', 'Applied'), ('unchanged', 'Unchanged'), ('not_modified', 'Not modified (304)'), ('held', 'Held for approval'), ('refused', 'Refused'), ('failed', 'Failed')], max_length=16)),
                        ('reason', models.CharField(blank=True, max_length=64)),
                        ('message', models.TextField(blank=True)),
                        ('http_status', models.PositiveSmallIntegerField(blank=True, null=True)),
                        ('bytes_received', models.PositiveBigIntegerField(default=0)),
                        ('content_sha256', models.CharField(blank=True, max_length=64)),
                        ('newest_item_at', models.DateTimeField(blank=True, null=True)),
                        ('build_date', models.DateTimeField(blank=True, null=True)),
                        ('items_in_feed', models.PositiveIntegerField(default=0)),
                        ('added', models.PositiveIntegerField(default=0)),
                        ('updated', models.PositiveIntegerField(default=0)),
                        ('missing', models.PositiveIntegerField(default=0)),
                        ('restored', models.PositiveIntegerField(default=0)),
                        ('details', models.JSONField(blank=True, default=dict)),
                        ('held_body', models.BinaryField(blank=True, null=True)),
                        ('base_content_sha256', models.CharField(blank=True, max_length=64)),
                        ('decision', models.CharField(blank=True, choices=[('', 'None needed'), ('pending', 'Waiting for a person'), ('approved', 'Approved'), ('rejected', 'Rejected')], default='', max_length=16)),
                        ('decided_at', models.DateTimeField(blank=True, null=True)),
                        ('decided_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('source', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='refreshes', to='ingest.feedsource')),
                    ],
                    options={
                        'verbose_name': 'feed refresh',
                        'verbose_name_plural': 'feed refreshes',
                        'ordering': ['-started_at', '-pk'],
                        'indexes': [models.Index(fields=['source', '-started_at'], name='feeds_refresh_source')],
                    },
                ),
                migrations.CreateModel(
                    name='FeedImport',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('url', models.URLField(max_length=2000, verbose_name='feed URL')),
                        ('owner_email', models.EmailField(blank=True, max_length=254, verbose_name="owner's email")),
                        ('language', models.CharField(blank=True, max_length=16)),
                        ('status', models.CharField(choices=[('pending', 'Waiting to start'), ('running', 'Importing'), ('done', 'Imported'), ('failed', 'Not imported')], default='pending', max_length=16)),
                        ('reason', models.CharField(blank=True, max_length=64)),
                        ('message', models.TextField(blank=True)),
                        ('started_at', models.DateTimeField(blank=True, null=True)),
                        ('finished_at', models.DateTimeField(blank=True, null=True)),
                        ('requested_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('source', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='imports', to='ingest.feedsource')),
                    ],
                    options={
                        'verbose_name': 'feed import',
                        'ordering': ['-created_at', '-pk'],
                        'indexes': [models.Index(fields=['requested_by', '-created_at'], name='feeds_import_requester')],
                    },
                ),
            ],
        ),
        move_content_types('feeds', 'ingest', MODELS),
    ]
