/*
 * manifest: a region's versioned file list in the object store. See
 * manifest.h for the API; this comment owns the format.
 *
 * Objects, under the region folder R (e.g.
 * "data/greptime/public/1024/1024_0000000000/"):
 *   R/manifest/{v:020}.json        delta of version v (20 decimal digits,
 *                                  zero-padded, so names sort by version)
 *   R/manifest/{v:020}.checkpoint  full state at version v
 *   R/manifest/_last_checkpoint    {"version":v}: the newest checkpoint
 * Other names in R/manifest/ are ignored.
 *
 * Delta: {"actions":[ACTION, ...]} with at least one action; each ACTION is
 * an object with exactly one member naming its kind:
 *   {"Change":{"schema":SCHEMA}}          SCHEMA = region_schema_to_json
 *   {"Edit":{"files_to_add":[FILE...],    added after the removals;
 *            "files_to_remove":[{"file_id":"..."}...],  extra members ignored
 *            "flushed_sequence":U64,      raises flushed_sequence (max)
 *            "compaction_time_window_s":I64}}  optional, written when != 0
 *                                         (files_to_add/remove and
 *                                         flushed_sequence may be absent
 *                                         on read: empty / 0)
 *   {"Truncate":{"truncated_sequence":U64}}  drops every file;
 *                                         flushed = truncated = U64
 *   {"Remove":{}}                         the region was dropped
 *   FILE = {"file_id":"<uuid>","level":U32,"time_range":[I64 min,I64 max],
 *           "num_rows":U64,"file_size":U64,"max_sequence":U64}, all required
 *           on read; file_id is 1..39 chars of [A-Za-z0-9_-]; min <= max.
 *
 * Checkpoint: {"version":U64 (= the name's version),"schema":SCHEMA,
 *   "files":[FILE...],"flushed_sequence":U64,"truncated_sequence":U64,
 *   "removed":BOOL,"compaction_time_window_s":I64 (optional on read)}.
 *
 * 64-bit integers (U64, I64): written as plain JSON integers ("%llu") when
 * |value| <= 2^53, where a double (cJSON's number type, and JavaScript's)
 * holds them exactly, and as decimal strings ("18446744073709551615")
 * above. Readers accept both forms, reject numbers that are fractional,
 * negative where unsigned, or beyond 2^53 (they may have lost digits), and
 * reject strings that are not plain decimal integers in range.
 *
 * Writing (the leader): version 0 (a Change) at create, refused when any
 * manifest object exists. Commit v+1 = put-if-absent of the delta; it is the
 * commit point: after it the version exists forever (until GC) and is
 * applied in memory. A put that finds the version present reads it back: the
 * same bytes mean our own earlier attempt landed (an ambiguous failure being
 * retried) and count as success, different bytes mean another writer won
 * (ERR_CONFLICT). After committing v with v % 10 == 0 (or after any commit
 * while an earlier checkpoint is still owed because it failed), the
 * checkpoint v is put and then _last_checkpoint; neither is a commit point,
 * a failure is only logged.
 *
 * Reading / recovery: list R/manifest/, start from the newest checkpoint
 * (<= the wanted version) or, without one, from delta 0, then apply deltas
 * one by one until the wanted version or, for "latest", the first missing
 * delta. Deltas are contiguous from any checkpoint on (commit v+1 waits for
 * v; GC only deletes objects older than a checkpoint), so the first gap is
 * the end. Listing instead of trusting _last_checkpoint keeps recovery right
 * after a crash between a checkpoint and its _last_checkpoint and a GC that
 * already used the newer checkpoint; _last_checkpoint is kept current for
 * other readers and tools. Any object that fails to parse is ERR_CORRUPT
 * with the object's key in the message.
 *
 * GC (manifest_delete_before): keeps the newest checkpoint C <= the given
 * version (after checking that it parses) and everything newer; deletes
 * older deltas and checkpoints, after pointing _last_checkpoint at C or
 * later.
 */
#include "storage/manifest.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/fault.h"
#include "base/log.h"
#include "base/mem.h"

#define EXACT_MAX (UINT64_C(1) << 53)
#define KEY_CAP 1280
#define LAST_CHECKPOINT "_last_checkpoint"

struct manifest {
	struct objstore *os;
	char *dir;               /* "R/manifest/" */
	pthread_mutex_t io_mu;   /* one commit / install / GC at a time */
	pthread_mutex_t mu;      /* guards st against readers; writers also hold io_mu */
	struct manifest_state st;
	bool checkpoint_owed;    /* a checkpoint failed; retry after the next commit */
};

/* --- keys ---------------------------------------------------------------- */

static void delta_key(const struct manifest *m, uint64_t v, char *key)
{
	snprintf(key, KEY_CAP, "%s%020" PRIu64 ".json", m->dir, v);
}

static void checkpoint_key(const struct manifest *m, uint64_t v, char *key)
{
	snprintf(key, KEY_CAP, "%s%020" PRIu64 ".checkpoint", m->dir, v);
}

/* Parse "{20 digits}{suffix}" into *v; 0 when name is not such a name. */
static int parse_name(const char *name, const char *suffix, uint64_t *v)
{
	for (int i = 0; i < 20; i++)
		if (name[i] < '0' || name[i] > '9')
			return 0;
	if (strcmp(name + 20, suffix) != 0)
		return 0;
	char digits[21];
	memcpy(digits, name, 20);
	digits[20] = '\0';
	/* 20 digits may exceed UINT64_MAX: compare as strings */
	if (strcmp(digits, "18446744073709551615") > 0)
		return 0;
	*v = strtoull(digits, NULL, 10);
	return 1;
}

