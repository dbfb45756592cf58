/*
 * standalone: `strata standalone start` - the whole database in one
 * process: metadata KV (SQLite file), catalog, object store (a folder),
 * one datanode's region server, the frontend, and the MySQL, PostgreSQL
 * and HTTP servers.
 *
 * Layout under --data-home DIR (default ./strata_data):
 *   LOCK          flock held while a process uses this data home
 *   metadata.db   SQLite metadata KV (catalog.h keys)
 *   wal/          the datanode's write-ahead log
 *   data/...      the object store: data/{catalog}/{schema}/{table_id}/...
 *
 * At start every region the catalog routes to this node (datanode 0) is
 * reopened (manifest, then WAL replay), so data survives a restart.
 * SIGINT / SIGTERM stop the servers, close every region and exit 0.
 *
 * Flags: --data-home DIR, --mysql-addr H:P (127.0.0.1:4002),
 * --postgres-addr H:P (127.0.0.1:4003), --http-addr H:P (127.0.0.1:4000);
 * a port of 0 picks a free one. --port-file FILE writes "mysql=N",
 * "postgres=N" and "http=N" lines once every server listens (written to a
 * temporary name, then renamed). Authentication, TLS and limit flags
 * (--user-provider, --tls-*, --max-*, --statement-timeout-ms...) are
 * server/wire_config.h's. --config FILE and the storage flags
 * (config/config.h: --store-type, --s3-*, --cache-*) choose the object
 * store: fs under the data home by default, or S3.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/err.h"
#include "base/fs.h"
#include "base/hostport.h"
#include "base/log.h"
#include "base/mem.h"
#include "config/config.h"
#include "datanode/region_server.h"
#include "frontend/alter.h"
#include "frontend/frontend_int.h"
#include "meta/kv.h"
#include "objstore/objstore.h"
#include "server/http_server.h"
#include "server/mysql_server.h"
#include "server/pg_server.h"
#include "server/wire_config.h"

#define STRATA_VERSION "0.1.0"

/* ---- a KV wrapper that serialises every call ------------------------------------
 * kv_sqlite shares its prepared statements between callers without a lock
 * of its own, so concurrent connections could read each other's rows
 * (seen as "metadata ... is not valid JSON"). Until it locks itself, the
 * standalone process wraps it. */

struct locked_kv {
	struct kv base;
	struct kv *inner;
	pthread_mutex_t mu;
	/* bumped after every write (frontend_options.catalog_gen): this
	 * process is the metadata's only writer */
	_Atomic uint64_t gen;
};

static int lk_get(struct kv *kv, const char *key, uint8_t **value, size_t *len)
{
	struct locked_kv *l = (struct locked_kv *)kv;
	pthread_mutex_lock(&l->mu);
	int rc = kv_get(l->inner, key, value, len);
	pthread_mutex_unlock(&l->mu);
	return rc;
}

static int lk_range(struct kv *kv, const char *prefix, struct kv_list *out)
{
	struct locked_kv *l = (struct locked_kv *)kv;
	pthread_mutex_lock(&l->mu);
	int rc = kv_range(l->inner, prefix, out);
	pthread_mutex_unlock(&l->mu);
	return rc;
}

static int lk_txn(struct kv *kv, const struct kv_cmp *cmps, size_t ncmp, const struct kv_op *ops,
                  size_t nops)
{
	struct locked_kv *l = (struct locked_kv *)kv;
	pthread_mutex_lock(&l->mu);
	int rc = kv_txn(l->inner, cmps, ncmp, ops, nops);
	/* after the write (failed ones too, to be safe): a reader that saw
	 * the old generation re-reads */
	atomic_fetch_add(&l->gen, 1);
	pthread_mutex_unlock(&l->mu);
	return rc;
}

static void lk_close(struct kv *kv)
{
	struct locked_kv *l = (struct locked_kv *)kv;
	kv_close(l->inner);
	pthread_mutex_destroy(&l->mu);
	mem_free(l);
}

static const struct kv_ops locked_kv_ops = {"locked", lk_get, lk_range, lk_txn, lk_close};

