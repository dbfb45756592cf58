/*
 * hash: see hash.h. hash_bytes takes the bytes eight at a time (little
 * endian loads), each word mixed by hash_u64 into the running value, the
 * 0-7 byte tail as one more word together with the length.
 */
#include "base/hash.h"

#include <string.h>

uint64_t hash_bytes(const void *p, size_t n, uint64_t seed)
{
	const uint8_t *s = p;
	uint64_t h = seed ^ (n * 0x9E3779B97F4A7C15ULL);
	while (n >= 8) {
		uint64_t k;
		memcpy(&k, s, 8);
		h = (h ^ hash_u64(k)) * 0x9E3779B97F4A7C15ULL;
		s += 8;
		n -= 8;
	}
	uint64_t k = 0;
	for (size_t i = 0; i < n; i++)
		k |= (uint64_t)s[i] << (8 * i);
	h ^= hash_u64(k ^ n);
	return hash_u64(h);
}
