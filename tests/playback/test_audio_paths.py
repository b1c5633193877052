"""The lean audio path and the full middleware stack answer audio alike.

The authorization matrix of audio: who asks (nobody, a stranger, a subscriber
in trial, one who cancelled, one whose trial ended, one with no book hours
left), which audio (a free episode, an exclusive one, a book's part, a book's
sample, a private feed's enclosure) and how (ranges, HEAD, validators, bad
ranges, other methods, odd cookies and hosts). Every case is asked through
the real WSGI entry (``ondas.wsgi``): once through Django's handler and its
whole middleware stack, and twice through the lean path (asked, then again,
when a yes may have been kept). The three answers must agree: status, every
header, every byte; and each case says which part of the lean path answered.
"""

from __future__ import annotations

import io
import os
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from ondas import wsgi
from ondas.accounts.models import User
from ondas.billing.models import Plan
from ondas.billing.services import (
    subscription_cancel,
    subscription_end_for_deleted_user,
)
from ondas.catalog.models import AudioFile, Episode, Show
from ondas.catalog.services import (
    AudiobookPartInput,
    audio_file_create,
    audiobook_create,
    episode_create,
    show_create,
)
from ondas.core import clock
from ondas.ops import metrics
from ondas.ops.middleware import AUDIO_STREAM_KEY, REQUEST_ID_KEY
from ondas.playback.delivery import etag_for, last_modified
from ondas.playback.lean import LeanAudio
from ondas.playback.models import AllowanceUsage
from ondas.playback.selectors import allowance_get
from tests.accounts.factories import user_make
from tests.support.billing import T0, subscribe
from tests.support.private_feeds import key_make
from tests.support.wsgi_client import PATHS, Path, WsgiClient, body_of, header_items

SIZE = 6_000
PUBLISHED = datetime(2025, 5, 1, tzinfo=UTC)
STALE_ETAG = '"0-0-0"'
REQUEST_ID = "matrix-case"


def _bytes(seed: int) -> bytes:
    return random.Random(seed).randbytes(SIZE)


class Catalog:
    """A show, a book and the people of the matrix, each made when first asked for."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.show = show_create(title="Matriz", author="Ana", language="es")

    def _audio(self, name: str, seed: int) -> AudioFile:
        return audio_file_create(
            name=f"{name}.mp3",
            content=io.BytesIO(_bytes(seed)),
            mime_type="audio/mpeg",
            duration_seconds=60.0,
        )

    def _episode(self, show: Show, guid: str, access: str, seed: int) -> AudioFile:
        audio = self._audio(guid, seed)
        episode_create(
            show=show,
            guid=guid,
            title=guid,
            published_at=PUBLISHED,
            access=access,
            audio=audio,
        )
        return audio

    @cached_property
    def free(self) -> AudioFile:
        return self._episode(self.show, "libre", Episode.Access.FREE, 1)

    @cached_property
    def exclusive(self) -> AudioFile:
        return self._episode(self.show, "exclusivo", Episode.Access.EXCLUSIVE, 2)

    @cached_property
    def _book_audio(self) -> tuple[AudioFile, AudioFile]:
        part, sample = self._audio("parte-1", 3), self._audio("muestra", 4)
        audiobook_create(
            title="Libro",
            authors="Ana",
            language="es",
            published_at=PUBLISHED,
            parts=[AudiobookPartInput(audio=part, title="Uno")],
            sample_audio=sample,
        )
        return part, sample

    @property
    def part(self) -> AudioFile:
        return self._book_audio[0]

    @property
    def sample(self) -> AudioFile:
        return self._book_audio[1]

    @cached_property
    def elsewhere(self) -> AudioFile:
        other = show_create(title="Otra", author="Ana", language="es")
        return self._episode(other, "ajeno", Episode.Access.FREE, 5)

    def person(self, who: str) -> User | None:
        return None if who == "anonymous" else self._people(who)

    def _people(self, who: str) -> User:
        cache: dict[str, User] = self.__dict__.setdefault("_made", {})
        if who not in cache:
            cache[who] = self._make(who)
        return cache[who]

    def _make(self, who: str) -> User:
        user = user_make(email=f"{who}@example.com")
        now = clock.now()
        if who in ("subscriber", "cancelled", "exhausted", "ended"):
            sub = subscribe(user, self.plan, now=now)
            if who == "cancelled":  # runs to the end of the trial
                subscription_cancel(subscription=sub, acting_user=user, now=now)
            if who == "exhausted":
                allowance = allowance_get(user=user, now=now)
                assert allowance.period_start is not None
                AllowanceUsage.objects.create(
                    user=user,
                    period_start=allowance.period_start,
                    seconds=allowance.total_seconds,
                )
        elif who == "expired":  # a trial that ended long ago, nothing ran since
            subscribe(user, self.plan, now=T0)
        return user

    def session_key(self, who: str) -> str | None:
        user = self.person(who)
        if user is None:
            return None
        keys: dict[str, str] = self.__dict__.setdefault("_keys", {})
        if who not in keys:
            client = Client()
            client.force_login(user)
            keys[who] = client.cookies[settings.SESSION_COOKIE_NAME].value
        return keys[who]

    def token(self, who: str) -> str:
        """The person's private feed of the show (``ended``: made, then ended)."""
        user = self.person(who)
        assert user is not None
        _key, token = key_make(user, self.show)
        if who == "ended":
            subscription_end_for_deleted_user(user=user, now=clock.now())
        return token


