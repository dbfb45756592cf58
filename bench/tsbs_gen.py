#!/usr/bin/python3
"""TSBS cpu-only side-by-side benchmark driver (data generator, loaders, queries).

Run with /usr/bin/python3 (needs pymysql + psycopg2 from Debian). One process per step:

  tsbs_gen.py gen    --hosts N --hours H --out FILE       write influx line protocol (ms)
  tsbs_gen.py lp     --file FILE --url URL [--batch 5000] [--workers 2]   HTTP line-protocol load
  tsbs_gen.py insert --file FILE --proto mysql|pg --port P --table T [--stmt-rows 1000]
                     [--cap-s S]                          multi-row INSERT load, 1 client
  tsbs_gen.py query  --system strata|pg|influx|vm --port P --hosts N --hours H [--runs 10]
                     [--dump DIR]                         TSBS queries, median latency
  tsbs_gen.py check  --dump DIR                           compare strata vs pg answers

Data: hosts host_0..host_{N-1}, 10 tags, 10 float fields (2 decimals, random walk in
[0,100]), one row per host every 10 s starting 2016-01-01T00:00:00Z (TSBS default start),
measurement `cpu`. Generation is seeded, so every system receives identical rows. Every step
prints one JSON line on stdout with its result; tsbs_run.sh collects them.
"""
import argparse
import json
import queue
import random
import statistics
import sys
import threading
import time
import http.client
import urllib.parse
from datetime import datetime, timezone

T0_MS = 1451606400000  # 2016-01-01T00:00:00Z
STEP_MS = 10000
FIELDS = ["usage_user", "usage_system", "usage_idle", "usage_nice", "usage_iowait",
          "usage_irq", "usage_softirq", "usage_steal", "usage_guest", "usage_guest_nice"]
TAGS = ["hostname", "region", "datacenter", "rack", "os", "arch", "team", "service",
        "service_version", "service_environment"]
REGIONS = ["us-east-1", "us-west-1", "us-west-2", "eu-west-1", "eu-central-1",
           "ap-southeast-1", "ap-southeast-2", "ap-northeast-1", "sa-east-1"]


def host_tags(i, rng):
    r = rng.choice(REGIONS)
    return [f"host_{i}", r, r + rng.choice("abc"), str(rng.randrange(100)),
            rng.choice(["Ubuntu16.04LTS", "Ubuntu15.10", "Ubuntu16.10"]),
            rng.choice(["x64", "x86"]), rng.choice(["SF", "NYC", "LON", "CHI"]),
            str(rng.randrange(20)), str(rng.randrange(2)),
            rng.choice(["production", "staging", "test"])]


def rows(hosts, hours):
    """Yields (tags, values, ts_ms) time-major, deterministic."""
    rng = random.Random(42)
    tags = [host_tags(i, rng) for i in range(hosts)]
    state = [[rng.uniform(0, 100) for _ in FIELDS] for _ in range(hosts)]
    n = hours * 3600 * 1000 // STEP_MS
    for k in range(n):
        ts = T0_MS + k * STEP_MS
        for h in range(hosts):
            st = state[h]
            for f in range(10):
                v = st[f] + rng.uniform(-5, 5)
                st[f] = 0.0 if v < 0 else 100.0 if v > 100 else v
            yield tags[h], [round(v, 2) for v in st], ts


def cmd_gen(a):
    with open(a.out, "w") as out:
        for tags, vals, ts in rows(a.hosts, a.hours):
            t = ",".join(f"{k}={v}" for k, v in zip(TAGS, tags))
            f = ",".join(f"{k}={v!r}" for k, v in zip(FIELDS, vals))
            out.write(f"cpu,{t} {f} {ts}\n")
    print(json.dumps({"step": "gen", "rows": a.hosts * a.hours * 360}))


def read_lines(path):
    with open(path) as f:
        return f.read().splitlines()


