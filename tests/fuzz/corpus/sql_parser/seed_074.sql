-- Test 1: New partition rule contains non-partition column (ts is not a partition column)

ALTER TABLE repartition_test_table REPARTITION (
  device_id < 100
) INTO (
  device_id < 50,
  device_id >= 50 AND device_id < 100 AND ts < 1000
);