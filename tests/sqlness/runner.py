#!/usr/bin/python3
"""sqlness golden-file runner for Strata (GreptimeDB's sqlness format).

Runs .sql cases statement by statement against `strata standalone start`
over MySQL (pymysql) and over PostgreSQL (psycopg2), renders each outcome
the way GreptimeDB's sqlness runner does, and compares with the case's
.result file. Prints TAP lines.

Case format (sqlness): a statement is a run of non-empty lines ending with
a line that ends in ';'. Lines starting with "--" are comments, echoed
before the next statement; "-- SQLNESS <DIRECTIVE> args" lines are
directives for the next statement:
  REPLACE <regex> [replacement]   regex-replace in the output
  SORT_RESULT <head> <tail>       sort output lines except head/tail lines
  ARG restart=true                restart the server before the statement
  SLEEP <n>s|ms                   wait before the statement
  PROTOCOL MYSQL|POSTGRES         run over that protocol, with the mysql/pg
                                  renderings of GreptimeDB's runner
.result: per statement its comment lines, the statement as written, a
blank line, the output, a blank line. Output forms:
  Affected Rows: N            DML/DDL
  +---+ table                 rows (Arrow's pretty format: NULL empty,
                              timestamps 1970-01-01T00:00:00.001, floats 1.0)
  ++ / ++                     no rows
  Error: 1004(InvalidArguments), message

Each case runs once per protocol on a fresh server (fresh data home), so
cases are isolated and table ids are deterministic.

Protocol differences that are normalised when comparing (the .result
files are written for GreptimeDB's gRPC client):
  - PostgreSQL reports no affected-row count for DDL: an expected
    "Affected Rows: N" matches any count there;
  - PostgreSQL errors carry a SQLSTATE, not GreptimeDB's status code: only
    the message is compared;
  - SHOW CREATE TABLE quotes identifiers with backquotes for MySQL clients:
    they are compared as double quotes;
  - timestamps travel with microsecond precision;
  - a duration (timestamp difference) arrives over PostgreSQL as an
    interval (oid 1186) in PostgreSQL's text style: it is printed as Arrow
    prints a duration (ISO 8601, "P0D", "PT0.918S").

Usage:
  runner.py --strata BIN --work DIR [--protocol mysql|pg|both]
            [--cases DIR]... [--peer DIR] [--update] [--filter SUBSTR]
"""
import argparse
import datetime
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import unicodedata

import psycopg2
import psycopg2.extensions
import pymysql
import pymysql.converters
from pymysql.constants import FIELD_TYPE

STATUS = {
    0: "Success", 1000: "Unknown", 1001: "Unsupported", 1002: "Unexpected",
    1003: "Internal", 1004: "InvalidArguments", 1005: "Cancelled",
    1006: "IllegalState", 2000: "InvalidSyntax", 3000: "PlanQuery",
    3001: "EngineExecuteQuery", 4000: "TableAlreadyExists", 4001: "TableNotFound",
    4002: "TableColumnNotFound", 4003: "TableColumnExists", 4004: "DatabaseNotFound",
    4005: "RegionNotFound", 4006: "RegionAlreadyExists", 4007: "RegionReadonly",
    4008: "RegionNotReady", 4009: "RegionBusy", 4010: "TableUnavailable",
    4011: "DatabaseAlreadyExists", 5000: "StorageUnavailable",
    5001: "RequestOutdated", 6000: "RuntimeResourcesExhausted",
    6001: "RateLimited", 7000: "UserNotFound", 7005: "AccessDenied",
}
STATUS_CODE = {v: k for k, v in STATUS.items()}
SQLSTATE_STATUS = {
    "42P01": 4001, "40001": 1003, "XX001": 1003, "58030": 5000, "08P01": 1004,
    "22023": 1004, "42601": 2000, "53200": 1003, "0A000": 1001, "42P07": 4000,
    "54000": 1004, "25006": 4007, "57P03": 4010, "XX000": 1003,
}


# ---- case files -------------------------------------------------------------


