create table t (
    ts timestamp time index,
    val double,
    host string,
    idc string,
    primary key (host, idc),
)
partition on columns (host) (
    host < '1024',
    host >= '1024'
);