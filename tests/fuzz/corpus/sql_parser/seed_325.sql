-- ORDER BY with projections
CREATE TABLE test (
  c1 INTEGER,
  c2 INTEGER,
  c3 STRING,
  c4 DOUBLE,
  ts TIMESTAMP TIME INDEX,
  PRIMARY KEY (c1, c3, c2)
);