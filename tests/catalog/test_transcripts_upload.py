"""Uploaded transcripts: read strictly, stored through the storage API, served
to whoever may hear the episode, and in the feeds like a publisher's."""

from __future__ import annotations

import io
from pathlib import Path

import podcastparser
import pytest
from defusedxml import ElementTree
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings

from ondas.accounts.models import User
from ondas.catalog.errors import TranscriptInvalid
from ondas.catalog.models import Episode, Show, Transcript
from ondas.catalog.services import (
    TranscriptInput,
    audio_file_create,
    episode_transcripts_replace,
)
from ondas.catalog.services.authored import (
    PublishWhen,
    studio_episode_create,
    studio_episode_update,
)
from ondas.catalog.services.chapter_editor import ChapterRow, episode_chapters_edit
from ondas.catalog.services.lifecycle import episode_unpublish
from ondas.catalog.services.transcripts import episode_transcript_upload
from ondas.catalog.transcript_files import SRT_TYPE, VTT_TYPE, transcript_file_read
from ondas.core.errors import ErrorCode
from ondas.feeds.render import PODCAST_NS
from tests.accounts.factories import user_make
from tests.support.feeds import tiny_mp3
from tests.support.private_feeds import exclusive_plan_make, key_make, subscribe

VTT = (
    "WEBVTT - a header\n\n"
    "NOTE written by hand\n\n"
    "intro\n00:00.000 --> 00:01.500 align:start\nHola, <b>bienvenidos</b>.\n\n"
    "00:00:01.500 --> 00:00:03.000\nAdiós.\n"
).encode()
SRT = (
    "\ufeff1\r\n00:00:00,000 --> 00:00:01,500\r\nHola.\r\n\r\n"
    "2\r\n00:00:01,500 --> 00:00:03,000\r\nDos líneas\r\nen una.\r\n"
).encode()


@pytest.fixture(autouse=True)
def _english(english: None) -> None:
    """Messages are checked in English."""


def test_webvtt_and_srt_are_read_with_their_cues() -> None:
    vtt = transcript_file_read(VTT, max_bytes=10_000)
    srt = transcript_file_read(SRT, max_bytes=10_000, name="x.srt")

    assert vtt.mime_type == VTT_TYPE
    assert [(c.line, c.start, c.end) for c in vtt.cues] == [(6, 0, 1.5), (9, 1.5, 3)]
    assert vtt.cues[0].text == "Hola, <b>bienvenidos</b>."
    assert srt.mime_type == SRT_TYPE
    assert [(c.line, c.start, c.text) for c in srt.cues] == [
        (2, 0, "Hola."),
        (6, 1.5, "Dos líneas\nen una."),
    ]


