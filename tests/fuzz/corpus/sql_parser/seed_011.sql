SELECT
    ts::BIGINT + 1,
    i / 2,
    count(i)
FROM
    integers
GROUP BY
    ts::BIGINT + 1,
    i / 2,
ORDER BY
    ts::BIGINT + 1,
    i / 2,;