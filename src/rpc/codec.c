/*
 * codec: conversions between Strata's structs (batch, scan_request, datum,
 * region_stat, region_schema, heartbeat) and the protobuf messages of
 * proto/<name>.proto, plus the server-side reply helpers that stream rows.
 *
 * Rules:
 *  - Enums cross the wire as uint32 holding the C enum's value; every
 *    decoder range-checks them (ERR_PROTOCOL naming the field).
 *  - Rows cross as bytes: batch_encode / batch_decode (column_codec.h),
 *    empty bytes = no batch. A streamed result is cut into chunks of about
 *    the server's chunk_bytes by rows; the receiver appends them in order.
 *  - Encoders allocate the message tree from an arena and point at the
 *    caller's memory (strings, bytes) instead of copying; decoders likewise
 *    point into the received message, which outlives the request.
 *  - The storage hint "last row per series" (a marked predicate in memory,
 *    storage/pred.h) crosses as its predicate with last_per_series_hint
 *    set; the decoder rebuilds the marked predicate.
 *  - What needs the region schema (column index in range, literal of the
 *    column's type) is checked by the region, not here.
 */
#include <string.h>

#include <cjson/cJSON.h>

#include "base/column_codec.h"
#include "base/err.h"
#include "base/mem.h"
#include "rpc/rpc_int.h"
#include "storage/pred.h"

/* ---- batches ----------------------------------------------------------- */

int rpc_batch_encode(const struct batch *b, struct buf *bytes, ProtobufCBinaryData *out)
{
	buf_reset(bytes);
	out->len = 0;
	out->data = NULL;
	if (!b)
		return ERR_OK;
	int rc = batch_encode(b, bytes);
	if (rc)
		return rc;
	out->len = bytes->len;
	out->data = bytes->data;
	return ERR_OK;
}

int rpc_batch_decode(ProtobufCBinaryData rows, struct batch *out)
{
	memset(out, 0, sizeof(*out));
	if (rows.len == 0)
		return ERR_OK;
	int rc = batch_decode(rows.data, rows.len, out);
	if (rc)
		err_wrap("rows");
	return rc;
}

int rpc_batch_append(struct batch *dst, struct batch *src)
{
	int rc = ERR_OK;
	if (dst->ncols == 0 && dst->nrows == 0) {
		batch_free(dst);
		*dst = *src;
		memset(src, 0, sizeof(*src));
		return ERR_OK;
	}
	if (src->ncols != dst->ncols) {
		rc = err_set(ERR_PROTOCOL, "rows chunk has %u columns, earlier chunks %u",
		             src->ncols, dst->ncols);
		goto out;
	}
	for (uint32_t c = 0; c < src->ncols; c++)
		if (src->cols[c].type != dst->cols[c].type) {
			rc = err_set(ERR_PROTOCOL, "rows chunk column %u is %s, earlier chunks %s",
			             c, dtype_name(src->cols[c].type),
			             dtype_name(dst->cols[c].type));
			goto out;
		}
	/* (colvec_append_range of 0 values memcpys from NULL: skip it) */
	for (uint32_t c = 0; src->nrows && c < src->ncols; c++) {
		rc = colvec_append_range(&dst->cols[c], &src->cols[c], 0, src->nrows);
		if (rc)
			goto out;
	}
	dst->nrows += src->nrows;
out:
	batch_free(src);
	return rc;
}

/* ---- datums and scan requests ------------------------------------------ */

static int datum_encode(const struct datum *d, struct arena *a, RPC_PB(Datum) * *out)
{
	RPC_PB(Datum) *p = arena_alloc(a, sizeof(*p));
	if (!p)
		return ERR_NOMEM;
	strata__datum__init(p);
	p->dtype = (uint32_t)d->type;
	p->is_null = d->is_null;
	if (!d->is_null) {
		switch (dtype_phys(d->type)) {
		case PHYS_I64:
			p->value_case = STRATA__DATUM__VALUE_I;
			p->i = d->v.i;
			break;
		case PHYS_F64:
			p->value_case = STRATA__DATUM__VALUE_F;
			p->f = d->v.f;
			break;
		case PHYS_BYTES:
			p->value_case = STRATA__DATUM__VALUE_S;
			p->s.len = d->v.s.n;
			p->s.data = (uint8_t *)d->v.s.p;
			break;
		}
	}
	*out = p;
	return ERR_OK;
}

