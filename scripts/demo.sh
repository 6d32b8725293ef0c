#!/usr/bin/env bash
# The main job on the shipped fixtures: build earwitness, make a signing key, seal every fixture
# (good recordings, broken ones, and non-audio files) into one bundle, and verify it, first with
# earwitness and then with sha256sum. Everything is written under ${OUT:-target/demo}.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-target/demo}
cargo build --release --locked --quiet
ew=target/release/earwitness
rm -rf "$out" && mkdir -p "$out"

"$ew" keygen --comment "Field Officer (demo)" --out "$out/keys/officer"
"$ew" seal --key "$out/keys/officer" --case CASE-2026-17 --actor "Field Officer" \
  --org "Crew Against Torture" --note "Call received 23 October" \
  --out "$out/case-17.zip" fixtures/audio fixtures/broken fixtures/other
echo
"$ew" verify "$out/case-17.zip" --trust "$out/keys/officer.pub"
echo
echo "Independent check with stock tools (see docs/VERIFYING.md for openssl, ssh-keygen, bagit.py):"
rm -rf "$out/unzipped" && mkdir -p "$out/unzipped"
(cd "$out/unzipped" && unzip -q ../case-17.zip && cd case-17 && sha256sum -c --quiet manifest-sha256.txt && sha256sum -c --quiet tagmanifest-sha256.txt && echo "sha256sum: every payload and tag file OK")
