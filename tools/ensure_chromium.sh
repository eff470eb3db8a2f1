#!/usr/bin/env bash
# Make sure Debian's Chromium is there for the browser tests (tests/browser): install it with
# apt-get when /usr/bin/chromium (or $COURSE_CHROMIUM) is missing. playwright drives this
# system Chromium; `playwright install` (a download of its own browsers) is never needed.
#
#   tools/ensure_chromium.sh      # no-op when Chromium is installed; exit 1 with advice if it
#                                 # is missing and cannot be installed
set -euo pipefail

CHROMIUM="${COURSE_CHROMIUM:-/usr/bin/chromium}"

if [ -x "$CHROMIUM" ]; then
    exit 0
fi

advice="Install it yourself (Debian/Ubuntu: 'sudo apt-get install chromium'; elsewhere any
Chromium or Chrome) and point COURSE_CHROMIUM at its binary if it is not /usr/bin/chromium."

if [ -n "${COURSE_CHROMIUM:-}" ]; then
    echo "ensure_chromium: COURSE_CHROMIUM=$CHROMIUM is not an executable file." >&2
    exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure_chromium: $CHROMIUM is missing and this system has no apt-get. $advice" >&2
    exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO="sudo -n"
    else
        echo "ensure_chromium: $CHROMIUM is missing, and installing it needs root" \
             "(apt-get install chromium). $advice" >&2
        exit 1
    fi
fi

echo "ensure_chromium: $CHROMIUM is missing; installing Debian's chromium with apt-get ..."
if ! { $SUDO apt-get update -qq && \
       DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
           chromium; }; then
    echo "ensure_chromium: apt-get could not install chromium (offline? no such package on" \
         "this distribution: Ubuntu ships it as a snap). $advice" >&2
    exit 1
fi
if [ ! -x "$CHROMIUM" ]; then
    echo "ensure_chromium: apt-get finished but $CHROMIUM is still missing. $advice" >&2
    exit 1
fi
echo "ensure_chromium: installed $("$CHROMIUM" --version 2>/dev/null || echo chromium)"
