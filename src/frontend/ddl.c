/*
 * ddl: CREATE/DROP DATABASE, CREATE/DROP TABLE, TRUNCATE, ALTER TABLE
 * SET/UNSET options (metadata only) and ADD/DROP COLUMN (a region schema
 * change, see alter.h and storage/schema_alter.h); ALTER TABLE ... REPARTITION / SPLIT PARTITION / MERGE PARTITION is
 * validated as GreptimeDB does and then refused (no region split/merge).
 *
 * CREATE TABLE turns the statement into a table_info (catalog.h) plus a
 * route with one region per partition rule (one region without rules),
 * led by this node, stores both atomically in the metadata KV and then
 * creates every region through the region server under
 * data/{catalog}/{schema}/{table_id}/{table_id}_{number:010}/. When a
 * region cannot be created the regions made so far and the metadata are
 * removed again, so a failed CREATE leaves nothing behind; after a crash
 * between the two steps, startup creates the missing (empty) regions
 * (frontend_open_all_regions). DROP removes the metadata first and the
 * regions after, so a crash leaves unreferenced files, never a table
 * without its regions.
 *
 * What table_info.options holds: the WITH options as written (keys
 * lower-cased unless quoted, values normalised the way GreptimeDB shows
 * them: ttl '7d' -> '7days', write_buffer_size '1KiB' -> '1.0KiB'), plus
 * frontend-private entries whose keys start with "__" and which SHOW
 * CREATE TABLE reads back:
 *   __comment.{column}   the column's COMMENT
 *   __index.{column}     its index clauses, e.g. "SKIPPING INDEX WITH(...)"
 *   __next_column_id     the column_id the next added column gets (absent:
 *                        one above the highest id); never lowered, so a
 *                        dropped column's id is never reused
 *
 * ADD/DROP COLUMN: the new schema (version + 1) is applied to every region
 * of the table first (a region already at that version is skipped, so a
 * retried ALTER after a partial failure completes), then the catalog
 * entry is updated. A crash in between leaves regions ahead of the
 * catalog: fe_alter_reconcile (run before every ALTER and line-protocol
 * auto-add, and meant for startup) adopts the regions' newest schema. An added column is a field, or a tag (PRIMARY KEY:
 * appended to the key, nullable, no DEFAULT); a column that older rows
 * lack reads as its DEFAULT, so the default must be a constant.
 */
#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"
#include "cluster/cluster_client.h"
#include "datanode/region_server.h"
#include "frontend/alter.h"
#include "frontend/frontend_int.h"
#include "meta/kv.h"
#include "sql/parser.h"
#include "storage/schema_alter.h"

/* Regions per table: every one is a set of files and an open region. */
#define FE_MAX_PARTITIONS 1024

/* ---- names -------------------------------------------------------------- */

/* GreptimeDB's table name pattern: [a-zA-Z_:-][a-zA-Z0-9_:\-.@#]* */
static bool valid_table_name(const char *s)
{
	if (!*s)
		return false;
	if (!(isalpha((unsigned char)*s) || *s == '_' || *s == ':' || *s == '-'))
		return false;
	for (s++; *s; s++)
		if (!(isalnum((unsigned char)*s) || strchr("_:-.@#", *s)))
			return false;
	return true;
}

static bool is_virtual_schema(const char *schema)
{
	return !strcmp(schema, FE_INFO_SCHEMA) || !strcmp(schema, FE_PG_CATALOG);
}

/* ---- option values ------------------------------------------------------- */

/* humantime-style duration text -> seconds (fractional allowed for ms). */
static int parse_duration(const char *s, double *secs)
{
	static const struct {
		const char *u;
		double mul;
	} units[] = {
	    {"nanoseconds", 1e-9},
	    {"nanosecond", 1e-9},
	    {"nanos", 1e-9},
	    {"nsec", 1e-9},
	    {"ns", 1e-9},
	    {"microseconds", 1e-6},
	    {"microsecond", 1e-6},
	    {"micros", 1e-6},
	    {"usec", 1e-6},
	    {"us", 1e-6},
	    {"milliseconds", 1e-3},
	    {"millisecond", 1e-3},
	    {"millis", 1e-3},
	    {"msec", 1e-3},
	    {"ms", 1e-3},
	    {"seconds", 1},
	    {"second", 1},
	    {"secs", 1},
	    {"sec", 1},
	    {"s", 1},
	    {"minutes", 60},
	    {"minute", 60},
	    {"mins", 60},
	    {"min", 60},
	    {"m", 60},
	    {"hours", 3600},
	    {"hour", 3600},
	    {"hrs", 3600},
	    {"hr", 3600},
	    {"h", 3600},
	    {"days", 86400},
	    {"day", 86400},
	    {"d", 86400},
	    {"weeks", 604800},
	    {"week", 604800},
	    {"w", 604800},
	    {"months", 2630016},
	    {"month", 2630016},
	    {"M", 2630016},
	    {"years", 31557600},
	    {"year", 31557600},
	    {"y", 31557600},
	};
	double total = 0;
	const char *p = s;
	int items = 0;
	while (*p) {
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		if (!isdigit((unsigned char)*p))
			return ERR_BAD_INPUT;
		double v = 0;
		while (isdigit((unsigned char)*p))
			v = v * 10 + (*p++ - '0');
		while (*p == ' ')
			p++;
		const char *u = p;
		while (isalpha((unsigned char)*p))
			p++;
		size_t ul = (size_t)(p - u);
		if (ul == 0)
			return ERR_BAD_INPUT;
		bool found = false;
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (strlen(units[i].u) == ul && !strncmp(units[i].u, u, ul)) {
				total += v * units[i].mul;
				found = true;
				break;
			}
		if (!found)
			return ERR_BAD_INPUT;
		items++;
	}
	if (!items)
		return ERR_BAD_INPUT;
	*secs = total;
	return ERR_OK;
}

/* humantime's format_duration of whole seconds (plus milliseconds). */
static void format_duration(struct buf *b, double secs)
{
	uint64_t s = (uint64_t)secs;
	uint64_t ms = (uint64_t)llround((secs - (double)s) * 1000.0);
	if (s == 0 && ms == 0) {
		buf_printf(b, "0s");
		return;
	}
	uint64_t years = s / 31557600;
	s %= 31557600;
	uint64_t months = s / 2630016;
	s %= 2630016;
	uint64_t days = s / 86400;
	s %= 86400;
	uint64_t hours = s / 3600;
	s %= 3600;
	uint64_t mins = s / 60;
	s %= 60;
	bool first = true;
#define ITEM(v, sing, plural)                                                                      \
	do {                                                                                       \
		if (v) {                                                                           \
			buf_printf(b, "%s%" PRIu64 "%s", first ? "" : " ", (uint64_t)(v),          \
			           (v) > 1 ? plural : sing);                                       \
			first = false;                                                             \
		}                                                                                  \
	} while (0)
	ITEM(years, "year", "years");
	ITEM(months, "month", "months");
	ITEM(days, "day", "days");
	ITEM(hours, "h", "h");
	ITEM(mins, "m", "m");
	ITEM(s, "s", "s");
	ITEM(ms, "ms", "ms");
#undef ITEM
}

/* ReadableSize: "1KiB", "1 MB", "1024" -> bytes. */
static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || v < 0)
		return ERR_BAD_INPUT;
	while (*end == ' ')
		end++;
	double mul = 1;
	if (!*end || !strcasecmp(end, "b"))
		mul = 1;
	else if (!strcasecmp(end, "k") || !strcasecmp(end, "kb") || !strcasecmp(end, "kib"))
		mul = 1024.0;
	else if (!strcasecmp(end, "m") || !strcasecmp(end, "mb") || !strcasecmp(end, "mib"))
		mul = 1024.0 * 1024;
	else if (!strcasecmp(end, "g") || !strcasecmp(end, "gb") || !strcasecmp(end, "gib"))
		mul = 1024.0 * 1024 * 1024;
	else if (!strcasecmp(end, "t") || !strcasecmp(end, "tb") || !strcasecmp(end, "tib"))
		mul = 1024.0 * 1024 * 1024 * 1024;
	else
		return ERR_BAD_INPUT;
	*out = (uint64_t)(v * mul);
	return ERR_OK;
}

