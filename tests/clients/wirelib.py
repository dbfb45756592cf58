"""Shared helpers for the wire client tests: TAP-ish output and the port file.

Each test script prints "ok - what" / "not ok - what # detail" lines; the
suite (tests/suites/wire_clients.sh) numbers them.
"""
import sys
import traceback

failures = 0


def report(ok, what, detail=""):
    global failures
    if ok:
        print("ok - " + what, flush=True)
    else:
        failures += 1
        print("not ok - %s # %s" % (what, str(detail).replace("\n", " ")[:300]), flush=True)


def check(what, fn):
    """Run fn(); it returns (ok, detail) or raises."""
    try:
        res = fn()
        if isinstance(res, tuple):
            report(bool(res[0]), what, res[1] if len(res) > 1 else "")
        else:
            report(bool(res), what, res)
    except Exception as e:  # noqa: BLE001 - a test reports every failure
        report(False, what, "%s: %s | %s" % (type(e).__name__, e,
                                             traceback.format_exc().splitlines()[-3:]))


def ports(path):
    out = {}
    with open(path) as f:
        for line in f:
            k, _, v = line.strip().partition("=")
            if k:
                out[k] = int(v)
    return out


def finish():
    sys.exit(1 if failures else 0)
