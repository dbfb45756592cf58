SELECT region_id, state, role, writable, committed_sequence, flushed_sequence, manifest_version, compaction_time_window, region_options, sst_format
FROM information_schema.region_info
WHERE region_id IN (
  SELECT region_id FROM information_schema.region_peers WHERE table_name = 'region_info_case'
)
ORDER BY region_id;