/*
 * netio: TCP listening sockets with one thread per connection, a cap on
 * live connections, clean shutdown, and read/write helpers with deadlines.
 *
 * Lifecycle of a connection thread:
 *
 *     accepted --> live (serve callback runs) --> finished (fd closed,
 *                                                 thread joined by the
 *                                                 accept loop or by stop)
 *
 * When `max_connections` connections are live, a new one is still handed
 * to the serve callback, with `over_limit` set, so the protocol can say
 * "Too many connections" in its own words; at most `max_rejecting` such
 * answers run at once and beyond that the socket is closed at once.
 *
 * netsrv_stop closes the listener, shuts down every live socket (which
 * wakes threads blocked in I/O), waits for every thread and frees all.
 * Serve callbacks must therefore treat any I/O error as "close".
 *
 * TLS (netio_tls.c): a connection starts in plain TCP; a protocol that
 * negotiates encryption (PostgreSQL SSLRequest, MySQL CLIENT_SSL) calls
 * netio_start_tls once, and from then on netio_recv / netio_send go
 * through OpenSSL on the same socket (switched to non-blocking mode). The
 * SSL object belongs to the connection and is freed by netio after the
 * serve callback returns. Protocol code uses netio_recv / netio_send
 * everywhere so that it never needs to know which one is in use.
 */
#ifndef STRATA_SERVER_NETIO_H
#define STRATA_SERVER_NETIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct netsrv;
struct ssl_st;
struct netio_tls;

struct netio_conn {
	int fd;
	uint32_t conn_id;   /* process-wide unique, starts at 1 */
	bool over_limit;
	char peer[64];      /* "127.0.0.1:54321" */
	struct netsrv *srv;
	struct ssl_st *ssl; /* non-NULL once netio_start_tls succeeded */
};

typedef void (*netio_serve_fn)(void *arg, struct netio_conn *c);

struct netio_opts {
	int max_connections; /* <= 0: 1024 */
	int max_rejecting;   /* <= 0: 16 */
	const char *name;    /* for log lines: "mysql", "postgres" */
};

/* Listen on addr:port (addr NULL or "" = all interfaces; port 0 = any free
 * port, see netsrv_port) and serve each connection with fn(arg, conn) on
 * its own thread. */
int netsrv_start(const char *addr, uint16_t port, const struct netio_opts *o, netio_serve_fn fn,
		 void *arg, struct netsrv **out);
uint16_t netsrv_port(const struct netsrv *s);
int netsrv_live(struct netsrv *s);
void netsrv_stop(struct netsrv *s);

/* Read exactly n bytes before the deadline (timeout_ms < 0: none).
 * Returns ERR_OK; ERR_IO when the peer closed or the socket failed;
 * ERR_RETRY when the deadline passed. *got (optional) is the number of
 * bytes read, so callers can tell a clean close (0) from a truncated
 * frame. */
int netio_read_full(int fd, void *p, size_t n, int timeout_ms, size_t *got);
/* Write all n bytes before the deadline. ERR_OK, ERR_IO or ERR_RETRY. */
int netio_write_full(int fd, const void *p, size_t n, int timeout_ms);

/* ---- connection I/O, plain or TLS (netio_tls.c) ---- */

/* netio_read_full / netio_write_full on the connection, through TLS once
 * it is started. Same results (ERR_OK, ERR_IO, ERR_RETRY). */
int netio_recv(struct netio_conn *c, void *p, size_t n, int timeout_ms, size_t *got);
int netio_send(struct netio_conn *c, const void *p, size_t n, int timeout_ms);

/* A server-side TLS configuration: certificate chain and private key (PEM
 * files), TLS 1.2 or newer. Shared by all connections of all servers;
 * free it after the servers stopped. ERR_BAD_INPUT with OpenSSL's reason
 * when a file cannot be loaded or the key does not match. */
int netio_tls_open(const char *cert_path, const char *key_path, struct netio_tls **out);
void netio_tls_free(struct netio_tls *t);

/* Run the server side of the TLS handshake on c (nothing may be buffered
 * from the client beyond the protocol's upgrade request). ERR_OK, or
 * ERR_IO / ERR_RETRY / ERR_PROTOCOL (handshake failure, message set); on
 * failure the connection must be closed. */
int netio_start_tls(struct netio_conn *c, struct netio_tls *t, int timeout_ms);
bool netio_is_tls(const struct netio_conn *c);
/* Called by netio after the serve callback: close-notify and free. */
void netio_tls_end(struct netio_conn *c);

#endif
