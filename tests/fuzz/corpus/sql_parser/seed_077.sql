ALTER TABLE repartition_test_table SPLIT PARTITION (
  device_id < 50
) INTO (
  device_id < 25,
  device_id >= 25 AND device_id < 50
);