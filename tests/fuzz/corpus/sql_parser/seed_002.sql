-- count
SELECT
    count(i)
FROM
    integers;