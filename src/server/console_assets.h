/*
 * console_assets: the web console's files (console/ in the repository),
 * built into the binary. The table is generated at build time by
 * mk/embed_console.sh into $(BUILD)/gen/console_assets.c (see
 * mk/console.mk); nothing is read from disk at run time.
 *
 * Layout of the generated file: one `static const unsigned char aN[]` per
 * file holding its bytes followed by one extra 0 byte (so an empty file is
 * still a valid array and every asset is NUL-terminated), then the table
 * below with `len` the file's size without that extra byte, sorted by name.
 */
#ifndef STRATA_SERVER_CONSOLE_ASSETS_H
#define STRATA_SERVER_CONSOLE_ASSETS_H

#include <stddef.h>

struct console_asset {
	const char *name;           /* file name under console/, e.g. "app.js" */
	const unsigned char *data;  /* len bytes, then a 0 byte */
	size_t len;
};

extern const struct console_asset console_assets[];
extern const size_t console_nassets;

#endif
