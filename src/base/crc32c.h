/* crc32c: CRC-32C (Castagnoli), used by WAL records and RPC frames. */
#ifndef STRATA_BASE_CRC32C_H
#define STRATA_BASE_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Extend `crc` (start with 0) over n bytes: the SSE4.2 crc32 instruction
 * when the CPU has it (checked once), else crc32c_sw. */
uint32_t crc32c(uint32_t crc, const void *data, size_t n);
/* The same value by the portable slicing-by-8 tables (the reference the
 * hardware path is tested against). */
uint32_t crc32c_sw(uint32_t crc, const void *data, size_t n);

#endif