class Stmt:
    def __init__(self):
        self.comments = []  # comment and directive lines, as written
        self.lines = []     # statement lines, as written

    @property
    def sql(self):
        return "\n".join(self.lines)

    def header(self):
        return "".join(c + "\n" for c in self.comments) + "\n".join(self.lines) + "\n\n"


def parse_case(path):
    stmts, cur = [], Stmt()
    with open(path, encoding="utf-8") as f:
        for line in f.read().split("\n"):
            if line.startswith("--"):
                cur.comments.append(line)
                continue
            if line == "":
                continue
            cur.lines.append(line)
            if line.endswith(";"):
                stmts.append(cur)
                cur = Stmt()
    return stmts


def expected_blocks(stmts, result_text):
    """Output block of each statement in a .result file (None if lost)."""
    out, pos = [], 0
    heads = [s.header() for s in stmts]
    for i, h in enumerate(heads):
        at = result_text.find(h, pos)
        if at < 0:
            out.append(None)
            continue
        start = at + len(h)
        end = len(result_text)
        if i + 1 < len(heads):
            nxt = result_text.find(heads[i + 1], start)
            if nxt >= 0:
                end = nxt
        block = result_text[start:end]
        if block.endswith("\n\n"):
            block = block[:-2]
        out.append(block)
        pos = start
    return out


def directives(stmt):
    d = {"replace": [], "sort": None, "restart": False, "sleep": 0.0, "protocol": None}
    for c in stmt.comments:
        m = re.match(r"^--\s*SQLNESS\s+(\w+)\s*(.*)$", c)
        if not m:
            continue
        kind, arg = m.group(1).upper(), m.group(2)
        if kind == "REPLACE":
            parts = arg.split(" ", 1)
            d["replace"].append((parts[0], parts[1] if len(parts) > 1 else ""))
        elif kind == "SORT_RESULT":
            nums = [int(x) for x in arg.split()] + [0, 0]
            d["sort"] = (nums[0], nums[1])
        elif kind == "ARG" and "restart=true" in arg:
            d["restart"] = True
        elif kind == "SLEEP":
            m2 = re.match(r"(\d+)(ms|s)?", arg.strip())
            if m2:
                v = int(m2.group(1))
                d["sleep"] = v / 1000.0 if m2.group(2) == "ms" else float(v)
        elif kind == "PROTOCOL":
            d["protocol"] = arg.strip().upper()
    return d


# ---- value rendering (Arrow's pretty printer, as GreptimeDB shows it) --------


def fmt_float(text):
    try:
        v = float(text)
    except ValueError:
        return text
    if v != v:
        return "NaN"
    if v in (float("inf"), float("-inf")):
        return "inf" if v > 0 else "-inf"
    if v == int(v) and abs(v) < 1e16:
        return "%d.0" % int(v) if v != 0 or not text.startswith("-") else "-0.0"
    r = repr(v)
    return r.replace("e+", "e")


def fmt_ts(text):
    """'2022-11-03 03:39:57.450000' -> '2022-11-03T03:39:57.450'."""
    m = re.match(r"^(-?\d{4,}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d)(?:\.(\d+))?(.*)$", text)
    if not m:
        return text
    frac = (m.group(3) or "").ljust(9, "0")[:9]
    n = int(frac) if frac else 0
    if n == 0:
        f = ""
    elif n % 1000000 == 0:
        f = "." + frac[:3]
    elif n % 1000 == 0:
        f = "." + frac[:6]
    else:
        f = "." + frac
    return "%sT%s%s" % (m.group(1), m.group(2), f)


def fmt_interval(text):
    """PostgreSQL interval text ('1 day 02:03:04.5', '-1 days -00:00:01',
    '00:00:00') as Arrow prints a duration (ISO 8601: 'P1DT7384.5S',
    '-P1DT1S', 'P0D'). Durations carry one sign; microsecond precision."""
    m = re.match(r"^(?:(-?)(\d+) days?)? ?(?:(-?)(\d+):(\d\d):(\d\d)(?:\.(\d{1,6}))?)?$", text)
    if not m or not (m.group(2) or m.group(4)):
        return text
    neg = bool(m.group(1) or m.group(3))
    days = int(m.group(2) or 0)
    secs = int(m.group(4) or 0) * 3600 + int(m.group(5) or 0) * 60 + int(m.group(6) or 0)
    frac = (m.group(7) or "").rstrip("0")
    if days == 0 and secs == 0 and not frac:
        return "P0D"
    out = ("-" if neg else "") + "P"
    if days:
        out += "%dD" % days
    if secs or frac:
        out += "T%d%sS" % (secs, "." + frac if frac else "")
    return out


