/*
 * pg_server: the PostgreSQL frontend/backend protocol 3.0 in front of a
 * query_handler. One thread per connection (netio).
 *
 * Supported: SSLRequest (answered 'S' and TLS from there on when a
 * certificate is configured, else 'N'), GSSENCRequest (answered 'N'),
 * StartupMessage
 * (database -> schema, "catalog-schema" also accepted), CancelRequest,
 * authentication trust / cleartext password / md5 / SCRAM-SHA-256, the
 * simple query protocol (multi statements) and the extended protocol
 * (Parse, Bind with text and binary parameters, Describe, Execute with row
 * limits and PortalSuspended, Close, Sync, Flush), text and binary result
 * formats. BEGIN / START TRANSACTION / COMMIT / END / ROLLBACK / ABORT are
 * answered by the server itself (no-ops that track the transaction status
 * byte of ReadyForQuery), as are the session settings drivers send at
 * connect (SET extra_float_digits, application_name, client_encoding,
 * DateStyle, IntervalStyle, statement_timeout, SET SESSION
 * CHARACTERISTICS). No COPY.
 */
#ifndef STRATA_SERVER_PG_SERVER_H
#define STRATA_SERVER_PG_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server/handler.h"

struct pg_server;
struct netio_tls;

struct pg_server_opts {
	int max_connections;        /* <= 0: 1024 */
	size_t max_message;         /* largest frontend message; 0: 64 MiB */
	const char *server_version; /* NULL: "16.3-greptimedb-strata" */
	const struct wire_user *users; /* NULL / nusers 0: trust */
	size_t nusers;
	/* with users: "scram-sha-256" (NULL), "md5" or "password" */
	const char *auth_method;
	int idle_timeout_ms;        /* wait for the next message; <= 0: forever */
	int io_timeout_ms;          /* rest of a message, a write, startup; <= 0: 30 s */
	struct netio_tls *tls;      /* NULL: SSLRequest answered 'N' */
	bool tls_required;          /* refuse a startup without TLS (FATAL 28000) */
};

int pg_server_start(const char *addr, uint16_t port, const struct query_handler *h,
		    const struct pg_server_opts *o, struct pg_server **out);
uint16_t pg_server_port(const struct pg_server *s);
void pg_server_stop(struct pg_server *s);

#endif
