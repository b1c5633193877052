# The old transcript columns, copied to catalog.Transcript by 0003.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('ingest', '0003_remoteepisode_transcripts_to_catalog'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='remoteepisode',
            name='transcript_type',
        ),
        migrations.RemoveField(
            model_name='remoteepisode',
            name='transcript_url',
        ),
    ]
