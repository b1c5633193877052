"""Delivery lines become downloads by the IAB rules, once per line however
often a log is read, and a run cut short resumes where it stopped."""

from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path
from unittest import mock

import pytest
from django.db import IntegrityError, transaction

from ondas.analytics import ingest
from ondas.analytics.ingest import analytics_forget, log_ingest
from ondas.analytics.models import (
    DailyEpisodeDownloads,
    DailyShowDownloads,
    DaySalt,
    DownloadWindow,
    ListenerDay,
    LogCursor,
)
from ondas.analytics.selectors import episode_downloads, show_downloads_daily
from ondas.catalog.models import Episode, Show
from tests.analytics.conftest import MINUTE, SIZE, T0, episode_make, line


def _ingest(data: bytes, name: str = "log") -> ingest.IngestReport:
    return log_ingest(stream=io.BytesIO(data), name=name)


def _downloads(episode: Episode) -> int:
    return episode_downloads(episode=episode).downloads


def test_40_kb_of_a_32_kbit_file_is_not_a_download(episode: Episode) -> None:
    _ingest(line(episode, status=206, range_header="bytes=0-", sent=40_000))
    assert _downloads(episode) == 0


def test_300_kb_of_a_32_kbit_file_is_a_download(episode: Episode) -> None:
    report = _ingest(line(episode, status=206, range_header="bytes=0-", sent=300_000))
    assert report.downloads == 1
    assert _downloads(episode) == 1


def test_exactly_one_minute_counts_one_byte_less_does_not(
    show: Show, episode: Episode
) -> None:
    other = episode_make(show, "dos")
    _ingest(
        line(episode, status=206, range_header="bytes=0-", sent=MINUTE)
        + line(other, status=206, range_header="bytes=0-", sent=MINUTE - 1)
    )
    assert (_downloads(episode), _downloads(other)) == (1, 0)


def _five_ranges_past_a_minute(episode: Episode) -> tuple[bytes, int]:
    """Five consecutive ranges 10 s apart: four are short of a minute of audio,
    five pass it. Returns the log lines and the size of each range."""
    chunk = MINUTE // 5 + 1
    data = b"".join(
        line(
            episode,
            at=T0 + timedelta(seconds=10 * i),
            status=206,
            range_header=f"bytes={i * chunk}-{(i + 1) * chunk - 1}",
            sent=chunk,
        )
        for i in range(5)
    )
    return data, chunk


def test_five_ranges_that_together_pass_a_minute_are_one_download(
    episode: Episode,
) -> None:
    data, chunk = _five_ranges_past_a_minute(episode)
    report = _ingest(data)
    assert report.downloads == 1
    assert _downloads(episode) == 1
    window = DownloadWindow.objects.get()
    assert window.intervals == [[0, 5 * chunk]]


def test_overlapping_ranges_are_not_summed_twice(episode: Episode) -> None:
    # Three times the first 100 KB: 100 KB sent, not a minute's 240 KB.
    data = b"".join(
        line(
            episode,
            at=T0 + timedelta(seconds=i),
            status=206,
            range_header="bytes=0-99999",
            sent=100_000,
        )
        for i in range(3)
    )
    _ingest(data)
    assert _downloads(episode) == 0


def test_suffix_and_open_ranges_join_the_sum(episode: Episode) -> None:
    data = line(
        episode,
        status=206,
        range_header="bytes=-200000",
        sent=200_000,
    ) + line(
        episode,
        at=T0 + timedelta(seconds=5),
        status=206,
        range_header="bytes=150000-",
        sent=140_000,
    )
    _ingest(data)
    # 280,000..480,000 alone is short of the minute (240,000 bytes); with
    # 150,000..290,000 it is 150,000..480,000: 330,000 bytes, past it.
    assert DownloadWindow.objects.get().intervals == [[150_000, SIZE]]
    assert _downloads(episode) == 1


def test_probe_head_and_errors_are_not_downloads(episode: Episode) -> None:
    report = _ingest(
        line(episode, status=206, range_header="bytes=0-1", sent=SIZE)
        + line(episode, method="HEAD", sent=SIZE)
        + line(episode, status=404, sent=SIZE)
        + line(episode, status=304, sent=0)
    )
    assert report.downloads == 0
    assert report.skipped["not a delivery"] == 4
    assert DownloadWindow.objects.count() == 0


