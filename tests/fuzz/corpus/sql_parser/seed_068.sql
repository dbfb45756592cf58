-- Test split partition and merge partition error cases

-- Setup: Create a physical table with partitions
CREATE TABLE repartition_test_table(
  device_id INT,
  area STRING,
  ts TIMESTAMP TIME INDEX,
  PRIMARY KEY(device_id)
) PARTITION ON COLUMNS (device_id) (
  device_id < 100,
  device_id >= 100 AND device_id < 200,
  device_id >= 200
);