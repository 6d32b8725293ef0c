#!/usr/bin/env bash
# ceph-down.sh — stop a cluster made by ceph-up.sh and remove its folder.
#
# Usage: ceph-down.sh [--keep] [DIR]     (or CEPH_DIR=DIR ceph-down.sh)
#
# Stops radosgw, the OSD and the monitor by the PIDs recorded in DIR/env and DIR/run/*.pid, and
# only a PID whose command line names DIR/ceph.conf (so a reused PID or another cluster is never
# hit): SIGTERM, then SIGKILL after 10 s, in the order radosgw, OSD, monitor. Then removes DIR, but only if ceph-up.sh made it (it
# holds the .earwitness-ceph marker). --keep stops the daemons and leaves the folder (and logs).
# Running it twice, or on a folder that is gone, is not an error.
set -euo pipefail

MARKER=.earwitness-ceph
die() { printf 'ceph-down: error: %s\n' "$*" >&2; exit 1; }
log() { printf '[ceph-down] %s\n' "$*" >&2; }

keep=0
if [[ ${1:-} == --keep ]]; then keep=1; shift; fi
DIR=${1:-${CEPH_DIR:-}}
[[ -n $DIR ]] || die "no cluster folder: pass it as an argument or set CEPH_DIR"
if [[ ! -e $DIR ]]; then log "$DIR does not exist: nothing to stop"; exit 0; fi
[[ -d $DIR ]] || die "$DIR is not a folder"
DIR=$(cd "$DIR" && pwd)
[[ $DIR != / ]] || die "refusing to work on /"
[[ -f $DIR/$MARKER || -f $DIR/env ]] || die "$DIR was not made by ceph-up.sh (no $MARKER); not touching it"

# PIDs per daemon, from env and from run/*.pid (they normally agree; either may be missing).
pids_of() {
    local name=$1 up
    up=$(tr '[:lower:]' '[:upper:]' <<<"$name")
    [[ -f $DIR/env ]] && sed -n "s/^export CEPH_${up}_PID=//p" "$DIR/env"
    [[ -f $DIR/run/$name.pid ]] && cat "$DIR/run/$name.pid"
    return 0
}

# A PID is ours only if it is alive and its command line names this cluster's config file.
ours() {
    [[ $1 =~ ^[0-9]+$ ]] && [[ -r /proc/$1/cmdline ]] \
        && tr '\0' ' ' <"/proc/$1/cmdline" | grep -qF -- "$DIR/ceph.conf"
}

# SIGTERM, wait up to $2 seconds, then SIGKILL.
stop() {
    local what=$1 grace=$2 pid targets=() left=()
    for pid in $(pids_of "$what" | sort -u); do ours "$pid" && targets+=("$pid"); done
    ((${#targets[@]})) || return 0
    log "stopping $what (pid ${targets[*]})"
    kill -TERM "${targets[@]}" 2>/dev/null || true
    for _ in $(seq $((grace * 4))); do
        left=()
        for pid in "${targets[@]}"; do ours "$pid" && left+=("$pid"); done
        ((${#left[@]})) || return 0
        sleep 0.25
    done
    log "$what still alive after ${grace} s, sending SIGKILL: ${left[*]}"
    kill -KILL "${left[@]}" 2>/dev/null || true
    for _ in $(seq 20); do
        ours "${left[0]}" || return 0
        sleep 0.1
    done
    die "$what (pid ${left[*]}) would not die"
}

# Gateway first (it flushes through the OSD and the monitor), then the OSD, then the monitor.
stop rgw 10
stop osd 10
stop mon 10

if ((keep)); then
    rm -f "$DIR/env"
    log "stopped; kept $DIR"
else
    rm -rf -- "$DIR"
    log "stopped and removed $DIR"
fi
