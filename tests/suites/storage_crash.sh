#!/usr/bin/env bash
# Crash tests of the storage engine: a child process writing to a region is
# SIGKILLed (through fault points) right after a WAL append, after an SST
# upload but before its manifest version, and in the middle of a manifest
# write. After each crash the region is reopened and every acknowledged row
# must be present exactly once, with no half-written object visible.
# Prints TAP lines.
set -u
cd "$(dirname "$0")/../.."
B=${STRATA_BUILD:-build}
CHILD=$B/tests/tools/region_crash_child
work=$(mktemp -d /tmp/strata-crash-XXXXXX)
trap 'rm -rf "$work"' EXIT
n=0

crash_case() { # name, faults, rows, flush_every
	local name=$1 faults=$2 rows=$3 every=$4
	local d="$work/$name"
	mkdir -p "$d"
	n=$((n + 1))
	STRATA_FAULTS="$faults" "$CHILD" write "$d" "$rows" "$every" >"$d/out" 2>"$d/err"
	local rc=$?
	local acked
	acked=$(grep -c '^ack ' "$d/out")
	if [ $rc -ne 137 ] && ! grep -q 'injected crash' "$d/err"; then
		echo "not ok $n - $name: child was not killed (rc=$rc): $(tail -2 "$d/err")"
		return
	fi
	if out=$("$CHILD" verify "$d" "$acked" 2>&1); then
		echo "ok $n - $name: killed after $acked acknowledged rows, all present once ($out)"
	else
		echo "not ok $n - $name: $out"
		return
	fi
	# the region keeps working after the crash: more writes, then verify again
	n=$((n + 1))
	"$CHILD" write "$d" 5 2 >"$d/out2" 2>"$d/err2"
	local more
	more=$(grep -c '^ack ' "$d/out2")
	if out=$("$CHILD" verify "$d" $((acked + more)) 2>&1) && [ "$more" -eq 5 ]; then
		echo "ok $n - $name: writes after recovery are durable too"
	else
		echo "not ok $n - $name: after recovery: $out $(tail -2 "$d/err2")"
	fi
}

crash_case wal_append "wal.append.after=kill:37" 100 0
crash_case wal_append_with_flushes "wal.append.after=kill:45" 100 10
crash_case sst_upload_before_manifest "sst.upload.after=kill:2" 100 10
crash_case manifest_write_mid "manifest.write.mid=kill:3" 100 10
crash_case manifest_write_after "manifest.write.after=kill:1" 100 10
echo "1..$n"