@dataclass(frozen=True)
class Ask:
    """How a case asks: the method and the headers, some made from the file."""

    method: str = "GET"
    range: str | None = None
    validators: Callable[[str, str], dict[str, str]] | None = None


def _etag_headers(name: str) -> Callable[[str, str], dict[str, str]]:
    return lambda etag, modified: {name: etag}


ASKS: dict[str, Ask] = {
    "range": Ask(range="bytes=100-199"),
    "head": Ask(method="HEAD"),
    "whole": Ask(),
    "suffix": Ask(range="bytes=-100"),
    "open-ended": Ask(range="bytes=5000-"),
    "multi-range": Ask(range="bytes=0-1,5-6"),
    "unsatisfiable": Ask(range=f"bytes={SIZE}-"),
    "head-with-range": Ask(method="HEAD", range="bytes=0-9"),
    "if-none-match": Ask(validators=_etag_headers("If-None-Match")),
    "if-modified-since": Ask(
        validators=lambda etag, modified: {"If-Modified-Since": modified}
    ),
    "if-range-current": Ask(range="bytes=10-19", validators=_etag_headers("If-Range")),
    "if-range-stale": Ask(
        range="bytes=10-19", validators=lambda etag, modified: {"If-Range": STALE_ETAG}
    ),
    "if-match-stale": Ask(
        range="bytes=0-9", validators=lambda etag, modified: {"If-Match": STALE_ETAG}
    ),
    "post": Ask(method="POST"),
    "options": Ask(method="OPTIONS"),
}
# What an allowed ask gets (a refused one: 403, the offer page; a POST: 403, CSRF).
ALLOWED = {
    "range": 206,
    "head": 200,
    "whole": 200,
    "suffix": 206,
    "open-ended": 206,
    "multi-range": 200,
    "unsatisfiable": 416,
    "head-with-range": 200,
    "if-none-match": 304,
    "if-modified-since": 304,
    "if-range-current": 206,
    "if-range-stale": 200,
    "if-match-stale": 412,
    "post": 403,
    "options": 405,
}
# Who may hear what: the paywall and the book meter.
MAY_HEAR = {
    "anonymous": {"free", "sample"},
    "stranger": {"free", "sample"},
    "subscriber": {"free", "exclusive", "part", "sample"},
    "cancelled": {"free", "exclusive", "part", "sample"},
    "expired": {"free", "sample"},
    "exhausted": {"free", "exclusive", "sample"},
}
# Asks the kept answers take (lean_kept); the others of an allowed file go to
# the rest of the lean path, refusals and other methods to the full stack.
KEPT_ASKS = {
    "range",
    "whole",
    "suffix",
    "open-ended",
    "multi-range",
    "if-range-current",
    "if-range-stale",
}