/* Wrap inner (taken over) so that calls run one at a time. */
static int kv_locked(struct kv *inner, struct kv **out)
{
	struct locked_kv *l = mem_calloc(1, sizeof(*l));
	if (!l) {
		kv_close(inner);
		return ERR_NOMEM;
	}
	l->base.ops = &locked_kv_ops;
	l->inner = inner;
	pthread_mutex_init(&l->mu, NULL);
	*out = &l->base;
	return ERR_OK;
}

int frontend_open_all_regions(struct frontend *fe)
{
	char **schemas;
	uint32_t ns;
	int rc = catalog_list_schemas(fe->kv, CATALOG_DEFAULT, &schemas, &ns);
	if (rc)
		return rc;
	uint32_t opened = 0, failed = 0;
	for (uint32_t i = 0; rc == ERR_OK && i < ns; i++) {
		struct table_info **t;
		uint32_t nt;
		if ((rc = catalog_list_tables(fe->kv, CATALOG_DEFAULT, schemas[i], &t, &nt)))
			break;
		for (uint32_t k = 0; k < nt; k++) {
			struct table_route *route;
			if (catalog_get_route(fe->kv, t[k]->table_id, &route)) {
				log_error("table %s.%s: no route: %s", schemas[i], t[k]->name,
				          err_msg());
				failed++;
				continue;
			}
			for (uint32_t r = 0; r < route->nregions; r++) {
				const struct region_route *rr = &route->regions[r];
				if (rr->leader != fe->node_id)
					continue;
				char dir[1024];
				int orc = region_dir_format(dir, sizeof(dir), t[k]->catalog,
				                            t[k]->schema, rr->region_id);
				if (orc == ERR_OK)
					orc = region_server_open_region(fe->rs, rr->region_id, dir,
					                                REGION_ROLE_LEADER);
				if (orc == ERR_NOT_FOUND) {
					/* CREATE TABLE stored the metadata, then stopped before
					 * this region existed: create it empty now */
					log_warn("region %" PRIu64
					         " of %s.%s is missing (%s): creating it",
					         rr->region_id, schemas[i], t[k]->name, err_msg());
					orc = region_server_create(fe->rs, rr->region_id, dir,
					                           t[k]->region_schema);
				}
				if (orc) {
					log_error("open region %" PRIu64 " of %s.%s: %s",
					          rr->region_id, schemas[i], t[k]->name, err_msg());
					failed++;
				} else {
					opened++;
				}
			}
			table_route_free(route);
			/* an ALTER interrupted between its region changes and its
			 * catalog update: finish it now, before any write (writes
			 * built from the older catalog entry would be refused) */
			if (fe_alter_reconcile(fe, t[k])) {
				log_error("table %s.%s: completing an interrupted ALTER failed: %s",
				          schemas[i], t[k]->name, err_msg());
				failed++;
			}
		}
		catalog_free_tables(t, nt);
	}
	for (uint32_t i = 0; i < ns; i++)
		mem_free(schemas[i]);
	mem_free(schemas);
	if (rc == ERR_OK)
		log_info("opened %u regions%s", opened, failed ? " (some failed, see above)" : "");
	return rc;
}

/* ---- options ----------------------------------------------------------------- */

struct addr {
	char host[128];
	uint16_t port;
};

static int parse_addr(const char *s, struct addr *a)
{
	return hostport_split(s, a->host, sizeof(a->host), &a->port);
}

static int usage(void)
{
	fprintf(
	    stderr,
	    "usage: strata standalone start [--data-home DIR] [--mysql-addr HOST:PORT]\n"
	    "                               [--postgres-addr HOST:PORT] [--http-addr HOST:PORT]\n"
	    "                               [--port-file FILE] [--config FILE]\n"
	    "                               [--store-type fs|s3] [--s3-bucket B] [--s3-* ...]\n%s",
	    wire_config_usage());
	return 2;
}

/* One process per data home: an flock on {data_home}/LOCK, held for the
 * life of the process (released by the kernel on exit). */
static int lock_data_home(const char *data_home, int *fd_out)
{
	char path[1100];
	snprintf(path, sizeof(path), "%s/LOCK", data_home);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return err_set(ERR_IO, "open %s: %s", path, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		int e = errno;
		close(fd);
		if (e == EWOULDBLOCK)
			return err_set(ERR_CONFLICT, "data home %s is in use by another strata process",
				       data_home);
		return err_set(ERR_IO, "lock %s: %s", path, strerror(e));
	}
	*fd_out = fd;
	return ERR_OK;
}

