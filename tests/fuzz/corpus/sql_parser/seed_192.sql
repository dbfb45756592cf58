create table host_load1(
    ts timestamp time index,
    collector string,
    host string,
    val double,
    primary key (collector, host)
);