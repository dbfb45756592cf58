/*
 * infoschema_defs: the column lists of GreptimeDB's information_schema tables
 * (names, types, nullability, in ordinal order) and their table ids, as
 * shown by information_schema.columns / information_schema.tables. Data
 * only; generated once from the reference dump, edit by hand.
 */
#include "frontend/frontend_int.h"

static const struct vcol build_info_cols[] = {
    {"git_branch", DT_STRING, false, NULL},       {"git_commit", DT_STRING, false, NULL},
    {"git_commit_short", DT_STRING, false, NULL}, {"git_clean", DT_STRING, false, NULL},
    {"pkg_version", DT_STRING, false, NULL},
};

static const struct vcol character_sets_cols[] = {
    {"character_set_name", DT_STRING, false, NULL},
    {"default_collate_name", DT_STRING, false, NULL},
    {"description", DT_STRING, false, NULL},
    {"maxlen", DT_INT64, false, NULL},
};

static const struct vcol check_constraints_cols[] = {
    {"constraint_catalog", DT_STRING, false, NULL},
    {"constraint_schema", DT_STRING, false, NULL},
    {"constraint_name", DT_STRING, false, NULL},
    {"check_clause", DT_STRING, false, NULL},
};

static const struct vcol cluster_info_cols[] = {
    {"peer_id", DT_INT64, false, NULL},
    {"peer_type", DT_STRING, false, NULL},
    {"peer_addr", DT_STRING, true, NULL},
    {"peer_hostname", DT_STRING, true, NULL},
    {"total_cpu_millicores", DT_INT64, false, NULL},
    {"total_memory_bytes", DT_INT64, false, NULL},
    {"cpu_usage_millicores", DT_INT64, false, NULL},
    {"memory_usage_bytes", DT_INT64, false, NULL},
    {"version", DT_STRING, false, NULL},
    {"git_commit", DT_STRING, false, NULL},
    {"start_time", DT_TS_MS, true, NULL},
    {"uptime", DT_STRING, true, NULL},
    {"active_time", DT_STRING, true, NULL},
    {"node_status", DT_STRING, true, NULL},
};

static const struct vcol collation_character_set_applicability_cols[] = {
    {"collation_name", DT_STRING, false, NULL},
    {"character_set_name", DT_STRING, false, NULL},
};

static const struct vcol collations_cols[] = {
    {"collation_name", DT_STRING, false, NULL},
    {"character_set_name", DT_STRING, false, NULL},
    {"id", DT_INT64, false, NULL},
    {"is_default", DT_STRING, false, NULL},
    {"is_compiled", DT_STRING, false, NULL},
    {"sortlen", DT_INT64, false, NULL},
};

static const struct vcol column_privileges_cols[] = {
    {"grantee", DT_STRING, false, NULL},      {"table_catalog", DT_STRING, false, NULL},
    {"table_schema", DT_STRING, false, NULL}, {"table_name", DT_STRING, false, NULL},
    {"column_name", DT_STRING, false, NULL},  {"privilege_type", DT_STRING, false, NULL},
    {"is_grantable", DT_STRING, false, NULL},
};

static const struct vcol column_statistics_cols[] = {
    {"schema_name", DT_STRING, false, NULL},
    {"table_name", DT_STRING, false, NULL},
    {"column_name", DT_STRING, false, NULL},
    {"histogram", DT_STRING, false, NULL},
};

static const struct vcol columns_cols[] = {
    {"table_catalog", DT_STRING, false, NULL},
    {"table_schema", DT_STRING, false, NULL},
    {"table_name", DT_STRING, false, NULL},
    {"column_name", DT_STRING, false, NULL},
    {"ordinal_position", DT_INT64, false, NULL},
    {"character_maximum_length", DT_INT64, true, NULL},
    {"character_octet_length", DT_INT64, true, NULL},
    {"numeric_precision", DT_INT64, true, NULL},
    {"numeric_scale", DT_INT64, true, NULL},
    {"datetime_precision", DT_INT64, true, NULL},
    {"character_set_name", DT_STRING, true, NULL},
    {"collation_name", DT_STRING, true, NULL},
    {"column_key", DT_STRING, false, NULL},
    {"extra", DT_STRING, false, NULL},
    {"privileges", DT_STRING, false, NULL},
    {"generation_expression", DT_STRING, false, NULL},
    {"greptime_data_type", DT_STRING, false, NULL},
    {"data_type", DT_STRING, false, NULL},
    {"semantic_type", DT_STRING, false, NULL},
    {"column_default", DT_STRING, true, NULL},
    {"is_nullable", DT_STRING, false, NULL},
    {"column_type", DT_STRING, false, NULL},
    {"column_comment", DT_STRING, true, NULL},
    {"srs_id", DT_INT64, true, NULL},
};

