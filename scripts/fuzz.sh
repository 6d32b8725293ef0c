#!/usr/bin/env bash
# Fuzzes earwitness's parsers of untrusted input for a bounded time, one target after another.
#
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]
#   SECONDS  how long to fuzz each target (default 60)
#   TARGET   which targets to run (default: every target in fuzz/fuzz_targets/)
#
# Targets (fuzz/fuzz_targets/*.rs):
#   bundle    verify::verify_bytes: a whole bundle ZIP (ZIP, BagIt, evidence.json, custody, signatures)
#   evidence  evidence::Evidence::parse, plus a round trip through to_bytes
#   custody   custody::Event::parse / Receipt::parse / parse_event_file_name, plus round trips
#   probe     probe::probe_input(.., Depth::Decode): symphonia and earwitness's own media readers
#
# Environment:
#   FUZZ_SANITIZER    cargo-fuzz sanitizer: address (default) or none. If the address-sanitizer
#                     build fails, the script falls back to none and says so.
#   CARGO_BUILD_JOBS  parallel compile jobs (default 1: fuzz builds are big, keep the machine usable)
#   FUZZ_KEEP=1       keep the scratch folder (corpora and logs) even when nothing crashed
#
# Exit status: 0 when every target ran its time without a crash, 1 when any target crashed, hung
# (libFuzzer -timeout) or ran out of memory (-rss_limit_mb / -malloc_limit_mb), 2 on a build or
# setup error. The failing inputs are left in fuzz/artifacts/<target>/ (git-ignored) and their
# paths printed; reproduce one with
#   cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run -s address <target> artifacts/<target>/<file>
# and, once it is understood, copy it to fuzz/regressions/<target>/ to keep it.
#
# cargo-fuzz needs nightly-only compiler flags (-Z sanitizer, -C passes=sancov-module, ...). Only
# the stable toolchain is installed here, so RUSTC_BOOTSTRAP=1 lets the stable compiler accept
# them. It is set for this script's commands only.
set -euo pipefail

secs=${1:-60}
if ! [[ $secs =~ ^[0-9]+$ ]] || [ "$secs" -lt 1 ]; then
  echo "usage: $0 [SECONDS] [TARGET...]   (SECONDS must be a positive whole number)" >&2
  exit 2
fi
shift || true

root=$(cd "$(dirname "$0")/.." && pwd)
fuzz_dir=$root/fuzz
cd "$fuzz_dir"

export RUSTC_BOOTSTRAP=1
export CARGO_BUILD_JOBS=${CARGO_BUILD_JOBS:-1}
# The probe's test-only fault injection must stay off: with it, crafted inputs could ask for an
# abort or a hang on purpose.
unset EARWITNESS_FAULT_INJECTION
sanitizer=${FUZZ_SANITIZER:-address}

# --- cargo-fuzz ------------------------------------------------------------------------------
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "== installing cargo-fuzz (cargo install cargo-fuzz --locked)"
  cargo install cargo-fuzz --locked
fi
echo "== $(cargo fuzz --version), $(rustc --version)"

