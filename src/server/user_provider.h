/*
 * user_provider: the user table of the wire servers, from GreptimeDB's
 * `--user-provider` option value.
 *
 *   static_user_provider:file:<path>   a text file, one "user=password"
 *                                      per line; blank lines and lines
 *                                      starting with '#' are ignored;
 *                                      spaces around user and password are
 *                                      trimmed, the password is everything
 *                                      after the first '='
 *   static_user_provider:cmd:u=p[,u=p] the same pairs inline
 *
 * A malformed line (no '=', empty user, user longer than 63 bytes,
 * duplicate user) is an ERR_BAD_INPUT naming the file and line: a typo in
 * the user table must stop the server from starting, never open it up.
 * An empty table is also refused (it would mean "no authentication").
 */
#ifndef STRATA_SERVER_USER_PROVIDER_H
#define STRATA_SERVER_USER_PROVIDER_H

#include <stddef.h>

#include "server/handler.h"

#define USER_NAME_MAX 63

/* Parse "user=password" lines of text (len bytes). *out (an array of n
 * users with their own strings) is freed with user_provider_free. `what`
 * names the source in error messages. */
int user_provider_parse(const char *text, size_t len, const char *what, struct wire_user **out,
			size_t *n);
/* Load the users of an option value (see above). */
int user_provider_load(const char *spec, struct wire_user **out, size_t *n);
void user_provider_free(struct wire_user *u, size_t n);

#endif
