#!/usr/bin/python3
"""Soak test: a bounded run of mixed ingest and queries on a 3-datanode
cluster with followers (`make soak`; not part of `make test`).

Starts `strata cluster start --datanodes 3` in a temporary folder, creates a
2-region table with one follower per region, then for SOAK_SECONDS (default
180) runs through the MySQL port:
  - one writer: 500-row INSERTs (10 series, 1 s apart per series), paced
    at SOAK_ROWS_PER_S (default 2000) so the data grows steadily;
  - two readers: a full count, an aggregate over the newest minute of data
    and a top-5 scan of one series, READ_PREFERENCE switching
    between 'follower' and 'leader', each follower answer compared with the
    count of rows acknowledged before it started (never fewer);
  - a flush of the table every 15 s and a compaction every 45 s.
Every 10 s it samples each child process's resident memory (VmRSS) and
open file descriptors. Passes (exit 0) when
  - no client error happened and no follower answer missed acknowledged rows;
  - no ERROR line (nor sanitizer report) appears in any process log;
  - after the first third of the run (warm-up: caches, memtables, thread
    pools), each process's fd count grows by at most 16 and its RSS by at
    most 25 % + 64 MiB over its warm-up maximum.
Prints a TAP-like report and the samples.
"""
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import pymysql

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("STRATA_BUILD", "build")
STRATA = os.path.join(ROOT, BUILD, "strata")
SECONDS = int(os.environ.get("SOAK_SECONDS", "180"))
RATE = int(os.environ.get("SOAK_ROWS_PER_S", "2000"))  # the writer's pace


def free_base(count):
    import random
    for _ in range(200):
        base = random.randint(20000, 60000)
        socks = []
        try:
            for p in range(base, base + count):
                s = socket.socket()
                s.bind(("127.0.0.1", p))
                socks.append(s)
            return base
        except OSError:
            pass
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no free ports")


def connect(port):
    return pymysql.connect(host="127.0.0.1", port=port, user="root", autocommit=True,
                           connect_timeout=10, read_timeout=60)


def proc_sample(pid):
    rss = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) * 1024
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    return rss, fds


