/* hostport: parsing "host:port". */
#include "base/hostport.h"

#include <stdlib.h>
#include <string.h>

#include "base/err.h"

int hostport_split(const char *addr, char *host, size_t hn, uint16_t *port)
{
	const char *colon = strrchr(addr, ':');
	const char *h = addr;
	size_t hl = colon ? (size_t)(colon - addr) : 0;
	if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
		h++;
		hl -= 2;
	}
	/* the port: digits only (strtol alone would take a sign or spaces) */
	char *end = NULL;
	long p = colon && colon[1] >= '0' && colon[1] <= '9' ? strtol(colon + 1, &end, 10) : -1;
	if (!colon || hl == 0 || hl >= hn || !end || *end || p < 0 || p > 65535)
		return err_set(ERR_BAD_INPUT, "bad address '%s' (want host:port)", addr);
	memcpy(host, h, hl);
	host[hl] = '\0';
	*port = (uint16_t)p;
	return ERR_OK;
}
