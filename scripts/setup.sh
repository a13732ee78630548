#!/usr/bin/env bash
# Install everything voicecoach needs on Debian 12: system packages and a virtualenv
# (.venv) holding the project and its development tools. Safe to run again: it only
# does what is missing. Set PYTHON to choose the interpreter (default python3, 3.11+).
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  python3-venv          # virtualenvs on Debian
  espeak-ng libespeak-ng1  # pyttsx3's speech engine on Linux; test speech
  libportaudio2         # sounddevice
  sox                   # test audio: resampling, noise, reverb
  pulseaudio pulseaudio-utils libasound2-plugins alsa-utils  # virtual devices in tests
)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.voicecoach-installed
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: installing the project into .venv" >&2
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[dev]"
  echo "$want" >"$stamp"
fi
