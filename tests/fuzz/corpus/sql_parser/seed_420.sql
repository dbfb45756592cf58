-- extract function
SELECT extract(year FROM i) FROM dates ORDER BY ts;