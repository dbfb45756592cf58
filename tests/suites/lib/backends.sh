# Sourced (not run) by the suites that need a real S3 endpoint or etcd:
# tests/suites/s3_backend.sh and tests/suites/cluster_backends.sh.
# Must be sourced from the repository root (the suites cd there first).
#
#   backends_install_ceph LOGFILE
#       apt-get installs ceph-mon ceph-osd radosgw ceph-common when missing
#   backends_rgw_up DIR BUCKET ERRFILE
#       starts a one-node radosgw with scripts/rgw-up.sh in DIR and exports
#       STRATA_S3_ENDPOINT STRATA_S3_BUCKET STRATA_S3_REGION
#       STRATA_S3_ACCESS_KEY_ID STRATA_S3_SECRET_ACCESS_KEY STRATA_RGW_DIR;
#       non-zero (stderr of rgw-up in ERRFILE) on failure. Stop it with
#       scripts/rgw-down.sh DIR.
#   backends_etcd_up DIR MEMBERS ERRFILE
#       installs etcd when missing, starts a 1- or 3-member cluster with
#       scripts/etcd-up.sh and exports STRATA_ETCD_ENDPOINTS,
#       STRATA_ETCD_PIDS; stop it with scripts/etcd-down.sh DIR.

backends_install_ceph() {
	local log=$1 SUDO=""
	if command -v radosgw >/dev/null && command -v ceph-mon >/dev/null &&
		command -v ceph-osd >/dev/null && command -v ceph >/dev/null; then
		return 0
	fi
	[ "$(id -u)" -ne 0 ] && SUDO=sudo
	echo "# installing ceph-mon ceph-osd radosgw ceph-common"
	export DEBIAN_FRONTEND=noninteractive
	local pkgs=(ceph-mon ceph-osd radosgw ceph-common)
	if ! $SUDO apt-get install --no-install-recommends -y "${pkgs[@]}" >"$log" 2>&1; then
		$SUDO apt-get update -qq >>"$log" 2>&1
		$SUDO apt-get install --no-install-recommends -y "${pkgs[@]}" >>"$log" 2>&1 ||
			{ tail -5 "$log" | sed 's/^/# /'; return 1; }
	fi
}

backends_rgw_up() {
	local dir=$1 bucket=$2 err=$3 out
	backends_install_ceph "$err.apt" || return 1
	out=$(RGW_BUCKET=$bucket scripts/rgw-up.sh "$dir" 2>"$err") || return 1
	eval "$out"
	export STRATA_RGW_DIR STRATA_S3_ENDPOINT STRATA_S3_BUCKET STRATA_S3_REGION \
		STRATA_S3_ACCESS_KEY_ID STRATA_S3_SECRET_ACCESS_KEY
}

backends_etcd_up() {
	local dir=$1 members=$2 err=$3 out SUDO=""
	if ! command -v etcd >/dev/null; then
		[ "$(id -u)" -ne 0 ] && SUDO=sudo
		DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y etcd-server etcd-client \
			>"$err.apt" 2>&1 || return 1
	fi
	out=$(scripts/etcd-up.sh "$dir" "$members" 2>"$err") || return 1
	eval "$out"
	export STRATA_ETCD_DIR STRATA_ETCD_ENDPOINTS STRATA_ETCD_PIDS
}