/* ---- the three protocol servers (shared with `strata frontend start`) ---- */

struct frontend_servers {
	struct query_handler handler; /* the servers keep a pointer to it */
	struct wire_config *wire;     /* not owned; NULL = defaults */
	struct mysql_server *my;
	struct pg_server *pg;
	struct http_server *http;
};

int frontend_servers_start(struct frontend *fe, struct wire_config *wire, const char *mysql_addr,
                           const char *pg_addr, const char *http_addr,
                           struct frontend_servers **out)
{
	*out = NULL;
	struct addr ma, pa, ha;
	int rc;
	if ((rc = parse_addr(mysql_addr, &ma)) || (rc = parse_addr(pg_addr, &pa)) ||
	    (rc = parse_addr(http_addr, &ha)))
		return rc;
	struct frontend_servers *sv = mem_calloc(1, sizeof(*sv));
	if (!sv)
		return ERR_NOMEM;
	sv->wire = wire;
	sv->handler = wire ? wire_config_handler(wire, frontend_query_handler(fe))
	                   : frontend_query_handler(fe);
	struct mysql_server_opts mo = {0};
	struct pg_server_opts po = {0};
	if (wire) {
		wire_config_mysql(wire, &mo);
		wire_config_pg(wire, &po);
	}
	if ((rc = mysql_server_start(ma.host, ma.port, &sv->handler, &mo, &sv->my)) ||
	    (rc = pg_server_start(pa.host, pa.port, &sv->handler, &po, &sv->pg)))
		goto fail;
	struct http_options ho;
	http_options_default(&ho);
	ho.bind_addr = ha.host;
	ho.port = ha.port;
	ho.handler = sv->handler;
	ho.ingest = frontend_ingest;
	ho.ingest_ctx = fe;
	ho.metrics = frontend_metrics;
	ho.metrics_ctx = fe;
	ho.session_done = frontend_session_done;
	if (wire)
		wire_config_http(wire, &ho);
	if ((rc = http_server_start(&ho, &sv->http)))
		goto fail;
	*out = sv;
	return ERR_OK;
fail:
	frontend_servers_stop(sv);
	return rc;
}

void frontend_servers_ports(const struct frontend_servers *sv, uint16_t *mysql, uint16_t *pg,
                            uint16_t *http)
{
	*mysql = mysql_server_port(sv->my);
	*pg = pg_server_port(sv->pg);
	*http = http_server_port(sv->http);
}

void frontend_servers_stop(struct frontend_servers *sv)
{
	if (!sv)
		return;
	http_server_stop(sv->http);
	if (sv->pg)
		pg_server_stop(sv->pg);
	if (sv->my)
		mysql_server_stop(sv->my);
	mem_free(sv);
}

int frontend_write_port_file(const char *path, const struct frontend_servers *sv)
{
	uint16_t my, pg, http;
	frontend_servers_ports(sv, &my, &pg, &http);
	char tmp[1100];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (!f)
		return err_set(ERR_IO, "write %s: %s", tmp, strerror(errno));
	fprintf(f, "mysql=%u\npostgres=%u\nhttp=%u\n", my, pg, http);
	if (fclose(f) || rename(tmp, path))
		return err_set(ERR_IO, "write %s: %s", path, strerror(errno));
	return ERR_OK;
}

