-- Test 4: New partition rule has overlapping partitions
-- This creates overlapping ranges: device_id < 100 and device_id >= 50 AND device_id < 150
-- After removing device_id < 100, we have: device_id >= 100 AND device_id < 200, device_id >= 200
-- Adding the new ones: device_id < 100, device_id >= 50 AND device_id < 150
-- This overlaps: [0, 100) and [50, 150) overlap in [50, 100)

ALTER TABLE repartition_test_table REPARTITION (
  device_id < 100
) INTO (
  device_id < 100,
  device_id >= 50 AND device_id < 150
);