CREATE TABLE region_peers_t1 (
    ts timestamp time index,
    val double,
    host string primary key
) engine = metric with ("on_physical_table" = "region_peers_phy");