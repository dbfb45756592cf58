#!/usr/bin/env bash
# Start a one-node Ceph radosgw on loopback for the S3 tests (see the test
# infrastructure notes, section 2.2): one ceph-mon, one in-memory (memstore)
# ceph-osd, one radosgw, no cephx, no mgr. Creates an S3 user and a bucket.
#
#   scripts/rgw-up.sh [DIR]     DIR defaults to $STRATA_RGW_DIR or /tmp/strata-rgw
#
# Prints shell assignments on stdout (eval them) once the bucket answers:
#   STRATA_RGW_DIR=... STRATA_S3_ENDPOINT=http://127.0.0.1:PORT STRATA_S3_BUCKET=...
#   STRATA_S3_REGION=us-east-1 STRATA_S3_ACCESS_KEY_ID=... STRATA_S3_SECRET_ACCESS_KEY=...
# Progress and errors go to stderr. On failure it dumps the daemons' log
# tails, stops what it started (scripts/rgw-down.sh) and exits non-zero.
#
# Ports: RGW_PORT / RGW_MON_PORT when set, else free ports picked at random
# in 20000-29999 (several engineers share the machine). The data lives in RAM
# (memstore, 1 GiB cap) and is gone when the OSD stops.
# Needs: apt-get install --no-install-recommends -y ceph-mon ceph-osd radosgw ceph-common
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
D=${1:-${STRATA_RGW_DIR:-/tmp/strata-rgw}}
ACCESS=${RGW_ACCESS_KEY:-STRATAACCESSKEY}
SECRET=${RGW_SECRET_KEY:-stratasecretkey}
BUCKET=${RGW_BUCKET:-strata}
T0=$(date +%s.%N)

say() { echo "rgw-up: $*" >&2; }
for b in ceph-mon ceph-osd radosgw radosgw-admin monmaptool ceph curl timeout; do
	command -v "$b" >/dev/null || {
		say "$b not found; apt-get install --no-install-recommends -y ceph-mon ceph-osd radosgw ceph-common curl"
		exit 2
	}
done

port_free() { # nothing listens on 127.0.0.1:$1 (ss from iproute2 when present)
	if command -v ss >/dev/null; then
		! ss -ltnH "sport = :$1" 2>/dev/null | grep -q .
	else
		! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
	fi
}
pick_port() {
	local p i
	for i in $(seq 1 50); do
		p=$((20000 + RANDOM % 10000))
		port_free "$p" && { echo "$p"; return 0; }
	done
	return 1
}
PORT=${RGW_PORT:-$(pick_port)}
MONPORT=${RGW_MON_PORT:-$(pick_port)}
[ "$PORT" != "$MONPORT" ] || MONPORT=$((MONPORT + 1))

# A previous cluster in the same folder is stopped first (idempotent start).
"$here/rgw-down.sh" "$D" >/dev/null 2>&1 || true
rm -rf "$D"
mkdir -p "$D"/{run,log,mon,osd/osd.0,rgw}
FSID=$(cat /proc/sys/kernel/random/uuid)
cat >"$D/ceph.conf" <<CONF
[global]
fsid = $FSID
mon host = v2:127.0.0.1:$MONPORT
public network = 127.0.0.0/8
auth cluster required = none
auth service required = none
auth client required = none
ms mon client mode = crc
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
mon warn on pool no redundancy = false
mon data avail crit = 1
osd objectstore = memstore
memstore device bytes = 1073741824
osd crush chooseleaf type = 0
osd pool default pg autoscale mode = off
osd pool default pg num = 8
osd pool default pgp num = 8
mon max pg per osd = 1000
run dir = $D/run
admin socket = $D/run/\$name.asok
log file = $D/log/\$name.log
pid file = $D/run/\$name.pid
mon data = $D/mon/\$name
osd data = $D/osd/\$name
keyring = $D/keyring
[client.rgw.local]
rgw frontends = beast endpoint=127.0.0.1:$PORT
rgw data = $D/rgw
CONF
touch "$D/keyring"
echo "$PORT" >"$D/port"
C=(-c "$D/ceph.conf")

fail() {
	say "FAILED: $*"
	for f in "$D"/log/*.log "$D"/*.out; do
		[ -f "$f" ] || continue
		say "--- tail $f"
		tail -n 20 "$f" >&2 || true
	done
	"$here/rgw-down.sh" "$D" >&2 || true
	exit 1
}
run() { # step name, command...: bounded by 120 s so a stuck daemon cannot hang the tests
	local what=$1
	shift
	timeout 120 "$@" >>"$D/setup.out" 2>&1 || fail "$what (exit $?): $*"
}

run monmaptool monmaptool --create --addv a "[v2:127.0.0.1:$MONPORT]" --fsid "$FSID" "$D/monmap"
run "mon mkfs" ceph-mon "${C[@]}" --mkfs -i a --monmap "$D/monmap"
run "mon start" ceph-mon "${C[@]}" -i a --public-addr "v2:127.0.0.1:$MONPORT"
OSD_UUID=$(cat /proc/sys/kernel/random/uuid)
run "osd new" ceph "${C[@]}" --connect-timeout 60 osd new "$OSD_UUID"
run "osd mkfs" ceph-osd "${C[@]}" -i 0 --mkfs --osd-uuid "$OSD_UUID"
run "osd start" ceph-osd "${C[@]}" -i 0
run "rgw start" radosgw "${C[@]}" -n client.rgw.local
run "user create" radosgw-admin "${C[@]}" -n client.rgw.local user create --uid=strata \
	--display-name=strata --access-key="$ACCESS" --secret-key="$SECRET"

# radosgw answers HTTP once its pools exist; then create the bucket.
S="http://127.0.0.1:$PORT"
A=(--aws-sigv4 "aws:amz:us-east-1:s3" --user "$ACCESS:$SECRET" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD")
deadline=$(($(date +%s) + 120))
code=000
while :; do
	code=$(curl -s -o "$D/bucket.out" -w '%{http_code}' -m 10 "${A[@]}" -X PUT "$S/$BUCKET" || true)
	[ "$code" = 200 ] && break
	[ "$(date +%s)" -lt "$deadline" ] || fail "bucket create: HTTP $code $(cat "$D/bucket.out" 2>/dev/null)"
	sleep 0.3
done
code=$(curl -s -o /dev/null -w '%{http_code}' -m 10 "${A[@]}" "$S/$BUCKET?list-type=2&max-keys=1" || true)
[ "$code" = 200 ] || fail "bucket list: HTTP $code"

say "radosgw up at $S in $(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s (dir $D)"
cat <<EOF
STRATA_RGW_DIR=$D
STRATA_S3_ENDPOINT=$S
STRATA_S3_BUCKET=$BUCKET
STRATA_S3_REGION=us-east-1
STRATA_S3_ACCESS_KEY_ID=$ACCESS
STRATA_S3_SECRET_ACCESS_KEY=$SECRET
EOF
