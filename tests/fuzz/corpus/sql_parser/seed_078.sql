ALTER TABLE repartition_test_table MERGE PARTITION (
  device_id < 50,
  device_id >= 50 AND device_id < 75
);