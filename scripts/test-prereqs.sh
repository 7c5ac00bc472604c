#!/bin/sh
# What the tests need beyond Node, brought by `make test` itself (issue #20, item 9): on a
# fresh machine the suite failed on a missing chromium, and only .ci/run knew to install it.
#
#   lsof, ps         the macOS-style process fallback (tested on Linux by forcing it)
#   gunicorn         the real multi-process server tests
#   systemd-analyze  `systemd-analyze verify` of the units `uiprocs export systemd` writes
#   python3          the fork-bomb fixture of the limits tests
#   zsh, fish        the TAB completion tests call the scripts of `uiprocs completion` in
#                    each shell (bash is always there)
#   chromium         the dashboard's browser tests (playwright-core drives Debian's build:
#                    no browser download is possible here)
#
# All present: prints nothing, does nothing. Missing, as root: installs them with apt-get,
# quietly (one line says what; apt's output only if it fails). Missing, not root: one line
# with the exact command to run, and exit 1, before any test runs.
#
# UIPROCS_PREREQS_DRY_RUN=1 prints the apt-get command instead of running it (a test's way
# to see what a fresh machine would get without installing anything).
set -u

missing=''
need() { command -v "$1" >/dev/null 2>&1 || missing="$missing $2"; }
need lsof lsof
need ps procps
need gunicorn gunicorn
need systemd-analyze systemd
need python3 python3
need zsh zsh
need fish fish
need chromium chromium
[ -z "$missing" ] && exit 0
missing=${missing# }

install="apt-get install -y -qq --no-install-recommends $missing"
if [ "$(id -u)" != 0 ]; then
  echo "make test needs: $missing; install them as root: apt-get update && $install" >&2
  exit 1
fi
if [ "${UIPROCS_PREREQS_DRY_RUN:-}" = 1 ]; then
  echo "would run: apt-get update -qq && $install" >&2
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "make test needs: $missing (no apt-get here: install them with this system's package manager)" >&2
  exit 1
fi

echo "make test: installing $missing (apt-get)" >&2
log=$(mktemp)
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086 # $missing is a list of package names
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing; } >"$log" 2>&1; then
  cat "$log" >&2
  rm -f "$log"
  echo "make test: apt-get could not install $missing" >&2
  exit 1
fi
rm -f "$log"