static void format_size(struct buf *b, uint64_t n)
{
	static const char *units[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
	if (n < 1024) {
		buf_printf(b, "%" PRIu64 "B", n);
		return;
	}
	double v = (double)n;
	int u = -1;
	while (v >= 1024.0 && u < 4) {
		v /= 1024.0;
		u++;
	}
	buf_printf(b, "%.1f%s", v, units[u]);
}

static bool option_key_known(const char *k)
{
	static const char *keys[] = {
	    "ttl",
	    "auto_flush_interval",
	    "compaction.type",
	    "compaction.override",
	    "compaction.twcs.trigger_file_num",
	    "compaction.twcs.max_output_file_size",
	    "compaction.twcs.time_window",
	    "compaction.twcs.remote_compaction",
	    "compaction.twcs.fallback_to_local",
	    "compaction.twcs.max_active_window_runs",
	    "compaction.twcs.max_active_window_files",
	    "compaction.twcs.max_inactive_window_runs",
	    "compaction.twcs.max_inactive_window_files",
	    "storage",
	    "index.inverted_index.ignore_column_ids",
	    "index.inverted_index.segment_row_count",
	    "wal_options",
	    "memtable.type",
	    "memtable.bulk.merge_threshold",
	    "memtable.bulk.encode_row_threshold",
	    "memtable.bulk.encode_bytes_threshold",
	    "memtable.bulk.max_merge_groups",
	    "memtable.partition_tree.index_max_keys_per_shard",
	    "memtable.partition_tree.data_freeze_threshold",
	    "memtable.partition_tree.fork_dictionary_bytes",
	    "append_mode",
	    "merge_mode",
	    "sst_format",
	    "skip_wal",
	    "write_buffer_size",
	    "comment",
	    "physical_metric_table",
	    "on_physical_table",
	    "index.type",
	    "index.granularity",
	    "index.false_positive_rate",
	    "repartition.column.hint",
	    "max_row_group_row_count",
	    "snapshot_read",
	    "experimental_metric_engine_value_encoding",
	};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!strcmp(keys[i], k))
			return true;
	return false;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/* Validate one WITH option, apply it to the region options and produce
 * the value GreptimeDB shows. */
static int apply_option(struct fe_ctx *c, const char *key, const char *value,
                        struct region_options *ro, char **shown)
{
	struct buf b;
	buf_init(&b);
	int rc = ERR_OK;
	*shown = NULL;
	if (!option_key_known(key))
		return fe_fail(GT_INVALID_ARGUMENTS, ERR_BAD_INPUT,
		               "Unrecognized table option key: %s", key);
	if (!strcmp(key, "ttl")) {
		double secs;
		if (!strcasecmp(value, "instant")) {
			ro->ttl_ms = 1;
			buf_printf(&b, "instant");
		} else if (!strcasecmp(value, "forever") || !strcasecmp(value, "infinite")) {
			ro->ttl_ms = 0;
			buf_printf(&b, "forever");
		} else if (parse_duration(value, &secs) == ERR_OK) {
			ro->ttl_ms = (int64_t)(secs * 1000.0);
			if (ro->ttl_ms == 0)
				buf_printf(&b, "forever");
			else
				format_duration(&b, secs);
		} else {
			rc = fe_fail(GT_INVALID_ARGUMENTS, ERR_BAD_INPUT,
			             "Invalid ttl value: %s, expected a duration such as '7d', "
			             "'instant' or 'forever'",
			             value);
		}
	} else if (!strcmp(key, "append_mode")) {
		if (strcasecmp(value, "true") && strcasecmp(value, "false"))
			rc = fe_fail(GT_INVALID_ARGUMENTS, ERR_BAD_INPUT,
			             "Invalid options: invalid value for append_mode: %s", value);
		ro->append_mode = !strcasecmp(value, "true");
		buf_printf(&b, "%s", ro->append_mode ? "true" : "false");
	} else if (!strcmp(key, "merge_mode")) {
		if (!strcmp(value, "last_row"))
			ro->merge_mode = MERGE_LAST_ROW;
		else if (!strcmp(value, "last_non_null"))
			ro->merge_mode = MERGE_LAST_NON_NULL;
		else
			rc = fe_fail(
			    GT_INVALID_ARGUMENTS, ERR_BAD_INPUT,
			    "Invalid options: Matching variant not found at line 1 column %zu",
			    strlen("{\"merge_mode\":\"") + strlen(value) + 1);
		buf_printf(&b, "%s", value);
	} else if (!strcmp(key, "write_buffer_size")) {
		uint64_t n = 0;
		if (parse_size(value, &n))
			rc = fe_fail(GT_INVALID_ARGUMENTS, ERR_BAD_INPUT,
			             "Invalid options: invalid size: %s", value);
		ro->write_buffer_size = n;
		format_size(&b, n);
	} else if (!strcmp(key, "compaction.twcs.time_window")) {
		double secs;
		if (parse_duration(value, &secs))
			rc = fe_fail(GT_INVALID_ARGUMENTS, ERR_BAD_INPUT,
			             "Invalid options: invalid duration: %s", value);
		ro->compaction_window_s = (int64_t)secs;
		buf_printf(&b, "%s", value);
	} else if (!strcmp(key, "compaction.twcs.trigger_file_num") ||
	           !strcmp(key, "index.inverted_index.segment_row_count") ||
	           !strcmp(key, "max_row_group_row_count")) {
		if (!all_digits(value))
			rc = fe_fail(GT_INVALID_ARGUMENTS, ERR_BAD_INPUT,
			             "Invalid options: invalid digit found in string");
		buf_printf(&b, "%s", value);
	} else if (!strcmp(key, "compaction.type")) {
		if (strcmp(value, "twcs"))
			rc = fe_fail(GT_INVALID_ARGUMENTS, ERR_BAD_INPUT,
			             "Invalid options: unknown variant `%s`, expected `twcs`",
			             value);
		buf_printf(&b, "%s", value);
	} else if (!strcmp(key, "storage")) {
		rc = fe_fail(GT_INVALID_ARGUMENTS, ERR_BAD_INPUT, "Object store not found: %s",
		             value);
	} else if (!strcmp(key, "sst_format")) {
		if (strcmp(value, "flat") && strcmp(value, "primary_key"))
			rc = fe_fail(
			    GT_INVALID_ARGUMENTS, ERR_BAD_INPUT,
			    "Invalid options: unknown variant `%s`, expected `primary_key` or "
			    "`flat`",
			    value);
		buf_printf(&b, "%s", value);
	} else {
		buf_printf(&b, "%s", value);
	}
	(void)c;
	if (rc == ERR_OK) {
		*shown = buf_cstr(&b) ? mem_strdup((const char *)b.data) : NULL;
		if (!*shown)
			rc = ERR_NOMEM;
	}
	buf_free(&b);
	return rc;
}

static int add_option(struct table_info *t, const char *key, const char *value)
{
	struct table_option *o =
	    mem_realloc(t->options, (t->noptions + 1) * sizeof(struct table_option));
	if (!o)
		return ERR_NOMEM;
	t->options = o;
	o[t->noptions].key = mem_strdup(key);
	o[t->noptions].value = mem_strdup(value);
	if (!o[t->noptions].key || !o[t->noptions].value) {
		mem_free(o[t->noptions].key);
		mem_free(o[t->noptions].value);
		return ERR_NOMEM;
	}
	t->noptions++;
	return ERR_OK;
}

/* ---- columns --------------------------------------------------------------- */

static bool is_now_default(const struct sql_expr *e, const char **name)
{
	if (e->kind != SQL_E_FUNC || e->v.func.nargs || e->v.func.name.n != 1)
		return false;
	const char *n = e->v.func.name.part[0].name;
	if (!strcasecmp(n, "now")) {
		*name = "now()";
		return true;
	}
	if (!strcasecmp(n, "current_timestamp") || !strcasecmp(n, "localtimestamp")) {
		*name = "current_timestamp()";
		return true;
	}
	return false;
}

/* Validate a DEFAULT and produce the text stored in the schema. */
static int column_default(struct fe_ctx *c, const struct sql_column_def *d, enum dtype type,
                          char **out)
{
	*out = NULL;
	const struct sql_expr *e = d->default_expr;
	const char *fname;
	if (is_now_default(e, &fname)) {
		if (!dtype_is_timestamp(type) && type != DT_DATE)
			return fe_fail(GT_INVALID_ARGUMENTS, ERR_BAD_INPUT,
			               "Invalid default constraint, column: %s, reason: %s is not "
			               "a timestamp",
			               d->name.raw, fname);
		*out = mem_strdup(fname);
		return *out ? ERR_OK : ERR_NOMEM;
	}
	if (e->kind == SQL_E_COLUMN && e->v.name.part[0].quote != '"')
		return fe_fail(GT_UNSUPPORTED, ERR_UNSUPPORTED,
		               "Unsupported default constraint for column: '%s', reason: expr '%s' "
		               "not supported",
		               d->name.raw, e->v.name.part[e->v.name.n - 1].raw);
	struct datum v;
	int rc = fe_value_from_expr(c, d->name.name, type, e, &v);
	if (rc)
		return rc;
	char *txt = sql_expr_to_sql(c->a, e, 0);
	if (!txt)
		return ERR_NOMEM;
	*out = mem_strdup(txt);
	return *out ? ERR_OK : ERR_NOMEM;
}

static int index_text(struct fe_ctx *c, const struct sql_column_def *d, struct buf *b)
{
	(void)c;
	/* GreptimeDB prints fulltext, then skipping, then inverted. */
	static const int order[] = {SQL_INDEX_FULLTEXT, SQL_INDEX_SKIPPING, SQL_INDEX_INVERTED};
	for (size_t k = 0; k < 3; k++) {
		for (size_t i = 0; i < d->nindexes; i++) {
			const struct sql_column_index *ix = &d->indexes[i];
			if (ix->kind != order[k])
				continue;
			const char *get_gran = "10240", *get_fpr = "0.01", *get_type = "BLOOM";
			const char *analyzer = "English", *backend = "bloom", *cs = "false";
			for (size_t j = 0; j < ix->nopts; j++) {
				const char *key = ix->opts[j].key, *val = ix->opts[j].value;
				if (!strcasecmp(key, "granularity"))
					get_gran = val;
				else if (!strcasecmp(key, "false_positive_rate"))
					get_fpr = val;
				else if (!strcasecmp(key, "type"))
					get_type = val;
				else if (!strcasecmp(key, "analyzer"))
					analyzer = val;
				else if (!strcasecmp(key, "backend"))
					backend = val;
				else if (!strcasecmp(key, "case_sensitive"))
					cs = val;
			}
			if (b->len)
				buf_putc(b, ' ');
			if (ix->kind == SQL_INDEX_FULLTEXT)
				buf_printf(b,
				           "FULLTEXT INDEX WITH(analyzer = '%s', backend = '%s', "
				           "case_sensitive = '%s', false_positive_rate = '%s', "
				           "granularity = '%s')",
				           analyzer, backend, cs, get_fpr, get_gran);
			else if (ix->kind == SQL_INDEX_SKIPPING)
				buf_printf(b,
				           "SKIPPING INDEX WITH(false_positive_rate = '%s', "
				           "granularity = '%s', type = '%s')",
				           get_fpr, get_gran, get_type);
			else
				buf_printf(b, "INVERTED INDEX");
			break;
		}
	}
	return ERR_OK;
}

static int find_col(const struct region_schema *s, const char *name)
{
	return region_schema_find(s, name);
}

/* Build the region schema of a CREATE TABLE. */
static int build_schema(struct fe_ctx *c, const struct sql_create_table *ct, struct table_info *t)
{
	struct region_schema *s = mem_calloc(1, sizeof(*s));
	if (!s)
		return ERR_NOMEM;
	t->region_schema = s;
	s->cols = mem_calloc(ct->ncols ? ct->ncols : 1, sizeof(*s->cols));
	s->pk_cols = mem_calloc(ct->ncols ? ct->ncols : 1, sizeof(uint32_t));
	if (!s->cols || !s->pk_cols)
		return ERR_NOMEM;
	int rc;
	for (size_t i = 0; i < ct->ncols; i++) {
		const struct sql_column_def *d = &ct->cols[i];
		struct column_schema *cs = &s->cols[i];
		if (d->type.kind != SQL_TYPE_DTYPE || d->type.dtype < 0)
			return fe_fail(GT_UNSUPPORTED, ERR_UNSUPPORTED,
			               "Not supported: data type %s of column %s",
			               d->type.text ? d->type.text : "?", d->name.raw);
		cs->name = mem_strdup(d->name.name);
		if (!cs->name)
			return ERR_NOMEM;
		s->ncols++;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(s->cols[j].name, cs->name))
				return fe_fail(GT_INVALID_ARGUMENTS, ERR_BAD_INPUT,
				               "Invalid SQL, error: duplicate column %s", cs->name);
		cs->type = (enum dtype)d->type.dtype;
		cs->nullable = d->nullable != 0;
		cs->column_id = (uint32_t)i;
		cs->sem = SEM_FIELD;
	}
	/* time index */
	const char *ts = NULL;
	for (size_t i = 0; i < ct->ncols; i++)
		if (ct->cols[i].time_index)
			ts = ct->cols[i].name.name;
	if (!ts && ct->ntime_index)
		ts = ct->time_index[0].name;
	int ti = ts ? find_col(s, ts) : -1;
	if (ti < 0)
		return fe_fail(GT_INVALID_SYNTAX, ERR_SYNTAX, "Missing time index constraint");
	s->ts_col = (uint32_t)ti;
	s->cols[ti].sem = SEM_TIMESTAMP;
	s->cols[ti].nullable = false;
	/* primary key */
	for (size_t i = 0; i < ct->nprimary_key; i++) {
		int k = find_col(s, ct->primary_key[i].name);
		if (k < 0)
			return fe_fail(GT_INVALID_ARGUMENTS, ERR_BAD_INPUT,
			               "Invalid SQL, error: primary key column %s not found",
			               ct->primary_key[i].raw);
		if ((uint32_t)k == s->ts_col || s->cols[k].sem == SEM_TAG)
			continue;
		s->cols[k].sem = SEM_TAG;
		s->pk_cols[s->npk++] = (uint32_t)k;
	}
	for (size_t i = 0; i < ct->ncols; i++)
		if (ct->cols[i].primary_key && i != s->ts_col && s->cols[i].sem != SEM_TAG) {
			s->cols[i].sem = SEM_TAG;
			s->pk_cols[s->npk++] = (uint32_t)i;
		}
	/* defaults, comments, indexes */
	for (size_t i = 0; i < ct->ncols; i++) {
		const struct sql_column_def *d = &ct->cols[i];
		if (d->default_expr &&
		    (rc = column_default(c, d, s->cols[i].type, &s->cols[i].default_sql)))
			return rc;
		char key[512];
		if (d->comment) {
			snprintf(key, sizeof(key), "__comment.%s", s->cols[i].name);
			if ((rc = add_option(t, key, d->comment)))
				return rc;
		}
		if (d->nindexes) {
			struct buf b;
			buf_init(&b);
			index_text(c, d, &b);
			snprintf(key, sizeof(key), "__index.%s", s->cols[i].name);
			rc = buf_cstr(&b) ? add_option(t, key, (const char *)b.data) : ERR_NOMEM;
			buf_free(&b);
			if (rc)
				return rc;
		}
	}
	if (region_schema_validate(s))
		return fe_fail(GT_INVALID_ARGUMENTS, ERR_BAD_INPUT, "%s", err_msg());
	return ERR_OK;
}

