#!/usr/bin/env bash
# The etcd metadata store backend and the metasrv leader election against
# real etcd clusters on loopback (TAP). Installs etcd-server and etcd-client
# with apt when etcd is missing, starts clusters with scripts/etcd-up.sh and
# always stops them with scripts/etcd-down.sh (also on failure or interrupt).
#   1      a 1-member cluster is up
#   2..    $STRATA_BUILD/tests/tools/etcd_check: get/put/delete/range, values,
#          txn compares and conflicts, prefix isolation, paging over 1000
#          keys, kv_next_id from 3 threads, dead endpoints, election in one
#          process and across two processes (SIGKILL of the leader),
#          renumbered here
#   then   a 3-member cluster is up; etcd_check cluster: kill the raft leader
#          member (operations rotate to the others), lose quorum (clean
#          ERR_UNAVAILABLE within the deadline), restart (healed)
#   last   etcd-down leaves no etcd process of ours and removes the folders
# With STRATA_ETCD_ENDPOINTS set, the 1-member part runs against that
# cluster instead and the 3-member part is skipped.
set -u
cd "$(dirname "$0")/../.."
B=${STRATA_BUILD:-build}
tool=$B/tests/tools/etcd_check
n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
diag() { sed 's/^/# /'; }
finish() { echo "1..$n"; }

if [ ! -x "$tool" ]; then
	nok "$tool not built"
	finish
	exit 1
fi

work=$(mktemp -d /tmp/strata_etcdsuite.XXXXXX)
dirs=()
cleanup() {
	local d
	for d in "${dirs[@]+"${dirs[@]}"}"; do scripts/etcd-down.sh "$d"; done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

dump_logs() { # cluster folder: the members' log tails, as diagnostics
	local f
	for f in "$1"/n*.log; do
		[ -f "$f" ] || continue
		echo "--- tail $f" | diag
		tail -n 15 "$f" | diag
	done
}

# run_check LABEL DIR ARGS...: the tool's TAP lines, renumbered into ours.
run_check() {
	local label=$1 dir=$2
	shift 2
	local before=$fails
	timeout 300 "$tool" "$@" >"$work/check.out" 2>"$work/check.err"
	local st=$?
	while IFS= read -r line; do
		case "$line" in
		"ok "[0-9]*) ok "$label: ${line#* - }" ;;
		"not ok "[0-9]*) nok "$label: ${line#* - }" ;;
		1..*) ;;
		*) echo "# $line" ;;
		esac
	done <"$work/check.out"
	if [ $st -ne 0 ] && ! grep -q '^not ok' "$work/check.out"; then
		nok "$label: etcd_check exited with status $st"
	fi
	[ -s "$work/check.err" ] && tail -20 "$work/check.err" | diag
	[ $fails -ne $before ] && [ -n "$dir" ] && dump_logs "$dir"
	return 0
}

# start_cluster MEMBERS: eval's etcd-up's assignments; 0 on success.
start_cluster() {
	local members=$1 d="$work/etcd$1" out t0
	dirs+=("$d")
	t0=$(date +%s%N)
	if out=$(scripts/etcd-up.sh "$d" "$members" 2>"$work/etcd-up.err"); then
		eval "$out"
		export STRATA_ETCD_ENDPOINTS STRATA_ETCD_PIDS STRATA_ETCD_DIR
		ok "etcd $members-member cluster up at $STRATA_ETCD_ENDPOINTS in $((($(date +%s%N) - t0) / 1000000)) ms"
		return 0
	fi
	nok "etcd $members-member cluster did not start (scripts/etcd-up.sh)"
	diag <"$work/etcd-up.err"
	return 1
}

if [ -n "${STRATA_ETCD_ENDPOINTS:-}" ]; then
	skip "start a 1-member cluster" "external STRATA_ETCD_ENDPOINTS=$STRATA_ETCD_ENDPOINTS"
	run_check "1 member" ""
	skip "3-member cluster checks" "external endpoints"
	finish
	[ $fails -eq 0 ]
	exit
fi

if ! command -v etcd >/dev/null; then
	SUDO=""
	[ "$(id -u)" -ne 0 ] && SUDO=sudo
	echo "# installing etcd-server etcd-client"
	export DEBIAN_FRONTEND=noninteractive
	if ! $SUDO apt-get install -y etcd-server etcd-client >"$work/apt.log" 2>&1; then
		$SUDO apt-get update -qq >>"$work/apt.log" 2>&1
		$SUDO apt-get install -y etcd-server etcd-client >>"$work/apt.log" 2>&1 ||
			{ tail -5 "$work/apt.log" | diag; }
	fi
fi

if start_cluster 1; then
	run_check "1 member" "$STRATA_ETCD_DIR"
fi
if start_cluster 3; then
	run_check "3 members" "$STRATA_ETCD_DIR" cluster
fi

# Stopping is part of the contract: nothing of ours may survive.
for d in "${dirs[@]}"; do scripts/etcd-down.sh "$d"; done
left=""
for p in /proc/[0-9]*; do
	[ "$(cat "$p/comm" 2>/dev/null)" = etcd ] || continue
	tr '\0' '\n' <"$p/cmdline" 2>/dev/null | grep -q "^$work/" && left="$left ${p#/proc/}"
done
if [ -z "$left" ] && [ ! -e "$work/etcd1" ] && [ ! -e "$work/etcd3" ]; then
	ok "etcd-down stopped every member and removed the folders"
else
	nok "etcd processes left behind:$left"
fi
dirs=()
finish
[ $fails -eq 0 ]