def test_a_200_counts_whatever_range_was_asked(episode: Episode) -> None:
    _ingest(line(episode, status=200, range_header="bytes=400000-", sent=SIZE))
    assert _downloads(episode) == 1


def test_same_listener_twice_in_24_hours_is_one_download(episode: Episode) -> None:
    _ingest(line(episode) + line(episode, at=T0 + timedelta(hours=23, minutes=59)))
    assert _downloads(episode) == 1


def test_same_listener_after_25_hours_is_two_downloads(episode: Episode) -> None:
    _ingest(line(episode) + line(episode, at=T0 + timedelta(hours=25)))
    assert _downloads(episode) == 2
    days = episode_downloads(episode=episode).days
    assert [(d.day, d.downloads) for d in days] == [
        (date(2026, 11, 3), 1),
        (date(2026, 11, 4), 1),
    ]


def test_24_hour_window_holds_across_midnight_and_its_new_salt(
    episode: Episode,
) -> None:
    late = T0.replace(hour=23, minute=50)
    _ingest(line(episode, at=late) + line(episode, at=late + timedelta(minutes=20)))
    assert _downloads(episode) == 1
    assert DaySalt.objects.count() >= 2


def test_lines_out_of_order_still_count_once_within_24_hours(
    episode: Episode,
) -> None:
    # Two workers' files, read one after the other.
    _ingest(line(episode, at=T0 + timedelta(hours=5)), name="a")
    _ingest(line(episode, at=T0), name="b")
    assert _downloads(episode) == 1


def test_different_listeners_count_apart(episode: Episode) -> None:
    _ingest(
        line(episode, addr="198.51.100.1")
        + line(episode, addr="198.51.100.2")
        + line(episode, addr="198.51.100.1", ua="AntennaPod/3.4.0")
    )
    assert _downloads(episode) == 3
    assert DailyEpisodeDownloads.objects.get().listeners == 3


def test_ipv6_addresses_of_one_64_are_one_listener(episode: Episode) -> None:
    _ingest(
        line(episode, addr="2001:db8:5:6::1")
        + line(episode, addr="2001:db8:5:6:abcd::9", at=T0 + timedelta(hours=1))
        + line(episode, addr="2001:db8:5:7::1", at=T0 + timedelta(hours=2))
    )
    assert _downloads(episode) == 2


def test_bot_and_watch_agents_are_not_downloads(episode: Episode) -> None:
    report = _ingest(
        line(episode, ua="Mozilla/5.0 (compatible; Googlebot/2.1)")
        + line(episode, ua="atc/1.0 watchOS/10.0")
        + line(episode, ua="")
    )
    assert report.downloads == 0
    assert (
        report.skipped["bot"],
        report.skipped["watch"],
        report.skipped["empty"],
    ) == (
        1,
        1,
        1,
    )


def test_private_feed_subscriber_is_one_listener_on_any_address(
    episode: Episode,
) -> None:
    _ingest(
        line(episode, listener="41", addr="198.51.100.1", sent=100_000)
        + line(
            episode,
            listener="41",
            addr="203.0.113.5",
            ua="Overcast/3.0",
            status=206,
            range_header="bytes=100000-",
            sent=200_000,
        )
    )
    assert _downloads(episode) == 1


def test_two_subscribers_behind_one_address_and_app_are_two_listeners(
    episode: Episode,
) -> None:
    """Each private feed's key names its subscriber (item 3 of issue 14): a
    household sharing an address and an app counts one download each."""
    _ingest(
        line(episode, listener="41", addr="198.51.100.1", ua="Overcast/3.0")
        + line(episode, listener="42", addr="198.51.100.1", ua="Overcast/3.0")
        + line(episode, addr="198.51.100.1", ua="Overcast/3.0")
    )
    days = episode_downloads(episode=episode).days
    assert [(d.downloads, d.listeners) for d in days] == [(3, 3)]


