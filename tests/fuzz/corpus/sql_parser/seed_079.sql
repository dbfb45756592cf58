-- Test 3: New partition rule is incomplete (cannot pass checker)
-- This creates a gap: device_id < 50 and device_id >= 100, missing [50, 100)
-- The existing partitions are: device_id < 100, device_id >= 100 AND device_id < 200, device_id >= 200
-- After removing device_id < 100 and adding device_id < 50 and device_id >= 100, we get:
-- device_id < 50, device_id >= 100 AND device_id < 200, device_id >= 200
-- This leaves a gap [50, 100)

ALTER TABLE repartition_test_table REPARTITION (
  device_id < 100
) INTO (
  device_id < 50,
  device_id >= 100
);