static const struct vcol engines_cols[] = {
    {"engine", DT_STRING, false, NULL},  {"support", DT_STRING, false, NULL},
    {"comment", DT_STRING, false, NULL}, {"transactions", DT_STRING, false, NULL},
    {"xa", DT_STRING, false, NULL},      {"savepoints", DT_STRING, false, NULL},
};

static const struct vcol events_cols[] = {
    {"event_catalog", DT_STRING, false, NULL},
    {"event_schema", DT_STRING, false, NULL},
    {"event_name", DT_STRING, false, NULL},
    {"definer", DT_STRING, false, NULL},
    {"time_zone", DT_STRING, false, NULL},
    {"event_body", DT_STRING, false, NULL},
    {"event_definition", DT_STRING, false, NULL},
    {"event_type", DT_STRING, false, NULL},
    {"execute_at", DT_TS_US, false, NULL},
    {"interval_value", DT_INT64, false, NULL},
    {"interval_field", DT_STRING, false, NULL},
    {"sql_mode", DT_STRING, false, NULL},
    {"starts", DT_TS_US, false, NULL},
    {"ends", DT_TS_US, false, NULL},
    {"status", DT_STRING, false, NULL},
    {"on_completion", DT_STRING, false, NULL},
    {"created", DT_TS_US, false, NULL},
    {"last_altered", DT_TS_US, false, NULL},
    {"last_executed", DT_TS_US, false, NULL},
    {"event_comment", DT_STRING, false, NULL},
    {"originator", DT_INT64, false, NULL},
    {"character_set_client", DT_STRING, false, NULL},
    {"collation_connection", DT_STRING, false, NULL},
    {"database_collation", DT_STRING, false, NULL},
};

static const struct vcol files_cols[] = {
    {"file_id", DT_INT64, false, NULL},
    {"file_name", DT_STRING, false, NULL},
    {"file_type", DT_STRING, false, NULL},
    {"tablespace_name", DT_STRING, false, NULL},
    {"table_catalog", DT_STRING, false, NULL},
    {"table_schema", DT_STRING, false, NULL},
    {"table_name", DT_STRING, false, NULL},
    {"logfile_group_name", DT_STRING, false, NULL},
    {"logfile_group_number", DT_INT64, false, NULL},
    {"engine", DT_STRING, false, NULL},
    {"fulltext_keys", DT_STRING, false, NULL},
    {"deleted_rows", DT_INT64, false, NULL},
    {"update_count", DT_INT64, false, NULL},
    {"free_extents", DT_INT64, false, NULL},
    {"total_extents", DT_INT64, false, NULL},
    {"extent_size", DT_INT64, false, NULL},
    {"initial_size", DT_INT64, false, NULL},
    {"maximum_size", DT_INT64, false, NULL},
    {"autoextend_size", DT_INT64, false, NULL},
    {"creation_time", DT_TS_US, false, NULL},
    {"last_update_time", DT_TS_US, false, NULL},
    {"last_access_time", DT_TS_US, false, NULL},
    {"recover_time", DT_TS_US, false, NULL},
    {"transaction_counter", DT_INT64, false, NULL},
    {"version", DT_STRING, false, NULL},
    {"row_format", DT_STRING, false, NULL},
    {"table_rows", DT_INT64, false, NULL},
    {"avg_row_length", DT_INT64, false, NULL},
    {"data_length", DT_INT64, false, NULL},
    {"max_data_length", DT_INT64, false, NULL},
    {"index_length", DT_INT64, false, NULL},
    {"data_free", DT_INT64, false, NULL},
    {"create_time", DT_TS_US, false, NULL},
    {"update_time", DT_TS_US, false, NULL},
    {"check_time", DT_TS_US, false, NULL},
    {"checksum", DT_STRING, false, NULL},
    {"status", DT_STRING, false, NULL},
    {"extra", DT_STRING, false, NULL},
};

