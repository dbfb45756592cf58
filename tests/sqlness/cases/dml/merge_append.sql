-- last_row (default): the newest write of a (key, ts) wins whole
CREATE TABLE lr (h STRING PRIMARY KEY, ts TIMESTAMP TIME INDEX, a INT, b STRING);

INSERT INTO lr VALUES ('x', 1, 1, 'one');

INSERT INTO lr (h, ts, a) VALUES ('x', 1, 2);

SELECT * FROM lr;

-- last_non_null: fields merge, newest non-null value per field
CREATE TABLE lnn (h STRING PRIMARY KEY, ts TIMESTAMP TIME INDEX, a INT, b STRING) WITH (merge_mode = 'last_non_null');

INSERT INTO lnn VALUES ('x', 1, 1, 'one');

INSERT INTO lnn (h, ts, a) VALUES ('x', 1, 2);

INSERT INTO lnn (h, ts, b) VALUES ('x', 1, 'three');

SELECT * FROM lnn;

ADMIN FLUSH_TABLE('lnn');

INSERT INTO lnn (h, ts, a) VALUES ('x', 1, 4);

SELECT * FROM lnn;

-- append mode keeps duplicates
CREATE TABLE ap (h STRING PRIMARY KEY, ts TIMESTAMP TIME INDEX, a INT) WITH (append_mode = 'true');

INSERT INTO ap VALUES ('x', 1, 1), ('x', 1, 1);

INSERT INTO ap VALUES ('x', 1, 2);

SELECT * FROM ap ORDER BY a;

SELECT count(*) FROM ap;

DROP TABLE lr, lnn, ap;
