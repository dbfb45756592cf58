CREATE TABLE cpu (
  host STRING,
  dc STRING,
  ts TIMESTAMP TIME INDEX,
  usage DOUBLE,
  n BIGINT,
  PRIMARY KEY (host, dc)
)
PARTITION ON COLUMNS (host) (host < 'h2', host >= 'h2');

INSERT INTO cpu VALUES
  ('h1', 'a', '2024-01-01 00:00:00', 10.5, 1),
  ('h1', 'a', '2024-01-01 00:00:10', 20.5, 2),
  ('h2', 'a', '2024-01-01 00:00:00', 30.0, 3),
  ('h2', 'b', '2024-01-01 00:00:10', NULL, 4),
  ('h3', 'b', '2024-01-01 00:00:20', 50.25, NULL);

SELECT * FROM cpu ORDER BY host, dc, ts;

SELECT host, avg(usage), count(*) FROM cpu GROUP BY host ORDER BY host;

SELECT dc, max(usage), min(n) FROM cpu GROUP BY dc ORDER BY dc;

SELECT host, usage FROM cpu WHERE usage > 20 ORDER BY usage DESC LIMIT 2;

SELECT host, ts FROM cpu WHERE ts >= '2024-01-01 00:00:10' ORDER BY ts, host;

SELECT count(*) FROM cpu WHERE host = 'h2';

SELECT DISTINCT dc FROM cpu ORDER BY dc;

SELECT sum(number) FROM numbers WHERE number < 10;

SELECT nope FROM cpu;

SELECT * FROM cpu_missing;

SELECT nosuchfunc(usage) FROM cpu;

SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public';

SELECT table_name, table_type, engine FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name;

SELECT column_name, data_type, semantic_type, column_key, is_nullable FROM information_schema.columns WHERE table_name = 'cpu' ORDER BY ordinal_position;

SELECT constraint_name, column_name, ordinal_position FROM information_schema.key_column_usage WHERE table_name = 'cpu' ORDER BY constraint_name, ordinal_position;

-- SQLNESS REPLACE (\d{13}) REGION_ID
SELECT table_name, region_id, peer_id, is_leader, status FROM information_schema.region_peers WHERE table_name = 'cpu' ORDER BY region_id;

SELECT peer_type FROM information_schema.cluster_info;

DROP TABLE cpu;
