CREATE TABLE ac (
  host STRING PRIMARY KEY,
  ts TIMESTAMP TIME INDEX,
  cpu DOUBLE
);

INSERT INTO ac VALUES ('a', 1, 1.0), ('b', 2, 2.0);

-- rows in an SST before the change, rows in the memtable after it
ADMIN FLUSH_TABLE('ac');

INSERT INTO ac VALUES ('c', 3, 3.0);

ALTER TABLE ac ADD COLUMN mem BIGINT DEFAULT 7 COMMENT 'memory';

ALTER TABLE ac ADD COLUMN IF NOT EXISTS mem BIGINT;

ALTER TABLE ac ADD disk DOUBLE, ADD COLUMN label STRING DEFAULT 'none' AFTER host;

DESC TABLE ac;

SHOW CREATE TABLE ac;

SELECT * FROM ac ORDER BY ts;

INSERT INTO ac (host, ts, cpu, mem, disk, label) VALUES ('d', 4, 4.0, 40, 0.5, 'new');

INSERT INTO ac (host, ts, cpu) VALUES ('e', 5, 5.0);

SELECT host, ts, mem, disk, label FROM ac ORDER BY ts;

SELECT host FROM ac WHERE mem = 7 ORDER BY host;

SELECT column_name, data_type, column_default, is_nullable FROM information_schema.columns WHERE table_name = 'ac' ORDER BY ordinal_position;

-- the change and the rows survive a restart (manifest + WAL replay)
-- SQLNESS ARG restart=true
SELECT host, ts, cpu, mem, disk, label FROM ac ORDER BY ts;

-- drop a field: its data is ignored, even when the name comes back
ALTER TABLE ac DROP COLUMN cpu;

SELECT * FROM ac ORDER BY ts;

ADMIN FLUSH_TABLE('ac');

ALTER TABLE ac ADD COLUMN cpu STRING;

SELECT host, ts, cpu FROM ac ORDER BY ts;

INSERT INTO ac (host, ts, cpu) VALUES ('f', 6, 'six');

ADMIN COMPACT_TABLE('ac');

SELECT host, ts, cpu, mem FROM ac ORDER BY ts;

-- errors
ALTER TABLE ac ADD COLUMN mem INT;

ALTER TABLE ac DROP COLUMN nope;

ALTER TABLE ac DROP COLUMN IF EXISTS nope;

ALTER TABLE ac DROP COLUMN host;

ALTER TABLE ac DROP COLUMN ts;

ALTER TABLE ac ADD COLUMN strict_col INT NOT NULL;

ALTER TABLE ac ADD COLUMN strict_col INT NOT NULL DEFAULT 0;

SELECT host, strict_col FROM ac ORDER BY host;

ALTER TABLE ac ADD COLUMN region STRING PRIMARY KEY DEFAULT 'x';

ALTER TABLE ac ADD COLUMN region STRING NOT NULL PRIMARY KEY;

ALTER TABLE ac ADD COLUMN at TIMESTAMP DEFAULT now();

ALTER TABLE ac ADD COLUMN x INT DEFAULT 'abc';

-- a new tag joins the primary key; old rows have it NULL and stay the
-- same series as new rows written without it
ADMIN FLUSH_TABLE('ac');

ALTER TABLE ac ADD COLUMN dc STRING PRIMARY KEY;

DESC TABLE ac;

SHOW CREATE TABLE ac;

INSERT INTO ac (host, ts, dc, mem) VALUES ('a', 1, NULL, 100), ('a', 1, 'east', 200), ('g', 7, 'west', 700);

SELECT host, dc, ts, mem FROM ac ORDER BY host, dc, ts;

SELECT host, ts, mem FROM ac WHERE dc IS NULL AND host = 'a';

SELECT host, ts, mem FROM ac WHERE dc = 'east';

-- SQLNESS ARG restart=true
ADMIN COMPACT_TABLE('ac');

SELECT host, dc, ts, mem FROM ac ORDER BY host, dc, ts;

-- a partitioned table: every region changes
CREATE TABLE acp (
  a INT PRIMARY KEY,
  ts TIMESTAMP TIME INDEX,
  v DOUBLE
)
PARTITION ON COLUMNS (a) (
  a < 10,
  a >= 10
);

INSERT INTO acp VALUES (1, 1, 1.5), (11, 2, 2.5);

ALTER TABLE acp ADD COLUMN w INT DEFAULT -3;

INSERT INTO acp VALUES (2, 3, 3.5, 30), (12, 4, 4.5, 40);

SELECT * FROM acp ORDER BY ts;

ALTER TABLE acp DROP COLUMN a;

DROP TABLE acp;

DROP TABLE ac;
