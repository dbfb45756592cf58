#!/usr/bin/env bash
# Installs what Strata needs on a fresh Debian 12 machine (run as root, or
# with sudo available). Idempotent: only missing packages are installed.
#   install-deps.sh run   build + run the database
#   install-deps.sh test  also everything the test suites use
set -euo pipefail
mode=${1:-run}
cd "$(dirname "$0")/.."

build_pkgs=(build-essential pkg-config libzstd-dev libcjson-dev libcurl4-openssl-dev libssl-dev
	libsqlite3-dev libmicrohttpd-dev libprotobuf-c-dev protobuf-c-compiler)
test_pkgs=(libcmocka-dev nodejs npm python3 curl mariadb-client postgresql-client
	python3-pymysql python3-psycopg2 python3-cryptography libpostgresql-jdbc-java libmariadb-java
	default-jdk-headless tzdata etcd-server etcd-client openssl
	clang libclang-rt-14-dev chromium)

want=("${build_pkgs[@]}")
[ "$mode" = test ] && want+=("${test_pkgs[@]}")

missing=()
for p in "${want[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
# nodejs/npm may come from elsewhere (e.g. NodeSource); a working binary is enough.
if [ ${#missing[@]} -gt 0 ]; then
	filtered=()
	for p in "${missing[@]}"; do
		case "$p" in
		nodejs) command -v node >/dev/null || filtered+=("$p") ;;
		npm) command -v npm >/dev/null || filtered+=("$p") ;;
		*) filtered+=("$p") ;;
		esac
	done
	missing=("${filtered[@]+"${filtered[@]}"}")
fi
if [ ${#missing[@]} -gt 0 ]; then
	SUDO=""
	[ "$(id -u)" -ne 0 ] && SUDO=sudo
	echo "install-deps: apt-get install ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -qq || true
	$SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ "$mode" = test ]; then
	# Ceph's radosgw is the real S3 endpoint of the S3 suite (no recommends:
	# the full set pulls in hundreds of MB).
	ceph=()
	for p in ceph-mon ceph-osd radosgw ceph-common; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || ceph+=("$p")
	done
	if [ ${#ceph[@]} -gt 0 ]; then
		SUDO=""
		[ "$(id -u)" -ne 0 ] && SUDO=sudo
		echo "install-deps: apt-get install --no-install-recommends ${ceph[*]}"
		DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${ceph[@]}" >/dev/null
	fi
	# DuckDB reads our Parquet files in the interop test.
	if [ ! -d tests/interop/node_modules/@duckdb/node-api ]; then
		echo "install-deps: npm install @duckdb/node-api (tests/interop)"
		(cd tests/interop && npm install --no-audit --no-fund --silent >/dev/null)
	fi
	# playwright-core drives Debian's chromium in the console's browser tests
	# (it downloads no browser of its own).
	if [ ! -d tests/console/node_modules/playwright-core ]; then
		echo "install-deps: npm install playwright-core (tests/console)"
		(cd tests/console && npm install --no-audit --no-fund --silent >/dev/null)
	fi
fi
