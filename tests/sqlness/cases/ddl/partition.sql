CREATE TABLE part_t (
  a INT PRIMARY KEY,
  b STRING,
  ts TIMESTAMP TIME INDEX
)
PARTITION ON COLUMNS (a) (
  a < 10,
  a >= 10 AND a < 20,
  a >= 20
);

SHOW CREATE TABLE part_t;

SELECT partition_name, partition_expression, partition_description, partition_ordinal_position FROM information_schema.partitions WHERE table_name = 'part_t' ORDER BY partition_name;

-- SQLNESS REPLACE (\d{13}) REGION_ID
SHOW REGION FROM part_t;

-- rows are routed by rule; region statistics see them
INSERT INTO part_t VALUES (1, 'a', 1), (11, 'b', 2), (21, 'c', 3), (25, 'd', 4), (-5, 'e', 5);

INSERT INTO part_t (ts, b) VALUES (6, 'null key');

SELECT * FROM part_t ORDER BY ts;

SELECT * FROM part_t WHERE a >= 20 ORDER BY a;

SELECT * FROM part_t WHERE a < 10 ORDER BY a;

SELECT count(*), sum(a), min(b), max(b) FROM part_t;

SELECT region_number, region_rows FROM information_schema.region_statistics ORDER BY region_number;

-- coverage check: gaps and overlaps are refused
CREATE TABLE gap (a INT PRIMARY KEY, ts TIMESTAMP TIME INDEX) PARTITION ON COLUMNS (a) (a < 10, a > 10);

CREATE TABLE overlap (b STRING PRIMARY KEY, ts TIMESTAMP TIME INDEX) PARTITION ON COLUMNS (b) (b >= 'a', b <= 'o');

CREATE TABLE two_cols (
  a INT,
  b STRING,
  ts TIMESTAMP TIME INDEX,
  PRIMARY KEY (a, b)
)
PARTITION ON COLUMNS (a, b) (
  a < 10,
  a = 10 AND b < 'm',
  a = 10 AND b >= 'm',
  a > 10
);

SHOW CREATE TABLE two_cols;

CREATE TABLE bad_op (a INT PRIMARY KEY, ts TIMESTAMP TIME INDEX) PARTITION ON COLUMNS (a) (a + 1 < 10, a >= 9);

CREATE TABLE bad_col (a INT PRIMARY KEY, ts TIMESTAMP TIME INDEX) PARTITION ON COLUMNS (c) (c < 10, c >= 10);

CREATE TABLE unlisted (a INT PRIMARY KEY, x INT, ts TIMESTAMP TIME INDEX) PARTITION ON COLUMNS (a) (x < 10, x >= 10);

-- an empty rule list is one region
CREATE TABLE one_region (a INT PRIMARY KEY, ts TIMESTAMP TIME INDEX) PARTITION ON COLUMNS (a) ();

SELECT partition_name, partition_expression FROM information_schema.partitions WHERE table_name = 'one_region';

-- negative literals
CREATE TABLE neg (f FLOAT PRIMARY KEY, ts TIMESTAMP TIME INDEX) PARTITION ON COLUMNS (f) (f < -1, f >= -1 AND f < 0, f >= 0);

INSERT INTO neg VALUES (-2, 0), (-0.5, 0), (3, 0);

SELECT * FROM neg ORDER BY f;

ADMIN FLUSH_TABLE('part_t');

SELECT * FROM part_t WHERE a = 25;

DROP TABLE part_t, two_cols, one_region, neg;
