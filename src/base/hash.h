/*
 * hash: 64-bit hashes for in-memory hash tables (aggregation groups, joins,
 * DISTINCT, name lookups). Never written to disk or sent over the wire: the
 * values may change between versions, so nothing may depend on them beyond
 * one process's tables.
 */
#ifndef STRATA_BASE_HASH_H
#define STRATA_BASE_HASH_H

#include <stddef.h>
#include <stdint.h>

/* A 64-bit mix of x in which every input bit affects every output bit
 * (MurmurHash3's finaliser), so the low bits alone make a good slot index. */
static inline uint64_t hash_u64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

/* Hash of the n bytes at p (p may be NULL when n is 0), with seed. Byte
 * strings of different lengths hash apart even when one is the other plus
 * zero bytes. */
uint64_t hash_bytes(const void *p, size_t n, uint64_t seed);

#endif
