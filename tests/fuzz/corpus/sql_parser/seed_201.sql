create table foo (
     host string,
     ts timestamp DEFAULT '2024-06-01 00:00:00+00:00',
     cpu double default 0,
     TIME INDEX (ts),
     PRIMARY KEY(host)
) engine=mito;