"""The demo catalog: the product page's show, a small exclusive one, audiobooks.

Titles, dates of topics and chapter times are facts taken from the product
page; every description is written by us. Audio is generated locally (see
``demo_audio``), so `make run` needs no network beyond the package index.
"""

from __future__ import annotations

import io
import logging
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import BinaryIO, TextIO

from django.core.files import File
from django.db import transaction

from ondas.billing.models import Plan
from ondas.billing.services import plan_create
from ondas.catalog.chapters import ChapterInput
from ondas.catalog.models import Audiobook, AudioFile, Episode, Show
from ondas.catalog.services import (
    AudiobookPartInput,
    audio_file_create,
    audiobook_create,
    episode_create,
    show_create,
)
from ondas.core.timefmt import parse_clock
from ondas.ops.demo_audio import BITRATE_KBPS, encode_tone_mp3
from ondas.ops.demo_books import DEMO_BOOKS, DemoBook, book_cover

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DemoEpisode:
    slug: str
    title: str
    published: str  # ISO date
    duration: str  # clock time
    description: str
    chapters: tuple[tuple[str, str], ...]
    access: str = Episode.Access.FREE
    kind: str = Episode.Kind.FULL


@dataclass(frozen=True)
class DemoShow:
    slug: str
    title: str
    author: str
    language: str
    categories: tuple[str, ...]
    description: str
    colour: tuple[int, int, int]
    episodes: tuple[DemoEpisode, ...] = field(default_factory=tuple)


