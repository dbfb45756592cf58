/*
 * hostport: the "host:port" addresses of configuration and flags
 * (listen addresses, peers, advertised addresses).
 *
 * Accepted: "name:port", "1.2.3.4:port" and "[v6 address]:port" (the
 * brackets are removed from the host), port a decimal in 0..65535 with
 * nothing after it. The last ':' separates the port, so an unbracketed
 * IPv6 address does not parse as intended: bracket it.
 */
#ifndef STRATA_BASE_HOSTPORT_H
#define STRATA_BASE_HOSTPORT_H

#include <stddef.h>
#include <stdint.h>

/* Split addr into host (NUL-terminated, at most hn - 1 bytes) and port.
 * ERR_BAD_INPUT "bad address '<addr>' (want host:port)" otherwise; host and
 * port are left unchanged then. */
int hostport_split(const char *addr, char *host, size_t hn, uint16_t *port);

#endif
