#!/usr/bin/env bash
# Many small files: earwitness seal and verify of 10,000 and 100,000 tiny files (and 1,000,000
# with SCALE_MILLION=1, which takes a while and a few GB of disk), each with its peak RSS, against
# bagit.py making a bag of the same files and validating it (--processes = nproc, SHA-256 only).
# Writes the "Many small files" section of docs/PERFORMANCE.md (between the scale markers);
# scripts/bench.sh runs it as its last case unless BENCH_SCALE=0.
#
#   scripts/bench-scale.sh                  # EW=target/release/earwitness, BENCH_DIR=/tmp/earwitness-bench
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/report-section.sh
. "$REPO/scripts/report-section.sh"
EW=${EW:-$REPO/target/release/earwitness}
BENCH_DIR=${BENCH_DIR:-/tmp/earwitness-bench}
REPORT=${REPORT:-$REPO/docs/PERFORMANCE.md}
die() { echo "bench-scale: $*" >&2; exit 2; }
[[ -x $EW ]] || (cd "$REPO" && cargo build --release --locked) || die "cannot build earwitness"
[[ -x /usr/bin/time ]] || die "GNU time is missing: apt-get install time"
command -v bagit.py >/dev/null || die "bagit.py is missing: pip install bagit"
S=$BENCH_DIR/scale
mkdir -p "$S"
COUNTS=(10000 100000)
[[ ${SCALE_MILLION:-0} == 1 ]] && COUNTS+=(1000000)
[[ -f $S/k ]] || "$EW" keygen --name "Scale bench" --out "$S/k" >/dev/null

make_files() { # N DIR: N files of a few bytes, 1,000 to a folder, all different
  python3 - "$1" "$2" <<'PY'
import os, sys
n, root = int(sys.argv[1]), sys.argv[2]
for i in range(n):
    d = os.path.join(root, "d%04d" % (i // 1000))
    if i % 1000 == 0:
        os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "f%07d.txt" % i), "w") as f:
        f.write("%d\n" % i)
PY
}

# Runs a command under GNU time; prints "seconds<TAB>peak KiB".
measure() {
  /usr/bin/time -o "$S/time.out" -f '%e %M' "$@" >/dev/null 2>"$S/last.err" ||
    { cat "$S/last.err" >&2; die "failed: $*"; }
  awk '{ printf "%s\t%s", $1, $2 }' "$S/time.out"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

rows=""
make_ratios=""
validate_ratios=""
peaks=""
for n in "${COUNTS[@]}"; do
  in=$S/in-$n
  [[ -d $in ]] || { echo "making $n files" >&2; make_files "$n" "$in"; }
  rm -f "$S/b-$n.zip"
  sync
  IFS=$'\t' read -r seal_s seal_k <<<"$(measure "$EW" seal --key "$S/k" --out "$S/b-$n.zip" "$in")"
  sync
  IFS=$'\t' read -r ver_s ver_k <<<"$(measure "$EW" verify "$S/b-$n.zip" --trust "$S/k.pub")"
  rm -rf "$S/bag-$n"
  cp -r "$in" "$S/bag-$n"
  sync
  IFS=$'\t' read -r bag_s bag_k <<<"$(measure bagit.py --processes "$(nproc)" --sha256 "$S/bag-$n")"
  sync
  IFS=$'\t' read -r val_s val_k <<<"$(measure bagit.py --processes "$(nproc)" --validate "$S/bag-$n")"
  rm -rf "$S/bag-$n"
  rows+="| $n | $seal_s | $(mib "$seal_k") | $ver_s | $(mib "$ver_k") | $bag_s | $(mib "$bag_k") | $val_s | $(ratio "$bag_s" "$seal_s")× | $(ratio "$val_s" "$ver_s")× |"$'\n'
  make_ratios+=" $(ratio "$bag_s" "$seal_s")"
  validate_ratios+=" $(ratio "$val_s" "$ver_s")"
  peaks+=" $n:$seal_k:$ver_k"
  echo "n=$n: seal ${seal_s} s ${seal_k} KiB; verify ${ver_s} s ${ver_k} KiB; bagit ${bag_s} s; validate ${val_s} s" >&2
done

# The verdicts of issue 15's targets for many files, from the rows above.
verdicts=$(awk -v make="$make_ratios" -v val="$validate_ratios" -v peaks="$peaks" 'BEGIN {
  nm = split(make, m, " "); nv = split(val, v, " "); np = split(peaks, p, " ")
  lo = 1e9; for (i = 1; i <= nv; i++) if (v[i] + 0 < lo) lo = v[i] + 0
  printf "- bagit.py --validate / verify, target >= 3x at every count: lowest %.2fx: **%s**\n", lo, (lo >= 3 ? "MET" : "NOT MET")
  lo = 1e9; for (i = 1; i <= nm; i++) if (m[i] + 0 < lo) lo = m[i] + 0
  printf "- bagit.py making a bag / seal (tiny files; the target of >= 3x is for the 10,000 clips of case 5): lowest %.2fx\n", lo
  top = 0; for (i = 1; i <= np; i++) { split(p[i], f, ":"); if (f[2] + 0 > top) top = f[2] + 0; if (f[3] + 0 > top) top = f[3] + 0 }
  split(p[1], a, ":"); split(p[np], z, ":")
  printf "- peak RSS <= 64 MiB at every count: highest %.1f MiB: **%s**\n", top / 1024, (top <= 64 * 1024 ? "MET" : "NOT MET")
  printf "- flat from %d to %d files: seal %.1f -> %.1f MiB (x%.2f), verify %.1f -> %.1f MiB (x%.2f) for %dx the files: **%s**\n", \
    a[1], z[1], a[2] / 1024, z[2] / 1024, z[2] / a[2], a[3] / 1024, z[3] / 1024, z[3] / a[3], z[1] / a[1], \
    ((z[2] <= 1.25 * a[2] && z[3] <= 1.25 * a[3]) ? "MET" : "NOT MET (memory still grows with the count)")
}')

section="<!-- scale:begin (written by scripts/bench-scale.sh; do not edit by hand) -->
## Many small files: memory and speed against the file count

Measured $(date -u '+%Y-%m-%d %H:%M UTC') on $(nproc) cores, earwitness $("$EW" --version | cut -d' ' -f2), one run each
(\`scripts/bench-scale.sh\`; \`SCALE_MILLION=1\` adds 1,000,000 files). Files of 2 to 8 bytes, 1,000 to a
folder, all different. *Peak* is the peak RSS of the process GNU time ran (earwitness's own; its
decode workers are smaller). bagit.py makes the bag in place with \`--processes $(nproc) --sha256\` and
checks it with \`--validate\`. A ratio above 1 means earwitness is faster.

| files | seal s | seal peak MiB | verify s | verify peak MiB | bagit.py make s | bagit.py peak MiB | bagit.py --validate s | bagit make / seal | bagit validate / verify |
|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
${rows}
Targets of issue 15 for many files:

${verdicts}
<!-- scale:end -->"
write_section scale "$section" "$REPORT"
printf '%s\n' "$section"
