from django.db import migrations, models

import ondas.core.media


class Migration(migrations.Migration):
    """Each audio row names the storage of its bytes; every existing row's are
    on local disk (there was no other), whatever ONDAS_MEDIA_STORAGE says now."""

    dependencies = [
        ("catalog", "0010_episode_show_state_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="audiofile",
            name="storage",
            field=models.CharField(
                choices=[("local", "Local disk"), ("s3", "S3 bucket")],
                default="local",
                db_default="local",
                max_length=8,
                verbose_name="storage",
            ),
        ),
        migrations.AlterField(
            model_name="audiofile",
            name="storage",
            field=models.CharField(
                choices=[("local", "Local disk"), ("s3", "S3 bucket")],
                default=ondas.core.media.current_media_storage,
                db_default="local",
                max_length=8,
                verbose_name="storage",
            ),
        ),
        migrations.AlterField(
            model_name="audiofile",
            name="file",
            field=ondas.core.media.RowStorageFileField(
                upload_to="audio/%Y/%m/", verbose_name="file"
            ),
        ),
    ]
