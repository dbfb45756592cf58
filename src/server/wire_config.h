/*
 * wire_config: the command-line options of the client-facing servers
 * (authentication, TLS, limits) shared by every process that runs them
 * (`strata standalone start`, `strata frontend start`), and what they
 * turn into: users, a TLS context, the limits wrapper and the per-server
 * option structs.
 *
 * Flags (GreptimeDB's names where it has them):
 *   --user-provider static_user_provider:file:PATH   users, "user=password"
 *                        per line (see user_provider.h); absent = no auth
 *   --mysql-auth-plugin mysql_native_password|caching_sha2_password
 *                        the plugin the greeting offers (both are accepted)
 *   --pg-auth-method scram-sha-256|md5|password     (default scram-sha-256)
 *   --tls-mode disable|prefer|require  (default: prefer with a certificate)
 *   --tls-cert-path PATH, --tls-key-path PATH        PEM files
 *   --max-connections N          per protocol (default 1024)
 *   --mysql-max-packet BYTES     max_allowed_packet (default 64 MiB)
 *   --pg-max-message BYTES       largest PostgreSQL message (default 64 MiB)
 *   --http-max-body BYTES        largest HTTP body (default 64 MiB)
 *   --max-insert-rows N          rows per INSERT ... VALUES (default 1000000, 0 = no limit)
 *   --statement-timeout-ms N     default statement timeout (default 0 = none)
 *   --query-memory-limit BYTES   rows a statement's engine may hold (default 0 = none)
 * BYTES accept a K/M/G suffix (powers of 1024).
 *
 * Lifecycle: zero-initialise with wire_config_init, feed flags with
 * wire_config_flag, then wire_config_open (loads the users file and the
 * certificate: errors stop the process before it listens), apply to each
 * server's options, and wire_config_close after every server stopped.
 */
#ifndef STRATA_SERVER_WIRE_CONFIG_H
#define STRATA_SERVER_WIRE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server/handler.h"
#include "server/limits.h"

struct mysql_server_opts;
struct pg_server_opts;
struct http_options;
struct netio_tls;

struct wire_config {
	const char *user_provider, *mysql_auth_plugin, *pg_auth_method;
	const char *tls_mode, *tls_cert_path, *tls_key_path;
	int max_connections;
	size_t mysql_max_packet, pg_max_message, http_max_body;
	struct limits_handler limits;
	/* after wire_config_open */
	struct wire_user *users;
	size_t nusers;
	struct netio_tls *tls;
	bool tls_required;
};

void wire_config_init(struct wire_config *w);
/* If `flag` is one of ours, take `value` (ERR_BAD_INPUT with a message when
 * it is invalid) and set *matched. */
int wire_config_flag(struct wire_config *w, const char *flag, const char *value, bool *matched);
/* One line per flag for a usage text. */
const char *wire_config_usage(void);
int wire_config_open(struct wire_config *w);
/* The engine's handler behind the limits wrapper (w must outlive servers). */
struct query_handler wire_config_handler(struct wire_config *w, struct query_handler inner);
void wire_config_mysql(const struct wire_config *w, struct mysql_server_opts *o);
void wire_config_pg(const struct wire_config *w, struct pg_server_opts *o);
void wire_config_http(const struct wire_config *w, struct http_options *o);
void wire_config_close(struct wire_config *w);

#endif