/* Options, in the order written; private entries come after them. */
static int build_options(struct fe_ctx *c, const struct sql_create_table *ct, struct table_info *t)
{
	struct region_options *ro = &t->region_schema->opts;
	for (size_t i = 0; i < ct->nopts; i++) {
		const struct sql_option *o = &ct->opts[i];
		const char *val = o->value ? o->value : "";
		char *shown;
		int rc = apply_option(c, o->key, val, ro, &shown);
		if (rc)
			return rc;
		if (!strcmp(o->key, "comment")) {
			mem_free(t->comment);
			t->comment = mem_strdup(val);
		}
		rc = add_option(t, o->key, shown);
		mem_free(shown);
		if (rc)
			return rc;
	}
	if (ro->append_mode && ro->merge_mode == MERGE_LAST_NON_NULL)
		return fe_fail(GT_INVALID_ARGUMENTS, ERR_BAD_INPUT,
		               "Invalid region options, only last_row merge_mode is allowed when "
		               "append_mode is enabled");
	return ERR_OK;
}

static int build_partitions(struct fe_ctx *c, const struct sql_create_table *ct,
                            struct table_info *t)
{
	const struct sql_partition *pt = ct->partition;
	if (!pt)
		return ERR_OK;
	t->partition_cols = mem_calloc(pt->ncols ? pt->ncols : 1, sizeof(char *));
	t->rules = mem_calloc(pt->nrules ? pt->nrules : 1, sizeof(char *));
	if (!t->partition_cols || !t->rules)
		return ERR_NOMEM;
	for (size_t i = 0; i < pt->ncols; i++) {
		if (find_col(t->region_schema, pt->cols[i].name) < 0)
			return fe_fail(GT_INVALID_ARGUMENTS, ERR_BAD_INPUT,
			               "Invalid SQL, error: Partition column \"%s\" not defined",
			               pt->cols[i].name);
		t->partition_cols[i] = mem_strdup(pt->cols[i].name);
		if (!t->partition_cols[i])
			return ERR_NOMEM;
		t->npartition_cols++;
	}
	if (pt->nrules == 0)
		return ERR_OK;
	if (pt->nrules > FE_MAX_PARTITIONS)
		return fe_fail(GT_INVALID_ARGUMENTS, ERR_LIMIT,
			       "Invalid partition rule: %zu partitions, at most %d are allowed",
			       pt->nrules, FE_MAX_PARTITIONS);
	int rc = part_rules_check(c, t->region_schema, (const char *const *)t->partition_cols,
	                          t->npartition_cols, pt->rules, (uint32_t)pt->nrules);
	if (rc)
		return rc;
	for (size_t i = 0; i < pt->nrules; i++) {
		char *txt = fe_expr_text(c, pt->rules[i]);
		t->rules[i] = txt ? mem_strdup(txt) : NULL;
		if (!t->rules[i])
			return ERR_NOMEM;
		t->nrules++;
	}
	return ERR_OK;
}