def children(pid):
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    kids = {}
    for k in out.split():
        try:
            with open(f"/proc/{k}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
            name = argv[1].decode() if len(argv) > 1 else "?"
            if name == "datanode" and b"--node-id" in argv:
                name += argv[argv.index(b"--node-id") + 1].decode()
            kids[int(k)] = name
        except OSError:
            pass
    return kids


def main():
    work = tempfile.mkdtemp(prefix="strata-soak-")
    base = free_base(8)
    my = base + 5
    cluster = subprocess.Popen(
        [STRATA, "cluster", "start", "--datanodes", "3", "--data-home", f"{work}/c",
         "--heartbeat-interval-ms", "500", "--metasrv-port", str(base),
         "--datanode-base-port", str(base + 1), "--http-port", str(base + 7),
         "--mysql-port", str(my), "--postgres-port", str(base + 6),
         "--log-dir", f"{work}/logs"],
        stdout=open(f"{work}/parent.log", "w"), stderr=subprocess.STDOUT)
    failures = []
    n = 0

    def check(ok, desc):
        nonlocal n
        n += 1
        print(f"{'ok' if ok else 'not ok'} {n} - {desc}", flush=True)
        if not ok:
            failures.append(desc)

    try:
        deadline = time.time() + 30
        db = None
        while time.time() < deadline:
            try:
                db = connect(my)
                with db.cursor() as c:
                    c.execute("SELECT count(*) FROM information_schema.cluster_info "
                              "WHERE peer_type = 'DATANODE' AND node_status = 'ALIVE'")
                    if c.fetchone()[0] == 3:
                        break
            except pymysql.MySQLError:
                pass
            time.sleep(0.2)
        with db.cursor() as c:
            c.execute("CREATE TABLE soak (host STRING, ts TIMESTAMP(3) TIME INDEX, "
                      "cpu DOUBLE, mem DOUBLE, PRIMARY KEY (host)) "
                      "PARTITION ON COLUMNS (host) (host < 'host_5', host >= 'host_5')")
            c.execute("ADMIN ADD_TABLE_FOLLOWER('soak')")
        check(True, "cluster up, table soak with 2 regions and a follower each")

        stop = threading.Event()
        acked = [0]
        lock = threading.Lock()
        errors = []
        stats = {"inserts": 0, "queries": 0, "follower_queries": 0, "maint": 0}

        newest = [1_700_000_000_000]

        def writer():
            conn = connect(my)
            t = 1_700_000_000_000
            t0 = time.time()
            while not stop.is_set():
                ahead = acked[0] / RATE - (time.time() - t0)
                if ahead > 0:
                    stop.wait(ahead)
                    continue
                rows = []
                for i in range(50):
                    t += 1000
                    for h in range(10):
                        rows.append(f"('host_{h}', {t}, {((t // 1000) * 7 + h) % 100}, {h * 0.5})")
                try:
                    with conn.cursor() as c:
                        c.execute("INSERT INTO soak VALUES " + ",".join(rows))
                    with lock:
                        acked[0] += len(rows)
                        stats["inserts"] += 1
                        newest[0] = t
                except pymysql.MySQLError as e:
                    errors.append(f"insert: {e}")
                    time.sleep(0.5)

        def reader(k):
            conn = connect(my)
            i = 0
            while not stop.is_set():
                i += 1
                pref = "follower" if (i + k) % 2 else "leader"
                try:
                    with lock:
                        before = acked[0]
                    with conn.cursor() as c:
                        c.execute(f"SET READ_PREFERENCE = '{pref}'")
                        c.execute("SELECT count(*) FROM soak")
                        cnt = c.fetchone()[0]
                        if cnt < before:
                            errors.append(f"{pref} count {cnt} < {before} acknowledged before")
                        c.execute("SELECT host, max(cpu), avg(mem) FROM soak "
                                  f"WHERE ts > {newest[0] - 60000} GROUP BY host ORDER BY host")
                        if len(c.fetchall()) not in (0, 10):
                            errors.append("group by host: not 10 groups")
                        c.execute("SELECT * FROM soak WHERE host = 'host_3' ORDER BY ts DESC LIMIT 5")
                        c.fetchall()
                    stats["queries"] += 3
                    if pref == "follower":
                        stats["follower_queries"] += 3
                except pymysql.MySQLError as e:
                    errors.append(f"{pref} query: {e}")
                    time.sleep(0.5)

        def maintenance():
            conn = connect(my)
            t0 = time.time()
            k = 0
            while not stop.wait(15):
                k += 1
                try:
                    with conn.cursor() as c:
                        c.execute("ADMIN FLUSH_TABLE('soak')")
                        if k % 3 == 0:
                            c.execute("ADMIN COMPACT_TABLE('soak')")
                    stats["maint"] += 1
                except pymysql.MySQLError as e:
                    errors.append(f"maintenance: {e}")
            del t0

        threads = [threading.Thread(target=writer), threading.Thread(target=reader, args=(0,)),
                   threading.Thread(target=reader, args=(1,)), threading.Thread(target=maintenance)]
        for th in threads:
            th.start()
        kids = children(cluster.pid)
        samples = {pid: [] for pid in kids}
        t_start = time.time()
        while time.time() - t_start < SECONDS:
            time.sleep(10)
            el = int(time.time() - t_start)
            line = [f"t={el:4d}s acked={acked[0]}"]
            for pid, name in kids.items():
                try:
                    rss, fds = proc_sample(pid)
                except OSError:
                    errors.append(f"{name} (pid {pid}) is gone")
                    continue
                samples[pid].append((el, rss, fds))
                line.append(f"{name}: {rss >> 20} MiB {fds} fds")
            print("# " + " | ".join(line), flush=True)
        stop.set()
        for th in threads:
            th.join()
        check(not errors, f"no client error and no follower answer missed acknowledged rows "
              f"({stats['inserts']} inserts = {acked[0]} rows, {stats['queries']} queries, "
              f"{stats['follower_queries']} on followers, {stats['maint']} flushes): "
              + "; ".join(errors[:5]))
        for pid, name in kids.items():
            s = samples[pid]
            warm = [x for x in s if x[0] <= SECONDS / 3] or s[:1]
            rest = [x for x in s if x[0] > SECONDS / 3]
            if not warm or not rest:
                check(False, f"{name}: too few samples")
                continue
            rss_cap = max(x[1] for x in warm) * 1.25 + (64 << 20)
            fd_cap = max(x[2] for x in warm) + 16
            rss_end, fd_end = max(x[1] for x in rest), max(x[2] for x in rest)
            check(rss_end <= rss_cap and fd_end <= fd_cap,
                  f"{name}: memory and fds stable after warm-up (RSS max {rss_end >> 20} MiB, "
                  f"cap {int(rss_cap) >> 20}; fds max {fd_end}, cap {fd_cap})")
    finally:
        cluster.send_signal(signal.SIGTERM)
        try:
            rc = cluster.wait(30)
        except subprocess.TimeoutExpired:
            cluster.kill()
            rc = -9
        check(rc == 0, f"cluster stopped cleanly on SIGTERM (exit {rc})")
        bad = []
        logdir = f"{work}/logs"
        for f in sorted(os.listdir(logdir)) if os.path.isdir(logdir) else []:
            with open(os.path.join(logdir, f), errors="replace") as fh:
                for line in fh:
                    if " ERROR " in line or "Sanitizer" in line:
                        bad.append(f"{f}: {line.strip()}")
        check(not bad, "no ERROR line or sanitizer report in any log: " + "; ".join(bad[:5]))
        subprocess.run(["rm", "-rf", work])
    print(f"1..{n}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