def cmd_lp(a):
    lines = read_lines(a.file)
    u = urllib.parse.urlsplit(a.url)
    path = u.path + ("?" + u.query if u.query else "")
    q = queue.Queue()
    for i in range(0, len(lines), a.batch):
        q.put(("\n".join(lines[i:i + a.batch]) + "\n").encode())
    errors = []

    def worker():
        c = http.client.HTTPConnection(u.hostname, u.port, timeout=600)
        while True:
            try:
                body = q.get_nowait()
            except queue.Empty:
                break
            c.request("POST", path, body=body)
            r = c.getresponse()
            data = r.read()
            if r.status // 100 != 2:
                errors.append(f"{r.status} {data[:300]!r}")
                break
        c.close()

    t = time.perf_counter()
    th = [threading.Thread(target=worker) for _ in range(a.workers)]
    for x in th:
        x.start()
    for x in th:
        x.join()
    dt = time.perf_counter() - t
    print(json.dumps({"step": "lp", "url": a.url, "rows": len(lines), "seconds": round(dt, 3),
                      "rows_per_s": round(len(lines) / dt), "errors": errors[:3]}))


def parse_lp(line):
    head, fields, ts = line.split(" ")
    tags = [kv.split("=", 1)[1] for kv in head.split(",")[1:]]
    vals = [kv.split("=", 1)[1] for kv in fields.split(",")]
    return tags, vals, int(ts)


def iso(ms):
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def connect(proto, port, db):
    if proto == "mysql":
        import pymysql
        return pymysql.connect(host="127.0.0.1", port=port, user="root", database=db,
                               autocommit=True)
    import psycopg2
    c = psycopg2.connect(host="127.0.0.1", port=port, user="postgres", dbname=db)
    c.autocommit = True
    return c


def create_sql(system, table):
    tcol = ", ".join(f"{t} {'STRING' if system == 'strata' else 'TEXT'}" for t in TAGS)
    fcol = ", ".join(f"{f} DOUBLE{'' if system == 'strata' else ' PRECISION'}" for f in FIELDS)
    if system == "strata":
        return [f"CREATE TABLE IF NOT EXISTS {table} ({tcol}, {fcol}, ts TIMESTAMP(3) NOT NULL, "
                f"TIME INDEX (ts), PRIMARY KEY ({', '.join(TAGS)}))"]
    return [f"CREATE TABLE IF NOT EXISTS {table} ({tcol}, {fcol}, ts TIMESTAMP NOT NULL)",
            f"CREATE INDEX IF NOT EXISTS {table}_host_ts ON {table} (hostname, ts)"]


def cmd_insert(a):
    lines = read_lines(a.file)
    system = "strata" if a.strata else "pg"
    c = connect(a.proto, a.port, a.db)
    cur = c.cursor()
    for s in create_sql(system, a.table):
        cur.execute(s)
    cols = ", ".join(TAGS + FIELDS + ["ts"])
    stmts = []
    for i in range(0, len(lines), a.stmt_rows):
        vals = []
        for ln in lines[i:i + a.stmt_rows]:
            tags, fv, ts = parse_lp(ln)
            vals.append("(" + ",".join(f"'{t}'" for t in tags) + "," + ",".join(fv) +
                        f",'{iso(ts)}')")
        stmts.append(f"INSERT INTO {a.table} ({cols}) VALUES " + ",".join(vals))
    done = 0
    err = None
    t = time.perf_counter()
    for s in stmts:
        try:
            cur.execute(s)
        except Exception as e:  # report, don't crash: the run must go on
            err = str(e)[:300]
            break
        done += s.count("),(") + 1
        if time.perf_counter() - t > a.cap_s:
            break
    dt = time.perf_counter() - t
    print(json.dumps({"step": "insert", "proto": a.proto, "system": system, "table": a.table,
                      "rows": done, "of": len(lines), "seconds": round(dt, 3),
                      "rows_per_s": round(done / dt) if dt else 0, "error": err}))


