# SPDX-License-Identifier: AGPL-3.0-or-later
"""Witnesses (docs/audit.md section 14), against the real binaries: a
server with two `corridor witness serve` processes publishes its
checkpoint with both cosignatures and the witnesses' lag; `corridor
audit verify --witness-key --witness-quorum` counts them. A rolled-back
and then forked log (an old copy of the data directory started again,
with other entries appended) is refused by the witness that saw the
original (409 then 422) and the server reports it; the split view that
results (witness 1 saw history A, witness 2 history B) fails a quorum of
2, naming the checkpoint. The witness refuses, with the spec's codes, a
truncated note, a log signature by an unknown key, an unknown origin, a
stale old size (409 with its size, text/x.tlog.size), a proof that does
not verify (422), an oversize body (413) and other methods; the
verifier refuses a cosignature over another body, an unknown witness
key and a truncated note. A witness killed between receiving a
checkpoint and persisting it comes back with its previous state, and a
persisted state survives restarts."""
import base64
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import BIN, Server, run  # noqa: E402
import auditlib as al  # noqa: E402

DASH = "\u2014 "


class Witness:
    """One `corridor witness` with its own directory."""

    def __init__(self, name, log_keys, tmp):
        self.dir = os.path.join(tmp, name.replace("/", "_"))
        self.log_keys = log_keys
        r = subprocess.run([BIN, "witness", "init", self.dir, "--name", name],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, r.stderr
        self.vkey = r.stdout.strip()
        self.pub = os.path.join(self.dir, "witness.pub")
        assert open(self.pub).read().strip() == self.vkey
        self.proc = None
        self.start()

    def start(self, env=None):
        self.log = open(os.path.join(self.dir, "..", os.path.basename(self.dir)
                                     + ".log"), "w+")
        args = [BIN, "witness", "serve", self.dir, "--listen", "127.0.0.1:0"]
        for k in self.log_keys:
            args += ["--log-key", k]
        e = dict(os.environ)
        e.update(env or {})
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL,
                                     stderr=self.log, env=e)
        deadline = time.time() + 90
        while time.time() < deadline:
            self.log.seek(0)
            m = re.search(r"listening on http://127\.0\.0\.1:(\d+)",
                          self.log.read())
            if m:
                self.port = int(m.group(1))
                return
            assert self.proc.poll() is None, self.stderr()
            time.sleep(0.05)
        raise AssertionError("witness did not start")

    def stderr(self):
        self.log.seek(0)
        return self.log.read()

    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def arg(self):
        return "%s,%s" % (self.url(), self.pub)

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=30)
        rc = self.proc.returncode if self.proc else None
        self.proc = None
        return rc

    def post(self, body, path="/add-checkpoint", method="POST"):
        import http.client
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        c.request(method, path, body=body)
        r = c.getresponse()
        out = (r.status, r.getheader("Content-Type"), r.read())
        c.close()
        return out


class World:
    pass


W = None


def world():
    """A server S (log key audit.pub) and witnesses w1, w2 that follow
    it; an auditor; S already grown a little."""
    global W
    if W is not None:
        return W
    w = World()
    w.tmp = tempfile.mkdtemp(prefix="corridor-witness-")
    w.s = Server(extra_args=["--checkpoint-every", "5",
                             "--checkpoint-interval", "1"])
    admin = w.s.admin()
    w.au_name = "au-" + os.urandom(4).hex()
    w.au, _ = al.auditor(w.s, admin, name=w.au_name)
    w.audit_pub = os.path.join(w.tmp, "audit.pub")
    with open(w.audit_pub, "w") as f:
        f.write(al.vkey(w.s, w.au) + "\n")
    w.w1 = Witness("witness.one.example/w1", [w.audit_pub], w.tmp)
    w.w2 = Witness("witness.two.example/w2", [w.audit_pub], w.tmp)
    W = w
    return w


def clean_exit(rc, log):
    """A clean exit: status 0, and no sanitizer report (the sanitizer
    build aborts on a leak; UBSan only prints)."""
    assert rc == 0, (rc, log[-2000:])
    assert "runtime error" not in log and "Sanitizer" not in log, log[-2000:]


def restart(s, witnesses):
    if s.proc is not None:
        clean_exit(s.stop(), s.stderr())
    s.extra_args = ["--checkpoint-every", "5", "--checkpoint-interval", "1"]
    for x in witnesses:
        s.extra_args += ["--witness", x.arg()]
    s.start()


