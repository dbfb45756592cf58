/* utf8: see utf8.h. */
#include "base/utf8.h"

size_t utf8_seq_len(const uint8_t *s, size_t n)
{
	uint8_t b0 = s[0];
	size_t need;
	uint32_t cp, min;
	if (b0 < 0x80)
		return 1;
	if ((b0 & 0xe0) == 0xc0) {
		need = 1;
		cp = b0 & 0x1f;
		min = 0x80;
	} else if ((b0 & 0xf0) == 0xe0) {
		need = 2;
		cp = b0 & 0x0f;
		min = 0x800;
	} else if ((b0 & 0xf8) == 0xf0) {
		need = 3;
		cp = b0 & 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (need >= n)
		return 0;
	for (size_t k = 1; k <= need; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[k] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return need + 1;
}
