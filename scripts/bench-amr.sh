#!/usr/bin/env bash
# AMR decode speed: earwitness against opencore-amr on the same hour of AMR-NB (and of AMR-WB).
#
#   scripts/bench-amr.sh                  # ROUNDS=5, scratch data in /tmp/earwitness-bench-amr
#
# Makes one hour of AMR-NB at 12.2 kbit/s (mode 7, no DTX, as phone recorders write it) and one
# of AMR-WB at 23.85 kbit/s from the speech fixture on repeat, with opencore-amrnb's encoder and
# vo-amrwbenc (fixtures/c/); then times, interleaved round by round, `earwitness inspect --json`
# (an in-process decode of the file: read, decode, SHA-256 of the samples) against opencore's
# decoder writing its samples to /dev/null (fixtures/c/amr-dec.c, built with -O2). Reports the
# median wall and CPU (user + system) time of ROUNDS runs, and the ratio. The issue's target:
# earwitness at most 1.5 x opencore's time on AMR-NB. Checks first that both decode the hour to
# the same samples.
#
# Needs: a Rust toolchain, cc, sox, libopencore-amrnb-dev, libopencore-amrwb-dev,
# libvo-amrwbenc-dev. Run on an idle machine: the numbers are CPU time of one core.
set -euo pipefail
export LC_ALL=C
ROUNDS=${ROUNDS:-5}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DIR=${BENCH_DIR:-/tmp/earwitness-bench-amr}
mkdir -p "$DIR"

(cd "$REPO" && cargo build --release --locked --quiet)
EW=$REPO/target/release/earwitness
cc -O2 -o "$DIR/amr-dec" "$REPO/fixtures/c/amr-dec.c" -lopencore-amrnb -lopencore-amrwb
cc -O2 -o "$DIR/amrnb-enc" "$REPO/fixtures/c/amrnb-enc.c" -lopencore-amrnb
cc -O2 -o "$DIR/amrwb-enc" "$REPO/fixtures/c/amrwb-enc.c" -lvo-amrwbenc

if [[ ! -s $DIR/hour.amr || ! -s $DIR/hour.awb ]]; then
  echo "making one hour of AMR-NB and of AMR-WB (a minute or two)"
  for r in 8000 16000; do
    sox -V1 -D "$REPO/fixtures/audio/call-8k-pcm16.wav" -r $r -e signed -b 16 -t raw "$DIR/call-$r.raw"
    # 3.5 s x 1029 = 3601.5 s
    for _ in $(seq 1029); do cat "$DIR/call-$r.raw"; done > "$DIR/hour-$r.raw"
  done
  "$DIR/amrnb-enc" 7 "$DIR/hour-8000.raw" "$DIR/hour.amr"
  "$DIR/amrwb-enc" 8 "$DIR/hour-16000.raw" "$DIR/hour.awb"
  rm -f "$DIR"/*.raw
fi

# The same samples from both, or the race means nothing.
for f in hour.amr hour.awb; do
  "$DIR/amr-dec" "$DIR/$f" "$DIR/oc.pcm" 2>/dev/null
  want=$(sha256sum <"$DIR/oc.pcm" | cut -d' ' -f1)
  rm -f "$DIR/oc.pcm"
  got=$("$EW" inspect --json "$DIR/$f" | python3 -c 'import json,sys; print(json.load(sys.stdin)["media"]["pcm_sha256"])')
  [[ $want == "$got" ]] || { echo "bench-amr: $f: earwitness and opencore decode differently" >&2; exit 1; }
done
echo "both decoders give the same samples"

# time_one LABEL CMD...: appends "label wall cpu" (seconds) to $DIR/runs.
time_one() {
  local label=$1; shift
  /usr/bin/time -f "%e %U %S" -o "$DIR/t" "$@" >/dev/null 2>&1
  read -r wall user sys <"$DIR/t"
  echo "$label $wall $(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')" >>"$DIR/runs"
}
: >"$DIR/runs"
for ((i = 1; i <= ROUNDS; i++)); do
  time_one nb-earwitness "$EW" inspect --json "$DIR/hour.amr"
  time_one nb-opencore "$DIR/amr-dec" "$DIR/hour.amr" /dev/null
  time_one wb-earwitness "$EW" inspect --json "$DIR/hour.awb"
  time_one wb-opencore "$DIR/amr-dec" "$DIR/hour.awb" /dev/null
done
python3 - "$DIR/runs" "$ROUNDS" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    label, wall, cpu = line.split()
    runs.setdefault(label, []).append((float(wall), float(cpu)))
print(f"\nmedian of {sys.argv[2]} runs, one hour of audio each\n")
print("| codec | earwitness wall / CPU s | opencore wall / CPU s | ratio (CPU) |")
print("|---|---|---|---|")
for codec in ("nb", "wb"):
    ew = runs[f"{codec}-earwitness"]; oc = runs[f"{codec}-opencore"]
    ew_w, ew_c = statistics.median(r[0] for r in ew), statistics.median(r[1] for r in ew)
    oc_w, oc_c = statistics.median(r[0] for r in oc), statistics.median(r[1] for r in oc)
    name = {"nb": "AMR-NB 12.2", "wb": "AMR-WB 23.85"}[codec]
    print(f"| {name} | {ew_w:.2f} / {ew_c:.2f} | {oc_w:.2f} / {oc_c:.2f} | {ew_c / oc_c:.2f} x |")
PY
