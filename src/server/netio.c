/* netio: listener, thread per connection, deadline I/O. See netio.h. */
#include "server/netio.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"

struct conn_node {
	struct netio_conn c;
	pthread_t thread;
	struct conn_node *next;
};

struct netsrv {
	int lfd;
	int wake[2]; /* self-pipe: a byte here stops the accept loop */
	uint16_t port;
	struct netio_opts opts;
	char name[32];
	netio_serve_fn fn;
	void *arg;
	pthread_t accept_thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct conn_node *live; /* threads still serving */
	struct conn_node *dead; /* finished, waiting to be joined */
	int nlive;              /* connections within the limit */
	int nrejecting;         /* over-limit answers in flight */
	bool stopping;
};

static atomic_uint next_conn_id = 1;

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

int netio_read_full(int fd, void *p, size_t n, int timeout_ms, size_t *got)
{
	size_t have = 0;
	int64_t dl = deadline_of(timeout_ms);
	int rc = ERR_OK;
	while (have < n) {
		ssize_t r = recv(fd, (char *)p + have, n - have, MSG_DONTWAIT);
		if (r > 0) {
			have += (size_t)r;
			continue;
		}
		if (r == 0) {
			rc = err_set(ERR_IO, "connection closed by peer");
			break;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			rc = err_set(ERR_IO, "recv: %s", strerror(errno));
			break;
		}
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		int left = remaining(dl);
		if (left == 0) {
			rc = err_set(ERR_RETRY, "read timed out");
			break;
		}
		int pr = poll(&pf, 1, left);
		if (pr < 0 && errno != EINTR) {
			rc = err_set(ERR_IO, "poll: %s", strerror(errno));
			break;
		}
		if (pr == 0 && remaining(dl) == 0) {
			rc = err_set(ERR_RETRY, "read timed out");
			break;
		}
	}
	if (got)
		*got = have;
	return rc;
}

