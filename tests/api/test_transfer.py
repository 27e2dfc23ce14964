#!/usr/bin/env python3
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Handing a case to a partner organisation (issue 15 part 3) between two
real corridor servers: `corridor partner add/list/remove/fingerprint`; a
round trip that keeps every field, contact entry and attachment byte;
case.transfer and case.import with the same bundle hash; and the
refusals: one byte altered, a sender that is not a registered partner, a
bundle sealed to another partner, a second import, a caseworker, bad
bodies and media types. Two servers for the whole file, one more data
directory (never served) for a third partner's key."""
import atexit
import hashlib
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import BIN, Server, problem, run, write_secret  # noqa: E402
import auditlib  # noqa: E402
import imagegen  # noqa: E402

BUNDLE_TYPE = "application/vnd.corridor.bundle"
WHY = {"X-Access-Reason": "checking the imported case against the bundle"}
FIELDS = ("at", "channel", "summary", "next_steps")
FP_RE = r"fingerprint (\d{5} \d{5} \d{5} \d{5} \d{5} \d{5})"

# Under AddressSanitizer freed blocks sit in a quarantine instead of being
# reused, which the RSS test would measure (as in test_attachments.py).
if "quarantine_size_mb" not in os.environ.get("ASAN_OPTIONS", ""):
    os.environ["ASAN_OPTIONS"] = ":".join(
        x for x in (os.environ.get("ASAN_OPTIONS", ""),
                    "quarantine_size_mb=0") if x)

A = B = None
T = {}
TMP = tempfile.mkdtemp(prefix="corridor-xfer-")


def setup():
    """A (sender) and B (receiver), each with a coordinator, an auditor
    and (A) a caseworker; C is a data directory whose key only A knows."""
    global A, B
    if A is not None:
        return
    A, B = Server(), Server()
    atexit.register(A.cleanup)
    atexit.register(B.cleanup)
    for name, s in (("a", A), ("b", B)):
        admin = s.admin()
        T[name + "-coord"] = s.coord()
        T[name + "-aud"], _ = auditlib.auditor(s, admin)
        r = s.get("/audit/public-key", token=T[name + "-aud"])
        assert r.status == 200, r
        T[name + "-vkey"] = r.json()["vkey"]
        T[name + "-fp"] = r.json()["fingerprint"]
        T[name + "-keyfile"] = os.path.join(TMP, name + ".pub")
        with open(T[name + "-keyfile"], "w") as f:
            f.write(T[name + "-vkey"] + "\n")
        if name == "a":
            _, pw = s.create_user(admin, "cw-a", "caseworker")
            T["a-cw"] = s.login("cw-a", pw)
    # a third instance, initialised only for its key
    cdir = os.path.join(TMP, "c")
    cpass = os.path.join(TMP, "c-pass")
    write_secret(cpass, "op-" + secrets.token_hex(12))
    for f, v in (("c-apw", Server.random_password("a-")),
                 ("c-cpw", Server.random_password("c-"))):
        write_secret(os.path.join(TMP, f), v)
    out = subprocess.run(
        [BIN, "init", cdir, "--passphrase-file", cpass, "--admin", "admin",
         "--admin-password-file", os.path.join(TMP, "c-apw"),
         "--coordinator", "coord", "--coordinator-password-file",
         os.path.join(TMP, "c-cpw")], capture_output=True, text=True,
        timeout=120)
    assert out.returncode == 0, out.stderr
    T["c-vkey"] = re.search(r"^audit key (\S+)$", out.stdout, re.M).group(1)
    T["c-keyfile"] = os.path.join(TMP, "c.pub")
    with open(T["c-keyfile"], "w") as f:
        f.write(T["c-vkey"] + "\n")
    atexit.register(lambda: subprocess.run(["rm", "-rf", TMP]))


def partner(s, *args):
    return subprocess.run([BIN, "partner", args[0], s.dir] + list(args[1:]) +
                          ["--passphrase-file", s.passfile],
                          capture_output=True, text=True, timeout=120)


def new_case(tok, person=None, notes="notes"):
    r = A.post("/cases", {"risk": "critical", "region": "Grozny",
                          "household_size": 3,
                          "person": person or {"name": "Ахмед"},
                          "notes": notes}, token=tok)
    assert r.status == 201, r
    return r.json()["id"]


