-- Test 2: From partition expr does not exist in existing partition exprs
-- device_id < 50 is not in the existing partitions (which are < 100, >= 100 AND < 200, >= 200)

ALTER TABLE repartition_test_table REPARTITION (
  device_id < 50
) INTO (
  device_id < 25,
  device_id >= 25 AND device_id < 50
);