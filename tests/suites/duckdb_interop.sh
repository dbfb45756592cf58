#!/usr/bin/env bash
# DuckDB interop: a Parquet file written by our writer
# ($STRATA_BUILD/tests/tools/write_sample_parquet, rows described in
# tests/tools/write_sample_parquet.c) is read by DuckDB through
# tests/interop/read_parquet.mjs (npm @duckdb/node-api), and we check what
# DuckDB sees: row count, column names and types (TIMESTAMP for ts), values
# including NULLs, aggregates, filtered counts (row-group pruning by our
# statistics), and parquet_metadata(): ZSTD codec, statistics, dictionary
# encoding, row groups; plus key-value metadata. Then the other direction:
# DuckDB writes files (zstd, uncompressed, snappy) and our reader decodes
# them (write_sample_parquet --dump). Prints TAP lines.
# Builds nothing: run `make build` and `cd tests/interop && npm install` first.
set -u
cd "$(dirname "$0")/../.."
B=${STRATA_BUILD:-build}
tool=$B/tests/tools/write_sample_parquet
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); echo "not ok $n - $1"; }

if [ -x "$tool" ] && "$tool" "$tmp/sample.parquet"; then
	ok "write_sample_parquet wrote $(wc -c <"$tmp/sample.parquet") bytes"
else
	nok "write_sample_parquet ($tool) writes a file"
	exit 1
fi
if [ ! -d tests/interop/node_modules/@duckdb/node-api ]; then
	nok "@duckdb/node-api installed (cd tests/interop && npm install)"
	exit 1
fi
if (cd tests/interop && node read_parquet.mjs "$tmp/sample.parquet") >"$tmp/out.json" 2>"$tmp/err.txt"; then
	ok "DuckDB reads the file"
else
	nok "DuckDB reads the file: $(head -c 500 "$tmp/err.txt")"
	exit 1
fi

# The other direction: DuckDB writes, our reader (write_sample_parquet
# --dump, ranged pread()s) decodes. SNAPPY must be refused cleanly.
for codec in zstd uncompressed snappy; do
	f="$tmp/duck_$codec.parquet"
	if ! (cd tests/interop && node read_parquet.mjs --write "$f" "$codec") 2>"$tmp/err.txt"; then
		nok "DuckDB writes a $codec file: $(head -c 300 "$tmp/err.txt")"
		continue
	fi
	"$tool" --dump "$f" >"$tmp/dump_$codec.json" 2>"$tmp/dump_$codec.err"
	echo $? >"$tmp/dump_$codec.rc"
done

python3 - "$tmp/out.json" "$n" "$tmp" <<'EOF'
import json, sys

d = json.load(open(sys.argv[1]))
n = int(sys.argv[2])
failed = 0

def check(name, cond, detail=""):
    global n, failed
    n += 1
    if cond:
        print(f"ok {n} - {name}")
    else:
        failed += 1
        print(f"not ok {n} - {name}" + (f": {detail}" if detail else ""))

regions = ["us-east-1", "eu-west-2", "ap-south-1"]
def expected_row(i):
    return {
        "host": f"host_{i % 10}",
        "region": None if i % 7 == 3 else regions[i % 3],
        "ts_ms": str(1700000000000 + i * 1000),
        "usage": None if i % 5 == 0 else i * 0.5,
        "n": str(i * 1000003 - 500000000),
        "flag": i % 2 == 0,
        "small": i % 200 - 100,
        "u": "18446744073709551615" if i == 0 else str(i * 7),
    }

check("row count is 1000", d["rows"] == 1000, d["rows"])
names = [c["name"] for c in d["columns"]]
check("column names", names == ["host", "region", "ts", "usage", "n", "flag", "small", "u"], names)
types = {c["name"]: c["type"] for c in d["columns"]}
check("ts is a TIMESTAMP", types.get("ts", "").startswith("TIMESTAMP"), types.get("ts"))
want_types = {"host": "VARCHAR", "region": "VARCHAR", "usage": "DOUBLE", "n": "BIGINT",
              "flag": "BOOLEAN", "small": "INTEGER", "u": "UBIGINT"}
bad = {k: types.get(k) for k, v in want_types.items() if types.get(k) != v}
check("other column types (VARCHAR, DOUBLE, BIGINT, BOOLEAN, INTEGER, UBIGINT)", not bad, bad)

first = d["first"]
def norm(r):
    r = dict(r)
    for k in ("ts_ms", "n", "u"):
        if r.get(k) is not None:
            r[k] = str(r[k])
    if r.get("usage") is not None:
        r["usage"] = float(r["usage"])
    if r.get("small") is not None:
        r["small"] = int(r["small"])
    return r
