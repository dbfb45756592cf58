#!/usr/bin/env python3
"""Writes the hand-built seed inputs of the wire-protocol targets
(mysql_packet, pg_message), of pk_codec and of catalog_json under
tests/fuzz/corpus/. Each seed starts with
the selector byte its target reads (see the top of fuzz_<target>.c).
The binary seeds of the storage targets come from gen_seeds.c
(make -f mk/fuzz.mk fuzz-seeds); the text ones are files in the corpus.

Usage: tests/fuzz/make_seeds.py [CORPUS_DIR]
"""
import os
import struct
import sys

root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus")


def write(target, name, data):
    d = os.path.join(root, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def lenenc(n):
    if n < 0xFB:
        return bytes([n])
    if n < 1 << 16:
        return b"\xfc" + struct.pack("<H", n)
    if n < 1 << 24:
        return b"\xfd" + struct.pack("<I", n)[:3]
    return b"\xfe" + struct.pack("<Q", n)


def lstr(b):
    return lenenc(len(b)) + b


# ---- MySQL -----------------------------------------------------------------
PROTOCOL_41, SECURE, PLUGIN_AUTH = 0x200, 0x8000, 0x80000
WITH_DB, ATTRS, LENENC, SSL, LONG_PW = 0x8, 0x100000, 0x200000, 0x800, 0x1


def handshake(caps, user, auth, db=None, plugin=None, attrs=None):
    p = struct.pack("<IIB", caps, 16 << 20, 45) + b"\0" * 23 + user + b"\0"
    if caps & LENENC:
        p += lstr(auth)
    elif caps & SECURE:
        p += bytes([len(auth)]) + auth
    else:
        p += auth + b"\0"
    if db is not None:
        p += db + b"\0"
    if plugin is not None:
        p += plugin + b"\0"
    if attrs is not None:
        body = b"".join(lstr(k) + lstr(v) for k, v in attrs)
        p += lstr(body)
    return p


base = PROTOCOL_41 | SECURE | LONG_PW | PLUGIN_AUTH
write("mysql_packet", "hs_native.bin", b"\x00" + handshake(
    base | WITH_DB | ATTRS | LENENC, b"root", bytes(range(20)), b"public",
    b"mysql_native_password", [(b"_client_name", b"libmariadb"), (b"_os", b"Linux")]))
write("mysql_packet", "hs_sha2_nodb.bin", b"\x00" + handshake(
    base, b"greptime_user", bytes(range(32)), None, b"caching_sha2_password"))
write("mysql_packet", "hs_old_auth.bin", b"\x00" + handshake(
    PROTOCOL_41 | WITH_DB, b"u", b"pw", b"db"))
write("mysql_packet", "ssl_request.bin", b"\x00" + struct.pack(
    "<IIB", base | SSL, 16 << 20, 45) + b"\0" * 23)

# COM_STMT_EXECUTE: selector 1, nparams, stmt_id, flags, iterations, bitmap,
# bound, types, values
T = dict(TINY=1, SHORT=2, LONG=3, FLOAT=4, DOUBLE=5, NULL=6, TIMESTAMP=7,
         LONGLONG=8, INT24=9, DATE=10, TIME=11, DATETIME=12, YEAR=13,
         VARCHAR=15, NEWDECIMAL=246, BLOB=252, VAR_STRING=253, STRING=254)
params = [
    ("LONGLONG", 0, struct.pack("<q", -42)),
    ("LONGLONG", 0x80, struct.pack("<Q", 2**64 - 1)),
    ("DOUBLE", 0, struct.pack("<d", 3.25)),
    ("FLOAT", 0, struct.pack("<f", float("inf"))),
    ("VAR_STRING", 0, lstr(b"it's a \\ 'quoted' value")),
    ("BLOB", 0, lstr(b"\x00\xff\x01binary")),
    ("DATETIME", 0, bytes([11]) + struct.pack("<HBBBBBI", 2024, 1, 2, 3, 4, 5, 678901)),
    ("DATE", 0, bytes([4]) + struct.pack("<HBB", 2024, 2, 29)),
    ("TIME", 0, bytes([12, 1]) + struct.pack("<IBBBI", 3, 4, 5, 6, 7)),
    ("NEWDECIMAL", 0, lstr(b"-12.5e3")),
    ("TINY", 0x80, b"\xff"),
    ("SHORT", 0, struct.pack("<h", -2)),
    ("LONG", 0, struct.pack("<i", 7)),
    ("NULL", 0, b""),
]
n = len(params)
bitmap = bytearray((n + 7) // 8)
bitmap[(n - 1) // 8] |= 1 << ((n - 1) % 8)  # last one NULL via the bitmap
types = b"".join(bytes([T[t], f]) for t, f, _ in params)
vals = b"".join(v for _, _, v in params[:-1])
write("mysql_packet", "execute_all_types.bin", b"\x01" + bytes([n]) +
      struct.pack("<IBI", 1, 0, 1) + bytes(bitmap) + b"\x01" + types + vals)
write("mysql_packet", "execute_unbound.bin", b"\x01" + bytes([2]) +
      struct.pack("<IBI", 7, 0, 1) + b"\x00" + b"\x00" + lstr(b"a") + lstr(b"b'c"))
for i, (t, f, v) in enumerate(params[:6]):
    write("mysql_packet", f"param_{t.lower()}_{i}.bin", b"\x02" + bytes([T[t], f >> 7]) + v)

# ---- PostgreSQL --------------------------------------------------------------
def cstr(s):
    return s + b"\0"


def startup(params):
    return struct.pack(">I", 196608) + b"".join(cstr(k) + cstr(v) for k, v in params) + b"\0"


write("pg_message", "startup.bin", b"\x00" + startup(
    [(b"user", b"postgres"), (b"database", b"public"), (b"client_encoding", b"UTF8"),
     (b"application_name", b"psql"), (b"DateStyle", b"ISO")]))
write("pg_message", "ssl_request.bin", b"\x00" + struct.pack(">I", 80877103))
write("pg_message", "cancel.bin", b"\x00" + struct.pack(">III", 80877102, 1234, 0xdeadbeef))

OID = dict(bool=16, bytea=17, int8=20, int2=21, int4=23, text=25, float4=700,
           float8=701, unknown=705, varchar=1043, date=1082, timestamp=1114,
           timestamptz=1184, numeric=1700)


def parse_msg(name, sql, oids):
    return cstr(name) + cstr(sql) + struct.pack(">H", len(oids)) + b"".join(
        struct.pack(">I", o) for o in oids)


def bind_msg(portal, stmt, fmts, vals, rfmts):
    b = cstr(portal) + cstr(stmt) + struct.pack(">H", len(fmts)) + b"".join(
        struct.pack(">h", f) for f in fmts)
    b += struct.pack(">H", len(vals))
    for v in vals:
        b += struct.pack(">i", -1) if v is None else struct.pack(">i", len(v)) + v
    return b + struct.pack(">H", len(rfmts)) + b"".join(struct.pack(">h", f) for f in rfmts)


def parse_bind(sql, oids, fmts, vals, rfmts):
    p = parse_msg(b"s1", sql, oids)
    return b"\x01" + struct.pack(">H", len(p)) + p + bind_msg(b"", b"s1", fmts, vals, rfmts)


o = OID
write("pg_message", "bind_text.bin", parse_bind(
    b"SELECT $1, $2, $3, $4 FROM t WHERE a = $5", [o["text"], o["int8"], o["bool"], o["float8"], 0],
    [0], [b"it's", b" -42 ", b"yes", b"1.5e3", None], [0]))
write("pg_message", "bind_binary.bin", parse_bind(
    b"INSERT INTO t VALUES ($1, $2, $3, $4, $5, $6, $7)",
    [o["int4"], o["int8"], o["float8"], o["bytea"], o["date"], o["timestamptz"], o["varchar"]],
    [1] * 7,
    [struct.pack(">i", -7), struct.pack(">q", 2**62), struct.pack(">d", -0.5), b"\x00\x01'",
     struct.pack(">i", 8766), struct.pack(">q", 757382400000000), b"x'y"],
    [1, 0]))
write("pg_message", "bind_mixed.bin", parse_bind(
    b"SELECT $1::bytea, $2::numeric", [o["bytea"], o["numeric"]], [0, 0],
    [b"\\x00ff", b"NaN"], []))
for name, oid, fmt, v in [("int2_bin", o["int2"], 1, struct.pack(">h", -3)),
                          ("float4_bin", o["float4"], 1, struct.pack(">f", float("nan"))),
                          ("text_quote", o["text"], 0, b"a'';--\\"),
                          ("timestamp_bin", o["timestamp"], 1, struct.pack(">q", -1)),
                          ("bool_bin", o["bool"], 1, b"\x01")]:
    write("pg_message", f"param_{name}.bin", b"\x02" + struct.pack(">I", oid) + bytes([fmt]) + v)

first = b"n,,n=,r=rOprNGfwEbeRWgbNEkqO"
final = (b"c=biws,r=rOprNGfwEbeRWgbNEkqOc2VydmVyTm9uY2U,"
         b"p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
write("pg_message", "scram.bin", b"\x03" + struct.pack(">H", len(first)) + first + final)

# ---- pk_codec (layout at the top of src/storage/pk_codec.c) -----------------
def pk_i64(x):
    return b"\x01" + struct.pack(">Q", (x & (2**64 - 1)) ^ (1 << 63))


def pk_u64(x):
    return b"\x01" + struct.pack(">Q", x)


def pk_f64(f):
    (b,) = struct.unpack("<Q", struct.pack("<d", f))
    return b"\x01" + struct.pack(">Q", (~b & (2**64 - 1)) if b >> 63 else b | 1 << 63)


def pk_str(s):
    e = s.replace(b"\x00", b"\x00\xff") + b"\x00\x01"
    return b"\x01" + e + (s if b"\x00" in s else b"")


NULL = b"\x00"
write("pk_codec", "s0_host.bin", b"\x00" + pk_str(b"host_1"))
write("pk_codec", "s0_null.bin", b"\x00" + NULL)
write("pk_codec", "s1_mixed.bin", b"\x01" + pk_i64(-5) + pk_str(b"a\x00b") + pk_u64(7))
write("pk_codec", "s1_nulls.bin", b"\x01" + NULL + pk_str(b"") + NULL)
write("pk_codec", "s2_all.bin", b"\x02" + pk_str(b"\x00\x00\xff") + pk_f64(-0.5) + pk_i64(1) +
      pk_str(b"dc-1") + pk_i64(1700000000000))

# ---- catalog_json (format at the top of src/meta/catalog.h) -----------------
schema = (b'{"columns":[{"name":"ts","type":"TimestampMillisecond","semantic":"TIMESTAMP",'
          b'"nullable":false,"column_id":0},{"name":"host","type":"String","semantic":"TAG",'
          b'"nullable":true,"column_id":1},{"name":"v","type":"Float64","semantic":"FIELD",'
          b'"nullable":true,"column_id":2}],"primary_key":[1],"time_index":0,'
          b'"options":{"append_mode":false,"merge_mode":"last_row","ttl_ms":0,'
          b'"compaction_window_s":0,"write_buffer_size":0},"version":0}')
write("catalog_json", "table_info.json", b"\x00" + b'{"table_id":1024,"catalog":"greptime",'
      b'"schema":"public","name":"foo","engine":"mito","created_ms":1700000000000,'
      b'"region_schema":' + schema + b',"options":[["ttl","7d"],["append_mode","true"]],'
      b'"partition_columns":["host"],"partition_rules":["host < \'m\'","host >= \'m\'"],'
      b'"comment":"c"}')
write("catalog_json", "table_info_min.json", b"\x00" + b'{"table_id":1025,"catalog":"greptime",'
      b'"schema":"s","name":"t","engine":"mito","created_ms":0,"region_schema":' + schema +
      b',"options":[],"partition_columns":[],"partition_rules":[]}')
write("catalog_json", "table_route.json", b"\x01" + b'{"table_id":1024,"regions":['
      b'{"region_id":4398046511104,"leader":1,"followers":[0,2],"leader_state":null,'
      b'"leader_down_since_ms":0},{"region_id":4398046511105,"leader":2,"followers":[],'
      b'"leader_state":"downgrading","leader_down_since_ms":1700000000000}]}')

# ---- wire_session: whole client byte streams -------------------------------
def my_pkt(seq, payload):
    return struct.pack("<I", len(payload))[:3] + bytes([seq]) + payload


def my_cmd(payload):
    return my_pkt(0, payload)


hs = handshake(base | WITH_DB | LENENC, b"root", b"", b"public", b"mysql_native_password")
exec_body = (struct.pack("<IBI", 1, 0, 1) + b"\x00" + b"\x01" + bytes([T["VAR_STRING"], 0, T["LONGLONG"], 0])
             + lstr(b"a'b") + struct.pack("<q", -7))
write("wire_session", "mysql_session.bin", b"\x00" + my_pkt(1, hs) +
      my_cmd(b"\x03SELECT 1, 'x'") +
      my_cmd(b"\x03INSERT INTO t VALUES (1)") +
      my_cmd(b"\x03ERR") +
      my_cmd(b"\x02public") +
      my_cmd(b"\x16SELECT ?, ? FROM t") +
      my_cmd(b"\x18" + struct.pack("<IH", 1, 0) + b"long data") +
      my_cmd(b"\x17" + exec_body) +
      my_cmd(b"\x1a" + struct.pack("<I", 1)) +
      my_cmd(b"\x17" + exec_body) +
      my_cmd(b"\x19" + struct.pack("<I", 1)) +
      my_cmd(b"\x0e") + my_cmd(b"\x01"))
write("wire_session", "mysql_ssl_then_bad.bin", b"\x00" + my_pkt(1, struct.pack(
    "<IIB", base | SSL, 16 << 20, 45) + b"\0" * 23) + my_pkt(2, b"\x00" * 40))


def pg_msg(t, body):
    return t + struct.pack(">I", len(body) + 4) + body


def pg_startup(params):
    body = startup(params)
    return struct.pack(">I", len(body) + 4) + body


write("wire_session", "pg_session.bin", b"\x01" + pg_startup(
    [(b"user", b"postgres"), (b"database", b"public")]) +
    pg_msg(b"Q", cstr(b"SELECT 1; INSERT INTO t VALUES (1); ERR")) +
    pg_msg(b"P", parse_msg(b"s1", b"SELECT $1, $2", [o["int4"], o["text"]])) +
    pg_msg(b"B", bind_msg(b"p1", b"s1", [1, 0], [struct.pack(">i", 5), b"it's"], [1])) +
    pg_msg(b"D", b"P" + cstr(b"p1")) +
    pg_msg(b"E", cstr(b"p1") + struct.pack(">i", 1)) +
    pg_msg(b"D", b"S" + cstr(b"s1")) +
    pg_msg(b"S", b"") +
    pg_msg(b"C", b"S" + cstr(b"s1")) +
    pg_msg(b"H", b"") +
    pg_msg(b"S", b"") +
    pg_msg(b"X", b""))
write("wire_session", "pg_ssl_then_startup.bin", b"\x01" + struct.pack(">II", 8, 80877103) +
      pg_startup([(b"user", b"u")]) + pg_msg(b"Q", cstr(b"BEGIN; SELECT 1; COMMIT")) +
      pg_msg(b"X", b""))
write("wire_session", "pg_cancel.bin", b"\x01" + struct.pack(">IIII", 16, 80877102, 1, 2))
