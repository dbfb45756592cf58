-- Migrated from DuckDB test: test/sql/types/date/test_date.test
-- Test basic DATE functionality

-- Create and insert into table
CREATE TABLE dates(i DATE, ts TIMESTAMP TIME INDEX);