/* The versions of the deltas and checkpoints present, ascending. */
struct listing {
	uint64_t *deltas, *cps;
	size_t nd, nc;
	size_t nother; /* other objects (_last_checkpoint, unknown names) */
};

static void listing_free(struct listing *l)
{
	mem_free(l->deltas);
	mem_free(l->cps);
	memset(l, 0, sizeof(*l));
}

static int list_manifest(struct objstore *os, const char *dir, struct listing *out)
{
	memset(out, 0, sizeof(*out));
	struct objstore_list l;
	int rc = objstore_list(os, dir, &l);
	if (rc)
		return err_wrap("list manifest %s", dir);
	size_t dlen = strlen(dir);
	out->deltas = mem_calloc(l.n ? l.n : 1, sizeof(uint64_t));
	out->cps = mem_calloc(l.n ? l.n : 1, sizeof(uint64_t));
	if (!out->deltas || !out->cps) {
		rc = ERR_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < l.n; i++) {
		const char *name = l.keys[i] + dlen;
		uint64_t v;
		if (strlen(name) < 20)
			out->nother++;
		else if (parse_name(name, ".json", &v))
			out->deltas[out->nd++] = v;
		else if (parse_name(name, ".checkpoint", &v))
			out->cps[out->nc++] = v;
		else
			out->nother++;
	}
out:
	objstore_list_free(&l);
	if (rc)
		listing_free(out);
	return rc;
}

/* Newest checkpoint <= limit; 0 when none. */
static int newest_checkpoint(const struct listing *l, uint64_t limit, uint64_t *v)
{
	int found = 0;
	for (size_t i = 0; i < l->nc; i++)
		if (l->cps[i] <= limit && (!found || l->cps[i] > *v)) {
			*v = l->cps[i];
			found = 1;
		}
	return found;
}

/* --- 64-bit integers in JSON --------------------------------------------- */

static cJSON *json_u64(uint64_t v)
{
	char b[32];
	snprintf(b, sizeof(b), "%" PRIu64, v);
	return v <= EXACT_MAX ? cJSON_CreateRaw(b) : cJSON_CreateString(b);
}

static cJSON *json_i64(int64_t v)
{
	char b[32];
	snprintf(b, sizeof(b), "%" PRId64, v);
	int exact = v >= -(int64_t)EXACT_MAX && v <= (int64_t)EXACT_MAX;
	return exact ? cJSON_CreateRaw(b) : cJSON_CreateString(b);
}

/* Whole-string decimal integer with an optional '-' when `sign`. */
static int decimal_string(const char *s, int sign)
{
	if (sign && *s == '-')
		s++;
	if (!*s || strlen(s) > 20)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

static int read_u64(const cJSON *j, uint64_t *out)
{
	if (cJSON_IsNumber(j)) {
		double d = j->valuedouble;
		if (!(d >= 0 && d <= (double)EXACT_MAX) || d != floor(d))
			return 0;
		*out = (uint64_t)d;
		return 1;
	}
	if (cJSON_IsString(j) && decimal_string(j->valuestring, 0)) {
		errno = 0;
		unsigned long long v = strtoull(j->valuestring, NULL, 10);
		if (errno)
			return 0;
		*out = v;
		return 1;
	}
	return 0;
}

static int read_i64(const cJSON *j, int64_t *out)
{
	if (cJSON_IsNumber(j)) {
		double d = j->valuedouble;
		if (!(d >= -(double)EXACT_MAX && d <= (double)EXACT_MAX) || d != floor(d))
			return 0;
		*out = (int64_t)d;
		return 1;
	}
	if (cJSON_IsString(j) && decimal_string(j->valuestring, 1)) {
		errno = 0;
		long long v = strtoll(j->valuestring, NULL, 10);
		if (errno)
			return 0;
		*out = v;
		return 1;
	}
	return 0;
}

/* Reading context: the object's key for error messages. */
static int corrupt(const char *src, const char *what)
{
	return err_set(ERR_CORRUPT, "manifest %s: %s", src, what);
}

static int get_u64(const cJSON *o, const char *name, const char *src, int required, uint64_t *out)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, name);
	if (!j) {
		*out = 0;
		return required ? err_set(ERR_CORRUPT, "manifest %s: missing '%s'", src, name)
				: ERR_OK;
	}
	if (!read_u64(j, out))
		return err_set(ERR_CORRUPT, "manifest %s: '%s' is not an unsigned 64-bit integer",
			       src, name);
	return ERR_OK;
}

static int get_i64(const cJSON *o, const char *name, const char *src, int required, int64_t *out)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, name);
	if (!j) {
		*out = 0;
		return required ? err_set(ERR_CORRUPT, "manifest %s: missing '%s'", src, name)
				: ERR_OK;
	}
	if (!read_i64(j, out))
		return err_set(ERR_CORRUPT, "manifest %s: '%s' is not a 64-bit integer", src,
			       name);
	return ERR_OK;
}

/* Parse a whole object; trailing bytes other than whitespace are corrupt. */
static int parse_json(const uint8_t *data, size_t len, const char *src, cJSON **out)
{
	const char *end = NULL;
	*out = NULL;
	cJSON *j = cJSON_ParseWithLengthOpts((const char *)data, len, &end, 0);
	if (!j)
		return corrupt(src, "invalid or truncated JSON");
	for (const char *p = end; p && p < (const char *)data + len; p++)
		if (*p != ' ' && *p != '\n' && *p != '\r' && *p != '\t') {
			cJSON_Delete(j);
			return corrupt(src, "trailing bytes after the JSON value");
		}
	if (!cJSON_IsObject(j)) {
		cJSON_Delete(j);
		return corrupt(src, "not a JSON object");
	}
	*out = j;
	return ERR_OK;
}

