CREATE TABLE region_peers_t2 (
    ts timestamp time index,
    job string primary key,
    val double
) engine = metric with ("on_physical_table" = "region_peers_phy");