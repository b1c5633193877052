"""`ondas books import DIR`: a book per directory, parts in natural order,
names from the tags, non-audio skipped by name, and a second run changes
nothing."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from mutagen.flac import FLAC
from mutagen.id3 import ID3, TALB, TCOM, TIT2, TPE1, TXXX

from ondas.accounts.models import User
from ondas.catalog.models import Audiobook, AudiobookPart, AudioFile
from ondas.ops.cli import main
from ondas.studio.models import Membership, Role
from tests.accounts.factories import user_make
from tests.support.studio_audio import audio_bytes

pytestmark = pytest.mark.django_db


def _mp3(path: Path, *, seconds: int, title: str, narrator: bool = False) -> None:
    path.write_bytes(audio_bytes("mp3", seconds=seconds))
    tags = ID3()
    tags.add(TALB(encoding=3, text="La Casa de los Relojes"))
    tags.add(TPE1(encoding=3, text="Marta Ruiz"))
    tags.add(TIT2(encoding=3, text=title))
    if narrator:
        tags.add(TXXX(encoding=3, desc="NARRATOR", text="Pablo Sanz"))
    else:
        tags.add(TCOM(encoding=3, text="Compositor"))
    tags.save(path)


@pytest.fixture
def library(tmp_path: Path) -> Path:
    """One book: 1.mp3, 2.mp3 and 10.mp3 tagged, a FLAC 3.flac, and a PDF."""
    book = tmp_path / "library" / "relojes"
    book.mkdir(parents=True)
    _mp3(book / "10.mp3", seconds=4, title="Capítulo diez", narrator=True)
    _mp3(book / "1.mp3", seconds=2, title="Capítulo uno", narrator=True)
    _mp3(book / "2.mp3", seconds=3, title="Capítulo dos", narrator=True)
    (book / "3.flac").write_bytes(audio_bytes("flac", seconds=2))
    flac = FLAC(book / "3.flac")
    flac["album"] = "La Casa de los Relojes"
    flac["title"] = "Capítulo tres"
    flac.save()
    (book / "notas.pdf").write_bytes(b"%PDF-1.4\n" + bytes(200))
    (book / ".DS_Store").write_bytes(b"\x00\x01")
    return tmp_path / "library"


def _state() -> tuple[object, ...]:
    return (
        list(Audiobook.objects.values_list("pk", "title", "slug", "duration_seconds")),
        list(
            AudiobookPart.objects.order_by("pk").values_list(
                "pk", "audiobook_id", "position", "title", "audio_id", "start_seconds"
            )
        ),
        list(AudioFile.objects.values_list("pk", "file", "sha256")),
        list(Membership.objects.values_list("pk", "user_id", "audiobook_id", "role")),
    )


def test_import_makes_one_book_in_natural_order_and_twice_changes_nothing(
    library: Path, media_root: Path
) -> None:
    owner = user_make(email="operadora@example.com", role=User.Role.CREATOR)
    out = io.StringIO()
    call_command("books_import", str(library), "--owner", owner.email, stdout=out)
    text = out.getvalue()

    book = Audiobook.objects.get()
    assert (book.title, book.authors, book.narrators) == (
        "La Casa de los Relojes",
        "Marta Ruiz",
        "Pablo Sanz",
    )
    parts = list(AudiobookPart.objects.filter(audiobook=book).order_by("position"))
    assert [p.title for p in parts] == [
        "Capítulo uno",
        "Capítulo dos",
        "Capítulo tres",
        "Capítulo diez",
    ]
    assert [round(p.duration_seconds) for p in parts] == [2, 3, 2, 4]
    assert parts[1].start_seconds == pytest.approx(parts[0].duration_seconds)
    assert book.duration_seconds == pytest.approx(
        sum(p.duration_seconds for p in parts)
    )
    for part in parts:  # copied into media storage, the source left alone
        assert (media_root / part.audio.file.name).is_file()
    assert (library / "relojes" / "1.mp3").is_file()
    assert "notas.pdf" in text and "Skipped" in text
    assert ".DS_Store" not in text
    assert "[1/5] 1.mp3\n[2/5] 2.mp3\n[3/5] 3.flac\n[4/5] 10.mp3" in text
    assert "1 books created, 4 parts added, 1 files skipped." in text
    membership = Membership.objects.get(audiobook=book)
    assert (membership.user_id, membership.role) == (owner.pk, Role.OWNER)

    before = _state()
    again = io.StringIO()
    call_command("books_import", str(library), "--owner", owner.email, stdout=again)
    assert _state() == before
    assert "Unchanged: “La Casa de los Relojes”" in again.getvalue()
    assert "0 books created, 0 parts added" in again.getvalue()


def test_import_adds_only_the_new_files_of_a_known_book(
    library: Path, media_root: Path
) -> None:
    call_command("books_import", str(library), stdout=io.StringIO())
    _mp3(library / "relojes" / "11.mp3", seconds=2, title="Capítulo once")
    call_command("books_import", str(library), stdout=io.StringIO())
    book = Audiobook.objects.get()
    titles = list(
        AudiobookPart.objects.filter(audiobook=book)
        .order_by("position")
        .values_list("title", flat=True)
    )
    assert titles[-2:] == ["Capítulo diez", "Capítulo once"]
    assert len(titles) == 5


# A real transaction: like every management command run from the command line,
# the import closes the database connections when it ends (Django's
# run_from_argv), which on PostgreSQL would end a test's wrapping transaction.
@pytest.mark.django_db(transaction=True)
def test_the_ondas_command_reaches_it(
    library: Path, media_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["books", "import", str(library)]) == 0
    assert Audiobook.objects.count() == 1
    assert "1 books created" in capsys.readouterr().out