static int create_like(struct fe_ctx *c, const struct sql_create_table *ct, struct table_info *t)
{
	const char *cat, *sch, *name;
	int rc = fe_split_name(c, ct->like, &cat, &sch, &name);
	if (rc)
		return rc;
	struct table_info *src;
	if ((rc = fe_get_table(c, cat, sch, name, &src)))
		return rc;
	t->region_schema = region_schema_clone(src->region_schema);
	t->engine = mem_strdup(src->engine ? src->engine : "mito");
	if (src->comment)
		t->comment = mem_strdup(src->comment);
	for (uint32_t i = 0; rc == ERR_OK && i < src->noptions; i++)
		rc = add_option(t, src->options[i].key, src->options[i].value);
	table_info_free(src);
	if (rc == ERR_OK && (!t->region_schema || !t->engine))
		rc = ERR_NOMEM;
	return rc;
}

int fe_create_table_from_schema(struct fe_ctx *c, const char *catalog, const char *schema,
                                const char *name, struct region_schema *rs)
{
	int rc = ERR_NOMEM;
	struct table_info *t = mem_calloc(1, sizeof(*t));
	if (!t) {
		region_schema_free(rs);
		return ERR_NOMEM;
	}
	t->region_schema = rs;
	t->catalog = mem_strdup(catalog);
	t->schema = mem_strdup(schema);
	t->name = mem_strdup(name);
	t->engine = mem_strdup("mito");
	t->created_ms = clock_now_ms();
	if (!t->catalog || !t->schema || !t->name || !t->engine)
		goto out;
	if (!valid_table_name(name)) {
		rc = fe_fail(GT_INVALID_ARGUMENTS, ERR_BAD_INPUT, "Invalid table name: %s", name);
		goto out;
	}
	if ((rc = region_schema_validate(rs))) {
		rc = fe_fail(GT_INVALID_ARGUMENTS, ERR_BAD_INPUT, "%s", err_msg());
		goto out;
	}
	bool created = false;
	rc = fe_regions_create_table(c->fe, t, 1, true, &created);
	if (rc || !created)
		goto out;
	log_info("created table %s.%s.%s (id %u) for ingestion", catalog, schema, name,
	         t->table_id);
out:
	table_info_free(t);
	return rc;
}

int fe_create_table(struct fe_ctx *c, struct query_result *out)
{
	const struct sql_create_table *ct = c->st->u.create_table;
	const char *cat, *sch, *name;
	int rc = fe_split_name(c, &ct->name, &cat, &sch, &name);
	if (rc)
		return rc;
	if (ct->external)
		return fe_fail(GT_UNSUPPORTED, ERR_UNSUPPORTED,
		               "Not supported: CREATE EXTERNAL TABLE");
	if (!valid_table_name(name))
		return fe_fail(GT_INVALID_ARGUMENTS, ERR_BAD_INPUT, "Invalid table name: %s", name);
	if (is_virtual_schema(sch))
		return fe_fail(GT_UNSUPPORTED, ERR_UNSUPPORTED,
		               "Not supported: creating tables in %s", sch);
	if (!fe_schema_exists(c, cat, sch))
		return fe_fail(GT_DATABASE_NOT_FOUND, ERR_NOT_FOUND, "Database not found: %s.%s",
		               cat, sch);
	const char *engine = ct->engine ? ct->engine->name : "mito";
	if (strcmp(engine, "mito") && strcmp(engine, "metric"))
		return fe_fail(GT_UNSUPPORTED, ERR_UNSUPPORTED, "Not supported: engine %s", engine);

	struct table_info *t = mem_calloc(1, sizeof(*t));
	if (!t)
		return ERR_NOMEM;
	t->catalog = mem_strdup(cat);
	t->schema = mem_strdup(sch);
	t->name = mem_strdup(name);
	t->created_ms = clock_now_ms();
	if (!t->catalog || !t->schema || !t->name) {
		rc = ERR_NOMEM;
		goto out;
	}
	if (ct->like) {
		if ((rc = create_like(c, ct, t)))
			goto out;
	} else {
		t->engine = mem_strdup(engine);
		if (!t->engine) {
			rc = ERR_NOMEM;
			goto out;
		}
		if ((rc = build_schema(c, ct, t)) || (rc = build_options(c, ct, t)) ||
		    (rc = build_partitions(c, ct, t)))
			goto out;
	}
	uint32_t nregions = t->nrules ? t->nrules : 1;
	bool created = false;
	rc = fe_regions_create_table(c->fe, t, nregions, ct->if_not_exists, &created);
	if (rc == ERR_EXISTS)
		rc = fe_fail(GT_TABLE_EXISTS, ERR_EXISTS, "%s", err_msg());
	else if (rc && rc != ERR_NOMEM && rc != ERR_BAD_INPUT)
		rc = fe_fail(GT_TABLE_UNAVAILABLE, rc, "Failed to create regions of table %s: %s",
		             name, err_msg());
	if (rc || !created)
		goto out;
	log_info("created table %s.%s.%s (id %u, %u regions)", cat, sch, name, t->table_id,
	         nregions);
out:
	table_info_free(t);
	if (rc == ERR_OK) {
		out->kind = QUERY_AFFECTED;
		out->affected = 0;
	}
	return rc;
}

