# SPDX-License-Identifier: AGPL-3.0-or-later
"""The bad-input catalogue: every file in tests/cases/ is one hostile
request and its expected answer. After each case the server must still
answer /health and `corridor check` must find the database intact (PRAGMA
integrity_check reads and authenticates every page). A rejected request
that could write (any method but GET) must write nothing: every table but
the audit log is compared, row for row, before and after. Accepted
hostile input (SQL metacharacters in every string field) must come back
verbatim, and again when read back. After every case `corridor audit verify` must pass on a fresh export,
against the checkpoints held from the start and from the case before (so
the log only grew by appending); at the end a tampered copy must fail and
the server must shut down cleanly. Slow cases (slow drip, idle
connection) run in threads alongside the others.

Record format (one JSON object per file): method, path, body | body_b64 |
gen, content_type, headers, gen_header, auth, raw | raw_gen, gen_path,
description, and expect: status | status_any, type, or_closed, closed,
json (a subset the answer must hold), reread (a path, "@id@" being the
answer's id, read back with the same auth), reread_contains (a subset
some object of the reread answer must hold).

auth: admin, admin-lowercase, forged, loggedout, caseworker (assigned to
@case@), caseworker2 (assigned to nothing), coordinator. Placeholders in
path, body and header values: @case@ (a case of caseworker, member of
@evac@), @evac@, @free_case@ (a case of caseworker in no evacuation),
@caseworker_id@, @caseworker2_id@, and the users' passwords
@caseworker_pw@, @caseworker2_pw@ (a duress password equal to the real
one)."""
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
DBPEEK = os.environ.get("CORRIDOR_DBPEEK", "build/tests/api/dbpeek")
S = None
TOKENS = {}
FIX = {}
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


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
        t = base64.urlsafe_b64encode(os.urandom(64)).rstrip(b"=").decode()
    elif kind == "loggedout":
        t = S.admin()
        assert S.request("DELETE", "/session", token=t).status == 204
    elif kind == "coordinator":
        t = S.coord()
    else:
        raise ValueError(kind)
    TOKENS[kind] = t
    return t


def make_fixtures():
    """Every user, token and object the records refer to, made before the
    first record runs, so that the table snapshots compared around each
    record see only what that record did."""
    admin = token_for("admin")
    coord = token_for("coordinator")
    for kind in ("forged", "loggedout"):
        token_for(kind)
    for kind, role in (("caseworker", "caseworker"),
                       ("caseworker2", "caseworker"),
                       ("auditor", "auditor")):
        uid, pw = S.create_user(admin, "cat-" + kind, role)
        FIX[kind + "_id"] = uid
        FIX[kind + "_pw"] = pw
        TOKENS[kind] = S.login("cat-" + kind, pw)
    cw = TOKENS["caseworker"]

    def new_case():
        r = S.post("/cases", {"risk": "high", "region": "Chechnya",
                              "person": {"name": "CATALOGUE-PERSON"},
                              "notes": "CATALOGUE-NOTES"}, token=cw)
        assert r.status == 201, r
        return r.json()["id"]
    FIX["case"] = new_case()
    FIX["free_case"] = new_case()
    r = S.post("/evacuations", {"details": {"route": "CATALOGUE-ROUTE"}},
               token=coord)
    assert r.status == 201, r
    FIX["evac"] = r.json()["id"]
    r = S.post("/evacuations/%s/cases" % FIX["evac"], {"case_id": FIX["case"]},
               token=coord)
    assert r.status == 201, r


def subst(v):
    """Replace @name@ placeholders with the fixtures' values."""
    if isinstance(v, bytes):
        for k, x in FIX.items():
            v = v.replace(("@%s@" % k).encode(), x.encode())
        return v
    for k, x in FIX.items():
        v = v.replace("@%s@" % k, x)
    return v


