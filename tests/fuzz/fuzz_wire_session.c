/*
 * fuzz_wire_session: whole client sessions against the real MySQL and
 * PostgreSQL servers (server/mysql_server.h, pg_server.h) - framing,
 * handshake / startup, the command and message loops, prepared statements
 * (COM_STMT_PREPARE / EXECUTE / SEND_LONG_DATA / CLOSE; Parse / Bind /
 * Describe / Execute / Sync / Close), cancel requests - everything the
 * codec-level targets (mysql_packet, pg_message) do not reach.
 *
 * Both servers run for the life of the process on 127.0.0.1 (trust, no
 * passwords; 1 MiB frame cap; 1 s I/O timeouts) with a small query
 * handler: SELECT... gives one row of several types (so the text and
 * binary row encoders run), INSERT... an affected count, ERR... an
 * error, anything else OK. Every statement text the handler gets is also
 * parsed with sql_parse_ex in the server's dialect.
 *
 * Input: u8 selector (bit 0: PostgreSQL, else MySQL), then the bytes the
 * client sends - written on a fresh connection, then the write side is
 * shut down and the server's replies are read until it closes. A server
 * that neither answers nor closes within 10 s is a finding (hang).
 * Leaks are checked by libFuzzer / LeakSanitizer as for every target;
 * the servers are stopped at exit. STRATA_FUZZ_DUMP=FILE appends the
 * server's replies to FILE (to check what a seed reaches).
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/clock.h"
#include "fuzz/fuzz_util.h"
#include "server/handler.h"
#include "server/mysql_server.h"
#include "server/pg_server.h"
#include "sql/parser.h"

static struct mysql_server *my;
static struct pg_server *pg;
static uint16_t my_port, pg_port;

static int emit_rows(query_emit_fn emit, void *ectx)
{
	static const char *const names[] = {"i", "s", "f", "ts", "b", "u", "bin"};
	static const enum dtype types[] = {DT_INT64, DT_STRING, DT_FLOAT64, DT_TS_MS,
					   DT_BOOL,  DT_UINT64, DT_BINARY};
	struct result_set rs;
	int rc = result_set_init(&rs, 7, names, types);
	if (rc)
		return rc;
	struct colvec *c = rs.rows.cols;
	for (int r = 0; r < 2 && !rc; r++) {
		rc |= colvec_push_i64(&c[0], r ? INT64_MIN : 42);
		rc |= r ? colvec_push_null(&c[1]) : colvec_push_bytes(&c[1], "it's", 4);
		rc |= colvec_push_f64(&c[2], r ? -0.0 : 1.5e300);
		rc |= colvec_push_i64(&c[3], r ? -62135596800000ll : 1700000000123ll);
		rc |= colvec_push_i64(&c[4], r);
		rc |= colvec_push_i64(&c[5], -1);
		rc |= colvec_push_bytes(&c[6], "\0\xff", 2);
		rs.rows.nrows++;
	}
	if (!rc) {
		struct query_result q = {.kind = QUERY_ROWS, .rs = rs};
		rc = emit(ectx, &q);
	}
	result_set_free(&rs);
	return rc;
}

static int handler(void *ctx, struct session *s, const char *sql, size_t len, query_emit_fn emit,
		   void *ectx)
{
	(void)ctx;
	struct arena *a = arena_create(4096);
	if (a) {
		struct sql_stmt_list l;
		memset(&l, 0, sizeof(l));
		sql_parse_ex(sql, len, s->protocol == SESSION_MYSQL ? SQL_DIALECT_MYSQL
								    : SQL_DIALECT_POSTGRES,
			     a, &l);
		arena_destroy(a);
	}
	err_clear();
	size_t k = 0;
	while (k < len && (sql[k] == ' ' || sql[k] == '\n' || sql[k] == '('))
		k++;
	if (len - k >= 6 && !strncasecmp(sql + k, "select", 6)) {
		emit_rows(emit, ectx); /* a failed emit: the server drops the client */
		return ERR_OK;
	}
	if (len - k >= 6 && !strncasecmp(sql + k, "insert", 6)) {
		struct query_result q = {.kind = QUERY_AFFECTED, .affected = 2};
		emit(ectx, &q);
		return ERR_OK;
	}
	if (len - k >= 3 && !strncasecmp(sql + k, "err", 3)) {
		struct query_result q = {.kind = QUERY_ERROR, .err = ERR_NOT_FOUND,
					 .greptime_status = 4001, .err_msg = (char *)"no such table"};
		emit(ectx, &q);
		return ERR_OK;
	}
	struct query_result q = {.kind = QUERY_OK};
	emit(ectx, &q);
	return ERR_OK;
}

