-- Check that we can select dates
SELECT * FROM dates ORDER BY ts;