def cosig_lines(note):
    text, _, sigs = note.rpartition(b"\n\n")
    return [ln for ln in sigs.decode().split("\n")[1:] if ln]


def wait_cosigned(s, tok, n, timeout=90):
    """Grow nothing; poll the checkpoint until it carries n cosignatures
    (besides the log's own line). Returns the note."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        r = s.get("/audit/checkpoint", token=tok)
        assert r.status == 200, r
        if len(cosig_lines(r.body)) >= n:
            return r.body
        time.sleep(0.2)
    raise AssertionError("not cosigned: %r / %r" % (
        r.body, s.get("/audit/witnesses", token=tok).json()))


def witnesses_state(s, tok):
    r = s.get("/audit/witnesses", token=tok)
    assert r.status == 200, r
    return {x["name"]: x for x in r.json()["witnesses"]}


def verify_cp(notes, witness_pubs, quorum, pub):
    """The real verifier, checkpoints only. Returns (rc, output)."""
    with tempfile.TemporaryDirectory(prefix="corridor-wv-") as d:
        args = [BIN, "audit", "verify", "--public-key", pub]
        for i, n in enumerate(notes):
            p = os.path.join(d, "cp-%d.txt" % i)
            with open(p, "wb") as f:
                f.write(n)
            args += ["--checkpoint", p]
        for k in witness_pubs:
            args += ["--witness-key", k]
        if quorum is not None:
            args += ["--witness-quorum", str(quorum)]
        r = subprocess.run(args, capture_output=True, text=True, timeout=60)
        return r.returncode, (r.stdout + r.stderr).strip()


def grow(s, tok, n):
    for _ in range(n):
        assert s.get("/audit/public-key", token=tok).status == 200


def interop(note, keys, quorum):
    """tests/interop/audit_verify.py, written from docs/audit.md, on the
    same checkpoint: (rc, output)."""
    script = os.path.join(os.path.dirname(__file__), "..", "interop",
                          "audit_verify.py")
    with tempfile.TemporaryDirectory(prefix="corridor-wi-") as d:
        p = os.path.join(d, "cp.txt")
        with open(p, "wb") as f:
            f.write(note)
        args = [sys.executable, script, "--cosigned", p, W.audit_pub,
                str(quorum)] + list(keys)
        r = subprocess.run(args, capture_output=True, text=True, timeout=60)
        return r.returncode, (r.stdout + r.stderr).strip()


def have_py_crypto():
    try:
        import cryptography  # noqa: F401
        return True
    except ImportError:
        return False


# --- tests ----------------------------------------------------------------------

def test_cosigned_checkpoint_quorum_and_lag():
    w = world()
    restart(w.s, [w.w1, w.w2])
    w.au = w.s.login(w.au_name, al.password(w.s, w.au_name))
    grow(w.s, w.au, 7)
    note = wait_cosigned(w.s, w.au, 2)
    lines = cosig_lines(note)
    assert {ln.split(" ")[1] for ln in lines} == {
        "witness.one.example/w1", "witness.two.example/w2"}, lines
    # each cosignature: key id, 8-byte timestamp, 64-byte signature
    for ln in lines:
        assert len(base64.b64decode(ln.split(" ")[2])) == 76, ln
    st = witnesses_state(w.s, w.au)
    size = int(note.split(b"\n")[1])
    for name in ("witness.one.example/w1", "witness.two.example/w2"):
        x = st[name]
        assert x["state"] == "ok" and x["last_status"] == 200, x
        assert x["cosigned_size"] <= size and x["last_cosigned_at"] > 0, x
        assert x["vkey"].startswith(name + "+"), x
    rc, out = verify_cp([note], [w.w1.pub, w.w2.pub], 2, w.audit_pub)
    assert rc == 0 and "2 of 2 witness cosignatures" in out, out
    # the export verifier with the quorum on the held checkpoint
    exp = al.export(w.s, w.au)
    rc, out = al.verify(exp, open(w.audit_pub).read().strip(), [note],
                        ["--witness-key", w.w1.pub, "--witness-key",
                         w.w2.pub, "--witness-quorum", "2"])
    assert rc == 0, out
    # unknown witness key: a third witness that never saw the log
    w3 = Witness("witness.three.example/w3", [w.audit_pub], w.tmp)
    w3.stop()
    rc, out = verify_cp([note], [w3.pub], 1, w.audit_pub)
    assert rc == 1 and "0 valid witness cosignature(s), quorum 1" in out, out
    rc, out = verify_cp([note], [w.w1.pub, w3.pub], 2, w.audit_pub)
    assert rc == 1 and "quorum 2" in out, out
    # a truncated note
    rc, out = verify_cp([note[:-30]], [w.w1.pub], 1, w.audit_pub)
    assert rc == 1 and "FAILED" in out, out
    # usage: a quorum above the keys given, keys without checkpoints
    rc, out = verify_cp([note], [w.w1.pub], 2, w.audit_pub)
    assert rc == 2, out
    # the lag: a witness that is down falls behind, requests go on
    w.w2.stop()
    grow(w.s, w.au, 12)
    t0 = time.time()
    deadline = t0 + 90
    while time.time() < deadline:
        st = witnesses_state(w.s, w.au)
        x2 = st["witness.two.example/w2"]
        if x2["lag_entries"] > 0 and x2["state"] == "unreachable":
            break
        time.sleep(0.2)
    assert x2["lag_entries"] > 0 and x2["state"] == "unreachable", x2
    assert st["witness.one.example/w1"]["state"] == "ok", st
    # reads still answer (neither blocked nor refused) with w1's only
    note = wait_cosigned(w.s, w.au, 1)
    assert [ln.split(" ")[1] for ln in cosig_lines(note)] == [
        "witness.one.example/w1"], note
    w.w2.start()
    if have_py_crypto():
        rc, out = interop(note, [w.w1.pub], 1)
        assert rc == 0, out
        rc, out = interop(note, [w.w1.pub, w.w2.pub], 2)
        assert rc == 1, out


def test_witness_refusals():
    """Requests made by hand, from the server's real checkpoints."""
    w = world()
    # its own witness: the server's client does not move its state
    x = Witness("witness.refusals.example/wr", [w.audit_pub], w.tmp)

    def latest():
        cp = w.s.get("/audit/checkpoint", token=w.au).body
        base = cp[:cp.rindex(b"\n\n") + 2]
        own = [ln for ln in cp[len(base):].split(b"\n") if ln][0] + b"\n"
        return base, own, base + own     # the log's signature only

    _, _, note = latest()
    held = int(note.split(b"\n")[1])
    st, ctype, body = x.post(b"old 0\n\n" + note)
    assert st == 200 and body.startswith(DASH.encode() +
                                         b"witness.refusals.example/wr "), body
    # now it answers a stale old size with the size it holds
    st, ctype, body = x.post(b"old 0\n\n" + note)
    assert (st, ctype, body) == (409, "text/x.tlog.size", b"%d\n" % held)
    # a checkpoint past what the witness holds
    deadline = time.time() + 90
    while time.time() < deadline:
        grow(w.s, w.au, 6)
        base, own, note = latest()
        size = int(note.split(b"\n")[1])
        if size > held:
            break
    assert size > held
    # old size above the checkpoint's: 400
    st, _, _ = x.post(b"old %d\n\n" % (size + 1) + note)
    assert st == 400
    # a truncated note: 400
    st, _, _ = x.post(b"old %d\n\n" % held + note[:-10])
    assert st == 400, st
    # no blank line, a non-canonical old size, a bad proof line: 400
    for bad in (b"old 0\n" + note, b"old 01\n\n" + note,
                b"old %d\nnot-base64\n\n" % held + note):
        st, _, _ = x.post(bad)
        assert st == 400, (bad[:20], st)
    # the log's signature line under an unknown key id: 403
    name, sig = own[len(DASH.encode()):-1].split(b" ")
    raw = bytearray(base64.b64decode(sig))
    raw[0] ^= 0xff
    forged = base + DASH.encode() + name + b" " + base64.b64encode(raw) + b"\n"
    st, _, _ = x.post(b"old %d\n\n" % held + forged)
    assert st == 403, st
    # a known key id with a broken signature: 403
    raw = bytearray(base64.b64decode(sig))
    raw[10] ^= 1
    forged = base + DASH.encode() + name + b" " + base64.b64encode(raw) + b"\n"
    st, _, _ = x.post(b"old %d\n\n" % held + forged)
    assert st == 403, st
    # an unknown origin (signed by nobody it knows): 404
    other = note.replace(note.split(b"\n")[0], b"corridor/not-followed", 1)
    other = other[:other.rindex(b"\n\n") + 2] + DASH.encode() + \
        b"corridor/not-followed " + base64.b64encode(raw) + b"\n"
    st, _, _ = x.post(b"old 0\n\n" + other)
    assert st == 404, st
    # a proof that does not verify: 422
    bogus = base64.b64encode(b"\x01" * 32) + b"\n"
    st, _, _ = x.post(b"old %d\n" % held + bogus + b"\n" + note)
    assert st == 422, st
    # oversize body: 413; other methods and paths
    st, _, _ = x.post(b"x" * 200000)
    assert st == 413, st
    st, _, _ = x.post(None, method="GET")
    assert st == 405, st
    st, _, _ = x.post(b"old 0\n\n", path="/other")
    assert st == 404, st
    # and it still serves, and still holds the same size
    st, ctype, body = x.post(b"old 0\n\n" + note)
    assert (st, body) == (409, b"%d\n" % held), (st, body)
    clean_exit(x.stop(), x.stderr())


