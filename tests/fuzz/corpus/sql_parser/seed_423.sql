-- Test date subtraction resulting in interval
SELECT i - DATE '1993-08-14' FROM dates ORDER BY ts;