/* ---- DROP / TRUNCATE ---------------------------------------------------------- */

/* Metadata first, then the regions (regions.c). */
static int drop_one(struct fe_ctx *c, struct table_info *t)
{
	return fe_regions_drop_table(c->fe, t);
}

int fe_drop_table(struct fe_ctx *c, struct query_result *out)
{
	size_t n = c->st->u.drop_table.nnames;
	const struct sql_name *names = c->st->u.drop_table.names;
	struct table_info **tabs = mem_calloc(n ? n : 1, sizeof(*tabs));
	if (!tabs)
		return ERR_NOMEM;
	int rc = ERR_OK;
	/* check every name first: a missing one drops nothing */
	for (size_t i = 0; i < n && rc == ERR_OK; i++) {
		const char *cat, *sch, *name;
		if ((rc = fe_split_name(c, &names[i], &cat, &sch, &name)))
			break;
		rc = fe_get_table(c, cat, sch, name, &tabs[i]);
		if (rc == ERR_NOT_FOUND && c->st->u.drop_table.if_exists)
			rc = ERR_OK;
	}
	for (size_t i = 0; i < n && rc == ERR_OK; i++)
		if (tabs[i])
			rc = drop_one(c, tabs[i]);
	for (size_t i = 0; i < n; i++)
		table_info_free(tabs[i]);
	mem_free(tabs);
	if (rc == ERR_OK) {
		out->kind = QUERY_AFFECTED;
		out->affected = 0;
	}
	return rc;
}

int fe_truncate(struct fe_ctx *c, struct query_result *out)
{
	const char *cat, *sch, *name;
	int rc = fe_split_name(c, &c->st->u.truncate, &cat, &sch, &name);
	struct table_info *t = NULL;
	struct table_route *route = NULL;
	if (rc || (rc = fe_get_table(c, cat, sch, name, &t)))
		return rc;
	rc = catalog_get_route(c->fe->kv, t->table_id, &route);
	if (rc == ERR_OK)
		rc = fe_regions_truncate_table(c->fe, t, route);
	table_info_free(t);
	table_route_free(route);
	if (rc == ERR_OK) {
		out->kind = QUERY_AFFECTED;
		out->affected = 0;
	}
	return rc;
}

/* ---- databases --------------------------------------------------------------- */

int fe_create_database(struct fe_ctx *c, struct query_result *out)
{
	const struct sql_name *n = &c->st->u.create_db.name;
	const char *cat = n->n > 1 ? n->part[0].name : c->s->catalog;
	const char *sch = n->part[n->n - 1].name;
	if (strcmp(cat, CATALOG_DEFAULT))
		return fe_fail(GT_INVALID_ARGUMENTS, ERR_NOT_FOUND, "Catalog not found: %s", cat);
	if (fe_schema_exists(c, cat, sch)) {
		if (c->st->u.create_db.if_not_exists) {
			out->kind = QUERY_AFFECTED;
			out->affected = 1;
			return ERR_OK;
		}
		return fe_fail(GT_INVALID_ARGUMENTS, ERR_EXISTS, "Schema %s already exists", sch);
	}
	for (size_t i = 0; i < c->st->u.create_db.nopts; i++) {
		const char *k = c->st->u.create_db.opts[i].key;
		if (strcmp(k, "ttl") && strncmp(k, "compaction.", 11) &&
		    strcmp(k, "memtable.type") && strcmp(k, "append_mode") &&
		    strcmp(k, "merge_mode") && strcmp(k, "skip_wal"))
			return fe_fail(GT_INVALID_ARGUMENTS, ERR_BAD_INPUT,
			               "Unrecognized database option key: %s", k);
	}
	bool created = false;
	int rc =
	    catalog_create_schema(c->fe->kv, cat, sch, c->st->u.create_db.if_not_exists, &created);
	if (rc == ERR_EXISTS)
		return fe_fail(GT_INVALID_ARGUMENTS, ERR_EXISTS, "Schema %s already exists", sch);
	if (rc)
		return rc;
	out->kind = QUERY_AFFECTED;
	out->affected = 1;
	return ERR_OK;
}

int fe_drop_database(struct fe_ctx *c, struct query_result *out)
{
	const struct sql_name *n = &c->st->u.drop_db.name;
	const char *cat = n->n > 1 ? n->part[0].name : c->s->catalog;
	const char *sch = n->part[n->n - 1].name;
	if (is_virtual_schema(sch) || !strcmp(sch, "greptime_private"))
		return fe_fail(GT_INVALID_ARGUMENTS, ERR_BAD_INPUT,
		               "Not allowed to drop the system schema %s", sch);
	if (!fe_schema_exists(c, cat, sch)) {
		if (c->st->u.drop_db.if_exists) {
			out->kind = QUERY_AFFECTED;
			return ERR_OK;
		}
		return fe_fail(GT_DATABASE_NOT_FOUND, ERR_NOT_FOUND, "Database not found: %s.%s",
		               cat, sch);
	}
	if (!strcmp(c->s->catalog, cat) && !strcmp(c->s->schema, sch))
		return fe_fail(GT_INVALID_ARGUMENTS, ERR_BAD_INPUT, "Schema `%s` is in use", sch);
	struct table_info **tabs;
	uint32_t nt;
	int rc = catalog_list_tables(c->fe->kv, cat, sch, &tabs, &nt);
	if (rc)
		return rc;
	for (uint32_t i = 0; rc == ERR_OK && i < nt; i++)
		rc = drop_one(c, tabs[i]);
	catalog_free_tables(tabs, nt);
	if (rc == ERR_OK)
		rc = catalog_drop_schema(c->fe->kv, cat, sch, true, NULL);
	if (rc)
		return rc;
	out->kind = QUERY_AFFECTED;
	out->affected = 0;
	return ERR_OK;
}

/* ---- ALTER TABLE (metadata-only parts) ----------------------------------------- */

static int set_option(struct table_info *t, const char *key, const char *value)
{
	for (uint32_t i = 0; i < t->noptions; i++)
		if (!strcmp(t->options[i].key, key)) {
			char *v = mem_strdup(value);
			if (!v)
				return ERR_NOMEM;
			mem_free(t->options[i].value);
			t->options[i].value = v;
			return ERR_OK;
		}
	return add_option(t, key, value);
}

static void unset_option(struct table_info *t, const char *key)
{
	for (uint32_t i = 0; i < t->noptions; i++)
		if (!strcmp(t->options[i].key, key)) {
			mem_free(t->options[i].key);
			mem_free(t->options[i].value);
			memmove(&t->options[i], &t->options[i + 1],
			        (t->noptions - i - 1) * sizeof(t->options[0]));
			t->noptions--;
			return;
		}
}