def test_crash_between_receiving_and_persisting():
    """A witness SIGKILLed after its checks, before it persists: its old
    state survives, and nothing was cosigned for the new one."""
    w = world()
    x = Witness("witness.crash.example/wc", [w.audit_pub], w.tmp)
    cp1 = w.s.get("/audit/checkpoint", token=w.au).body
    n1 = int(cp1.split(b"\n")[1])
    st, _, body = x.post(b"old 0\n\n" + cp1)
    assert st == 200 and body.startswith(DASH.encode() +
                                         b"witness.crash.example/wc "), body
    # the state survives a clean restart
    x.stop()
    x.start()
    st, ctype, body = x.post(b"old 0\n\n" + cp1)
    assert (st, ctype, body) == (409, "text/x.tlog.size", b"%d\n" % n1)
    grow(w.s, w.au, 8)
    deadline = time.time() + 90
    while time.time() < deadline:
        cp2 = w.s.get("/audit/checkpoint", token=w.au).body
        n2 = int(cp2.split(b"\n")[1])
        if n2 > n1:
            break
        time.sleep(0.2)
    assert n2 > n1
    r = w.s.get("/audit/proof/consistency?from=%d&to=%d" % (n1, n2),
                token=w.au)
    assert r.status == 200, r
    proof = b"".join(h.encode() + b"\n" for h in r.json()["hashes"])
    req = b"old %d\n" % n1 + proof + b"\n" + cp2
    # stalled between the checks and the write, then killed
    x.stop()
    marker = os.path.join(w.tmp, "stalled")
    x.start(env={"CORRIDOR_TEST_WITNESS_STALL": marker})
    got = {}
    t = threading.Thread(target=lambda: got.setdefault("r", _try(x, req)))
    t.start()
    deadline = time.time() + 90
    while not os.path.exists(marker) and time.time() < deadline:
        time.sleep(0.05)
    assert os.path.exists(marker)
    x.stop(signal.SIGKILL)
    t.join(30)
    assert got.get("r") is None or got["r"][0] != 200, got
    x.start()
    # still at n1: the same request is accepted now, and persisted
    st, ctype, body = x.post(b"old 0\n\n" + cp2)
    assert (st, body) == (409, b"%d\n" % n1), (st, body)
    st, _, body = x.post(req)
    assert st == 200, (st, body)
    x.stop(signal.SIGKILL)
    x.start()
    st, _, body = x.post(b"old 0\n\n" + cp2)
    assert (st, body) == (409, b"%d\n" % n2), (st, body)
    # no temporary file is left behind to be taken for state
    assert not [f for f in os.listdir(os.path.join(x.dir, "state"))
                if f.endswith(".tmp")]
    clean_exit(x.stop(), x.stderr())


