--- test flush_table and compact_table ---

CREATE TABLE test(ts timestamp time index);