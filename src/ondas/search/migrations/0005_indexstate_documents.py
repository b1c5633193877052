from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0004_vector_create"),
    ]

    operations = [
        migrations.AddField(
            model_name="searchindexstate",
            name="documents",
            field=models.CharField(blank=True, db_default="", max_length=32),
        ),
    ]