@dataclass(frozen=True)
class Case:
    who: str
    what: str
    ask: str
    cookie: str | None = "session"  # "session", or a raw sessionid value
    host: str = "127.0.0.1"

    @property
    def id(self) -> str:
        extra = "" if self.cookie == "session" else f"-cookie:{self.cookie}"
        extra += "" if self.host == "127.0.0.1" else f"-host:{self.host}"
        return f"{self.who}-{self.what}-{self.ask}{extra}"


def _cases() -> Iterator[Case]:
    for who in MAY_HEAR:
        for what in ("free", "exclusive", "part", "sample"):
            for ask in ("range", "head"):
                yield Case(who, what, ask)
    for who, what in (
        ("anonymous", "free"),
        ("subscriber", "exclusive"),
        ("subscriber", "part"),
        ("stranger", "exclusive"),
    ):
        for ask in ASKS:
            if ask not in ("range", "head"):
                yield Case(who, what, ask)
    yield Case("anonymous", "unknown", "range")
    yield Case("subscriber", "unknown", "range")
    for what in ("free", "exclusive"):
        # A key Django does not look up (too short), and one of no session.
        yield Case("anonymous", what, "range", cookie="abc")
        yield Case("anonymous", what, "range", cookie="x" * 32)
    yield Case("anonymous", "free", "range", host="evil.example")
    yield Case("subscriber", "exclusive", "range", host="evil.example")
    for ask in ("range", "head", "whole", "if-none-match", "unsatisfiable"):
        yield Case("subscriber", "private", ask)
    yield Case("ended", "private", "range")
    yield Case("subscriber", "private-unknown-token", "range")
    yield Case("subscriber", "private-elsewhere", "range")


CASES = list(_cases())


def _expected_status(case: Case) -> int:
    if case.host != "127.0.0.1":
        return 400
    if case.what == "unknown" or case.what in (
        "private-unknown-token",
        "private-elsewhere",
    ):
        return 404
    if case.what == "private":
        return 403 if case.who == "ended" else ALLOWED[case.ask]
    if case.ask in ("post", "options"):
        return ALLOWED[case.ask]
    if case.cookie != "session" or case.what not in MAY_HEAR[case.who]:
        return ALLOWED[case.ask] if case.what in ("free", "sample") else 403
    return ALLOWED[case.ask]


def _answered_by(case: Case, status: int) -> tuple[str, str]:
    """Which part answers the first and the second lean request."""
    if case.what.startswith("private"):
        return ("lean", "lean") if case.host == "127.0.0.1" else ("full", "full")
    served = status < 400 or status == 416 or status == 412
    if not served or case.ask in ("post", "options") or case.cookie == "abc":
        return ("full", "full")
    keeps = case.what != "part"
    return ("lean", "kept" if keeps and case.ask in KEPT_ASKS else "lean")


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


_CSRF_INPUT = re.compile(rb'(name="csrfmiddlewaretoken" value=")[^"]+')


def _answer(response: Any) -> Answer:
    headers = header_items(response)
    body = body_of(response)
    # A page rendered twice differs only by its masked CSRF tokens.
    body = _CSRF_INPUT.sub(rb"\1-", body)
    if "set-cookie:csrftoken" in headers:
        headers["set-cookie:csrftoken"] = "-"
    return Answer(response.status_code, headers, body)


@pytest.fixture
def catalog(db: None, premium: Plan) -> Catalog:
    return Catalog(premium)


