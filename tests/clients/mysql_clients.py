"""pymysql against wire_test_server's MySQL ports: exact values, errors,
auth, limits, multi-packet payloads.  usage: mysql_clients.py PORTFILE"""
import datetime
import socket
import struct
import sys
import threading
import time

import pymysql
from pymysql.constants import CLIENT

from wirelib import check, finish, ports, report

P = ports(sys.argv[1])
H = "127.0.0.1"


def conn(port="mysql", user="root", password="", **kw):
    return pymysql.connect(host=H, port=P[port], user=user, password=password,
                           database="public", connect_timeout=5, read_timeout=20, **kw)


def conn_when_free(port):
    """Connect to a server with a small max_connections once a slot is free:
    the server releases the slot of a closed connection asynchronously (its
    thread notices the close), so a test that just closed connections waits
    for that instead of racing it. Gives up after 3 s."""
    deadline = time.time() + 3
    while True:
        try:
            return conn(port)
        except pymysql.err.OperationalError as e:
            if "Too many connections" not in str(e) or time.time() > deadline:
                raise
            time.sleep(0.05)


def q(c, sql, args=None):
    cur = c.cursor()
    cur.execute(sql, args)
    return cur.fetchall()


def t_types():
    c = conn()
    rows = q(c, "select * from types")
    c.close()
    want0 = (1, -8, -16000, -2000000000, -9223372036854775808, 255, 65535, 4294967295,
             18446744073709551615, 0.1, 0.1, "héllo, 'world'", b"\x00\x01\xfe\xff",
             datetime.date(2024, 1, 1), datetime.datetime(2023, 11, 14, 22, 13, 20),
             datetime.datetime(1970, 1, 1, 0, 0, 0, 1000),
             datetime.datetime(2023, 11, 14, 22, 13, 20, 123456),
             datetime.datetime(2023, 11, 14, 22, 13, 20, 123456))
    want2 = (0, 127, 0, 2147483647, 9223372036854775807, 0, 0, 0, 0, -1.5, 1e20, "", b"",
             datetime.date(1969, 12, 31), datetime.datetime(1969, 12, 31, 23, 59, 59),
             datetime.datetime(1969, 12, 31, 23, 59, 59, 999000),
             datetime.datetime(1970, 1, 1), datetime.datetime(1969, 12, 31, 23, 59, 59, 999999))
    ok = (len(rows) == 3 and rows[0] == want0 and rows[1] == (None,) * 18 and rows[2] == want2)
    return ok, rows


def t_time_zone():
    c = conn()
    q(c, "set time_zone = 'Asia/Shanghai'")
    a = q(c, "select * from types")[0][15]
    q(c, "set time_zone = '-05:00'")
    b = q(c, "select * from types")[0][15]
    c.close()
    ok = a == datetime.datetime(1970, 1, 1, 8, 0, 0, 1000) and \
        b == datetime.datetime(1969, 12, 31, 19, 0, 0, 1000)
    return ok, (a, b)


def t_params():
    c = conn()
    key = "py-%d" % time.time_ns()
    vals = ["plain", "it's", "back\\slash", "quote\"d", "ünïcødé ✓", "", "new\nline", None]
    for i, s in enumerate(vals):
        q(c, "insert into kv values (%s, %s, %s, %s)", (key, 0.1 * i if s is not None else None,
                                                         1700000000000 + i, i))
    rows = q(c, "select * from kv where k = %s", (key,))
    echo = q(c, "select %s, %s, %s, %s", ("it's \\ \"x\"", 1e-7, -0.0, 2 ** 63 - 1))
    c.close()
    ok = len(rows) == len(vals)
    for i, r in enumerate(rows):
        ok &= r[0] == key and r[2] == datetime.datetime(2023, 11, 14, 22, 13, 20, i * 1000) \
            and r[3] == i
        ok &= (r[1] is None) if vals[i] is None else r[1] == 0.1 * i
    ok &= echo == (("it's \\ \"x\"", 1e-7, -0.0, 2 ** 63 - 1),)
    return ok, (rows, echo)


