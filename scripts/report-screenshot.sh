#!/usr/bin/env bash
# Makes docs/report.png, the README's picture of a report: the HTML report of the test vector
# fixtures/vectors/good.zip (trusted key, times in UTC), as headless Chromium shows its first
# 1200 x 1600 pixels. Needs chromium (apt-get install chromium).
#
#   scripts/report-screenshot.sh [OUT.png]      # default docs/report.png
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-docs/report.png}
command -v chromium >/dev/null || { echo "chromium is missing: apt-get install chromium" >&2; exit 2; }
cargo build --release --locked
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
target/release/earwitness report fixtures/vectors/good.zip \
  --trust fixtures/vectors/key.pub --tz UTC --out "$scratch/report.html"
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync --hide-scrollbars \
  --user-data-dir="$scratch/profile" --window-size=1200,1600 \
  --screenshot="$PWD/$out" "file://$scratch/report.html" 2>/dev/null
echo "wrote $out"
