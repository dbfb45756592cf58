-- Check that we can add days to a date
SELECT i + INTERVAL '5 days' FROM dates ORDER BY ts;