CREATE TABLE ins (
  host STRING,
  ts TIMESTAMP TIME INDEX,
  cpu DOUBLE DEFAULT 0,
  mem DOUBLE,
  n INT DEFAULT 42,
  ok BOOLEAN,
  PRIMARY KEY (host)
);

INSERT INTO ins VALUES ('h1', 1, 0.5, 1.5, 1, true);

-- column lists in any order, defaults for the rest
INSERT INTO ins (ts, host) VALUES (2, 'h2');

INSERT INTO ins (mem, host, ts) VALUES (2.5, 'h3', '2024-01-01 00:00:00');

-- the DEFAULT keyword
INSERT INTO ins VALUES ('h4', 4, DEFAULT, DEFAULT, DEFAULT, DEFAULT);

-- timestamps as strings with a zone, dates and casts
INSERT INTO ins (host, ts) VALUES ('h5', '2024-01-01T08:00:00+08:00'), ('h6', '2024-01-01 00:00:00.123Z');

INSERT INTO ins (host, ts) VALUES ('h7', CAST('2024-02-03 04:05:06' AS TIMESTAMP));

REPLACE INTO ins (host, ts, cpu) VALUES ('h1', 1, 9.5);

SELECT * FROM ins ORDER BY host;

-- errors
INSERT INTO ins VALUES ('x', 1);

INSERT INTO ins VALUES ('x', 1, 1, 1, 1, true), ('y', 2);

INSERT INTO ins (host, nope) VALUES ('x', 1);

INSERT INTO ins (host, ts, n) VALUES ('x', 1, 'abc');

INSERT INTO ins (host, ts, n) VALUES ('x', 1, 1.5);

INSERT INTO ins (host, ts, n) VALUES ('x', 1, 99999999999);

INSERT INTO ins (host, ts) VALUES (1, 1);

INSERT INTO ins (host, ts) VALUES ('x', 'yesterday');

INSERT INTO ins (host, ts, ok) VALUES ('x', 1, 2);

INSERT INTO ins (host, cpu) VALUES ('x', 1);

INSERT INTO ins (host, ts) VALUES ('x', NULL);

INSERT INTO missing VALUES (1);

INSERT INTO information_schema.tables VALUES (1);

CREATE TABLE nn (ts TIMESTAMP TIME INDEX, v DOUBLE NOT NULL);

INSERT INTO nn (ts) VALUES (1);

INSERT INTO nn VALUES (1, NULL);

INSERT INTO nn VALUES (1, 1.0);

SELECT * FROM nn;

-- INSERT ... SELECT
CREATE TABLE copy (host STRING PRIMARY KEY, ts TIMESTAMP TIME INDEX, cpu DOUBLE);

INSERT INTO copy SELECT host, ts, cpu FROM ins WHERE cpu > 0;

SELECT * FROM copy ORDER BY host;

INSERT INTO copy SELECT host FROM ins;

DROP TABLE copy;

DROP TABLE ins, nn;