static int datum_decode(const RPC_PB(Datum) * p, struct datum *d)
{
	memset(d, 0, sizeof(*d));
	if (!p)
		return err_set(ERR_PROTOCOL, "missing literal");
	if (p->dtype >= DT__COUNT)
		return err_set(ERR_PROTOCOL, "literal has unknown type %u", p->dtype);
	d->type = (enum dtype)p->dtype;
	if (p->is_null) {
		d->is_null = true;
		return ERR_OK;
	}
	switch (dtype_phys(d->type)) {
	case PHYS_I64:
		if (p->value_case != STRATA__DATUM__VALUE_I)
			break;
		d->v.i = p->i;
		return ERR_OK;
	case PHYS_F64:
		if (p->value_case != STRATA__DATUM__VALUE_F)
			break;
		d->v.f = p->f;
		return ERR_OK;
	case PHYS_BYTES:
		if (p->value_case != STRATA__DATUM__VALUE_S || p->s.len > UINT32_MAX)
			break;
		d->v.s.p = (const char *)p->s.data;
		d->v.s.n = (uint32_t)p->s.len;
		if (!d->v.s.p)
			d->v.s.p = "";
		return ERR_OK;
	}
	return err_set(ERR_PROTOCOL, "literal of type %s carries no value of its kind (case %d)",
	               dtype_name(d->type), (int)p->value_case);
}

int rpc_scan_request_encode(const struct scan_request *req, uint32_t ncols, struct arena *a,
                            RPC_PB(ScanRequest) * *out)
{
	RPC_PB(ScanRequest) *p = arena_alloc(a, sizeof(*p));
	if (!p)
		return ERR_NOMEM;
	strata__scan_request__init(p);
	*out = p;
	if (!req) {
		p->ts_min = INT64_MIN;
		p->ts_max = INT64_MAX;
		return ERR_OK;
	}
	p->ts_min = req->ts_min;
	p->ts_max = req->ts_max;
	if (req->projection) {
		if (ncols == 0)
			return err_set(ERR_BAD_INPUT,
			               "scan projection needs the region's column count");
		p->projection = arena_alloc(a, ncols * sizeof(protobuf_c_boolean));
		if (!p->projection)
			return ERR_NOMEM;
		for (uint32_t c = 0; c < ncols; c++)
			p->projection[c] = req->projection[c];
		p->n_projection = ncols;
	}
	if (req->npreds) {
		p->predicates = arena_alloc(a, req->npreds * sizeof(*p->predicates));
		if (!p->predicates)
			return ERR_NOMEM;
	}
	for (uint32_t i = 0; i < req->npreds; i++) {
		const struct scan_pred *sp = &req->preds[i];
		RPC_PB(Predicate) *pp = arena_alloc(a, sizeof(*pp));
		if (!pp)
			return ERR_NOMEM;
		strata__predicate__init(pp);
		pp->column = sp->col;
		pp->op = (uint32_t)sp->op;
		pp->last_per_series_hint = scan_pred_is_hint(sp);
		int rc = datum_encode(&sp->lit, a, &pp->literal);
		if (rc)
			return rc;
		if (sp->op == PRED_IN && sp->nlist) {
			pp->list = arena_alloc(a, sp->nlist * sizeof(*pp->list));
			if (!pp->list)
				return ERR_NOMEM;
			for (uint32_t k = 0; k < sp->nlist; k++) {
				rc = datum_encode(&sp->list[k], a, &pp->list[k]);
				if (rc)
					return rc;
			}
			pp->n_list = sp->nlist;
		}
		p->predicates[i] = pp;
		p->n_predicates = i + 1;
	}
	return ERR_OK;
}