def _try(x, req):
    try:
        return x.post(req)
    except (OSError, Exception):
        return None


def test_rollback_and_fork_refused_and_split_view():
    """An old copy of the data directory, started again and grown with
    other entries: witness 1, which cosigned the original, refuses it
    (rollback: it holds a larger tree; then fork: 422) and the server
    reports it; witness 2, new, cosigns the fork. Checkpoint A (w1) and
    checkpoint B (w2) are a split view: a quorum of 2 fails on each."""
    w = world()
    s = w.s
    restart(s, [w.w1])
    au = s.login(w.au_name, al.password(s, w.au_name))
    grow(s, au, 3)
    wait_cosigned(s, au, 1)
    clean_exit(s.stop(), s.stderr())
    snap = os.path.join(w.tmp, "snap")
    shutil.copytree(s.dir, snap, symlinks=True)
    # the original goes on, and w1 cosigns it at size b
    restart(s, [w.w1])
    au = s.login(w.au_name, al.password(s, w.au_name))
    w.au = au
    grow(s, au, 15)
    note_a = wait_cosigned(s, au, 1)
    size_a = int(note_a.split(b"\n")[1])
    deadline = time.time() + 90
    while time.time() < deadline:
        note_a = s.get("/audit/checkpoint", token=au).body
        if cosig_lines(note_a):
            break
        time.sleep(0.2)
    size_a = int(note_a.split(b"\n")[1])
    clean_exit(s.stop(), s.stderr())
    # the old copy comes back (rollback), with w1 and a fresh w2
    fork = Server(extra_args=["--checkpoint-every", "5",
                              "--checkpoint-interval", "1",
                              "--witness", w.w1.arg(), "--witness",
                              w.w2.arg()],
                  datadir=snap, init=False, passphrase=s.passphrase)
    try:
        fau = fork.login(w.au_name, al.password(s, w.au_name))
        deadline = time.time() + 90
        while time.time() < deadline:
            st = witnesses_state(fork, fau)
            if st["witness.one.example/w1"]["state"] == "refused":
                break
            time.sleep(0.2)
        x1 = st["witness.one.example/w1"]
        assert x1["state"] == "refused" and "rollback" in x1["detail"], x1
        assert "ROLLBACK" in fork.stderr(), fork.stderr()
        # other entries, past the size w1 holds: a fork, 422
        fsize = int(fork.get("/audit/checkpoint", token=fau).body
                    .split(b"\n")[1])
        grow(fork, fau, size_a - fsize + 12)
        deadline = time.time() + 90
        while time.time() < deadline:
            st = witnesses_state(fork, fau)
            x1 = st["witness.one.example/w1"]
            if x1["last_status"] == 422:
                break
            time.sleep(0.2)
        assert x1["state"] == "refused" and x1["last_status"] == 422, x1
        assert "FORK" in fork.stderr()
        assert "not consistent" in w.w1.stderr(), w.w1.stderr()
        note_b = wait_cosigned(fork, fau, 1)
        assert [ln.split(" ")[1] for ln in cosig_lines(note_b)] == [
            "witness.two.example/w2"], note_b
        # w1's cosigned root stays that of history A
        st, _, body = w.w1.post(b"old 0\n\n" + note_b[:note_b.rindex(
            b"\n\n") + 2] + [ln for ln in note_b[note_b.rindex(b"\n\n") + 2:]
                             .split(b"\n") if ln][0] + b"\n")
        assert (st, body) == (409, b"%d\n" % size_a), (st, body)
        clean_exit(fork.stop(), fork.stderr())
    finally:
        fork.cleanup()
    keys = [w.w1.pub, w.w2.pub]
    # each history alone has one witness: a quorum of 1 passes, of 2
    # fails, naming the checkpoint
    for note in (note_a, note_b):
        rc, out = verify_cp([note], keys, 1, w.audit_pub)
        assert rc == 0, out
        rc, out = verify_cp([note], keys, 2, w.audit_pub)
        assert rc == 1 and "cp-0.txt" in out and "quorum 2" in out, out
    # B's cosignature moved onto A: over the wrong body, not counted
    mixed = note_a + (cosig_lines(note_b)[0] + "\n").encode()
    rc, out = verify_cp([mixed], keys, 2, w.audit_pub)
    assert rc == 1 and "1 valid" in out and "(1 invalid)" in out, out
    # both held: the split view fails on A
    rc, out = verify_cp([note_a, note_b], keys, 2, w.audit_pub)
    assert rc == 1 and "cp-0.txt (size %d)" % size_a in out, out
    if have_py_crypto():
        rc, out = interop(mixed, keys, 2)
        assert rc == 1, out


def teardown():
    if W is None:
        return
    for x in (W.w1, W.w2):
        if x.proc is not None:
            clean_exit(x.stop(), x.stderr())
    W.s.cleanup()
    shutil.rmtree(W.tmp, ignore_errors=True)


if __name__ == "__main__":
    try:
        run([test_cosigned_checkpoint_quorum_and_lag, test_witness_refusals,
             test_crash_between_receiving_and_persisting,
             test_rollback_and_fork_refused_and_split_view])
    finally:
        teardown()
