#!/usr/bin/env bash
# cluster_agg: partial aggregation pushdown in a real cluster (`strata
# cluster start --datanodes 3`, through the mysql CLI).
#
# Table m: 3 regions (PARTITION ON COLUMNS host), leaders on the 3
# datanodes, followers on the others (ADMIN ADD_TABLE_FOLLOWER); 12 hosts
# x 60 rows with NULLs, negative numbers, a host whose v is all NULL; half
# the rows are flushed to SSTs, the other half stay in the leaders'
# memtables (never sent to the followers: a follower read must fetch them).
# Table ov: BIGINT values near INT64_MAX, so sums wrap (as today).
#
# For READ_PREFERENCE leader and follower, every query of QUERIES below
# is run with pushdown on and with `SET strata_agg_pushdown = 0` (the
# plain path) and both answers are compared, as text, with each other and
# with the value computed here in Python from the rows inserted. EXPLAIN
# ANALYZE proves the aggregation ran on the peers (per region
# "partial aggregation at peer=N", with "(follower)" under follower reads)
# and that the frontend received one row per (region, group) instead of
# the table's rows; with pushdown off it shows the plain plan.
#
# Ports are picked free; the cluster is stopped (SIGTERM, checked) at the
# end. Prints TAP.
set -u
cd "$(dirname "$0")/../.."
B=${STRATA_BUILD:-build}
STRATA=$B/strata
work=$(mktemp -d /tmp/strata-cagg-XXXXXX)
declare -A pid
n=0
ok() {
	n=$((n + 1))
	echo "ok $n - $1"
}
not_ok() {
	n=$((n + 1))
	echo "not ok $n - $1"
	[ -n "${2:-}" ] && printf '%s\n' "$2" | head -40 | sed 's/^/#   /'
	return 0
}
# shellcheck source=tests/suites/lib/cluster.sh
. tests/suites/lib/cluster.sh
trap cluster_cleanup EXIT

if [ ! -x "$STRATA" ] || ! command -v mysql >/dev/null || ! command -v python3 >/dev/null; then
	echo "not ok 1 - needs $STRATA, mysql and python3"
	exit 1
fi

P_META=$(free_port)
P_MY=$(free_port)
P_PG=$(free_port)
P_HTTP=$(free_port)
# datanode ports: three consecutive free ones
base=$(free_ports 3)
"$STRATA" cluster start --datanodes 3 --data-home "$work/c" --heartbeat-interval-ms 200 \
	--metasrv-port "$P_META" --datanode-base-port "$base" --http-port "$P_HTTP" \
	--mysql-port "$P_MY" --postgres-port "$P_PG" --log-dir "$work" \
	>"$work/parent.log" 2>&1 &
pid[cluster]=$!

alive() {
	[ "$(mysql --protocol=TCP -h 127.0.0.1 -P "$P_MY" -u root -N -B -e \
		"SELECT count(*) FROM information_schema.cluster_info WHERE peer_type = 'DATANODE' AND node_status = 'ALIVE'" 2>/dev/null)" = 3 ]
}
if ! poll 30 alive; then
	not_ok "cluster started" "$(tail -20 "$work"/*.log)"
	exit 1
fi
ok "cluster started (metasrv, 3 datanodes, frontend)"

relay() {
	local line
	while IFS= read -r line; do
		case "$line" in
		"ok - "*) ok "${line#ok - }" ;;
		"not ok - "*) not_ok "${line#not ok - }" ;;
		*) echo "$line" ;;
		esac
	done
}
P_MY=$P_MY P_PG=$P_PG python3 - >"$work/checks.out" 2>&1 <<'EOF'
import os, subprocess, sys

PORT = os.environ["P_MY"]
out_n = 0


def ok(msg):
    print("ok - " + msg, flush=True)


def not_ok(msg, detail=""):
    print("not ok - " + msg, flush=True)
    for line in detail.splitlines()[:40]:
        print("#   " + line, flush=True)


def my(sql):
    r = subprocess.run(["timeout", "60", "mysql", "--protocol=TCP", "-h", "127.0.0.1", "-P", PORT,
                        "-u", "root", "-N", "-B", "-e", sql], capture_output=True, text=True)
    return r.returncode, (r.stdout + r.stderr).rstrip("\n")


