-- might write to different partitions
EXPLAIN ANALYZE
SELECT
    count(i)
FROM
    integers;