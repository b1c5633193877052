"""The engine's own structure over the documents, by database vendor
(``search.engines`` says what each is). Spelled out here, not imported,
so that the history stays as it ran."""

from django.db import migrations

SQLITE_CREATE = [
    """CREATE VIRTUAL TABLE search_fts USING fts5(
        title, body, content='search_searchdocument', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER search_fts_insert AFTER INSERT ON search_searchdocument BEGIN
        INSERT INTO search_fts(rowid, title, body)
        VALUES (new.id, new.title, new.body); END""",
    """CREATE TRIGGER search_fts_delete AFTER DELETE ON search_searchdocument BEGIN
        INSERT INTO search_fts(search_fts, rowid, title, body)
        VALUES ('delete', old.id, old.title, old.body); END""",
    """CREATE TRIGGER search_fts_update AFTER UPDATE ON search_searchdocument BEGIN
        INSERT INTO search_fts(search_fts, rowid, title, body)
        VALUES ('delete', old.id, old.title, old.body);
        INSERT INTO search_fts(rowid, title, body)
        VALUES (new.id, new.title, new.body); END""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS search_fts_update",
    "DROP TRIGGER IF EXISTS search_fts_delete",
    "DROP TRIGGER IF EXISTS search_fts_insert",
    "DROP TABLE IF EXISTS search_fts",
]
POSTGRES_CREATE = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "ALTER TABLE search_searchdocument ADD COLUMN vector tsvector",
    """CREATE FUNCTION search_document_vector() RETURNS trigger AS $$
    BEGIN
      NEW.vector :=
        setweight(to_tsvector(NEW.config::regconfig, unaccent(NEW.title)), 'A')
        || setweight(to_tsvector(NEW.config::regconfig, unaccent(NEW.body)), 'B');
      RETURN NEW;
    END $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER search_document_vector BEFORE INSERT OR UPDATE ON search_searchdocument
    FOR EACH ROW EXECUTE FUNCTION search_document_vector()""",
    "CREATE INDEX search_doc_vector ON search_searchdocument USING gin (vector)",
    "CREATE INDEX search_doc_folded_trgm ON search_searchdocument USING gin (folded gin_trgm_ops)",
]
POSTGRES_DROP = [
    "DROP INDEX IF EXISTS search_doc_folded_trgm",
    "DROP INDEX IF EXISTS search_doc_vector",
    "DROP TRIGGER IF EXISTS search_document_vector ON search_searchdocument",
    "DROP FUNCTION IF EXISTS search_document_vector()",
    "ALTER TABLE search_searchdocument DROP COLUMN IF EXISTS vector",
]


def _run(statements: list[str]):  # type: ignore[no-untyped-def]
    def run(apps, schema_editor):  # type: ignore[no-untyped-def]
        for statement in statements:
            schema_editor.execute(statement)

    return run


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        _run(SQLITE_CREATE)(apps, schema_editor)
    elif vendor == "postgresql":
        _run(POSTGRES_CREATE)(apps, schema_editor)


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        _run(SQLITE_DROP)(apps, schema_editor)
    elif vendor == "postgresql":
        _run(POSTGRES_DROP)(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("search", "0001_document_create")]

    operations = [migrations.RunPython(forwards, backwards)]
