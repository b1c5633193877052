"""What a migration that moves models from one app to another needs besides the tables.

The tables are renamed by the old app's migration and the models enter the new
app's state with ``SeparateDatabaseAndState``; the content types (and with them
permissions and admin history) follow with the operation made here.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps


def move_content_types(
    old: str, new: str, models: Sequence[str]
) -> migrations.RunPython:
    """A reversible operation that relabels ``models``' content types from ``old`` to ``new``.

    A content type already present under the target label (a database migrated
    by an earlier build of the move) is left as it is, never duplicated.
    """

    def relabel(
        apps: StateApps, schema_editor: BaseDatabaseSchemaEditor, src: str, dst: str
    ) -> None:
        content_type = apps.get_model("contenttypes", "ContentType")
        types = content_type.objects.using(schema_editor.connection.alias)
        for model in models:
            if not types.filter(app_label=dst, model=model).exists():
                types.filter(app_label=src, model=model).update(app_label=dst)

    def forward(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
        relabel(apps, schema_editor, old, new)

    def backward(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
        relabel(apps, schema_editor, new, old)

    return migrations.RunPython(forward, backward)