def transfer(cid, to, reason="resettlement in the partner's country",
             tok=None):
    return A.post("/cases/%s/transfer" % cid, {"partner": to,
                                               "reason": reason},
                  token=tok or T["a-coord"])


def import_(body, tok=None, ctype=BUNDLE_TYPE, s=None):
    return (s or B).request("POST", "/transfers/import", raw=body,
                            token=tok or T["b-coord"], content_type=ctype)


def sha(b):
    return hashlib.sha256(b).hexdigest()


def entries(s, tok, action):
    return [e for e in auditlib.all_entries(s, tok) if e["action"] == action]


def registered():
    """A knows B and C; B knows A (idempotent)."""
    if T.get("registered"):
        return
    for s, name, key in ((A, "Partner B", "b"), (A, "Partner C", "c"),
                         (B, "Network A", "a")):
        out = partner(s, "add", "--name", name, "--public-key",
                      T[key + "-keyfile"])
        assert out.returncode == 0, out.stderr
    T["registered"] = True


# --- partner register ----------------------------------------------------------

def test_partner_cli():
    setup()
    # each side reads its own fingerprint from its key file, as GET
    # /audit/public-key shows it
    out = subprocess.run([BIN, "partner", "fingerprint", T["b-keyfile"]],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert re.search(FP_RE, out.stdout).group(1) == T["b-fp"], out.stdout
    out = partner(A, "add", "--name", "Partner B", "--public-key",
                  T["b-keyfile"])
    assert out.returncode == 0, out.stderr
    # the same fingerprint, printed for the operator to read aloud
    assert re.search(FP_RE, out.stdout).group(1) == T["b-fp"], out.stdout
    assert T["b-vkey"].split("+")[0] in out.stdout
    # twice: refused (name, origin or key already there)
    out = partner(A, "add", "--name", "Other name", "--public-key",
                  T["b-keyfile"])
    assert out.returncode == 1 and "registered already" in out.stderr, out
    # not a key
    bad = os.path.join(TMP, "bad.pub")
    with open(bad, "w") as f:
        f.write("corridor/x+00000000+AAAA\n")
    out = partner(A, "add", "--name", "Bad", "--public-key", bad)
    assert out.returncode == 1 and "is not a public key" in out.stderr, out
    # a name with a control character
    out = partner(A, "add", "--name", "tab\there", "--public-key",
                  T["c-keyfile"])
    assert out.returncode == 2, out
    # usage
    out = subprocess.run([BIN, "partner", "add", A.dir],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 2, out
    out = partner(A, "list")
    assert out.returncode == 0 and "Partner B" in out.stdout, out
    assert T["b-fp"] in out.stdout
    # remove by name, then the list no longer holds it
    out = partner(A, "remove", "Partner B")
    assert out.returncode == 0, out.stderr
    out = partner(A, "list")
    assert "Partner B" not in out.stdout, out.stdout
    out = partner(A, "remove", "Partner B")
    assert out.returncode == 1 and "no partner" in out.stderr, out
    registered()


# --- the round trip --------------------------------------------------------------

def test_round_trip():
    setup()
    registered()
    person = {"name": "Ахмед Тестов", "phone": "+7 928 000 11 22",
              "aliases": ["A.", "Akhmed"], "age": 29, "safe": True,
              "nested": {"city": "Грозный", "note": "<script>x</script>"}}
    notes = "line one\nline two\ttabbed \u2014 «кавычки»"
    cid = new_case(T["a-cw"], person, notes)
    r = A.request("PATCH", "/cases/" + cid, {"status": "verified"},
                  token=T["a-cw"])
    assert r.status == 200, r
    contacts = [
        {"at": "2026-01-02T03:04:05Z", "channel": "signal",
         "summary": "first contact, scared", "next_steps": "call back"},
        {"at": "2026-02-03T04:05:06Z", "channel": "telegram",
         "summary": "moved to a safe flat"},
    ]
    for c in contacts:
        r = A.post("/cases/%s/contacts" % cid, c, token=T["a-cw"])
        assert r.status == 201, r
    png_full, png_clean = imagegen.png()
    files = [("passport scan.pdf", "application/pdf",
              b"%PDF-1.4\n" + os.urandom(200 * 1024 + 17)),
             ("фото.png", "image/png", png_full),
             ("note.txt", "text/plain", "текст\n".encode() * 3)]
    for name, ctype, data in files:
        r = A.request("POST", "/cases/%s/attachments" % cid, raw=data,
                      token=T["a-cw"], content_type=ctype,
                      headers={"X-Filename": urllib.parse.quote(name,
                                                                safe="")})
        assert r.status == 201, r
    want_bytes = [files[0][2], png_clean, files[2][2]]

    r = A.get("/cases/%s/contacts" % cid, token=T["a-cw"])
    assert r.status == 200, r
    want_c = sorted(({k: x[k] for k in FIELDS} for x in r.json()["contacts"]),
                    key=lambda x: x["at"])
    assert [x["summary"] for x in want_c] == [c["summary"] for c in contacts]

    r = transfer(cid, "Partner B")
    assert r.status == 200, r
    assert r.header("Content-Type") == BUNDLE_TYPE, r.headers
    bundle = r.body
    assert bundle[:8] == b"CRDRXFR1"
    # sealed: no field of the case is in the file in the clear
    for secret in ("Ахмед".encode(), b"scared", b"passport", b"Grozny",
                   files[2][2][:10], files[0][2][100:140]):
        assert secret not in bundle
    T["bundle"] = bundle
    T["bundle-case"] = cid

    sent = [e for e in entries(A, T["a-aud"], "case.transfer")
            if e["object_id"] == cid]
    assert len(sent) == 1 and sent[0]["outcome"] == "allowed", sent
    assert sent[0]["bundle_hash"] == sha(bundle), sent

    r = import_(bundle)
    assert r.status == 201, r
    got = r.json()
    assert got["bundle_hash"] == sha(bundle) == sent[0]["bundle_hash"]
    assert got["bundle_id"] == sent[0]["bundle_id"]
    prov = got["provenance"]
    assert prov["partner"] == "Network A"
    assert prov["origin"] == T["a-vkey"].split("+")[0]
    assert prov["reason"] == "resettlement in the partner's country"
    assert prov["audit_size"] >= 1 and len(prov["audit_root"]) == 44
    r = A.get("/cases?limit=500", token=T["a-coord"])
    assert prov["codename"] in [c["codename"] for c in r.json()["cases"]
                                if c["id"] == cid], prov
    # no user of the sender travels with the case
    assert "cw-a" not in json.dumps(got)
    new = got["case_id"]
    rec = [e for e in entries(B, T["b-aud"], "case.import")
           if e["object_id"] == new]
    assert len(rec) == 1 and rec[0]["bundle_hash"] == sha(bundle), rec
    assert rec[0]["bundle_id"] == got["bundle_id"]

    # every field, contact and attachment byte for byte
    r = B.get("/cases/" + new, token=T["b-coord"], headers=WHY)
    assert r.status == 200, r
    c = r.json()
    assert c["person"] == person and c["notes"] == notes, c
    assert (c["status"], c["risk"], c["region"], c["household_size"]) == \
        ("verified", "critical", "Grozny", 3), c
    r = B.get("/cases/%s/contacts" % new, token=T["b-coord"], headers=WHY)
    assert r.status == 200, r
    got_c = sorted(({k: x[k] for k in FIELDS} for x in r.json()["contacts"]),
                   key=lambda x: x["at"])
    assert got_c == want_c, got_c
    r = B.get("/cases/%s/attachments" % new, token=T["b-coord"], headers=WHY)
    assert r.status == 200, r
    atts = r.json()["attachments"]
    assert [(a["filename"], a["media_type"]) for a in atts] == \
        [(f[0], f[1]) for f in files], atts
    for a, want in zip(atts, want_bytes):
        assert a["size"] == len(want)
        r = B.get("/cases/%s/attachments/%s" % (new, a["id"]),
                  token=T["b-coord"], headers=WHY)
        assert r.status == 200 and r.body == want, (a, len(r.body))

    # the same bundle twice: refused, and no second case
    problem(import_(bundle), 409, "already-imported")
    assert len(entries(B, T["b-aud"], "case.import")) >= 1
    # the hand-over confirmed, the sender shreds its copy
    r = A.post("/cases/%s/shred" % cid, token=T["a-coord"])
    assert r.status == 204, r
    problem(transfer(cid, "Partner B"), 410)


# --- refusals --------------------------------------------------------------------

def fresh_bundle(to="Partner B"):
    cid = new_case(T["a-cw"])
    r = transfer(cid, to)
    assert r.status == 200, r
    return r.body


def test_one_byte_altered():
    setup()
    registered()
    bundle = fresh_bundle()
    n = len(bundle)
    # the magic, an origin, the sealed key, a record, the signature
    for pos in (0, 12, 80, n // 2, n - 70, n - 1):
        bad = bytearray(bundle)
        bad[pos] ^= 0x01
        r = import_(bytes(bad))
        assert r.status == 422, (pos, r)
        assert r.json()["type"].rsplit(":", 1)[1] in (
            "invalid-bundle", "bad-signature", "unknown-partner"), (pos, r)
    # cut short, or one byte more
    problem(import_(bundle[:-1]), 422)
    problem(import_(bundle + b"\x00"), 422)
    # nothing was imported, and the untouched bundle still is
    assert import_(bundle).status == 201
    assert B.healthy()


def test_unregistered_partner():
    setup()
    registered()
    bundle = fresh_bundle()
    out = partner(B, "remove", "Network A")
    assert out.returncode == 0, out.stderr
    try:
        problem(import_(bundle), 422, "unknown-partner")
    finally:
        out = partner(B, "add", "--name", "Network A", "--public-key",
                      T["a-keyfile"])
        assert out.returncode == 0, out.stderr
    # a key registered under A's origin but not A's key: the signature
    # fails (the origin alone proves nothing)
    assert partner(B, "remove", "Network A").returncode == 0
    forged = os.path.join(TMP, "forged.pub")
    origin = T["a-vkey"].split("+")[0]
    c_parts = T["c-vkey"].split("+", 2)
    # C's key under A's name: its key id does not match, so rebuild it
    kid = hashlib.sha256(origin.encode() + b"\n" + b"\x01" +
                         __import__("base64").b64decode(c_parts[2])[1:])
    with open(forged, "w") as f:
        f.write("%s+%s+%s\n" % (origin, kid.hexdigest()[:8], c_parts[2]))
    try:
        out = partner(B, "add", "--name", "Network A?", "--public-key",
                      forged)
        assert out.returncode == 0, out.stderr
        problem(import_(bundle), 422, "bad-signature")
    finally:
        assert partner(B, "remove", "Network A?").returncode == 0
        assert partner(B, "add", "--name", "Network A", "--public-key",
                       T["a-keyfile"]).returncode == 0
    assert import_(bundle).status == 201


def test_sealed_to_another_partner():
    setup()
    registered()
    bundle = fresh_bundle("Partner C")
    problem(import_(bundle), 422, "not-for-us")


def test_caseworker_and_roles():
    setup()
    registered()
    bundle = fresh_bundle()
    # a caseworker may neither import nor send
    r = import_(bundle, tok=T["a-cw"], s=A)
    problem(r, 403)
    cid = new_case(T["a-cw"])
    problem(transfer(cid, "Partner B", tok=T["a-cw"]), 403)
    problem(transfer(cid, "Partner B", tok=T["a-aud"]), 403)
    problem(A.post("/cases/%s/transfer" % cid, {"partner": "Partner B",
                                                "reason": "x"}), 401)
    r = B.request("POST", "/transfers/import", raw=bundle,
                  content_type=BUNDLE_TYPE,
                  headers={"Authorization": "Bearer " + "A" * 86})
    problem(r, 401)
    denied = [e for e in entries(A, T["a-aud"], "case.transfer")
              if e["outcome"] == "denied"]
    assert denied, "denied transfers are audited"


def test_bad_input():
    setup()
    registered()
    cid = new_case(T["a-cw"])
    problem(transfer(cid, "No Such Partner"), 422, "unknown-partner")
    problem(A.post("/cases/%s/transfer" % cid, {"partner": "Partner B"},
                   token=T["a-coord"]), 422)
    problem(A.post("/cases/%s/transfer" % cid,
                   {"partner": "Partner B", "reason": "r", "extra": 1},
                   token=T["a-coord"]), 422)
    problem(A.post("/cases/%s/transfer" % cid,
                   {"partner": "Partner B", "reason": ""},
                   token=T["a-coord"]), 422)
    problem(A.post("/cases/%s/transfer" % cid,
                   {"partner": "Partner B", "reason": "r" * 513},
                   token=T["a-coord"]), 422)
    problem(A.request("POST", "/cases/%s/transfer" % cid,
                      raw=b'{"partner": "Partner B", "reason": ',
                      token=T["a-coord"]), 400)
    problem(transfer("A" * 22, "Partner B"), 404)
    # import: media type, empty, garbage, too large
    problem(import_(b"CRDRXFR1", ctype="application/octet-stream"), 415)
    problem(import_(b""), 422, "invalid-bundle")
    problem(import_(b"CRDRXFR1" + os.urandom(300)), 422, "invalid-bundle")
    problem(import_(os.urandom(4096)), 422, "invalid-bundle")
    r = B.raw(("POST /api/v1/transfers/import HTTP/1.1\r\nHost: x\r\n"
               "Authorization: Bearer %s\r\nContent-Type: %s\r\n"
               "Content-Length: %d\r\n\r\n" % (T["b-coord"], BUNDLE_TYPE,
                                               256 * 1024 * 1024 + 1)
               ).encode())
    assert r.startswith(b"HTTP/1.1 413"), r[:80]
    assert A.healthy() and B.healthy()


def rss(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM"):
                out[k] = int(v.split()[0])  # KiB
    return out


def clear_peak(s):
    # the peak (VmHWM) back to the current RSS: the logins' Argon2 set it
    # far higher before
    with open("/proc/%d/clear_refs" % s.proc.pid, "w") as f:
        f.write("5")


def test_memory_bounded():
    """Two 25 MiB attachments: a 50 MiB bundle goes out of A and into B
    while neither server's peak RSS grows by more than a few records."""
    setup()
    registered()
    cid = new_case(T["a-cw"])
    block = hashlib.sha256(b"xfer").digest() * 2048
    big = (block * (25 * 1024 * 1024 // len(block) + 1))[:25 * 1024 * 1024]
    for i in range(2):
        r = A.request("POST", "/cases/%s/attachments" % cid,
                      raw=bytes([i]) + big[1:], token=T["a-cw"],
                      content_type="application/pdf",
                      headers={"X-Filename": "scan-%d.pdf" % i})
        assert r.status == 201, r
    # warm up both paths with a small case
    assert import_(fresh_bundle()).status == 201
    # confirm the coordinators' passwords now and not again in the window:
    # a renewal is an Argon2 run (256 MiB) that the peak would count
    A.confirm(T["a-coord"], A.coord_pw)
    B.confirm(T["b-coord"], B.coord_pw)
    A.RECONFIRM_S = B.RECONFIRM_S = 290
    clear_peak(A)
    clear_peak(B)
    a0, b0 = rss(A.proc.pid), rss(B.proc.pid)
    r = transfer(cid, "Partner B")
    assert r.status == 200, r
    bundle = r.body
    assert len(bundle) > 50 * 1024 * 1024
    r = import_(bundle)
    assert r.status == 201, r
    a1, b1 = rss(A.proc.pid), rss(B.proc.pid)
    grew_a = (a1["VmHWM"] - a0["VmHWM"]) / 1024.0
    grew_b = (b1["VmHWM"] - b0["VmHWM"]) / 1024.0
    print("  bundle %d bytes; peak RSS grew %.1f MiB (sender), %.1f MiB "
          "(receiver)" % (len(bundle), grew_a, grew_b))
    assert grew_a < 24 and grew_b < 24, (grew_a, grew_b)
    # and the bytes arrived
    new = r.json()["case_id"]
    r = B.get("/cases/%s/attachments" % new, token=T["b-coord"], headers=WHY)
    atts = r.json()["attachments"]
    assert [a["size"] for a in atts] == [len(big)] * 2, atts
    r = B.get("/cases/%s/attachments/%s" % (new, atts[1]["id"]),
              token=T["b-coord"], headers=WHY)
    assert r.status == 200 and r.body == b"\x01" + big[1:]


if __name__ == "__main__":
    run([test_partner_cli, test_round_trip, test_one_byte_altered,
         test_unregistered_partner, test_sealed_to_another_partner,
         test_caseworker_and_roles, test_bad_input, test_memory_bounded])
