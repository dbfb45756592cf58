/*
 * fault: named fault-injection points (Tarantool errinj style).
 *
 * Code marks a point with `if (fault_hit(FAULT_WAL_APPEND_AFTER)) goto out;`.
 * When nothing is armed the check is one relaxed atomic load. Tests arm a
 * point in-process (fault_arm) or through the environment of a child
 * process:
 *     STRATA_FAULTS="sst.upload.after=kill,objstore.put=fail:2:1,wal.fsync=delay:50"
 * spec per point: ACTION[:SKIP[:COUNT]] for fail/kill, delay:MS[:SKIP[:COUNT]];
 * SKIP hits pass first, then COUNT hits fire (0 = forever, default 1 for kill,
 * 0 for fail/delay).
 *   fail  -> fault_hit returns ERR_IO (message names the point)
 *   delay -> sleeps MS milliseconds, returns ERR_OK
 *   kill  -> raise(SIGKILL): the process dies on the spot, as in a crash
 */
#ifndef STRATA_BASE_FAULT_H
#define STRATA_BASE_FAULT_H

/* X(enum suffix, name) */
#define FAULT_POINTS(X)                                 \
	X(WAL_APPEND_AFTER, "wal.append.after")         \
	X(WAL_FSYNC, "wal.fsync")                       \
	X(SST_UPLOAD_AFTER, "sst.upload.after")         \
	X(MANIFEST_WRITE_MID, "manifest.write.mid")     \
	X(MANIFEST_WRITE_AFTER, "manifest.write.after") \
	X(OBJSTORE_PUT, "objstore.put")                 \
	X(OBJSTORE_GET, "objstore.get")                 \
	X(OBJSTORE_LIST, "objstore.list")               \
	X(OBJSTORE_DELETE, "objstore.delete")           \
	X(HEARTBEAT_SEND, "heartbeat.send")             \
	X(MEMTABLE_FETCH, "memtable.fetch")             \
	X(FRONTEND_WRITE_SHARE, "frontend.write.share") \
	X(METASRV_ALTER_REGION, "metasrv.alter.region") \
	X(REGION_FLUSH_BACKGROUND, "region.flush.background")

enum fault_point {
#define X(e, n) FAULT_##e,
	FAULT_POINTS(X)
#undef X
	FAULT__COUNT
};

enum fault_action { FAULT_OFF, FAULT_FAIL, FAULT_DELAY, FAULT_KILL };

int fault_hit(enum fault_point p);
void fault_arm(enum fault_point p, enum fault_action a, int delay_ms, int skip, int count);
void fault_disarm_all(void);
/* Parse a STRATA_FAULTS-style spec; returns ERR_OK or ERR_BAD_INPUT. */
int fault_arm_spec(const char *spec);
const char *fault_name(enum fault_point p);
/* Number of times point p fired since it was armed. */
int fault_fired(enum fault_point p);

#endif
