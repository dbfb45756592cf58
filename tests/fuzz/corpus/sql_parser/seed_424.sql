-- Test various date formats
CREATE TABLE date_formats(d DATE, ts TIMESTAMP TIME INDEX);