# SPDX-License-Identifier: AGPL-3.0-or-later
"""Helpers for the audit API tests: an auditor account, exports, the real
`corridor audit verify` on files, and an independent RFC 6962 / 9162
implementation (tree, proofs) and export parser written from
docs/audit.md, so the tests check the server against the documented
formats rather than against its own code. Standard library only."""
import base64
import hashlib
import os
import secrets
import subprocess
import tempfile

from harness import BIN

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")


# (data dir, username) -> password, for tests that log in again after a
# restart (sessions do not survive one)
PASSWORDS = {}


def auditor(s, admin_token=None, name=None):
    """Create an auditor and log in; returns (token, user id)."""
    admin = admin_token or s.admin()
    name = name or "au-" + secrets.token_hex(4)
    uid, pw = s.create_user(admin, name, "auditor")
    PASSWORDS[(s.dir, name)] = pw
    return s.login(name, pw), uid


def password(s, name):
    return PASSWORDS[(s.dir, name)]


def vkey(s, tok):
    r = s.get("/audit/public-key", token=tok)
    assert r.status == 200, r
    return r.json()["vkey"]


def checkpoint(s, tok):
    r = s.get("/audit/checkpoint", token=tok)
    assert r.status == 200 and r.header("Content-Type").startswith("text/plain"), r
    return r.body


def export(s, tok):
    r = s.get("/audit/export", token=tok)
    assert r.status == 200, r
    assert r.header("Content-Type").startswith("text/plain"), r.headers
    return r.body


def all_entries(s, tok, **filters):
    """Every entry through the paged GET /audit."""
    out, after = [], None
    while True:
        q = ["limit=500"] + ["%s=%s" % kv for kv in filters.items()]
        if after is not None:
            q.append("after=%d" % after)
        r = s.get("/audit?" + "&".join(q), token=tok)
        assert r.status == 200, r
        page = r.json()["entries"]
        out += page
        if len(page) < 500:
            return out
        after = page[-1]["seq"]


def summary_counts(entries):
    """The anonymous failures counted in the anonymous.summary entries
    among entries (GET /audit objects): {(action, outcome, status): n}.
    Each summary's counts are checked against its raw extra, decoded
    here from docs/audit.md, section 2.7, independently of the server's
    "summary" object."""
    out = {}
    for e in entries:
        if e["action"] != "anonymous.summary":
            continue
        assert e["actor_id"] is None and e["object_id"] is None and \
            e["request_id"] is None and e["outcome"] == "denied", e
        raw = base64.b64decode(e["extra"])
        assert raw[0] == 3 and len(raw) == 18 + 9 * raw[17], raw
        frm, to = int.from_bytes(raw[1:9], "big"), int.from_bytes(raw[9:17], "big")
        assert frm <= to, e
        kinds = []
        for i in range(raw[17]):
            k = raw[18 + 9 * i:27 + 9 * i]
            kinds.append((int.from_bytes(k[0:2], "big"), k[2],
                          int.from_bytes(k[3:5], "big"),
                          int.from_bytes(k[5:9], "big")))
        assert kinds == sorted(kinds) and len(set(k[:3] for k in kinds)) == len(kinds)
        got = [(c["action"], c["outcome"], c["status"], c["count"])
               for c in e["summary"]["counts"]]
        assert [(k[2], k[3]) for k in kinds] == [(g[2], g[3]) for g in got], (kinds, got)
        for a, o, st, n in got:
            out[(a, o, st)] = out.get((a, o, st), 0) + n
    return out


def verify(export_bytes, vkey_text, held=(), extra_args=()):
    """Run the real offline verifier on files. Returns (status, line)."""
    with tempfile.TemporaryDirectory(prefix="corridor-verify-") as d:
        ep = os.path.join(d, "export.txt")
        kp = os.path.join(d, "audit.pub")
        with open(ep, "wb") as f:
            f.write(export_bytes)
        with open(kp, "w") as f:
            f.write(vkey_text + "\n")
        args = [BIN, "audit", "verify", ep, "--public-key", kp]
        for i, h in enumerate(held):
            hp = os.path.join(d, "held-%d.txt" % i)
            with open(hp, "wb") as f:
                f.write(h)
            args += ["--checkpoint", hp]
        r = subprocess.run(args + list(extra_args), capture_output=True,
                           text=True, timeout=300)
        line = (r.stdout + r.stderr).strip()
        return r.returncode, line


# --- the documented formats, independently ------------------------------------

def leaf_hash(entry):
    return hashlib.sha256(b"\x00" + entry).digest()


def node(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


class Frontier:
    """docs/audit.md 3.3."""

    def __init__(self):
        self.size, self.node = 0, {}

    def append(self, h):
        i = 0
        while self.size >> i & 1:
            h = node(self.node[i], h)
            i += 1
        self.node[i] = h
        self.size += 1

    def root(self):
        if self.size == 0:
            return hashlib.sha256(b"").digest()
        bits = [i for i in range(64) if self.size >> i & 1]
        acc = self.node[bits[0]]
        for j in bits[1:]:
            acc = node(self.node[j], acc)
        return acc


def verify_inclusion(leaf, index, size, proof, root):
    """RFC 9162 2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node(p, r)
            if not fn & 1:
                while True:
                    fn >>= 1
                    sn >>= 1
                    if fn & 1 or fn == 0:
                        break
        else:
            r = node(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(first, second, first_root, second_root, proof):
    """RFC 9162 2.1.4.2 (and corridor's strictness at size 0)."""
    if first > second:
        return False
    if first == second:
        return not proof and first_root == second_root
    if first == 0:
        return not proof and first_root == hashlib.sha256(b"").digest()
    if not proof:
        return False
    if first & (first - 1) == 0:
        proof = [first_root] + list(proof)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node(c, fr)
            sr = node(c, sr)
            if not fn & 1:
                while True:
                    fn >>= 1
                    sn >>= 1
                    if fn & 1 or fn == 0:
                        break
        else:
            sr = node(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == first_root and sr == second_root


def parse_checkpoint(note):
    """(origin, size, root) of a signed checkpoint note; no signature check."""
    text = note[:note.rindex(b"\n\n") + 1].decode()
    origin, size, root, _ = text.split("\n")
    return origin, int(size), base64.b64decode(root)


def export_lines(data):
    """[(kind, decoded bytes)] of an export's body lines, and its header."""
    lines = data.decode("ascii").split("\n")
    assert lines[-1] == "", "no final newline"
    header, body = lines[:3], []
    for line in lines[3:-1]:
        kw, _, b64 = line.partition(" ")
        body.append((kw, base64.b64decode(b64)))
    return header, body


def build_export(header, body):
    out = "\n".join(header) + "\n"
    for kw, raw in body:
        out += kw + " " + base64.b64encode(raw).decode() + "\n"
    return out.encode()


def entry_seq(entry):
    return int.from_bytes(entry[1:9], "big")
