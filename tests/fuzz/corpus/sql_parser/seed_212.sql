--- doesn't change anything ---
SELECT * FROM test;