static const struct vcol flow_statistics_cols[] = {
    {"flow_id", DT_UINT32, false, NULL},      {"flow_name", DT_STRING, false, NULL},
    {"start_time", DT_TS_MS, true, NULL},     {"last_execution_time", DT_TS_MS, true, NULL},
    {"uptime_seconds", DT_INT64, true, NULL}, {"state_size", DT_UINT64, true, NULL},
};

static const struct vcol flows_cols[] = {
    {"flow_name", DT_STRING, false, NULL},
    {"flow_id", DT_UINT32, false, NULL},
    {"state_size", DT_UINT64, true, NULL},
    {"table_catalog", DT_STRING, false, NULL},
    {"flow_definition", DT_STRING, false, NULL},
    {"comment", DT_STRING, true, NULL},
    {"expire_after", DT_INT64, true, NULL},
    {"source_table_ids", DT_STRING, true, NULL},
    {"sink_table_name", DT_STRING, false, NULL},
    {"flownode_ids", DT_STRING, true, NULL},
    {"options", DT_STRING, true, NULL},
    {"created_time", DT_TS_MS, false, NULL},
    {"updated_time", DT_TS_MS, false, NULL},
    {"last_execution_time", DT_TS_MS, true, NULL},
    {"source_table_names", DT_STRING, true, NULL},
    {"flownode_addrs", DT_STRING, true, NULL},
};

static const struct vcol global_status_cols[] = {
    {"variable_name", DT_STRING, false, NULL},
    {"variable_value", DT_STRING, false, NULL},
};

static const struct vcol key_column_usage_cols[] = {
    {"constraint_catalog", DT_STRING, false, NULL},
    {"constraint_schema", DT_STRING, false, NULL},
    {"constraint_name", DT_STRING, false, NULL},
    {"table_catalog", DT_STRING, false, NULL},
    {"real_table_catalog", DT_STRING, false, NULL},
    {"table_schema", DT_STRING, false, NULL},
    {"table_name", DT_STRING, false, NULL},
    {"column_name", DT_STRING, false, NULL},
    {"ordinal_position", DT_UINT32, false, NULL},
    {"position_in_unique_constraint", DT_UINT32, true, NULL},
    {"referenced_table_schema", DT_STRING, true, NULL},
    {"referenced_table_name", DT_STRING, true, NULL},
    {"referenced_column_name", DT_STRING, true, NULL},
    {"greptime_index_type", DT_STRING, true, NULL},
};

static const struct vcol optimizer_trace_cols[] = {
    {"query", DT_STRING, false, NULL},
    {"trace", DT_STRING, false, NULL},
    {"missing_bytes_beyond_max_mem_size", DT_INT64, false, NULL},
    {"insufficient_privileges", DT_INT64, false, NULL},
};

static const struct vcol parameters_cols[] = {
    {"specific_catalog", DT_STRING, false, NULL},
    {"specific_schema", DT_STRING, false, NULL},
    {"specific_name", DT_STRING, false, NULL},
    {"ordinal_position", DT_INT64, false, NULL},
    {"parameter_mode", DT_STRING, false, NULL},
    {"parameter_name", DT_STRING, false, NULL},
    {"data_type", DT_STRING, false, NULL},
    {"character_maximum_length", DT_INT64, false, NULL},
    {"character_octet_length", DT_INT64, false, NULL},
    {"numeric_precision", DT_INT64, false, NULL},
    {"numeric_scale", DT_INT64, false, NULL},
    {"datetime_precision", DT_INT64, false, NULL},
    {"character_set_name", DT_STRING, false, NULL},
    {"collation_name", DT_STRING, false, NULL},
    {"dtd_identifier", DT_STRING, false, NULL},
    {"routine_type", DT_STRING, false, NULL},
};