/* --- files ---------------------------------------------------------------- */

static int valid_file_id(const char *s)
{
	size_t n = strnlen(s, MANIFEST_FILE_ID_MAX);
	if (n == 0 || n >= MANIFEST_FILE_ID_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      c == '-' || c == '_'))
			return 0;
	}
	return 1;
}

/* Append `it` to object/array `o`; on any NULL, flags *oom and frees it. */
static void add_item(cJSON *o, const char *name, cJSON *it, int *oom)
{
	if (!it || !o) {
		cJSON_Delete(it);
		*oom = 1;
		return;
	}
	int ok = name ? cJSON_AddItemToObject(o, name, it) : cJSON_AddItemToArray(o, it);
	if (!ok) {
		cJSON_Delete(it);
		*oom = 1;
	}
}

static cJSON *file_to_json(const struct manifest_file *f, int *oom)
{
	cJSON *o = cJSON_CreateObject();
	add_item(o, "file_id", cJSON_CreateString(f->file_id), oom);
	add_item(o, "level", json_u64(f->level), oom);
	cJSON *tr = cJSON_CreateArray();
	add_item(tr, NULL, json_i64(f->ts_min), oom);
	add_item(tr, NULL, json_i64(f->ts_max), oom);
	add_item(o, "time_range", tr, oom);
	add_item(o, "num_rows", json_u64(f->num_rows), oom);
	add_item(o, "file_size", json_u64(f->file_size), oom);
	add_item(o, "max_sequence", json_u64(f->max_sequence), oom);
	return o;
}

static int file_id_from_json(const cJSON *o, const char *src, struct manifest_file *f)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "file_id");
	if (!cJSON_IsString(id) || !valid_file_id(id->valuestring))
		return corrupt(src, "file entry lacks a valid 'file_id'");
	strcpy(f->file_id, id->valuestring);
	return ERR_OK;
}

static int file_from_json(const cJSON *o, const char *src, struct manifest_file *f)
{
	memset(f, 0, sizeof(*f));
	if (!cJSON_IsObject(o))
		return corrupt(src, "file entry is not an object");
	int rc = file_id_from_json(o, src, f);
	uint64_t level = 0;
	if (!rc)
		rc = get_u64(o, "level", src, 1, &level);
	if (!rc && level > UINT32_MAX)
		rc = corrupt(src, "file level out of range");
	f->level = (uint32_t)level;
	const cJSON *tr = cJSON_GetObjectItemCaseSensitive(o, "time_range");
	if (!rc && (!cJSON_IsArray(tr) || cJSON_GetArraySize(tr) != 2 ||
		    !read_i64(cJSON_GetArrayItem(tr, 0), &f->ts_min) ||
		    !read_i64(cJSON_GetArrayItem(tr, 1), &f->ts_max) || f->ts_min > f->ts_max))
		rc = corrupt(src, "file 'time_range' is not [min, max]");
	if (!rc)
		rc = get_u64(o, "num_rows", src, 1, &f->num_rows);
	if (!rc)
		rc = get_u64(o, "file_size", src, 1, &f->file_size);
	if (!rc)
		rc = get_u64(o, "max_sequence", src, 1, &f->max_sequence);
	return rc;
}

/* Parse a JSON array of files into a new array (NULL when empty). */
static int files_from_json(const cJSON *arr, const char *src, int id_only,
			   struct manifest_file **out, uint32_t *n)
{
	*out = NULL;
	*n = 0;
	if (!arr)
		return ERR_OK;
	if (!cJSON_IsArray(arr))
		return corrupt(src, "file list is not an array");
	int cnt = cJSON_GetArraySize(arr);
	if (cnt == 0)
		return ERR_OK;
	struct manifest_file *v = mem_calloc((size_t)cnt, sizeof(*v));
	if (!v)
		return ERR_NOMEM;
	uint32_t i = 0;
	const cJSON *it;
	cJSON_ArrayForEach(it, arr)
	{
		int rc = id_only ? (cJSON_IsObject(it) ? file_id_from_json(it, src, &v[i])
						       : corrupt(src, "file entry is not an object"))
				 : file_from_json(it, src, &v[i]);
		if (rc) {
			mem_free(v);
			return rc;
		}
		i++;
	}
	*out = v;
	*n = i;
	return ERR_OK;
}

/* --- state ---------------------------------------------------------------- */

void manifest_state_free(struct manifest_state *s)
{
	if (!s)
		return;
	region_schema_free(s->schema);
	mem_free(s->files);
	memset(s, 0, sizeof(*s));
}

static int state_clone(struct manifest_state *dst, const struct manifest_state *src)
{
	*dst = *src;
	dst->schema = NULL;
	dst->files = NULL;
	if (src->schema && !(dst->schema = region_schema_clone(src->schema)))
		goto oom;
	if (src->nfiles && !(dst->files = mem_dup(src->files, src->nfiles * sizeof(*src->files))))
		goto oom;
	return ERR_OK;
oom:
	manifest_state_free(dst);
	return ERR_NOMEM;
}

static int find_file(const struct manifest_state *s, const char *id)
{
	for (uint32_t i = 0; i < s->nfiles; i++)
		if (!strcmp(s->files[i].file_id, id))
			return (int)i;
	return -1;
}

