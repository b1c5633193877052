#!/usr/bin/env bash
# Install the Debian packages a target needs, only when something is missing.
#   scripts/system-deps.sh test   chromium (browser tests), PostgreSQL, strace,
#                                 nginx, h2load, openssl (ops tests), nodejs,
#                                 ffmpeg (studio: M4A, Ogg and FLAC test files),
#                                 espeak-ng (search: speech to transcribe),
#                                 redis-server (the shared cache, killed mid-traffic)
#   scripts/system-deps.sh bench  nginx, wrk and h2load
set -euo pipefail

want=()
case "${1:-test}" in
  test)
    [ -x /usr/bin/chromium ] || want+=(chromium fonts-dejavu-core)
    # Playwright's bundled node driver links against libatomic.
    ldconfig -p 2>/dev/null | grep -q 'libatomic.so.1 ' || want+=(libatomic1)
    compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || want+=(postgresql)
    command -v strace >/dev/null || want+=(strace)
    # ops: the nginx site and HTTP/2 load (h2load) are tested for real
    [ -x /usr/sbin/nginx ] || want+=(nginx-light)
    command -v h2load >/dev/null || want+=(nghttp2-client)
    command -v openssl >/dev/null || want+=(openssl)
    # the translation test runs makemessages; the unit test runs systemd-analyze
    command -v xgettext >/dev/null || want+=(gettext)
    command -v systemd-analyze >/dev/null || want+=(systemd)
    # the players' shared logic is tested with Node's built-in test runner
    command -v node >/dev/null || want+=(nodejs)
    # the upload checks are tested on real M4A, AAC, Opus, Vorbis and FLAC files
    command -v ffmpeg >/dev/null || want+=(ffmpeg)
    # the transcription tests transcribe English that espeak-ng speaks
    command -v espeak-ng >/dev/null || want+=(espeak-ng)
    # the shared cache and API limit are tested against a real Redis
    command -v redis-server >/dev/null || want+=(redis-server)
    ;;
  bench)
    [ -x /usr/sbin/nginx ] || want+=(nginx-light)
    command -v wrk >/dev/null || want+=(wrk)
    command -v h2load >/dev/null || want+=(nghttp2-client)
    ;;
  *) echo "usage: $0 test|bench" >&2; exit 2 ;;
esac

[ ${#want[@]} -eq 0 ] && exit 0

echo "Installing Debian packages: ${want[*]}"
sudo=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "Need root (or sudo) to install: ${want[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${want[@]}"
