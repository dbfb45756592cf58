/* wire_config: auth / TLS / limit options of the client-facing servers. See wire_config.h. */
#include "server/wire_config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/log.h"
#include "server/http_server.h"
#include "server/mysql_server.h"
#include "server/netio.h"
#include "server/pg_server.h"
#include "server/user_provider.h"

#define DEFAULT_MAX_INSERT_ROWS 1000000u

void wire_config_init(struct wire_config *w)
{
	memset(w, 0, sizeof(*w));
	w->max_connections = 1024;
	w->mysql_max_packet = 64u << 20;
	w->pg_max_message = 64u << 20;
	w->http_max_body = 64u << 20;
	w->limits.lim.max_insert_rows = DEFAULT_MAX_INSERT_ROWS;
}

/* "1048576", "64K", "16M", "1G" -> bytes within [lo, hi]. */
static int parse_u64(const char *flag, const char *v, bool suffix, uint64_t lo, uint64_t hi,
		     uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long x = strtoull(v, &end, 10);
	uint64_t mult = 1;
	if (suffix && *end && !end[1]) {
		switch (*end) {
		case 'k': case 'K': mult = 1u << 10; end++; break;
		case 'm': case 'M': mult = 1u << 20; end++; break;
		case 'g': case 'G': mult = 1u << 30; end++; break;
		default: break;
		}
	}
	if (end == v || *end || errno || *v == '-' || x > hi / mult || x * mult < lo)
		return err_set(ERR_BAD_INPUT, "%s: invalid value %s (%llu..%llu%s)", flag, v,
			       (unsigned long long)lo, (unsigned long long)hi,
			       suffix ? " bytes, K/M/G suffix allowed" : "");
	*out = x * mult;
	return ERR_OK;
}

int wire_config_flag(struct wire_config *w, const char *flag, const char *v, bool *matched)
{
	*matched = true;
	uint64_t x = 0;
	int rc = ERR_OK;
	if (!strcmp(flag, "--user-provider"))
		w->user_provider = v;
	else if (!strcmp(flag, "--mysql-auth-plugin"))
		w->mysql_auth_plugin = v;
	else if (!strcmp(flag, "--pg-auth-method"))
		w->pg_auth_method = v;
	else if (!strcmp(flag, "--tls-mode"))
		w->tls_mode = v;
	else if (!strcmp(flag, "--tls-cert-path"))
		w->tls_cert_path = v;
	else if (!strcmp(flag, "--tls-key-path"))
		w->tls_key_path = v;
	else if (!strcmp(flag, "--max-connections")) {
		if (!(rc = parse_u64(flag, v, false, 1, 100000, &x)))
			w->max_connections = (int)x;
	} else if (!strcmp(flag, "--mysql-max-packet")) {
		if (!(rc = parse_u64(flag, v, true, 1024, 1u << 30, &x)))
			w->mysql_max_packet = (size_t)x;
	} else if (!strcmp(flag, "--pg-max-message")) {
		if (!(rc = parse_u64(flag, v, true, 1024, 1u << 30, &x)))
			w->pg_max_message = (size_t)x;
	} else if (!strcmp(flag, "--http-max-body")) {
		if (!(rc = parse_u64(flag, v, true, 1024, 1u << 30, &x)))
			w->http_max_body = (size_t)x;
	} else if (!strcmp(flag, "--max-insert-rows")) {
		if (!(rc = parse_u64(flag, v, false, 0, UINT32_MAX, &x)))
			w->limits.lim.max_insert_rows = x;
	} else if (!strcmp(flag, "--query-memory-limit")) {
		if (!(rc = parse_u64(flag, v, true, 0, 1ull << 40, &x)))
			w->limits.lim.query_memory_limit = x;
	} else if (!strcmp(flag, "--statement-timeout-ms")) {
		if (!(rc = parse_u64(flag, v, false, 0, 86400000ull * 365, &x)))
			w->limits.lim.statement_timeout_ms = (int64_t)x;
	} else
		*matched = false;
	return rc;
}