static const struct vcol partitions_cols[] = {
    {"table_catalog", DT_STRING, false, NULL},
    {"table_schema", DT_STRING, false, NULL},
    {"table_name", DT_STRING, false, NULL},
    {"partition_name", DT_STRING, false, NULL},
    {"subpartition_name", DT_STRING, true, NULL},
    {"partition_ordinal_position", DT_INT64, true, NULL},
    {"subpartition_ordinal_position", DT_INT64, true, NULL},
    {"partition_method", DT_STRING, true, NULL},
    {"subpartition_method", DT_STRING, true, NULL},
    {"partition_expression", DT_STRING, true, NULL},
    {"subpartition_expression", DT_STRING, true, NULL},
    {"partition_description", DT_STRING, true, NULL},
    {"table_rows", DT_INT64, true, NULL},
    {"avg_row_length", DT_INT64, true, NULL},
    {"data_length", DT_INT64, true, NULL},
    {"max_data_length", DT_INT64, true, NULL},
    {"index_length", DT_INT64, true, NULL},
    {"data_free", DT_INT64, true, NULL},
    {"create_time", DT_TS_S, true, NULL},
    {"update_time", DT_TS_S, true, NULL},
    {"check_time", DT_TS_S, true, NULL},
    {"checksum", DT_INT64, true, NULL},
    {"partition_comment", DT_STRING, true, NULL},
    {"nodegroup", DT_STRING, true, NULL},
    {"tablespace_name", DT_STRING, true, NULL},
    {"greptime_partition_id", DT_UINT64, true, NULL},
};

static const struct vcol procedure_info_cols[] = {
    {"procedure_id", DT_STRING, false, NULL}, {"procedure_type", DT_STRING, false, NULL},
    {"start_time", DT_TS_MS, true, NULL},     {"end_time", DT_TS_MS, true, NULL},
    {"status", DT_STRING, false, NULL},       {"lock_keys", DT_STRING, true, NULL},
};

static const struct vcol process_list_cols[] = {
    {"id", DT_STRING, false, NULL},
    {"catalog", DT_STRING, false, NULL},
    {"schemas", DT_STRING, false, NULL},
    {"query", DT_STRING, false, NULL},
    {"client", DT_STRING, false, NULL},
    {"frontend", DT_STRING, false, NULL},
    {"start_timestamp", DT_TS_MS, false, NULL},
    {"elapsed_time", DT_INT64, false, "DurationMillisecond"},
};

static const struct vcol profiling_cols[] = {
    {"query_id", DT_INT64, false, NULL},
    {"seq", DT_INT64, false, NULL},
    {"state", DT_STRING, false, NULL},
    {"duration", DT_INT64, false, NULL},
    {"cpu_user", DT_INT64, false, NULL},
    {"cpu_system", DT_INT64, false, NULL},
    {"context_voluntary", DT_INT64, false, NULL},
    {"context_involuntary", DT_INT64, false, NULL},
    {"block_ops_in", DT_INT64, false, NULL},
    {"block_ops_out", DT_INT64, false, NULL},
    {"messages_sent", DT_INT64, false, NULL},
    {"messages_received", DT_INT64, false, NULL},
    {"page_faults_major", DT_INT64, false, NULL},
    {"page_faults_minor", DT_INT64, false, NULL},
    {"swaps", DT_INT64, false, NULL},
    {"source_function", DT_STRING, false, NULL},
    {"source_file", DT_STRING, false, NULL},
    {"source_line", DT_INT64, false, NULL},
};

static const struct vcol referential_constraints_cols[] = {
    {"constraint_catalog", DT_STRING, false, NULL},
    {"constraint_schema", DT_STRING, false, NULL},
    {"constraint_name", DT_STRING, false, NULL},
    {"unique_constraint_catalog", DT_STRING, false, NULL},
    {"unique_constraint_schema", DT_STRING, false, NULL},
    {"unique_constraint_name", DT_STRING, false, NULL},
    {"match_option", DT_STRING, false, NULL},
    {"update_rule", DT_STRING, false, NULL},
    {"delete_rule", DT_STRING, false, NULL},
    {"table_name", DT_STRING, false, NULL},
    {"referenced_table_name", DT_STRING, false, NULL},
};

static const struct vcol region_info_cols[] = {
    {"region_id", DT_UINT64, false, NULL},
    {"table_id", DT_UINT32, false, NULL},
    {"region_number", DT_UINT32, false, NULL},
    {"region_group", DT_UINT8, false, NULL},
    {"region_sequence", DT_UINT32, false, NULL},
    {"state", DT_STRING, false, NULL},
    {"role", DT_STRING, false, NULL},
    {"writable", DT_BOOL, false, NULL},
    {"committed_sequence", DT_UINT64, false, NULL},
    {"flushed_sequence", DT_UINT64, true, NULL},
    {"manifest_version", DT_UINT64, false, NULL},
    {"compaction_time_window", DT_STRING, true, NULL},
    {"region_options", DT_STRING, false, NULL},
    {"sst_format", DT_STRING, false, NULL},
    {"node_id", DT_UINT64, true, NULL},
};