def width(s):
    w = 0
    for ch in s:
        if unicodedata.combining(ch):
            continue
        w += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return w


def render_table(names, rows):
    if not rows:
        return "++\n++"
    cells = [[c.split("\n") for c in r] for r in rows]
    heads = [n.split("\n") for n in names]
    ncol = len(names)
    widths = []
    for i in range(ncol):
        w = max(width(x) for x in heads[i])
        for r in cells:
            w = max(w, max(width(x) for x in r[i]))
        widths.append(w)
    sep = "+" + "+".join("-" * (w + 2) for w in widths) + "+"

    def lines_of(row):
        h = max(len(c) for c in row)
        out = []
        for k in range(h):
            parts = []
            for i, c in enumerate(row):
                t = c[k] if k < len(c) else ""
                parts.append(" " + t + " " * (widths[i] - width(t)) + " ")
            out.append("|" + "|".join(parts) + "|")
        return out

    out = [sep] + lines_of(heads) + [sep]
    for r in cells:
        out += lines_of(r)
    out.append(sep)
    return "\n".join(out)


# ---- clients -----------------------------------------------------------------


def _raw(x):
    return x.decode("utf-8", "replace") if isinstance(x, (bytes, bytearray)) else x


MY_CONV = dict(pymysql.converters.conversions)
for t in (FIELD_TYPE.DATETIME, FIELD_TYPE.TIMESTAMP, FIELD_TYPE.DATE, FIELD_TYPE.DOUBLE,
          FIELD_TYPE.FLOAT, FIELD_TYPE.DECIMAL, FIELD_TYPE.NEWDECIMAL, FIELD_TYPE.TINY,
          FIELD_TYPE.SHORT, FIELD_TYPE.LONG, FIELD_TYPE.LONGLONG, FIELD_TYPE.INT24,
          FIELD_TYPE.BLOB, FIELD_TYPE.VAR_STRING, FIELD_TYPE.STRING, FIELD_TYPE.TIME):
    MY_CONV[t] = _raw


class MySQL:
    name = "mysql"

    def __init__(self, port):
        self.c = pymysql.connect(host="127.0.0.1", port=port, user="root", password="",
                                 database="public", autocommit=True, conv=MY_CONV,
                                 charset="utf8mb4")

    def close(self):
        try:
            self.c.close()
        except Exception:
            pass

    def run(self, sql, greptime_style=True):
        cur = self.c.cursor()
        try:
            cur.execute(sql)
        except pymysql.err.MySQLError as e:
            code = e.args[0] if e.args else 0
            msg = e.args[1] if len(e.args) > 1 else str(e)
            if not greptime_style:
                return ("error_mysql", code, msg)
            m = re.match(r"^\((\w+)\): (.*)$", msg, re.S)
            if m:
                name = m.group(1)
                return ("error", STATUS_CODE.get(name, 1000), name, m.group(2))
            return ("error", 1000, "Unknown", msg)
        if cur.description is None:
            return ("affected", cur.rowcount if cur.rowcount >= 0 else 0)
        names = [d[0] for d in cur.description]
        kinds = []
        for d in cur.description:
            t, length = d[1], d[3]
            if t == FIELD_TYPE.TINY and length == 1:
                kinds.append("bool")
            elif t in (FIELD_TYPE.DOUBLE, FIELD_TYPE.FLOAT):
                kinds.append("float")
            elif t in (FIELD_TYPE.DATETIME, FIELD_TYPE.TIMESTAMP):
                kinds.append("ts")
            else:
                kinds.append("str")
        rows = []
        for r in cur.fetchall():
            rows.append([render_value(v, k) for v, k in zip(r, kinds)])
        return ("rows", names, rows, None)


