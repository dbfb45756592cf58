# Sourced (not run) by every suite that starts servers on loopback ports.
#
#   free_port        one free TCP port on 127.0.0.1
#   free_ports N     the base of N consecutive free TCP ports on 127.0.0.1
#
# Ports are drawn at random from 10000-32767, below the kernel's ephemeral
# range (net.ipv4.ip_local_port_range, 32768-60999 here): a port found free
# in that range can be handed to an outgoing connection (a datanode dialing
# etcd, a client) before the server binds it, which is how a datanode once
# failed with "Address already in use". A suite passes every port a process
# listens on explicitly; `strata cluster start` derives its datanode ports
# from --datanode-base-port (base, base+1, ...), so that base comes from
# free_ports, never from free_port.
#
# Ports handed out are remembered in $work/.ports_used (or a /tmp file named
# after the suite's shell when $work is unset), so two calls of one suite
# never return overlapping ports even though none is held between the calls.

ports_used_file() {
	if [ -n "${work:-}" ] && [ -d "$work" ]; then echo "$work/.ports_used"; else echo "/tmp/strata-ports.$$"; fi
}

free_ports() {
	python3 - "$1" "$(ports_used_file)" <<'PYEOF'
import random, socket, sys
count, used_file = int(sys.argv[1]), sys.argv[2]
try:
    used = {int(x) for x in open(used_file).read().split()}
except OSError:
    used = set()
for _ in range(500):
    base = random.randint(10000, 32768 - count)
    if used.intersection(range(base, base + count)):
        continue
    socks = []
    try:
        for p in range(base, base + count):
            s = socket.socket()
            s.bind(("127.0.0.1", p))
            socks.append(s)
        with open(used_file, "a") as f:
            f.write(" ".join(map(str, range(base, base + count))) + "\n")
        print(base)
        sys.exit(0)
    except OSError:
        pass
    finally:
        for s in socks:
            s.close()
sys.exit("free_ports: no %d consecutive free ports found" % count)
PYEOF
}

free_port() {
	free_ports 1
}
