/* datatype: the column type table. See datatype.h. */
#include "base/datatype.h"

#include <string.h>

static const struct {
	const char *name;
	const char *sql;
	enum phys_kind phys;
} types[DT__COUNT] = {
#define X(e, n, s, p) {n, s, p},
	DATATYPES(X)
#undef X
};

const char *dtype_name(enum dtype t) { return t < DT__COUNT ? types[t].name : "?"; }
const char *dtype_sql_name(enum dtype t) { return t < DT__COUNT ? types[t].sql : "?"; }
enum phys_kind dtype_phys(enum dtype t) { return types[t].phys; }

int dtype_from_name(const char *name)
{
	for (int i = 0; i < DT__COUNT; i++)
		if (!strcmp(types[i].name, name))
			return i;
	return -1;
}

bool dtype_is_timestamp(enum dtype t) { return t >= DT_TS_S && t <= DT_TS_NS; }
bool dtype_is_unsigned(enum dtype t) { return t >= DT_UINT8 && t <= DT_UINT64; }
bool dtype_is_integer(enum dtype t) { return t >= DT_INT8 && t <= DT_UINT64; }

int64_t dtype_ts_units_per_sec(enum dtype t)
{
	switch (t) {
	case DT_TS_S: return 1;
	case DT_TS_MS: return 1000;
	case DT_TS_US: return 1000000;
	case DT_TS_NS: return 1000000000;
	default: return 0;
	}
}