def render_value(v, kind):
    if v is None:
        return ""
    v = _raw(v)
    if not isinstance(v, str):
        v = str(v)
    if kind == "bool":
        return {"1": "true", "0": "false", "t": "true", "f": "false"}.get(v, v)
    if kind == "float":
        return fmt_float(v)
    if kind == "ts":
        return fmt_ts(v)
    if kind == "interval":
        return fmt_interval(v)
    return v


PG_RAW_OIDS = (16, 17, 20, 21, 23, 700, 701, 1082, 1114, 1184, 1700, 1083, 1186)
PG_RAW = psycopg2.extensions.new_type(PG_RAW_OIDS, "STRATA_RAW", lambda v, cur: v)
PG_KIND = {16: "bool", 700: "float", 701: "float", 1114: "ts", 1184: "ts", 1186: "interval"}


class Postgres:
    name = "pg"

    def __init__(self, port):
        self.c = psycopg2.connect(host="127.0.0.1", port=port, user="root", password="",
                                  dbname="public")
        self.c.autocommit = True
        psycopg2.extensions.register_type(PG_RAW, self.c)

    def close(self):
        try:
            self.c.close()
        except Exception:
            pass

    def run(self, sql, greptime_style=True, native=False):
        """native: render as GreptimeDB's runner does for SQLNESS PROTOCOL
        POSTGRES statements (an interval as PostgreSQL's text)."""
        cur = self.c.cursor()
        try:
            cur.execute(sql)
        except psycopg2.Error as e:
            msg = (e.diag.message_primary or str(e)).rstrip("\n")
            code = SQLSTATE_STATUS.get(e.pgcode or "", 1000)
            return ("error", code, STATUS.get(code, "Unknown"), msg, "pg")
        if cur.description is None:
            return ("affected", cur.rowcount if cur.rowcount >= 0 else None)
        names = [d[0] for d in cur.description]
        kinds = [PG_KIND.get(d[1], "str") for d in cur.description]
        if native:
            kinds = ["str" if k == "interval" else k for k in kinds]
        rows = [[render_value(v, k) for v, k in zip(r, kinds)] for r in cur.fetchall()]
        return ("rows", names, rows, None)


def render(outcome, mysql_style=False):
    kind = outcome[0]
    if kind == "affected":
        n = outcome[1]
        if mysql_style:
            return "affected_rows: %d" % (n or 0)
        return "Affected Rows: %s" % ("?" if n is None else n)
    if kind == "rows":
        return render_table(outcome[1], outcome[2])
    if kind == "error_mysql":
        code, msg = outcome[1], outcome[2]
        state = {1235: "42000", 1146: "42S02", 1050: "42S01", 1064: "42000"}.get(code, "HY000")
        return "Failed to execute query, err: MySqlError { ERROR %d (%s): %s }" % (code, state, msg)
    return "Error: %d(%s), %s" % (outcome[1], outcome[2], outcome[3])


# ---- server ------------------------------------------------------------------


class Server:
    def __init__(self, binary, data_home, log_path):
        self.binary, self.data_home, self.log_path = binary, data_home, log_path
        self.proc = None
        self.ports = {}

    def start(self):
        pf = os.path.join(os.path.dirname(self.data_home), "ports")
        if os.path.exists(pf):
            os.unlink(pf)
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [self.binary, "standalone", "start", "--data-home", self.data_home,
             "--mysql-addr", "127.0.0.1:0", "--postgres-addr", "127.0.0.1:0",
             "--http-addr", "127.0.0.1:0", "--port-file", pf],
            stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.time() + 60
        while time.time() < deadline:
            if os.path.exists(pf):
                with open(pf) as f:
                    self.ports = dict(l.strip().split("=") for l in f if "=" in l)
                return
            if self.proc.poll() is not None:
                raise RuntimeError("server exited with %s (see %s)" % (self.proc.returncode,
                                                                       self.log_path))
            time.sleep(0.02)
        raise RuntimeError("server did not start within 60 s")

    def stop(self):
        if not self.proc:
            return 0
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self.proc = None
        return rc