def must(sql, what):
    rc, out = my(sql)
    if rc != 0:
        not_ok(what, out)
        sys.exit(1)
    return out


# ---- data -------------------------------------------------------------------
T0 = 1700000000000
HOSTS = ["h%02d" % i for i in range(12)]  # h00..h11; hz: v all NULL


def gen():
    rows = []
    for hi, h in enumerate(HOSTS + ["hz"]):
        for i in range(60):
            k = hi * 60 + i
            ts = T0 + k * 7000 + hi  # spread over ~90 minutes
            v = None if (h == "hz" or k % 7 == 0) else (k * 37) % 201 - 100
            f = None if k % 11 == 0 else ((k % 13) - 6) * 0.5
            rows.append((ts, h, v, f))
    return rows


ROWS = gen()
OV = [(T0 + i, "h%02d" % (i % 12), 9223372036854775000 - i) for i in range(9)]


def ins(table, rows, cols):
    vals = []
    for r in rows:
        vals.append("(" + ", ".join("NULL" if x is None else (repr(x) if isinstance(x, float) else
                                                              ("'%s'" % x if isinstance(x, str) else str(x)))
                                    for x in r) + ")")
    for i in range(0, len(vals), 200):
        must("INSERT INTO %s (%s) VALUES %s" % (table, cols, ", ".join(vals[i:i + 200])),
             "insert into " + table)


must("CREATE TABLE m (ts TIMESTAMP TIME INDEX, host STRING PRIMARY KEY, v BIGINT, f DOUBLE) "
     "PARTITION ON COLUMNS ('host') (host < 'h04', host >= 'h04' AND host < 'h08', host >= 'h08')",
     "create m")
must("CREATE TABLE ov (ts TIMESTAMP TIME INDEX, host STRING PRIMARY KEY, v BIGINT) "
     "PARTITION ON COLUMNS ('host') (host < 'h04', host >= 'h04' AND host < 'h08', host >= 'h08')",
     "create ov")
half = len(ROWS) // 2
ins("m", ROWS[0::2], "ts, host, v, f")
must("ADMIN FLUSH_TABLE('m')", "flush m")
ins("m", ROWS[1::2], "ts, host, v, f")  # stays in the leaders' memtables
ins("ov", OV, "ts, host, v")
peers = must("SELECT region_id, peer_id FROM information_schema.region_peers "
             "WHERE table_name = 'm' AND is_leader = 'Yes' ORDER BY region_id", "region_peers")
leaders = sorted(l.split("\t")[1] for l in peers.splitlines())
if leaders == ["0", "1", "2"]:
    ok("m has 3 regions with leaders on datanodes 0, 1, 2")
else:
    not_ok("m has 3 regions with leaders on datanodes 0, 1, 2", peers)
must("ADMIN ADD_TABLE_FOLLOWER('m', '0,1,2')", "add followers of m")
must("ADMIN ADD_TABLE_FOLLOWER('ov', '0,1,2')", "add followers of ov")
nf = must("SELECT count(*) FROM information_schema.region_peers WHERE table_name = 'm' "
          "AND is_leader = 'No'", "followers")
if nf == "3":
    ok("every region of m has a follower")
else:
    not_ok("every region of m has a follower", nf)


# ---- expected values, computed here ------------------------------------------
def wrap(x):
    x &= (1 << 64) - 1
    return x - (1 << 64) if x >= 1 << 63 else x


def agg(vals, kind):
    nn = [x for x in vals if x is not None]
    if kind == "count":
        return len(nn)
    if not nn:
        return None
    if kind == "sum":
        return wrap(sum(nn)) if all(isinstance(x, int) for x in nn) else float(sum(nn))
    if kind == "min":
        return min(nn)
    if kind == "max":
        return max(nn)
    if kind == "avg":
        return float(sum(nn)) / len(nn)


def fmt(x):
    if x is None:
        return "NULL"
    if isinstance(x, float):
        if x == int(x) and abs(x) < 1e15:
            return str(int(x))
        return repr(x)
    return str(x)


def table(rows):
    return "\n".join("\t".join(fmt(x) for x in r) for r in rows)