static const struct vcol region_peers_cols[] = {
    {"table_catalog", DT_STRING, false, NULL}, {"table_schema", DT_STRING, false, NULL},
    {"table_name", DT_STRING, false, NULL},    {"region_id", DT_UINT64, false, NULL},
    {"peer_id", DT_UINT64, true, NULL},        {"peer_addr", DT_STRING, true, NULL},
    {"is_leader", DT_STRING, true, NULL},      {"status", DT_STRING, true, NULL},
    {"down_seconds", DT_INT64, true, NULL},
};

/* Strata's own (not in GreptimeDB): replica lag and reads per peer. */
static const struct vcol region_replicas_cols[] = {
    {"region_id", DT_UINT64, false, NULL},
    {"table_name", DT_STRING, false, NULL},
    {"peer_id", DT_UINT64, false, NULL},
    {"peer_addr", DT_STRING, true, NULL},
    {"role", DT_STRING, false, NULL},
    {"leader_manifest_version", DT_UINT64, true, NULL},
    {"installed_manifest_version", DT_UINT64, true, NULL},
    {"versions_behind", DT_INT64, true, NULL},
    {"ms_since_sync", DT_INT64, true, NULL},
    {"reads_served", DT_UINT64, false, NULL},
};

static const struct vcol region_statistics_cols[] = {
    {"region_id", DT_UINT64, false, NULL},
    {"table_id", DT_UINT32, false, NULL},
    {"region_number", DT_UINT32, false, NULL},
    {"region_rows", DT_UINT64, true, NULL},
    {"written_bytes_since_open", DT_UINT64, true, NULL},
    {"query_cpu_time_millis", DT_UINT64, true, NULL},
    {"query_scanned_bytes", DT_UINT64, true, NULL},
    {"disk_size", DT_UINT64, true, NULL},
    {"memtable_size", DT_UINT64, true, NULL},
    {"manifest_size", DT_UINT64, true, NULL},
    {"sst_size", DT_UINT64, true, NULL},
    {"sst_num", DT_UINT64, true, NULL},
    {"index_size", DT_UINT64, true, NULL},
    {"engine", DT_STRING, true, NULL},
    {"region_role", DT_STRING, true, NULL},
};

static const struct vcol routines_cols[] = {
    {"specific_name", DT_STRING, false, NULL},
    {"routine_catalog", DT_STRING, false, NULL},
    {"routine_schema", DT_STRING, false, NULL},
    {"routine_name", DT_STRING, false, NULL},
    {"routine_type", DT_STRING, false, NULL},
    {"data_type", DT_STRING, false, NULL},
    {"character_maximum_length", DT_INT64, false, NULL},
    {"character_octet_length", DT_INT64, false, NULL},
    {"numeric_precision", DT_INT64, false, NULL},
    {"numeric_scale", DT_INT64, false, NULL},
    {"datetime_precision", DT_INT64, false, NULL},
    {"character_set_name", DT_STRING, false, NULL},
    {"collation_name", DT_STRING, false, NULL},
    {"dtd_identifier", DT_STRING, false, NULL},
    {"routine_body", DT_STRING, false, NULL},
    {"routine_definition", DT_STRING, false, NULL},
    {"external_name", DT_STRING, false, NULL},
    {"external_language", DT_STRING, false, NULL},
    {"parameter_style", DT_STRING, false, NULL},
    {"is_deterministic", DT_STRING, false, NULL},
    {"sql_data_access", DT_STRING, false, NULL},
    {"sql_path", DT_STRING, false, NULL},
    {"security_type", DT_STRING, false, NULL},
    {"created", DT_TS_US, false, NULL},
    {"last_altered", DT_TS_US, false, NULL},
    {"sql_mode", DT_STRING, false, NULL},
    {"routine_comment", DT_STRING, false, NULL},
    {"definer", DT_STRING, false, NULL},
    {"character_set_client", DT_STRING, false, NULL},
    {"collation_connection", DT_STRING, false, NULL},
    {"database_collation", DT_STRING, false, NULL},
};

static const struct vcol schema_privileges_cols[] = {
    {"grantee", DT_STRING, false, NULL},      {"table_catalog", DT_STRING, false, NULL},
    {"table_schema", DT_STRING, false, NULL}, {"privilege_type", DT_STRING, false, NULL},
    {"is_grantable", DT_STRING, false, NULL},
};

