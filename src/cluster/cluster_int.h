/*
 * cluster_int: what the files of src/cluster share: the connection to the
 * metasrv (one pooled rpc_client per listed address; a call that finds one
 * unavailable moves on to the next and remembers it).
 */
#ifndef STRATA_CLUSTER_CLUSTER_INT_H
#define STRATA_CLUSTER_CLUSTER_INT_H

#include <stdatomic.h>
#include <stdint.h>

#include "rpc/rpc.h"

struct meta_conn {
	struct rpc_client **c;
	uint32_t n;
	atomic_uint cur;
};

/* addrs: "host:port[,host:port...]". request_timeout_ms 0 = RPC default. */
int meta_conn_open(const char *addrs, int request_timeout_ms, struct meta_conn *m);
void meta_conn_close(struct meta_conn *m);
/* rpc_call on the current metasrv, then the others on ERR_UNAVAILABLE.
 * *resp: rpc_message_free. */
int meta_conn_call(struct meta_conn *m, enum rpc_method method, const ProtobufCMessage *req,
                   ProtobufCMessage **resp);

#endif
