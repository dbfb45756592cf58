"""Concurrent clients against `strata standalone start`: 4 MySQL writers
(multi-row INSERTs into a 2-region table), 3 PostgreSQL readers (GROUP BY
and information_schema while rows arrive), 2 DDL sessions (CREATE, INSERT,
ADMIN FLUSH_TABLE, DROP). Every statement must succeed and every written
row must be counted at the end.  usage: standalone_concurrency.py PORTFILE
"""
import random
import sys
import threading

import psycopg2
import pymysql

from wirelib import finish, ports, report

P = ports(sys.argv[1])
errors = []


def my():
    return pymysql.connect(host="127.0.0.1", port=P["mysql"], user="root", database="public",
                           autocommit=True, read_timeout=120)


def writer(k):
    try:
        c = my()
        cur = c.cursor()
        for b in range(30):
            vals = ",".join("('%s%d', %d, %f)" % (random.choice("az"), i % 7, k * 100000 + b * 100 + i,
                                                   i * 1.0) for i in range(100))
            cur.execute("INSERT INTO conc VALUES " + vals)
        c.close()
    except Exception as e:  # noqa: BLE001
        errors.append(("writer", k, e))


def reader(k):
    try:
        c = psycopg2.connect(host="127.0.0.1", port=P["postgres"], user="root", dbname="public")
        c.autocommit = True
        cur = c.cursor()
        for _ in range(40):
            cur.execute("SELECT h, count(*), max(v) FROM conc GROUP BY h ORDER BY h")
            cur.fetchall()
            cur.execute("SELECT * FROM information_schema.region_statistics")
            cur.fetchall()
        c.close()
    except Exception as e:  # noqa: BLE001
        errors.append(("reader", k, e))


def ddl(k):
    try:
        c = my()
        cur = c.cursor()
        for i in range(15):
            cur.execute("CREATE TABLE ddl_%d_%d (ts TIMESTAMP TIME INDEX, x INT)" % (k, i))
            cur.execute("INSERT INTO ddl_%d_%d VALUES (1, 1)" % (k, i))
            if i % 3 == 0:
                cur.execute("ADMIN FLUSH_TABLE('conc')")
            cur.execute("DROP TABLE ddl_%d_%d" % (k, i))
        c.close()
    except Exception as e:  # noqa: BLE001
        errors.append(("ddl", k, e))


c = my()
c.cursor().execute("CREATE TABLE conc (h STRING PRIMARY KEY, ts TIMESTAMP TIME INDEX, v DOUBLE) "
                   "PARTITION ON COLUMNS (h) (h < 'm', h >= 'm')")
c.close()
threads = ([threading.Thread(target=writer, args=(k,)) for k in range(4)] +
           [threading.Thread(target=reader, args=(k,)) for k in range(3)] +
           [threading.Thread(target=ddl, args=(k,)) for k in range(2)])
for t in threads:
    t.start()
for t in threads:
    t.join()
report(not errors, "concurrent writers, readers and DDL: every statement succeeds", errors[:3])
c = my()
cur = c.cursor()
cur.execute("SELECT count(*) FROM conc")
n = cur.fetchall()[0][0]
cur.execute("SHOW TABLES LIKE 'ddl%'")
left = cur.fetchall()
cur.execute("DROP TABLE conc")
c.close()
report(n == 12000 and not left, "concurrent clients: all 12000 rows counted, no DDL leftovers",
       (n, left))
finish()
