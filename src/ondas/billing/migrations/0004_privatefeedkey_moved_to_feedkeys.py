# Private feed keys move to their own app (feedkeys). The tables are renamed,
# not copied: every row, constraint and index stays; feedkeys/0001 takes the
# models into its state.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('billing', '0003_privatefeedkey_origin_staff_replaced'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.AlterModelTable('privatefeedkeyuse', 'feedkeys_privatefeedkeyuse'),
                migrations.AlterModelTable('privatefeedkey', 'feedkeys_privatefeedkey'),
            ],
            state_operations=[
                migrations.DeleteModel('PrivateFeedKeyUse'),
                migrations.DeleteModel('PrivateFeedKey'),
            ],
        ),
    ]
