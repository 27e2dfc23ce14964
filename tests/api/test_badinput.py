# SPDX-License-Identifier: AGPL-3.0-or-later
"""The bad-input catalogue: every file in tests/cases/ is one hostile
request and its expected answer. After each case the server must still
answer /health and `corridor check` must find the database intact (PRAGMA
integrity_check reads and authenticates every page); at the end the server
must shut down cleanly. Slow cases (slow drip, idle connection) run
in threads alongside the others."""
import base64
import glob
import json
import os
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import BIN, Server, run  # noqa: E402

HERE = os.path.dirname(__file__)
CASES = sorted(glob.glob(os.path.join(HERE, "..", "cases", "*.json")))
S = None
TOKENS = {}


def body_of(case):
    if "body" in case:
        return case["body"].encode()
    if "body_b64" in case:
        return base64.b64decode(case["body_b64"])
    g = case.get("gen")
    if g is None:
        return None
    if g["kind"] == "nest":
        return (g["open"] * g["depth"] + g.get("inner", "") +
                g["close"] * g["depth"]).encode()
    if g["kind"] == "string":
        return (g["template"] % ("a" * g["bytes"])).encode()
    if g["kind"] == "members":
        return ("{" + ",".join('"k%d":1' % i for i in range(g["count"])) +
                "}").encode()
    raise ValueError(g)


def raw_of(case):
    if "raw" in case:
        return case["raw"].encode()
    g = case["raw_gen"]
    head = (b"POST /api/v1/session HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/json\r\n")
    if g["kind"] == "chunked":
        chunk = b"8000\r\n" + b"a" * 0x8000 + b"\r\n"
        n = g["bytes"] // 0x8000 + 1
        return head + b"Transfer-Encoding: chunked\r\n\r\n" + chunk * n + b"0\r\n\r\n"
    if g["kind"] == "headers":
        return (b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n" +
                b"".join(b"X-H%d: v\r\n" % i for i in range(g["count"])) + b"\r\n")
    if g["kind"] == "bigheader":
        return (b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Big: " +
                b"a" * g["bytes"] + b"\r\n\r\n")
    raise ValueError(g)


def send_raw(data, drip_seconds=0, idle_seconds=0):
    """Returns the bytes the server sent before closing, or None if the
    connection was still open after the deadline."""
    s = socket.create_connection(("127.0.0.1", S.port), timeout=60)
    out = b""
    try:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        for _ in range(drip_seconds):
            try:
                s.sendall(b"a")
            except (BrokenPipeError, ConnectionResetError):
                break
            time.sleep(1)
        if idle_seconds:
            s.settimeout(idle_seconds)
        while True:
            try:
                b = s.recv(65536)
            except ConnectionResetError:
                break
            except socket.timeout:
                return None
            if not b:
                break
            out += b
        return out
    finally:
        s.close()


def status_of(resp_bytes):
    if not resp_bytes or not resp_bytes.startswith(b"HTTP/1."):
        return None
    return int(resp_bytes.split(b" ", 2)[1])


def token_for(kind):
    if kind in TOKENS:
        return TOKENS[kind]
    if kind in ("admin", "admin-lowercase"):
        t = S.admin()
    elif kind == "forged":
        t = base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode()
    elif kind == "loggedout":
        t = S.admin()
        assert S.request("DELETE", "/session", token=t).status == 204
    else:
        raise ValueError(kind)
    TOKENS[kind] = t
    return t


