CREATE TABLE logical_metric_table(
  ts TIMESTAMP TIME INDEX,
  val DOUBLE,
  device_id STRING PRIMARY KEY
) ENGINE = metric WITH ("on_physical_table" = "physical_metric_table");