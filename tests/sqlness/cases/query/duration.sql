-- timestamp differences are durations: Arrow's ISO 8601 text over MySQL,
-- the interval type (oid 1186, PostgreSQL's interval text) over PostgreSQL;
-- the runner prints a PostgreSQL interval as Arrow prints a duration
CREATE TABLE dur(t TIMESTAMP TIME INDEX, u TIMESTAMP, h STRING PRIMARY KEY);

INSERT INTO dur VALUES
  ('2024-01-01 00:00:00', '2024-01-02 03:04:05.5', 'a'),
  ('2024-01-03 00:00:00', '2024-01-01 00:00:00', 'b'),
  ('2024-01-04 00:00:00', '2024-01-04 00:00:00.918', 'c'),
  ('2024-01-05 00:00:00', '2024-01-04 23:59:59', 'd'),
  ('2024-01-06 00:00:00', NULL, 'e');

SELECT h, t - t AS zero, u - t AS d FROM dur ORDER BY h;

SELECT d FROM (SELECT h, u - t AS d FROM dur) WHERE h < 'c' ORDER BY h LIMIT 1;

SELECT '2024-01-02 00:00:01'::timestamp - '2024-01-01 00:00:00'::timestamp AS c;

SELECT CAST(u - t AS STRING) IS NOT NULL AS s FROM dur WHERE h = 'a';

-- PostgreSQL's own text of the intervals (as GreptimeDB's runner prints them)
-- SQLNESS PROTOCOL POSTGRES
SELECT h, u - t AS d FROM dur ORDER BY h;

DROP TABLE dur;