# ---------------------------------------------------------------- queries
def params(name, hosts, hours, runs, rng):
    """Per-run parameters: same sequence for every system."""
    end = T0_MS + hours * 3600000
    out = []
    for _ in range(runs + 1):  # first is the warm-up
        h = f"host_{rng.randrange(hosts)}"
        if name == "single-groupby-1-1-1":
            s = T0_MS + rng.randrange((hours - 1) * 60) * 60000
            out.append((h, s, s + 3600000))
        elif name == "cpu-max-all-1":
            s = T0_MS + rng.randrange(max(1, hours - 8) * 60) // 60 * 3600000
            out.append((h, s, s + 8 * 3600000))
        elif name in ("double-groupby-1", "high-cpu-1"):
            # TSBS: a random 12 h window (minute-aligned here) inside the data;
            # with 12 h of data that is always the whole span.
            s = T0_MS + rng.randrange(max(0, hours - 12) * 60 + 1) * 60000
            out.append((h, s, min(end, s + 12 * 3600000)))
        elif name == "lastpoint":
            out.append((h, T0_MS, end))
        elif name == "groupby-orderby-limit":
            t = T0_MS + 3600000 + rng.randrange((hours - 1) * 60) * 60000
            out.append((h, t - 300000, t))
    return out


QUERIES = ["single-groupby-1-1-1", "cpu-max-all-1", "double-groupby-1", "high-cpu-1",
           "lastpoint", "groupby-orderby-limit"]


def sql_text(system, name, h, s, e):
    ts = "greptime_timestamp" if system == "strata" else "ts"
    bucket = (lambda unit: f"date_trunc('{unit}', {ts})")
    S, E = f"'{iso(s)}'", f"'{iso(e)}'"
    if name == "single-groupby-1-1-1":
        return (f"SELECT {bucket('minute')} AS minute, max(usage_user) FROM cpu "
                f"WHERE hostname = '{h}' AND {ts} >= {S} AND {ts} < {E} "
                f"GROUP BY minute ORDER BY minute")
    if name == "cpu-max-all-1":
        m = ", ".join(f"max({f})" for f in FIELDS)
        return (f"SELECT {bucket('hour')} AS hour, {m} FROM cpu WHERE hostname = '{h}' "
                f"AND {ts} >= {S} AND {ts} < {E} GROUP BY hour ORDER BY hour")
    if name == "double-groupby-1":
        return (f"SELECT {bucket('hour')} AS hour, hostname, avg(usage_user) FROM cpu "
                f"WHERE {ts} >= {S} AND {ts} < {E} GROUP BY hour, hostname "
                f"ORDER BY hour, hostname")
    if name == "high-cpu-1":
        return (f"SELECT * FROM cpu WHERE usage_user > 90.0 AND hostname = '{h}' "
                f"AND {ts} >= {S} AND {ts} < {E} ORDER BY {ts}")
    if name == "lastpoint":
        if system == "strata":
            return f"SELECT DISTINCT ON (hostname) * FROM cpu ORDER BY hostname, {ts} DESC"
        # PostgreSQL: loose index scan over (hostname, ts), as in peers.md
        return ("WITH RECURSIVE h AS (SELECT min(hostname) AS hn FROM cpu UNION ALL "
                "SELECT (SELECT min(hostname) FROM cpu WHERE hostname > h.hn) FROM h "
                "WHERE h.hn IS NOT NULL) SELECT c.* FROM h, LATERAL (SELECT * FROM cpu "
                "WHERE hostname = h.hn ORDER BY ts DESC LIMIT 1) c ORDER BY c.hostname")
    if name == "groupby-orderby-limit":
        return (f"SELECT {bucket('minute')} AS minute, max(usage_user) FROM cpu "
                f"WHERE {ts} < {E} GROUP BY minute ORDER BY minute DESC LIMIT 5")
    raise ValueError(name)


def influx_text(name, h, s, e):
    S, E = f"'{iso(s)}Z'".replace(" ", "T"), f"'{iso(e)}Z'".replace(" ", "T")
    if name == "single-groupby-1-1-1":
        return (f"SELECT max(usage_user) FROM cpu WHERE hostname = '{h}' AND time >= {S} "
                f"AND time < {E} GROUP BY time(1m)")
    if name == "cpu-max-all-1":
        m = ", ".join(f"max({f})" for f in FIELDS)
        return (f"SELECT {m} FROM cpu WHERE hostname = '{h}' AND time >= {S} AND time < {E} "
                f"GROUP BY time(1h)")
    if name == "double-groupby-1":
        return (f"SELECT mean(usage_user) FROM cpu WHERE time >= {S} AND time < {E} "
                f"GROUP BY time(1h), hostname")
    if name == "high-cpu-1":
        return (f"SELECT * FROM cpu WHERE usage_user > 90.0 AND hostname = '{h}' "
                f"AND time >= {S} AND time < {E}")
    if name == "lastpoint":
        return "SELECT * FROM cpu GROUP BY hostname ORDER BY time DESC LIMIT 1"
    if name == "groupby-orderby-limit":
        return (f"SELECT max(usage_user) FROM cpu WHERE time < {E} AND time >= {S} "
                f"GROUP BY time(1m) ORDER BY time DESC LIMIT 5")
    raise ValueError(name)


