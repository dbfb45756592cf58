/*
 * mysql_server: the MySQL client/server protocol (v10 handshake, protocol
 * 4.1) in front of a query_handler. One thread per connection (netio).
 *
 * Supported: mysql_native_password and caching_sha2_password (fast path,
 * and full authentication: over TLS the client sends the password, over
 * plain TCP it is RSA-encrypted with the server's public key), whichever
 * of the two the client answers the greeting with (auth_plugin is the one
 * the greeting offers and the one an unknown plugin is switched to), or
 * no authentication at all when no users are configured; TLS (CLIENT_SSL
 * and the SSL request packet, then the handshake continues encrypted)
 * when a certificate is configured;
 * COM_QUERY (multi-statements, multi-results), COM_INIT_DB, COM_PING,
 * COM_QUIT, COM_FIELD_LIST (always an empty column list),
 * COM_RESET_CONNECTION, COM_SET_OPTION, COM_STATISTICS and the prepared
 * statement commands (PREPARE, EXECUTE with binary parameters and binary
 * result rows, SEND_LONG_DATA, RESET, CLOSE). No compression.
 */
#ifndef STRATA_SERVER_MYSQL_SERVER_H
#define STRATA_SERVER_MYSQL_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server/handler.h"

struct mysql_server;
struct netio_tls;

struct mysql_server_opts {
	int max_connections;       /* <= 0: 1024 */
	size_t max_packet;         /* largest command payload; 0: 64 MiB */
	const char *version;       /* NULL: "8.4.2" (GreptimeDB's) */
	const struct wire_user *users; /* NULL / nusers 0: any user, any password */
	size_t nusers;
	/* "mysql_native_password" (NULL) or "caching_sha2_password" */
	const char *auth_plugin;
	int idle_timeout_ms;       /* wait for the next command; <= 0: forever */
	int io_timeout_ms;         /* rest of a frame, a write, the handshake; <= 0: 30 s */
	struct netio_tls *tls;     /* NULL: no TLS (CLIENT_SSL not offered) */
	bool tls_required;         /* refuse clients that do not switch to TLS (3159) */
};

/* Start listening; *out is the running server. The handler must outlive
 * the server. */
int mysql_server_start(const char *addr, uint16_t port, const struct query_handler *h,
		       const struct mysql_server_opts *o, struct mysql_server **out);
uint16_t mysql_server_port(const struct mysql_server *s);
/* Close the listener, disconnect every client, wait for their threads. */
void mysql_server_stop(struct mysql_server *s);

#endif