BACKEND_SHOW = DemoShow(
    slug="the-backend-engineering-show",
    title="The Backend Engineering Show with Hussein Nasser",
    author="Hussein Nasser",
    language="en",
    categories=("Technology",),
    colour=(24, 64, 96),
    description=(
        "<p>Hussein Nasser takes apart what runs underneath web applications: "
        "network protocols, operating system kernels, databases, and the outages "
        "that show how they fail. Each episode picks one mechanism and follows it "
        "down to the system calls.</p>"
    ),
    episodes=(
        DemoEpisode(
            slug="cpu-and-kernel-page-faults",
            title="CPU and Kernel Page Faults",
            published="2025-11-17",
            duration="48:12",
            description=(
                "<p>A process touches an address that has no physical page behind it "
                "and the kernel has to step in. This episode explains why that "
                "happens so often, and what it costs.</p>"
                "<ul><li>Virtual memory: abstracting physical memory, sharing pages "
                "between processes, spilling unused pages to disk, NUMA placement"
                "</li><li>The areas of a process: code, data, BSS, heap and stack"
                "</li><li>Each kind of fault: first access, stack growth, "
                "copy-on-write, swap, file-backed and permission faults</li></ul>"
            ),
            chapters=(
                ("0:00", "Intro"),
                ("4:00", "Virtual memory"),
                ("12:00", "VMA areas"),
                ("19:50", "Kernel mode"),
                ("25:30", "What is a Page fault?"),
                ("30:30", "First access page fault"),
                ("33:00", "Stack Expansion page fault"),
                ("34:30", "CoW page fault"),
                ("38:00", "Swap page fault"),
                ("39:39", "File backed page fault"),
                ("40:29", "Permission page fault"),
                ("45:30", "Summary"),
            ),
        ),
        DemoEpisode(
            slug="amazon-us-east-1-outage-in-details",
            title="Amazon US-EAST-1 Outage in Details",
            published="2025-11-03",
            duration="19:05",
            description=(
                "<p>AWS's us-east-1 region went down on 19 October 2025 for more than "
                "a day. Once the root-cause analysis came out, it was clear the "
                "trouble started with DynamoDB's DNS record being emptied by its own "
                "automation. We read the report together and follow the failure as "
                "it spread to EC2 and the Network Load Balancer.</p>"
            ),
            chapters=(
                ("0:00", "Summary"),
                ("5:30", "How did Dynamo lost its DNS?"),
                ("13:41", "EC2 Errors"),
                ("16:16", "Network Load Balancer Errors"),
            ),
        ),
        DemoEpisode(
            slug="graceful-shutdown-in-http",
            title="Graceful shutdown in HTTP",
            published="2025-10-20",
            duration="26:31",
            description=(
                "<p>Servers close connections for many reasons: a deploy, a client "
                "that misbehaves, or simply reclaiming resources. Done well, both "
                "sides get to finish what is in flight. How HTTP/1.1 signals it with "
                "the Connection header, and how HTTP/2 does it with the GOAWAY "
                "frame.</p>"
            ),
            chapters=(
                ("0:00", "Intro"),
                ("4:58", "Why shutdown connection?"),
                ("6:46", "HTTP/1.1 Graceful shutdown"),
                ("12:26", "Cost of HTTP/2"),
                ("17:40", "HTTP/2 GoAWAY frame"),
                ("23:40", "Summary"),
            ),
        ),
        DemoEpisode(
            slug="postgres-18-gets-async-io",
            title="Postgres 18 gets Async IO",
            published="2025-10-06",
            duration="39:47",
            description=(
                "<p>PostgreSQL 18 shipped with UUIDv7, skip scans on composite "
                "indexes and, most awaited of all, asynchronous reads. We compare "
                "synchronous and asynchronous IO, look at how version 17 reads, and "
                "go through the three <code>io_method</code> settings — worker, "
                "io_uring and sync — and the work still left to do.</p>"
            ),
            chapters=(
                ("0:00", "Intro"),
                ("1:30", "Synchronous vs Asynchronous calls"),
                ("3:00", "Synchronous IO"),
                ("6:30", "Asynchronous IO"),
                ("10:00", "Postgres 17 synchronous io"),
                ("17:20", "The challenge of Async IO in Postgres 18"),
                ("20:00", "io_method worker"),
                ("23:00", "io_method io_uring"),
                ("29:30", "io_method sync"),
                ("31:08", "Async IO isn't done!"),
                ("31:30", "Support for backend writers"),
                ("32:36", "Improve worker io_method"),
                ("33:00", "direct io support"),
                ("37:00", "Summary"),
            ),
        ),
        DemoEpisode(
            slug="kernel-level-tls",
            title="Kernel level TLS",
            published="2025-09-22",
            duration="19:20",
            description=(
                "<p>TLS usually lives in a user-space library while TCP lives in the "
                "kernel. With kTLS, the application still performs the handshake but "
                "then gives the session keys to the kernel, which encrypts on write "
                "and decrypts on read — or hands the work to the network card. The "
                "software and offload modes, transmit and receive walk-throughs, and "
                "why it keeps <code>sendfile</code> zero-copy.</p>"
            ),
            chapters=(
                ("0:00", "Intro"),
                ("2:00", "Userspace SSL Libraries"),
                ("3:00", "ktls"),
                ("6:00", "Kernel Encrypts/Decrypts (TLS_SW)"),
                ("8:20", "NIC offload mode (TLS_HW)"),
                ("10:15", "NIC does it all (TLS_HW_RECORD)"),
                ("12:00", "Write TX Example"),
                ("13:50", "Read RX Example"),
                ("17:00", "Zero copy (sendfile)"),
            ),
        ),
    ),
)

EXCLUSIVE_SHOW = DemoShow(
    slug="sala-de-maquinas",
    title="Sala de Máquinas",
    author="Equipo Ondas",
    language="es-MX",
    categories=("Technology",),
    colour=(120, 36, 72),
    description=(
        "<p>Un programa breve, solo para suscriptores Premium, sobre cómo se opera "
        "un servicio de audio propio: servidores, bases de datos y lo que aprendemos "
        "cuando algo se rompe.</p>"
    ),
    episodes=(
        DemoEpisode(
            slug="bienvenida",
            title="Bienvenida a Sala de Máquinas",
            published="2025-11-10",
            duration="1:30",
            description="<p>Qué vas a escuchar aquí y cada cuánto.</p>",
            chapters=(("0:00", "Hola"), ("0:45", "Lo que viene")),
            kind=Episode.Kind.TRAILER,
        ),
        DemoEpisode(
            slug="un-servidor-una-base-de-datos",
            title="Un servidor, una base de datos",
            published="2025-11-12",
            duration="5:10",
            description=(
                "<p>Por qué empezar con SQLite en un solo equipo, y cuándo conviene "
                "pasar a PostgreSQL.</p>"
            ),
            chapters=(
                ("0:00", "Introducción"),
                ("1:20", "SQLite en modo WAL"),
                ("3:05", "Señales para crecer"),
            ),
            access=Episode.Access.EXCLUSIVE,
        ),
        DemoEpisode(
            slug="desplegar-sin-cortar",
            title="Desplegar sin cortar a nadie",
            published="2025-11-19",
            duration="6:40",
            description=(
                "<p>Cómo reiniciar el servicio mientras la gente escucha, sin que se "
                "corte ni un episodio.</p>"
            ),
            chapters=(
                ("0:00", "Introducción"),
                ("1:45", "Drenar conexiones"),
                ("4:10", "Recargar sin perder peticiones"),
            ),
            access=Episode.Access.EXCLUSIVE,
        ),
    ),
)

