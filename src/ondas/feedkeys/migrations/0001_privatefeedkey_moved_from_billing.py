# The private feed key tables, as billing/0004 left them under their new names:
# this migration only takes the models into feedkeys' state, and moves their
# content types (and so their permissions and admin history) along.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from ondas.core.moves import move_content_types

MODELS = ['privatefeedkey', 'privatefeedkeyuse']


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('billing', '0004_privatefeedkey_moved_to_feedkeys'),
        ('catalog', '0002_audiobook_parts_chapters'),
        ('contenttypes', '0002_remove_content_type_name'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='PrivateFeedKey',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('seed', models.CharField(max_length=64)),
                        ('token_hash', models.CharField(max_length=64, unique=True)),
                        ('origin', models.CharField(choices=[('created', 'Created'), ('regenerated', 'Regenerated'), ('reset_shared', 'Reset after sharing'), ('staff_replaced', 'Replaced by staff')], max_length=16)),
                        ('created_at', models.DateTimeField()),
                        ('revoked_at', models.DateTimeField(blank=True, null=True)),
                        ('last_used_at', models.DateTimeField(blank=True, null=True)),
                        ('flagged_at', models.DateTimeField(blank=True, null=True)),
                        ('show', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='private_feed_keys', to='catalog.show')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='private_feed_keys', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'ordering': ['-created_at', '-pk'],
                        'constraints': [models.UniqueConstraint(condition=models.Q(('revoked_at__isnull', True)), fields=('user', 'show'), name='billing_one_live_feed_key')],
                    },
                ),
                migrations.CreateModel(
                    name='PrivateFeedKeyUse',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('day', models.DateField()),
                        ('kind', models.CharField(choices=[('network', 'Network'), ('app', 'App')], max_length=8)),
                        ('digest', models.CharField(max_length=64)),
                        ('key', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='uses', to='feedkeys.privatefeedkey')),
                    ],
                    options={
                        'indexes': [models.Index(fields=['day'], name='billing_feed_key_use_day')],
                        'constraints': [models.UniqueConstraint(fields=('key', 'day', 'kind', 'digest'), name='billing_feed_key_use')],
                    },
                ),
            ],
        ),
        move_content_types('billing', 'feedkeys', MODELS),
    ]
