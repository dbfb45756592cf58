-- GreptimeDB's MySQL front door parses with the MySQL dialect: "x" is a
-- string there (a column definition does not take it), `x` is an
-- identifier; where sqlparser takes an identifier (a table name) a quoted
-- string is accepted as one
-- SQLNESS PROTOCOL MYSQL
CREATE TABLE mq ("ts" TIMESTAMP TIME INDEX, v DOUBLE);

-- SQLNESS PROTOCOL MYSQL
CREATE TABLE mq (`ts` TIMESTAMP TIME INDEX, s STRING PRIMARY KEY, v DOUBLE);

-- SQLNESS PROTOCOL MYSQL
INSERT INTO mq VALUES (1, "x", 1.5), (2, 'y', 2.5);

-- SQLNESS PROTOCOL MYSQL
SELECT "abc", 'def';

-- SQLNESS PROTOCOL MYSQL
SELECT s, v FROM mq WHERE s = "x";

-- SQLNESS PROTOCOL MYSQL
SELECT "s" FROM mq ORDER BY ts;

-- SQLNESS PROTOCOL MYSQL
SELECT `s` FROM `mq` ORDER BY `ts`;

-- SQLNESS PROTOCOL MYSQL
SELECT count(*) FROM "mq";

-- over PostgreSQL "x" is an identifier
-- SQLNESS PROTOCOL POSTGRES
SELECT "s" FROM "mq" WHERE s = 'x';

DROP TABLE mq;
