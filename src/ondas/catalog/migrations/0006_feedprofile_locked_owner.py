# podcast:locked owner=: the lock's own owner, kept apart from the iTunes owner.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0005_transcript'),
    ]

    operations = [
        migrations.AddField(
            model_name='feedprofile',
            name='locked_owner',
            field=models.EmailField(blank=True, max_length=254, verbose_name="lock owner's email"),
        ),
    ]
