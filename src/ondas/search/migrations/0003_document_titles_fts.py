"""SQLite: a second FTS5 table over the titles of shows, episodes and
audiobooks only (``search_titles``), kept by triggers, for the header box's
suggestions: ranked and cut inside it, with no chapter, cue or person to
filter out afterwards. PostgreSQL needs nothing new (its ``vector`` marks
the title's words, and ``kind`` is on the same row). Spelled out here, not
imported, so that the history stays as it ran."""

from django.db import migrations

KINDS = "('show', 'episode', 'audiobook')"
SQLITE_CREATE = [
    """CREATE VIRTUAL TABLE search_titles USING fts5(
        title, content='search_searchdocument', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2')""",
    f"""INSERT INTO search_titles(rowid, title)
        SELECT id, title FROM search_searchdocument WHERE kind IN {KINDS}""",
    f"""CREATE TRIGGER search_titles_insert AFTER INSERT ON search_searchdocument
        WHEN new.kind IN {KINDS} BEGIN
        INSERT INTO search_titles(rowid, title) VALUES (new.id, new.title); END""",
    f"""CREATE TRIGGER search_titles_delete AFTER DELETE ON search_searchdocument
        WHEN old.kind IN {KINDS} BEGIN
        INSERT INTO search_titles(search_titles, rowid, title)
        VALUES ('delete', old.id, old.title); END""",
    f"""CREATE TRIGGER search_titles_update AFTER UPDATE ON search_searchdocument BEGIN
        INSERT INTO search_titles(search_titles, rowid, title)
        SELECT 'delete', old.id, old.title WHERE old.kind IN {KINDS};
        INSERT INTO search_titles(rowid, title)
        SELECT new.id, new.title WHERE new.kind IN {KINDS}; END""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS search_titles_update",
    "DROP TRIGGER IF EXISTS search_titles_delete",
    "DROP TRIGGER IF EXISTS search_titles_insert",
    "DROP TABLE IF EXISTS search_titles",
]


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_CREATE:
            schema_editor.execute(statement)


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_DROP:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("search", "0002_document_engine")]

    operations = [migrations.RunPython(forwards, backwards)]