# --- targets -----------------------------------------------------------------------------------
if [ $# -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <(cargo fuzz list)
fi
[ ${#targets[@]} -gt 0 ] || { echo "no fuzz targets found in $fuzz_dir" >&2; exit 2; }

# --- build everything first, so the fuzzing time is not spent compiling -------------------------
echo "== building ${targets[*]} (sanitizer: $sanitizer, $CARGO_BUILD_JOBS build job(s))"
build() {
  local t
  for t in "${targets[@]}"; do
    cargo fuzz build -s "$1" "$t" || return 1
  done
}
if ! build "$sanitizer"; then
  if [ "$sanitizer" = none ]; then
    echo "== build failed" >&2
    exit 2
  fi
  echo "== WARNING: the $sanitizer-sanitizer build failed; retrying with -s none (no sanitizer)" >&2
  sanitizer=none
  build none || { echo "== build failed" >&2; exit 2; }
fi

# --- scratch folder: corpora grow here, not in the repository -----------------------------------
# /dev/shm when there is one: the probe target rewrites its temporary file for every input.
scratch_parent=${TMPDIR:-/tmp}
[ -d /dev/shm ] && [ -w /dev/shm ] && scratch_parent=/dev/shm
scratch=$(mktemp -d "$scratch_parent/earwitness-fuzz.XXXXXX")
mkdir -p "$scratch/tmp"
echo "== scratch folder: $scratch"

# libFuzzer options for every target:
#   -max_total_time   the time budget
#   -timeout=10       an input that takes longer than 10 s is a hang (a crash)
#   -rss_limit_mb     more than 2 GiB resident is an out-of-memory crash; so is any single
#                     allocation over that (-malloc_limit_mb defaults to the same)
#   -print_final_stats=1   executions, peak memory and so on at the end of each run
common=(-max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1)

failed=()
summary=()
for t in "${targets[@]}"; do
  corpus=$scratch/corpus/$t
  mkdir -p "$corpus" "$fuzz_dir/artifacts/$t"
  # The committed seeds (fuzz/corpus/<target>/seed-*) are copied: the repository stays clean.
  if [ -d "$fuzz_dir/corpus/$t" ]; then
    cp -R "$fuzz_dir/corpus/$t"/. "$corpus"/
  fi
  opts=("${common[@]}")
  case $t in
    bundle) opts+=(-dict="$fuzz_dir/dict/zip.dict") ;;
    evidence | custody) opts+=(-dict="$fuzz_dir/dict/json.dict") ;;
  esac
  log=$scratch/$t.log
  marker=$scratch/$t.start
  touch "$marker"
  echo "== fuzzing $t for ${secs}s ($(ls "$corpus" | wc -l) seed files) -> $log"
  # TMPDIR: where the probe target writes its per-process input file (inside the scratch folder).
  # The outer timeout only guards against libFuzzer itself wedging; -timeout catches slow inputs.
  set +e
  TMPDIR=$scratch/tmp timeout --kill-after=30 $((secs * 2 + 300)) \
    cargo fuzz run -s "$sanitizer" "$t" "$corpus" -- "${opts[@]}" >"$log" 2>&1
  rc=$?
  set -e
  # The last libFuzzer status line ("#N DONE cov: ... exec/s: ..."), or the last one it printed.
  status=$(grep -E '^#[0-9]+' "$log" | tail -n 1 || true)
  if [ $rc -eq 0 ]; then
    summary+=("$t: ok        $status")
  else
    failed+=("$t")
    summary+=("$t: FAILED (exit $rc)   $status")
    echo "!! $t failed (exit $rc). The end of its log:"
    tail -n 60 "$log" | sed 's/^/   | /'
    # libFuzzer names the input it saved: "Test unit written to <path>".
    new=$(find "$fuzz_dir/artifacts/$t" -type f -newer "$marker" 2>/dev/null || true)
    if [ -n "$new" ]; then
      echo "!! failing input(s) of $t:"
      printf '   %s\n' $new
    else
      echo "!! $t saved no input (a build or setup failure?); see $log"
    fi
  fi
  # Contained panics (probe only): decoder panics that probe_input caught, as designed.
  if grep -q '^contained panic' "$log"; then
    echo "   $t: decoder panics caught inside probe_input (not crashes):"
    grep '^contained panic' "$log" | sed 's/^/     /'
  fi
done

echo
echo "== summary (sanitizer: $sanitizer, ${secs}s per target)"
printf '   %s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  echo "== FAILED: ${failed[*]}; logs and corpora kept in $scratch"
  exit 1
fi
if [ "${FUZZ_KEEP:-0}" = 1 ]; then
  echo "== logs and corpora kept in $scratch"
else
  rm -rf "$scratch"
fi
echo "== no crashes"
