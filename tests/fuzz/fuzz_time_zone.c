/*
 * fuzz_time_zone: the session time zone a client sets (SET time_zone /
 * PostgreSQL TimeZone), server/value_format.h: vfmt_tz_offset on the
 * text, vfmt_tz_resolve (named zones are loaded from the system zoneinfo
 * folder: names with "..", a leading '/' or 64+ bytes must be refused),
 * and vfmt_tz_offset_at over a spread of instants (POSIX footer rules
 * included). Offsets must stay within +-26 hours. Input: the name (NUL
 * bytes end it, as in the C string a server passes on).
 */
#include <string.h>

#include "fuzz/fuzz_util.h"
#include "server/value_format.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 256)
		return 0;
	char name[257];
	memcpy(name, data, size);
	name[size] = '\0';
	int32_t secs = 0;
	if (vfmt_tz_offset(name, &secs) == 0)
		FUZZ_CHECK(secs >= -26 * 3600 && secs <= 26 * 3600);
	struct vfmt_tz tz;
	memset(&tz, 0, sizeof(tz));
	if (vfmt_tz_resolve(name, &tz) == 0) {
		if (tz.zone)
			FUZZ_CHECK(!strstr(name, "..") && name[0] != '/' && strlen(name) < 64);
		static const int64_t at[] = {INT64_MIN / 2, -2208988800ll, -1, 0, 1700000000,
					     4102444800ll, 253402300799ll, INT64_MAX / 2};
		for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
			int32_t off = vfmt_tz_offset_at(&tz, at[i]);
			FUZZ_CHECK(off >= -26 * 3600 && off <= 26 * 3600);
		}
	}
	err_clear();
	return 0;
}