/* ---- ALTER TABLE ADD / DROP COLUMN ------------------------------------------- */

#define GT_TABLE_COLUMN_EXISTS 4003
#define NEXT_ID_KEY "__next_column_id"

static const char *get_option(const struct table_info *t, const char *key)
{
	for (uint32_t i = 0; i < t->noptions; i++)
		if (!strcmp(t->options[i].key, key))
			return t->options[i].value;
	return NULL;
}

static uint32_t next_column_id(const struct table_info *t, const struct region_schema *s)
{
	uint32_t next = region_schema_max_column_id(s) + 1;
	const char *v = get_option(t, NEXT_ID_KEY);
	if (v) {
		unsigned long x = strtoul(v, NULL, 10);
		if (x > next && x < UINT32_MAX)
			next = (uint32_t)x;
	}
	return next;
}

/* Insert column cs (taking its strings) at position pos, fixing the
 * index fields. */
static int schema_insert_col(struct region_schema *s, uint32_t pos, struct column_schema *cs)
{
	struct column_schema *cols = mem_realloc(s->cols, (s->ncols + 1) * sizeof(*cols));
	if (!cols)
		return ERR_NOMEM;
	s->cols = cols;
	memmove(&cols[pos + 1], &cols[pos], (s->ncols - pos) * sizeof(*cols));
	cols[pos] = *cs;
	s->ncols++;
	if (s->ts_col >= pos)
		s->ts_col++;
	for (uint32_t k = 0; k < s->npk; k++)
		if (s->pk_cols[k] >= pos)
			s->pk_cols[k]++;
	return ERR_OK;
}

/* Append column pos (a new tag) to the primary key. */
static int schema_add_tag(struct region_schema *s, uint32_t pos)
{
	uint32_t *pk = mem_realloc(s->pk_cols, (s->npk + 1) * sizeof(*pk));
	if (!pk)
		return ERR_NOMEM;
	s->pk_cols = pk;
	pk[s->npk++] = pos;
	return ERR_OK;
}

static void schema_remove_col(struct region_schema *s, uint32_t pos)
{
	mem_free(s->cols[pos].name);
	mem_free(s->cols[pos].default_sql);
	memmove(&s->cols[pos], &s->cols[pos + 1], (s->ncols - pos - 1) * sizeof(s->cols[0]));
	s->ncols--;
	if (s->ts_col > pos)
		s->ts_col--;
	for (uint32_t k = 0; k < s->npk; k++)
		if (s->pk_cols[k] > pos)
			s->pk_cols[k]--;
}

/* Apply schema nw to every region of t (standalone), then the catalog.
 * On success t->region_schema is nw (ownership taken either way). */
static int apply_schema_change(struct fe_ctx *c, struct table_info *t, struct region_schema *nw,
                               uint32_t next_id)
{
	struct frontend *fe = c->fe;
	int rc = region_schema_check_change(t->region_schema, nw);
	if (rc) {
		region_schema_free(nw);
		return fe_fail(GT_INVALID_ARGUMENTS, rc, "Invalid alter table request: %s",
		               err_msg());
	}
	char idbuf[16];
	snprintf(idbuf, sizeof(idbuf), "%" PRIu32, next_id);
	if (fe->cc) {
		/* the metasrv runs the procedure: leaders, followers, catalog */
		if ((rc = set_option(t, NEXT_ID_KEY, idbuf))) {
			region_schema_free(nw);
			return rc;
		}
		region_schema_free(t->region_schema);
		t->region_schema = nw;
		return cluster_client_alter_table(fe->cc, t);
	}
	struct table_route *route = NULL;
	rc = catalog_get_route(fe->kv, t->table_id, &route);
	for (uint32_t i = 0; rc == ERR_OK && i < route->nregions; i++) {
		uint64_t rid = route->regions[i].region_id;
		struct region_schema *cur = NULL;
		if ((rc = region_server_schema(fe->rs, rid, &cur)))
			break;
		bool done = cur->version >= nw->version;
		region_schema_free(cur);
		if (!done)
			rc = region_server_alter(fe->rs, rid, nw);
	}
	table_route_free(route);
	if (rc == ERR_OK)
		rc = set_option(t, NEXT_ID_KEY, idbuf);
	if (rc) {
		region_schema_free(nw);
		return rc;
	}
	region_schema_free(t->region_schema);
	t->region_schema = nw;
	return catalog_update_table(fe->kv, t);
}

int fe_alter_reconcile(struct frontend *fe, struct table_info *t)
{
	if (fe->cc)
		return ERR_OK;
	struct table_route *route = NULL;
	int rc = catalog_get_route(fe->kv, t->table_id, &route);
	if (rc)
		return rc;
	struct region_schema *best = NULL;
	for (uint32_t i = 0; rc == ERR_OK && i < route->nregions; i++) {
		struct region_schema *cur = NULL;
		if (region_server_schema(fe->rs, route->regions[i].region_id, &cur))
			continue; /* not open here: nothing to learn from it */
		if (cur->version > t->region_schema->version &&
		    (!best || cur->version > best->version)) {
			region_schema_free(best);
			best = cur;
		} else {
			region_schema_free(cur);
		}
	}
	if (!best) {
		table_route_free(route);
		return ERR_OK;
	}
	log_warn("table %s: completing an interrupted ALTER (schema version %" PRIu64 " -> %" PRIu64
	         ")",
	         t->name, t->region_schema->version, best->version);
	/* regions still behind take the change too (one version behind only) */
	for (uint32_t i = 0; rc == ERR_OK && i < route->nregions; i++) {
		uint64_t rid = route->regions[i].region_id;
		struct region_schema *cur = NULL;
		if (region_server_schema(fe->rs, rid, &cur))
			continue;
		if (cur->version < best->version)
			rc = region_server_alter(fe->rs, rid, best);
		region_schema_free(cur);
	}
	table_route_free(route);
	uint32_t next = next_column_id(t, t->region_schema);
	if (region_schema_max_column_id(best) + 1 > next)
		next = region_schema_max_column_id(best) + 1;
	/* private options of columns that are gone */
	for (uint32_t i = 0; i < t->region_schema->ncols; i++) {
		const char *name = t->region_schema->cols[i].name;
		if (region_schema_find(best, name) >= 0)
			continue;
		char key[512];
		snprintf(key, sizeof(key), "__comment.%s", name);
		unset_option(t, key);
		snprintf(key, sizeof(key), "__index.%s", name);
		unset_option(t, key);
	}
	char idbuf[16];
	snprintf(idbuf, sizeof(idbuf), "%" PRIu32, next);
	if (rc == ERR_OK)
		rc = set_option(t, NEXT_ID_KEY, idbuf);
	if (rc) {
		region_schema_free(best);
		return rc;
	}
	region_schema_free(t->region_schema);
	t->region_schema = best;
	return catalog_update_table(fe->kv, t);
}