DEMO_SHOWS = (BACKEND_SHOW, EXCLUSIVE_SHOW)


def _artwork(spec: DemoShow) -> File[bytes]:
    from PIL import Image, ImageDraw, ImageFont

    size = 1400  # Apple's minimum for show artwork
    image = Image.new("RGB", (size, size), spec.colour)
    draw = ImageDraw.Draw(image)
    initials = "".join(w[0] for w in spec.title.split()[:3] if w[0].isalnum()).upper()
    font = ImageFont.load_default(size=420)
    draw.text(
        (size / 2, size / 2), initials, fill=(255, 255, 255), font=font, anchor="mm"
    )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    buffer.seek(0)
    return File(buffer, name=f"{spec.slug}.png")


def _encode_audio(spec: DemoEpisode, out: BinaryIO) -> int:
    """Write the episode's MP3 to ``out``; return its length in seconds."""
    seconds = parse_clock(spec.duration)
    starts = [parse_clock(t) for t, _title in spec.chapters]
    encode_tone_mp3(out, duration_seconds=seconds, chapter_starts=starts)
    out.seek(0)
    return seconds


def _published(iso_date: str) -> datetime:
    return datetime.fromisoformat(iso_date).replace(hour=10, tzinfo=UTC)


def demo_episode_ensure(*, show: Show, spec: DemoEpisode) -> tuple[Episode, bool]:
    """Create the episode if missing, and its audio if missing on disk."""
    episode = (
        Episode.objects.filter(show=show, slug=spec.slug)
        .select_related("audio")
        .first()
    )
    if (
        episode is not None
        and episode.audio
        and episode.audio.file.storage.exists(episode.audio.file.name)
    ):
        return episode, False
    with tempfile.TemporaryFile() as tmp:
        seconds = _encode_audio(spec, tmp)
        audio = audio_file_create(
            name=f"{spec.slug}.mp3",
            content=tmp,
            mime_type="audio/mpeg",
            duration_seconds=float(seconds),
            bitrate=BITRATE_KBPS * 1000,
        )
    if episode is not None:  # the row survived but its bytes did not
        episode.audio = audio
        episode.save(update_fields=["audio", "updated_at"])
        return episode, True
    episode = episode_create(
        show=show,
        guid=f"ondas-demo:{show.slug}:{spec.slug}",
        slug=spec.slug,
        title=spec.title,
        description=spec.description,
        published_at=_published(spec.published),
        duration_seconds=float(seconds),
        access=spec.access,
        kind=spec.kind,
        audio=audio,
        chapters=[
            ChapterInput(float(parse_clock(t)), title) for t, title in spec.chapters
        ],
    )
    return episode, True


def demo_plans_ensure() -> int:
    """Create the storefront's plans if missing: Free, and Premium as the product
    page sells it (7-day trial, then 99.00 MXN a month, 20 audiobook hours,
    exclusive podcasts). Return how many were made."""
    made = 0
    if not Plan.objects.filter(slug="free").exists():
        plan_create(slug="free", name="Free", price_minor=0, currency="MXN")
        made += 1
    if not Plan.objects.filter(slug="premium").exists():
        plan_create(
            slug="premium",
            name="Premium",
            price_minor=9900,
            currency="MXN",
            trial_days=7,
            audiobook_hours=20,
            includes_exclusive=True,
            position=1,
        )
        made += 1
    return made


