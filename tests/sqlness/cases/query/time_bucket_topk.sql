-- GROUP BY <time bucket> ORDER BY it LIMIT k reads the scan in time windows
-- (src/sql/agg_window.c); every LIMIT query below must give the first rows
-- of the unlimited query just before it. Data: two regions, flushed rows,
-- newer rows over them, a delete, NULL fields, gaps between minutes.
CREATE TABLE tb (h STRING, v DOUBLE, ts TIMESTAMP(3) TIME INDEX, PRIMARY KEY (h))
PARTITION ON COLUMNS (h) (h < 'm', h >= 'm');

INSERT INTO tb VALUES ('a', 1, '2024-01-01 00:00:10'), ('z', 2, '2024-01-01 00:00:50'),
('a', 3, '2024-01-01 00:01:00'), ('z', NULL, '2024-01-01 00:01:59.999'),
('a', 5, '2024-01-01 00:05:00'), ('z', 6, '2024-01-01 00:05:30'),
('a', 7, '2024-01-01 01:00:00'), ('z', 8, '2024-01-02 00:00:00');

ADMIN FLUSH_TABLE('tb');

INSERT INTO tb VALUES ('a', 30, '2024-01-01 00:01:00'), ('q', 9, '2024-01-01 00:05:59'),
('b', 10, '2024-01-01 00:59:59.999'), ('b', NULL, '2024-01-01 01:00:00');

DELETE FROM tb WHERE h = 'z' AND ts = '2024-01-01 00:05:30';

SELECT date_trunc('minute', ts) AS m, count(*), sum(v), max(v) FROM tb GROUP BY m ORDER BY m DESC;

SELECT date_trunc('minute', ts) AS m, count(*), sum(v), max(v) FROM tb GROUP BY m ORDER BY m DESC LIMIT 3;

SELECT date_trunc('minute', ts) AS m, count(*), sum(v), max(v) FROM tb GROUP BY m ORDER BY m LIMIT 2 OFFSET 1;

SELECT date_trunc('minute', ts) AS m, max(v) FROM tb WHERE ts < '2024-01-01 01:00:00' GROUP BY m ORDER BY m DESC LIMIT 2;

SELECT date_trunc('hour', ts) AS hr, h, min(v) FROM tb GROUP BY hr, h ORDER BY hr DESC, h;

SELECT date_trunc('hour', ts) AS hr, h, min(v) FROM tb GROUP BY hr, h ORDER BY hr DESC, h LIMIT 4;

SELECT date_bin(INTERVAL '2 minutes', ts) AS b, count(v) FROM tb WHERE ts >= '2024-01-01 00:00:30' GROUP BY b ORDER BY b;

SELECT date_bin(INTERVAL '2 minutes', ts) AS b, count(v) FROM tb WHERE ts >= '2024-01-01 00:00:30' GROUP BY b ORDER BY b LIMIT 2;

SELECT date_trunc('day', ts) AS d, count(*) FROM tb WHERE h = 'a' GROUP BY d ORDER BY d DESC LIMIT 5;

DROP TABLE tb;
