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
step "migrations"
$BIN/ondas manage makemigrations --check --dry-run >/dev/null
ONDAS_ALLOWED_HOSTS=ondas.example ONDAS_SECURE_COOKIES=1 \
  $BIN/ondas manage check --deploy --fail-level ERROR

step "pytest on SQLite"
$BIN/pytest -q -p no:cacheprovider "$@"

step "pytest on PostgreSQL"
scripts/throwaway-postgres.sh $BIN/pytest -q -p no:cacheprovider "$@"