def vm_request(name, h, s, e):
    """(path, params) for VictoriaMetrics. VM windows are (t-step, t]."""
    if name == "single-groupby-1-1-1":
        return "/api/v1/query_range", {"query": f'max_over_time(cpu_usage_user{{hostname="{h}"}}[1m])',
                                       "start": (s + 60000) / 1000, "end": e / 1000, "step": "60s"}
    if name == "cpu-max-all-1":
        return "/api/v1/query_range", {"query": f'max_over_time({{__name__=~"cpu_.*",hostname="{h}"}}[1h])',
                                       "start": (s + 3600000) / 1000, "end": e / 1000, "step": "1h"}
    if name == "double-groupby-1":
        return "/api/v1/query_range", {"query": "avg(avg_over_time(cpu_usage_user[1h])) by (hostname)",
                                       "start": (s + 3600000) / 1000, "end": e / 1000, "step": "1h"}
    if name == "high-cpu-1":
        return "/api/v1/query_range", {"query": f'cpu_usage_user{{hostname="{h}"}} > 90',
                                       "start": s / 1000, "end": (e - 1) / 1000, "step": "10s"}
    if name == "lastpoint":
        return "/api/v1/query", {"query": '{__name__=~"cpu_.*"}', "time": e / 1000}
    if name == "groupby-orderby-limit":
        return "/api/v1/query_range", {"query": "max(max_over_time(cpu_usage_user[1m]))",
                                       "start": (s + 60000) / 1000, "end": e / 1000, "step": "60s"}
    raise ValueError(name)


def norm(v):
    if isinstance(v, float):
        return round(v, 6)
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%d %H:%M:%S")
    return v if isinstance(v, (int, str)) or v is None else str(v)


def cmd_query(a):
    rng = random.Random(7)
    results = {}
    dumps = {}
    # Two latencies per query, both client wall time from sending the request: until the
    # answer is decoded into Python values (median_ms, what an application sees), and until
    # the whole answer has arrived, before decoding (recv_median_ms: libpq has every row
    # after execute; HTTP: the body is read). The second leaves out the Python client's
    # per-value work, which grows with the answer's size and differs by wire format.
    recv = []
    if a.system in ("strata", "pg"):
        conn = connect("pg", a.port, a.db)
        cur = conn.cursor()

        def run(name, p):
            cur.execute(sql_text(a.system, name, *p))
            recv.append(time.perf_counter())  # libpq holds the whole answer
            return cur.fetchall()
    else:
        hc = http.client.HTTPConnection("127.0.0.1", a.port, timeout=120)

        def run(name, p):
            if a.system == "influx":
                path = "/query?" + urllib.parse.urlencode({"db": "benchmark", "q": influx_text(name, *p)})
            else:
                pth, prm = vm_request(name, *p)
                path = pth + "?" + urllib.parse.urlencode(prm)
            hc.request("GET", path)
            r = hc.getresponse()
            body = r.read()
            recv.append(time.perf_counter())  # the whole answer's bytes are here
            if r.status != 200:
                raise RuntimeError(f"HTTP {r.status}: {body[:300]!r}")
            d = json.loads(body)
            if a.system == "influx":
                if d["results"][0].get("error"):
                    raise RuntimeError(d["results"][0]["error"])
                return [v for s in d["results"][0].get("series", []) for v in s["values"]]
            return [v for s in d["data"]["result"] for v in s.get("values", [s.get("value")])]

    for name in QUERIES:
        ps = params(name, a.hosts, a.hours, a.runs, rng)
        lat = []
        lat_recv = []
        err = None
        nrows = None
        for i, p in enumerate(ps):
            try:
                recv.clear()
                t = time.perf_counter()
                out = run(name, p)
                dt = (time.perf_counter() - t) * 1000
                dt_recv = (recv[0] - t) * 1000
            except Exception as e:
                err = str(e).strip()[:400]
                if a.system in ("strata", "pg"):
                    conn.rollback()
                break
            if i == 0:
                nrows = len(out)
                if a.system in ("strata", "pg"):
                    dumps[name] = {"params": list(p), "rows": [[norm(x) for x in r] for r in out]}
                continue
            lat.append(dt)
            lat_recv.append(dt_recv)
            if dt > a.slow_ms:  # one slow query is enough evidence; keep the run short
                break
        results[name] = {"median_ms": round(statistics.median(lat), 2) if lat else None,
                         "min_ms": round(min(lat), 2) if lat else None,
                         "recv_median_ms": round(statistics.median(lat_recv), 2) if lat_recv else None,
                         "runs": len(lat),
                         "warmup_rows": nrows, "error": err}
    if a.dump:
        with open(f"{a.dump}/{a.system}.json", "w") as f:
            json.dump(dumps, f)
    print(json.dumps({"step": "query", "system": a.system, "results": results}))