static const struct vcol schemata_cols[] = {
    {"catalog_name", DT_STRING, false, NULL},
    {"schema_name", DT_STRING, false, NULL},
    {"default_character_set_name", DT_STRING, false, NULL},
    {"default_collation_name", DT_STRING, false, NULL},
    {"sql_path", DT_STRING, true, NULL},
    {"options", DT_STRING, true, NULL},
};

static const struct vcol session_status_cols[] = {
    {"variable_name", DT_STRING, false, NULL},
    {"variable_value", DT_STRING, false, NULL},
};

static const struct vcol ssts_index_meta_cols[] = {
    {"table_dir", DT_STRING, false, NULL},       {"index_file_path", DT_STRING, false, NULL},
    {"region_id", DT_UINT64, false, NULL},       {"table_id", DT_UINT32, false, NULL},
    {"region_number", DT_UINT32, false, NULL},   {"region_group", DT_UINT8, false, NULL},
    {"region_sequence", DT_UINT32, false, NULL}, {"file_id", DT_STRING, false, NULL},
    {"index_file_size", DT_UINT64, true, NULL},  {"index_type", DT_STRING, false, NULL},
    {"target_type", DT_STRING, false, NULL},     {"target_key", DT_STRING, false, NULL},
    {"target_json", DT_STRING, false, NULL},     {"blob_size", DT_UINT64, false, NULL},
    {"meta_json", DT_STRING, true, NULL},        {"node_id", DT_UINT64, true, NULL},
};

static const struct vcol ssts_manifest_cols[] = {
    {"table_dir", DT_STRING, false, NULL},      {"region_id", DT_UINT64, false, NULL},
    {"table_id", DT_UINT32, false, NULL},       {"region_number", DT_UINT32, false, NULL},
    {"region_group", DT_UINT8, false, NULL},    {"region_sequence", DT_UINT32, false, NULL},
    {"file_id", DT_STRING, false, NULL},        {"index_version", DT_UINT64, false, NULL},
    {"level", DT_UINT8, false, NULL},           {"file_path", DT_STRING, false, NULL},
    {"file_size", DT_UINT64, false, NULL},      {"index_file_path", DT_STRING, true, NULL},
    {"index_file_size", DT_UINT64, true, NULL}, {"num_rows", DT_UINT64, false, NULL},
    {"num_row_groups", DT_UINT64, false, NULL}, {"num_series", DT_UINT64, true, NULL},
    {"min_ts", DT_TS_NS, true, NULL},           {"max_ts", DT_TS_NS, true, NULL},
    {"sequence", DT_UINT64, true, NULL},        {"origin_region_id", DT_UINT64, false, NULL},
    {"node_id", DT_UINT64, true, NULL},         {"visible", DT_BOOL, false, NULL},
    {"primary_key_min", DT_BINARY, true, NULL}, {"primary_key_max", DT_BINARY, true, NULL},
};

static const struct vcol ssts_storage_cols[] = {
    {"file_path", DT_STRING, false, NULL},
    {"file_size", DT_UINT64, true, NULL},
    {"last_modified_ms", DT_TS_MS, true, NULL},
    {"node_id", DT_UINT64, true, NULL},
};

static const struct vcol statistics_cols[] = {
    {"table_catalog", DT_STRING, false, NULL},
    {"table_schema", DT_STRING, false, NULL},
    {"table_name", DT_STRING, false, NULL},
    {"non_unique", DT_INT64, false, NULL},
    {"index_schema", DT_STRING, false, NULL},
    {"index_name", DT_STRING, false, NULL},
    {"seq_in_index", DT_INT64, false, NULL},
    {"column_name", DT_STRING, false, NULL},
    {"collation", DT_STRING, true, NULL},
    {"cardinality", DT_INT64, true, NULL},
    {"sub_part", DT_INT64, true, NULL},
    {"packed", DT_STRING, true, NULL},
    {"nullable", DT_STRING, false, NULL},
    {"index_type", DT_STRING, false, NULL},
    {"comment", DT_STRING, false, NULL},
    {"index_comment", DT_STRING, false, NULL},
    {"is_visible", DT_STRING, false, NULL},
    {"expression", DT_STRING, true, NULL},
    {"greptime_index_type", DT_STRING, true, NULL},
};

