"""psycopg2 and a raw extended-protocol client against wire_test_server's
PostgreSQL ports.  usage: pg_clients.py PORTFILE"""
import datetime
import random
import socket
import struct
import sys
import threading
import time

import psycopg2
import psycopg2.errors

from wirelib import check, finish, ports, report

P = ports(sys.argv[1])
H = "127.0.0.1"


def conn(port="pg", user="alice", password="secret", dbname="public"):
    return psycopg2.connect(host=H, port=P[port], user=user, password=password, dbname=dbname,
                            connect_timeout=5)


def conn_when_free(port):
    """Connect to a server with a small max_connections once a slot is free:
    the server releases the slot of a closed connection asynchronously (its
    thread notices the close), so a test that just closed connections waits
    for that instead of racing it. Gives up after 3 s."""
    deadline = time.time() + 3
    while True:
        try:
            return conn(port)
        except psycopg2.OperationalError as e:
            if "Too many connections" not in str(e) or time.time() > deadline:
                raise
            time.sleep(0.05)


def q(c, sql, args=None):
    cur = c.cursor()
    cur.execute(sql, args)
    return cur.fetchall() if cur.description else cur.statusmessage


def t_types():
    c = conn()
    rows = q(c, "select * from types")
    c.close()
    r0 = list(rows[0])
    r0[12] = bytes(r0[12])
    r2 = list(rows[2])
    r2[12] = bytes(r2[12])
    want0 = [True, -8, -16000, -2000000000, -9223372036854775808, 255, 65535, 4294967295,
             18446744073709551615, 0.1, 0.1, "héllo, 'world'", b"\x00\x01\xfe\xff",
             datetime.date(2024, 1, 1), datetime.datetime(2023, 11, 14, 22, 13, 20),
             datetime.datetime(1970, 1, 1, 0, 0, 0, 1000),
             datetime.datetime(2023, 11, 14, 22, 13, 20, 123456),
             datetime.datetime(2023, 11, 14, 22, 13, 20, 123456)]
    want2 = [False, 127, 0, 2147483647, 9223372036854775807, 0, 0, 0, 0, -1.5, 1e20, "", b"",
             datetime.date(1969, 12, 31), datetime.datetime(1969, 12, 31, 23, 59, 59),
             datetime.datetime(1969, 12, 31, 23, 59, 59, 999000), datetime.datetime(1970, 1, 1),
             datetime.datetime(1969, 12, 31, 23, 59, 59, 999999)]
    ok = r0 == want0 and rows[1] == (None,) * 18 and r2 == want2
    return ok, rows


def t_time_zone():
    c = conn()
    c.autocommit = True
    q(c, "set time zone 'America/New_York'")
    a = q(c, "select * from types")[0][16]
    c.close()
    return a == datetime.datetime(2023, 11, 14, 17, 13, 20, 123456), a


def t_params():
    c = conn()
    c.autocommit = True
    key = "pg-%d" % time.time_ns()
    strs = ["it's", "back\\slash", "ünï ✓", "", None]
    for i, s in enumerate(strs):
        q(c, "insert into kv values (%s, %s, %s, %s)",
          (key, None if s is None else i / 3, datetime.datetime(2024, 1, 2, 3, 4, 5, i * 1000), i))
    rows = q(c, "select * from kv where k = %s", (key,))
    echo = q(c, "select %s, %s, %s, %s, %s", ("a'b\\c", 1e-300, True, None, b"\x00\xff"))
    tag = q(c, "delete from kv where k = %s", (key,))
    c.close()
    ok = len(rows) == len(strs) and tag == "DELETE %d" % len(strs)
    for i, r in enumerate(rows):
        ok &= r[0] == key and r[2] == datetime.datetime(2024, 1, 2, 3, 4, 5, i * 1000) and r[3] == i
        ok &= (r[1] is None) if strs[i] is None else r[1] == i / 3
    e = list(echo[0])
    e[4] = bytes(e[4])
    ok &= e == ["a'b\\c", 1e-300, True, None, b"\x00\xff"]
    return ok, (rows, echo, tag)


def t_errors():
    c = conn()
    c.autocommit = True
    got = []
    for sql, code, msg in [("select * from missing", "42P01", "Table not found"),
                           ("set read_preference='hi'", "0A000", "Not supported: Invalid read"),
                           ("frobnicate", "42601", "Failed to parse SQL")]:
        try:
            q(c, sql)
            got.append("no error: " + sql)
        except psycopg2.Error as e:
            if e.pgcode != code or msg not in e.pgerror:
                got.append((e.pgcode, e.pgerror))
    one = q(c, "select 1")
    c.close()
    return not got and one == [(1,)], got


