"""pymysql and psycopg2 against `strata standalone start`: create a table,
insert, read back exact values (timestamps, doubles, strings, NULLs), and
bad input (malformed SQL, unknown table/column/function, wrong value
types, partition gaps) that must give a clear error while the server keeps
serving.  usage: standalone_clients.py PORTFILE
"""
import datetime
import sys

import psycopg2
import pymysql

from wirelib import check, finish, ports

P = ports(sys.argv[1])
H = "127.0.0.1"


def my():
    return pymysql.connect(host=H, port=P["mysql"], user="root", password="",
                           database="public", autocommit=True, connect_timeout=5,
                           read_timeout=30)


def pg():
    c = psycopg2.connect(host=H, port=P["postgres"], user="root", password="",
                         dbname="public", connect_timeout=5)
    c.autocommit = True
    return c


def q(c, sql, args=None):
    cur = c.cursor()
    cur.execute(sql, args)
    return cur.fetchall() if cur.description else cur.rowcount


def error_of(c, sql):
    try:
        q(c, sql)
    except (pymysql.err.MySQLError, psycopg2.Error) as e:
        return e
    return None


TS = [datetime.datetime(2024, 1, 2, 3, 4, 5, 123000), datetime.datetime(1970, 1, 1, 0, 0, 0),
      datetime.datetime(2038, 1, 19, 3, 14, 8, 999000)]
ROWS = [("h1", TS[0], 0.1, "hello", 7), ("h2", TS[1], -1.5e300, "it's \"quoted\" ü", None),
        ("h3", TS[2], None, None, -9223372036854775808)]


def roundtrip(name, connect, placeholder):
    table = "rt_" + name

    def create():
        c = connect()
        q(c, "DROP TABLE IF EXISTS %s" % table)
        q(c, "CREATE TABLE %s (host STRING PRIMARY KEY, ts TIMESTAMP(3) TIME INDEX, "
             "v DOUBLE, s STRING, n BIGINT)" % table)
        ins = "INSERT INTO %s (host, ts, v, s, n) VALUES (%s)" % (table, ", ".join([placeholder] * 5))
        n = 0
        cur = c.cursor()
        for r in ROWS:
            cur.execute(ins, r)
            n += cur.rowcount
        c.close()
        return n == 3, "affected %s" % n
    check("%s: CREATE TABLE and 3 parameterised INSERTs" % name, create)

    def select():
        c = connect()
        rows = q(c, "SELECT host, ts, v, s, n FROM %s ORDER BY host" % table)
        c.close()
        got = [tuple(r) for r in rows]
        return got == ROWS, got
    check("%s: SELECT returns exact timestamps, doubles, strings and NULLs" % name, select)

    def where():
        c = connect()
        rows = q(c, "SELECT s FROM %s WHERE v < 0" % table)
        c.close()
        return [tuple(r) for r in rows] == [("it's \"quoted\" ü",)], rows
    check("%s: SELECT with WHERE on a field" % name, where)

    def count():
        c = connect()
        rows = q(c, "SELECT count(*) FROM %s" % table)
        c.close()
        return rows[0][0] == 3, rows
    check("%s: count(*)" % name, count)

    def delete():
        c = connect()
        n = q(c, "DELETE FROM %s WHERE host = 'h2'" % table)
        rows = q(c, "SELECT host FROM %s ORDER BY host" % table)
        c.close()
        return n == 1 and [r[0] for r in rows] == ["h1", "h3"], (n, rows)
    check("%s: DELETE one row by key" % name, delete)

    def bad_input():
        c = connect()
        cases = [
            ("SELECT (1", "syntax"),
            ("SELECT * FROM no_such_table", "Table not found"),
            ("SELECT no_such_column FROM %s" % table, "no_such_column"),
            ("SELECT no_such_function(1)", "no_such_function"),
            ("INSERT INTO %s (host, ts, n) VALUES ('x', 1, 'abc')" % table, "expect type"),
            ("INSERT INTO %s (host, ts) VALUES ('x', 'not a time')" % table, "Timestamp"),
            ("INSERT INTO %s VALUES ('x', 1)" % table, "column count mismatch"),
            ("CREATE TABLE gap_%s (a INT PRIMARY KEY, ts TIMESTAMP TIME INDEX) "
             "PARTITION ON COLUMNS (a) (a < 10, a > 10)" % name, "Checkpoint `a=10` is not covered"),
        ]
        bad = []
        for sql, want in cases:
            e = error_of(c, sql)
            text = str(e)
            if e is None or want.lower() not in text.lower():
                bad.append((sql, text))
        alive = q(c, "SELECT 1")[0][0] == 1
        c.close()
        return not bad and alive, bad
    check("%s: bad input gets a clear error and the connection keeps serving" % name, bad_input)

    def drop():
        c = connect()
        q(c, "DROP TABLE %s" % table)
        e = error_of(c, "SELECT * FROM %s" % table)
        c.close()
        return e is not None and "not found" in str(e).lower(), str(e)
    check("%s: DROP TABLE, then the table is gone" % name, drop)


roundtrip("pymysql", my, "%s")
roundtrip("psycopg2", pg, "%s")


def mysql_error_shape():
    c = my()
    try:
        q(c, "CREATE TABLE x (a INT PRIMARY KEY, ts TIMESTAMP TIME INDEX) "
             "PARTITION ON COLUMNS (a) (a < 10, a > 10)")
    except pymysql.err.MySQLError as e:
        c.close()
        return e.args[1] == "(InvalidArguments): Checkpoint `a=10` is not covered", e.args
    return False, "no error"


check("pymysql: GreptimeDB status in the MySQL error text", mysql_error_shape)


def pg_error_shape():
    c = pg()
    try:
        q(c, "SELECT * FROM nothing_here")
    except psycopg2.Error as e:
        c.close()
        return e.pgcode == "42P01" and "Table not found: greptime.public.nothing_here" in str(e), \
            (e.pgcode, str(e))
    return False, "no error"


check("psycopg2: unknown table is SQLSTATE 42P01", pg_error_shape)


def partitioned():
    c = my()
    q(c, "CREATE TABLE pt (a INT PRIMARY KEY, s STRING, ts TIMESTAMP TIME INDEX) "
         "PARTITION ON COLUMNS (a) (a < 10, a >= 10 AND a < 20, a >= 20)")
    q(c, "INSERT INTO pt VALUES (1, 'one', 1), (15, 'fifteen', 2), (30, 'thirty', 3), (NULL, 'null', 4)")
    rows = q(c, "SELECT a, s FROM pt ORDER BY ts")
    regions = q(c, "SELECT count(*) FROM information_schema.region_peers WHERE table_name = 'pt'")
    q(c, "DROP TABLE pt")
    c.close()
    return ([tuple(r) for r in rows] == [(1, "one"), (15, "fifteen"), (30, "thirty"), (None, "null")]
            and regions[0][0] == 3), (rows, regions)


check("partitioned table: rows of every region (and NULL keys) read back", partitioned)


def session_vars():
    c = my()
    r = q(c, "SELECT @@version_comment, @@max_allowed_packet, @@time_zone")
    q(c, "SET time_zone = '+08:00'")
    r2 = q(c, "SELECT @@time_zone")
    c.close()
    return r[0][2] == "UTC" and r[0][1] == 67108864 and r2[0][0] == "+08:00", (r, r2)


check("pymysql: session variables and SET time_zone", session_vars)

finish()