/* Apply one action in place. On error (ERR_NOMEM) `s` may be half-updated;
 * callers apply to a copy. */
static int apply_action(struct manifest_state *s, const struct manifest_action *a)
{
	switch (a->type) {
	case MANIFEST_CHANGE: {
		struct region_schema *c = region_schema_clone(a->schema);
		if (!c)
			return ERR_NOMEM;
		region_schema_free(s->schema);
		s->schema = c;
		return ERR_OK;
	}
	case MANIFEST_EDIT: {
		for (uint32_t r = 0; r < a->nremove; r++) {
			int i = find_file(s, a->remove[r].file_id);
			if (i < 0)
				continue;
			memmove(&s->files[i], &s->files[i + 1],
				(s->nfiles - (uint32_t)i - 1) * sizeof(*s->files));
			s->nfiles--;
		}
		if (a->nadd) {
			size_t need = (size_t)s->nfiles + a->nadd;
			struct manifest_file *f = mem_realloc(s->files, need * sizeof(*f));
			if (!f)
				return ERR_NOMEM;
			s->files = f;
		}
		for (uint32_t k = 0; k < a->nadd; k++) {
			int i = find_file(s, a->add[k].file_id);
			if (i >= 0)
				s->files[i] = a->add[k];
			else
				s->files[s->nfiles++] = a->add[k];
		}
		if (a->flushed_sequence > s->flushed_sequence)
			s->flushed_sequence = a->flushed_sequence;
		if (a->compaction_window_s != 0)
			s->compaction_window_s = a->compaction_window_s;
		return ERR_OK;
	}
	case MANIFEST_TRUNCATE:
		s->nfiles = 0;
		s->truncated_sequence = a->truncated_sequence;
		s->flushed_sequence = a->truncated_sequence;
		return ERR_OK;
	case MANIFEST_REMOVE:
		s->removed = true;
		return ERR_OK;
	}
	return err_set(ERR_INTERNAL, "manifest: unknown action type %d", (int)a->type);
}

/* --- actions <-> JSON ----------------------------------------------------- */

static cJSON *action_to_json(const struct manifest_action *a, int *oom)
{
	cJSON *wrap = cJSON_CreateObject();
	cJSON *body = cJSON_CreateObject();
	switch (a->type) {
	case MANIFEST_CHANGE:
		add_item(body, "schema", region_schema_to_json(a->schema), oom);
		add_item(wrap, "Change", body, oom);
		break;
	case MANIFEST_EDIT: {
		cJSON *add = cJSON_CreateArray();
		for (uint32_t i = 0; i < a->nadd; i++)
			add_item(add, NULL, file_to_json(&a->add[i], oom), oom);
		add_item(body, "files_to_add", add, oom);
		cJSON *rm = cJSON_CreateArray();
		for (uint32_t i = 0; i < a->nremove; i++) {
			cJSON *o = cJSON_CreateObject();
			add_item(o, "file_id", cJSON_CreateString(a->remove[i].file_id), oom);
			add_item(rm, NULL, o, oom);
		}
		add_item(body, "files_to_remove", rm, oom);
		add_item(body, "flushed_sequence", json_u64(a->flushed_sequence), oom);
		if (a->compaction_window_s)
			add_item(body, "compaction_time_window_s", json_i64(a->compaction_window_s),
				 oom);
		add_item(wrap, "Edit", body, oom);
		break;
	}
	case MANIFEST_TRUNCATE:
		add_item(body, "truncated_sequence", json_u64(a->truncated_sequence), oom);
		add_item(wrap, "Truncate", body, oom);
		break;
	case MANIFEST_REMOVE:
		add_item(wrap, "Remove", body, oom);
		break;
	}
	return wrap;
}

/* An action parsed from JSON, owning what it points to. */
struct owned_action {
	struct manifest_action a;
	struct region_schema *schema;
	struct manifest_file *add, *remove;
};

static void owned_free(struct owned_action *v, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		region_schema_free(v[i].schema);
		mem_free(v[i].add);
		mem_free(v[i].remove);
	}
	mem_free(v);
}

static int schema_from(const cJSON *j, const char *src, struct region_schema **out)
{
	*out = NULL;
	if (!cJSON_IsObject(j))
		return corrupt(src, "missing 'schema' object");
	int rc = region_schema_from_json(j, out);
	if (rc)
		return err_wrap("manifest %s", src);
	return ERR_OK;
}

static int action_from_json(const cJSON *w, const char *src, struct owned_action *oa)
{
	memset(oa, 0, sizeof(*oa));
	if (!cJSON_IsObject(w) || !w->child || w->child->next)
		return corrupt(src, "an action must be an object with exactly one member");
	const cJSON *body = w->child;
	const char *kind = body->string;
	if (!cJSON_IsObject(body))
		return err_set(ERR_CORRUPT, "manifest %s: action '%s' is not an object", src, kind);
	int rc = ERR_OK;
	if (!strcmp(kind, "Change")) {
		oa->a.type = MANIFEST_CHANGE;
		rc = schema_from(cJSON_GetObjectItemCaseSensitive(body, "schema"), src, &oa->schema);
		oa->a.schema = oa->schema;
	} else if (!strcmp(kind, "Edit")) {
		oa->a.type = MANIFEST_EDIT;
		rc = files_from_json(cJSON_GetObjectItemCaseSensitive(body, "files_to_add"), src, 0,
				     &oa->add, &oa->a.nadd);
		if (!rc)
			rc = files_from_json(cJSON_GetObjectItemCaseSensitive(body, "files_to_remove"),
					     src, 1, &oa->remove, &oa->a.nremove);
		if (!rc)
			rc = get_u64(body, "flushed_sequence", src, 0, &oa->a.flushed_sequence);
		if (!rc)
			rc = get_i64(body, "compaction_time_window_s", src, 0,
				     &oa->a.compaction_window_s);
		oa->a.add = oa->add;
		oa->a.remove = oa->remove;
	} else if (!strcmp(kind, "Truncate")) {
		oa->a.type = MANIFEST_TRUNCATE;
		rc = get_u64(body, "truncated_sequence", src, 1, &oa->a.truncated_sequence);
	} else if (!strcmp(kind, "Remove")) {
		oa->a.type = MANIFEST_REMOVE;
	} else {
		rc = err_set(ERR_CORRUPT, "manifest %s: unknown action '%.64s'", src, kind);
	}
	return rc;
}

