#!/usr/bin/env bash
# ceph-up.sh — start a throwaway single-host Ceph cluster with an S3 endpoint (radosgw) on loopback.
#
# Usage: ceph-up.sh [DIR]        (or CEPH_DIR=DIR ceph-up.sh; default: a new temp dir)
#
# One monitor, one OSD (memstore; bluestore on a file if memstore is refused), radosgw with its
# beast frontend on 127.0.0.1:<free port>, `auth none`, pools of size 1. No systemd: every daemon
# is started here in the foreground (-f) under setsid and stopped by PID by ceph-down.sh.
# When S3 answers, an S3 user with fixed keys is created and DIR/env is written:
#   AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_ENDPOINT_URL AWS_REGION CEPH_DIR CEPH_CONF
#   CEPH_MON_PID CEPH_OSD_PID CEPH_RGW_PID
# Source it (`. DIR/env`) to point aws-sdk / aws-cli at the cluster.
#
# Idempotent-ish: if DIR already holds a cluster whose daemons are alive and whose S3 answers, it
# says so and exits 0. A dead or half-made cluster in DIR is stopped and wiped first. A DIR that
# exists, is not empty and was not made by this script is refused.
#
# Environment knobs: CEPH_OBJECTSTORE=memstore|bluestore (default memstore, with fallback),
#   CEPH_STORE_BYTES (default 2 GiB; memstore is RAM-backed but grows only as written),
#   CEPH_READY_TIMEOUT (seconds, default 90), S3_ACCESS_KEY / S3_SECRET_KEY (fixed defaults),
#   CEPH_NO_INSTALL=1 (fail instead of installing missing packages: the tests set it),
#   CEPH_OWNER_PID=PID (a watchdog stops the cluster with ceph-down.sh once PID has exited, so
#   that no daemon outlives a test run that was killed).
#
# Used by tests/archive.rs (one cluster per test run) and scripts/bench.sh; for the CI packages
# see .ci/run. Not for production: one OSD, no authentication, no replication.
set -euo pipefail

PKGS=(ceph-mon ceph-osd radosgw ceph-common)
MARKER=.earwitness-ceph
ACCESS_KEY=${S3_ACCESS_KEY:-EARWITNESSTESTKEY000}
SECRET_KEY=${S3_SECRET_KEY:-earwitness-test-secret-key-0000000000000}
OBJECTSTORE=${CEPH_OBJECTSTORE:-memstore}
STORE_BYTES=${CEPH_STORE_BYTES:-2147483648}
READY_TIMEOUT=${CEPH_READY_TIMEOUT:-90}
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

T0=$(date +%s.%N)
die() { printf 'ceph-up: error: %s\n' "$*" >&2; exit 1; }  # the EXIT trap below cleans up
elapsed() { awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}'; }
log() { printf '[ceph-up %5ss] %s\n' "$(elapsed)" "$*" >&2; }

[[ $(id -u) -eq 0 ]] || die "must run as root (installs packages, ceph daemons write their own dirs)"

# ---------------------------------------------------------------- 1. packages
missing=()
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})) && [[ ${CEPH_NO_INSTALL:-} == 1 ]]; then
    die "missing packages: ${missing[*]} (install them with apt-get install --no-install-recommends)"