def cmd_check(a):
    s = json.load(open(f"{a.dump}/strata.json"))
    p = json.load(open(f"{a.dump}/pg.json"))
    out = {}
    for name in QUERIES:
        if name not in s or name not in p:
            out[name] = "missing"
            continue
        rs, rp = s[name]["rows"], p[name]["rows"]
        # compare numeric values only (timestamps come back in different encodings)
        fs = [[v for v in r if isinstance(v, float)] for r in rs]
        fp = [[v for v in r if isinstance(v, float)] for r in rp]
        if name == "lastpoint":  # row order/column order may differ: compare as sorted sets
            fs, fp = sorted(sorted(r) for r in fs), sorted(sorted(r) for r in fp)
        if len(rs) != len(rp):
            out[name] = f"row count differs: strata {len(rs)} vs pg {len(rp)}"
            continue
        bad = sum(1 for x, y in zip(fs, fp) for u, v in zip(x, y)
                  if abs(u - v) > 1e-6 * max(1.0, abs(v)))
        bad += sum(1 for x, y in zip(fs, fp) if len(x) != len(y))
        nv = sum(len(x) for x in fs)
        out[name] = f"{len(rs)} rows, {nv} values, " + (f"{bad} differ" if bad else "all equal")
    print(json.dumps({"step": "check", "results": out}))


def main():
    ap = argparse.ArgumentParser()
    sp = ap.add_subparsers(dest="cmd", required=True)
    g = sp.add_parser("gen")
    g.add_argument("--hosts", type=int, default=100)
    g.add_argument("--hours", type=int, default=12)
    g.add_argument("--out", required=True)
    g = sp.add_parser("lp")
    g.add_argument("--file", required=True)
    g.add_argument("--url", required=True)
    g.add_argument("--batch", type=int, default=5000)
    g.add_argument("--workers", type=int, default=2)
    g = sp.add_parser("insert")
    g.add_argument("--file", required=True)
    g.add_argument("--proto", choices=["mysql", "pg"], required=True)
    g.add_argument("--port", type=int, required=True)
    g.add_argument("--db", default="public")
    g.add_argument("--table", required=True)
    g.add_argument("--strata", action="store_true")
    g.add_argument("--stmt-rows", type=int, default=1000)
    g.add_argument("--cap-s", type=float, default=90)
    g = sp.add_parser("query")
    g.add_argument("--system", choices=["strata", "pg", "influx", "vm"], required=True)
    g.add_argument("--port", type=int, required=True)
    g.add_argument("--db", default="public")
    g.add_argument("--hosts", type=int, default=100)
    g.add_argument("--hours", type=int, default=12)
    g.add_argument("--runs", type=int, default=10)
    g.add_argument("--slow-ms", type=float, default=20000)
    g.add_argument("--dump")
    g = sp.add_parser("check")
    g.add_argument("--dump", required=True)
    a = ap.parse_args()
    {"gen": cmd_gen, "lp": cmd_lp, "insert": cmd_insert, "query": cmd_query,
     "check": cmd_check}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
