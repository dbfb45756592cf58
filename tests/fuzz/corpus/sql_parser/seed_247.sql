--- test information_schema.region_peers ----
USE public;