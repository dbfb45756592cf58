-- Test 0: Logical table cannot be repartitioned

ALTER TABLE logical_metric_table REPARTITION (
  device_id < 100
) INTO (
  device_id < 50,
  device_id >= 50 AND device_id < 100
);