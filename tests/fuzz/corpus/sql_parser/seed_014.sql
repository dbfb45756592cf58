INSERT INTO
    sink_table
SELECT
    date_bin('1 hour' :: INTERVAL, ts) as time_window,
    host,
    uddsketch_state(128, 0.01, i) as udd_state,
    hll(i) as hll_state
FROM
    integers
GROUP BY
    time_window,
    host;