static int pred_decode(const RPC_PB(Predicate) * pp, uint32_t i, struct arena *a,
                       struct scan_pred *sp)
{
	memset(sp, 0, sizeof(*sp));
	if (!pp)
		return err_set(ERR_PROTOCOL, "predicate %u missing", i);
	if (pp->op > PRED_IS_NOT_NULL)
		return err_set(ERR_PROTOCOL, "predicate %u has unknown operator %u", i, pp->op);
	sp->col = pp->column;
	sp->op = (enum pred_op)pp->op;
	int rc = ERR_OK;
	if (sp->op != PRED_IS_NULL && sp->op != PRED_IS_NOT_NULL && sp->op != PRED_IN)
		rc = datum_decode(pp->literal, &sp->lit);
	else if (pp->literal)
		rc = datum_decode(pp->literal, &sp->lit);
	if (rc)
		return err_wrap("predicate %u", i);
	if (sp->op == PRED_IN) {
		if (pp->n_list > UINT32_MAX)
			return err_set(ERR_PROTOCOL, "predicate %u: IN list too long", i);
		if (pp->n_list) {
			sp->list = arena_alloc(a, pp->n_list * sizeof(*sp->list));
			if (!sp->list)
				return ERR_NOMEM;
		}
		for (size_t k = 0; k < pp->n_list; k++)
			if (datum_decode(pp->list[k], &sp->list[k]))
				return err_wrap("predicate %u, IN item %zu", i, k);
		sp->nlist = (uint32_t)pp->n_list;
	} else if (pp->n_list) {
		return err_set(ERR_PROTOCOL, "predicate %u: a list only goes with IN", i);
	}
	if (pp->last_per_series_hint) {
		if (sp->op != PRED_IS_NOT_NULL)
			return err_set(ERR_PROTOCOL,
			               "predicate %u: the last-per-series hint goes only with IS NOT NULL",
			               i);
		if (sp->lit.type >= DT__COUNT)
			return err_set(ERR_PROTOCOL, "predicate %u: hint without a column type", i);
		scan_hint_last_per_series(sp->col, sp->lit.type, sp);
	}
	return ERR_OK;
}

int rpc_scan_request_decode(const RPC_PB(ScanRequest) * pb, struct arena *a,
                            struct scan_request *out)
{
	memset(out, 0, sizeof(*out));
	out->ts_min = INT64_MIN;
	out->ts_max = INT64_MAX;
	if (!pb)
		return ERR_OK;
	out->ts_min = pb->ts_min;
	out->ts_max = pb->ts_max;
	if (pb->n_projection) {
		bool *proj = arena_alloc(a, pb->n_projection * sizeof(bool));
		if (!proj)
			return ERR_NOMEM;
		for (size_t c = 0; c < pb->n_projection; c++)
			proj[c] = pb->projection[c] != 0;
		out->projection = proj;
	}
	if (pb->n_predicates > UINT32_MAX)
		return err_set(ERR_PROTOCOL, "too many predicates");
	if (pb->n_predicates) {
		struct scan_pred *preds = arena_alloc(a, pb->n_predicates * sizeof(*preds));
		if (!preds)
			return ERR_NOMEM;
		for (size_t i = 0; i < pb->n_predicates; i++) {
			int rc = pred_decode(pb->predicates[i], (uint32_t)i, a, &preds[i]);
			if (rc)
				return rc;
		}
		out->preds = preds;
		out->npreds = (uint32_t)pb->n_predicates;
	}
	return ERR_OK;
}

/* ---- enums, schemas, stats, heartbeats --------------------------------- */

int rpc_op_decode(uint32_t v, enum op_type *out)
{
	if (v != OP_DELETE && v != OP_PUT)
		return err_set(ERR_PROTOCOL, "unknown write op %u", v);
	*out = (enum op_type)v;
	return ERR_OK;
}

int rpc_role_decode(uint32_t v, enum region_role *out)
{
	if (v != REGION_ROLE_LEADER && v != REGION_ROLE_FOLLOWER)
		return err_set(ERR_PROTOCOL, "unknown region role %u", v);
	*out = (enum region_role)v;
	return ERR_OK;
}

int rpc_read_mode_decode(uint32_t v, enum rpc_read_mode *out)
{
	if (v != RPC_READ_LEADER && v != RPC_READ_FOLLOWER)
		return err_set(ERR_PROTOCOL, "unknown read mode %u", v);
	*out = (enum rpc_read_mode)v;
	return ERR_OK;
}

int rpc_region_schema_decode(const char *json, struct region_schema **out)
{
	*out = NULL;
	cJSON *j = cJSON_Parse(json ? json : "");
	if (!j)
		return err_set(ERR_PROTOCOL, "region schema is not valid JSON");
	int rc = region_schema_from_json(j, out);
	cJSON_Delete(j);
	if (rc)
		err_wrap("region schema");
	return rc;
}