# ---- running a case -------------------------------------------------------------


def py_repl(rep):
    """A Rust regex replacement ($1, ${name}) as a Python one."""
    rep = rep.replace("\\", "\\\\")
    return re.sub(r"\$(\d+|\{\w+\})", lambda m: "\\g<%s>" % m.group(1).strip("{}"), rep)


def apply_directives(text, d):
    for pat, rep in d["replace"]:
        try:
            text = re.sub(pat, py_repl(rep), text)
        except re.error:
            pass
    if d["sort"]:
        head, tail = d["sort"]
        lines = text.split("\n")
        if len(lines) > head + tail:
            mid = lines[head:len(lines) - tail]
            lines = lines[:head] + sorted(mid) + lines[len(lines) - tail:]
        text = "\n".join(lines)
    return text


def connect(proto, server):
    if proto == "mysql":
        return MySQL(int(server.ports["mysql"]))
    return Postgres(int(server.ports["postgres"]))


def run_case(path, proto, binary, work):
    """Returns (outputs per statement, server exit code)."""
    stmts = parse_case(path)
    base = os.path.join(work, "case")
    if os.path.exists(base):
        shutil.rmtree(base)
    os.makedirs(base)
    server = Server(binary, os.path.join(base, "data"), os.path.join(work, "server.log"))
    server.start()
    conns = {}
    outputs = []
    try:
        for st in stmts:
            d = directives(st)
            if d["restart"]:
                for c in conns.values():
                    c.close()
                conns = {}
                server.stop()
                server.start()
            if d["sleep"]:
                time.sleep(min(d["sleep"], 0.2))
            p = proto
            mysql_style = False
            if d["protocol"] == "MYSQL":
                p, mysql_style = "mysql", True
            elif d["protocol"] == "POSTGRES":
                p = "pg"
            if p not in conns:
                conns[p] = connect(p, server)
            try:
                if d["protocol"] == "POSTGRES":
                    oc = conns[p].run(st.sql, native=True)
                else:
                    oc = conns[p].run(st.sql, greptime_style=not mysql_style)
            except (pymysql.err.OperationalError, psycopg2.OperationalError,
                    psycopg2.InterfaceError, ConnectionError, OSError) as e:
                oc = ("error", 1000, "Unknown", "connection lost: %s" % e)
                conns.pop(p, None)
            outputs.append(apply_directives(render(oc, mysql_style), d))
    finally:
        for c in conns.values():
            c.close()
        rc = server.stop()
    return stmts, outputs, rc


def quotes_in_tables(text):
    """MySQL clients get `x` in SHOW CREATE TABLE; GreptimeDB's files show "x"."""
    return "\n".join(l.replace("`", '"') if l.startswith("|") else l for l in text.split("\n"))


def normalise(text, proto, expected):
    text = quotes_in_tables(text)
    if proto == "pg":
        text = re.sub(r"^Error: \d+\(\w+\), ", "Error: ", text, flags=re.M)
        if expected:
            text = re.sub(r"^Affected Rows: \d+$", "Affected Rows: ?", text, flags=re.M)
    return text


def compare(stmts, outputs, expected_text, proto):
    exp = expected_blocks(stmts, expected_text)
    diffs = []
    for i, st in enumerate(stmts):
        want = exp[i] if i < len(exp) else None
        got = outputs[i]
        if want is None:
            diffs.append((st.sql, "<statement not found in .result>", got))
            continue
        g = normalise(got, proto, False)
        w = normalise(want, proto, True)
        if proto == "pg" and g.startswith("Affected Rows: ") and w.startswith("Affected Rows: "):
            g = "Affected Rows: ?"
        if g != w:
            diffs.append((st.sql, want, got))
    return diffs


def result_text(stmts, outputs):
    return "".join(st.header() + out + "\n\n" for st, out in zip(stmts, outputs))


# ---- main --------------------------------------------------------------------------