class Peek:
    """dbpeek in its repl mode: one process, one key derivation, a fresh
    read transaction per command (so it sees every commit before it)."""

    def __init__(self):
        self.p = subprocess.Popen([DBPEEK, S.dir, S.passfile, "repl"],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def __call__(self, command):
        self.p.stdin.write(command.encode() + b"\n")
        self.p.stdin.flush()
        lines = []
        while True:
            line = self.p.stdout.readline()
            assert line, "dbpeek exited"
            if line == b"--end--\n":
                return lines
            lines.append(line.decode().rstrip("\n"))

    def close(self):
        self.p.stdin.close()
        assert self.p.wait(timeout=60) == 0, "dbpeek failed"


PEEK = None


def tables_state():
    """Every row of every table except the audit log's (which every
    request, rejected or not, appends to), as text."""
    keep, out = True, []
    for line in PEEK("dump"):
        if line.startswith("== "):
            keep = not line[3:].startswith("audit")
        if keep:
            out.append(line)
    return out


def changed_tables(before, after):
    def by_table(lines):
        t, d = None, {}
        for line in lines:
            if line.startswith("== "):
                t = line[3:]
                d[t] = []
            else:
                d[t].append(line)
        return d
    b, a = by_table(before), by_table(after)
    return sorted(t for t in set(a) | set(b) if a.get(t) != b.get(t))


def holds(obj, subset):
    """obj holds every member of subset, recursively."""
    if isinstance(subset, dict):
        return isinstance(obj, dict) and all(
            k in obj and holds(obj[k], v) for k, v in subset.items())
    return obj == subset


def somewhere(obj, subset):
    """Some object nested in obj holds subset."""
    if holds(obj, subset):
        return True
    if isinstance(obj, dict):
        return any(somewhere(v, subset) for v in obj.values())
    if isinstance(obj, list):
        return any(somewhere(v, subset) for v in obj)
    return False


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
        elif g.get("kind") == "slowheader":
            out = send_raw(b"GET /api/v1/health HTTP/1.1\r\nX-Drip: ",
                           drip_seconds=g["seconds"],
                           idle_seconds=exp["closed_within"])
        elif g.get("kind") == "stalledbody":
            out = send_raw(b"POST /api/v1/session HTTP/1.1\r\nHost: x\r\n"
                           b"Content-Type: application/json\r\n"
                           b"Content-Length: 100\r\n\r\n{\"user",
                           idle_seconds=exp["closed_within"])
        else:
            out = send_raw(raw_of(case), idle_seconds=30)
        st = status_of(out)
        if exp.get("closed"):
            # closed_within: the connection must be closed this many
            # seconds after the drip (if any) ends, or it counts as open
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
    headers = {k: subst(v) for k, v in case.get("headers", {}).items()}
    for k, g in case.get("gen_header", {}).items():
        headers[k] = g["repeat"] * g["count"]
    auth = case.get("auth")
    if auth:
        tok = token_for(auth)
        scheme = "bearer" if auth == "admin-lowercase" else "Bearer"
        headers["Authorization"] = scheme + " " + tok
    path_ = case.get("path")
    gp = case.get("gen_path")
    if gp and "bytes" in gp:
        path_ = "/" + "a" * gp["bytes"]
    elif gp and "query_bytes" in gp:
        path_ = gp["base"] + "?" + gp["param"] + "=" + "A" * gp["query_bytes"]
    elif gp:
        path_ = gp["base"] + "?" + "&".join("p%d=1" % i for i in range(gp["query_params"]))
    path_ = subst(path_)
    ct = case.get("content_type", "application/json")
    body = body_of(case)
    if body is not None:
        body = subst(body)
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
    if "json" in exp:
        assert holds(r.json(), exp["json"]), "%s: answer %r lacks %r" % (
            name, r.body[:300], exp["json"])
    if "reread" in exp:
        rr = S.request("GET", subst(exp["reread"]).replace(
            "@id@", r.json().get("id", "")), headers=headers)
        assert rr.status == 200, "%s: reread %r" % (name, rr)
        want = exp.get("reread_contains", exp.get("json"))
        assert somewhere(rr.json(), want), "%s: reread %r lacks %r" % (
            name, rr.body[:300], want)
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


def writes_nothing_checked(case):
    """Whether the record is a request that could write (an HTTP request,
    not raw bytes, with a writing method) and is expected to be refused."""
    if "raw" in case or "raw_gen" in case or case.get("method") not in WRITE_METHODS:
        return False
    exp = case["expect"]
    return exp.get("closed") or exp.get("status", 0) >= 400 or \
        all(x >= 400 for x in exp.get("status_any", [0]))


def audit_verify_step(held, tamper=False):
    """corridor audit verify over a fresh export, against the pinned
    public key and every checkpoint in held (bodies of /audit/checkpoint
    fetched earlier: the log must have grown only by appending since).
    Returns the current checkpoint, for the next step to hold. With
    tamper, a copy with one changed byte must then fail."""
    aud = TOKENS["auditor"]
    cp = S.get("/audit/checkpoint", token=aud)
    assert cp.status == 200, cp
    ex = S.get("/audit/export", token=aud)
    assert ex.status == 200, ex
    if "vkey" not in VERIFY:
        pk = S.get("/audit/public-key", token=aud)
        assert pk.status == 200, pk
        k = pk.json()
        raw = base64.b64decode(k["public_key"])
        if len(raw) == 32:
            raw = b"\x01" + raw
        VERIFY["vkey"] = "%s+%s+%s" % (k["origin"], k["key_id"],
                                      base64.b64encode(raw).decode())
        open(os.path.join(S.tmp, "pub"), "w").write(VERIFY["vkey"] + "\n")
    files = {n: os.path.join(S.tmp, n) for n in ("export", "pub", "bad")}
    open(files["export"], "wb").write(ex.body)
    args = [BIN, "audit", "verify", files["export"], "--public-key",
            files["pub"]]
    for i, body in enumerate(held + [cp.body]):
        path = os.path.join(S.tmp, "cp%d" % i)
        open(path, "wb").write(body)
        args += ["--checkpoint", path]
    r = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, "audit verify: %s %s" % (r.stdout, r.stderr)
    VERIFY["runs"] += 1
    if tamper:
        # a forgery must fail: one changed byte in the middle of the export
        lines = ex.body.split(b"\n")
        i = len(lines) // 2
        lines[i] = lines[i][:-2] + \
            (b"A" if lines[i][-2:-1] != b"A" else b"B") + lines[i][-1:]
        open(files["bad"], "wb").write(b"\n".join(lines))
        args[3] = files["bad"]
        r = subprocess.run(args, capture_output=True, text=True, timeout=300)
        assert r.returncode == 1, "tampered export verified: %s" % r.stdout
        print("audit verify: export of %d bytes verified; tampered copy "
              "refused" % len(ex.body))
    return cp.body


VERIFY = {"runs": 0}


def test_catalogue():
    global S
    assert len(CASES) >= 60, "the catalogue must hold at least 60 cases"
    S = Server()
    failures = []
    slow, fast = [], []
    checked_writes = 0
    for p in CASES:
        k = json.load(open(p)).get("raw_gen", {}).get("kind")
        (slow if k in ("slowdrip", "idle", "slowheader", "stalledbody")
         else fast).append(p)

    def worker(p):
        try:
            run_case(p)
        except Exception as e:  # collected and reported below
            failures.append("%s: %s" % (os.path.basename(p), e))

    global PEEK
    try:
        make_fixtures()
        PEEK = Peek()
        state = tables_state()
        first_cp = audit_verify_step([])
        last_cp = first_cp
        threads = [threading.Thread(target=worker, args=(p,)) for p in slow]
        for t in threads:
            t.start()
        for p in fast:
            name = os.path.basename(p)
            case = json.load(open(p))
            worker(p)
            if not S.healthy():
                failures.append("%s: server unhealthy afterwards" % name)
                break
            if not integrity_ok():
                failures.append("%s: integrity check failed afterwards" % name)
                break
            try:
                # the log verifies, and extends the one held before
                last_cp = audit_verify_step(
                    [first_cp] if first_cp == last_cp else
                    [first_cp, last_cp])
            except AssertionError as e:
                failures.append("%s: audit log afterwards: %s" % (name, e))
                break
            if writes_nothing_checked(case):
                checked_writes += 1
                after = tables_state()
                if after != state:
                    failures.append("%s: a refused request wrote to %s" % (
                        name, ", ".join(changed_tables(state, after))))
                state = after
            elif "raw" not in case and "raw_gen" not in case and \
                    case.get("method") in WRITE_METHODS:
                state = tables_state()      # an accepted write
        for t in threads:
            t.join()
        assert S.healthy(), "server unhealthy after the slow cases"
        assert integrity_ok()
        PEEK.close()
        PEEK = None
        audit_verify_step([first_cp, last_cp], tamper=True)
        rc = S.stop()
        assert rc == 0, "unclean exit %r: %s" % (rc, S.stderr()[-2000:])
    finally:
        if PEEK is not None:
            PEEK.p.kill()
            PEEK.p.wait()
        S.cleanup()
    assert not failures, "\n".join(failures)
    print("catalogue: %d cases, %d refused writes shown to write nothing, "
          "%d audit verifications" % (len(CASES), checked_writes,
                                      VERIFY["runs"]))


if __name__ == "__main__":
    run([test_catalogue])
