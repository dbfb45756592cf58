CREATE TABLE region_info_case (
  a INT PRIMARY KEY,
  ts TIMESTAMP TIME INDEX,
)
WITH ("sst_format" = "flat");