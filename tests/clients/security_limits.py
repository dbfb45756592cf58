"""pymysql / psycopg2 / raw-protocol checks of authentication, TLS and limits
for tests/suites/security_limits.sh.

usage: security_limits.py MODE PORTFILE
  auth    server A: users root=pass1, alice=s3cret; SCRAM; TLS on; limits
          --max-connections 3 --mysql-max-packet 64K --pg-max-message 64K
          --max-insert-rows 100
  limits  server A, the limits
  raw_tls server C: no users, TLS required, --pg-max-message 64K
  md5     server B: same users, --pg-auth-method md5,
          --mysql-auth-plugin caching_sha2_password, --statement-timeout-ms 300,
          no TLS
Every check fails if the feature it names breaks.
"""
import hashlib
import socket
import struct
import sys

import psycopg2
import pymysql

from wirelib import check, finish, ports

MODE = sys.argv[1]
P = ports(sys.argv[2])
H = "127.0.0.1"
SLOW = "SELECT count(*) FROM numbers a, numbers b, numbers c, numbers d"


def my(user="alice", password="s3cret", **kw):
    return pymysql.connect(host=H, port=P["mysql"], user=user, password=password,
                           database="public", autocommit=True, connect_timeout=5,
                           read_timeout=30, **kw)


def pg(user="alice", password="s3cret", **kw):
    c = psycopg2.connect(host=H, port=P["postgres"], user=user, password=password,
                         dbname="public", connect_timeout=5, **kw)
    c.autocommit = True
    return c


def q(c, sql):
    cur = c.cursor()
    cur.execute(sql)
    return cur.fetchall() if cur.description else cur.rowcount


def my_err(fn):
    try:
        fn()
    except pymysql.MySQLError as e:
        return e.args
    return None


def pg_err(fn):
    try:
        fn()
    except psycopg2.Error as e:
        return (e.pgcode, str(e))
    return None


# ---- raw PostgreSQL protocol --------------------------------------------------

def recv_exact(s, n):
    b = b""
    while len(b) < n:
        chunk = s.recv(n - len(b))
        if not chunk:
            raise EOFError("closed after %d of %d bytes" % (len(b), n))
        b += chunk
    return b


def pg_read_msg(s):
    t = recv_exact(s, 1)
    (n,) = struct.unpack("!I", recv_exact(s, 4))
    return t, recv_exact(s, n - 4)


def pg_error_fields(body):
    out = {}
    for f in body.split(b"\0"):
        if f:
            out[chr(f[0])] = f[1:].decode()
    return out


def pg_startup(s, user):
    body = struct.pack("!I", 196608) + b"user\0" + user.encode() + b"\0database\0public\0\0"
    s.sendall(struct.pack("!I", len(body) + 4) + body)


def raw_md5_wrong_password():
    """md5 exchange with a wrong password: ErrorResponse C=28P01."""
    s = socket.create_connection((H, P["postgres"]), timeout=10)
    try:
        pg_startup(s, "alice")
        t, body = pg_read_msg(s)
        if t != b"R" or struct.unpack("!I", body[:4])[0] != 5:
            return False, "expected AuthenticationMD5Password, got %r %r" % (t, body[:8])
        salt = body[4:8]
        inner = hashlib.md5(b"wrong" + b"alice").hexdigest().encode()
        resp = b"md5" + hashlib.md5(inner + salt).hexdigest().encode() + b"\0"
        s.sendall(b"p" + struct.pack("!I", len(resp) + 4) + resp)
        t, body = pg_read_msg(s)
        f = pg_error_fields(body)
        return t == b"E" and f.get("C") == "28P01" and f.get("S") == "FATAL", (t, f)
    finally:
        s.close()


def raw_ssl_request():
    """The answer byte to an SSLRequest."""
    s = socket.create_connection((H, P["postgres"]), timeout=10)
    try:
        s.sendall(struct.pack("!II", 8, 80877103))
        return recv_exact(s, 1)
    finally:
        s.close()


# ---- server A -----------------------------------------------------------------