/* Encode a delta; *text is cJSON-allocated (cJSON_free). */
static int encode_delta(const struct manifest_action *actions, uint32_t n, char **text)
{
	int oom = 0;
	*text = NULL;
	cJSON *root = cJSON_CreateObject();
	cJSON *arr = cJSON_CreateArray();
	for (uint32_t i = 0; i < n; i++)
		add_item(arr, NULL, action_to_json(&actions[i], &oom), &oom);
	add_item(root, "actions", arr, &oom);
	if (!oom)
		*text = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	if (!*text)
		return err_set(ERR_NOMEM, "manifest: out of memory encoding a delta");
	return ERR_OK;
}

/* Apply the delta in data[0..len) (object `src`) to *s and set its version. */
static int apply_delta(struct manifest_state *s, uint64_t version, const uint8_t *data, size_t len,
		       const char *src)
{
	cJSON *root;
	int rc = parse_json(data, len, src, &root);
	if (rc)
		return rc;
	struct owned_action *acts = NULL;
	uint32_t n = 0;
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "actions");
	if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) == 0) {
		rc = corrupt(src, "missing or empty 'actions' array");
		goto out;
	}
	acts = mem_calloc((size_t)cJSON_GetArraySize(arr), sizeof(*acts));
	if (!acts) {
		rc = ERR_NOMEM;
		goto out;
	}
	const cJSON *w;
	cJSON_ArrayForEach(w, arr)
	{
		rc = action_from_json(w, src, &acts[n]);
		n++; /* acts[n-1] may own memory even on error */
		if (rc)
			goto out;
	}
	for (uint32_t i = 0; i < n && !rc; i++)
		rc = apply_action(s, &acts[i].a);
	s->version = version;
out:
	owned_free(acts, n);
	cJSON_Delete(root);
	return rc;
}

/* --- checkpoints ----------------------------------------------------------- */

static int encode_checkpoint(const struct manifest_state *s, char **text)
{
	int oom = 0;
	*text = NULL;
	cJSON *root = cJSON_CreateObject();
	add_item(root, "version", json_u64(s->version), &oom);
	add_item(root, "schema", region_schema_to_json(s->schema), &oom);
	cJSON *files = cJSON_CreateArray();
	for (uint32_t i = 0; i < s->nfiles; i++)
		add_item(files, NULL, file_to_json(&s->files[i], &oom), &oom);
	add_item(root, "files", files, &oom);
	add_item(root, "flushed_sequence", json_u64(s->flushed_sequence), &oom);
	add_item(root, "truncated_sequence", json_u64(s->truncated_sequence), &oom);
	add_item(root, "removed", cJSON_CreateBool(s->removed), &oom);
	add_item(root, "compaction_time_window_s", json_i64(s->compaction_window_s), &oom);
	if (!oom)
		*text = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	if (!*text)
		return err_set(ERR_NOMEM, "manifest: out of memory encoding a checkpoint");
	return ERR_OK;
}

static int decode_checkpoint(const uint8_t *data, size_t len, uint64_t version, const char *src,
			     struct manifest_state *s)
{
	memset(s, 0, sizeof(*s));
	cJSON *root;
	int rc = parse_json(data, len, src, &root);
	if (rc)
		return rc;
	rc = get_u64(root, "version", src, 1, &s->version);
	if (!rc && s->version != version)
		rc = corrupt(src, "'version' does not match the object's name");
	if (!rc)
		rc = schema_from(cJSON_GetObjectItemCaseSensitive(root, "schema"), src, &s->schema);
	const cJSON *files = cJSON_GetObjectItemCaseSensitive(root, "files");
	if (!rc && !cJSON_IsArray(files))
		rc = corrupt(src, "missing 'files' array");
	if (!rc)
		rc = files_from_json(files, src, 0, &s->files, &s->nfiles);
	if (!rc)
		rc = get_u64(root, "flushed_sequence", src, 1, &s->flushed_sequence);
	if (!rc)
		rc = get_u64(root, "truncated_sequence", src, 1, &s->truncated_sequence);
	const cJSON *removed = cJSON_GetObjectItemCaseSensitive(root, "removed");
	if (!rc && !cJSON_IsBool(removed))
		rc = corrupt(src, "missing boolean 'removed'");
	s->removed = cJSON_IsTrue(removed);
	if (!rc)
		rc = get_i64(root, "compaction_time_window_s", src, 0, &s->compaction_window_s);
	for (uint32_t i = 0; !rc && i < s->nfiles; i++)
		for (uint32_t j = 0; j < i; j++)
			if (!strcmp(s->files[i].file_id, s->files[j].file_id)) {
				rc = corrupt(src, "duplicate file_id");
				break;
			}
	cJSON_Delete(root);
	if (rc)
		manifest_state_free(s);
	return rc;
}

