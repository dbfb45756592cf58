-- test udd/hll_merege pushdown
CREATE TABLE sink_table (
    time_window TIMESTAMP TIME INDEX,
    host STRING PRIMARY KEY,
    udd_state BINARY,
    hll_state BINARY,
) PARTITION ON COLUMNS (host) (
    host < '550-A',
    host >= '550-A'
    AND host < '550-W',
    host >= '550-W'
);