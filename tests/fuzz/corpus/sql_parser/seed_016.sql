EXPLAIN
SELECT
    uddsketch_calc(0.5, uddsketch_merge(128, 0.01, udd_state)) as udd_result,
    hll_count(hll_merge(hll_state)) as hll_result
FROM
    sink_table;