def t_errors():
    c = conn()
    got = []
    for sql, code, msg in [
        ("select * from missing", 1146,
         "(TableNotFound): Table not found: greptime.public.missing"),
        ("set read_preference='hi'", 1235,
         "(Unsupported): Not supported: Invalid read preference expr hi in set variable statement"),
        ("frobnicate", 1064, "(InvalidSyntax): Failed to parse SQL"),
    ]:
        try:
            q(c, sql)
            got.append("no error for " + sql)
        except pymysql.MySQLError as e:
            if e.args[0] != code or not e.args[1].startswith(msg):
                got.append(e.args)
    # the connection survives errors
    one = q(c, "select 1")
    c.close()
    return not got and one == ((1,),), got


def t_multi():
    c = conn(client_flag=CLIENT.MULTI_STATEMENTS)
    cur = c.cursor()
    cur.execute("select 1; select 'two'; set x = 1; select big(2)")
    sets = [cur.fetchall()]
    while cur.nextset():
        sets.append(cur.fetchall())
    err = None
    try:
        cur.execute("select 1; select * from missing; select 3")
        while cur.nextset():
            pass
    except pymysql.MySQLError as e:
        err = e.args[0]
    after = q(c, "select 5")
    c.close()
    ok = sets == [((1,),), (("two",),), (), ((0, "row-0"), (1, "row-1"))] and err == 1146
    return ok and after == ((5,),), (sets, err, after)


def t_big():
    c = conn(max_allowed_packet=64 << 20)
    rows = q(c, "select big(50000)")
    r = q(c, "select repeat(17000000)")  # a row of more than 16 MiB: split frames
    s = "y" * (17 << 20)
    echo = q(c, "select '" + s + "'")  # a command of more than 16 MiB
    c.close()
    ok = len(rows) == 50000 and rows[49999] == (49999, "row-49999")
    ok &= len(r[0][0]) == 17000000 and set(r[0][0]) == {"x"}
    ok &= echo[0][0] == s
    return ok, (len(rows), len(r[0][0]), len(echo[0][0]))


def t_auth():
    res = []
    for port in ("mysql_native", "mysql_sha2"):
        for user, pw, good in [("alice", "secret", True), ("bob", "", True),
                               ("alice", "wrong", False), ("nobody", "x", False)]:
            try:
                c = conn(port, user, pw)
                res.append((port, user, good, q(c, "select database()")[0][0] == "public"))
                c.close()
            except pymysql.MySQLError as e:
                res.append((port, user, good, False, e.args[0]))
    ok = all((r[2] and r[3]) or (not r[2] and len(r) == 5 and r[4] == 1045) for r in res)
    return ok, res


def t_database():
    try:
        pymysql.connect(host=H, port=P["mysql"], user="x", database="nosuchdb", connect_timeout=5)
        return False, "connected to nosuchdb"
    except pymysql.MySQLError as e:
        if "Database not found: nosuchdb" not in e.args[1]:
            return False, e.args
    c = conn()
    c.select_db("other")  # COM_INIT_DB
    db = q(c, "select database()")
    c.ping()
    c.close()
    return db == (("other",),), db


def t_too_many():
    held = [conn("mysql_small"), conn("mysql_small")]
    err = None
    try:
        conn("mysql_small").close()
    except pymysql.MySQLError as e:
        err = e.args
    held.pop().close()
    time.sleep(0.3)
    c = None
    for _ in range(20):  # the server notices the close asynchronously
        try:
            c = conn("mysql_small")
            break
        except pymysql.MySQLError:
            time.sleep(0.1)
    ok = err is not None and err[0] == 1040 and "Too many connections" in err[1] and c is not None
    if c:
        c.close()
    for h in held:
        h.close()
    return ok, err


def t_oversize():
    c = conn_when_free("mysql_small")
    err = None
    try:
        q(c, "select '" + "z" * (2 << 20) + "'")
    except pymysql.MySQLError as e:
        err = e.args
    c2 = conn_when_free("mysql_small")
    fine = q(c2, "select 7")
    c2.close()
    try:
        c.close()
    except Exception:  # noqa: BLE001 - the server closed it
        pass
    ok = err is not None and (err[0] == 1153 or err[0] in (2006, 2013)) and fine == ((7,),)
    return ok, err