def t_tags_multi():
    c = conn()
    c.autocommit = True
    cur = c.cursor()
    tags = []
    for sql in ["create table t (x int)", "insert into kv values ('tag', 1, 1, 1), "
                "('tag', 2, 2, 2)", "delete from kv where k = 'tag'", "drop table t",
                "set application_name = 'x'", "set time zone 'UTC'"]:
        cur.execute(sql)
        tags.append(cur.statusmessage)
    cur.execute("select 1; select big(3)")  # simple query, two statements: last result
    last = cur.fetchall()
    c.close()
    want = ["CREATE TABLE", "INSERT 0 2", "DELETE 2", "DROP TABLE", "SET", "SET"]
    return tags == want and last == [(0, "row-0"), (1, "row-1"), (2, "row-2")], (tags, last)


def t_transactions():
    c = conn()  # psycopg2 sends BEGIN before the first statement
    st = []
    q(c, "select 1")
    st.append(c.get_transaction_status())
    try:
        q(c, "select * from missing")
    except psycopg2.Error:
        pass
    st.append(c.get_transaction_status())
    try:
        q(c, "select 1")
        st.append("not refused")
    except psycopg2.errors.InFailedSqlTransaction:
        st.append("25P02")
    c.rollback()
    st.append(c.get_transaction_status())
    ok_after = q(c, "select 2")
    c.commit()
    c.close()
    from psycopg2.extensions import (TRANSACTION_STATUS_IDLE, TRANSACTION_STATUS_INERROR,
                                     TRANSACTION_STATUS_INTRANS)
    want = [TRANSACTION_STATUS_INTRANS, TRANSACTION_STATUS_INERROR, "25P02",
            TRANSACTION_STATUS_IDLE]
    return st == want and ok_after == [(2,)], st


def t_cancel():
    c = conn()
    c.autocommit = True
    out = {}

    def run():
        t0 = time.time()
        try:
            q(c, "select sleep(10000)")
            out["r"] = "finished"
        except psycopg2.Error as e:
            out["r"] = e.pgcode
        out["t"] = time.time() - t0
    th = threading.Thread(target=run)
    th.start()
    time.sleep(0.4)
    c.cancel()
    th.join(15)
    after = q(c, "select 3")
    c.close()
    return out.get("r") == "57014" and out.get("t", 99) < 5 and after == [(3,)], out


def t_auth():
    res = []
    for port in ("pg_password", "pg_md5", "pg_scram"):
        for user, pw, good in [("alice", "secret", True), ("alice", "nope", False),
                               ("nobody", "secret", False)]:
            try:
                c = conn(port, user, pw)
                res.append((port, user, good, q(c, "select 1") == [(1,)]))
                c.close()
            except psycopg2.OperationalError as e:
                res.append((port, user, good, False,
                            "password authentication failed" in str(e)))
    ok = all((r[2] and r[3]) or (not r[2] and r[4]) for r in res)
    return ok, res


def t_database():
    try:
        conn(dbname="nosuchdb")
        return False, "connected"
    except psycopg2.OperationalError as e:
        if "Database not found: nosuchdb" not in str(e):
            return False, str(e)
    c = conn(dbname="greptime-other")
    db = q(c, "select database()")
    c.close()
    return db == [("other",)], db


def t_too_many():
    held = [conn("pg_small"), conn("pg_small")]
    err = None
    try:
        conn("pg_small").close()
    except psycopg2.OperationalError as e:
        err = str(e)
    held.pop().close()
    c = None
    for _ in range(20):
        try:
            c = conn("pg_small")
            break
        except psycopg2.OperationalError:
            time.sleep(0.1)
    for h in held:
        h.close()
    if c:
        c.close()
    return err is not None and "Too many connections" in err and c is not None, err


def t_oversize():
    c = conn_when_free("pg_small")
    c.autocommit = True
    err = None
    try:
        q(c, "select '" + "z" * (2 << 20) + "'")
    except psycopg2.Error as e:
        err = str(e)
    c2 = conn_when_free("pg_small")
    fine = q(c2, "select 9")
    c2.close()
    return err is not None and fine == [(9,)], err


# ---- raw protocol ---------------------------------------------------------

def msg(t, body=b""):
    return t + struct.pack("!I", len(body) + 4) + body


def cstr(s):
    return s.encode() + b"\x00"