static int load_checkpoint(struct objstore *os, const struct manifest *m, uint64_t v,
			   struct manifest_state *s)
{
	char key[KEY_CAP];
	checkpoint_key(m, v, key);
	uint8_t *data;
	size_t len;
	int rc = objstore_get(os, key, &data, &len);
	if (rc)
		return err_wrap("manifest checkpoint");
	rc = decode_checkpoint(data, len, v, key, s);
	mem_free(data);
	return rc;
}

/* Put checkpoint st->version, then _last_checkpoint. */
static int write_checkpoint(struct manifest *m, const struct manifest_state *st)
{
	char key[KEY_CAP];
	char *text = NULL;
	int rc = encode_checkpoint(st, &text);
	if (rc)
		return rc;
	checkpoint_key(m, st->version, key);
	rc = objstore_put(m->os, key, text, strlen(text), 0);
	cJSON_free(text);
	if (rc)
		return rc;
	char last[64];
	snprintf(last, sizeof(last), "{\"version\":%" PRIu64 "}", st->version);
	snprintf(key, KEY_CAP, "%s" LAST_CHECKPOINT, m->dir);
	return objstore_put(m->os, key, last, strlen(last), 0);
}

/* --- manager --------------------------------------------------------------- */

static int manager_new(struct objstore *os, const char *region_dir, struct manifest **out)
{
	*out = NULL;
	if (!os || !region_dir)
		return err_set(ERR_BAD_INPUT, "manifest: no object store or region folder");
	size_t n = strlen(region_dir);
	while (n > 0 && region_dir[n - 1] == '/')
		n--;
	if (n == 0)
		return err_set(ERR_BAD_INPUT, "manifest: empty region folder");
	if (n + 64 > KEY_CAP)
		return err_set(ERR_BAD_INPUT, "manifest: region folder too long");
	struct manifest *m = mem_calloc(1, sizeof(*m));
	if (!m)
		return ERR_NOMEM;
	m->dir = mem_alloc(n + sizeof("/manifest/"));
	if (!m->dir) {
		mem_free(m);
		return ERR_NOMEM;
	}
	memcpy(m->dir, region_dir, n);
	strcpy(m->dir + n, "/manifest/");
	m->dir[n] = '\0';
	int rc = objstore_check_key(m->dir);
	m->dir[n] = '/';
	if (rc) {
		mem_free(m->dir);
		mem_free(m);
		return rc;
	}
	m->os = os;
	pthread_mutex_init(&m->io_mu, NULL);
	pthread_mutex_init(&m->mu, NULL);
	*out = m;
	return ERR_OK;
}

void manifest_close(struct manifest *m)
{
	if (!m)
		return;
	manifest_state_free(&m->st);
	pthread_mutex_destroy(&m->io_mu);
	pthread_mutex_destroy(&m->mu);
	mem_free(m->dir);
	mem_free(m);
}

/* Fetch delta v. ERR_NOT_FOUND when absent. */
static int get_delta(struct manifest *m, uint64_t v, char *key, uint8_t **data, size_t *len)
{
	delta_key(m, v, key);
	return objstore_get(m->os, key, data, len);
}

/* Build the state at `target` (UINT64_MAX with !exact = latest) into *s. */
static int load_state(struct manifest *m, uint64_t target, int exact, struct manifest_state *s)
{
	struct listing l;
	char key[KEY_CAP];
	memset(s, 0, sizeof(*s));
	int rc = list_manifest(m->os, m->dir, &l);
	if (rc)
		return rc;
	uint64_t cp = 0;
	int have = newest_checkpoint(&l, target, &cp);
	listing_free(&l);
	if (have) {
		rc = load_checkpoint(m->os, m, cp, s);
		if (rc)
			return rc;
	}
	while (!have || s->version < target) {
		uint64_t v = have ? s->version + 1 : 0;
		uint8_t *data;
		size_t len;
		rc = get_delta(m, v, key, &data, &len);
		if (rc == ERR_NOT_FOUND && have && !exact) {
			rc = ERR_OK;
			break;
		}
		if (rc == ERR_NOT_FOUND) {
			if (!have)
				rc = err_set(ERR_NOT_FOUND, "no manifest under %s", m->dir);
			else
				rc = err_set(ERR_NOT_FOUND, "manifest %s: version %" PRIu64
							    " not found",
					     m->dir, v);
		}
		if (rc)
			goto out;
		rc = apply_delta(s, v, data, len, key);
		mem_free(data);
		if (rc)
			goto out;
		have = 1;
	}
	if (!s->schema)
		rc = err_set(ERR_CORRUPT, "manifest %s: no schema at version %" PRIu64, m->dir,
			     s->version);
out:
	if (rc)
		manifest_state_free(s);
	return rc;
}

static int open_common(struct objstore *os, const char *region_dir, uint64_t target, int exact,
		       struct manifest **out)
{
	struct manifest *m;
	int rc = manager_new(os, region_dir, &m);
	if (rc)
		return rc;
	rc = load_state(m, target, exact, &m->st);
	if (rc) {
		manifest_close(m);
		return rc;
	}
	*out = m;
	return ERR_OK;
}

int manifest_open(struct objstore *os, const char *region_dir, struct manifest **out)
{
	*out = NULL;
	return open_common(os, region_dir, UINT64_MAX, 0, out);
}

int manifest_open_at(struct objstore *os, const char *region_dir, uint64_t version,
		     struct manifest **out)
{
	*out = NULL;
	return open_common(os, region_dir, version, 1, out);
}