def run_case(path):
    case = json.load(open(path))
    exp = case["expect"]
    name = os.path.basename(path)
    if "raw" in case or "raw_gen" in case:
        g = case.get("raw_gen", {})
        if g.get("kind") == "slowdrip":
            data = (b"POST /api/v1/session HTTP/1.1\r\nHost: x\r\n"
                    b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n")
            out = send_raw(data, drip_seconds=g["seconds"], idle_seconds=20)
        elif g.get("kind") == "idle":
            out = send_raw(b"", idle_seconds=g["seconds"] + 10)
        else:
            out = send_raw(raw_of(case), idle_seconds=30)
        st = status_of(out)
        if exp.get("closed"):
            assert out is not None, "%s: connection left open" % name
            assert st is None or st >= 400, "%s: got %r" % (name, out[:80])
        elif "status_any" in exp:
            assert (st in exp["status_any"]) or (exp.get("or_closed") and st is None), \
                "%s: got %r" % (name, (out or b"")[:120])
        else:
            assert st == exp["status"], "%s: got %r" % (name, (out or b"")[:160])
            if exp.get("type"):
                assert ("urn:corridor:problem:" + exp["type"]).encode() in out, name
        return
    headers = dict(case.get("headers", {}))
    auth = case.get("auth")
    if auth:
        tok = token_for(auth)
        scheme = "bearer" if auth == "admin-lowercase" else "Bearer"
        headers["Authorization"] = scheme + " " + tok
    path_ = case.get("path")
    gp = case.get("gen_path")
    if gp and "bytes" in gp:
        path_ = "/" + "a" * gp["bytes"]
    elif gp:
        path_ = gp["base"] + "?" + "&".join("p%d=1" % i for i in range(gp["query_params"]))
    ct = case.get("content_type", "application/json")
    body = body_of(case)
    try:
        r = S.request(case["method"], path_, raw=body, headers=headers,
                      content_type=ct if body is not None else None)
    except (ConnectionResetError, BrokenPipeError):
        # the server answered early and closed while we were still sending
        assert exp.get("or_closed") or exp.get("closed"), name + ": connection reset"
        return
    if "status_any" in exp:
        assert r.status in exp["status_any"], "%s: %r" % (name, r)
        return
    assert r.status == exp["status"], "%s: want %s, got %r" % (name, exp["status"], r)
    if r.status >= 400:
        assert r.header("Content-Type") == "application/problem+json", name
        p = r.json()
        assert set(p) == {"type", "title", "status", "detail"}, name
        if exp.get("type"):
            assert p["type"] == "urn:corridor:problem:" + exp["type"], "%s: %r" % (name, p)
        # no internal detail leaks into the answer
        low = r.body.lower()
        for leak in (b"sqlite", b"/tmp/", b"corridor.db", b"syntax"):
            assert leak not in low, "%s leaks %r" % (name, leak)


def integrity_ok():
    """corridor check: PRAGMA integrity_check on a second connection while
    the server runs."""
    r = subprocess.run([BIN, "check", S.dir, "--passphrase-file", S.passfile],
                       capture_output=True, text=True, timeout=120)
    return r.returncode == 0 and r.stdout.strip() == "ok"


def test_catalogue():
    global S
    assert len(CASES) >= 60, "the catalogue must hold at least 60 cases"
    S = Server()
    failures = []
    slow, fast = [], []
    for p in CASES:
        k = json.load(open(p)).get("raw_gen", {}).get("kind")
        (slow if k in ("slowdrip", "idle") else fast).append(p)

    def worker(p):
        try:
            run_case(p)
        except Exception as e:  # collected and reported below
            failures.append("%s: %s" % (os.path.basename(p), e))

    threads = [threading.Thread(target=worker, args=(p,)) for p in slow]
    for t in threads:
        t.start()
    try:
        for p in fast:
            worker(p)
            if not S.healthy():
                failures.append("%s: server unhealthy afterwards" % os.path.basename(p))
                break
            if not integrity_ok():
                failures.append("%s: integrity check failed afterwards" % os.path.basename(p))
                break
        for t in threads:
            t.join()
        assert S.healthy(), "server unhealthy after the slow cases"
        assert integrity_ok()
        rc = S.stop()
        assert rc == 0, "unclean exit %r: %s" % (rc, S.stderr()[-2000:])
    finally:
        S.cleanup()
    assert not failures, "\n".join(failures)
    print("catalogue: %d cases" % len(CASES))


if __name__ == "__main__":
    run([test_catalogue])