def raw(port, payload, read=True):
    s = socket.create_connection((H, P[port]), timeout=5)
    greeting = s.recv(4096) if read else b""
    s.sendall(payload)
    s.shutdown(socket.SHUT_WR)  # the frame stays truncated: the peer is done
    out = b""
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            out += d
    except socket.timeout:
        out += b"<timeout>"
    except ConnectionResetError:
        out += b"<reset>"
    s.close()
    return greeting, out


def t_hostile():
    import random
    rnd = random.Random(42)
    results = []
    for i in range(30):
        blob = bytes(rnd.getrandbits(8) for _ in range(rnd.randint(1, 300)))
        g, out = raw("mysql", blob)
        results.append(out.endswith(b"<timeout>"))
    # oversized frame header before auth, wrong sequence, truncated frame
    g, o1 = raw("mysql", b"\xff\xff\xff\x01" + b"A" * 10)
    g, o2 = raw("mysql", b"\x05\x00\x00\x07hello")
    g, o3 = raw("mysql", b"\x40\x00\x00\x01" + b"\x00" * 10)  # truncated, then close
    # bytes before even reading the greeting
    g, o4 = raw("mysql", b"GET / HTTP/1.1\r\n\r\n" * 5, read=False)
    c = conn()
    fine = q(c, "select 1")
    c.close()
    timeouts = sum(results)
    ok = (timeouts == 0 and b"#08S01" in o1 and b"#08S01" in o2 and fine == ((1,),)
          and not o3.endswith(b"<timeout>") and not o4.endswith(b"<timeout>"))
    return ok, (timeouts, o1[:60], o2[:60], o3[:60], o4[:80])


def t_midquery_disconnect():
    # a client that vanishes while its result is being produced
    for _ in range(3):
        s = socket.create_connection((H, P["mysql"]), timeout=5)
        c = pymysql.connect(host=H, port=P["mysql"], user="x", connect_timeout=5)
        c._sock.settimeout(5)
        c.cursor().execute("select 1")
        # send a big query by hand and close without reading
        sql = b"select big(200000)"
        c._sock.sendall(struct.pack("<I", len(sql) + 1)[:3] + b"\x00\x03" + sql)
        c._sock.close()
        s.close()
    c = conn()
    fine = q(c, "select 2")
    c.close()
    return fine == ((2,),), fine


def t_concurrent():
    errs = []

    def worker(i):
        try:
            c = conn()
            for j in range(20):
                r = q(c, "select %s", (i * 1000 + j,))
                if r != ((i * 1000 + j,),):
                    errs.append(r)
            c.close()
        except Exception as e:  # noqa: BLE001
            errs.append(e)
    ts = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return not errs, errs


check("pymysql: every type decodes to the exact value (incl. NULL row)", t_types)
check("pymysql: timestamps render in the session time zone (named and offset)", t_time_zone)
check("pymysql: client-side parameters round-trip through kv exactly", t_params)
check("pymysql: errors carry MySQL errno and '(StatusName): message'", t_errors)
check("pymysql: multi-statements give multi-results; error stops the batch", t_multi)
check("pymysql: 50k rows, a 17 MB row and a 17 MB command (multi-packet)", t_big)
check("pymysql: native and caching_sha2 auth accept right and reject wrong passwords", t_auth)
check("pymysql: unknown database refused at connect; COM_INIT_DB and ping", t_database)
check("pymysql: third connection over max_connections gets 1040 Too many connections", t_too_many)
check("pymysql: command above max_packet refused, server keeps serving", t_oversize)
check("mysql port: random bytes, bad frames, HTTP junk get closed; clients still work",
      t_hostile)
check("mysql port: clients vanishing mid-query do not hurt the server", t_midquery_disconnect)
check("pymysql: 8 concurrent connections", t_concurrent)
report(True, "pymysql suite finished")
finish()