def group(rows, key):
    g = {}
    for r in rows:
        g.setdefault(key(r), []).append(r)
    return g


def ts_text(ms):
    import datetime
    d = datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc)
    return d.strftime("%Y-%m-%d %H:%M:%S.%f")


V = lambda r: r[2]
F = lambda r: r[3]
lo, hi = T0 + 600000, T0 + 3600000


def e_by_host():
    g = group(ROWS, lambda r: r[1])
    return table([(h, len(rs), agg(map(V, rs), "count"), agg(map(V, rs), "sum"), agg(map(V, rs), "min"),
                   agg(map(V, rs), "max"), agg(map(V, rs), "avg"), agg(map(F, rs), "avg"))
                  for h, rs in sorted(g.items())])


def e_minute():
    g = group(ROWS, lambda r: r[0] // 60000 * 60000)
    return table([(ts_text(k), len(rs), agg(map(V, rs), "sum"), agg(map(F, rs), "min"),
                   agg(map(F, rs), "avg")) for k, rs in sorted(g.items())])


def e_having():
    g = group(ROWS, lambda r: r[1])
    res = [(h, agg(map(V, rs), "sum")) for h, rs in sorted(g.items())]
    return table([r for r in res if r[1] is not None and r[1] > 0])


def e_topk():
    g = group(ROWS, lambda r: r[1])
    res = [(h, agg(map(V, rs), "max"), len(rs)) for h, rs in g.items()]
    # DESC puts NULLs first (DataFusion's default, NULLS FIRST for DESC)
    res.sort(key=lambda r: (r[1] is not None, -(r[1] or 0), r[0]))
    return table(res[:3])


def e_where():
    sel = [r for r in ROWS if r[1] in ("h01", "h05", "h09", "hz") and r[2] is not None and r[2] > -50
           and lo <= r[0] < hi]
    g = group(sel, lambda r: r[1])
    return table([(h, len(rs), agg(map(V, rs), "sum"), agg(map(V, rs), "avg")) for h, rs in sorted(g.items())])


def e_field_filter():
    sel = [r for r in ROWS if r[3] is not None and r[3] >= 0]
    g = group(sel, lambda r: r[1])
    return table([(h, len(rs), agg(map(F, rs), "sum")) for h, rs in sorted(g.items())])


def e_global():
    return table([(len(ROWS), agg(map(V, ROWS), "count"), agg(map(V, ROWS), "sum"), agg(map(V, ROWS), "min"),
                   agg(map(V, ROWS), "max"), agg(map(V, ROWS), "avg"), agg(map(F, ROWS), "sum"))])


def e_case():
    g = group(ROWS, lambda r: "neg" if (r[2] is not None and r[2] < 0) else "pos")
    return table([(k, len(rs), agg(map(V, rs), "sum")) for k, rs in sorted(g.items())])


def e_expr():
    g = group(ROWS, lambda r: r[1])
    return table([(h, agg([None if r[2] is None else r[2] * 2 + 1 for r in rs], "sum"),
                   agg([None if r[3] is None else r[3] * 4 for r in rs], "max"))
                  for h, rs in sorted(g.items())])


def e_ov():
    g = group(OV, lambda r: r[1])
    res = [(h, agg([r[2] for r in rs], "sum"), len(rs)) for h, rs in sorted(g.items())]
    allsum = agg([r[2] for r in OV], "sum")
    return table(res) + "\n" + table([(allsum, len(OV))])


QUERIES = [
    ("GROUP BY tag: count/sum/min/max/avg",
     "SELECT host, count(*), count(v), sum(v), min(v), max(v), avg(v), avg(f) FROM m GROUP BY host ORDER BY host",
     e_by_host),
    ("GROUP BY date_trunc (alias)",
     "SELECT date_trunc('minute', ts) AS t, count(*), sum(v), min(f), avg(f) FROM m GROUP BY t ORDER BY t",
     e_minute),
    ("HAVING", "SELECT host, sum(v) FROM m GROUP BY host HAVING sum(v) > 0 ORDER BY host", e_having),
    ("ORDER BY aggregate + LIMIT",
     "SELECT host, max(v), count(*) FROM m GROUP BY 1 ORDER BY max(v) DESC, host LIMIT 3", e_topk),
    ("WHERE on tag, field and time",
     "SELECT host, count(*), sum(v), avg(v) FROM m WHERE host IN ('h01', 'h05', 'h09', 'hz') AND v > -50 "
     "AND ts >= %d AND ts < %d GROUP BY host ORDER BY host" % (lo, hi), e_where),
    ("WHERE on a field only", "SELECT host, count(*), sum(f) FROM m WHERE f >= 0 GROUP BY host ORDER BY host",
     e_field_filter),
    ("global aggregates",
     "SELECT count(*), count(v), sum(v), min(v), max(v), avg(v), sum(f) FROM m", e_global),
    ("global aggregates over no rows (every region scanned)",
     "SELECT count(*), count(v), sum(v), min(v), max(f), avg(v) FROM m WHERE v > 1000",
     lambda: "0\t0\tNULL\tNULL\tNULL\tNULL"),
    ("global aggregates over no rows (regions pruned)",
     "SELECT count(*), sum(v), avg(f) FROM m WHERE host = 'nope' AND host = 'other'",
     lambda: "0\tNULL\tNULL"),
    ("GROUP BY CASE", "SELECT CASE WHEN v < 0 THEN 'neg' ELSE 'pos' END AS sign, count(*), sum(v) FROM m "
     "GROUP BY sign ORDER BY sign", e_case),
    ("arithmetic in aggregate arguments",
     "SELECT host, sum(v * 2 + 1), max(f * 4) FROM m GROUP BY host ORDER BY host", e_expr),
    ("a backslash in a MySQL string crosses to the peer intact",
     "SELECT count(*), sum(v) FROM m WHERE concat(host, '\\\\') <> 'h01\\\\' AND host <> 'a\\'b'",
     lambda: table([(len([r for r in ROWS if r[1] != "h01"]),
                     agg([r[2] for r in ROWS if r[1] != "h01"], "sum"))])),
    ("integer sum overflow wraps as the plain path",
     "SELECT host, sum(v), count(*) FROM ov GROUP BY host ORDER BY host; SELECT sum(v), count(*) FROM ov", e_ov),
]

for pref in ("leader", "follower"):
    setp = "SET READ_PREFERENCE='%s'; " % pref
    for name, q, exp in QUERIES:
        rc1, on = my(setp + q)
        rc2, off = my(setp + "SET strata_agg_pushdown = 0; " + q)
        want = exp()
        what = "%s: %s" % (pref, name)
        if rc1 == 0 and rc2 == 0 and on == off == want:
            ok(what + ": pushed = plain = expected")
        else:
            not_ok(what, "pushed:\n%s\nplain:\n%s\nexpected:\n%s" % (on, off, want))

    # proof: the peers aggregated, the frontend got one row per (region, group)
    rc, ex = my(setp + "EXPLAIN ANALYZE SELECT host, count(*), sum(v) FROM m GROUP BY host")
    lines = ex.splitlines()
    per_region = [l for l in lines if "SeqScan: region=" in l]
    tag = "(follower)" if pref == "follower" else "(leader)"
    good = (rc == 0 and len(per_region) == 3 and
            all(tag in l and "partial aggregation at peer=" in l for l in per_region) and
            all(l.split("peer=")[1].split(" ")[0] == l.split("partial aggregation at peer=")[1].split(",")[0]
                for l in per_region) and
            "mode=Final" in ex and "partial_aggregation=pushed" in ex)
    if good:
        ok("%s: EXPLAIN ANALYZE names each region's peer %s and says it aggregated there" % (pref, tag))
    else:
        not_ok("%s: EXPLAIN ANALYZE shows the partial aggregation at the peers" % pref, ex)
    import re
    m = re.search(r"SeqScan: table=m, partial_aggregation=pushed[^\n]*?output_rows: (\d+)", ex)
    got = int(m.group(1)) if m else -1
    if 0 < got <= 13 and got * 20 < len(ROWS):
        ok("%s: the frontend received %d partial rows for a %d-row table" % (pref, got, len(ROWS)))
    else:
        not_ok("%s: the frontend receives one row per (region, group)" % pref, ex)
    rc, ex = my(setp + "SET strata_agg_pushdown = 0; EXPLAIN ANALYZE SELECT host, count(*) FROM m GROUP BY host")
    if rc == 0 and "mode=Single" in ex and "partial aggregation" not in ex and tag in ex:
        ok("%s: SET strata_agg_pushdown = 0 gives the plain plan" % pref)
    else:
        not_ok("%s: SET strata_agg_pushdown = 0 gives the plain plan" % pref, ex)
    # not eligible: DISTINCT aggregate stays on the frontend, same answer
    rc, ex = my(setp + "EXPLAIN ANALYZE SELECT count(DISTINCT v) FROM m")
    rc2, a = my(setp + "SELECT count(DISTINCT v) FROM m")
    want = str(len({r[2] for r in ROWS if r[2] is not None}))
    if rc == 0 and "partial aggregation" not in ex and rc2 == 0 and a == want:
        ok("%s: count(DISTINCT v) is not pushed and answers %s" % (pref, want))
    else:
        not_ok("%s: count(DISTINCT v) is not pushed" % pref, ex + "\n" + a)

# the PostgreSQL dialect: the peer parses the query as psql's session wrote it
def pq(sql):
    env = dict(os.environ, PGCONNECT_TIMEOUT="10")
    r = subprocess.run(["timeout", "60", "psql", "-h", "127.0.0.1", "-p", os.environ["P_PG"], "-U", "root",
                        "-d", "public", "-X", "-A", "-t", "-F", "\t"], input=sql, capture_output=True,
                       text=True, env=env)
    return r.returncode, (r.stdout + r.stderr).rstrip("\n")


import shutil
if shutil.which("psql"):
    for pref in ("leader", "follower"):
        q = ("SELECT host, count(*), sum(v), min(v), max(v), avg(f) FROM m "
             "WHERE host <> E'a\\\\b' AND date_trunc('hour', ts) >= '2023-11-14 00:00:00' "
             "GROUP BY host ORDER BY host;")
        setp = "SET READ_PREFERENCE='%s';\n" % pref
        rc1, on = pq(setp + q)
        rc2, off = pq(setp + "SET strata_agg_pushdown = 0;\n" + q)
        rc3, ex = pq(setp + "EXPLAIN ANALYZE " + q)
        g = group(ROWS, lambda r: r[1])
        want = table([(h, len(rs), agg(map(V, rs), "sum"), agg(map(V, rs), "min"), agg(map(V, rs), "max"),
                       agg(map(F, rs), "avg")) for h, rs in sorted(g.items())]).replace("NULL", "")
        on_rows = "\n".join(l for l in on.splitlines() if "\t" in l)
        off_rows = "\n".join(l for l in off.splitlines() if "\t" in l)
        if rc1 == 0 and rc2 == 0 and on_rows == off_rows == want and "partial aggregation at peer=" in ex:
            ok("psql, %s: pushed = plain = expected, aggregated at the peers" % pref)
        else:
            not_ok("psql, %s: pushed = plain = expected" % pref,
                   "pushed:\n%s\nplain:\n%s\nexpected:\n%s\nexplain:\n%s" % (on, off, want, ex))

# last row per series over RPC (the scan hint crosses the wire): same answer
q = ("SELECT DISTINCT ON (host) host, ts, v FROM m ORDER BY host, ts DESC")
last = {}
for r in ROWS:
    if r[1] not in last or r[0] > last[r[1]][0]:
        last[r[1]] = r
want = table([(h, ts_text(r[0]), r[2]) for h, r in sorted(last.items())])
for pref in ("leader", "follower"):
    rc, got = my("SET READ_PREFERENCE='%s'; %s" % (pref, q))
    if rc == 0 and got == want:
        ok("%s: DISTINCT ON (host) ... ORDER BY host, ts DESC (lastpoint hint over RPC)" % pref)
    else:
        not_ok("%s: lastpoint query" % pref, "got:\n%s\nwant:\n%s" % (got, want))
EOF
st=$?
relay <"$work/checks.out"
[ $st -eq 0 ] || not_ok "the checks ran to the end (exit $st)"
stop_cluster_checked cluster
echo "1..$n"
