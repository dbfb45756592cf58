EXPLAIN
SELECT
    count(i)
FROM
    integers;