BAD: dict[str, tuple[bytes, str, int, str]] = {
    "no header": (
        b"00:00.000 --> 00:01.000\nx\n",
        "a.vtt",
        1,
        "a WebVTT file starts with the line “WEBVTT”.",
    ),
    "a cue's times unreadable": (
        b"WEBVTT\n\n00:00.000 --> 00:01.000\nok\n\n00:01.000 --> 00:0x.000\nmal\n",
        "a.vtt",
        6,
        "“00:01.000 --> 00:0x.000” is not a cue's time line (start --> end).",
    ),
    "an identifier without times": (
        b"WEBVTT\n\nsolo-un-nombre\n",
        "a.vtt",
        3,
        "“solo-un-nombre” is not a cue's time line (start --> end).",
    ),
    "a cue ending before it starts": (
        b"WEBVTT\n\n00:05.000 --> 00:02.000\nx\n",
        "a.vtt",
        3,
        "the cue ends before it starts.",
    ),
    "cues out of order": (
        b"WEBVTT\n\n00:05.000 --> 00:06.000\nx\n\n00:01.000 --> 00:02.000\ny\n",
        "a.vtt",
        6,
        "the cue starts before the one above it.",
    ),
    "no blank line after the header": (
        b"WEBVTT\n00:00.000 --> 00:01.000\nx\n",
        "a.vtt",
        2,
        "a blank line must follow the header.",
    ),
    "an srt cue without its number": (
        b"1\n00:00:00,000 --> 00:00:01,000\nok\n\n00:00:01,000 --> 00:00:02,000\nx\n",
        "a.srt",
        5,
        "“00:00:01,000 --> 00:00:02,000” is not a cue number.",
    ),
    "an srt arrow mistyped": (
        b"1\n00:00:00,000 -> 00:00:01,000\nx\n",
        "a.srt",
        2,
        "“00:00:00,000 -> 00:00:01,000” is not a cue's time line (start --> end).",
    ),
    "an srt cue without text": (
        b"1\n00:00:00,000 --> 00:00:01,000\n",
        "a.srt",
        3,
        "the cue has no text.",
    ),
    "not utf-8": (
        b"1\n00:00:00,000 --> 00:00:01,000\nol\xe9\n",
        "a.srt",
        3,
        "the text is not UTF-8.",
    ),
    "a binary file": (b"%PDF-1.4\n\x00\x01", "a.srt", 2, "the file is not text."),
    "empty": (b"\n\n", "a.vtt", 1, "the file is empty."),
    "a header and no cues": (b"WEBVTT\n\n", "a.vtt", 3, "the file has no cues."),
    "too large": (
        b"WEBVTT\n\n" + b"x" * 2000,
        "a.vtt",
        1,
        "the file is larger than 1000\xa0bytes.",
    ),
}


@pytest.mark.parametrize("case", list(BAD), ids=list(BAD))
def test_a_bad_transcript_is_refused_naming_its_line(
    case: str, small_show: Show, media_root: Path, settings: Settings
) -> None:
    settings.ONDAS_TRANSCRIPT_MAX_BYTES = 1000
    data, name, line, reason = BAD[case]
    episode = Episode.objects.get(guid="small-1")
    before = Transcript.objects.count()

    with pytest.raises(TranscriptInvalid) as refused:
        episode_transcript_upload(episode=episode, name=name, data=data)

    assert refused.value.code == ErrorCode.TRANSCRIPT_INVALID
    assert (refused.value.line, refused.value.reason) == (line, reason)
    assert refused.value.message == (
        f"The transcript could not be read at line {line}: {reason}"
    )
    assert Transcript.objects.count() == before
    assert not (media_root / "transcripts").exists()


def _studio_episode(
    show: Show, *, access: str = Episode.Access.FREE, description: str = ""
) -> Episode:
    audio = audio_file_create(
        name="t.mp3",
        content=io.BytesIO(tiny_mp3(3)),
        mime_type="audio/mpeg",
        duration_seconds=3.0,
    )
    return studio_episode_create(
        show=show,
        title="Con transcripción",
        description=description,
        audio_id=audio.pk,
        access=access,
        when=PublishWhen.NOW,
    )


def test_a_good_transcript_is_stored_and_a_new_one_replaces_it(
    small_show: Show,
    media_root: Path,
    django_capture_on_commit_callbacks: object,
) -> None:
    episode = _studio_episode(small_show)

    first = episode_transcript_upload(episode=episode, name="es.vtt", data=VTT)

    assert (first.url, first.mime_type, first.rel) == ("", VTT_TYPE, "captions")
    stored = media_root / first.file.name
    assert stored.read_bytes() == VTT
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        second = episode_transcript_upload(episode=episode, name="es.vtt", data=VTT)
    assert list(Transcript.objects.filter(episode=episode)) == [second]
    assert not stored.exists()
    assert (media_root / second.file.name).exists()


def _get(client: Client, url: str) -> tuple[int, bytes]:
    answer = client.get(url)
    body = b"".join(answer.streaming_content) if answer.streaming else answer.content  # type: ignore[attr-defined]
    return answer.status_code, body