static const struct vcol table_constraints_cols[] = {
    {"constraint_catalog", DT_STRING, false, NULL}, {"constraint_schema", DT_STRING, false, NULL},
    {"constraint_name", DT_STRING, false, NULL},    {"table_schema", DT_STRING, false, NULL},
    {"table_name", DT_STRING, false, NULL},         {"constraint_type", DT_STRING, false, NULL},
    {"enforced", DT_STRING, false, NULL},
};

static const struct vcol table_privileges_cols[] = {
    {"grantee", DT_STRING, false, NULL},        {"table_catalog", DT_STRING, false, NULL},
    {"table_schema", DT_STRING, false, NULL},   {"table_name", DT_STRING, false, NULL},
    {"privilege_type", DT_STRING, false, NULL}, {"is_grantable", DT_STRING, false, NULL},
};

static const struct vcol table_semantics_cols[] = {
    {"table_catalog", DT_STRING, false, NULL},   {"table_schema", DT_STRING, false, NULL},
    {"table_name", DT_STRING, false, NULL},      {"table_id", DT_UINT32, false, NULL},
    {"signal_type", DT_STRING, true, NULL},      {"source", DT_STRING, true, NULL},
    {"source_version", DT_STRING, true, NULL},   {"pipeline", DT_STRING, true, NULL},
    {"metadata_quality", DT_STRING, true, NULL}, {"semantic_options", DT_STRING, true, NULL},
};

static const struct vcol tables_cols[] = {
    {"table_catalog", DT_STRING, false, NULL},   {"table_schema", DT_STRING, false, NULL},
    {"table_name", DT_STRING, false, NULL},      {"table_type", DT_STRING, false, NULL},
    {"table_id", DT_UINT32, true, NULL},         {"data_length", DT_UINT64, true, NULL},
    {"max_data_length", DT_UINT64, true, NULL},  {"index_length", DT_UINT64, true, NULL},
    {"max_index_length", DT_UINT64, true, NULL}, {"avg_row_length", DT_UINT64, true, NULL},
    {"engine", DT_STRING, true, NULL},           {"version", DT_UINT64, true, NULL},
    {"row_format", DT_STRING, true, NULL},       {"table_rows", DT_UINT64, true, NULL},
    {"data_free", DT_UINT64, true, NULL},        {"auto_increment", DT_UINT64, true, NULL},
    {"create_time", DT_TS_S, true, NULL},        {"update_time", DT_TS_S, true, NULL},
    {"check_time", DT_TS_S, true, NULL},         {"table_collation", DT_STRING, true, NULL},
    {"checksum", DT_UINT64, true, NULL},         {"create_options", DT_STRING, true, NULL},
    {"table_comment", DT_STRING, true, NULL},    {"temporary", DT_STRING, true, NULL},
};

static const struct vcol views_cols[] = {
    {"table_catalog", DT_STRING, false, NULL},
    {"table_schema", DT_STRING, false, NULL},
    {"table_name", DT_STRING, false, NULL},
    {"view_definition", DT_STRING, false, NULL},
    {"check_option", DT_STRING, true, NULL},
    {"is_updatable", DT_STRING, true, NULL},
    {"definer", DT_STRING, true, NULL},
    {"security_type", DT_STRING, true, NULL},
    {"character_set_client", DT_STRING, true, NULL},
    {"collation_connection", DT_STRING, true, NULL},
};

