ALTER TABLE logical_metric_table MERGE PARTITION (
  device_id < 100,
  device_id >= 100 AND device_id < 200
);