def test_a_free_episodes_transcript_is_public_and_an_exclusive_ones_is_not(
    small_show: Show,
) -> None:
    free = episode_transcript_upload(
        episode=_studio_episode(small_show), name="a.vtt", data=VTT
    )
    exclusive = episode_transcript_upload(
        episode=_studio_episode(small_show, access=Episode.Access.EXCLUSIVE),
        name="b.srt",
        data=SRT,
    )
    subscriber: User = user_make(email="s@example.com")
    subscribe(subscriber, exclusive_plan_make())
    signed_in = Client()
    signed_in.force_login(subscriber)

    assert _get(Client(), reverse("playback:transcript", args=[free.pk])) == (200, VTT)
    url = reverse("playback:transcript", args=[exclusive.pk])
    assert _get(Client(), url)[0] == 403
    assert _get(signed_in, url) == (200, SRT)
    _key, token = key_make(subscriber, small_show)
    private = reverse("playback:private-transcript", args=[exclusive.pk, token])
    assert _get(Client(), private) == (200, SRT)

    episode_unpublish(episode=free.episode)
    assert _get(Client(), reverse("playback:transcript", args=[free.pk]))[0] == 404


def _feed(show: Show) -> bytes:
    answer = Client().get(reverse("feeds:show-feed", args=[show.slug]))
    return b"".join(answer.streaming_content) if answer.streaming else answer.content  # type: ignore[attr-defined]


def _feed_entry(body: bytes, guid: str) -> dict[str, object]:
    feed = podcastparser.parse("https://ondas.example/feed.xml", io.BytesIO(body))
    found = [e for e in feed["episodes"] if e["guid"] == guid]
    assert len(found) == 1, guid
    entry: dict[str, object] = found[0]
    return entry


def _p20(body: bytes, guid: str) -> dict[str, dict[str, str]]:
    """The item's Podcasting 2.0 tags: podcastparser 0.6.11 knows only the
    namespace's old address, so these are read here."""
    prefix = "{" + PODCAST_NS + "}"
    for item in ElementTree.fromstring(body).iter("item"):
        if item.findtext("guid") == guid:
            return {
                tag.removeprefix(prefix): dict(child.attrib)
                for child in item
                if (tag := child.tag).startswith(prefix)
                and tag.endswith(("transcript", "chapters"))
            }
    raise AssertionError(guid)


def test_a_studio_episode_comes_out_in_the_public_feed_like_an_imported_one(
    small_show: Show,
) -> None:
    # As an import leaves one: chapters and a publisher's transcript.
    imported = Episode.objects.get(guid="small-1")
    episode_transcripts_replace(
        episode=imported,
        transcripts=[TranscriptInput("https://cdn.example.com/1.vtt", VTT_TYPE, "es")],
    )
    Transcript.objects.filter(episode=imported).update(rel="captions")
    made = _studio_episode(small_show, description="<p>Hecho aquí</p>")
    made = studio_episode_update(
        episode=made,
        title=made.title,
        description=made.description,
        season=1,
        number=3,
        kind=made.kind,
        access=made.access,
        audio_id=made.audio_id,
    )
    episode_chapters_edit(
        episode=made, rows=[ChapterRow("0:00", "Inicio"), ChapterRow("0:01", "Fin")]
    )
    transcript = episode_transcript_upload(
        episode=made, name="es.vtt", data=VTT, language="es"
    )

    body = _feed(small_show)
    theirs, ours = _feed_entry(body, imported.guid), _feed_entry(body, made.guid)

    assert sorted(ours) == sorted(theirs)
    assert ours["chapters"] == [
        {"start": 0, "title": "Inicio"},
        {"start": 1, "title": "Fin"},
    ]
    their_tags, our_tags = _p20(body, imported.guid), _p20(body, made.guid)
    assert sorted(our_tags) == sorted(their_tags) == ["chapters", "transcript"]
    assert sorted(our_tags["transcript"]) == sorted(their_tags["transcript"])
    url = our_tags["transcript"]["url"]
    path = reverse("playback:transcript", args=[transcript.pk])
    assert url == "http://testserver" + path
    assert our_tags["transcript"]["type"] == VTT_TYPE
    assert our_tags["transcript"]["language"] == "es"
    assert _get(Client(), path) == (200, VTT)
