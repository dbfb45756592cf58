ADMIN COMPACT_TABLE(
    'test',
    'strict_window',
    'window=3600,start_time=1970-01-01T00:00:00Z,end_time=1970-01-01T01:00:00Z'
);