/*
 * config: the one configuration of every Strata process (metasrv,
 * datanode, cluster, standalone): a small TOML file plus command-line flags
 * that override it, plus the AWS_* environment for S3 credentials.
 *
 * File format (a TOML subset):
 *     # comment                  (also after a value)
 *     [section] / [section.sub]  tables; each at most once
 *     key = "string"             basic string: escapes \" \\ \n \t \r
 *     key = 'literal'            no escapes
 *     key = 123 / -5 / 1_000     integer (64-bit)
 *     key = true / false
 *     key = ["a", "b"]           array of strings (one line); kept joined by ','
 * Errors name the source and line: "strata.toml:7: unknown key 'bukket'
 * in [storage]". Unknown sections and keys are errors, so typos never pass
 * silently.
 *
 * Sections and keys (struct strata_config; flags in brackets):
 *   [storage]        type "fs"|"s3" [--store-type], root [--store-root,
 *                    --s3-root]
 *                    (fs: a folder; s3: a key prefix in the bucket),
 *                    bucket [--s3-bucket], endpoint [--s3-endpoint],
 *                    region [--s3-region], access_key_id
 *                    [--s3-access-key-id], secret_access_key
 *                    [--s3-secret-access-key]; the s3 credentials, region
 *                    and endpoint fall back to AWS_ACCESS_KEY_ID /
 *                    AWS_SECRET_ACCESS_KEY / AWS_REGION / AWS_ENDPOINT_URL
 *                    (read by the s3 backend at open)
 *   [storage.cache]  path [--cache-path], size "1GiB" [--cache-size]
 *                    (no path = no cache)
 *   [metadata]       type "sqlite"|"etcd" [--metadata], endpoints
 *                    [--etcd-endpoints], prefix [--etcd-prefix],
 *                    lease_ttl_ms [--election-ttl-ms] (metasrv election)
 *   [heartbeat]      interval_ms [--heartbeat-interval-ms]
 */
#ifndef STRATA_CONFIG_CONFIG_H
#define STRATA_CONFIG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct objstore;
struct kv;

/* Every string is NULL when not given (owned; freed by config_free). */
struct strata_config {
	struct {
		char *type; /* "fs" | "s3"; NULL = fs */
		char *root;
		char *bucket;
		char *endpoint;
		char *region;
		char *access_key_id;
		char *secret_access_key;
		char *cache_path;
		uint64_t cache_size; /* bytes; 0 = default (1 GiB) when a path is set */
	} storage;
	struct {
		char *type; /* "sqlite" | "etcd"; NULL = sqlite */
		char *endpoints;
		char *prefix;
		int64_t lease_ttl_ms; /* 0 = election default */
	} metadata;
	int64_t heartbeat_interval_ms; /* 0 = the process default */
};

void config_init(struct strata_config *c);
void config_free(struct strata_config *c);

/* Parse `text` (len bytes) into c, over what c already holds. `source`
 * names it in errors. ERR_BAD_INPUT "source:line: ..." on any error (c may
 * then hold part of the file; free it). */
int config_parse(struct strata_config *c, const char *text, size_t len, const char *source);
/* Read and parse a file (at most 1 MiB). */
int config_load_file(struct strata_config *c, const char *path);

/* A command-line override. *used is false when `flag` is not a config
 * flag (the caller handles it); else the value is applied (ERR_BAD_INPUT
 * for a bad value, naming the flag). */
int config_flag(struct strata_config *c, const char *flag, const char *value, bool *used);
bool config_is_flag(const char *flag);

/* "1GiB", "512MiB", "64KB", "1000": bytes. */
int config_parse_size(const char *s, uint64_t *out);

/* Check the values that exist together (type names, s3 needs a bucket,
 * etcd needs endpoints). */
int config_validate(const struct strata_config *c);

/* ---- opening what the config names (config_open.c) ----------------------- */

/* The object store: fs at storage.root (else default_fs_root), or s3
 * (checked at once: a wrong endpoint, bucket or secret fails here with the
 * server's words), wrapped in the SST cache when storage.cache_path is
 * set. */
int config_open_objstore(const struct strata_config *c, const char *default_fs_root,
                         struct objstore **out);
/* The metadata store: sqlite at sqlite_path or etcd (probed once). */
int config_open_kv(const struct strata_config *c, const char *sqlite_path, struct kv **out);
bool config_uses_etcd(const struct strata_config *c);
/* The etcd options of [metadata] (pointing into c), the same for the KV
 * store and the metasrv election; prefix defaults to CONFIG_ETCD_PREFIX. */
#define CONFIG_ETCD_PREFIX "/strata"
struct kv_etcd_options;
void config_etcd_options(const struct strata_config *c, struct kv_etcd_options *o);

#endif
