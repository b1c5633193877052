"""The `ondas` command: serve, deploy, demo, doctor, and Django's own commands."""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Sequence


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ondas.settings")
    import django

    django.setup()


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

    site = nginx_site_from_settings(
        listen=args.listen,
        http_listen=args.http_listen,
        server_name=args.server_name,
        certificate=args.certificate,
        certificate_key=args.certificate_key,
        upstream=args.upstream,
        access_log=args.access_log,
        audio_log=args.audio_log,
        max_body_size=args.max_body_size,
        cache_dir=args.cache_dir,
    )
    try:
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


def _cmd_manage(args: argparse.Namespace) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ondas.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["ondas manage", *args.rest])
    return 0


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


def _cmd_analytics(args: argparse.Namespace) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ondas.settings")
    from django.core.management import execute_from_command_line

    command = {"ingest": "analytics_ingest"}[args.action]
    execute_from_command_line(["ondas analytics", command, *args.rest])
    return 0


# `ondas worker`'s options, each passed to django-tasks-db's ``db_worker`` under
# the same name; one that is not given keeps db_worker's own default.
_WORKER_VALUE_OPTIONS = (
    "queue_name",
    "exclude_queues",
    "interval",
    "max_tasks",
    "worker_id",
    "verbosity",
)


def _worker_argv(args: argparse.Namespace) -> list[str]:
    """db_worker's command line for the options given to `ondas worker`."""
    argv: list[str] = []
    for dest in _WORKER_VALUE_OPTIONS:
        value = getattr(args, dest)
        if value is not None:
            argv += [f"--{dest.replace('_', '-')}", str(value)]
    if args.batch:
        argv.append("--batch")
    if not args.startup_delay:
        argv.append("--no-startup-delay")
    if args.reload is not None:
        argv.append("--reload" if args.reload else "--no-reload")
    return argv


def _cmd_worker(args: argparse.Namespace) -> int:
    _setup_django()
    from django.core.management import execute_from_command_line
    from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
    from django_tasks_db.backend import DatabaseBackend

    if not isinstance(task_backends[DEFAULT_TASK_BACKEND_ALIAS], DatabaseBackend):
        print(
            "ondas worker: the task backend runs tasks inline "
            "(ONDAS_TASKS_BACKEND=immediate), so there is no queue to work; "
            "unset it to queue tasks in the database.",
            file=sys.stderr,
        )
        return 2
    execute_from_command_line(["ondas worker", "db_worker", *_worker_argv(args)])
    return 0


def _cmd_feeds(args: argparse.Namespace) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ondas.settings")
    from django.core.management import execute_from_command_line

    command = {"import": "feeds_import", "refresh": "feeds_refresh"}[args.action]
    if args.action == "refresh" and "--due" in args.rest:
        command = "feeds_refresh_due"
        args.rest = [a for a in args.rest if a != "--due"]
    execute_from_command_line(["ondas feeds", command, *args.rest])
    return 0


def _cmd_studio(args: argparse.Namespace) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ondas.settings")
    from django.core.management import execute_from_command_line

    command = {"grant": "studio_grant"}[args.action]
    execute_from_command_line(["ondas studio", command, *args.rest])
    return 0


def _cmd_books(args: argparse.Namespace) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ondas.settings")
    from django.core.management import execute_from_command_line

    command = {"import": "books_import"}[args.action]
    execute_from_command_line(["ondas books", command, *args.rest])
    return 0


def _cmd_search(args: argparse.Namespace) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ondas.settings")
    from django.core.management import execute_from_command_line

    command = {"reindex": "search_reindex"}[args.action]
    execute_from_command_line(["ondas search", command, *args.rest])
    return 0


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number") from None
    if not math.isfinite(seconds) or seconds < 0:
        raise argparse.ArgumentTypeError(f"{value!r}: must be 0 or more seconds")
    return seconds


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value!r}: must be 1 or more")
    return number


def _worker_id(value: str) -> str:
    if not 0 < len(value) <= 64:
        raise argparse.ArgumentTypeError("a worker id has 1 to 64 characters")
    return value


def _worker_arguments(worker: argparse.ArgumentParser) -> None:
    """django-tasks-db's ``db_worker`` options (tests/ops keeps them in step)."""
    worker.add_argument(
        "--batch",
        action="store_true",
        help="run every task waiting now, then exit (0) instead of waiting for more",
    )
    worker.add_argument(
        "--interval",
        type=_seconds,
        metavar="SECONDS",
        help="how long to wait before looking again when the queue is empty "
        "(default: 1)",
    )
    worker.add_argument(
        "--queue-name",
        metavar="NAMES",
        help="queues to run, separated by commas; '*' for all (default: default)",
    )
    worker.add_argument(
        "--exclude-queues",
        metavar="NAMES",
        help="with --queue-name '*': queues to leave alone, separated by commas",
    )
    worker.add_argument(
        "--max-tasks",
        type=_positive_int,
        metavar="N",
        help="exit (0) after running this many tasks, e.g. to recycle the process",
    )
    worker.add_argument(
        "--worker-id",
        type=_worker_id,
        metavar="ID",
        help="this worker's name in task results, unique among workers "
        "(default: random)",
    )
    worker.add_argument(
        "--no-startup-delay",
        action="store_false",
        dest="startup_delay",
        help="start at once, without the random delay of up to 1 s that keeps "
        "many workers from starting together",
    )
    worker.add_argument(
        "--reload",
        action=argparse.BooleanOptionalAction,
        help="restart when the code changes (default: on only with ONDAS_DEBUG)",
    )
    worker.add_argument(
        "-v",
        "--verbosity",
        type=int,
        choices=[0, 1, 2, 3],
        help="0 quiet, 1 a line per task (default), 2 and 3 debug",
    )


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
        default=f"{os.environ.get('ONDAS_HOST', '127.0.0.1')}:"
        f"{os.environ.get('ONDAS_PORT', '8000')}",
        help="where `ondas serve` listens",
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

    feeds = sub.add_parser(
        "feeds",
        help="import a show from an RSS/Atom URL; refresh feeds (ids, --all, --due)",
    )
    feeds.add_argument("action", choices=["import", "refresh"])
    feeds.add_argument("rest", nargs=argparse.REMAINDER)
    feeds.set_defaults(func=_cmd_feeds)

    studio = sub.add_parser(
        "studio",
        help="creators' shows: grant EMAIL SLUG --role owner|editor|analyst [--book]",
    )
    studio.add_argument("action", choices=["grant"])
    studio.add_argument("rest", nargs=argparse.REMAINDER)
    studio.set_defaults(func=_cmd_studio)

    books = sub.add_parser(
        "books",
        help="audiobooks: import DIR [--owner EMAIL] (a book per directory)",
    )
    books.add_argument("action", choices=["import"])
    books.add_argument("rest", nargs=argparse.REMAINDER)
    books.set_defaults(func=_cmd_books)

    search = sub.add_parser("search", help="the search index: reindex (rebuild it)")
    search.add_argument("action", choices=["reindex"])
    search.add_argument("rest", nargs=argparse.REMAINDER)
    search.set_defaults(func=_cmd_search)

    analytics = sub.add_parser(
        "analytics",
        help="downloads: ingest FILE|- (a JSON delivery log) or --serve-logs",
    )
    analytics.add_argument("action", choices=["ingest"])
    analytics.add_argument("rest", nargs=argparse.REMAINDER)
    analytics.set_defaults(func=_cmd_analytics)

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
