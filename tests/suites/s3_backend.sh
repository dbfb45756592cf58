#!/usr/bin/env bash
# The s3 object store backend against a real, signature-verifying S3 server
# (TAP). Unless STRATA_S3_ENDPOINT is set (then STRATA_S3_BUCKET,
# STRATA_S3_ACCESS_KEY_ID and STRATA_S3_SECRET_ACCESS_KEY too), starts a
# one-node Ceph radosgw on loopback with scripts/rgw-up.sh (installing
# ceph-mon ceph-osd radosgw ceph-common when missing) and stops it at the end,
# also on failure or interrupt.
#   1      radosgw is up (skipped with an external endpoint)
#   2..    $STRATA_BUILD/tests/tools/s3_check: put/get/range/head/list paging/
#          delete/put-if-absent/multipart/threads/retries, renumbered here
#   then   the startup check with a wrong secret fails with ERR_IO and a
#          message naming 403 SignatureDoesNotMatch; with an unknown access
#          key, InvalidAccessKeyId; the right keys pass
set -u
cd "$(dirname "$0")/../.."
. tests/suites/lib/backends.sh
B=${STRATA_BUILD:-build}
tool=$B/tests/tools/s3_check
n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; }
diag() { sed 's/^/# /'; }
finish() { echo "1..$n"; }

if [ ! -x "$tool" ]; then
	nok "$tool not built"
	finish
	exit 1
fi

work=$(mktemp -d /tmp/strata_s3suite.XXXXXX)
rgwdir=""
cleanup() {
	[ -n "$rgwdir" ] && scripts/rgw-down.sh "$rgwdir"
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -z "${STRATA_S3_ENDPOINT:-}" ]; then
	rgwdir=$work/rgw
	t0=$(date +%s%N)
	if backends_rgw_up "$rgwdir" strata-suite "$work/rgw-up.err"; then
		ok "radosgw up at $STRATA_S3_ENDPOINT in $((($(date +%s%N) - t0) / 1000000)) ms"
	else
		nok "radosgw did not start (scripts/rgw-up.sh)"
		diag <"$work/rgw-up.err"
		finish
		exit 1
	fi
fi

# The live checks, renumbered into this suite's sequence.
timeout 600 "$tool" >"$work/check.out" 2>"$work/check.err"
st=$?
while IFS= read -r line; do
	case "$line" in
	"ok "[0-9]*) ok "${line#* - }" ;;
	"not ok "[0-9]*) nok "${line#* - }" ;;
	1..*) ;;
	*) echo "# $line" ;;
	esac
done <"$work/check.out"
if [ $st -ne 0 ] && ! grep -q '^not ok' "$work/check.out"; then
	nok "s3_check exited with status $st"
fi
[ -s "$work/check.err" ] && tail -20 "$work/check.err" | diag

# A wrong secret must fail the startup check with a readable error.
STRATA_S3_SECRET_ACCESS_KEY=not-the-secret "$tool" startup 2>"$work/bad.err"
st=$?
msg=$(tail -1 "$work/bad.err")
if [ $st -ne 0 ] && [[ "$msg" == IO:*"403 SignatureDoesNotMatch"*"secret access key"* ]]; then
	ok "wrong secret: startup check fails clearly ($msg)"
else
	nok "wrong secret: exit $st, message '$msg'"
fi
STRATA_S3_ACCESS_KEY_ID=NOSUCHACCESSKEY "$tool" startup 2>"$work/bad.err"
st=$?
msg=$(tail -1 "$work/bad.err")
if [ $st -ne 0 ] && [[ "$msg" == IO:*"403 InvalidAccessKeyId"* ]]; then
	ok "unknown access key: startup check fails clearly ($msg)"
else
	nok "unknown access key: exit $st, message '$msg'"
fi
if "$tool" startup 2>"$work/good.err"; then
	ok "right credentials: startup check passes"
else
	nok "right credentials: $(tail -1 "$work/good.err")"
fi
finish
[ $fails -eq 0 ]
