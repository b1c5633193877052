"""Write the app icons (PNG) into src/ondas/web/static/ondas/icons/.

Run after changing the mark: PYTHONPATH=src .venv/bin/python scripts/make_icons.py
"""

from __future__ import annotations

from pathlib import Path

from ondas.web.app_icons import ICONS, icon_png

TARGET = Path(__file__).resolve().parent.parent / "src/ondas/web/static/ondas/icons"


def main() -> None:
    TARGET.mkdir(parents=True, exist_ok=True)
    for name in ICONS:
        (TARGET / name).write_bytes(icon_png(name))
        print(TARGET / name)


if __name__ == "__main__":
    main()