class Raw:
    def __init__(self, port="pg"):
        self.s = socket.create_connection((H, P[port]), timeout=5)
        self.buf = b""

    def startup(self, user="alice", db="public"):
        body = struct.pack("!I", 196608) + cstr("user") + cstr(user) + cstr("database") + \
            cstr(db) + b"\x00"
        self.s.sendall(struct.pack("!I", len(body) + 4) + body)
        return self.until(b"Z")

    def read(self):
        while len(self.buf) < 5:
            d = self.s.recv(65536)
            if not d:
                raise EOFError("closed")
            self.buf += d
        t = self.buf[:1]
        n = struct.unpack("!I", self.buf[1:5])[0]
        while len(self.buf) < 1 + n:
            d = self.s.recv(65536)
            if not d:
                raise EOFError("closed")
            self.buf += d
        body = self.buf[5:1 + n]
        self.buf = self.buf[1 + n:]
        return t, body

    def until(self, t):
        out = []
        while True:
            m = self.read()
            out.append(m)
            if m[0] == t:
                return out


def datarow(body, fmts):
    n = struct.unpack("!H", body[:2])[0]
    off = 2
    vals = []
    for _ in range(n):
        ln = struct.unpack("!i", body[off:off + 4])[0]
        off += 4
        if ln < 0:
            vals.append(None)
        else:
            vals.append(body[off:off + ln])
            off += ln
    return vals


def t_extended():
    r = Raw()
    r.startup()
    # named statement with typed params, binary param formats and results
    r.s.sendall(
        msg(b"P", cstr("s1") + cstr("select * from kv where k = $1") + struct.pack("!HI", 1, 25))
        + msg(b"D", b"S" + cstr("s1")) + msg(b"S"))
    m1 = r.until(b"Z")
    key = "raw-%d" % time.time_ns()
    ins = "insert into kv values ($1, $2, $3, $4)"
    out = b""
    for i in range(5):
        vals = [key.encode(), struct.pack("!d", i + 0.5), struct.pack("!q", 1700000000000 + i),
                struct.pack("!q", i)]
        bind = cstr("") + cstr("") + struct.pack("!HHHHH", 4, 0, 1, 1, 1) + struct.pack("!H", 4)
        for v in vals:
            bind += struct.pack("!I", len(v)) + v
        bind += struct.pack("!H", 0)
        out += msg(b"P", cstr("") + cstr(ins) + struct.pack("!HIIII", 4, 25, 701, 20, 20)) + \
            msg(b"B", bind) + msg(b"E", cstr("") + struct.pack("!I", 0))
    r.s.sendall(out + msg(b"S"))
    m2 = r.until(b"Z")
    tags = [b for t, b in m2 if t == b"C"]
    # bind s1, binary results for all columns, fetch 2 rows at a time
    kb = key.encode()
    bind = cstr("p1") + cstr("s1") + struct.pack("!H", 0) + struct.pack("!H", 1) + \
        struct.pack("!I", len(kb)) + kb + struct.pack("!HH", 1, 1)
    r.s.sendall(msg(b"B", bind) + msg(b"D", b"P" + cstr("p1")) +
                msg(b"E", cstr("p1") + struct.pack("!I", 2)) +
                msg(b"E", cstr("p1") + struct.pack("!I", 2)) +
                msg(b"E", cstr("p1") + struct.pack("!I", 2)) + msg(b"S"))
    m3 = r.until(b"Z")
    kinds = b"".join(t for t, _ in m3)
    rows = [datarow(b, None) for t, b in m3 if t == b"D"]
    ok = [t for t, _ in m1] == [b"1", b"t", b"T", b"Z"]
    ok &= tags == [b"INSERT 0 1\x00"] * 5
    ok &= kinds == b"2TDDsDDsDCZ"
    dec = [(x[0].decode(), struct.unpack("!d", x[1])[0], struct.unpack("!q", x[2])[0],
            struct.unpack("!q", x[3])[0]) for x in rows]
    pg_epoch_ms = 946684800000
    want = [(key, i + 0.5, (1700000000000 + i - pg_epoch_ms) * 1000, i) for i in range(5)]
    ok &= dec == want
    # errors skip to Sync; the connection stays usable
    r.s.sendall(msg(b"P", cstr("") + cstr("select * from missing") + struct.pack("!H", 0)) +
                msg(b"B", cstr("") + cstr("") + struct.pack("!HHH", 0, 0, 0)) +
                msg(b"D", b"P" + cstr("")) + msg(b"E", cstr("") + struct.pack("!I", 0)) +
                msg(b"B", cstr("") + cstr("nosuch") + struct.pack("!HHH", 0, 0, 0)) +
                msg(b"S"))
    m4 = r.until(b"Z")
    ok &= [t for t, _ in m4] == [b"1", b"2", b"E", b"Z"] and b"42P01" in m4[2][1]
    # parameter count mismatch, multiple commands in Parse, bad binary length
    r.s.sendall(msg(b"P", cstr("") + cstr("select 1; select 2") + struct.pack("!H", 0)) + msg(b"S") +
                msg(b"P", cstr("") + cstr("select $1") + struct.pack("!HI", 1, 20)) +
                msg(b"B", cstr("") + cstr("") + struct.pack("!HHH", 1, 1, 1) +
                    struct.pack("!I", 3) + b"abc" + struct.pack("!H", 0)) + msg(b"S"))
    m5 = r.until(b"Z") + r.until(b"Z")
    ok &= [t for t, _ in m5] == [b"E", b"Z", b"1", b"E", b"Z"]
    ok &= b"42601" in m5[0][1] and b"22P02" in m5[3][1]
    r.s.sendall(msg(b"Q", cstr("select 42")))
    m6 = r.until(b"Z")
    ok &= datarow(m6[1][1], None) == [b"42"]
    r.s.sendall(msg(b"Q", cstr(" ; -- nothing")))
    m7 = r.until(b"Z")
    ok &= [t for t, _ in m7] == [b"I", b"Z"]
    r.s.sendall(msg(b"X"))
    r.s.close()
    return ok, (m1, tags, kinds, dec, m4, m5)