static int validate_actions(const struct manifest_action *a, uint32_t n)
{
	if (n == 0 || !a)
		return err_set(ERR_BAD_INPUT, "manifest commit: no actions");
	for (uint32_t i = 0; i < n; i++) {
		switch (a[i].type) {
		case MANIFEST_CHANGE:
			if (!a[i].schema)
				return err_set(ERR_BAD_INPUT, "manifest Change: no schema");
			if (region_schema_validate(a[i].schema))
				return err_wrap("manifest Change");
			break;
		case MANIFEST_EDIT:
			if ((a[i].nadd && !a[i].add) || (a[i].nremove && !a[i].remove))
				return err_set(ERR_BAD_INPUT, "manifest Edit: NULL file list");
			if (a[i].compaction_window_s < 0)
				return err_set(ERR_BAD_INPUT,
					       "manifest Edit: negative compaction window");
			for (uint32_t k = 0; k < a[i].nadd; k++) {
				const struct manifest_file *f = &a[i].add[k];
				if (!valid_file_id(f->file_id))
					return err_set(ERR_BAD_INPUT, "manifest Edit: bad file_id");
				if (f->ts_min > f->ts_max)
					return err_set(ERR_BAD_INPUT,
						       "manifest Edit: file %s has ts_min > ts_max",
						       f->file_id);
				for (uint32_t j = 0; j < k; j++)
					if (!strcmp(a[i].add[j].file_id, f->file_id))
						return err_set(ERR_BAD_INPUT,
							       "manifest Edit: file %s added twice",
							       f->file_id);
			}
			for (uint32_t k = 0; k < a[i].nremove; k++)
				if (!valid_file_id(a[i].remove[k].file_id))
					return err_set(ERR_BAD_INPUT, "manifest Edit: bad file_id");
			break;
		case MANIFEST_TRUNCATE:
		case MANIFEST_REMOVE:
			break;
		default:
			return err_set(ERR_BAD_INPUT, "manifest: unknown action type %d",
				       (int)a[i].type);
		}
	}
	return ERR_OK;
}

/* Put delta `key` if absent. A present object with the same bytes is our
 * own earlier attempt (success); different bytes are another writer's. */
static int put_delta(struct manifest *m, const char *key, const char *text, int create)
{
	size_t len = strlen(text);
	int rc = objstore_put(m->os, key, text, len, OBJSTORE_PUT_IF_ABSENT);
	if (rc != ERR_EXISTS)
		return rc;
	uint8_t *data;
	size_t dlen;
	if (objstore_get(m->os, key, &data, &dlen) == ERR_OK) {
		int same = dlen == len && !memcmp(data, text, len);
		mem_free(data);
		if (same)
			return ERR_OK;
	}
	if (create)
		return err_set(ERR_EXISTS, "manifest %s already exists", key);
	return err_set(ERR_CONFLICT, "manifest %s was already written by another writer", key);
}

static void swap_state(struct manifest *m, struct manifest_state *next)
{
	pthread_mutex_lock(&m->mu);
	struct manifest_state old = m->st;
	m->st = *next;
	pthread_mutex_unlock(&m->mu);
	manifest_state_free(&old);
	memset(next, 0, sizeof(*next));
}

int manifest_create(struct objstore *os, const char *region_dir, const struct region_schema *schema,
		    struct manifest **out)
{
	*out = NULL;
	struct manifest *m = NULL;
	char *text = NULL;
	char key[KEY_CAP];
	struct listing l = {0};
	struct manifest_action change = {.type = MANIFEST_CHANGE, .schema = schema};
	int rc = validate_actions(&change, 1);
	if (!rc)
		rc = manager_new(os, region_dir, &m);
	if (!rc)
		rc = list_manifest(os, m->dir, &l);
	if (rc)
		goto out;
	if (l.nd || l.nc || l.nother) {
		rc = err_set(ERR_EXISTS, "manifest under %s already exists", m->dir);
		goto out;
	}
	rc = encode_delta(&change, 1, &text);
	if (rc)
		goto out;
	delta_key(m, 0, key);
	rc = put_delta(m, key, text, 1);
	if (rc)
		goto out;
	m->st.schema = region_schema_clone(schema);
	if (!m->st.schema)
		rc = ERR_NOMEM;
out:
	listing_free(&l);
	cJSON_free(text);
	if (rc) {
		manifest_close(m);
		return rc;
	}
	*out = m;
	return ERR_OK;
}

int manifest_commit(struct manifest *m, const struct manifest_action *actions, uint32_t n,
		    uint64_t *new_version)
{
	struct manifest_state next = {0};
	char *text = NULL;
	char key[KEY_CAP];
	pthread_mutex_lock(&m->io_mu);
	int rc = validate_actions(actions, n);
	if (rc)
		goto out;
	if (m->st.removed) {
		rc = err_set(ERR_NOT_FOUND, "manifest %s: the region was removed", m->dir);
		goto out;
	}
	uint64_t v = m->st.version + 1;
	rc = state_clone(&next, &m->st);
	for (uint32_t i = 0; i < n && !rc; i++)
		rc = apply_action(&next, &actions[i]);
	if (!rc)
		rc = encode_delta(actions, n, &text);
	if (rc)
		goto out;
	next.version = v;
	delta_key(m, v, key);
	rc = put_delta(m, key, text, 0);
	if (rc)
		goto out;
	/* committed: from here on the version exists */
	swap_state(m, &next);
	if (new_version)
		*new_version = v;
	if (fault_hit(FAULT_MANIFEST_WRITE_MID) != ERR_OK) {
		m->checkpoint_owed = true;
	} else if (v % MANIFEST_CHECKPOINT_DISTANCE == 0 || m->checkpoint_owed) {
		/* m->st is only replaced under io_mu, which we hold */
		if (write_checkpoint(m, &m->st) != ERR_OK) {
			log_warn("manifest %s: checkpoint at version %" PRIu64
				 " failed (retried after the next commit): %s",
				 m->dir, v, err_msg());
			m->checkpoint_owed = true;
		} else {
			m->checkpoint_owed = false;
		}
	}
	rc = fault_hit(FAULT_MANIFEST_WRITE_AFTER);
out:
	pthread_mutex_unlock(&m->io_mu);
	manifest_state_free(&next);
	cJSON_free(text);
	return rc;
}

