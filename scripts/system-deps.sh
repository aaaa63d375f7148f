#!/usr/bin/env bash
# Debian packages the tests use: ffmpeg (audio conversion and probing), espeak-ng (offline
# Swedish/English speech), chromium + chromium-driver (the web page's browser tests).
# Installs only what is missing; without root it says what to install and goes on.
set -euo pipefail
need=()
command -v ffmpeg >/dev/null 2>&1 || need+=(ffmpeg)
command -v espeak-ng >/dev/null 2>&1 || need+=(espeak-ng)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian packages: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
else
  echo "note: please install these Debian packages for the full test suite: ${need[*]}" >&2
  echo "      (sudo apt-get install ${need[*]}); tests that need them will be skipped." >&2
fi
