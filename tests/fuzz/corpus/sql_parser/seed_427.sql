-- Test date comparison
SELECT d FROM date_formats WHERE d > '2000-01-01' ORDER BY d;