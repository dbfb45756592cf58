/*
 * netio_tls: TLS for the wire-protocol servers with OpenSSL, and the
 * connection-level read/write that picks plain TCP or TLS. See netio.h.
 *
 * Invariants:
 *  - A connection's SSL object exists only after netio_start_tls; from
 *    then on every byte of that connection goes through it.
 *  - The socket is non-blocking while TLS is on; every wait is a poll()
 *    bounded by the caller's deadline, so a stalled peer costs at most the
 *    I/O timeout and netsrv_stop (shutdown of the socket) wakes it at once.
 *  - OpenSSL's per-thread error queue is cleared after every failure so a
 *    later, unrelated call does not report a stale error.
 */
#include "server/netio.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/mem.h"

struct netio_tls {
	SSL_CTX *ctx;
};

static int64_t deadline_of(int timeout_ms)
{
	return timeout_ms < 0 ? -1 : clock_mono_ns() / 1000000 + timeout_ms;
}

static int remaining(int64_t deadline)
{
	if (deadline < 0)
		return -1;
	int64_t left = deadline - clock_mono_ns() / 1000000;
	return left <= 0 ? 0 : (int)(left > 1000000 ? 1000000 : left);
}

/* The first OpenSSL error of this thread as text (queue cleared). */
static const char *ssl_reason(char *buf, size_t n)
{
	unsigned long e = ERR_get_error();
	if (e)
		ERR_error_string_n(e, buf, n);
	else
		snprintf(buf, n, "%s", errno ? strerror(errno) : "unknown error");
	ERR_clear_error();
	return buf;
}

int netio_tls_open(const char *cert_path, const char *key_path, struct netio_tls **out)
{
	*out = NULL;
	char why[256];
	int rc = ERR_OK;
	if (!cert_path || !*cert_path || !key_path || !*key_path)
		return err_set(ERR_BAD_INPUT, "TLS needs both a certificate and a key file");
	struct netio_tls *t = mem_calloc(1, sizeof(*t));
	if (!t)
		return ERR_NOMEM;
	t->ctx = SSL_CTX_new(TLS_server_method());
	if (!t->ctx) {
		rc = err_set(ERR_INTERNAL, "SSL_CTX_new: %s", ssl_reason(why, sizeof(why)));
		goto fail;
	}
	SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION);
	SSL_CTX_set_mode(t->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (SSL_CTX_use_certificate_chain_file(t->ctx, cert_path) != 1) {
		rc = err_set(ERR_BAD_INPUT, "TLS certificate %s: %s", cert_path,
			     ssl_reason(why, sizeof(why)));
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(t->ctx, key_path, SSL_FILETYPE_PEM) != 1) {
		rc = err_set(ERR_BAD_INPUT, "TLS key %s: %s", key_path, ssl_reason(why, sizeof(why)));
		goto fail;
	}
	if (SSL_CTX_check_private_key(t->ctx) != 1) {
		rc = err_set(ERR_BAD_INPUT, "TLS key %s does not match certificate %s: %s", key_path,
			     cert_path, ssl_reason(why, sizeof(why)));
		goto fail;
	}
	*out = t;
	return ERR_OK;
fail:
	netio_tls_free(t);
	return rc;
}

void netio_tls_free(struct netio_tls *t)
{
	if (!t)
		return;
	SSL_CTX_free(t->ctx);
	mem_free(t);
}

bool netio_is_tls(const struct netio_conn *c) { return c->ssl != NULL; }

/* Wait until OpenSSL's want (read or write) can make progress. */
static int wait_for(struct netio_conn *c, int want, int64_t dl)
{
	struct pollfd pf = {.fd = c->fd, .events = want == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN};
	for (;;) {
		int left = remaining(dl);
		if (left == 0)
			return err_set(ERR_RETRY, "TLS I/O timed out");
		int pr = poll(&pf, 1, left);
		if (pr > 0)
			return ERR_OK;
		if (pr < 0 && errno != EINTR)
			return err_set(ERR_IO, "poll: %s", strerror(errno));
	}
}

/* Map a failed SSL call to: wait and retry (ERR_OK), or an error. */
static int after_failure(struct netio_conn *c, int r, int64_t dl)
{
	char why[256];
	int e = SSL_get_error(c->ssl, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
		return wait_for(c, e, dl);
	if (e == SSL_ERROR_ZERO_RETURN) {
		ERR_clear_error();
		return err_set(ERR_IO, "connection closed by peer");
	}
	if (e == SSL_ERROR_SYSCALL && errno == EINTR)
		return ERR_OK;
	return err_set(ERR_IO, "TLS: %s", ssl_reason(why, sizeof(why)));
}

int netio_start_tls(struct netio_conn *c, struct netio_tls *t, int timeout_ms)
{
	char why[256];
	if (c->ssl)
		return err_set(ERR_PROTOCOL, "TLS already started");
	int fl = fcntl(c->fd, F_GETFL);
	if (fl < 0 || fcntl(c->fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return err_set(ERR_IO, "fcntl: %s", strerror(errno));
	SSL *ssl = SSL_new(t->ctx);
	if (!ssl || SSL_set_fd(ssl, c->fd) != 1) {
		SSL_free(ssl);
		return err_set(ERR_INTERNAL, "SSL_new: %s", ssl_reason(why, sizeof(why)));
	}
	c->ssl = ssl;
	int64_t dl = deadline_of(timeout_ms);
	for (;;) {
		int r = SSL_accept(ssl);
		if (r == 1)
			return ERR_OK;
		int e = SSL_get_error(ssl, r);
		int rc;
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
			rc = wait_for(c, e, dl);
		else if (e == SSL_ERROR_SYSCALL && errno == EINTR)
			rc = ERR_OK;
		else
			rc = err_set(ERR_PROTOCOL, "TLS handshake failed: %s",
				     ssl_reason(why, sizeof(why)));
		if (rc) {
			/* no close-notify on a half-made session */
			SSL_free(ssl);
			c->ssl = NULL;
			return rc;
		}
	}
}

void netio_tls_end(struct netio_conn *c)
{
	if (!c->ssl)
		return;
	/* one non-blocking close-notify; the peer may already be gone */
	if (SSL_is_init_finished(c->ssl))
		SSL_shutdown(c->ssl);
	ERR_clear_error();
	SSL_free(c->ssl);
	c->ssl = NULL;
}

int netio_recv(struct netio_conn *c, void *p, size_t n, int timeout_ms, size_t *got)
{
	if (!c->ssl)
		return netio_read_full(c->fd, p, n, timeout_ms, got);
	size_t have = 0;
	int64_t dl = deadline_of(timeout_ms);
	int rc = ERR_OK;
	while (have < n) {
		size_t want = n - have > (1u << 30) ? (1u << 30) : n - have;
		int r = SSL_read(c->ssl, (char *)p + have, (int)want);
		if (r > 0) {
			have += (size_t)r;
			continue;
		}
		if ((rc = after_failure(c, r, dl)))
			break;
	}
	if (got)
		*got = have;
	return rc;
}

int netio_send(struct netio_conn *c, const void *p, size_t n, int timeout_ms)
{
	if (!c->ssl)
		return netio_write_full(c->fd, p, n, timeout_ms);
	size_t done = 0;
	int64_t dl = deadline_of(timeout_ms);
	while (done < n) {
		size_t want = n - done > (1u << 30) ? (1u << 30) : n - done;
		int r = SSL_write(c->ssl, (const char *)p + done, (int)want);
		if (r > 0) {
			done += (size_t)r;
			continue;
		}
		int rc = after_failure(c, r, dl);
		if (rc)
			return rc;
	}
	return ERR_OK;
}
