#!/usr/bin/env bash
# Lifeline PBX on a fresh Debian machine, as root. Installs only what is missing.
#   ./dev.sh up      the whole hotline with demo data (Ctrl-C stops all of it)
#   ./dev.sh test    the whole test suite (extra arguments go to pytest)
#   ./dev.sh check   lint and types (ruff, mypy --strict)
#   ./dev.sh asterisk-root [DIR]   only the Asterisk 22 root a server runs (README,
#                    "Installing on one server"), in DIR (default
#                    /var/lib/lifeline-pbx/asterisk-root, not the cached root the demo and
#                    the tests share): built once, its path printed; nothing else installed
set -euo pipefail
cd "$(dirname "$0")"
VENV=${LIFELINE_VENV:-.venv}

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

install_system_packages() {
    local missing=()
    command -v python3 >/dev/null || missing+=(python3)
    python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || missing+=(python3)
    python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv)
    compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || command -v initdb >/dev/null || missing+=(postgresql)
    command -v asterisk >/dev/null || [ -e /var/cache/lifeline-pbx/asterisk-root/.lifeline-ready ] \
        || command -v debootstrap >/dev/null || missing+=(debootstrap)
    command -v espeak-ng >/dev/null || missing+=(espeak-ng)
    command -v sox >/dev/null || missing+=(sox)
    command -v ffmpeg >/dev/null || missing+=(ffmpeg)  # uploaded prompts: MP3, OGG, M4A
    command -v baresip >/dev/null || missing+=(baresip-core)  # the test softphone
    # browser tests (Playwright): the headless shell, a third of the full browser's CPU
    command -v chromium-headless-shell >/dev/null || missing+=(chromium-headless-shell)
    command -v runuser >/dev/null || missing+=(util-linux)
    if [ ${#missing[@]} -gt 0 ]; then
        say "installing Debian packages: ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
}

install_python_packages() {
    local stamp="$VENV/.lifeline-deps"
    local want
    want=$(sha256sum pyproject.toml | cut -d' ' -f1)
    if [ ! -x "$VENV/bin/python" ]; then
        say "creating the Python environment in $VENV"
        python3 -m venv "$VENV"
    fi
    if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
        say "installing Python dependencies"
        "$VENV/bin/python" -m pip install -q --upgrade pip
        "$VENV/bin/python" -m pip install -q -e '.[dev]'
        echo "$want" > "$stamp"
    fi
}

[ "$(id -u)" = 0 ] || { echo "dev.sh installs packages and starts Asterisk: run it as root" >&2; exit 1; }
if [ "${1:-}" = asterisk-root ]; then
    # Debian 12 has no asterisk package: Debian unstable's, in a root of its own (devstack).
    if ! command -v debootstrap >/dev/null || ! command -v python3 >/dev/null; then
        say "installing Debian packages: debootstrap python3"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            debootstrap python3 >/dev/null
    fi
    shift
    say "the Asterisk 22 root (built on first use: about a minute and 500 MB)"
    exec python3 -m devstack asterisk-root "$@"
fi
install_system_packages
install_python_packages

case "${1:-}" in
    up)
        shift
        exec "$VENV/bin/python" -m devstack up "$@"
        ;;
    test)
        shift
        # Compiled modules kept between processes: with PYTHONDONTWRITEBYTECODE set (some
        # images set it), a clean clone would compile the package again in every worker
        # (about a second of CPU each).
        unset PYTHONDONTWRITEBYTECODE
        exec "$VENV/bin/python" -m pytest "$@"
        ;;
    check)
        "$VENV/bin/ruff" check .
        "$VENV/bin/mypy"
        ;;
    *)
        echo "usage: ./dev.sh up | test [pytest args] | check | asterisk-root [DIR]" >&2
        exit 2
        ;;
esac
