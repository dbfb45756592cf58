/* exec: entry points of the SQL query engine (see exec.h). Placeholder
 * while the planner and executor land. */
#include "sql/exec.h"

#include "base/err.h"

int sql_exec_query(struct exec_env *env, struct session *s, const struct sql_query *q,
		   struct arena *a, struct result_set *rs)
{
	(void)env, (void)s, (void)q, (void)a, (void)rs;
	return err_set(ERR_UNSUPPORTED, "query engine not built yet");
}

int sql_exec_explain(struct exec_env *env, struct session *s, const struct sql_stmt *st,
		     struct arena *a, struct result_set *rs)
{
	(void)env, (void)s, (void)st, (void)a, (void)rs;
	return err_set(ERR_UNSUPPORTED, "query engine not built yet");
}

int sql_eval_const(struct exec_env *env, struct session *s, const struct sql_expr *e,
		   enum dtype target, struct arena *a, struct datum *out)
{
	(void)env, (void)s, (void)e, (void)target, (void)a, (void)out;
	return err_set(ERR_UNSUPPORTED, "query engine not built yet");
}

int sql_eval_predicate(struct exec_env *env, struct session *s, const struct sql_expr *e,
		       const struct batch *b, const char *const *names, struct arena *a,
		       uint8_t *sel)
{
	(void)env, (void)s, (void)e, (void)b, (void)names, (void)a, (void)sel;
	return err_set(ERR_UNSUPPORTED, "query engine not built yet");
}
