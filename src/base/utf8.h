/*
 * utf8: validation of UTF-8 text as RFC 3629 defines it: no overlong
 * forms, no surrogates (U+D800..U+DFFF), nothing above U+10FFFF.
 */
#ifndef STRATA_BASE_UTF8_H
#define STRATA_BASE_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Length (1-4) of the valid UTF-8 sequence at s, which has n >= 1 bytes
 * left; 0 when the bytes there are not one (a stray continuation byte, a
 * bad lead byte, a sequence cut short by n, overlong, a surrogate or above
 * U+10FFFF). A NUL byte is a valid sequence of length 1. */
size_t utf8_seq_len(const uint8_t *s, size_t n);

#endif
