/*
 * session: per-connection state shared by the protocol servers and the SQL
 * engine, and the result-set helpers of the handler interface. See
 * handler.h for ownership and threading rules.
 *
 * The variable store is a small fixed array (SESSION_MAX_VARS entries),
 * names lower-cased; it holds the variables no dedicated field covers
 * (application_name, extra_float_digits, sql_mode, ...).
 */
#include "server/handler.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/mem.h"

void session_init(struct session *s, int protocol, uint32_t conn_id)
{
	memset(s, 0, sizeof(*s));
	strcpy(s->catalog, "greptime");
	strcpy(s->schema, "public");
	strcpy(s->time_zone, "UTC");
	s->protocol = protocol;
	s->conn_id = conn_id;
	s->read_preference = READ_PREF_LEADER;
	atomic_init(&s->cancel, 0);
}

int session_set_var(struct session *s, const char *name, const char *value)
{
	size_t nl = strlen(name), vl = strlen(value);
	if (nl == 0 || nl >= SESSION_VAR_NAME_MAX)
		return err_set(ERR_LIMIT, "session variable name too long: %.64s", name);
	if (vl >= SESSION_VAR_VALUE_MAX)
		return err_set(ERR_LIMIT, "value of session variable %s too long", name);
	struct session_var *v = NULL;
	for (uint32_t i = 0; i < s->nvars; i++)
		if (!strcasecmp(s->vars[i].name, name))
			v = &s->vars[i];
	if (!v) {
		if (s->nvars >= SESSION_MAX_VARS)
			return err_set(ERR_LIMIT, "too many session variables");
		v = &s->vars[s->nvars++];
		for (size_t i = 0; i <= nl; i++)
			v->name[i] = (char)tolower((unsigned char)name[i]);
	}
	memcpy(v->value, value, vl + 1);
	return ERR_OK;
}

const char *session_get_var(const struct session *s, const char *name)
{
	for (uint32_t i = 0; i < s->nvars; i++)
		if (!strcasecmp(s->vars[i].name, name))
			return s->vars[i].value;
	return NULL;
}

bool session_timed_out(const struct session *s)
{
	return s->deadline_ms > 0 && clock_mono_ns() / 1000000 >= s->deadline_ms;
}

bool session_cancelled(const struct session *s)
{
	return atomic_load_explicit(&((struct session *)s)->cancel, memory_order_relaxed) != 0 ||
	       session_timed_out(s);
}

void session_request_cancel(struct session *s) { atomic_store(&s->cancel, 1); }

int session_mem_charge(struct session *s, int64_t bytes)
{
	if (!s)
		return ERR_OK;
	if (bytes < 0)
		s->mem_used = (uint64_t)-bytes > s->mem_used ? 0 : s->mem_used - (uint64_t)-bytes;
	else
		s->mem_used += (uint64_t)bytes;
	if (s->mem_limit && bytes > 0 && s->mem_used > s->mem_limit)
		return err_set(ERR_NOMEM, /* MySQL 1041, SQLSTATE 53200 out_of_memory */
		               "Query exceeded the memory limit of %llu bytes (--query-memory-limit); "
		               "add filters or a LIMIT, or aggregate over fewer groups",
		               (unsigned long long)s->mem_limit);
	return ERR_OK;
}
void session_clear_cancel(struct session *s) { atomic_store(&s->cancel, 0); }

const char *read_preference_name(int pref)
{
	switch (pref) {
	case READ_PREF_FOLLOWER: return "FOLLOWER";
	case READ_PREF_FOLLOWER_PREFERRED: return "FOLLOWER_PREFERRED";
	case READ_PREF_RANDOM: return "RANDOM";
	default: return "LEADER";
	}
}

int result_set_init(struct result_set *rs, uint32_t ncols, const char *const *names,
		    const enum dtype *types)
{
	memset(rs, 0, sizeof(*rs));
	int rc = ERR_NOMEM;
	rs->names = mem_calloc(ncols ? ncols : 1, sizeof(char *));
	rs->types = mem_calloc(ncols ? ncols : 1, sizeof(enum dtype));
	if (!rs->names || !rs->types)
		goto fail;
	rs->ncols = ncols;
	for (uint32_t i = 0; i < ncols; i++) {
		rs->names[i] = mem_strdup(names[i] ? names[i] : "");
		if (!rs->names[i])
			goto fail;
		rs->types[i] = types[i];
	}
	if ((rc = batch_init(&rs->rows, ncols, types)))
		goto fail;
	return ERR_OK;
fail:
	result_set_free(rs);
	return rc;
}

void result_set_free(struct result_set *rs)
{
	if (rs->names)
		for (uint32_t i = 0; i < rs->ncols; i++)
			mem_free(rs->names[i]);
	mem_free(rs->names);
	mem_free(rs->types);
	mem_free(rs->kinds);
	if (rs->rows.cols)
		batch_free(&rs->rows);
	memset(rs, 0, sizeof(*rs));
}

int result_set_set_kind(struct result_set *rs, uint32_t col, uint8_t kind)
{
	if (col >= rs->ncols)
		return err_set(ERR_INTERNAL, "result column %u out of range", col);
	if (!rs->kinds) {
		if (kind == RS_KIND_PLAIN)
			return ERR_OK;
		if (!(rs->kinds = mem_calloc(rs->ncols, 1)))
			return ERR_NOMEM;
	}
	rs->kinds[col] = kind;
	return ERR_OK;
}

uint8_t result_set_kind(const struct result_set *rs, uint32_t col)
{
	return rs->kinds && col < rs->ncols ? rs->kinds[col] : RS_KIND_PLAIN;
}