def find_cases(root):
    out = []
    for dirpath, _, files in os.walk(root):
        for f in files:
            if f.endswith(".sql"):
                out.append(os.path.join(dirpath, f))
    return sorted(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--strata", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--protocol", default="both", choices=["mysql", "pg", "both"])
    ap.add_argument("--cases", action="append", default=[])
    ap.add_argument("--peer", action="append", default=[])
    ap.add_argument("--exclusions", default=None)
    ap.add_argument("--update", action="store_true")
    ap.add_argument("--filter", default="")
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args()
    protos = ["mysql", "pg"] if a.protocol == "both" else [a.protocol]
    os.makedirs(a.work, exist_ok=True)
    n = 0
    failed = 0

    def tap(ok, desc):
        nonlocal n, failed
        n += 1
        if not ok:
            failed += 1
        print("%s %d - %s" % ("ok" if ok else "not ok", n, desc), flush=True)

    for root in a.cases:
        for path in find_cases(root):
            rel = os.path.relpath(path, root)
            if a.filter not in rel:
                continue
            res_path = path[:-4] + ".result"
            for proto in protos:
                try:
                    stmts, outputs, rc = run_case(path, proto, a.strata, a.work)
                except Exception as e:  # server failed to start etc.
                    tap(False, "sqlness %s %s: %s" % (proto, rel, e))
                    continue
                if a.update and proto == protos[0]:
                    with open(res_path, "w", encoding="utf-8") as f:
                        f.write(result_text(stmts, [quotes_in_tables(o) for o in outputs]))
                if not os.path.exists(res_path):
                    tap(False, "sqlness %s %s: no .result file" % (proto, rel))
                    continue
                with open(res_path, encoding="utf-8") as f:
                    want = f.read()
                diffs = compare(stmts, outputs, want, proto)
                tap(not diffs and rc == 0, "sqlness %s %s" % (proto, rel))
                if rc != 0:
                    print("#   server exited with status %d" % rc)
                for sql, w, g in diffs[:5]:
                    print("#   statement: " + sql.replace("\n", "\n#   "))
                    print("#   expected:\n#     " + (w or "").replace("\n", "\n#     "))
                    print("#   got:\n#     " + g.replace("\n", "\n#     "))

    excluded = {}
    if a.exclusions and os.path.exists(a.exclusions):
        with open(a.exclusions, encoding="utf-8") as f:
            for line in f:
                m = re.match(r"^\|\s*`?([\w/.-]+?)`?\s*\|", line)
                if m and m.group(1).endswith(".sql") is False and "/" in m.group(1):
                    excluded[m.group(1)] = True
    for root in a.peer:
        total = {p: 0 for p in protos}
        matched = {p: 0 for p in protos}
        for path in find_cases(root):
            rel = os.path.relpath(path, root)[:-4]
            if a.filter not in rel:
                continue
            for proto in protos:
                total[proto] += 1
                try:
                    stmts, outputs, rc = run_case(path, proto, a.strata, a.work)
                except Exception as e:
                    print("# peer %s %s: server failed: %s" % (proto, rel, e))
                    continue
                with open(path[:-4] + ".result", encoding="utf-8") as f:
                    want = f.read()
                diffs = compare(stmts, outputs, want, proto)
                if rc != 0:
                    print("# peer %s %s: SERVER EXIT STATUS %d" % (proto, rel, rc))
                    tap(False, "peer case %s over %s leaves the server healthy" % (rel, proto))
                if not diffs:
                    matched[proto] += 1
                tag = " (excluded)" if rel in excluded else ""
                print("# peer %s %s: %d/%d statements match%s" %
                      (proto, rel, len(stmts) - len(diffs), len(stmts), tag))
                if a.verbose:
                    for sql, w, g in diffs[:6]:
                        print("#   statement: " + sql.replace("\n", "\n#   "))
                        print("#   expected:\n#     " + (w or "").replace("\n", "\n#     "))
                        print("#   got:\n#     " + g.replace("\n", "\n#     "))
        for proto in protos:
            print("# peer sqlness summary (%s): %d of %d cases match over %s" %
                  (root, matched[proto], total[proto], proto))
    print("1..%d" % n)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
