/* fs: local file system helpers. */
#include "base/fs.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

#include "base/err.h"

int fs_mkdir_p(const char *path)
{
	char tmp[PATH_MAX];
	size_t n = strlen(path);
	if (n == 0)
		return err_set(ERR_BAD_INPUT, "empty folder path");
	if (n >= sizeof(tmp))
		return err_set(ERR_BAD_INPUT, "path too long: %.100s...", path);
	memcpy(tmp, path, n + 1);
	/* every prefix ending before a '/' (the root itself skipped), then the
	 * whole path */
	for (size_t i = 1; i <= n; i++) {
		if (tmp[i] != '/' && tmp[i] != '\0')
			continue;
		char c = tmp[i];
		tmp[i] = '\0';
		if (mkdir(tmp, 0755) && errno != EEXIST)
			return err_set(ERR_IO, "mkdir %s: %s", tmp, strerror(errno));
		tmp[i] = c;
	}
	return ERR_OK;
}
