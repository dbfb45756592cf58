/*
 * tcp_proxy: a TCP relay whose link state a test controls, for network
 * fault tests between Strata processes.
 *
 *   tcp_proxy LISTEN_HOST:PORT TARGET_HOST:PORT STATE_FILE
 *
 * Every accepted connection is relayed to TARGET (one thread per
 * connection). STATE_FILE holds one word, re-read every 20 ms (a missing
 * file means "up"):
 *   up    relay bytes both ways;
 *   drop  close every relayed connection at once and close new ones right
 *         after accepting them (peers see resets / EOF: a crashed link);
 *   hang  keep every socket open but relay nothing, and accept new
 *         connections without connecting them (peers see silence: a
 *         partition that drops packets; only their own timeouts help).
 * Going back to "up" relays again on connections that survived a hang;
 * connections closed by "drop" stay closed.
 *
 * Prints "listening HOST:PORT" once ready. Runs until killed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum link_state { LINK_UP, LINK_DROP, LINK_HANG };

static _Atomic int state = LINK_UP;
static atomic_uint drop_generation; /* bumped on every transition into drop */
static struct sockaddr_in target;
static const char *state_file;

static int parse_addr(const char *s, struct sockaddr_in *out)
{
	char host[128];
	const char *colon = strrchr(s, ':');
	if (!colon || (size_t)(colon - s) >= sizeof(host))
		return -1;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = 0;
	memset(out, 0, sizeof(*out));
	out->sin_family = AF_INET;
	out->sin_port = htons((uint16_t)atoi(colon + 1));
	return inet_pton(AF_INET, host, &out->sin_addr) == 1 ? 0 : -1;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static void *watch_state(void *arg)
{
	(void)arg;
	for (;;) {
		int st = LINK_UP;
		FILE *f = fopen(state_file, "r");
		if (f) {
			char w[16] = "";
			if (fscanf(f, "%15s", w) == 1) {
				if (!strcmp(w, "drop"))
					st = LINK_DROP;
				else if (!strcmp(w, "hang"))
					st = LINK_HANG;
			}
			fclose(f);
		}
		int old = atomic_exchange(&state, st);
		if (st == LINK_DROP && old != LINK_DROP)
			atomic_fetch_add(&drop_generation, 1);
		sleep_ms(20);
	}
	return NULL;
}

struct relay {
	int client;
	unsigned generation;
};

/* Relay one direction's pending bytes; -1 when that side closed. */
static int pump(int from, int to)
{
	char buf[65536];
	ssize_t n = recv(from, buf, sizeof(buf), MSG_DONTWAIT);
	if (n == 0)
		return -1;
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
	for (ssize_t off = 0; off < n;) {
		ssize_t w = send(to, buf + off, (size_t)(n - off), MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				sleep_ms(1);
				continue;
			}
			return -1;
		}
		off += w;
	}
	return 0;
}

static void *relay_main(void *arg)
{
	struct relay *r = arg;
	int server = -1;
	/* a connection accepted during a hang is connected once the link is up */
	while (atomic_load(&state) == LINK_HANG)
		sleep_ms(10);
	if (atomic_load(&state) == LINK_UP && atomic_load(&drop_generation) == r->generation) {
		server = socket(AF_INET, SOCK_STREAM, 0);
		if (server >= 0 && connect(server, (struct sockaddr *)&target, sizeof(target))) {
			close(server);
			server = -1;
		}
	}
	if (server >= 0) {
		int one = 1;
		setsockopt(server, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		setsockopt(r->client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	while (server >= 0) {
		if (atomic_load(&drop_generation) != r->generation)
			break;
		if (atomic_load(&state) == LINK_HANG) {
			sleep_ms(10);
			continue;
		}
		struct pollfd p[2] = {{r->client, POLLIN, 0}, {server, POLLIN, 0}};
		int n = poll(p, 2, 20);
		if (n < 0 && errno != EINTR)
			break;
		if (n <= 0)
			continue;
		if (atomic_load(&state) != LINK_UP)
			continue; /* re-check: a hang or drop began while polling */
		if ((p[0].revents & (POLLIN | POLLHUP | POLLERR)) && pump(r->client, server))
			break;
		if ((p[1].revents & (POLLIN | POLLHUP | POLLERR)) && pump(server, r->client))
			break;
	}
	if (server >= 0)
		close(server);
	close(r->client);
	free(r);
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: tcp_proxy LISTEN_HOST:PORT TARGET_HOST:PORT STATE_FILE\n");
		return 2;
	}
	struct sockaddr_in listen_addr;
	if (parse_addr(argv[1], &listen_addr) || parse_addr(argv[2], &target)) {
		fprintf(stderr, "tcp_proxy: bad address\n");
		return 2;
	}
	state_file = argv[3];
	signal(SIGPIPE, SIG_IGN);
	int ls = socket(AF_INET, SOCK_STREAM, 0);
	int one = 1;
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ls < 0 || bind(ls, (struct sockaddr *)&listen_addr, sizeof(listen_addr)) ||
	    listen(ls, 128)) {
		perror("tcp_proxy: listen");
		return 1;
	}
	pthread_t w;
	pthread_create(&w, NULL, watch_state, NULL);
	printf("listening %s\n", argv[1]);
	fflush(stdout);
	for (;;) {
		int c = accept(ls, NULL, NULL);
		if (c < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			perror("tcp_proxy: accept");
			return 1;
		}
		if (atomic_load(&state) == LINK_DROP) {
			close(c);
			continue;
		}
		struct relay *r = malloc(sizeof(*r));
		if (!r) {
			close(c);
			continue;
		}
		r->client = c;
		r->generation = atomic_load(&drop_generation);
		pthread_t t;
		if (pthread_create(&t, NULL, relay_main, r)) {
			close(c);
			free(r);
			continue;
		}
		pthread_detach(t);
	}
}