def test_show_rollup_counts_episodes_and_unique_listeners(
    show: Show, episode: Episode
) -> None:
    other = episode_make(show, "dos")
    _ingest(
        line(episode, addr="198.51.100.1")
        + line(other, addr="198.51.100.1")
        + line(other, addr="198.51.100.2")
    )
    row = DailyShowDownloads.objects.get()
    assert (row.downloads, row.listeners) == (3, 2)
    days = show_downloads_daily(
        show=show, since=date(2026, 11, 2), until=date(2026, 11, 4)
    )
    assert [(d.downloads, d.listeners) for d in days] == [(0, 0), (3, 2), (0, 0)]


def test_no_address_is_stored(episode: Episode) -> None:
    _ingest(line(episode, addr="198.51.100.77", ua="Overcast/3.0"))
    stored = [
        str(row)
        for model in (DownloadWindow, ListenerDay, LogCursor)
        for row in model.objects.values()
    ]
    assert stored
    assert not any("198.51.100.77" in text or "Overcast" in text for text in stored)


def test_old_salts_are_deleted(episode: Episode) -> None:
    _ingest(line(episode, at=T0 - timedelta(days=3)) + line(episode))
    assert DaySalt.objects.filter(day__lt=T0.date() - timedelta(days=1)).exists()
    analytics_forget(now=T0)
    assert set(DaySalt.objects.values_list("day", flat=True)) >= {T0.date()}
    assert not DaySalt.objects.filter(day__lt=T0.date() - timedelta(days=1)).exists()
    # The roll-ups stay.
    assert _downloads(episode) == 2


def test_malformed_lines_are_counted_and_reported_never_fatal(
    episode: Episode,
) -> None:
    report = _ingest(
        line(episode)
        + b"not json\n"
        + b'{"time": "2026-11-03T10:00:00", "status": 200}\n'
        + b"[1, 2]\n"
        + line(episode, addr="198.51.100.99")
    )
    assert (report.lines, report.malformed, report.downloads) == (5, 3, 2)
    assert report.malformed_at == [2, 3, 4]


def _log(episode: Episode, count: int) -> bytes:
    return b"".join(
        line(episode, addr=f"198.51.{i // 250}.{i % 250}", at=T0 + timedelta(seconds=i))
        for i in range(count)
    )


def test_the_same_log_read_twice_counts_once(episode: Episode, tmp_path: Path) -> None:
    path = tmp_path / "access.json"
    path.write_bytes(_log(episode, 30))
    with path.open("rb") as stream:
        assert log_ingest(stream=stream, name=str(path)).downloads == 30
    with path.open("rb") as stream:
        again = log_ingest(stream=stream, name=str(path))
    assert (again.lines, again.downloads, again.already) == (0, 0, 30)
    assert _downloads(episode) == 30