fi
if ((${#missing[@]})); then
    log "installing ${missing[*]} with apt-get"
    t_inst=$(date +%s.%N)
    export DEBIAN_FRONTEND=noninteractive
    # apt-get update only when the candidate is unknown (fresh machine, empty lists).
    if ! apt-cache show radosgw >/dev/null 2>&1; then
        apt-get update -qq || die "apt-get update failed"
    fi
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/ceph-up-apt.$$.log 2>&1 \
        || { tail -20 /tmp/ceph-up-apt.$$.log >&2; die "apt-get install ${missing[*]} failed (log above)"; }
    rm -f /tmp/ceph-up-apt.$$.log
    log "installed in $(awk -v a="$t_inst" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}') s"
fi
for b in ceph-mon ceph-osd radosgw radosgw-admin ceph monmaptool curl ss setsid; do
    command -v "$b" >/dev/null || die "'$b' not found on PATH after install"
done

# ---------------------------------------------------------------- 2. the folder
DIR=${1:-${CEPH_DIR:-}}
if [[ -z $DIR ]]; then
    DIR=$(mktemp -d /tmp/ceph.XXXXXX)
    touch "$DIR/$MARKER"
fi
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)

alive() { [[ -n ${1:-} ]] && kill -0 "$1" 2>/dev/null; }

if [[ -f $DIR/env ]]; then
    # shellcheck disable=SC1091
    ( . "$DIR/env"
      alive "$CEPH_MON_PID" && alive "$CEPH_OSD_PID" && alive "$CEPH_RGW_PID" \
        && curl -sf -o /dev/null --max-time 3 "$AWS_ENDPOINT_URL/" ) \
        && { log "cluster in $DIR is already up"; cat "$DIR/env"; exit 0; }
    log "cluster in $DIR is stale or broken: stopping it and starting afresh"
    "$SCRIPT_DIR/ceph-down.sh" --keep "$DIR" || die "could not stop the stale cluster in $DIR"
fi
if [[ -n $(ls -A "$DIR") && ! -f $DIR/$MARKER ]]; then
    die "$DIR is not empty and was not made by ceph-up.sh (no $MARKER); pick another folder"
fi
# Leftovers from an earlier run that died before writing env: stop what its pid files name.
if [[ -d $DIR/run ]]; then
    "$SCRIPT_DIR/ceph-down.sh" --keep "$DIR" >/dev/null 2>&1 || true
fi
find "$DIR" -mindepth 1 -maxdepth 1 ! -name "$MARKER" -exec rm -rf {} +
touch "$DIR/$MARKER"
mkdir -p "$DIR"/{run,log,mon,osd,rgw}

# On any failure from here on (die, or a failing command under set -e), stop whatever we started
# and leave the folder with its logs for inspection.
started=()
ready=0
on_exit() {
    local rc=$?
    ((ready)) && return
    printf 'ceph-up: setup failed (exit %s); logs are kept in %s/log\n' "$rc" "$DIR" >&2
    for f in "$DIR"/log/*.log; do
        [[ -s $f ]] && { echo "--- last lines of $f" >&2; tail -3 "$f" >&2; }
    done
    for pid in "${started[@]}"; do kill "$pid" 2>/dev/null || true; done
}
trap on_exit EXIT

# ---------------------------------------------------------------- 3. config
free_port() {
    local p used
    used=$(ss -Htan | awk '{print $4}' | sed 's/.*://' | sort -u)
    for _ in $(seq 200); do
        p=$((20000 + RANDOM % 30000))
        grep -qx "$p" <<<"$used" || { echo "$p"; return; }
    done
    return 1
}
MON_PORT=$(free_port) || die "no free port for the monitor"
RGW_PORT=$(free_port) || die "no free port for radosgw"
[[ $MON_PORT != "$RGW_PORT" ]] || RGW_PORT=$(free_port)
FSID=$(cat /proc/sys/kernel/random/uuid)
OSD_UUID=$(cat /proc/sys/kernel/random/uuid)
CONF=$DIR/ceph.conf

write_conf() {
    cat >"$CONF" <<EOF
[global]
fsid = $FSID
mon host = v2:127.0.0.1:$MON_PORT
public addr = 127.0.0.1
ms bind ipv6 = false
ms bind msgr1 = false
auth cluster required = none
auth service required = none
auth client required = none
auth allow insecure global id reclaim = false
run dir = $DIR/run
admin socket = $DIR/run/\$cluster-\$name.asok
log file = $DIR/log/\$cluster-\$name.log
log to stderr = false
err to stderr = true
mon cluster log file = $DIR/log/\$cluster.log
crash dir = $DIR/crash
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon max pg per osd = 1000
mon warn on pool no redundancy = false
mon data avail warn = 1
mon data avail crit = 0
osd objectstore = $1
memstore device bytes = $STORE_BYTES
bluestore block path = $DIR/osd/block
bluestore block size = $STORE_BYTES
bluestore block create = true
bluestore fsck on mount = false
osd class update on start = false
osd crush update on start = true
osd max object name len = 460
osd max object namespace len = 64

[mon]
mon data = $DIR/mon/\$cluster-\$id

[osd]
osd data = $DIR/osd/\$cluster-\$id

[client.rgw]
# radosgw compiles in ms_mon_client_mode=secure, which auth none cannot provide: without this the
# gateway loops on "get_initial_auth_request returned -13" and S3 never answers.
ms mon client mode = crc
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT
rgw data = $DIR/rgw
rgw dns name = 127.0.0.1
rgw thread pool size = 64
rgw enable usage log = false
EOF
}
write_conf "$OBJECTSTORE"
CEPH=(ceph -c "$CONF" --connect-timeout 10)

# ---------------------------------------------------------------- 4. monitor
log "fsid $FSID, monitor on 127.0.0.1:$MON_PORT, S3 on 127.0.0.1:$RGW_PORT, objectstore $OBJECTSTORE"
monmaptool --create --fsid "$FSID" --addv a "[v2:127.0.0.1:$MON_PORT]" "$DIR/monmap" >/dev/null
ceph-mon -c "$CONF" -i a --mkfs --monmap "$DIR/monmap" 2>"$DIR/log/mon-mkfs.err" \
    || { cat "$DIR/log/mon-mkfs.err" >&2; die "ceph-mon --mkfs failed"; }
setsid ceph-mon -c "$CONF" -i a -f </dev/null >>"$DIR/log/mon.out" 2>&1 &
MON_PID=$!; started+=("$MON_PID")
echo "$MON_PID" >"$DIR/run/mon.pid"
for _ in $(seq 60); do
    "${CEPH[@]}" mon stat >/dev/null 2>&1 && break
    alive "$MON_PID" || die "ceph-mon exited; see $DIR/log/mon.out and $DIR/log/ceph-mon.a.log"
    sleep 0.25
done
"${CEPH[@]}" mon stat >/dev/null || die "monitor does not answer"
log "monitor up (pid $MON_PID)"

# ---------------------------------------------------------------- 5. OSD
start_osd() {
    rm -rf "$DIR/osd"; mkdir -p "$DIR/osd/ceph-0"
    ceph-osd -c "$CONF" -i 0 --mkfs --osd-uuid "$OSD_UUID" --osd-objectstore "$1" \
        >"$DIR/log/osd-mkfs.out" 2>&1
}
OSD_ID=$("${CEPH[@]}" osd new "$OSD_UUID")
[[ $OSD_ID == 0 ]] || die "expected osd id 0, got '$OSD_ID'"
if ! start_osd "$OBJECTSTORE"; then
    if [[ $OBJECTSTORE == memstore ]]; then
        log "memstore mkfs failed ($(tail -1 "$DIR/log/osd-mkfs.out")); falling back to bluestore on a file"
        OBJECTSTORE=bluestore; write_conf bluestore
        start_osd bluestore || { cat "$DIR/log/osd-mkfs.out" >&2; die "ceph-osd --mkfs (bluestore) failed"; }
    else
        cat "$DIR/log/osd-mkfs.out" >&2; die "ceph-osd --mkfs ($OBJECTSTORE) failed"
    fi
fi
setsid ceph-osd -c "$CONF" -i 0 -f </dev/null >>"$DIR/log/osd.out" 2>&1 &
OSD_PID=$!; started+=("$OSD_PID")
echo "$OSD_PID" >"$DIR/run/osd.pid"
for _ in $(seq 120); do
    [[ $("${CEPH[@]}" osd dump -f json 2>/dev/null | grep -o '"up":1' | head -1) ]] && break
    alive "$OSD_PID" || die "ceph-osd exited; see $DIR/log/osd.out and $DIR/log/ceph-osd.0.log"
    sleep 0.25
done
[[ $("${CEPH[@]}" osd dump -f json | grep -o '"up":1' | head -1) ]] || die "OSD did not come up"
log "osd.0 up (pid $OSD_PID, $OBJECTSTORE)"

# ---------------------------------------------------------------- 6. radosgw
setsid radosgw -c "$CONF" -n client.rgw -f </dev/null >>"$DIR/log/rgw.out" 2>&1 &
RGW_PID=$!; started+=("$RGW_PID")
echo "$RGW_PID" >"$DIR/run/rgw.pid"
ENDPOINT=http://127.0.0.1:$RGW_PORT
deadline=$(( $(date +%s) + READY_TIMEOUT ))
until curl -sf -o /dev/null --max-time 2 "$ENDPOINT/"; do
    alive "$RGW_PID" || die "radosgw exited; see $DIR/log/rgw.out and $DIR/log/ceph-client.rgw.log"
    (( $(date +%s) < deadline )) || die "S3 at $ENDPOINT did not answer within ${READY_TIMEOUT}s"
    sleep 0.25
done
log "S3 answers at $ENDPOINT (radosgw pid $RGW_PID)"

# ---------------------------------------------------------------- 7. S3 user
for i in $(seq 20); do
    if radosgw-admin -c "$CONF" -n client.rgw user create --uid=earwitness \
        --display-name="earwitness test" --access-key="$ACCESS_KEY" --secret-key="$SECRET_KEY" \
        >"$DIR/log/user.json" 2>"$DIR/log/user.err"; then break; fi
    ((i < 20)) || { cat "$DIR/log/user.err" >&2; die "radosgw-admin user create failed"; }
    sleep 0.5
done
grep -q "\"$ACCESS_KEY\"" "$DIR/log/user.json" || die "user created without the expected access key"
# A signed ListBuckets proves the keys work. curl 7.88 signs the empty payload's SHA-256 but does
# not send x-amz-content-sha256, and radosgw then assumes UNSIGNED-PAYLOAD (SignatureDoesNotMatch):
# send the header explicitly.
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
    -H 'x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' \
    --aws-sigv4 "aws:amz:us-east-1:s3" --user "$ACCESS_KEY:$SECRET_KEY" "$ENDPOINT/" || true)
[[ $code == 200 ]] || die "signed ListBuckets as the new user returned HTTP $code, not 200"

# ---------------------------------------------------------------- 8. env file
cat >"$DIR/env" <<EOF
export AWS_ACCESS_KEY_ID=$ACCESS_KEY
export AWS_SECRET_ACCESS_KEY=$SECRET_KEY
export AWS_ENDPOINT_URL=$ENDPOINT
export AWS_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true
export CEPH_DIR=$DIR
export CEPH_CONF=$CONF
export CEPH_MON_PID=$MON_PID
export CEPH_OSD_PID=$OSD_PID
export CEPH_RGW_PID=$RGW_PID
EOF
ready=1
if [[ -n ${CEPH_OWNER_PID:-} ]]; then
    # The watchdog: a detached shell that waits for the owner to exit, then stops the cluster.
    setsid bash -c 'while kill -0 "$1" 2>/dev/null; do sleep 1; done; exec "$2" "$3"' \
        watchdog "$CEPH_OWNER_PID" "$SCRIPT_DIR/ceph-down.sh" "$DIR" \
        </dev/null >/dev/null 2>&1 &
    log "watchdog (pid $!) stops the cluster when pid $CEPH_OWNER_PID exits"
fi
rss=0
for pid in "$MON_PID" "$OSD_PID" "$RGW_PID"; do
    kb=$(awk '/^VmRSS:/{print $2}' "/proc/$pid/status" 2>/dev/null || echo 0); rss=$((rss + kb))
done
log "ready in $(elapsed) s; daemons' RSS $((rss / 1024)) MiB; env: $DIR/env"
cat "$DIR/env"
