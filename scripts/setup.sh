#!/usr/bin/env bash
# Install everything voicecoach needs on Debian 12: system packages and a virtualenv
# (.venv) holding the project and its development tools. Safe to run again: it only
# does what is missing. Set PYTHON to choose the interpreter (default python3, 3.11+).
# It says in a line what it installs and keeps the installers' chatter back; a step
# that fails shows its errors.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "setup: $*" >&2; }

# Run a command with its output held back; show that output only if the command fails.
quietly() {
  local log status=0
  log=$(mktemp)
  "$@" >"$log" 2>&1 || status=$?
  if ((status)); then
    cat "$log" >&2
    say "failed (exit $status): $*"
  fi
  rm -f "$log"
  return "$status"
}

APT_PACKAGES=(
  python3-venv          # virtualenvs on Debian
  espeak-ng libespeak-ng1  # pyttsx3's speech engine on Linux; test speech
  libportaudio2         # sounddevice
  libspeexdsp1          # the echo canceller (voicecoach/audio/echo.py)
  sox                   # test audio: resampling, noise, reverb
  pulseaudio pulseaudio-utils libasound2-plugins alsa-utils  # virtual devices in tests
)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)  # sudo asks for a password on the terminal itself
  say "installing Debian packages: ${missing[*]}"
  # apt and dpkg print progress, debconf notes and man-page warnings even with -qq.
  quietly "${sudo[@]}" apt-get update -qq
  quietly "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  say "creating .venv with $("$PYTHON" --version 2>&1)"
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.voicecoach-installed
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  say "installing the project into .venv: voicecoach (editable), its dependencies, dev tools"
  # -qq: errors only; a failing install still says why. The warnings it drops are index
  # locations in the machine's pip configuration and setuptools' notes on editable installs.
  pip=(.venv/bin/python -m pip -qq --disable-pip-version-check)
  "${pip[@]}" install --upgrade pip
  "${pip[@]}" install -e ".[dev]"
  echo "$want" >"$stamp"
  say "ready: .venv/bin/voicecoach"
fi