static const struct query_handler qh = {.ctx = NULL, .execute = handler};

static void stop_servers(void)
{
	mysql_server_stop(my);
	pg_server_stop(pg);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	signal(SIGPIPE, SIG_IGN);
	struct mysql_server_opts mo = {.max_connections = 8, .max_packet = 1 << 20,
				       .idle_timeout_ms = 1000, .io_timeout_ms = 1000};
	struct pg_server_opts po = {.max_connections = 8, .max_message = 1 << 20,
				    .idle_timeout_ms = 1000, .io_timeout_ms = 1000};
	if (mysql_server_start("127.0.0.1", 0, &qh, &mo, &my) ||
	    pg_server_start("127.0.0.1", 0, &qh, &po, &pg)) {
		fprintf(stderr, "fuzz_wire_session: cannot start the servers: %s\n", err_msg());
		abort();
	}
	my_port = mysql_server_port(my);
	pg_port = pg_server_port(pg);
	atexit(stop_servers);
	return 0;
}

static int64_t now_ms(void) { return clock_mono_ns() / 1000000; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint16_t port = (data[0] & 1) ? pg_port : my_port;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	FUZZ_CHECK(fd >= 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		/* libFuzzer's SIGALRM can interrupt connect, which then goes on
		 * in the background: wait for it to finish */
		int e = errno, soerr = 0;
		socklen_t sl = sizeof(soerr);
		struct pollfd cp = {.fd = fd, .events = POLLOUT};
		if (e == EINTR) {
			while (poll(&cp, 1, 5000) < 0 && errno == EINTR)
				;
			if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr == 0 &&
			    (cp.revents & POLLOUT))
				e = 0;
			else
				e = soerr ? soerr : ETIMEDOUT;
		}
		if (e) {
			fprintf(stderr, "fuzz_wire_session: connect: %s\n", strerror(e));
			FUZZ_CHECK(!"connect to the server failed");
		}
	}
	const uint8_t *p = data + 1;
	size_t left = size - 1;
	int64_t deadline = now_ms() + 10000;
	bool wr_open = true;
	uint8_t rbuf[65536];
	for (;;) {
		if (wr_open && left == 0) {
			shutdown(fd, SHUT_WR);
			wr_open = false;
		}
		struct pollfd pfd = {.fd = fd, .events = POLLIN | (wr_open ? POLLOUT : 0)};
		int64_t wait = deadline - now_ms();
		if (wait <= 0) {
			fprintf(stderr, "fuzz_wire_session: the server neither answered nor closed\n");
			FUZZ_CHECK(!"server hang");
		}
		if (poll(&pfd, 1, (int)wait) < 0) {
			FUZZ_CHECK(errno == EINTR);
			continue;
		}
		if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t n = read(fd, rbuf, sizeof(rbuf));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break; /* closed (or reset) by the server */
			const char *dump = getenv("STRATA_FUZZ_DUMP");
			FILE *f = dump ? fopen(dump, "ab") : NULL;
			if (f) {
				fwrite(rbuf, 1, (size_t)n, f);
				fclose(f);
			}
		}
		if (wr_open && (pfd.revents & POLLOUT)) {
			ssize_t n = write(fd, p, left);
			if (n < 0) {
				if (errno == EPIPE || errno == ECONNRESET)
					break;
				FUZZ_CHECK(errno == EINTR || errno == EAGAIN);
				continue;
			}
			p += n;
			left -= (size_t)n;
		}
	}
	/* abortive close: no TIME_WAIT left behind, or tens of thousands of
	 * connections would use up the ephemeral ports */
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
	return 0;
}