static int add_column_item(struct fe_ctx *c, struct table_info *t, struct region_schema *s,
                           const struct sql_alter_item *it, uint32_t *next_id, bool *changed)
{
	const struct sql_column_def *d = &it->col;
	if (region_schema_find(s, d->name.name) >= 0) {
		if (it->if_not_exists)
			return ERR_OK;
		return fe_fail(GT_TABLE_COLUMN_EXISTS, ERR_EXISTS,
		               "Column %s already exists in table %s", d->name.name, t->name);
	}
	if (d->primary_key && (d->default_expr || d->nullable == 0))
		return fe_fail(GT_INVALID_ARGUMENTS, ERR_BAD_INPUT,
		               "Invalid alter table request: added primary key column %s must be "
		               "nullable and without a default (existing rows have it NULL)",
		               d->name.name);
	if (d->time_index)
		return fe_fail(GT_INVALID_ARGUMENTS, ERR_BAD_INPUT,
		               "Invalid alter table request: table %s already has a time index",
		               t->name);
	if (d->type.kind != SQL_TYPE_DTYPE || d->type.dtype < 0)
		return fe_fail(GT_UNSUPPORTED, ERR_UNSUPPORTED, "Not supported: data type %s of column %s",
		               d->type.text ? d->type.text : "?", d->name.raw);
	struct column_schema cs = {.type = (enum dtype)d->type.dtype,
	                           .sem = d->primary_key ? SEM_TAG : SEM_FIELD,
	                           .nullable = d->nullable != 0,
	                           .column_id = (*next_id)++};
	int rc;
	if (d->default_expr && (rc = column_default(c, d, cs.type, &cs.default_sql)))
		return rc;
	if (!cs.nullable && !cs.default_sql) {
		mem_free(cs.default_sql);
		return fe_fail(GT_INVALID_ARGUMENTS, ERR_BAD_INPUT,
		               "Invalid alter table request: column %s is NOT NULL and has no "
		               "default value, existing rows cannot take it",
		               d->name.name);
	}
	if (cs.default_sql) {
		struct datum v;
		char *owned = NULL;
		rc = column_fill_datum(&cs, &v, &owned);
		mem_free(owned);
		if (rc) {
			rc = fe_fail(GT_UNSUPPORTED, ERR_UNSUPPORTED,
			             "Not supported: default %s of added column %s (existing rows "
			             "need a constant default)",
			             cs.default_sql, d->name.name);
			mem_free(cs.default_sql);
			return rc;
		}
	}
	uint32_t pos = s->ncols;
	if (it->first) {
		pos = 0;
	} else if (it->after) {
		int a = region_schema_find(s, it->after->name);
		if (a < 0) {
			mem_free(cs.default_sql);
			return fe_fail(GT_COLUMN_NOT_FOUND, ERR_NOT_FOUND,
			               "Column %s not exists in table %s", it->after->name, t->name);
		}
		pos = (uint32_t)a + 1;
	}
	if (!(cs.name = mem_strdup(d->name.name)) || (rc = schema_insert_col(s, pos, &cs))) {
		mem_free(cs.name);
		mem_free(cs.default_sql);
		return ERR_NOMEM;
	}
	if (d->primary_key && (rc = schema_add_tag(s, pos)))
		return rc;
	char key[512];
	if (d->comment) {
		snprintf(key, sizeof(key), "__comment.%s", d->name.name);
		if ((rc = set_option(t, key, d->comment)))
			return rc;
	}
	if (d->nindexes) {
		struct buf b;
		buf_init(&b);
		index_text(c, d, &b);
		snprintf(key, sizeof(key), "__index.%s", d->name.name);
		rc = buf_cstr(&b) ? set_option(t, key, (const char *)b.data) : ERR_NOMEM;
		buf_free(&b);
		if (rc)
			return rc;
	}
	*changed = true;
	return ERR_OK;
}

static int drop_column_item(struct table_info *t, struct region_schema *s,
                            const struct sql_alter_item *it, bool *changed)
{
	const char *name = it->column.name;
	int k = region_schema_find(s, name);
	if (k < 0) {
		if (it->if_exists)
			return ERR_OK;
		return fe_fail(GT_COLUMN_NOT_FOUND, ERR_NOT_FOUND, "Column %s not exists in table %s",
		               name, t->name);
	}
	bool partition = false;
	for (uint32_t i = 0; i < t->npartition_cols; i++)
		partition = partition || !strcmp(t->partition_cols[i], name);
	if (s->cols[k].sem != SEM_FIELD || partition)
		return fe_fail(GT_INVALID_ARGUMENTS, ERR_BAD_INPUT,
		               "Not allowed to remove index column %s from table %s", name, t->name);
	char key[512];
	snprintf(key, sizeof(key), "__comment.%s", name);
	unset_option(t, key);
	snprintf(key, sizeof(key), "__index.%s", name);
	unset_option(t, key);
	schema_remove_col(s, (uint32_t)k);
	*changed = true;
	return ERR_OK;
}

/* ADD/DROP COLUMN items of an ALTER TABLE, in order, as one schema change. */
static int alter_columns(struct fe_ctx *c, struct table_info *t, const struct sql_alter_table *at)
{
	int rc = fe_alter_reconcile(c->fe, t);
	if (rc)
		return rc;
	struct region_schema *nw = region_schema_clone(t->region_schema);
	if (!nw)
		return ERR_NOMEM;
	nw->version = t->region_schema->version + 1;
	uint32_t next_id = next_column_id(t, t->region_schema);
	bool changed = false;
	for (size_t i = 0; rc == ERR_OK && i < at->nitems; i++) {
		const struct sql_alter_item *it = &at->items[i];
		if (it->kind == SQL_ALTER_ADD_COLUMN)
			rc = add_column_item(c, t, nw, it, &next_id, &changed);
		else
			rc = drop_column_item(t, nw, it, &changed);
	}
	if (rc == ERR_OK && changed)
		return apply_schema_change(c, t, nw, next_id);
	region_schema_free(nw);
	return rc;
}

int fe_alter_add_fields(struct fe_ctx *c, struct table_info *t, const struct fe_new_field *f,
                        uint32_t n)
{
	int rc = fe_alter_reconcile(c->fe, t);
	if (rc)
		return rc;
	struct region_schema *nw = region_schema_clone(t->region_schema);
	if (!nw)
		return ERR_NOMEM;
	nw->version = t->region_schema->version + 1;
	uint32_t next_id = next_column_id(t, t->region_schema);
	for (uint32_t i = 0; rc == ERR_OK && i < n; i++) {
		if (region_schema_find(nw, f[i].name) >= 0)
			continue;
		struct column_schema cs = {.type = f[i].type,
		                           .sem = f[i].tag ? SEM_TAG : SEM_FIELD,
		                           .nullable = true,
		                           .column_id = next_id++};
		if (!(cs.name = mem_strdup(f[i].name)))
			rc = ERR_NOMEM;
		else if ((rc = schema_insert_col(nw, nw->ncols, &cs)))
			mem_free(cs.name);
		else if (f[i].tag)
			rc = schema_add_tag(nw, nw->ncols - 1);
	}
	if (rc) {
		region_schema_free(nw);
		return rc;
	}
	return apply_schema_change(c, t, nw, next_id);
}

/* ---- ALTER TABLE ... REPARTITION / SPLIT PARTITION / MERGE PARTITION ----------
 * GreptimeDB's validation, in its order: a logical (metric) table cannot
 * be repartitioned (1001); every column of the from/into expressions must
 * be a partition column (1004 "Cannot find column by name"); every from
 * expression must be one of the table's rules, compared by canonical text
 * (1004 "... does not exist in table"); the resulting rule set (the table's
 * rules without the from expressions, plus the into expressions) passes
 * the checkpoint coverage check. A valid request is then refused with
 * 1001: Strata cannot split or merge regions. */

static int repart_find_column(const struct table_info *t, const struct sql_expr *e, int depth)
{
	if (!e)
		return ERR_OK;
	if (depth > SQL_MAX_DEPTH)
		return fe_fail(GT_INVALID_ARGUMENTS, ERR_LIMIT, "partition rule nested too deeply");
	switch (e->kind) {
	case SQL_E_NESTED: return repart_find_column(t, e->v.inner, depth + 1);
	case SQL_E_UNARY: return repart_find_column(t, e->v.unary.arg, depth + 1);
	case SQL_E_BINARY: {
		int rc = repart_find_column(t, e->v.binary.left, depth + 1);
		return rc ? rc : repart_find_column(t, e->v.binary.right, depth + 1);
	}
	case SQL_E_COLUMN: {
		const struct sql_ident *id = &e->v.name.part[e->v.name.n - 1];
		for (uint32_t i = 0; i < t->npartition_cols; i++)
			if (!strcmp(t->partition_cols[i], id->name) ||
			    (id->quote == 0 && !strcasecmp(t->partition_cols[i], id->name)))
				return ERR_OK;
		return fe_fail(GT_INVALID_ARGUMENTS, ERR_BAD_INPUT, "Cannot find column by name: %s",
		               id->name);
	}
	default: return ERR_OK;
	}
}

