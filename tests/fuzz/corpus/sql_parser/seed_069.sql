-- Setup: Create a logical table (metric engine)
CREATE TABLE physical_metric_table(
  ts TIMESTAMP TIME INDEX,
  val DOUBLE
) ENGINE = metric WITH ("physical_metric_table" = "");