const char *wire_config_usage(void)
{
	return "  [--user-provider static_user_provider:file:PATH]\n"
	       "  [--mysql-auth-plugin mysql_native_password|caching_sha2_password]\n"
	       "  [--pg-auth-method scram-sha-256|md5|password]\n"
	       "  [--tls-mode disable|prefer|require] [--tls-cert-path PEM] [--tls-key-path PEM]\n"
	       "  [--max-connections N] [--mysql-max-packet BYTES] [--pg-max-message BYTES]\n"
	       "  [--http-max-body BYTES] [--max-insert-rows N] [--statement-timeout-ms MS]\n"
	       "  [--query-memory-limit BYTES]\n";
}

int wire_config_open(struct wire_config *w)
{
	int rc;
	if (w->user_provider && (rc = user_provider_load(w->user_provider, &w->users, &w->nusers)))
		return rc;
	if (w->mysql_auth_plugin && strcmp(w->mysql_auth_plugin, "mysql_native_password") &&
	    strcmp(w->mysql_auth_plugin, "caching_sha2_password"))
		return err_set(ERR_BAD_INPUT, "--mysql-auth-plugin: unknown plugin %s",
			       w->mysql_auth_plugin);
	if (w->pg_auth_method && strcmp(w->pg_auth_method, "scram-sha-256") &&
	    strcmp(w->pg_auth_method, "md5") && strcmp(w->pg_auth_method, "password"))
		return err_set(ERR_BAD_INPUT, "--pg-auth-method: unknown method %s", w->pg_auth_method);
	const char *mode = w->tls_mode;
	bool have_cert = w->tls_cert_path || w->tls_key_path;
	if (!mode)
		mode = have_cert ? "prefer" : "disable";
	if (!strcmp(mode, "disable")) {
		if (have_cert)
			log_warn("--tls-mode disable: ignoring the TLS certificate");
		return ERR_OK;
	}
	if (strcmp(mode, "prefer") && strcmp(mode, "require"))
		return err_set(ERR_BAD_INPUT, "--tls-mode: expected disable, prefer or require, not %s",
			       mode);
	if (!w->tls_cert_path || !w->tls_key_path)
		return err_set(ERR_BAD_INPUT, "--tls-mode %s needs --tls-cert-path and --tls-key-path",
			       mode);
	if ((rc = netio_tls_open(w->tls_cert_path, w->tls_key_path, &w->tls)))
		return rc;
	w->tls_required = !strcmp(mode, "require");
	return ERR_OK;
}

struct query_handler wire_config_handler(struct wire_config *w, struct query_handler inner)
{
	w->limits.inner = inner;
	return limits_wrap(&w->limits);
}

void wire_config_mysql(const struct wire_config *w, struct mysql_server_opts *o)
{
	o->max_connections = w->max_connections;
	o->max_packet = w->mysql_max_packet;
	o->users = w->users;
	o->nusers = w->nusers;
	o->auth_plugin = w->mysql_auth_plugin;
	o->tls = w->tls;
	o->tls_required = w->tls_required;
}

void wire_config_pg(const struct wire_config *w, struct pg_server_opts *o)
{
	o->max_connections = w->max_connections;
	o->max_message = w->pg_max_message;
	o->users = w->users;
	o->nusers = w->nusers;
	o->auth_method = w->pg_auth_method;
	o->tls = w->tls;
	o->tls_required = w->tls_required;
}

void wire_config_http(const struct wire_config *w, struct http_options *o)
{
	o->max_connections = (unsigned)w->max_connections;
	o->max_body_bytes = w->http_max_body;
	o->users = w->users;
	o->nusers = w->nusers;
}

void wire_config_close(struct wire_config *w)
{
	user_provider_free(w->users, w->nusers);
	w->users = NULL;
	w->nusers = 0;
	netio_tls_free(w->tls);
	w->tls = NULL;
}