@pytest.fixture
def answered_by(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Notes, per lean request, which part answered: kept, lean or full."""
    seen: list[str] = []
    real_kept, real_answer = LeanAudio.kept, wsgi.lean_answer

    def kept(self: LeanAudio, environ: dict[str, Any]) -> Any:
        answer = real_kept(self, environ)
        if answer is not None:
            seen.append("kept")
        return answer

    def lean_answer(lean: LeanAudio, environ: dict[str, Any]) -> Any:
        answer = real_answer(lean, environ)
        seen.append("lean" if answer is not None else "full")
        return answer

    monkeypatch.setattr(LeanAudio, "kept", kept)
    monkeypatch.setattr(wsgi, "lean_answer", lean_answer)
    return seen


def _target(catalog: Catalog, case: Case) -> tuple[str, AudioFile | None]:
    if case.what == "unknown":
        return reverse("playback:audio-ext", args=[999_999, "mp3"]), None
    if case.what.startswith("private"):
        audio = (
            catalog.elsewhere if case.what == "private-elsewhere" else catalog.exclusive
        )
        token = (
            "B" * 43
            if case.what == "private-unknown-token"
            else catalog.token(case.who)
        )
        return reverse("playback:private-audio", args=[audio.pk, token, "mp3"]), audio
    audio: AudioFile = getattr(catalog, case.what)
    return reverse("playback:audio-ext", args=[audio.pk, "mp3"]), audio


def _ask(client: Client, case: Case, path: str, audio: AudioFile | None) -> Any:
    ask = ASKS[case.ask]
    headers = {"X-Request-ID": REQUEST_ID, "Host": case.host}
    if ask.range is not None:
        headers["Range"] = ask.range
    if ask.validators is not None and audio is not None:
        stat = os.stat(audio.file.path)
        headers |= ask.validators(
            etag_for(audio.pk, stat), last_modified(int(stat.st_mtime))
        )
    return client.generic(ask.method, path, headers=headers)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_lean_path_and_full_stack_answer_alike(
    catalog: Catalog, answered_by: list[str], case: Case
) -> None:
    # given: the person's session (or the case's own cookie) and the audio
    path, audio = _target(catalog, case)
    if case.cookie == "session":
        cookie = (
            catalog.session_key(case.who)
            if not case.what.startswith("private")
            else None
        )
    else:
        cookie = case.cookie
    clients = {name: WsgiClient(name) for name in ("full", "lean")}
    for client in clients.values():
        if cookie is not None:
            client.cookies[settings.SESSION_COOKIE_NAME] = cookie

    # when: the full stack answers, then the lean path twice
    full = _answer(_ask(clients["full"], case, path, audio))
    assert answered_by == []
    asked = _answer(_ask(clients["lean"], case, path, audio))
    again = _answer(_ask(clients["lean"], case, path, audio))

    # then
    assert full.status == _expected_status(case)
    assert asked == full
    assert again == full
    assert tuple(answered_by) == _answered_by(case, full.status)


# What operations rely on ------------------------------------------------------


@pytest.mark.parametrize("path", PATHS)
def test_audio_is_counted_timed_and_followed_as_ops_expects(
    catalog: Catalog, path: Path
) -> None:
    """/metrics counts the request by route and status, times it, follows the
    stream until it is closed; `ondas serve` counts its bytes (the environ's
    mark) and logs the echoed request id."""
    url = reverse("playback:audio-ext", args=[catalog.free.pk, "mp3"])
    requests = metrics.REQUESTS.labels(
        route="playback:audio-ext", method="GET", status="206"
    )
    before = requests._value.get()
    streams = metrics.STREAMS_OPEN._value.get()
    client = WsgiClient(path)

    for time in ("asked", "kept"):
        response = client.get(url, headers={"range": "bytes=0-9", "X-Request-ID": time})

        environ = client.handler.last_environ
        assert response["X-Request-ID"] == environ[REQUEST_ID_KEY] == time
        assert environ[AUDIO_STREAM_KEY] is True
        assert metrics.STREAMS_OPEN._value.get() == streams  # closed once sent
    made_up = client.get(url, headers={"range": "bytes=0-9"})["X-Request-ID"]

    assert requests._value.get() == before + 3
    assert re.fullmatch("[0-9a-f]{32}", made_up)
    text = client.get("/metrics").content.decode()
    assert (
        'ondas_http_request_duration_seconds_count{route="playback:audio-ext"}' in text
    )