int standalone_main(int argc, char **argv)
{
	const char *data_home = "./strata_data", *port_file = NULL;
	const char *my_text = "127.0.0.1:4002", *pg_text = "127.0.0.1:4003",
	           *http_text = "127.0.0.1:4000";
	struct addr my_addr, pg_addr, http_addr;
	static struct wire_config wire; /* servers and their threads use it until exit */
	wire_config_init(&wire);
	if (argc < 1 || strcmp(argv[0], "start"))
		return usage();
	struct strata_config cfg; /* [storage]: --config FILE, storage flags */
	config_init(&cfg);
	for (int i = 1; i < argc; i += 2) { /* flag, value */
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		int rc = ERR_OK;
		bool wired = false, cf = false;
		if (!v) {
			config_free(&cfg);
			return usage();
		}
		if ((rc = wire_config_flag(&wire, a, v, &wired)) == ERR_OK && wired)
			continue;
		if (rc == ERR_OK) {
			if (!strcmp(a, "--config"))
				rc = config_load_file(&cfg, v);
			else if (config_is_flag(a))
				rc = config_flag(&cfg, a, v, &cf);
			else if (!strcmp(a, "--data-home"))
				data_home = v;
			else if (!strcmp(a, "--mysql-addr"))
				rc = parse_addr(my_text = v, &my_addr);
			else if (!strcmp(a, "--postgres-addr"))
				rc = parse_addr(pg_text = v, &pg_addr);
			else if (!strcmp(a, "--http-addr"))
				rc = parse_addr(http_text = v, &http_addr);
			else if (!strcmp(a, "--port-file"))
				port_file = v;
			else {
				config_free(&cfg);
				return usage();
			}
		}
		if (rc) {
			fprintf(stderr, "strata: %s\n", err_msg());
			config_free(&cfg);
			return 2;
		}
	}
	log_set_tag("standalone");

	/* signals: handled by sigwait in this thread only */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	int rc, code = 1;
	struct kv *kv = NULL;
	struct objstore *store = NULL;
	struct region_server *regions = NULL;
	struct frontend *fe = NULL;
	struct frontend_servers *sv = NULL;
	char path[1024];
	int lock_fd = -1;

	if ((rc = wire_config_open(&wire)))
		goto fail;
	if ((rc = fs_mkdir_p(data_home)) || (rc = lock_data_home(data_home, &lock_fd)))
		goto fail;
	snprintf(path, sizeof(path), "%s/metadata.db", data_home);
	struct kv *raw;
	if ((rc = kv_open_sqlite(path, &raw)) || (rc = kv_locked(raw, &kv)) ||
	    (rc = catalog_bootstrap(kv)))
		goto fail;
	/* fs at data_home unless [storage] / storage flags say otherwise */
	if ((rc = config_open_objstore(&cfg, data_home, &store)))
		goto fail;
	snprintf(path, sizeof(path), "%s/wal", data_home);
	if ((rc = fs_mkdir_p(path)))
		goto fail;
	struct region_server_options ro = {.node_id = 0, .store = store, .wal_dir = path};
	if ((rc = region_server_open(&ro, &regions)))
		goto fail;
	char peer[160];
	parse_addr(my_text, &my_addr);
	snprintf(peer, sizeof(peer), "%s:%u", my_addr.host, 4001);
	struct frontend_options fo = {.kv = kv,
	                              .regions = regions,
	                              .node_id = 0,
	                              .peer_addr = peer,
	                              .mode = "standalone",
	                              .version = STRATA_VERSION,
	                              .catalog_gen = &((struct locked_kv *)kv)->gen};
	if ((rc = frontend_open(&fo, &fe)) || (rc = frontend_open_all_regions(fe)))
		goto fail;
	if ((rc = frontend_servers_start(fe, &wire, my_text, pg_text, http_text, &sv)))
		goto fail;
	uint16_t myp, pgp, hp;
	frontend_servers_ports(sv, &myp, &pgp, &hp);
	parse_addr(pg_text, &pg_addr);
	parse_addr(http_text, &http_addr);
	log_info("strata %s standalone ready: mysql %s:%u, postgres %s:%u, http %s:%u, data %s"
	         ", auth %s, tls %s",
	         STRATA_VERSION, my_addr.host, myp, pg_addr.host, pgp, http_addr.host, hp,
	         data_home, wire.nusers ? "on" : "off",
	         wire.tls ? (wire.tls_required ? "required" : "on") : "off");
	if (port_file && (rc = frontend_write_port_file(port_file, sv)))
		goto fail;

	int sig = 0;
	sigwait(&set, &sig);
	log_info("signal %d: shutting down", sig);
	code = 0;
	goto out;
fail:
	log_error("standalone: %s", err_msg()[0] ? err_msg() : err_code_name(rc));
out:
	frontend_servers_stop(sv);
	frontend_close(fe);
	if (regions)
		region_server_close(regions);
	if (store)
		objstore_close(store);
	if (kv)
		kv_close(kv);
	if (lock_fd >= 0)
		close(lock_fd);
	wire_config_close(&wire);
	config_free(&cfg);
	if (code == 0)
		log_info("stopped");
	return code;
}
