# Transcripts of episodes: every podcast:transcript, by language and format.

import django.core.validators
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0004_show_content_version'),
    ]

    operations = [
        migrations.CreateModel(
            name='Transcript',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('url', models.URLField(max_length=2000, verbose_name='address')),
                ('mime_type', models.CharField(blank=True, max_length=64, verbose_name='format')),
                ('language', models.CharField(blank=True, max_length=35, validators=[django.core.validators.RegexValidator('^[A-Za-z]{2,3}(-[A-Za-z]{4})?(-([A-Za-z]{2}|[0-9]{3}))?(-[A-Za-z0-9]{5,8})*$', 'Enter a BCP 47 language tag, such as “en” or “es-MX”.')], verbose_name='language')),
                ('rel', models.CharField(blank=True, max_length=16, verbose_name='relation')),
                ('position', models.PositiveSmallIntegerField(default=0)),
                ('episode', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='transcripts', to='catalog.episode')),
            ],
            options={
                'ordering': ['position', 'pk'],
                'base_manager_name': 'objects',
                'constraints': [models.UniqueConstraint(fields=('episode', 'url'), name='catalog_transcript_unique_url')],
            },
        ),
    ]
