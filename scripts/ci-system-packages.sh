#!/usr/bin/env bash
# Installs the Debian packages the test suite needs, only those missing; safe to run again and again.
#   postgresql: a real server the audit-log tests start (tests/agent/conftest.py), as the `postgres` user.
#   espeak-ng: the fallback voice (DE_VOICE_TTS_ZH=espeak-ng), run as a subprocess (voice/); tested for real.
#   chromium, fonts-noto-cjk: the browser tests drive Debian's Chromium through Playwright (tests/ui/
#     test_browser.py; no browser download) and need CJK fonts to render the Chinese pages (and the OCR tests
#     draw their scans with them).
#   tesseract-ocr, -chi-tra, -chi-sim: the OCR engine that reads scanned Traditional Chinese pages best
#     (knowledge/formats/ocr.py; without it OCR falls back to RapidOCR from the wheel).
#   libgl1: OpenCV (under RapidOCR) links libGL even without a display.
# Usage: scripts/ci-system-packages.sh [PACKAGE...]   (root, or a user with sudo); no names: all of them.
set -euo pipefail

PACKAGES=(postgresql espeak-ng chromium fonts-noto-cjk tesseract-ocr tesseract-ocr-chi-tra tesseract-ocr-chi-sim libgl1)
if [ "$#" -gt 0 ]; then
    PACKAGES=("$@")
fi

missing=()
for package in "${PACKAGES[@]}"; do
    if ! dpkg -s "$package" 2>/dev/null | grep -q '^Status: install ok installed$'; then
        missing+=("$package")
    fi
done

if [ "${#missing[@]}" -eq 0 ]; then
    echo "system packages present: ${PACKAGES[*]}"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "missing system packages: ${missing[*]}; this script needs apt-get (Debian/Ubuntu)." >&2
    echo "Install them with your system's package manager, then rerun the tests." >&2
    exit 1
fi

as_root=()
if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
        echo "missing system packages: ${missing[*]}; run this script as root (sudo is not available)." >&2
        exit 1
    fi
    as_root=(sudo)
fi

echo "installing system packages: ${missing[*]}"
${as_root[@]+"${as_root[@]}"} apt-get update -q
${as_root[@]+"${as_root[@]}"} env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends "${missing[@]}"
