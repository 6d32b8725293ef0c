#!/usr/bin/env bash
# The main job on the shipped fixtures: build earwitness, make two named keys and a trust file,
# seal every fixture (good recordings, broken ones, and non-audio files) into one bundle, hand it
# from the field officer to a lawyer, and verify it: first with earwitness, then with sha256sum.
# Everything is written under ${OUT:-target/demo}.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-target/demo}
echo "Building earwitness (the first build takes a few minutes)..."
cargo build --release --locked
ew=target/release/earwitness
rm -rf "$out" && mkdir -p "$out"

"$ew" keygen --name "Field Officer" --out "$out/keys/officer"
"$ew" keygen --name "Lawyer B" --out "$out/keys/lawyer"
"$ew" trust add "Field Officer" "$out/keys/officer.pub" --file "$out/allowed_signers"
"$ew" trust add "Lawyer B" "$out/keys/lawyer.pub" --file "$out/allowed_signers"
echo
"$ew" seal --key "$out/keys/officer" --case CASE-2026-17 \
  --org "Crew Against Torture" --note "Call received 23 October" \
  --out "$out/case-17.zip" fixtures/audio fixtures/broken fixtures/other
echo
"$ew" transfer "$out/case-17.zip" --key "$out/keys/officer" --trust-file "$out/allowed_signers" \
  --to "Lawyer B" --to-key "$out/keys/lawyer.pub" --note "Handed over in person"
"$ew" receive "$out/case-17.zip" --key "$out/keys/lawyer" --trust-file "$out/allowed_signers" \
  --receipt "$out/receipt-0003.json"
echo
"$ew" verify "$out/case-17.zip" --trust-file "$out/allowed_signers" --expect-receipt "$out/receipt-0003.json"
echo
echo "Independent check with stock tools (see docs/VERIFYING.md for openssl, ssh-keygen, bagit.py and Python):"
rm -rf "$out/unzipped" && mkdir -p "$out/unzipped"
(cd "$out/unzipped" && unzip -q ../case-17.zip && cd case-17 && sha256sum -c --quiet manifest-sha256.txt && sha256sum -c --quiet tagmanifest-sha256.txt && echo "sha256sum: every payload and tag file OK")