int manifest_install(struct manifest *m, uint64_t target)
{
	struct manifest_state work = {0};
	char key[KEY_CAP];
	pthread_mutex_lock(&m->io_mu);
	int rc = ERR_OK;
	if (target <= m->st.version)
		goto out;
	rc = state_clone(&work, &m->st);
	while (!rc && work.version < target) {
		uint64_t v = work.version + 1;
		uint8_t *data;
		size_t len;
		rc = get_delta(m, v, key, &data, &len);
		if (rc == ERR_OK) {
			rc = apply_delta(&work, v, data, len, key);
			mem_free(data);
			continue;
		}
		if (rc != ERR_NOT_FOUND)
			break;
		/* delta v is gone: jump to the newest checkpoint <= target */
		struct listing l;
		uint64_t cp = 0;
		rc = list_manifest(m->os, m->dir, &l);
		if (rc)
			break;
		int have = newest_checkpoint(&l, target, &cp);
		listing_free(&l);
		if (!have || cp < v) {
			rc = err_set(ERR_NOT_FOUND,
				     "manifest %s: cannot reach version %" PRIu64
				     ": version %" PRIu64 " is missing and no checkpoint covers it",
				     m->dir, target, v);
			break;
		}
		manifest_state_free(&work);
		rc = load_checkpoint(m->os, m, cp, &work);
	}
	if (!rc)
		swap_state(m, &work);
out:
	pthread_mutex_unlock(&m->io_mu);
	manifest_state_free(&work);
	return rc;
}

int manifest_state_copy(struct manifest *m, struct manifest_state *out)
{
	pthread_mutex_lock(&m->mu);
	int rc = state_clone(out, &m->st);
	pthread_mutex_unlock(&m->mu);
	if (rc)
		memset(out, 0, sizeof(*out));
	return rc;
}

uint64_t manifest_version(struct manifest *m)
{
	pthread_mutex_lock(&m->mu);
	uint64_t v = m->st.version;
	pthread_mutex_unlock(&m->mu);
	return v;
}

/* Make sure _last_checkpoint names cp or later. */
static int raise_last_checkpoint(struct manifest *m, uint64_t cp)
{
	char key[KEY_CAP];
	snprintf(key, KEY_CAP, "%s" LAST_CHECKPOINT, m->dir);
	uint8_t *data;
	size_t len;
	int rc = objstore_get(m->os, key, &data, &len);
	if (rc == ERR_OK) {
		cJSON *j;
		uint64_t v;
		int ok = parse_json(data, len, key, &j) == ERR_OK;
		mem_free(data);
		if (ok) {
			ok = get_u64(j, "version", key, 1, &v) == ERR_OK && v >= cp;
			cJSON_Delete(j);
		}
		if (ok)
			return ERR_OK;
	} else if (rc != ERR_NOT_FOUND) {
		return rc;
	}
	char last[64];
	snprintf(last, sizeof(last), "{\"version\":%" PRIu64 "}", cp);
	return objstore_put(m->os, key, last, strlen(last), 0);
}

int manifest_delete_before(struct manifest *m, uint64_t version)
{
	struct listing l = {0};
	char key[KEY_CAP];
	pthread_mutex_lock(&m->io_mu);
	uint64_t limit = version < m->st.version ? version : m->st.version;
	uint64_t cp = 0;
	int rc = list_manifest(m->os, m->dir, &l);
	if (rc || !newest_checkpoint(&l, limit, &cp))
		goto out;
	/* never drop history for a checkpoint that can't be read */
	struct manifest_state check;
	rc = load_checkpoint(m->os, m, cp, &check);
	if (rc)
		goto out;
	manifest_state_free(&check);
	rc = raise_last_checkpoint(m, cp);
	if (rc)
		goto out;
	int first = ERR_OK;
	for (size_t i = 0; i < l.nd; i++)
		if (l.deltas[i] < cp) {
			delta_key(m, l.deltas[i], key);
			rc = objstore_delete(m->os, key);
			if (rc && !first)
				first = rc;
		}
	for (size_t i = 0; i < l.nc; i++)
		if (l.cps[i] < cp) {
			checkpoint_key(m, l.cps[i], key);
			rc = objstore_delete(m->os, key);
			if (rc && !first)
				first = rc;
		}
	rc = first;
out:
	listing_free(&l);
	pthread_mutex_unlock(&m->io_mu);
	return rc;
}

int manifest_decode(const uint8_t *data, size_t len, bool checkpoint, uint64_t version,
		    struct manifest_state *s)
{
	int rc = checkpoint ? decode_checkpoint(data, len, version, "(memory)", s)
			    : apply_delta(s, version, data, len, "(memory)");
	if (rc)
		manifest_state_free(s);
	return rc;
}
