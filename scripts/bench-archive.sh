#!/usr/bin/env bash
# The archive case of the benchmark: a fixity audit of bundles kept in object storage.
#
#   scripts/bench-archive.sh             # run by scripts/bench.sh as its last case, or alone
#   BUNDLES=1000 ROUNDS=3 scripts/bench-archive.sh
#
# Starts a throwaway Ceph radosgw on loopback (scripts/ceph-up.sh; root, the ceph packages), seals
# BUNDLES small bundles (a text note and a 3.5 s WAV each, a different case number each), pushes
# them under COMPLIANCE retention with `earwitness archive push` (untimed), then times, round by
# round, interleaved:
#   ew-audit   `earwitness archive audit s3://BUCKET/PREFIX --jobs 4 --trust KEY.pub`
#              (every bundle verified where it lies, by ranged reads, nothing written to disk)
#   aws-cp     `aws s3 cp --recursive` of the same prefix to a local folder, then
#              `earwitness verify --trust KEY.pub` of each downloaded bundle, 4 at a time
#              (what one does without `audit`: download, then verify locally)
# and writes the medians into the "Archive" section of REPORT (between its markers), leaving the
# rest of the report as it is.
#
# Environment: EW (the earwitness binary; default: target/release/earwitness, built if missing),
#   BENCH_DIR (default /tmp/earwitness-bench), REPORT (default docs/PERFORMANCE.md), ROUNDS
#   (default 3), BUNDLES (default 1000), JOBS (default 4).
set -euo pipefail
export LC_ALL=C
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/report-section.sh
. "$REPO/scripts/report-section.sh"
BENCH_DIR=${BENCH_DIR:-/tmp/earwitness-bench}
REPORT=${REPORT:-$REPO/docs/PERFORMANCE.md}
ROUNDS=${ROUNDS:-3}
BUNDLES=${BUNDLES:-1000}
JOBS=${JOBS:-4}
EW=${EW:-$REPO/target/release/earwitness}
A=$BENCH_DIR/archive
say() { printf '\n== %s\n' "$*"; }
die() { printf 'bench-archive.sh: %s\n' "$*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || die "must run as root (scripts/ceph-up.sh starts the Ceph daemons)"
if [[ ! -x $EW ]]; then (cd "$REPO" && cargo build --release --locked --quiet); fi
if ! command -v aws >/dev/null; then
  say "AWS CLI (pip, in a venv under BENCH_DIR)"
  python3 -m venv "$BENCH_DIR/awscli-venv"
  "$BENCH_DIR/awscli-venv/bin/pip" install --quiet awscli
  PATH=$BENCH_DIR/awscli-venv/bin:$PATH
fi
AWS_VERSION=$(aws --version 2>&1 | cut -d' ' -f1)

say "Ceph radosgw on loopback (scripts/ceph-up.sh)"
rm -rf "$A"
mkdir -p "$A/bundles" "$A/keys"
CEPH_OWNER_PID=$$ CEPH_STORE_BYTES=$((4 << 30)) "$REPO/scripts/ceph-up.sh" "$A/ceph" >/dev/null
trap '"$REPO/scripts/ceph-down.sh" "$A/ceph" >/dev/null 2>&1 || true' EXIT
# shellcheck disable=SC1091
. "$A/ceph/env"
RGW_VERSION=$(radosgw --version 2>/dev/null | awk '{ print $3 }')
BUCKET=bench-archive
aws s3api create-bucket --bucket "$BUCKET" --object-lock-enabled-for-bucket >/dev/null

say "$BUNDLES bundles, sealed and pushed under COMPLIANCE retention (untimed)"
"$EW" keygen --comment bench --out "$A/keys/bench" >/dev/null
t0=$EPOCHREALTIME
for ((i = 0; i < BUNDLES; i++)); do
  printf '%s\0' "$i"
done | xargs -0 -P 2 -I{} env SOURCE_DATE_EPOCH=1761177600 "$EW" seal --case "BENCH-{}" \
  --actor "Bench" --key "$A/keys/bench" --out "$A/bundles/b-{}.zip" \
  "$REPO/fixtures/other/notes.txt" "$REPO/fixtures/audio/call-8k-pcm16.wav" >/dev/null
SEALED_BYTES=$(du -cb --apparent-size "$A"/bundles/*.zip | tail -1 | cut -f1)
find "$A/bundles" -name '*.zip' -print0 | xargs -0 -n 250 "$EW" archive push --to "s3://$BUCKET/case/" \
  --retain-days 1 --trust "$A/keys/bench.pub" >/dev/null
PUSH_SECS=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }')
stored=$("$EW" archive list "s3://$BUCKET/case/" --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
[[ $stored == "$BUNDLES" ]] || die "$stored objects stored, not $BUNDLES"
echo "  $BUNDLES bundles ($SEALED_BYTES bytes) sealed and pushed in $PUSH_SECS s"

c_ew_audit() {
  "$EW" archive audit "s3://$BUCKET/case/" --jobs "$JOBS" --trust "$A/keys/bench.pub" --json >"$A/audit.json"
}
c_aws_cp() {
  rm -rf "$A/dl"
  aws s3 cp --recursive --only-show-errors "s3://$BUCKET/case/" "$A/dl/"
  find "$A/dl" -name '*.zip' -print0 |
    xargs -0 -P "$JOBS" -n 1 "$EW" verify --trust "$A/keys/bench.pub" >/dev/null
  rm -rf "$A/dl"
}
say "timed: ew-audit vs aws-cp (x$ROUNDS, interleaved)"
: >"$A/runs.tsv"
for ((r = 1; r <= ROUNDS; r++)); do
  for who in ew-audit aws-cp; do
    sync
    t0=$EPOCHREALTIME
    "c_${who//-/_}"
    t1=$EPOCHREALTIME
    wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
    printf '%s\t%s\t%s\n' "$who" "$r" "$wall" >>"$A/runs.tsv"
    printf '  %-9s round %s: %7.2f s\n' "$who" "$r" "$wall"
  done
done
python3 - "$A/audit.json" "$BUNDLES" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
s = doc["summary"]
assert s["bundles"] == int(sys.argv[2]) and s["verified"] == s["bundles"], s
PY
RSS_AUDIT=$( { /usr/bin/time -f %M "$EW" archive audit "s3://$BUCKET/case/" --jobs "$JOBS" \
  --trust "$A/keys/bench.pub" --json >/dev/null; } 2>&1 | tail -1)

median() { awk -v w="$1" -F'\t' '$1 == w { print $3 }' "$A/runs.tsv" | sort -g |
  awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
EW_MED=$(median ew-audit)
AWS_MED=$(median aws-cp)
all() { awk -v w="$1" -F'\t' '$1 == w { printf "%s%s", sep, $3; sep = ", " }' "$A/runs.tsv"; }

section=$(
  cat <<EOF
<!-- archive:begin (written by scripts/bench-archive.sh; do not edit by hand) -->
## Archive: a fixity audit of $BUNDLES bundles in object storage

Measured $(date -u '+%Y-%m-%d %H:%M UTC') on $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')),
earwitness $("$EW" --version | cut -d' ' -f2) against Ceph radosgw $RGW_VERSION on loopback (one memstore OSD, started by
\`scripts/ceph-up.sh\` on the same machine, so the server's CPU time counts against both contenders),
$AWS_VERSION. $BUNDLES bundles of $((SEALED_BYTES / BUNDLES)) bytes on average ($SEALED_BYTES bytes in all), each a text
note and a 3.5 s WAV, stored under COMPLIANCE retention by \`earwitness archive push\`. Median of $ROUNDS rounds,
run interleaved.

| contender | what it does | median | runs |
|---|---|---|---|
| \`ew-audit\` | \`earwitness archive audit s3://BUCKET/case/ --jobs $JOBS --trust KEY.pub\`: each bundle verified in place by ranged reads, with its retention and legal hold | **${EW_MED} s** | $(all ew-audit) s |
| \`aws-cp\` | \`aws s3 cp --recursive\` to a local folder, then \`earwitness verify --trust KEY.pub\` of each file, $JOBS at a time | ${AWS_MED} s | $(all aws-cp) s |

earwitness is $(awk -v a="$EW_MED" -v b="$AWS_MED" 'BEGIN { printf "%.1f", b / a }')x as fast, and writes nothing to disk; peak RSS of the audit: $RSS_AUDIT KiB.
Sealing and pushing the $BUNDLES bundles (untimed) took $PUSH_SECS s.
<!-- archive:end -->
EOF
)
write_section archive "$section" "$REPORT"
printf '%s\n' "$section"
echo "wrote the Archive section of $REPORT"
