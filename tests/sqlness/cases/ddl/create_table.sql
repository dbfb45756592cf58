-- every native type and alias, with NULL / NOT NULL and defaults
CREATE TABLE all_types (
  s STRING,
  vc VARCHAR(20) NOT NULL DEFAULT 'x',
  b BOOLEAN DEFAULT true,
  i8 TINYINT,
  i16 SMALLINT DEFAULT -32768,
  i32 INT,
  i64 BIGINT,
  u8 TINYINT UNSIGNED,
  u16 SMALLINT UNSIGNED,
  u32 INT UNSIGNED,
  u64 BIGINT UNSIGNED,
  f32 FLOAT,
  f64 DOUBLE DEFAULT 0.5,
  bin VARBINARY,
  d DATE,
  dt DATETIME,
  t0 TIMESTAMP(0),
  t6 TIMESTAMP(6),
  t9 TIMESTAMP(9),
  ts TIMESTAMP(3) NOT NULL DEFAULT current_timestamp(),
  TIME INDEX (ts),
  PRIMARY KEY (s, i32)
);

DESC TABLE all_types;

SHOW CREATE TABLE all_types;

-- the time index must exist, be a timestamp and not null
CREATE TABLE bad1 (i INT);

CREATE TABLE bad2 (i INT TIME INDEX);

CREATE TABLE bad3 (ts TIMESTAMP TIME INDEX NULL);

CREATE TABLE bad4 (ts TIMESTAMP TIME INDEX, t2 TIMESTAMP, TIME INDEX (t2));

CREATE TABLE bad5 (ts TIMESTAMP TIME INDEX, a STRING PRIMARY KEY, b STRING PRIMARY KEY);

CREATE TABLE bad6 (ts TIMESTAMP TIME INDEX, a STRING PRIMARY KEY, PRIMARY KEY (a));

-- duplicates and IF NOT EXISTS
CREATE TABLE all_types (ts TIMESTAMP TIME INDEX);

CREATE TABLE IF NOT EXISTS all_types (ts TIMESTAMP TIME INDEX);

CREATE TABLE 'bad name~' (ts TIMESTAMP TIME INDEX);

-- defaults: now is not a function call
CREATE TABLE bad7 (ts TIMESTAMP TIME INDEX DEFAULT now);

CREATE TABLE bad8 (ts TIMESTAMP TIME INDEX, i INT DEFAULT 'abc');

CREATE TABLE d1 (ts TIMESTAMP TIME INDEX DEFAULT now(), i INT DEFAULT -7, s STRING DEFAULT 'hello');

DESC d1;

-- options: normalised values, unknown keys refused
CREATE TABLE opts (
  host STRING PRIMARY KEY,
  ts TIMESTAMP TIME INDEX,
  v DOUBLE
) WITH (ttl = '7d', 'compaction.type' = 'twcs', 'compaction.twcs.time_window' = '1h', write_buffer_size = '2MiB', append_mode = 'true');

SHOW CREATE TABLE opts;

CREATE TABLE opts2 (ts TIMESTAMP TIME INDEX) WITH (foo = 'bar');

CREATE TABLE opts3 (ts TIMESTAMP TIME INDEX) WITH (ttl = 'soon');

CREATE TABLE opts4 (ts TIMESTAMP TIME INDEX) WITH (merge_mode = 'last_non_null', append_mode = 'true');

CREATE TABLE opts5 (ts TIMESTAMP TIME INDEX) WITH (ttl = 'instant');

CREATE TABLE opts7 (ts TIMESTAMP TIME INDEX) WITH (ttl = 'forever', 'sst_format' = 'flat', 'memtable.type' = 'partition_tree');

SHOW CREATE TABLE opts7;

ALTER TABLE opts7 SET 'ttl' = '30m';

SHOW CREATE TABLE opts7;

ALTER TABLE opts7 UNSET 'ttl';

ALTER TABLE opts7 ADD COLUMN x INT;

ALTER TABLE opts7 MODIFY COLUMN x BIGINT;

ALTER TABLE opts7 ADD COLUMN y INT, SET 'ttl' = '1d';

DROP TABLE opts7;

CREATE TABLE opts6 (ts TIMESTAMP TIME INDEX) WITH (ttl = '1d 12h', merge_mode = 'last_non_null');

SHOW CREATE TABLE opts6;

-- CREATE TABLE LIKE copies columns and options
CREATE TABLE opts_copy LIKE opts;

DESC opts_copy;

-- engines
CREATE TABLE ext (ts TIMESTAMP TIME INDEX) ENGINE = file;

-- comments
CREATE TABLE commented (ts TIMESTAMP TIME INDEX COMMENT 'the time', v DOUBLE COMMENT 'a value') WITH (comment = 'a table');

SHOW CREATE TABLE commented;

-- tables in other databases
CREATE TABLE nodb.t (ts TIMESTAMP TIME INDEX);

CREATE DATABASE other;

CREATE TABLE other.t (ts TIMESTAMP TIME INDEX, x INT);

SHOW TABLES FROM other;

DROP DATABASE other;

SHOW TABLES FROM other;

INSERT INTO d1 (i) VALUES (1);

INSERT INTO d1 (ts, s) VALUES (5, 'five');

SELECT i, s FROM d1 ORDER BY i;

TRUNCATE TABLE d1;

SELECT count(*) FROM d1;

INSERT INTO d1 (ts) VALUES (7);

SELECT * FROM d1;

TRUNCATE TABLE missing;

DROP TABLE all_types, d1, opts, opts5, opts6, opts_copy, commented;

SHOW TABLES;
