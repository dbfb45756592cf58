/* crc32c: CRC-32C (Castagnoli), used by WAL records and RPC frames. */
#ifndef STRATA_BASE_CRC32C_H
#define STRATA_BASE_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Extend `crc` (start with 0) over n bytes. */
uint32_t crc32c(uint32_t crc, const void *data, size_t n);

#endif
