# feeds keeps publishing only. Its tables move, renamed, to the apps that own
# them now: sources, refreshes, remote episodes and imports to ingest; follows
# to library; a show's feed profile and people to catalog. Renaming keeps every
# row, constraint and index; those apps' migrations take the models into their
# state.

from django.db import migrations

MOVES = [
    ('feedimport', 'ingest_feedimport'),
    ('feedrefresh', 'ingest_feedrefresh'),
    ('remoteepisode', 'ingest_remoteepisode'),
    ('feedsource', 'ingest_feedsource'),
    ('follow', 'library_follow'),
    ('feedperson', 'catalog_feedperson'),
    ('feedprofile', 'catalog_feedprofile'),
]


class Migration(migrations.Migration):

    dependencies = [
        ('feeds', '0002_follow_feed_import'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.AlterModelTable(name, table) for name, table in MOVES
            ],
            state_operations=[migrations.DeleteModel(name) for name, _table in MOVES],
        ),
    ]