void rpc_region_stat_encode(const struct region_stat *s, RPC_PB(RegionStat) * p)
{
	strata__region_stat__init(p);
	p->region_id = s->region_id;
	p->role = (uint32_t)s->role;
	p->manifest_version = s->manifest_version;
	p->flushed_sequence = s->flushed_sequence;
	p->committed_sequence = s->committed_sequence;
	p->memtable_rows = s->memtable_rows;
	p->memtable_bytes = s->memtable_bytes;
	p->sst_rows = s->sst_rows;
	p->sst_bytes = s->sst_bytes;
	p->sst_num = s->sst_num;
	p->manifest_bytes = s->manifest_bytes;
	p->pending_deletes = s->pending_deletes;
	p->last_install_ms = s->last_install_ms;
}

int rpc_region_stat_decode(const RPC_PB(RegionStat) * p, struct region_stat *s)
{
	memset(s, 0, sizeof(*s));
	if (!p)
		return err_set(ERR_PROTOCOL, "missing region stat");
	int rc = rpc_role_decode(p->role, &s->role);
	if (rc)
		return err_wrap("region %llu", (unsigned long long)p->region_id);
	s->region_id = p->region_id;
	s->manifest_version = p->manifest_version;
	s->flushed_sequence = p->flushed_sequence;
	s->committed_sequence = p->committed_sequence;
	s->memtable_rows = p->memtable_rows;
	s->memtable_bytes = p->memtable_bytes;
	s->sst_rows = p->sst_rows;
	s->sst_bytes = p->sst_bytes;
	s->sst_num = p->sst_num;
	s->manifest_bytes = p->manifest_bytes;
	s->pending_deletes = p->pending_deletes;
	s->last_install_ms = p->last_install_ms;
	return ERR_OK;
}

int rpc_heartbeat_decode(const RPC_PB(HeartbeatRequest) * pb, struct arena *a,
                         struct rpc_heartbeat *out)
{
	memset(out, 0, sizeof(*out));
	if (pb->n_stats > UINT32_MAX)
		return err_set(ERR_PROTOCOL, "heartbeat: too many region stats");
	out->node_id = pb->node_id;
	out->addr = pb->addr ? pb->addr : "";
	if (pb->n_stats == 0)
		return ERR_OK;
	struct region_stat *st = arena_alloc(a, pb->n_stats * sizeof(*st));
	if (!st)
		return ERR_NOMEM;
	for (size_t i = 0; i < pb->n_stats; i++)
		if (rpc_region_stat_decode(pb->stats[i], &st[i]))
			return err_wrap("heartbeat stat %zu", i);
	out->stats = st;
	out->nstats = (uint32_t)pb->n_stats;
	return ERR_OK;
}

/* ---- server-side reply helpers ----------------------------------------- */

/* Called with each encoded piece of rows; `last` on the final piece. */
typedef int (*emit_fn)(struct rpc_reply *r, ProtobufCBinaryData rows, void *ctx);

/* Cut b into pieces of about chunk_bytes (by rows) and emit each. */
static int emit_rows(struct rpc_reply *r, const struct batch *b, emit_fn emit, void *ctx)
{
	struct buf bytes;
	buf_init(&bytes);
	struct batch piece = {0};
	enum dtype *types = NULL;
	ProtobufCBinaryData d;
	int rc;
	size_t total = batch_encoded_size(b);
	uint32_t target = rpc_reply_chunk_bytes(r);
	if (total <= target || b->nrows <= 1) {
		rc = rpc_batch_encode(b, &bytes, &d);
		if (rc == ERR_OK)
			rc = emit(r, d, ctx);
		goto out;
	}
	size_t per_row = total / b->nrows;
	uint32_t step = per_row >= target ? 1 : (uint32_t)(target / (per_row ? per_row : 1));
	types = mem_alloc((b->ncols ? b->ncols : 1) * sizeof(*types));
	if (!types) {
		rc = ERR_NOMEM;
		goto out;
	}
	for (uint32_t c = 0; c < b->ncols; c++)
		types[c] = b->cols[c].type;
	rc = batch_init(&piece, b->ncols, types);
	for (uint32_t from = 0; rc == ERR_OK && from < b->nrows; from += step) {
		uint32_t n = b->nrows - from < step ? b->nrows - from : step;
		batch_reset(&piece);
		for (uint32_t c = 0; rc == ERR_OK && c < b->ncols; c++)
			rc = colvec_append_range(&piece.cols[c], &b->cols[c], from, n);
		if (rc)
			break;
		piece.nrows = n;
		rc = rpc_batch_encode(&piece, &bytes, &d);
		if (rc == ERR_OK)
			rc = emit(r, d, ctx);
	}
out:
	batch_free(&piece);
	mem_free(types);
	buf_free(&bytes);
	return rc;
}

