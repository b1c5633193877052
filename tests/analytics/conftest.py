"""An episode of a 32 kbit/s file: one minute of it is 240,000 bytes."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import pytest

from ondas.catalog.models import Episode, Show
from ondas.catalog.services import audio_file_create, episode_create, show_create

BYTES_PER_SECOND = 4_000  # 32 kbit/s
DURATION = 120.0
SIZE = int(BYTES_PER_SECOND * DURATION)  # 480,000
MINUTE = 60 * BYTES_PER_SECOND
T0 = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)
PHONE = "AppleCoreMedia/1.0.0.20E247 (iPhone; U; CPU OS 16_4 like Mac OS X; en_us)"


def episode_make(
    show: Show, guid: str, *, access: str = Episode.Access.FREE
) -> Episode:
    audio = audio_file_create(
        name=f"{guid}.mp3",
        content=io.BytesIO(bytes(SIZE)),
        mime_type="audio/mpeg",
        duration_seconds=DURATION,
    )
    return episode_create(
        show=show,
        guid=guid,
        title=guid,
        published_at=T0 - timedelta(days=30),
        access=access,
        audio=audio,
    )


@pytest.fixture
def show(db: None) -> Show:
    return show_create(title="Ondas cortas", author="Ana", language="es")


@pytest.fixture
def episode(show: Show) -> Episode:
    return episode_make(show, "uno")


def line(
    episode: Episode,
    *,
    at: datetime = T0,
    sent: int = SIZE,
    status: int = 200,
    range_header: str = "",
    method: str = "GET",
    addr: str = "198.51.100.7",
    ua: str = PHONE,
    listener: str = "",
) -> bytes:
    """A delivery line as `ondas serve` and nginx write it."""
    record = {
        "time": at.isoformat(),
        "addr": addr,
        "method": method,
        "path": f"/audio/{episode.audio_id}.mp3",
        "status": status,
        "range": range_header,
        "bytes": sent,
        "ua": ua,
        "audio": str(episode.audio_id),
        "listener": listener,
    }
    return json.dumps(record).encode() + b"\n"