def hostile(blob, startup_first=False):
    s = socket.create_connection((H, P["pg"]), timeout=5)
    try:
        if startup_first:
            r = Raw()
            r.s.close()
        s.sendall(blob)
        s.shutdown(socket.SHUT_WR)
        out = b""
        while True:
            d = s.recv(65536)
            if not d:
                break
            out += d
        return out
    except socket.timeout:
        return b"<timeout>"
    except ConnectionResetError:
        return b"<reset>"
    finally:
        s.close()


def t_hostile():
    rnd = random.Random(7)
    outs = [hostile(bytes(rnd.getrandbits(8) for _ in range(rnd.randint(1, 200))))
            for _ in range(30)]
    big = hostile(struct.pack("!I", 0x7fffffff) + b"xx")
    trunc = hostile(struct.pack("!II", 100, 196608) + b"user\x00al")
    ssl_then_junk = hostile(struct.pack("!II", 8, 80877103) + b"\x00\x00\x00\x03zz")
    noauth = hostile(struct.pack("!II", 9, 196608) + b"\x00")
    # after a good startup: an invalid message type and a huge length
    r = Raw()
    r.startup()
    r.s.sendall(b"\x01" + struct.pack("!I", 4))
    bad_type = r.until(b"E")
    r.s.close()
    r = Raw()
    r.startup()
    r.s.sendall(b"Q" + struct.pack("!I", 0x7ffffff0))
    bad_len = r.until(b"E")
    r.s.close()
    c = conn()
    fine = q(c, "select 1")
    c.close()
    ok = not any(o == b"<timeout>" for o in outs) and b"08P01" in big and \
        ssl_then_junk.startswith(b"N") and b"28000" in noauth and trunc in (b"", b"<reset>")
    ok &= b"08P01" in bad_type[-1][1] and b"08P01" in bad_len[-1][1] and fine == [(1,)]
    return ok, (big, trunc, ssl_then_junk[:40], noauth[:60], bad_type[-1], bad_len[-1])


def t_concurrent():
    errs = []

    def worker(i):
        try:
            c = conn()
            c.autocommit = True
            for j in range(20):
                v = q(c, "select %s", (i * 1000 + j,))
                if v != [(i * 1000 + j,)]:
                    errs.append(v)
            c.close()
        except Exception as e:  # noqa: BLE001
            errs.append(e)
    ts = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return not errs, errs


check("psycopg2: every type decodes to the exact value (incl. NULL row)", t_types)
check("psycopg2: timestamps render in the session time zone", t_time_zone)
check("psycopg2: parameters round-trip through kv exactly; DELETE n tag", t_params)
check("psycopg2: errors carry the right SQLSTATE and message", t_errors)
check("psycopg2: CommandComplete tags, multi-statement query, empty query", t_tags_multi)
check("psycopg2: BEGIN/error/25P02/ROLLBACK transaction status", t_transactions)
check("psycopg2: CancelRequest interrupts a running statement with 57014", t_cancel)
check("psycopg2: password, md5 and SCRAM-SHA-256 accept right, reject wrong", t_auth)
check("psycopg2: unknown database refused; catalog-schema database names", t_database)
check("psycopg2: third connection over max_connections: Too many connections", t_too_many)
check("psycopg2: message above the size limit refused, server keeps serving", t_oversize)
check("raw pg: Parse/Describe/Bind(binary)/Execute(max_rows)/PortalSuspended/Sync",
      t_extended)
check("pg port: random bytes, bad lengths, bad message types; clients still work", t_hostile)
check("psycopg2: 8 concurrent connections", t_concurrent)
report(True, "psycopg2 suite finished")
finish()
