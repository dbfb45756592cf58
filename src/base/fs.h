/*
 * fs: small helpers over the local file system shared by the processes
 * (data homes, WAL folders, object-store caches).
 */
#ifndef STRATA_BASE_FS_H
#define STRATA_BASE_FS_H

/*
 * Create the folder `path` and any missing parents (mode 0755); folders that
 * exist already are fine. ERR_BAD_INPUT for an empty path or one longer than
 * PATH_MAX; ERR_IO "mkdir <folder>: <reason>" naming the folder that failed.
 */
int fs_mkdir_p(const char *path);

#endif
