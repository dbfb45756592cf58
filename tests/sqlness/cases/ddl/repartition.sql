-- ALTER TABLE ... REPARTITION / SPLIT PARTITION / MERGE PARTITION: GreptimeDB's
-- validation errors in its order of checks; a valid request is refused
-- (Strata cannot split or merge regions)
CREATE TABLE rp(
  k INT,
  s STRING,
  ts TIMESTAMP TIME INDEX,
  PRIMARY KEY(k)
) PARTITION ON COLUMNS (k) (
  k < 10,
  k >= 10 AND k < 20,
  k >= 20
);

CREATE TABLE rp_phy(ts TIMESTAMP TIME INDEX, val DOUBLE) ENGINE = metric WITH ("physical_metric_table" = "");

CREATE TABLE rp_logical(ts TIMESTAMP TIME INDEX, val DOUBLE, k STRING PRIMARY KEY) ENGINE = metric WITH ("on_physical_table" = "rp_phy");

CREATE TABLE rp_plain(k INT, ts TIMESTAMP TIME INDEX, PRIMARY KEY(k));

-- the logical-table check comes before every other one
ALTER TABLE rp_logical MERGE PARTITION (nope < 1, k >= 1);

ALTER TABLE rp REPARTITION (k < 10) INTO (k < 5, k >= 5 AND k < 10 AND s = 'a');

ALTER TABLE rp SPLIT PARTITION (k < 10) INTO (k < 5, nope >= 5);

ALTER TABLE rp SPLIT PARTITION (k < 9) INTO (k < 5, k >= 5 AND k < 9);

ALTER TABLE rp MERGE PARTITION (k >= 10 AND k < 20, k > 20);

ALTER TABLE rp_plain SPLIT PARTITION (k < 10) INTO (k < 5, k >= 5 AND k < 10);

ALTER TABLE rp SPLIT PARTITION (k >= 20) INTO (k >= 20 AND k < 30, k > 30);

ALTER TABLE rp REPARTITION (k >= 10 AND k < 20, k >= 20) INTO (k >= 10 AND k < 40, k >= 30);

-- valid requests: refused, the table keeps its rules
ALTER TABLE rp SPLIT PARTITION (k < 10) INTO (k < 5, k >= 5 AND k < 10);

ALTER TABLE rp MERGE PARTITION (k >= 10 AND k < 20, k >= 20);

ALTER TABLE rp REPARTITION (k >= 10 AND k < 20, k >= 20) INTO (k >= 10);

INSERT INTO rp VALUES (1, 'a', 1), (15, 'b', 2), (25, 'c', 3);

SELECT * FROM rp ORDER BY k;

DROP TABLE rp;

DROP TABLE rp_logical;

DROP TABLE rp_phy;

DROP TABLE rp_plain;
