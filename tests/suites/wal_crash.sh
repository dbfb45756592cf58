#!/usr/bin/env bash
# WAL crash tests with real processes (TAP). Uses tests/tools/wal_crash_child.
#  1-3  STRATA_FAULTS=wal.append.after=kill:K kills the writer right after
#       append number K+1 became durable; the log must then hold exactly the
#       appends 1..K+1 (cumulative over three crashes, each run continuing
#       where the previous one ended).
#  4-8  kill -9 at an arbitrary moment while appending 16 KiB entries (a kill
#       inside a write leaves a torn tail): the log must reopen and hold a gap-free,
#       intact prefix 1..M; M must not shrink from one crash to the next, and a
#       later writer continues from M+1.
set -u
cd "$(dirname "$0")/../.."
B=${STRATA_BUILD:-build}
tool=$B/tests/tools/wal_crash_child
if [ ! -x "$tool" ]; then
	echo "1..1"
	echo "not ok 1 - $tool not built"
	exit 1
fi
work=$(mktemp -d /tmp/strata_walcrash.XXXXXX)
trap 'rm -rf "$work"' EXIT
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); echo "not ok $n - $1"; }
echo "1..8"

dir=$work/a
next=1
for k in 0 7 40; do
	STRATA_FAULTS="wal.append.after=kill:$k" "$tool" append "$dir" "$next" 0 2>"$work/err"
	st=$?
	next=$((next + k + 1))
	if [ $st -ne 137 ]; then
		nok "kill:$k: writer exited with $st, not SIGKILL ($(tail -1 "$work/err"))"
	elif out=$("$tool" check "$dir" $((next - 1)) 2>&1); then
		ok "kill:$k: exactly appends 1..$((next - 1)) survive"
	else
		nok "kill:$k: $out"
	fi
done

dir=$work/b
prev=0
for i in 1 2 3 4 5; do
	"$tool" append "$dir" $((prev + 1)) 0 fsync 16384 2>"$work/err" &
	pid=$!
	sleep 0.$((1 + i % 3))
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	if out=$("$tool" prefix "$dir" 2>"$work/err2"); then
		read -r m torn <<<"$out"
		if [ "$m" -ge "$prev" ]; then
			ok "kill -9 #$i: intact prefix 1..$m ($torn bytes of torn tail cut)"
			prev=$m
		else
			nok "kill -9 #$i: prefix shrank from $prev to $m"
		fi
	else
		nok "kill -9 #$i: $(tail -1 "$work/err2")"
	fi
done
