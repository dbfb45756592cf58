SELECT table_name
FROM information_schema.tables
WHERE table_schema = 'my_db'
  AND create_time > NOW() - INTERVAL 1 MINUTE;