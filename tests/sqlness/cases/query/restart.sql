CREATE DATABASE keep;

CREATE TABLE keep.r (h STRING PRIMARY KEY, ts TIMESTAMP TIME INDEX, v DOUBLE)
PARTITION ON COLUMNS (h) (h < 'm', h >= 'm');

INSERT INTO keep.r VALUES ('a', 1, 1.5), ('z', 2, 2.5);

ADMIN FLUSH_TABLE('keep.r');

INSERT INTO keep.r VALUES ('b', 3, NULL), ('y', 4, 4.5);

DELETE FROM keep.r WHERE h = 'z';

-- SQLNESS ARG restart=true
SELECT * FROM keep.r ORDER BY h;

SHOW DATABASES;

SHOW CREATE TABLE keep.r;

INSERT INTO keep.r VALUES ('c', 5, 5.5);

SELECT count(*) FROM keep.r;

-- SQLNESS ARG restart=true
SELECT * FROM keep.r ORDER BY h;

DROP DATABASE keep;
