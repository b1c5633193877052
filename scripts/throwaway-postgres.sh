#!/usr/bin/env bash
# Start a throwaway PostgreSQL cluster on 127.0.0.1, run a command with
# DATABASE_URL pointing at it, then stop and delete the cluster.
#   scripts/throwaway-postgres.sh CMD [ARGS...]
set -euo pipefail

bindir=$(dirname "$(compgen -G '/usr/lib/postgresql/*/bin/initdb' | sort -V | tail -n 1)")
[ -x "$bindir/initdb" ] || { echo "PostgreSQL is not installed (run: make system-deps)" >&2; exit 1; }

dir=$(mktemp -d "${TMPDIR:-/tmp}/ondas-pg.XXXXXX")
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
  chown postgres: "$dir"
  as_pg=(runuser -u postgres --)
  # PostgreSQL refuses to run as root, so the server runs as "postgres", which
  # must be able to walk down to its binaries. A root directory made with
  # mode 0700 (as some chroot and container builders do) forbids that.
  if ! "${as_pg[@]}" test -x "$bindir/initdb"; then
    for d in / /usr /usr/lib "$(dirname "$bindir")" "$bindir" "$(dirname "$dir")"; do
      if [ "$(stat -c %a "$d" | cut -c3)" = 0 ] || ! "${as_pg[@]}" test -x "$d"; then
        echo "Making $d traversable for the postgres user (it was $(stat -c %a "$d"))."
        chmod o+x "$d"
      fi
    done
  fi
fi

stop() {
  "${as_pg[@]}" "$bindir/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap stop EXIT

"${as_pg[@]}" "$bindir/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-sync >/dev/null
"${as_pg[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
  -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
  start >/dev/null
echo "PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"

DATABASE_URL="postgres://postgres@127.0.0.1:$port/ondas" "$@"