static int emit_scan_chunk(struct rpc_reply *r, ProtobufCBinaryData rows, void *ctx)
{
	(void)ctx;
	RPC_PB(RegionScanResponse) m = STRATA__REGION_SCAN_RESPONSE__INIT;
	m.rows = rows;
	return rpc_reply_chunk(r, &m.base);
}

int rpc_reply_rows(struct rpc_reply *r, const struct batch *b)
{
	if (rpc_reply_method(r) != RPC_REGION_SCAN)
		return err_set(ERR_INTERNAL, "rpc_reply_rows is for region_scan");
	return emit_rows(r, b, emit_scan_chunk, NULL);
}

int rpc_reply_partial_done(struct rpc_reply *r)
{
	if (rpc_reply_method(r) != RPC_REGION_SCAN)
		return err_set(ERR_INTERNAL, "rpc_reply_partial_done is for region_scan");
	RPC_PB(RegionScanResponse) m = STRATA__REGION_SCAN_RESPONSE__INIT;
	m.partial_agg_version = RPC_PARTIAL_AGG_VERSION;
	return rpc_reply_send(r, &m.base);
}

static int emit_snapshot_chunk(struct rpc_reply *r, ProtobufCBinaryData rows, void *ctx)
{
	RPC_PB(RegionSnapshotResponse) m = STRATA__REGION_SNAPSHOT_RESPONSE__INIT;
	m.manifest_version = *(const uint64_t *)ctx;
	m.rows = rows;
	return rpc_reply_chunk(r, &m.base);
}

int rpc_reply_snapshot(struct rpc_reply *r, uint64_t version, const struct batch *rows)
{
	if (rpc_reply_method(r) != RPC_REGION_SNAPSHOT)
		return err_set(ERR_INTERNAL, "rpc_reply_snapshot is for region_snapshot");
	int rc = rows ? emit_rows(r, rows, emit_snapshot_chunk, &version) : ERR_OK;
	if (rc)
		return rc;
	RPC_PB(RegionSnapshotResponse) m = STRATA__REGION_SNAPSHOT_RESPONSE__INIT;
	m.manifest_version = version;
	return rpc_reply_send(r, &m.base);
}

int rpc_reply_region_stats(struct rpc_reply *r, const struct region_stat *stats, uint32_t n)
{
	struct arena *a = rpc_reply_arena(r);
	RPC_PB(RegionStatsResponse) m = STRATA__REGION_STATS_RESPONSE__INIT;
	if (n) {
		RPC_PB(RegionStat) *items = arena_alloc(a, n * sizeof(*items));
		m.stats = arena_alloc(a, n * sizeof(*m.stats));
		if (!items || !m.stats)
			return ERR_NOMEM;
		for (uint32_t i = 0; i < n; i++) {
			rpc_region_stat_encode(&stats[i], &items[i]);
			m.stats[i] = &items[i];
		}
		m.n_stats = n;
	}
	return rpc_reply_send(r, &m.base);
}

int rpc_reply_heartbeat(struct rpc_reply *r, const struct rpc_heartbeat_reply *hb)
{
	struct arena *a = rpc_reply_arena(r);
	RPC_PB(HeartbeatResponse) m = STRATA__HEARTBEAT_RESPONSE__INIT;
	m.lease_ms = hb->lease_ms;
	if (hb->ninstr) {
		RPC_PB(RegionInstruction) *items = arena_alloc(a, hb->ninstr * sizeof(*items));
		m.instructions = arena_alloc(a, hb->ninstr * sizeof(*m.instructions));
		if (!items || !m.instructions)
			return ERR_NOMEM;
		for (uint32_t i = 0; i < hb->ninstr; i++) {
			const struct rpc_region_instr *in = &hb->instr[i];
			strata__region_instruction__init(&items[i]);
			items[i].region_id = in->region_id;
			items[i].kind = (uint32_t)in->kind;
			items[i].role = (uint32_t)in->role;
			items[i].manifest_version = in->manifest_version;
			if (in->dir)
				items[i].dir = (char *)in->dir;
			m.instructions[i] = &items[i];
		}
		m.n_instructions = hb->ninstr;
	}
	return rpc_reply_send(r, &m.base);
}