def auth_checks():
    check("pymysql: right password (mysql_native_password)",
          lambda: q(my(), "SELECT 1") == ((1,),))
    e = my_err(lambda: my(password="nope"))
    check("pymysql: wrong password -> 1045 Access denied for user",
          lambda: (e is not None and e[0] == 1045 and "Access denied for user 'alice'" in e[1], e))
    e = my_err(lambda: my(user="mallory", password="s3cret"))
    check("pymysql: unknown user -> 1045", lambda: (e is not None and e[0] == 1045, e))
    check("pymysql over TLS: right password, the session is encrypted",
          lambda: (lambda c: (q(c, "SELECT 3") == ((3,),) and c._sock.version() is not None,
                              c._sock))(my(ssl={"check_hostname": False, "verify_mode": 0})))
    check("psycopg2: right password (SCRAM-SHA-256)", lambda: q(pg(), "SELECT 1") == [(1,)])
    e = pg_err(lambda: pg(password="nope"))
    check("psycopg2: wrong password -> password authentication failed",
          lambda: (e is not None and 'password authentication failed for user "alice"' in e[1], e))
    e = pg_err(lambda: pg(user="mallory"))
    check("psycopg2: unknown user rejected",
          lambda: (e is not None and "password authentication failed" in e[1], e))
    check("psycopg2 sslmode=require: TLS session",
          lambda: (lambda c: (q(c, "SELECT 5") == [(5,)] and c.info.ssl_in_use, c.info.ssl_in_use))(
              pg(sslmode="require")))
    check("SSLRequest answered 'S' when a certificate is configured",
          lambda: (raw_ssl_request() == b"S", "answer"))


def limit_checks():
    # connections: --max-connections 3 per protocol
    held = [my() for _ in range(3)]
    e = my_err(lambda: my())
    check("MySQL 4th connection -> 1040 Too many connections",
          lambda: (e is not None and e[0] == 1040 and "Too many connections" in e[1], e))
    check("MySQL: the 3 admitted connections keep working",
          lambda: all(q(c, "SELECT 7") == ((7,),) for c in held))
    for c in held:
        c.close()
    check("MySQL: a slot frees up after a client leaves",
          lambda: q(retry(my), "SELECT 8") == ((8,),))
    held = [pg() for _ in range(3)]
    e = pg_err(lambda: pg())
    check("PostgreSQL 4th connection -> Too many connections",
          lambda: (e is not None and "Too many connections" in e[1], e))
    check("PostgreSQL: the 3 admitted connections keep working",
          lambda: all(q(c, "SELECT 7") == [(7,)] for c in held))
    for c in held:
        c.close()

    # packet / message size: 64 KiB
    c = retry(my)
    big = "SELECT '" + "x" * 100000 + "'"
    e = my_err(lambda: q(c, big))
    check("MySQL query over max_allowed_packet -> 1153",
          lambda: (e is not None and e[0] == 1153, e))
    check("MySQL: within the limit still works on a new connection",
          lambda: q(retry(my), "SELECT '" + "y" * 30000 + "'")[0][0] == "y" * 30000)
    c = retry(pg)
    e = pg_err(lambda: q(c, big))
    # (libpq reports the lost connection, not the FATAL before it: the
    # SQLSTATE is checked by raw_tls_checks and the text by the psql test)
    check("PostgreSQL message over the limit: error, connection closed",
          lambda: (e is not None and c.closed != 0, (e, c.closed)))
    check("PostgreSQL: within the limit still works on a new connection",
          lambda: q(retry(pg), "SELECT '" + "y" * 30000 + "'")[0][0] == "y" * 30000)

    # rows per INSERT: 100
    c = retry(my)
    q(c, "CREATE TABLE lim (ts TIMESTAMP TIME INDEX, v BIGINT)")
    rows = ",".join("(%d, %d)" % (i, i) for i in range(101))
    e = my_err(lambda: q(c, "INSERT INTO lim VALUES " + rows))
    check("MySQL INSERT of 101 rows (limit 100) refused with a clear error",
          lambda: (e is not None and "exceeds the limit of 100 rows" in e[1], e))
    check("... and nothing was written", lambda: q(c, "SELECT count(*) FROM lim") == ((0,),))
    rows = ",".join("(%d, %d)" % (i, i) for i in range(100))
    check("MySQL INSERT of 100 rows accepted",
          lambda: q(c, "INSERT INTO lim VALUES " + rows) == 100)
    p = retry(pg)
    rows = ",".join("(%d, %d)" % (i + 1000, i) for i in range(150))
    e = pg_err(lambda: q(p, "INSERT INTO lim VALUES " + rows))
    check("PostgreSQL INSERT of 150 rows refused: 54000",
          lambda: (e is not None and e[0] == "54000" and "exceeds the limit" in e[1], e))
    check("... nothing written, connection keeps working",
          lambda: q(p, "SELECT count(*) FROM lim") == [(100,)])

    # statement timeout set by the session
    c = retry(my)
    q(c, "SET max_execution_time = 300")
    e = my_err(lambda: q(c, SLOW))
    check("MySQL SET max_execution_time: slow query -> 3024",
          lambda: (e is not None and e[0] == 3024 and "maximum statement execution time" in e[1], e))
    check("MySQL: the connection keeps working after the timeout",
          lambda: q(c, "SELECT count(*) FROM lim") == ((100,),))
    p = retry(pg)
    q(p, "SET statement_timeout = '300ms'")
    e = pg_err(lambda: q(p, SLOW))
    check("PostgreSQL SET statement_timeout: slow query -> 57014",
          lambda: (e is not None and e[0] == "57014" and "statement timeout" in e[1], e))
    check("PostgreSQL: the connection keeps working after the timeout",
          lambda: q(p, "SELECT count(*) FROM lim") == [(100,)])


