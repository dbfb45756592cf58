create table
    t (
        ts timestamp time index,
        host string primary key,
        not_pk string,
        val double,
    )
with
    (
        append_mode = 'true',
        'compaction.type' = 'twcs',
        'compaction.twcs.trigger_file_num' = '8',
    );