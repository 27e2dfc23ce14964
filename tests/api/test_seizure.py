#!/usr/bin/env python3
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Seizure of a running server (issue 18, section 1).

Sessions of every role do real work (cases with plaintext markers in the
person, the notes and a contact, reads, an assignment, a break-glass read,
an evacuation) and then sit idle. The test then reads the server's whole
memory through /proc/PID/mem, as an attacker with root on the machine
would, and searches it for:

  - the org secret key;
  - every user's X25519 secret key;
  - every K_case and K_evac;
  - every live session's K_s (the key half of its bearer token);
  - the plaintext markers.

It learns the keys the way an adversary with the passwords would, offline:
dbpeek reads the wraps out of the database with the operator passphrase,
keypeek opens them with the users' passwords (tests/api/keypeek.c).

Against main before issue 18 (sessions holding the secret keys and the
coordinator's org key in the clear) the key checks fail: see the commit
message of this test for the run.

Also here: the re-confirmation prompt for the org key (403
reauth-required, POST /session/confirm, retry), the token format, a token
whose K_s is wrong, and that a password change makes a new key pair.
"""
import base64
import json
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Server, problem, run  # noqa: E402

DBPEEK = os.environ.get("CORRIDOR_DBPEEK", "build/tests/api/dbpeek")
KEYPEEK = os.environ.get("CORRIDOR_KEYPEEK", "build/tests/api/keypeek")

# ASCII markers (no JSON escaping can hide them); each unique to this test
NAME = "Seizmarker Umarov"
PHONE = "+79287770042"
ADDRESS = "ul. Seizmarkerova 12, Grozny"
NOTE = "SEIZMARKER-NOTE hiding in the cellar of the second house"
CONTACT = "SEIZMARKER-CONTACT cousin called at night"
EVAC = "SEIZMARKER-EVAC border crossing at Verkhny Lars"
MARKERS = [NAME, PHONE, ADDRESS, NOTE, CONTACT, EVAC]

REASON = {"X-Access-Reason": "caseworker unreachable; safety check"}


def hx(s):
    return (s if isinstance(s, bytes) else s.encode()).hex()


def peek(s, sql):
    out = subprocess.run([DBPEEK, s.dir, s.passfile, "query", sql],
                         capture_output=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return [json.loads(line) for line in out.stdout.decode().splitlines()
            if line]


def blob(v):
    return bytes.fromhex(v["hex"])


class Keys:
    """Every key the data directory holds, opened offline with the
    passwords: user secret keys, the org key, K_case and K_evac."""

    def __init__(self, s, passwords):
        self.p = subprocess.Popen([KEYPEEK], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True)
        self.users = {}     # id -> (name, pk, sk)
        for uid, name, pk, sealed in peek(
                s, "SELECT id, username, pk, sk_sealed FROM users"):
            sk = self.ask("usersk", hx(uid), blob(sealed).hex(),
                          hx(passwords[name]))
            assert sk is not None, "cannot open %s's key" % name
            self.users[uid] = (name, blob(pk), sk)
        org_pk = blob(peek(s, "SELECT v FROM meta WHERE k = 'org_pk'")[0][0])
        self.org = None
        for uid, sealed in peek(s, "SELECT user_id, sealed FROM org_grants"):
            _, pk, sk = self.users[uid]
            self.org = self.ask("unseal", hx("org"), hx("org"), hx(uid),
                                pk.hex(), sk.hex(), blob(sealed).hex())
            assert self.org is not None
        self.case_keys = {}
        for table, col, kind in (("case_keys", "case_id", "case"),
                                 ("evac_keys", "evacuation_id", "evac")):
            for oid, sealed in peek(s, "SELECT %s, sealed FROM %s WHERE "
                                    "recipient_id = 'org'" % (col, table)):
                k = self.ask("unseal", hx(kind), hx(oid), hx("org"),
                             org_pk.hex(), self.org.hex(), blob(sealed).hex())
                assert k is not None
                self.case_keys[oid] = k
        self.p.stdin.close()
        self.p.wait(timeout=30)

    def ask(self, *fields):
        self.p.stdin.write(" ".join(fields) + "\n")
        self.p.stdin.flush()
        line = self.p.stdout.readline().strip()
        return None if line == "-" else bytes.fromhex(line)


# Mappings larger than this are not read: only a sanitizer build has them
# (ASan's shadow memory and allocator reserve, terabytes of address space);
# corridor's own largest, an Argon2 run's 256 MiB, is unmapped after use.
SKIP_MAPPING_BYTES = 1 << 30
CHUNK_BYTES = 16 << 20


def forms(label, n):
    """The byte strings that stand for needle n: keys raw and in hex."""
    return [n, n.hex().encode()] if label.startswith("key") else [n]


def scan(pid, needles):
    """Read every readable mapping of pid through /proc/PID/mem, in chunks
    that overlap by the longest needle, and return ({label: [mapping, ...]}
    for each needle found, bytes read)."""
    found, total = {}, 0
    overlap = max(len(f) for label, n in needles.items()
                  for f in forms(label, n))
    with open("/proc/%d/maps" % pid) as maps, \
            open("/proc/%d/mem" % pid, "rb", 0) as mem:
        for line in maps:
            parts = line.split()
            lo, hi = (int(x, 16) for x in parts[0].split("-"))
            perms = parts[1]
            name = parts[5] if len(parts) > 5 else "[anon]"
            if perms[0] != "r" or name in ("[vvar]", "[vsyscall]") or \
                    hi - lo > SKIP_MAPPING_BYTES:
                continue
            where = "%s %s %s" % (parts[0], perms, name)
            tail = b""
            pos = lo
            while pos < hi:
                try:
                    mem.seek(pos)
                    data = mem.read(min(CHUNK_BYTES, hi - pos))
                except OSError:
                    break   # a guard page turned PROT_NONE meanwhile
                if not data:
                    break
                total += len(data)
                window = tail + data
                for label, n in needles.items():
                    if any(f in window for f in forms(label, n)):
                        if where not in found.get(label, []):
                            found.setdefault(label, []).append(where)
                tail = window[-overlap:]
                pos += len(data)
    return found, total


def setup(s):
    """Users of every role with real work done; returns (tokens, passwords,
    ids)."""
    pw = {"admin": s.admin_pw, "coord": s.coord_pw}
    admin = s.admin()
    ids = {}
    for name, role in (("cw-one", "caseworker"), ("cw-two", "caseworker"),
                       ("aud-one", "auditor")):
        ids[name], pw[name] = s.create_user(admin, name, role)
    tok = {"admin": admin, "coord": s.coord()}
    for name in ("cw-one", "cw-two", "aud-one"):
        tok[name] = s.login(name, pw[name])
    person = {"name": NAME, "phone": PHONE, "location": {"address": ADDRESS}}
    # a caseworker's own case, with a contact; read back
    r = s.post("/cases", {"risk": "high", "region": "Chechnya",
                          "person": person, "notes": NOTE},
               token=tok["cw-one"])
    assert r.status == 201, r
    c1 = ids["c1"] = r.json()["id"]
    r = s.post("/cases/%s/contacts" % c1,
               {"channel": "signal", "summary": CONTACT}, token=tok["cw-one"])
    assert r.status == 201, r
    assert s.get("/cases/" + c1, token=tok["cw-one"]).json()["notes"] == NOTE
    assert s.get("/cases/%s/contacts" % c1, token=tok["cw-one"]).status == 200
    # a coordinator's case, assigned to the second caseworker, who reads it
    r = s.post("/cases", {"risk": "medium", "region": "Ingushetia",
                          "person": person, "notes": NOTE}, token=tok["coord"])
    assert r.status == 201, r
    c2 = r.json()["id"]
    r = s.post("/cases/%s/assignments" % c2, {"user_id": ids["cw-two"]},
               token=tok["coord"])
    assert r.status in (200, 201), r
    assert s.get("/cases/" + c2, token=tok["cw-two"]).json()["notes"] == NOTE
    # break-glass: the coordinator reads the first caseworker's case
    r = s.get("/cases/" + c1, token=tok["coord"], headers=REASON)
    assert r.status == 200 and r.json()["notes"] == NOTE, r
    r = s.get("/cases/%s/contacts" % c1, token=tok["coord"], headers=REASON)
    assert r.status == 200, r
    # an evacuation with the second case in it
    r = s.post("/evacuations", {"details": {"route": EVAC}}, token=tok["coord"])
    assert r.status == 201, r
    r = s.post("/evacuations/%s/cases" % r.json()["id"], {"case_id": c2},
               token=tok["coord"])
    assert r.status in (200, 201), r
    # the auditor and the admin at work
    assert s.get("/audit", token=tok["aud-one"]).status == 200
    assert s.get("/users", token=tok["admin"]).status == 200
    return tok, pw, ids


def test_memory_image_holds_no_key():
    s = Server()
    try:
        tok, pw, ids = setup(s)
        # a coordinator changes their password: the strength check must
        # leave no copy of either password in the server (cracklib's
        # buffers did, before the check moved to a child process)
        new = "fresh-" + os.urandom(12).hex()
        r = s.request("PUT", "/me/password",
                      {"old_password": pw["coord"], "new_password": new},
                      token=tok["coord"])
        assert r.status == 204, r
        passwords = dict(pw)
        passwords["coord-old"] = pw["coord"]
        pw["coord"] = new
        tok["coord"] = s.login("coord", new)
        keys = Keys(s, pw)
        assert keys.org is not None and len(keys.case_keys) >= 3
        # the sessions are live and idle; one client keeps its connection
        # open after reading a case (a browser's keep-alive)
        for t in tok.values():
            assert s.get("/me", token=t).status == 200
        kept = s.conn()
        kept.request("GET", "/api/v1/cases/" + ids["c1"],
                     headers={"Authorization": "Bearer " + tok["cw-one"]})
        r = kept.getresponse()
        assert r.status == 200 and NOTE.encode() in r.read()
        time.sleep(1)
        needles = {"key org": keys.org}
        for uid, (name, _, sk) in keys.users.items():
            needles["key sk " + name] = sk
        for oid, k in keys.case_keys.items():
            needles["key K " + oid] = k
        for name, t in tok.items():
            raw = base64.urlsafe_b64decode(t + "=" * (-len(t) % 4))
            if len(raw) == 64:
                needles["key K_s " + name] = raw[32:]
            needles["token " + name] = t.encode()
        needles.update({"marker " + m: m.encode() for m in MARKERS})
        # every password, also as cracklib copies it (lowercased,
        # reversed, both)
        for name, p in passwords.items():
            for form, v in (("", p), (" lower", p.lower()),
                            (" reversed", p[::-1]),
                            (" lower-reversed", p.lower()[::-1])):
                needles["password " + name + form] = v.encode()
        # the control: the scan finds what it looks for (a marker sent in
        # a request still in flight cannot have been wiped)
        probe = b"SEIZMARKER-PROBE-" + os.urandom(8).hex().encode()
        holder = s.conn()
        holder.putrequest("POST", "/api/v1/session")
        holder.putheader("Content-Type", "application/json")
        holder.putheader("Content-Length", "1000")
        holder.endheaders()
        holder.send(b'{"username":"' + probe)
        time.sleep(0.5)
        needles["probe"] = probe
        found, total = scan(s.proc.pid, needles)
        holder.close()
        kept.close()
        assert total > 1 << 20, total       # really read it
        assert found.pop("probe", None), "the scan cannot see the heap"
        assert not found, "in the memory image of the idle server: %s" % (
            json.dumps(found, indent=1))
        assert s.stop() == 0
    finally:
        s.cleanup()


def test_org_key_needs_a_fresh_confirmation():
    s = Server()
    try:
        admin = s.admin()
        cw, cwpw = s.create_user(admin, "cw-x", "caseworker")
        other, _ = s.create_user(admin, "cw-y", "caseworker")
        # an enrolled auditor, to seal break-glass reasons to
        s.create_user(admin, "aud-x", "auditor")
        cwt = s.login("cw-x", cwpw)
        r = s.post("/cases", {"risk": "low", "region": "x",
                              "person": {"name": "n"}}, token=cwt)
        assert r.status == 201, r
        cid = r.json()["id"]
        co = s.login("coord", s.coord_pw, confirm=False)
        # metadata needs no org key
        assert s.get("/cases", token=co).status == 200
        # content does: the prompt
        p = problem(s.get("/cases/" + cid, token=co, headers=REASON), 403,
                    "reauth-required")
        assert "/session/confirm" in p["detail"]
        problem(s.post("/cases/%s/assignments" % cid, {"user_id": other},
                       token=co), 403, "reauth-required")
        # a wrong password: 403, the session lives, still no org key
        problem(s.post("/session/confirm", {"password": "not the password"},
                       token=co), 403, "wrong-password")
        assert s.get("/me", token=co).status == 200
        problem(s.get("/cases/" + cid, token=co, headers=REASON), 403,
                "reauth-required")
        # bad bodies
        problem(s.post("/session/confirm", {"password": ""}, token=co), 422)
        problem(s.post("/session/confirm", {"pw": "x"}, token=co), 422)
        problem(s.post("/session/confirm", raw=b"{", token=co), 400)
        problem(s.post("/session/confirm",
                       {"password": "p" * 5000}, token=co), 422)
        # the confirmation lets the same requests through
        assert s.confirm(co, s.coord_pw).status == 204
        r = s.get("/cases/" + cid, token=co, headers=REASON)
        assert r.status == 200 and r.json()["person"] == {"name": "n"}, r
        r = s.post("/cases/%s/assignments" % cid, {"user_id": other},
                   token=co)
        assert r.status in (200, 201), r
        # a key reached through the org key is not cached: once the
        # confirmation is gone (a wrong password clears it), the same
        # read prompts again
        problem(s.post("/session/confirm", {"password": "wrong password 1"},
                       token=co), 403, "wrong-password")
        problem(s.get("/cases/" + cid, token=co, headers=REASON), 403,
                "reauth-required")
        assert s.confirm(co, s.coord_pw).status == 204
        # a caseworker has no org key and no reset to confirm for; an
        # admin confirms for a reset (issue 14's review M2)
        problem(s.post("/session/confirm", {"password": cwpw}, token=cwt), 403,
                "forbidden")
        assert s.confirm(admin, s.admin_pw).status == 204
        # no token, a forged one
        problem(s.post("/session/confirm", {"password": s.coord_pw}), 401)
        forged = base64.urlsafe_b64encode(os.urandom(64)).rstrip(b"=").decode()
        problem(s.post("/session/confirm", {"password": s.coord_pw},
                       token=forged), 401)
        # every attempt is audited as session.confirm
        rows = subprocess.run([DBPEEK, s.dir, s.passfile, "audit"],
                              capture_output=True, timeout=60).stdout.decode()
        acts = [json.loads(l) for l in rows.splitlines() if l]
        confirms = [a for a in acts if a.get("action") == "session.confirm"]
        outcomes = sorted(a.get("outcome") for a in confirms)
        assert "allowed" in outcomes and "denied" in outcomes, confirms
        assert s.stop() == 0
    finally:
        s.cleanup()


def test_token_carries_the_session_key():
    s = Server()
    try:
        t = s.admin()
        assert len(t) == 86 and re.fullmatch(r"[A-Za-z0-9_-]{86}", t), t
        raw = base64.urlsafe_b64decode(t + "==")
        assert len(raw) == 64
        # the right id with a wrong K_s is no token
        bad = base64.urlsafe_b64encode(raw[:32] + os.urandom(32)) \
            .rstrip(b"=").decode()
        problem(s.get("/me", token=bad), 401, "unauthenticated")
        # one flipped bit of K_s
        flip = bytearray(raw)
        flip[63] ^= 1
        bad = base64.urlsafe_b64encode(bytes(flip)).rstrip(b"=").decode()
        problem(s.get("/users", token=bad), 401, "unauthenticated")
        # the old 43-character form, a truncated token
        problem(s.get("/me", token=t[:43]), 401, "unauthenticated")
        problem(s.get("/me", token=t[:85]), 401, "unauthenticated")
        assert s.get("/me", token=t).status == 200
        assert s.stop() == 0
    finally:
        s.cleanup()


def test_password_change_makes_a_new_key_pair():
    s = Server()
    try:
        admin = s.admin()
        cw, cwpw = s.create_user(admin, "cw-k", "caseworker")
        # an enrolled auditor, to seal break-glass reasons to
        s.create_user(admin, "aud-k", "auditor")
        cwt = s.login("cw-k", cwpw)
        r = s.post("/cases", {"risk": "low", "region": "x",
                              "person": {"name": NAME}, "notes": NOTE},
                   token=cwt)
        assert r.status == 201, r
        cid = r.json()["id"]
        co = s.coord()
        coord_id = s.get("/me", token=co).json()["id"]

        def state():
            users = {u: (blob(pk), blob(sealed)) for u, pk, sealed in
                     peek(s, "SELECT id, pk, sk_sealed FROM users")}
            wrap = blob(peek(s, "SELECT sealed FROM case_keys WHERE "
                             "case_id = '%s' AND recipient_id = '%s'"
                             % (cid, cw))[0][0])
            grant = blob(peek(s, "SELECT sealed FROM org_grants WHERE "
                              "user_id = '%s'" % coord_id)[0][0])
            return users, wrap, grant

        users0, wrap0, grant0 = state()
        # the caseworker changes the password
        new_cw = "another fresh pass 8812"
        r = s.request("PUT", "/me/password", {"old_password": cwpw,
                                              "new_password": new_cw},
                      token=cwt)
        assert r.status == 204, r
        # the coordinator too
        new_co = "violet harbour lantern 5521"
        r = s.request("PUT", "/me/password", {"old_password": s.coord_pw,
                                              "new_password": new_co},
                      token=co)
        assert r.status == 204, r
        users1, wrap1, grant1 = state()
        assert users1[cw][0] != users0[cw][0], "caseworker kept the key pair"
        assert users1[coord_id][0] != users0[coord_id][0]
        assert wrap1 != wrap0 and grant1 != grant0
        # the old sealed key (a backup's copy) opens with the old password,
        # but the key in it opens none of the current grants
        k = subprocess.Popen([KEYPEEK], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)

        def ask(*f):
            k.stdin.write(" ".join(f) + "\n")
            k.stdin.flush()
            line = k.stdout.readline().strip()
            return None if line == "-" else bytes.fromhex(line)
        old_sk = ask("usersk", hx(cw), users0[cw][1].hex(), hx(cwpw))
        assert old_sk is not None
        assert ask("unseal", hx("case"), hx(cid), hx(cw), users0[cw][0].hex(),
                   old_sk.hex(), wrap0.hex()) is not None   # control
        assert ask("unseal", hx("case"), hx(cid), hx(cw), users0[cw][0].hex(),
                   old_sk.hex(), wrap1.hex()) is None
        old_co = ask("usersk", hx(coord_id), users0[coord_id][1].hex(),
                     hx(s.coord_pw))
        assert old_co is not None
        assert ask("unseal", hx("org"), hx("org"), hx(coord_id),
                   users0[coord_id][0].hex(), old_co.hex(),
                   grant1.hex()) is None
        # the new key pair opens them
        new_sk = ask("usersk", hx(cw), users1[cw][1].hex(), hx(new_cw))
        assert ask("unseal", hx("case"), hx(cid), hx(cw), users1[cw][0].hex(),
                   new_sk.hex(), wrap1.hex()) is not None
        k.stdin.close()
        k.wait(timeout=30)
        # and the live sessions go on working with it
        r = s.get("/cases/" + cid, token=cwt)
        assert r.status == 200 and r.json()["notes"] == NOTE, r
        assert s.confirm(co, new_co).status == 204
        r = s.get("/cases/" + cid, token=co, headers=REASON)
        assert r.status == 200 and r.json()["notes"] == NOTE, r
        # a fresh login with the new password, and not with the old
        problem(s.post("/session", {"username": "cw-k", "password": cwpw}),
                401)
        t = s.login("cw-k", new_cw)
        assert s.get("/cases/" + cid, token=t).json()["notes"] == NOTE
        assert s.stop() == 0
    finally:
        s.cleanup()


def test_weak_passwords_refused():
    s = Server()
    try:
        admin = s.admin()
        uid, first = s.create_user(admin, "cw-weak", "caseworker", enrol=False)
        t = s.login("cw-weak", first)
        for weak in ("aaaaaaaaaaaa", "password1234", "passwordpassword",
                     "cw-weak-2024-x", "abcdefghijkl", "123456789012",
                     "iloveyou1234"):
            p = problem(s.request("PUT", "/me/password",
                                  {"old_password": first,
                                   "new_password": weak}, token=t),
                        422, "weak-password")
            assert weak not in p["detail"]
        # a first password is checked too
        problem(s.post("/users", {"username": "cw-weak2", "role": "caseworker",
                                  "password": "aaaaaaaaaaaa"}, token=admin),
                422, "weak-password")
        # a good one passes
        r = s.request("PUT", "/me/password",
                      {"old_password": first,
                       "new_password": "violet lantern 4 harbour"}, token=t)
        assert r.status == 204, r
        assert s.stop() == 0
    finally:
        s.cleanup()


if __name__ == "__main__":
    run([test_token_carries_the_session_key,
         test_org_key_needs_a_fresh_confirmation,
         test_password_change_makes_a_new_key_pair,
         test_weak_passwords_refused,
         test_memory_image_holds_no_key])
