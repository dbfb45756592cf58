CREATE TABLE a (h STRING PRIMARY KEY, ts TIMESTAMP TIME INDEX, v DOUBLE)
PARTITION ON COLUMNS (h) (h < 'm', h >= 'm');

INSERT INTO a VALUES ('a', 1, 1.0), ('z', 2, 2.0);

ADMIN FLUSH_TABLE('a');

ADMIN FLUSH_TABLE('public.a');

ADMIN FLUSH_TABLE('greptime.public.a');

INSERT INTO a VALUES ('b', 3, 3.0);

ADMIN FLUSH_TABLE('a');

ADMIN COMPACT_TABLE('a');

ADMIN COMPACT_TABLE('a', 'regular');

ADMIN COMPACT_TABLE('a', 'strict_window', 'window=3600');

SELECT * FROM a ORDER BY h;

SELECT flush_table('a');

SELECT compact_table('a');

ADMIN COMPACT_TABLE('a', 'mystery');

ADMIN FLUSH_TABLE('missing');

ADMIN FLUSH_TABLE('a', 'b');

ADMIN FLUSH_TABLE();

ADMIN FLUSH_REGION(4398046511104);

ADMIN COMPACT_REGION(4398046511105);

ADMIN FLUSH_REGION(1);

ADMIN NO_SUCH_FUNCTION('a');

ADMIN MIGRATE_REGION(4398046511104, 0, 1);

-- SQLNESS REPLACE (\s+\d+\s+) <NUM>
SELECT region_number, sst_num FROM information_schema.region_statistics ORDER BY region_number;

DROP TABLE a;
