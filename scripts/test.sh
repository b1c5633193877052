#!/usr/bin/env bash
# Everything CI checks: lint, types, architecture rules, migrations, then the
# whole test suite on SQLite and again on a throwaway PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin

scratch=$(mktemp -d "${TMPDIR:-/tmp}/ondas-test.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
export ONDAS_DATA_DIR="$scratch/data" ONDAS_SECRET_KEY="test-only-not-secret"
unset DATABASE_URL

step() { printf '\n== %s\n' "$*"; }

# nginx and PostgreSQL run as their own users in the tests and must be able to
# walk down from /. A root directory of mode 0700 (as chroots made with mktemp
# have) forbids that; open it for traversal only.
if [ "$(id -u)" -eq 0 ] && [ "$(( 0$(stat -c %a /) & 1 ))" -eq 0 ]; then
  echo "Making / traversable for service users (it was $(stat -c %a /))."
  chmod o+x /
fi

step "ruff"
$BIN/ruff check src tests bench scripts
$BIN/ruff format --check src tests bench scripts
step "mypy"
$BIN/mypy
step "architecture"
$BIN/python scripts/check_architecture.py
step "javascript"
node --test tests/js/*.test.mjs
step "migrations"
$BIN/ondas manage makemigrations --check --dry-run >/dev/null
# No new migration that breaks the release still running (a drop, a rename, a
# NOT NULL column it does not fill) unless marked as a contract step.
$BIN/python scripts/check_migrations.py
ONDAS_ALLOWED_HOSTS=ondas.example ONDAS_SECURE_COOKIES=1 \
  $BIN/ondas manage check --deploy --fail-level ERROR

# Tests that do not start servers run on every core (pytest-xdist; each worker
# has its own test database). Those that start real servers and time signals,
# reloads or slow clients (marked slow) run one at a time afterwards, so a
# neighbour's browser or server cannot steal the CPU their deadlines assume.
# ONDAS_TEST_WORKERS=0 runs everything in one process. On the PostgreSQL pass
# the slow tests that never open the test database are not run again (their
# servers run on SQLite whatever DATABASE_URL says; see tests/conftest.py).
workers=${ONDAS_TEST_WORKERS:-$(nproc)}
run_pytest() {
  local status=0
  "$@" $BIN/pytest -q -p no:cacheprovider -n "$workers" -m "not slow" "${args[@]}" || status=$?
  [ "$status" -eq 0 ] || [ "$status" -eq 5 ] || return "$status"
  status=0
  "$@" $BIN/pytest -q -p no:cacheprovider -m slow "${args[@]}" || status=$?
  # 5: no slow test among the ones asked for.
  [ "$status" -eq 0 ] || [ "$status" -eq 5 ] || return "$status"
}
args=("$@")

step "pytest on SQLite"
run_pytest

step "pytest on PostgreSQL"
run_pytest scripts/throwaway-postgres.sh
