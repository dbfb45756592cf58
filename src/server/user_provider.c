/* user_provider: static user tables for the wire servers. See user_provider.h. */
#include "server/user_provider.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "base/mem.h"

#define FILE_MAX (1u << 20)

static bool is_space(char ch) { return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n'; }

/* [*b, *e) without surrounding white space */
static void trim(const char **b, const char **e)
{
	while (*b < *e && is_space(**b))
		(*b)++;
	while (*e > *b && is_space((*e)[-1]))
		(*e)--;
}

void user_provider_free(struct wire_user *u, size_t n)
{
	if (!u)
		return;
	for (size_t i = 0; i < n; i++) {
		mem_free((char *)u[i].name);
		if (u[i].password) {
			/* do not leave passwords in freed memory */
			memset((char *)u[i].password, 0, strlen(u[i].password));
			mem_free((char *)u[i].password);
		}
	}
	mem_free(u);
}

static char *dup_range(const char *b, const char *e)
{
	char *s = mem_alloc((size_t)(e - b) + 1);
	if (s) {
		memcpy(s, b, (size_t)(e - b));
		s[e - b] = 0;
	}
	return s;
}

/* Parse entries separated by `sep` ('\n' for files, ',' inline). */
static int parse_entries(const char *text, size_t len, char sep, const char *what,
			 struct wire_user **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	struct wire_user *u = NULL;
	size_t nu = 0, cap = 0;
	int rc = ERR_OK;
	const char *p = text, *end = text + len;
	unsigned line = 0;
	while (p < end && !rc) {
		line++;
		const char *le = memchr(p, sep, (size_t)(end - p));
		if (!le)
			le = end;
		const char *b = p, *e = le;
		p = le < end ? le + 1 : end;
		trim(&b, &e);
		if (b == e || (sep == '\n' && *b == '#'))
			continue;
		if (memchr(b, 0, (size_t)(e - b))) {
			rc = err_set(ERR_BAD_INPUT, "%s: entry %u: NUL byte", what, line);
			break;
		}
		const char *eq = memchr(b, '=', (size_t)(e - b));
		if (!eq) {
			rc = err_set(ERR_BAD_INPUT, "%s: entry %u: expected user=password", what, line);
			break;
		}
		const char *ub = b, *ue = eq, *pb = eq + 1, *pe = e;
		trim(&ub, &ue);
		trim(&pb, &pe);
		if (ub == ue || (size_t)(ue - ub) > USER_NAME_MAX) {
			rc = err_set(ERR_BAD_INPUT, "%s: entry %u: user name empty or longer than %d bytes",
				     what, line, USER_NAME_MAX);
			break;
		}
		for (size_t i = 0; i < nu; i++)
			if (strlen(u[i].name) == (size_t)(ue - ub) && !memcmp(u[i].name, ub, (size_t)(ue - ub)))
				rc = err_set(ERR_BAD_INPUT, "%s: entry %u: user %.*s appears twice", what,
					     line, (int)(ue - ub), ub);
		if (rc)
			break;
		void *arr = u;
		if (mem_grow(&arr, &cap, nu + 1, sizeof(*u))) {
			rc = ERR_NOMEM;
			break;
		}
		u = arr;
		u[nu].name = dup_range(ub, ue);
		u[nu].password = dup_range(pb, pe);
		nu++;
		if (!u[nu - 1].name || !u[nu - 1].password)
			rc = ERR_NOMEM;
	}
	if (!rc && nu == 0)
		rc = err_set(ERR_BAD_INPUT, "%s: no users (an empty user table would disable authentication)",
			     what);
	if (rc) {
		user_provider_free(u, nu);
		return rc;
	}
	*out = u;
	*n = nu;
	return ERR_OK;
}

int user_provider_parse(const char *text, size_t len, const char *what, struct wire_user **out,
			size_t *n)
{
	return parse_entries(text, len, '\n', what, out, n);
}

int user_provider_load(const char *spec, struct wire_user **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	static const char file_pfx[] = "static_user_provider:file:";
	static const char cmd_pfx[] = "static_user_provider:cmd:";
	if (!strncmp(spec, cmd_pfx, sizeof(cmd_pfx) - 1)) {
		const char *v = spec + sizeof(cmd_pfx) - 1;
		return parse_entries(v, strlen(v), ',', "--user-provider", out, n);
	}
	if (strncmp(spec, file_pfx, sizeof(file_pfx) - 1))
		return err_set(ERR_BAD_INPUT,
			       "unsupported user provider %s (expected static_user_provider:file:<path> "
			       "or static_user_provider:cmd:<user>=<password>[,...])",
			       spec);
	const char *path = spec + sizeof(file_pfx) - 1;
	FILE *f = fopen(path, "rb");
	if (!f)
		return err_set(ERR_IO, "user file %s: %s", path, strerror(errno));
	char *text = mem_alloc(FILE_MAX + 1);
	if (!text) {
		fclose(f);
		return ERR_NOMEM;
	}
	size_t len = fread(text, 1, FILE_MAX + 1, f);
	int rc = ERR_OK;
	if (ferror(f))
		rc = err_set(ERR_IO, "user file %s: read error", path);
	else if (len > FILE_MAX)
		rc = err_set(ERR_BAD_INPUT, "user file %s: larger than %u bytes", path, FILE_MAX);
	fclose(f);
	if (!rc)
		rc = parse_entries(text, len, '\n', path, out, n);
	memset(text, 0, len < FILE_MAX ? len : FILE_MAX);
	mem_free(text);
	return rc;
}
