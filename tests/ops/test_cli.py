from datetime import timedelta

import pytest
from django.utils.timezone import now as timezone_now
from pytest_django.fixtures import Settings

from ondas.accounts.reset import password_reset_email_task
from ondas.ops.cli import _COMMAND_GROUPS, _cmd_group, build_parser, main
from ondas.ops.doctor import (
    check_media_writable,
    check_sendfile,
    check_task_queue,
    doctor_report,
)


def test_serve_options_have_defaults() -> None:
    args = build_parser().parse_args(["serve", "--port", "9001", "--workers", "3"])
    assert (args.host, args.port, args.workers) == ("127.0.0.1", 9001, 3)


def test_every_group_action_names_a_management_command() -> None:
    from django.core.management import get_commands

    known = get_commands()
    for group, (_help, actions) in _COMMAND_GROUPS.items():
        for action, command in actions.items():
            assert command in known, (group, action, command)
            args = build_parser().parse_args([group, action, "x", "--flag"])
            assert (args.func, args.action, args.rest) == (
                _cmd_group,
                action,
                ["x", "--flag"],
            )
    assert "feeds_refresh_due" in known


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["feeds", "refresh", "--due"], ["ondas feeds", "feeds_refresh_due"]),
        (["feeds", "refresh", "3", "4"], ["ondas feeds", "feeds_refresh", "3", "4"]),
        (
            ["payouts", "close", "2026-11"],
            ["ondas payouts", "payouts_close", "2026-11"],
        ),
        (["search", "reindex"], ["ondas search", "search_reindex"]),
    ],
)
def test_group_actions_reach_their_command(
    argv: list[str], expected: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[list[str]] = []
    monkeypatch.setattr("django.core.management.execute_from_command_line", seen.append)
    assert main(argv) == 0
    assert seen == [expected]


def test_unknown_command_exits_with_usage(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc_info:
        main(["fly"])
    assert exc_info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


@pytest.mark.django_db
def test_doctor_reports_every_check(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    for name in ("python", "django", "database", "media storage", "sendfile"):
        assert name in out
    assert "FAIL" not in out


def test_sendfile_check_really_sends_bytes() -> None:
    check = check_sendfile()
    assert check.ok is True
    assert "sendfile" in check.detail


def test_media_check_fails_on_unwritable_root(
    settings: object, tmp_path: object
) -> None:
    from pathlib import Path

    blocker = Path(str(tmp_path)) / "file-not-dir"
    blocker.write_text("x")
    settings.MEDIA_ROOT = str(blocker / "media")  # type: ignore[attr-defined]
    check = check_media_writable()
    assert check.ok is False
    assert "not writable" in check.detail


@pytest.mark.django_db
def test_doctor_flags_pending_migrations(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.db.migrations.executor import MigrationExecutor

    monkeypatch.setattr(
        MigrationExecutor, "migration_plan", lambda self, targets: [("fake", False)]
    )
    database = {c.name: c for c in doctor_report()}["database"]
    assert database.ok is False
    assert "pending" in database.detail


@pytest.mark.django_db
def test_manage_runs_django_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["manage", "check"]) == 0
    assert "no issues" in capsys.readouterr().out


@pytest.mark.django_db
def test_doctor_warns_when_queued_tasks_wait_with_no_worker(
    settings: Settings,
) -> None:
    """Emails and feed work queue up unseen when no `ondas worker` runs."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.backend.DatabaseBackend"}}
    assert check_task_queue().detail.startswith("no task waiting")

    password_reset_email_task.enqueue(email="nobody@example.com", language="en")
    fresh = check_task_queue()
    assert fresh.mark == "ok" and "1 task(s) waiting" in fresh.detail
    later = check_task_queue(now=timezone_now() + timedelta(minutes=11))
    assert later.mark == "warn"
    assert "is `ondas worker` running?" in later.detail


def test_doctor_says_inline_tasks_need_no_worker() -> None:
    check = check_task_queue()
    assert check.mark == "ok" and "inline" in check.detail