mism = [(i, norm(r), expected_row(i)) for i, r in enumerate(first) if norm(r) != expected_row(i)]
check("first 12 rows have the written values", len(first) == 12 and not mism, mism[:2])
check("NULLs survive (row 0 usage, row 3 region)",
      len(first) > 3 and first[0]["usage"] is None and first[3]["region"] is None
      and first[1]["usage"] is not None)

a = d["agg"]
check("null counts (region 143, usage 200)",
      str(a["region_nulls"]) == "143" and str(a["usage_nulls"]) == "200", a)
check("sums (usage 200000, n -498501500, small -500)",
      float(a["usage_sum"]) == 200000.0 and str(a["n_sum"]) == "-498501500"
      and str(a["small_sum"]) == "-500", a)
check("UINT64 range (min 7, max 2^64-1)",
      a["u_min"] == "7" and a["u_max"] == "18446744073709551615", a)
check("distinct hosts 10, true flags 500",
      str(a["hosts"]) == "10" and str(a["flags"]) == "500", a)
check("timestamp range", str(a["ts_min"]) == "1700000000000" and str(a["ts_max"]) == "1700000999000", a)

f = {k: str(v) for k, v in d["filters"].items()}
want_f = {"u_big": "1", "small_m100": "5", "ts_late": "100", "host3": "100", "usage_big": "160",
          "n_small": "1"}
check("filtered counts (statistics-based pruning keeps matching rows)", f == want_f, f)

meta = d["meta"]
rgs = sorted({str(m["row_group_id"]) for m in meta})
check("3 row groups of 8 column chunks", rgs == ["0", "1", "2"] and len(meta) == 24, (rgs, len(meta)))
codecs = {m["compression"] for m in meta}
check("every column chunk is ZSTD", codecs == {"ZSTD"}, codecs)
nostats = [(m["row_group_id"], m["col"]) for m in meta
           if m["stats_min_value"] is None or m["stats_max_value"] is None
           or m["stats_null_count"] is None]
check("every column chunk has min/max/null_count statistics", not nostats, nostats)
by = {(str(m["row_group_id"]), m["col"]): m for m in meta}
m0 = by.get(("0", "u"), {})
check("UINT64 statistics are unsigned (rg 0: 7 .. 2^64-1)",
      str(m0.get("stats_min_value")) == "7" and str(m0.get("stats_max_value")) == "18446744073709551615", m0)
m1 = by.get(("0", "region"), {})
check("string statistics and null count (rg 0 region)",
      m1.get("stats_min_value") == "ap-south-1" and m1.get("stats_max_value") == "us-east-1"
      and str(m1.get("stats_null_count")) == "57", m1)
enc = by.get(("0", "host"), {}).get("encodings", "")
check("host is dictionary encoded", "RLE_DICTIONARY" in str(enc), enc)
kv = {r["k"]: r["v"] for r in d["kv"]}
check("key-value metadata", kv.get("strata.sample") == "v1", kv)
# DuckDB-written files through our reader
tmp = sys.argv[3]
types_want = [("host", "String"), ("region", "String"), ("ts", "TimestampMicrosecond"),
              ("usage", "Float64"), ("n", "Int64"), ("flag", "Boolean"), ("small", "Int32"),
              ("u", "UInt64")]
for codec in ("zstd", "uncompressed"):
    try:
        rc = open(f"{tmp}/dump_{codec}.rc").read().strip()
        err = open(f"{tmp}/dump_{codec}.err").read()
        dump = json.load(open(f"{tmp}/dump_{codec}.json")) if rc == "0" else None
    except (OSError, ValueError) as e:
        rc, err, dump = "?", str(e), None
    check(f"our reader decodes DuckDB's {codec} file", dump is not None, err[:300])
    if dump is None:
        continue
    got_types = [(c["name"], c["type"]) for c in dump["columns"]]
    check(f"DuckDB {codec}: column names and dtypes", got_types == types_want, got_types)
    bad = []
    for i, row in enumerate(dump["rows"]):
        e = expected_row(i)
        want = [e["host"], e["region"], str(int(e["ts_ms"]) * 1000), e["usage"], e["n"],
                e["flag"], str(e["small"]), e["u"]]
        if row != want:
            bad.append((i, row, want))
    check(f"DuckDB {codec}: 5000 rows in 3 row groups with the expected values and NULLs",
          len(dump["rows"]) == 5000 and dump["row_groups"] == 3 and not bad,
          (len(dump["rows"]), dump["row_groups"], bad[:2]))
try:
    rc = open(f"{tmp}/dump_snappy.rc").read().strip()
    err = open(f"{tmp}/dump_snappy.err").read()
except OSError as e:
    rc, err = "?", str(e)
check("DuckDB snappy file: our reader refuses it with UNSUPPORTED codec",
      rc == "1" and "UNSUPPORTED" in err and "codec" in err, (rc, err[:300]))
sys.exit(1 if failed else 0)
EOF