def test_a_log_that_grew_is_read_from_where_it_stopped(
    episode: Episode, tmp_path: Path
) -> None:
    data = _log(episode, 20)
    cut = data.index(b"\n", len(data) // 2) + 25  # mid-line
    path = tmp_path / "access.json"
    path.write_bytes(data[:cut])
    with path.open("rb") as stream:
        first = log_ingest(stream=stream, name=str(path))
    assert first.malformed == 0  # the half line waits for the rest
    path.write_bytes(data)
    with path.open("rb") as stream:
        second = log_ingest(stream=stream, name=str(path))
    assert first.lines + second.lines == 20
    assert _downloads(episode) == 20


def test_a_run_killed_mid_file_resumes_to_the_same_totals(
    episode: Episode,
) -> None:
    data = _log(episode, 50)
    real = ingest._batch_commit
    calls = 0

    def dies_on_the_third(**kwargs: object) -> None:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise KeyboardInterrupt  # as a kill: the batch's transaction is lost
        real(**kwargs)  # type: ignore[arg-type]

    with mock.patch.object(ingest, "_batch_commit", dies_on_the_third):
        with pytest.raises(KeyboardInterrupt):
            log_ingest(stream=io.BytesIO(data), name="log", batch_lines=10)
    assert _downloads(episode) == 20
    log_ingest(stream=io.BytesIO(data), name="log", batch_lines=10)
    log_ingest(stream=io.BytesIO(data), name="log", batch_lines=10)
    assert _downloads(episode) == 50
    assert LogCursor.objects.get().offset == len(data)


def test_stdin_like_stream_that_cannot_seek_resumes_too(episode: Episode) -> None:
    data = _log(episode, 10)

    class Pipe(io.BytesIO):
        def seekable(self) -> bool:
            return False

    log_ingest(stream=Pipe(data[: data.index(b"\n") + 1]), name="-")
    log_ingest(stream=Pipe(data), name="-")
    assert _downloads(episode) == 10


NGINX_LINE = (
    b'{"time":"2026-11-03T10:00:00+00:00","addr":"2001:db8::7","method":"GET",'
    b'"path":"/audio/%d.mp3","status":206,"range":"bytes=0-","bytes":%d,'
    b'"ua":"Overcast/3.0 (+http://overcast.fm/; iOS podcast app)",'
    b'"audio":"","listener":""}\n'
)


def test_a_line_as_nginx_writes_it_is_ingested(episode: Episode) -> None:
    # nginx's public audio location: the id is in the path, no upstream header.
    report = _ingest(NGINX_LINE % (episode.audio_id, 250_000))
    assert (report.malformed, report.downloads) == (0, 1)


@pytest.mark.django_db(transaction=True)
def test_a_listener_is_stored_once_per_day_for_the_show_and_for_each_episode(
    episode: Episode,
) -> None:
    """The database itself refuses a second row, the show's (no episode) too:
    a constraint with nulls_distinct=False would not be enforced on SQLite."""
    day = date(2026, 11, 2)
    ListenerDay.objects.create(day=day, show=episode.show, episode=None, listener="a")
    ListenerDay.objects.create(
        day=day, show=episode.show, episode=episode, listener="a"
    )
    for again in (None, episode):
        with pytest.raises(IntegrityError), transaction.atomic():
            ListenerDay.objects.create(
                day=day, show=episode.show, episode=again, listener="a"
            )
    ListenerDay.objects.create(day=day, show=episode.show, episode=None, listener="b")
    assert ListenerDay.objects.filter(episode=None).count() == 2


def test_a_window_kept_across_batches_is_written_again_not_twice(
    episode: Episode,
) -> None:
    """One range per batch: the run keeps the window between its batches and
    writes it back under the id its first batch was given."""
    data, chunk = _five_ranges_past_a_minute(episode)
    report = log_ingest(stream=io.BytesIO(data), name="log", batch_lines=1)
    assert report.downloads == 1
    window = DownloadWindow.objects.get()
    assert window.intervals == [[0, 5 * chunk]]


def test_another_run_between_two_batches_is_seen_by_the_next_one(
    episode: Episode,
) -> None:
    """Two logs of one listener read at once (two nodes' logs, say): a run's
    next batch reads again the windows another run wrote since its last, so
    the download the other run counted is not counted twice."""
    half = MINUTE // 2 + 1

    def part(n: int, at: int) -> bytes:
        return line(
            episode,
            at=T0 + timedelta(seconds=at),
            status=206,
            range_header=f"bytes={n * half}-{(n + 1) * half - 1}",
            sent=half,
        )

    first_log = part(0, 0) + part(1, 20)
    other_log = part(2, 10)
    real = ingest._batch_commit
    calls = 0

    def other_run_after_the_first_batch(**kwargs: object) -> None:
        nonlocal calls
        real(**kwargs)  # type: ignore[arg-type]
        calls += 1
        if calls == 1:
            assert log_ingest(stream=io.BytesIO(other_log), name="b").downloads == 1

    with mock.patch.object(ingest, "_batch_commit", other_run_after_the_first_batch):
        report = log_ingest(stream=io.BytesIO(first_log), name="a", batch_lines=1)
    assert report.downloads == 0  # the other run counted it
    assert _downloads(episode) == 1
    assert DownloadWindow.objects.count() == 1


def test_forgetting_old_windows_makes_a_run_read_its_windows_again(
    episode: Episode,
) -> None:
    run = ingest._Run()
    with transaction.atomic():
        version = ingest._windows_version_take()
    run.version = version + 1
    run.windows[(episode.pk, "a:198.51.100.7")] = []
    analytics_forget(now=T0)
    with transaction.atomic():
        run.windows_check(ingest._windows_version_take())
    assert run.windows == {}