int netio_write_full(int fd, const void *p, size_t n, int timeout_ms)
{
	size_t done = 0;
	int64_t dl = deadline_of(timeout_ms);
	while (done < n) {
		ssize_t w = send(fd, (const char *)p + done, n - done, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w > 0) {
			done += (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return err_set(ERR_IO, "send: %s", strerror(errno));
		struct pollfd pf = {.fd = fd, .events = POLLOUT};
		int left = remaining(dl);
		if (left == 0)
			return err_set(ERR_RETRY, "write timed out");
		int pr = poll(&pf, 1, left);
		if (pr < 0 && errno != EINTR)
			return err_set(ERR_IO, "poll: %s", strerror(errno));
		if (pr > 0 && (pf.revents & (POLLERR | POLLHUP | POLLNVAL)) && !(pf.revents & POLLOUT))
			return err_set(ERR_IO, "connection closed by peer");
	}
	return ERR_OK;
}

static void unlink_node(struct conn_node **head, struct conn_node *n)
{
	for (struct conn_node **pp = head; *pp; pp = &(*pp)->next)
		if (*pp == n) {
			*pp = n->next;
			return;
		}
}

/* Half-close, then discard what the peer still sends for a moment, so
 * that a final error message is not destroyed by a TCP reset caused by
 * unread input. */
static void lingering_close_prep(int fd)
{
	shutdown(fd, SHUT_WR);
	char sink[4096];
	size_t total = 0;
	int64_t dl = deadline_of(200);
	while (total < 256 * 1024) {
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		int left = remaining(dl);
		if (left == 0 || poll(&pf, 1, left) <= 0)
			break;
		ssize_t r = recv(fd, sink, sizeof(sink), MSG_DONTWAIT);
		if (r <= 0)
			break;
		total += (size_t)r;
	}
}

static void *conn_main(void *p)
{
	struct conn_node *n = p;
	struct netsrv *s = n->c.srv;
	s->fn(s->arg, &n->c);
	netio_tls_end(&n->c);
	lingering_close_prep(n->c.fd);
	pthread_mutex_lock(&s->mu);
	unlink_node(&s->live, n);
	if (n->c.over_limit)
		s->nrejecting--;
	else
		s->nlive--;
	/* close while holding the lock: stop never shuts down a reused fd */
	close(n->c.fd);
	n->c.fd = -1;
	n->next = s->dead;
	s->dead = n;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* Join and free finished connection threads. */
static void reap(struct netsrv *s)
{
	pthread_mutex_lock(&s->mu);
	struct conn_node *d = s->dead;
	s->dead = NULL;
	pthread_mutex_unlock(&s->mu);
	while (d) {
		struct conn_node *next = d->next;
		pthread_join(d->thread, NULL);
		mem_free(d);
		d = next;
	}
}

static void format_peer(const struct sockaddr_storage *ss, char *out, size_t n)
{
	char host[INET6_ADDRSTRLEN] = "?";
	int port = 0;
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)ss;
		inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
		port = ntohs(a->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)ss;
		inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
		port = ntohs(a->sin6_port);
	}
	snprintf(out, n, "%s:%d", host, port);
}

static void handle_accept(struct netsrv *s, int fd, const struct sockaddr_storage *ss)
{
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	struct conn_node *n = mem_calloc(1, sizeof(*n));
	if (!n) {
		close(fd);
		return;
	}
	n->c.fd = fd;
	n->c.srv = s;
	n->c.conn_id = atomic_fetch_add(&next_conn_id, 1);
	format_peer(ss, n->c.peer, sizeof(n->c.peer));
	pthread_mutex_lock(&s->mu);
	if (s->nlive >= s->opts.max_connections) {
		if (s->nrejecting >= s->opts.max_rejecting) {
			pthread_mutex_unlock(&s->mu);
			log_warn("%s: connection from %s dropped: too many connections", s->name,
				 n->c.peer);
			close(fd);
			mem_free(n);
			return;
		}
		n->c.over_limit = true;
		s->nrejecting++;
	} else {
		s->nlive++;
	}
	n->next = s->live;
	s->live = n;
	if (pthread_create(&n->thread, NULL, conn_main, n) != 0) {
		unlink_node(&s->live, n);
		if (n->c.over_limit)
			s->nrejecting--;
		else
			s->nlive--;
		pthread_mutex_unlock(&s->mu);
		log_error("%s: cannot create a connection thread", s->name);
		close(fd);
		mem_free(n);
		return;
	}
	pthread_mutex_unlock(&s->mu);
}

static void *accept_main(void *p)
{
	struct netsrv *s = p;
	for (;;) {
		struct pollfd pf[2] = {{.fd = s->lfd, .events = POLLIN}, {.fd = s->wake[0], .events = POLLIN}};
		int pr = poll(pf, 2, 500);
		reap(s);
		if (pr < 0 && errno != EINTR)
			break;
		if (pf[1].revents)
			break;
		if (pr <= 0 || !(pf[0].revents & POLLIN))
			continue;
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int fd = accept4(s->lfd, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
				clock_sleep_ms(50); /* let connections finish */
			continue;
		}
		handle_accept(s, fd, &ss);
	}
	return NULL;
}

int netsrv_start(const char *addr, uint16_t port, const struct netio_opts *o, netio_serve_fn fn,
		 void *arg, struct netsrv **out)
{
	*out = NULL;
	struct netsrv *s = mem_calloc(1, sizeof(*s));
	if (!s)
		return ERR_NOMEM;
	s->lfd = -1;
	s->wake[0] = s->wake[1] = -1;
	if (o)
		s->opts = *o;
	if (s->opts.max_connections <= 0)
		s->opts.max_connections = 1024;
	if (s->opts.max_rejecting <= 0)
		s->opts.max_rejecting = 16;
	snprintf(s->name, sizeof(s->name), "%s", s->opts.name ? s->opts.name : "server");
	s->opts.name = NULL;
	s->fn = fn;
	s->arg = arg;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	int rc = ERR_OK;

	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
	struct addrinfo *ai = NULL;
	char portstr[8];
	snprintf(portstr, sizeof(portstr), "%u", (unsigned)port);
	int gr = getaddrinfo(addr && *addr ? addr : NULL, portstr, &hints, &ai);
	if (gr != 0) {
		rc = err_set(ERR_BAD_INPUT, "%s: cannot resolve listen address %s: %s", s->name,
			     addr ? addr : "", gai_strerror(gr));
		goto fail;
	}
	rc = err_set(ERR_IO, "%s: no usable address for %s", s->name, addr ? addr : "*");
	for (struct addrinfo *a = ai; a; a = a->ai_next) {
		int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
		if (fd < 0)
			continue;
		int one = 1;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, a->ai_addr, a->ai_addrlen) == 0 && listen(fd, 128) == 0) {
			s->lfd = fd;
			rc = ERR_OK;
			break;
		}
		rc = err_set(ERR_IO, "%s: cannot listen on %s:%u: %s", s->name,
			     addr && *addr ? addr : "*", (unsigned)port, strerror(errno));
		close(fd);
	}
	freeaddrinfo(ai);
	if (rc)
		goto fail;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	if (getsockname(s->lfd, (struct sockaddr *)&ss, &sl) == 0)
		s->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
							  : ((struct sockaddr_in *)&ss)->sin_port);
	if (pipe2(s->wake, O_CLOEXEC) != 0) {
		rc = err_set(ERR_IO, "pipe: %s", strerror(errno));
		goto fail;
	}
	if (pthread_create(&s->accept_thread, NULL, accept_main, s) != 0) {
		rc = err_set(ERR_INTERNAL, "%s: cannot create the accept thread", s->name);
		goto fail;
	}
	*out = s;
	return ERR_OK;
fail:
	if (s->lfd >= 0)
		close(s->lfd);
	if (s->wake[0] >= 0) {
		close(s->wake[0]);
		close(s->wake[1]);
	}
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	mem_free(s);
	return rc;
}

uint16_t netsrv_port(const struct netsrv *s) { return s->port; }

int netsrv_live(struct netsrv *s)
{
	pthread_mutex_lock(&s->mu);
	int n = s->nlive;
	pthread_mutex_unlock(&s->mu);
	return n;
}

void netsrv_stop(struct netsrv *s)
{
	if (!s)
		return;
	char b = 1;
	ssize_t w;
	do
		w = write(s->wake[1], &b, 1);
	while (w < 0 && errno == EINTR);
	pthread_join(s->accept_thread, NULL);
	close(s->lfd);
	pthread_mutex_lock(&s->mu);
	s->stopping = true;
	while (s->live) {
		for (struct conn_node *n = s->live; n; n = n->next)
			shutdown(n->c.fd, SHUT_RDWR);
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 100 * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&s->cv, &s->mu, &ts);
	}
	pthread_mutex_unlock(&s->mu);
	reap(s);
	close(s->wake[0]);
	close(s->wake[1]);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	mem_free(s);
}
