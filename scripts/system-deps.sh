#!/usr/bin/env bash
# System packages the test suite needs: Debian's Chromium (browser tests) and a running
# PostgreSQL at 127.0.0.1:5432 (the second database leg). Installs only what is missing.
set -euo pipefail

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
command -v pg_isready >/dev/null 2>&1 || need+=(postgresql-client)
# Chinese glyphs for the browser (screenshots, wall mode); without them 中文 renders as boxes.
[ -d /usr/share/fonts/opentype/noto ] || need+=(fonts-noto-cjk)
# pdftoppm / pdftotext: looking at the reviews' PDF pages (docs/reviews.md)
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "system-deps: please install: ${need[*]} (apt-get install -y ${need[*]})" >&2
    exit 1
  fi
  echo "system-deps: installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  # The machines of this project run a local PostgreSQL cluster; start it if it stopped.
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  fi
  for _ in $(seq 1 20); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.5; done
fi
pg_isready -h 127.0.0.1 -p 5432 || { echo "system-deps: PostgreSQL at 127.0.0.1:5432 is not reachable" >&2; exit 1; }
# A streaming read replica of that server on 127.0.0.1:5433 (the read-replica tests).
bash "$(dirname "$0")/pg-replica.sh"
