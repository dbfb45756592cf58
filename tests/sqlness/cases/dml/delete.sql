CREATE TABLE del (a INT PRIMARY KEY, b STRING, ts TIMESTAMP TIME INDEX)
PARTITION ON COLUMNS (a) (a < 100, a >= 100);

INSERT INTO del VALUES (1, 'x', 1), (2, 'y', 2), (150, 'z', 3), (151, 'w', 4);

DELETE FROM del WHERE a = 2;

SELECT * FROM del ORDER BY a;

DELETE FROM del WHERE a > 100 AND b = 'z';

SELECT * FROM del ORDER BY a;

-- a predicate only the query engine evaluates
DELETE FROM del WHERE length(b) = 1 AND a % 2 = 1;

SELECT * FROM del ORDER BY a;

INSERT INTO del VALUES (2, 'y', 2), (150, 'z', 3);

DELETE FROM del WHERE b IN ('nothing');

DELETE FROM del WHERE a BETWEEN 0 AND 1000;

DELETE FROM del;

SELECT count(*) FROM del;

-- deleted keys can be written again
INSERT INTO del VALUES (1, 'again', 1);

SELECT * FROM del;

CREATE TABLE app (h STRING PRIMARY KEY, ts TIMESTAMP TIME INDEX) WITH (append_mode = 'true');

DELETE FROM app WHERE h = 'x';

DELETE FROM nope WHERE a = 1;

DROP TABLE del, app;
