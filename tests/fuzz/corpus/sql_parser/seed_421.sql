-- Check that we can convert dates to string
SELECT CAST(i AS VARCHAR) FROM dates ORDER BY ts;