static const struct vtable tables[] = {
    {"build_info", 8, sizeof(build_info_cols) / sizeof(build_info_cols[0]), build_info_cols},
    {"character_sets", 9, sizeof(character_sets_cols) / sizeof(character_sets_cols[0]),
     character_sets_cols},
    {"check_constraints", 12, sizeof(check_constraints_cols) / sizeof(check_constraints_cols[0]),
     check_constraints_cols},
    {"cluster_info", 31, sizeof(cluster_info_cols) / sizeof(cluster_info_cols[0]),
     cluster_info_cols},
    {"collation_character_set_applicability", 11,
     sizeof(collation_character_set_applicability_cols) /
         sizeof(collation_character_set_applicability_cols[0]),
     collation_character_set_applicability_cols},
    {"collations", 10, sizeof(collations_cols) / sizeof(collations_cols[0]), collations_cols},
    {"column_privileges", 6, sizeof(column_privileges_cols) / sizeof(column_privileges_cols[0]),
     column_privileges_cols},
    {"column_statistics", 7, sizeof(column_statistics_cols) / sizeof(column_statistics_cols[0]),
     column_statistics_cols},
    {"columns", 4, sizeof(columns_cols) / sizeof(columns_cols[0]), columns_cols},
    {"engines", 5, sizeof(engines_cols) / sizeof(engines_cols[0]), engines_cols},
    {"events", 13, sizeof(events_cols) / sizeof(events_cols[0]), events_cols},
    {"files", 14, sizeof(files_cols) / sizeof(files_cols[0]), files_cols},
    {"flow_statistics", 45, sizeof(flow_statistics_cols) / sizeof(flow_statistics_cols[0]),
     flow_statistics_cols},
    {"flows", 33, sizeof(flows_cols) / sizeof(flows_cols[0]), flows_cols},
    {"global_status", 25, sizeof(global_status_cols) / sizeof(global_status_cols[0]),
     global_status_cols},
    {"key_column_usage", 16, sizeof(key_column_usage_cols) / sizeof(key_column_usage_cols[0]),
     key_column_usage_cols},
    {"optimizer_trace", 17, sizeof(optimizer_trace_cols) / sizeof(optimizer_trace_cols[0]),
     optimizer_trace_cols},
    {"parameters", 18, sizeof(parameters_cols) / sizeof(parameters_cols[0]), parameters_cols},
    {"partitions", 28, sizeof(partitions_cols) / sizeof(partitions_cols[0]), partitions_cols},
    {"procedure_info", 34, sizeof(procedure_info_cols) / sizeof(procedure_info_cols[0]),
     procedure_info_cols},
    {"process_list", 36, sizeof(process_list_cols) / sizeof(process_list_cols[0]),
     process_list_cols},
    {"profiling", 19, sizeof(profiling_cols) / sizeof(profiling_cols[0]), profiling_cols},
    {"referential_constraints", 20,
     sizeof(referential_constraints_cols) / sizeof(referential_constraints_cols[0]),
     referential_constraints_cols},
    {"region_info", 41, sizeof(region_info_cols) / sizeof(region_info_cols[0]), region_info_cols},
    {"region_peers", 29, sizeof(region_peers_cols) / sizeof(region_peers_cols[0]),
     region_peers_cols},
    {"region_replicas", 1000, sizeof(region_replicas_cols) / sizeof(region_replicas_cols[0]),
     region_replicas_cols},
    {"region_statistics", 35, sizeof(region_statistics_cols) / sizeof(region_statistics_cols[0]),
     region_statistics_cols},
    {"routines", 21, sizeof(routines_cols) / sizeof(routines_cols[0]), routines_cols},
    {"schema_privileges", 22, sizeof(schema_privileges_cols) / sizeof(schema_privileges_cols[0]),
     schema_privileges_cols},
    {"schemata", 15, sizeof(schemata_cols) / sizeof(schemata_cols[0]), schemata_cols},
    {"session_status", 26, sizeof(session_status_cols) / sizeof(session_status_cols[0]),
     session_status_cols},
    {"ssts_index_meta", 39, sizeof(ssts_index_meta_cols) / sizeof(ssts_index_meta_cols[0]),
     ssts_index_meta_cols},
    {"ssts_manifest", 37, sizeof(ssts_manifest_cols) / sizeof(ssts_manifest_cols[0]),
     ssts_manifest_cols},
    {"ssts_storage", 38, sizeof(ssts_storage_cols) / sizeof(ssts_storage_cols[0]),
     ssts_storage_cols},
    {"statistics", 43, sizeof(statistics_cols) / sizeof(statistics_cols[0]), statistics_cols},
    {"table_constraints", 30, sizeof(table_constraints_cols) / sizeof(table_constraints_cols[0]),
     table_constraints_cols},
    {"table_privileges", 23, sizeof(table_privileges_cols) / sizeof(table_privileges_cols[0]),
     table_privileges_cols},
    {"table_semantics", 42, sizeof(table_semantics_cols) / sizeof(table_semantics_cols[0]),
     table_semantics_cols},
    {"tables", 3, sizeof(tables_cols) / sizeof(tables_cols[0]), tables_cols},
    {"views", 32, sizeof(views_cols) / sizeof(views_cols[0]), views_cols},
};

const struct vtable *infoschema_tables(uint32_t *n)
{
	*n = sizeof(tables) / sizeof(tables[0]);
	return tables;
}