static int alter_repartition(struct fe_ctx *c, const struct table_info *t,
                             const struct sql_alter_item *it)
{
	const char *phys = NULL;
	for (uint32_t i = 0; i < t->noptions; i++)
		if (!strcmp(t->options[i].key, "on_physical_table"))
			phys = t->options[i].value;
	if (t->engine && !strcmp(t->engine, "metric") && phys)
		return fe_fail(GT_UNSUPPORTED, ERR_UNSUPPORTED,
		               "Not supported: REPARTITION on logical tables");
	int rc;
	for (size_t i = 0; i < it->nfrom; i++)
		if ((rc = repart_find_column(t, it->from[i], 0)))
			return rc;
	for (size_t i = 0; i < it->nto; i++)
		if ((rc = repart_find_column(t, it->to[i], 0)))
			return rc;
	/* the table's rules, parsed and printed the way from expressions are */
	uint32_t nr = t->nrules;
	struct sql_expr **rules = arena_alloc(c->a, (nr + 1) * sizeof(*rules));
	bool *removed = arena_alloc(c->a, (nr + 1) * sizeof(*removed));
	const char **texts = arena_alloc(c->a, (nr + 1) * sizeof(*texts));
	if (!rules || !removed || !texts)
		return ERR_NOMEM;
	for (uint32_t i = 0; i < nr; i++) {
		removed[i] = false;
		if ((rc = sql_parse_expr(t->rules[i], strlen(t->rules[i]), SQL_DIALECT_GREPTIME, c->a,
		                         &rules[i])))
			return rc;
		if (!(texts[i] = fe_expr_text(c, rules[i])))
			return ERR_NOMEM;
	}
	for (size_t i = 0; i < it->nfrom; i++) {
		const char *want = fe_expr_text(c, it->from[i]);
		if (!want)
			return ERR_NOMEM;
		uint32_t k = 0;
		while (k < nr && strcmp(texts[k], want))
			k++;
		if (k == nr)
			return fe_fail(GT_INVALID_ARGUMENTS, ERR_BAD_INPUT,
			               "Invalid partition rule: partition expression '%s' does not "
			               "exist in table %s.%s.%s",
			               want, t->catalog, t->schema, t->name);
		removed[k] = true;
	}
	/* MERGE keeps the space the merged rules covered: only a split or a
	 * repartition can leave a gap or an overlap */
	if (it->kind != SQL_ALTER_MERGE_PARTITION) {
		size_t n = 0;
		struct sql_expr **next = arena_alloc(c->a, (nr + it->nto + 1) * sizeof(*next));
		if (!next)
			return ERR_NOMEM;
		for (uint32_t i = 0; i < nr; i++)
			if (!removed[i])
				next[n++] = rules[i];
		for (size_t i = 0; i < it->nto; i++)
			next[n++] = it->to[i];
		if (n > FE_MAX_PARTITIONS)
			return fe_fail(GT_INVALID_ARGUMENTS, ERR_LIMIT,
			               "Invalid partition rule: %zu partitions, at most %d are allowed",
			               n, FE_MAX_PARTITIONS);
		if ((rc = part_rules_check(c, t->region_schema,
		                           (const char *const *)t->partition_cols, t->npartition_cols,
		                           next, (uint32_t)n)))
			return rc;
	}
	return fe_fail(GT_UNSUPPORTED, ERR_UNSUPPORTED,
	               "Not supported: %s (splitting or merging the regions of a table is not "
	               "implemented)",
	               it->kind == SQL_ALTER_SPLIT_PARTITION   ? "SPLIT PARTITION"
	               : it->kind == SQL_ALTER_MERGE_PARTITION ? "MERGE PARTITION"
	                                                       : "REPARTITION");
}

int fe_alter_table(struct fe_ctx *c, struct query_result *out)
{
	const struct sql_alter_table *at = c->st->u.alter;
	if (at->database)
		return fe_fail(GT_UNSUPPORTED, ERR_UNSUPPORTED, "Not supported: ALTER DATABASE");
	const char *cat, *sch, *name;
	int rc = fe_split_name(c, &at->name, &cat, &sch, &name);
	struct table_info *t = NULL;
	if (rc || (rc = fe_get_table(c, cat, sch, name, &t)))
		return rc;
	for (size_t i = 0; i < at->nitems; i++) {
		int k = at->items[i].kind;
		if (k == SQL_ALTER_REPARTITION || k == SQL_ALTER_SPLIT_PARTITION ||
		    k == SQL_ALTER_MERGE_PARTITION) {
			rc = alter_repartition(c, t, &at->items[i]);
			table_info_free(t);
			return rc;
		}
	}
	/* ADD/DROP COLUMN: one schema change for all the items (mixing them
	 * with other kinds is refused below) */
	size_t ncolumn_items = 0;
	for (size_t i = 0; i < at->nitems; i++)
		ncolumn_items += at->items[i].kind == SQL_ALTER_ADD_COLUMN ||
		                 at->items[i].kind == SQL_ALTER_DROP_COLUMN;
	if (ncolumn_items && ncolumn_items == at->nitems) {
		rc = alter_columns(c, t, at);
		table_info_free(t);
		if (rc == ERR_OK) {
			out->kind = QUERY_AFFECTED;
			out->affected = 0;
		}
		return rc;
	}
	for (size_t i = 0; rc == ERR_OK && i < at->nitems; i++) {
		const struct sql_alter_item *it = &at->items[i];
		if (it->kind == SQL_ALTER_SET_OPTIONS) {
			for (size_t j = 0; rc == ERR_OK && j < it->nopts; j++) {
				char *shown = NULL;
				struct region_options ro = t->region_schema->opts;
				rc = apply_option(c, it->opts[j].key,
				                  it->opts[j].value ? it->opts[j].value : "", &ro,
				                  &shown);
				if (rc == ERR_OK)
					rc = set_option(t, it->opts[j].key, shown);
				mem_free(shown);
			}
		} else if (it->kind == SQL_ALTER_UNSET_OPTIONS) {
			for (size_t j = 0; j < it->nopts; j++)
				unset_option(t, it->opts[j].key);
		} else {
			rc = fe_fail(GT_UNSUPPORTED, ERR_UNSUPPORTED,
			             "Not supported: this ALTER TABLE operation (only ADD/DROP "
			             "COLUMN and SET/UNSET options, not mixed)");
		}
	}
	if (rc == ERR_OK)
		rc = catalog_update_table(c->fe->kv, t);
	table_info_free(t);
	if (rc == ERR_OK) {
		out->kind = QUERY_AFFECTED;
		out->affected = 0;
	}
	return rc;
}

/* ---- USE ------------------------------------------------------------------- */

int fe_use(struct fe_ctx *c, struct query_result *out)
{
	const char *sch = c->st->u.use.name;
	if (!fe_schema_exists(c, c->s->catalog, sch))
		return fe_fail(GT_DATABASE_NOT_FOUND, ERR_NOT_FOUND,
		               "Database not found: catalog=%s, schema=%s", c->s->catalog, sch);
	snprintf(c->s->schema, sizeof(c->s->schema), "%s", sch);
	out->kind = QUERY_AFFECTED;
	out->affected = 0;
	return ERR_OK;
}