def demo_load(*, out: TextIO | None = None) -> str:
    """Load the demo catalog; running it again only fills what is missing."""
    demo_plans_ensure()
    made_shows = made_episodes = 0
    for spec in DEMO_SHOWS:
        with transaction.atomic():
            show = Show.objects.filter(slug=spec.slug).first()
            if show is None:
                show = show_create(
                    slug=spec.slug,
                    title=spec.title,
                    author=spec.author,
                    language=spec.language,
                    description=spec.description,
                    categories=spec.categories,
                    artwork=_artwork(spec),
                )
                made_shows += 1
        for episode_spec in spec.episodes:
            if out is not None:
                out.write(f"  {spec.title} — {episode_spec.title}\n")
                out.flush()
            with transaction.atomic():
                _episode, made = demo_episode_ensure(show=show, spec=episode_spec)
            made_episodes += made
    made_books = 0
    for book_spec in DEMO_BOOKS:
        if out is not None:
            out.write(f"  {book_spec.title}\n")
            out.flush()
        with transaction.atomic():
            _book, made = demo_audiobook_ensure(spec=book_spec)
        made_books += made
    return (
        f"Demo catalog ready: {made_shows} show(s) and {made_episodes} episode(s) "
        f"added, {made_books} audiobook(s) added."
    )


# Audiobooks (their facts and covers are in demo_books) ------------------------


def _book_audio(*, name: str, seconds: int, chapter_starts: list[int]) -> AudioFile:
    """Encode and store one MP3 of ``seconds``, chiming at ``chapter_starts``."""
    with tempfile.TemporaryFile() as tmp:
        encode_tone_mp3(tmp, duration_seconds=seconds, chapter_starts=chapter_starts)
        tmp.seek(0)
        return audio_file_create(
            name=name,
            content=tmp,
            mime_type="audio/mpeg",
            duration_seconds=float(seconds),
            bitrate=BITRATE_KBPS * 1000,
        )


def _part_audio(spec: DemoBook, index: int) -> AudioFile:
    """The ``index``-th part (0-based): its chapters chime where they start."""
    durations = [parse_clock(d) for _title, d in spec.parts]
    start = sum(durations[:index])
    seconds = durations[index]
    starts = [
        parse_clock(t) - start
        for t, _title in spec.chapters
        if start <= parse_clock(t) < start + seconds
    ]
    return _book_audio(
        name=f"{spec.slug}-{index + 1}.mp3", seconds=seconds, chapter_starts=starts
    )


def _sample_audio(spec: DemoBook) -> AudioFile:
    seconds = parse_clock(spec.sample)
    starts = [parse_clock(t) for t, _title in spec.chapters if parse_clock(t) < seconds]
    return _book_audio(
        name=f"{spec.slug}-sample.mp3", seconds=seconds, chapter_starts=starts
    )


def _on_disk(audio: AudioFile | None) -> bool:
    return audio is not None and audio.file.storage.exists(audio.file.name)


def demo_audiobook_ensure(*, spec: DemoBook) -> tuple[Audiobook, bool]:
    """Create the book if missing; re-make any of its audio missing on disk."""
    book = (
        Audiobook.objects.filter(slug=spec.slug).select_related("sample_audio").first()
    )
    if book is None:
        book = audiobook_create(
            slug=spec.slug,
            title=spec.title,
            authors=spec.authors,
            narrators=spec.narrators,
            publisher=spec.publisher,
            language=spec.language,
            description=spec.description,
            categories=spec.categories,
            published_at=_published(spec.published),
            sample_seconds=parse_clock(spec.sample),
            sample_audio=_sample_audio(spec),
            cover=book_cover(spec),
            parts=[
                AudiobookPartInput(audio=_part_audio(spec, index), title=title)
                for index, (title, _duration) in enumerate(spec.parts)
            ],
            chapters=[
                ChapterInput(float(parse_clock(t)), title) for t, title in spec.chapters
            ],
        )
        return book, True
    # The rows survived but some bytes did not (a wiped media folder).
    if not _on_disk(book.sample_audio):
        book.sample_audio = _sample_audio(spec)
        book.save(update_fields=["sample_audio", "updated_at"])
    for index, part in enumerate(
        book.parts.select_related("audio").order_by("position")
    ):
        if not _on_disk(part.audio):
            part.audio = _part_audio(spec, index)
            part.save(update_fields=["audio"])
    return book, False