def retry(fn, tries=30):
    """A slot may take a moment to free after a close (server side)."""
    import time
    for i in range(tries):
        try:
            return fn()
        except (pymysql.MySQLError, psycopg2.OperationalError):
            if i == tries - 1:
                raise
            time.sleep(0.1)
    return None


# ---- server B -----------------------------------------------------------------

def md5_checks():
    check("psycopg2 md5: right password", lambda: q(pg(), "SELECT 1") == [(1,)])
    e = pg_err(lambda: pg(password="nope"))
    check("psycopg2 md5: wrong password rejected",
          lambda: (e is not None and "password authentication failed" in e[1], e))
    check("raw md5 exchange, wrong password: FATAL 28P01", raw_md5_wrong_password)
    check("no certificate: SSLRequest answered 'N'", lambda: (raw_ssl_request() == b"N", "answer"))
    e = pg_err(lambda: pg(sslmode="require"))
    check("no certificate: sslmode=require fails clearly",
          lambda: (e is not None and "server does not support SSL" in e[1], e))
    # --mysql-auth-plugin caching_sha2_password: pymysql answers with it
    check("pymysql caching_sha2_password: full authentication (RSA, no TLS)",
          lambda: q(my(), "SELECT 2") == ((2,),))
    check("pymysql caching_sha2_password: fast path on the next connection",
          lambda: q(my(), "SELECT 2") == ((2,),))
    e = my_err(lambda: my(password="nope"))
    check("pymysql caching_sha2_password: wrong password -> 1045",
          lambda: (e is not None and e[0] == 1045, e))
    c = pg()
    e = pg_err(lambda: q(c, SLOW))
    check("--statement-timeout-ms 300: slow query -> 57014",
          lambda: (e is not None and e[0] == "57014", e))
    check("... connection keeps working", lambda: q(c, "SELECT 9") == [(9,)])
    m = my()
    e = my_err(lambda: q(m, SLOW))
    check("--statement-timeout-ms 300 on MySQL -> 3024", lambda: (e is not None and e[0] == 3024, e))
    check("... connection keeps working", lambda: q(m, "SELECT 9") == ((9,),))


# ---- server C: raw protocol over TLS --------------------------------------------

def raw_tls_checks():
    import ssl
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    s = socket.create_connection((H, P["postgres"]), timeout=10)
    s.sendall(struct.pack("!II", 8, 80877103))
    check("raw: SSLRequest answered 'S'", lambda: (recv_exact(s, 1) == b"S", "answer"))
    t = ctx.wrap_socket(s)
    check("raw: TLS handshake done", lambda: (t.version() is not None, t.version()))
    pg_startup(t, "anyone")
    seen = []
    while True:
        typ, body = pg_read_msg(t)
        seen.append(typ)
        if typ in (b"Z", b"E"):
            break
    check("raw: trust login inside TLS reaches ReadyForQuery",
          lambda: (seen[0] == b"R" and seen[-1] == b"Z", seen))
    # announce a 1 MiB Query (limit 64 KiB) and send only part of it
    t.sendall(b"Q" + struct.pack("!I", (1 << 20) + 4) + b"x" * 1000)
    typ, body = pg_read_msg(t)
    f = pg_error_fields(body)
    check("raw: message over --pg-max-message -> FATAL 08P01 before the body is read",
          lambda: (typ == b"E" and f.get("C") == "08P01" and f.get("S") == "FATAL"
                   and "exceeds the limit" in f.get("M", ""), (typ, f)))

    def closed():
        try:
            return t.recv(1) == b""
        except (ssl.SSLError, OSError):
            return True
    check("raw: ... and the connection is closed", closed)
    t.close()


if MODE == "auth":
    auth_checks()
elif MODE == "limits":
    limit_checks()
elif MODE == "raw_tls":
    raw_tls_checks()
elif MODE == "md5":
    md5_checks()
else:
    sys.exit("unknown mode " + MODE)
finish()
