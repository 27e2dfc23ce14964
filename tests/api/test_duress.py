# SPDX-License-Identifier: AGPL-3.0-or-later
"""Accounts under coercion (issue 14) against the real binary: one's own
sessions and login history, the duress password and its decoy session,
panic (self and another account, with a reason), and recovery: a reset,
a new enrolment and the coordinator's re-sealing of exactly the cases the
account is still assigned to; with two-factor login, the duress password
without the code erases nothing, and a reset removes the TOTP. One server for the whole file; few logins
(each is Argon2id MODERATE)."""
import base64
import hashlib
import hmac
import json
import os
import secrets
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import Server, problem, run  # noqa: E402

DBPEEK = os.environ.get("CORRIDOR_DBPEEK", "build/tests/api/dbpeek")
S = None
ANY = {}
WHY = {"X-Access-Reason": "recovery after a detention"}


def query(sql):
    s = srv()
    out = subprocess.run([DBPEEK, s.dir, s.passfile, "query", sql],
                         capture_output=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return [json.loads(x) for x in out.stdout.decode().splitlines() if x]


def wal_size():
    return os.path.getsize(os.path.join(srv().dir, "corridor.db-wal"))


def wal_empty_soon(limit_s=10.0):
    """The WAL truncated, now or within limit_s (the checkpoint thread's
    queued truncation after a duress login)."""
    deadline = time.time() + limit_s
    while wal_size() != 0 and time.time() < deadline:
        time.sleep(0.05)
    return wal_size() == 0


def set_duress(tok, pw):
    duress = srv().random_password("du-")
    r = srv().request("PUT", "/me/duress", {"password": pw,
                                            "duress_password": duress},
                      token=tok)
    assert r.status == 204, r
    return duress


def srv():
    global S
    if S is None:
        S = Server()
        ANY["admin"] = S.admin()
        ANY["coord"] = S.coord()
        # an enrolled auditor: break-glass reads need one, and it reads
        # the audit log
        name = "aud-" + secrets.token_hex(3)
        _, pw = S.create_user(ANY["admin"], name, "auditor")
        ANY["auditor"] = S.login(name, pw)
    return S


def new_caseworker(cases=1):
    """An enrolled caseworker who created `cases` cases. Returns (id,
    name, password, token, [case ids])."""
    s = srv()
    name = "cw-" + secrets.token_hex(4)
    uid, pw = s.create_user(ANY["admin"], name, "caseworker")
    tok = s.login(name, pw)
    ids = []
    for i in range(cases):
        r = s.post("/cases", {"risk": "high", "region": "Chechnya",
                              "household_size": 1,
                              "person": {"name": "marker-%s-%d" % (name, i)},
                              "notes": "n"}, token=tok)
        assert r.status == 201, r
        ids.append(r.json()["id"])
    return uid, name, pw, tok, ids


def login(name, pw, client=None):
    body = {"username": name, "password": pw}
    if client is not None:
        body["client"] = client
    return srv().post("/session", body)


def audit_actions(uid):
    r = srv().get("/audit?actor_id=%s&limit=500" % uid, token=ANY["auditor"])
    assert r.status == 200, r
    return [e["action"] for e in r.json()["entries"]]


def test_sessions_and_logins():
    s = srv()
    uid, name, pw, tok, _ = new_caseworker(0)
    r = login(name, pw, client="<img src=x onerror=alert(1)>")
    assert r.status == 201, r
    other = r.json()["token"]
    assert s.post("/session", {"username": name,
                               "password": pw + "x"}).status == 401
    r = s.get("/me/sessions", token=tok)
    assert r.status == 200, r
    sess = r.json()["sessions"]
    assert len(sess) == 2, sess
    for x in sess:
        # no address, no user agent: only what the issue allows
        assert set(x) <= {"id", "created_at", "last_seen_at", "current",
                          "client"}, x
    cur = [x for x in sess if x["current"]]
    oth = [x for x in sess if not x["current"]]
    assert len(cur) == 1 and len(oth) == 1
    assert oth[0]["client"] == "<img src=x onerror=alert(1)>"
    # the label is bounded and text only
    problem(login(name, pw, client="x" * 49), 422)
    problem(login(name, pw, client="a\u0001b"), 422)
    # another account cannot end it
    r = s.request("DELETE", "/me/sessions/" + oth[0]["id"],
                  token=ANY["coord"])
    problem(r, 404)
    assert s.get("/me", token=other).status == 200
    problem(s.request("DELETE", "/me/sessions/not..an.id", token=tok), 404)
    problem(s.request("DELETE", "/me/sessions/" + "A" * 22, token=tok), 404)
    r = s.request("DELETE", "/me/sessions/" + oth[0]["id"], token=tok)
    assert r.status == 204, r
    problem(s.get("/me", token=other), 401)
    assert s.get("/me", token=tok).status == 200
    # login history: successes and the failure, newest first, from the
    # audit log
    r = s.get("/me/logins", token=tok)
    assert r.status == 200, r
    res = [x["result"] for x in r.json()["logins"]]
    assert res[:2] == ["failure", "success"], res
    assert res.count("success") >= 2, res
    assert "session.revoke" in audit_actions(uid)


def test_duress_login():
    s = srv()
    uid, name, pw, tok, (case,) = new_caseworker(1)
    duress = s.random_password("du-")
    r = s.request("PUT", "/me/duress", {"password": pw,
                                        "duress_password": pw}, token=tok)
    problem(r, 422, "duress-same-password")
    r = s.request("PUT", "/me/duress", {"password": pw + "no",
                                        "duress_password": duress}, token=tok)
    problem(r, 403, "wrong-password")
    r = s.request("PUT", "/me/duress", {"password": pw, "duress_password":
                                        "d" * 1025}, token=tok)
    problem(r, 422)
    assert s.get("/me", token=tok).json()["duress_set"] is False
    r = s.request("PUT", "/me/duress", {"password": pw,
                                        "duress_password": duress}, token=tok)
    assert r.status == 204, r
    me = s.get("/me", token=tok).json()
    assert me["duress_set"] is True
    # removing it needs the password too (review L2; the old code removed
    # it for the token alone): refused without it or with a wrong one
    problem(s.request("DELETE", "/me/duress", {}, token=tok), 422,
            "invalid-body")
    problem(s.request("DELETE", "/me/duress", {"password": pw + "no"},
                      token=tok), 403, "wrong-password")
    assert s.get("/me", token=tok).json()["duress_set"] is True
    r = s.request("DELETE", "/me/duress", {"password": pw}, token=tok)
    assert r.status == 204, r
    assert s.get("/me", token=tok).json()["duress_set"] is False
    r = s.request("PUT", "/me/duress", {"password": pw,
                                        "duress_password": duress}, token=tok)
    assert r.status == 204, r

    normal = login(name, pw)
    assert normal.status == 201
    forced = login(name, duress, client="laptop")
    # the same answer as a normal login
    assert forced.status == 201, forced
    a, b = normal.json(), forced.json()
    assert set(a) == set(b) and a["user"] == b["user"], (a, b)
    decoy = b["token"]
    # silently: every other session ended ...
    problem(s.get("/me", token=tok), 401)
    problem(s.get("/me", token=a["token"]), 401)
    # ... and the real password opens nothing any more
    problem(login(name, pw), 401, "login-failed")
    # the decoy looks like the account, with no cases
    r = s.get("/me", token=decoy)
    assert r.status == 200, r
    d = r.json()
    assert d["username"] == name and d["status"] == "active"
    assert d["enrolled"] is True and d["duress_set"] is False
    assert d["cases_waiting"] == 0
    assert set(d) == set(me), (d, me)
    r = s.get("/cases", token=decoy)
    assert r.status == 200 and r.json()["cases"] == [], r
    problem(s.get("/cases/" + case, token=decoy), 404)
    problem(s.get("/cases/%s/contacts" % case, token=decoy), 404)
    assert s.get("/evacuations", token=decoy).json()["evacuations"] == []
    sess = s.get("/me/sessions", token=decoy).json()["sessions"]
    assert len(sess) == 1 and sess[0]["current"], sess
    # the duress login shows as a plain login in the history (after it,
    # the real password's refusal above)
    logins = s.get("/me/logins", token=decoy).json()["logins"]
    assert [x["result"] for x in logins[:2]] == ["failure", "success"], \
        logins
    assert all(set(x) == {"at", "result"} for x in logins), logins
    # a decoy changes nothing
    r = s.request("PUT", "/me/password", {"old_password": duress,
                                          "new_password": "x" * 20},
                  token=decoy)
    problem(r, 503, "busy")
    decoy_enrols_nothing(uid, name, pw, duress, decoy, me)
    # the coordinators see it
    r = s.get("/alerts", token=ANY["coord"])
    assert r.status == 200, r
    kinds = [(x["user_id"], x["kind"]) for x in r.json()["alerts"]]
    assert (uid, "duress") in kinds, kinds
    assert s.get("/me", token=ANY["coord"]).json()["alerts"] >= 1
    # the duress entry is in the audit log, beside a session.create
    acts = audit_actions(uid)
    assert "account.duress" in acts and "session.create" in acts, acts
    # nothing is lost: the coordinator still reads the case through the
    # org key (break-glass)
    r = s.get("/cases/" + case, token=ANY["coord"],
              headers={"X-Access-Reason": "duress test"})
    assert r.status == 200 and "marker-" in r.body.decode(), r
    # a second duress login (another device) opens a second decoy and
    # leaves the first one alone: ending it would show the captor that
    # something happened (review L1)
    again = login(name, duress, client="phone")
    assert again.status == 201, again
    assert s.get("/me", token=decoy).status == 200
    sess = s.get("/me/sessions", token=again.json()["token"]).json()
    assert len(sess["sessions"]) == 2, sess


def peek_count(sql):
    s = srv()
    out = subprocess.run([DBPEEK, s.dir, s.passfile, "query", sql],
                         capture_output=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.decode().splitlines()[0])[0]


def decoy_enrols_nothing(uid, name, pw, duress, decoy, me):
    """A decoy session's two-factor enrolment answers as a real one (the
    same statuses and shapes, the duress password as its password, a
    code of the secret it was shown) but stores nothing: the account has
    no TOTP row and no recovery codes after it, and the decoy's GET /me
    shows the enrolment as the session saw it. On the old code the
    enrolment was stored (and the confirmation refused the duress
    password: 403)."""
    s = srv()
    r = s.post("/me/totp", token=decoy)
    assert r.status == 201, r
    b = r.json()
    assert set(b) == {"secret", "otpauth_uri", "qr", "algorithm", "digits",
                      "period"}, b
    assert b["otpauth_uri"].startswith("otpauth://totp/%s?" % name)
    step = int(time.time()) // 30
    # the real password is not the decoy's: refused, as a wrong one is
    problem(s.post("/me/totp/confirm", {"code": totp(b["secret"], step),
                                        "password": pw}, token=decoy),
            403, "wrong-password")
    r = s.post("/me/totp/confirm", {"code": totp(b["secret"], step),
                                     "password": duress}, token=decoy)
    assert r.status == 200, r
    codes = r.json()["recovery_codes"]
    assert set(r.json()) == {"recovery_codes"} and len(set(codes)) == 10
    # confirmed once: a second confirmation is refused, as a real one is
    problem(s.post("/me/totp/confirm", {"code": totp(b["secret"], step + 1),
                                        "password": duress}, token=decoy),
            403, "wrong-code")
    for table in ("totp", "recovery_codes"):
        assert peek_count("SELECT count(*) FROM %s WHERE user_id = '%s'"
                          % (table, uid)) == 0, table
    # the decoy sees the enrolment it made, as a real one would (the
    # account's rows stay as they were: none)
    d = s.get("/me", token=decoy).json()
    assert me["two_factor"]["enabled"] is False
    assert d["two_factor"] == {"enabled": True, "required": False,
                               "recovery_codes_left": 10}, d


def test_panic_self_and_recovery():
    s = srv()
    uid, name, pw, tok, (keep, drop) = new_caseworker(2)
    r = s.post("/me/panic", token=tok)
    assert r.status == 204, r
    problem(s.get("/me", token=tok), 401)
    problem(login(name, pw), 401, "login-failed")
    kinds = [(x["user_id"], x["kind"]) for x in
             s.get("/alerts", token=ANY["coord"]).json()["alerts"]]
    assert (uid, "panic") in kinds, kinds
    # a case unassigned in between is not given back
    r = s.request("DELETE", "/cases/%s/assignments/%s" % (drop, uid),
                  token=ANY["coord"])
    assert r.status in (200, 204), r
    # reset: bad inputs first
    problem(s.post("/users/%s/reset" % uid, {"password": "short"},
                   token=ANY["coord"], headers=WHY), 422)
    problem(s.post("/users/%s/reset" % uid, {"password": "x" * 1025},
                   token=ANY["coord"], headers=WHY), 422)
    problem(s.post("/users/not..an.id/reset", {"password": "x" * 20},
                   token=ANY["coord"], headers=WHY), 404)
    first = s.random_password("reset-")
    # a reset is audited with a reason (L4) and needs a fresh password
    # confirmation (M2): a stolen admin token alone cannot take a caseload
    problem(s.post("/users/%s/reset" % uid, {"password": first},
                   token=ANY["coord"]), 422, "reason-required")
    admin = s.login("admin", s.admin_pw)
    problem(s.post("/users/%s/reset" % uid, {"password": first},
                   token=admin, headers=WHY), 403, "reauth-required")
    s.request("DELETE", "/session", token=admin)
    r = s.post("/users/%s/reset" % uid, {"password": first},
               token=ANY["coord"], headers=WHY)
    assert r.status == 200 and r.json()["enrolled"] is False, r
    # the alert is resolved by the reset
    kinds = [(x["user_id"], x["kind"]) for x in
             s.get("/alerts", token=ANY["coord"]).json()["alerts"]]
    assert (uid, "panic") not in kinds, kinds
    # after the reset the old password opens nothing
    problem(login(name, pw), 401, "login-failed")
    new = s.enrol(name, first)
    tok = s.login(name, new)
    r = s.get("/me/waiting", token=tok)
    assert r.status == 200, r
    assert [c["case_id"] for c in r.json()["cases"]] == [keep], r
    assert s.get("/me", token=tok).json()["cases_waiting"] == 1
    # not yet readable: no key was sealed to the new key pair
    assert s.get("/cases/" + keep, token=tok).status != 200
    waiting = s.get("/alerts", token=ANY["coord"]).json()["waiting"]
    assert [(w["user_id"], w["case_id"]) for w in waiting
            if w["user_id"] == uid] == [(uid, keep)], waiting
    # only a coordinator re-seals, through the org key, to the key pair
    # whose fingerprint the person reads from their own screen (M2)
    fp = s.get("/me", token=tok).json()["pk_fingerprint"]
    assert len(fp) == 35 and fp.replace(" ", "").isdigit(), fp
    body = {"pk_fingerprint": fp}
    problem(s.post("/users/%s/reseal" % uid, body, token=ANY["admin"],
                   headers=WHY), 403)
    problem(s.post("/users/%s/reseal" % uid, body, token=ANY["coord"]), 422,
            "reason-required")
    problem(s.post("/users/%s/reseal" % uid, {}, token=ANY["coord"],
                   headers=WHY), 422)
    problem(s.post("/users/%s/reseal" % uid, {"pk_fingerprint": fp + "0"},
                   token=ANY["coord"], headers=WHY), 422)
    wrong = ("%05d" % ((int(fp[:5]) + 1) % 100000)) + fp[5:]
    problem(s.post("/users/%s/reseal" % uid, {"pk_fingerprint": wrong},
                   token=ANY["coord"], headers=WHY), 409,
            "fingerprint-mismatch")
    assert s.get("/me", token=tok).json()["cases_waiting"] == 1
    r = s.post("/users/%s/reseal" % uid, body, token=ANY["coord"],
               headers=WHY)
    assert r.status == 200 and r.json()["resealed"] == 1, r
    r = s.get("/cases/" + keep, token=tok)
    assert r.status == 200 and "marker-%s-0" % name in r.body.decode(), r
    problem(s.get("/cases/" + drop, token=tok), 404)
    assert s.get("/me/waiting", token=tok).json()["cases"] == []
    coord_id = s.get("/me", token=ANY["coord"]).json()["id"]
    acts = audit_actions(coord_id)
    assert "user.reset" in acts and "user.reseal" in acts, acts


def test_panic_other():
    s = srv()
    uid, name, pw, tok, _ = new_caseworker(0)
    p = "/users/%s/panic" % uid
    problem(s.post(p, token=tok), 403)                  # a caseworker
    problem(s.post(p, token=ANY["coord"]), 422, "reason-required")
    problem(s.post(p, token=ANY["coord"],
                   headers={"X-Access-Reason": "\u0001"}), 400)
    problem(s.post("/users/%s/panic" % ("B" * 22), token=ANY["coord"],
                   headers={"X-Access-Reason": "detained"}), 404)
    r = s.post(p, token=ANY["coord"],
               headers={"X-Access-Reason": "detained at a checkpoint"})
    assert r.status == 200, r
    problem(s.get("/me", token=tok), 401)
    problem(login(name, pw), 401, "login-failed")
    # a coordinator may not panic an admin
    me = s.get("/me", token=ANY["admin"]).json()
    problem(s.post("/users/%s/panic" % me["id"], token=ANY["coord"],
                   headers={"X-Access-Reason": "x"}), 403, "admin-only")


def test_panic_other_without_auditor():
    """With no auditor enrolled the reason could never be read (it is
    sealed to the auditors): the panic still burns the access, and the
    entry is written without the text. Before, the seal failed and the
    panic answered 503, leaving a detained colleague's access open."""
    t = Server()
    try:
        admin = t.admin()
        name = "cw-" + secrets.token_hex(4)
        uid, pw = t.create_user(admin, name, "caseworker")
        tok = t.login(name, pw)
        r = t.post("/users/%s/panic" % uid, token=admin,
                   headers={"X-Access-Reason": "detained at a checkpoint"})
        assert r.status == 200, r
        problem(t.get("/me", token=tok), 401)
        problem(t.post("/session", {"username": name, "password": pw}),
                401, "login-failed")
        aname = "aud-" + secrets.token_hex(3)
        _, apw = t.create_user(admin, aname, "auditor")
        au = t.login(aname, apw)
        r = t.get("/audit?action=account.panic&limit=100", token=au)
        assert r.status == 200, r
        panics = [e for e in r.json()["entries"] if e["object_id"] == uid]
        assert len(panics) == 1, r.json()["entries"]
        assert panics[0]["outcome"] == "allowed", panics
        assert not {"reason", "reason_sealed", "reason_erased"} & set(panics[0]), panics
    finally:
        t.stop()
        t.cleanup()


def totp(secret_b32, step):
    """RFC 6238 (SHA-1, 6 digits), as test_twofactor.py computes it."""
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    v = (struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF) % 10 ** 6
    return "%06d" % v


def test_duress_with_two_factor():
    """The second factor is checked before any duress side effect, the
    same way for both passwords; the decoy's GET /me shows two_factor as
    the account had it; a reset removes the TOTP."""
    s = srv()
    uid, name, pw, tok, _ = new_caseworker(0)
    duress = s.random_password("du-")
    r = s.request("PUT", "/me/duress", {"password": pw,
                                        "duress_password": duress}, token=tok)
    assert r.status == 204, r
    r = s.post("/me/totp", token=tok)
    assert r.status == 201, r
    secret = r.json()["secret"]
    step = int(time.time()) // 30
    r = s.post("/me/totp/confirm", {"code": totp(secret, step),
                                     "password": pw}, token=tok)
    assert r.status == 200, r
    recovery = r.json()["recovery_codes"]
    me = s.get("/me", token=tok).json()
    assert me["two_factor"]["enabled"] is True and me["duress_set"], me

    def with_code(p, code):
        body = {"username": name, "password": p}
        if code is not None:
            body["code"] = code
        return s.post("/session", body)

    # the duress password without the phone, or with a wrong code: the
    # same 401 a wrong code gets with the real password (test_twofactor),
    # and nothing erased. Two failures: a third would start the throttle.
    for code in (None, totp(secret, step - 10)):
        problem(with_code(duress, code), 401, "login-failed")
    assert s.get("/me", token=tok).status == 200
    kinds = [(x["user_id"], x["kind"]) for x in
             s.get("/alerts", token=ANY["coord"]).json()["alerts"]]
    assert (uid, "duress") not in kinds, kinds
    assert "account.duress" not in audit_actions(uid)
    # with the code, the duress password opens the decoy (a recovery code
    # here: a TOTP code of a step already used would be a replay)
    r = with_code(duress, recovery[0])
    assert r.status == 201, r
    decoy = r.json()["token"]
    problem(s.get("/me", token=tok), 401)
    d = s.get("/me", token=decoy).json()
    assert set(d) == set(me), (d, me)
    assert d["two_factor"]["enabled"] is True, d
    assert d["two_factor"]["recovery_codes_left"] == len(recovery) - 1, d
    assert d["duress_set"] is False
    assert "account.duress" in audit_actions(uid)
    # the decoy cannot enrol again (409, as the account would answer) nor
    # replace the account's recovery codes: it is answered ten codes,
    # stored nowhere
    problem(s.post("/me/totp", token=decoy), 409, "already-enrolled")
    r = s.post("/me/totp/recovery-codes", {
        "password": duress, "code": totp(secret, int(time.time()) // 30 + 1)},
        token=decoy)
    assert r.status == 200 and len(r.json()["recovery_codes"]) == 10, r
    d = s.get("/me", token=decoy).json()
    assert d["two_factor"]["recovery_codes_left"] == len(recovery) - 1, d
    # the real password with a good code opens nothing any more
    problem(with_code(pw, recovery[1]), 401, "login-failed")
    # a reset removes the two-factor login with the key pair
    first = s.random_password("reset-")
    r = s.post("/users/%s/reset" % uid, {"password": first},
               token=ANY["coord"], headers=WHY)
    assert r.status == 200, r
    new = s.enrol(name, first)
    r = with_code(new, None)
    assert r.status == 201, r
    d = s.get("/me", token=r.json()["token"]).json()
    assert d["two_factor"]["enabled"] is False, d
    assert d["two_factor"]["recovery_codes_left"] == 0, d


# --- the security review of the first duress branch (issue 14) ---------------


def test_decoy_lookup_learns_nothing():
    """H1: POST /cases/lookup in a decoy session answers no match (the
    same shape, the same rate-limit token spent), where the account's
    real session finds the case and whom to ask."""
    s = srv()
    _, _, _, tok_a, _ = new_caseworker(0)
    phone = "+7 928 %03d %02d %02d" % (secrets.randbelow(1000),
                                       secrets.randbelow(100),
                                       secrets.randbelow(100))
    r = s.post("/cases", {"risk": "high", "region": "Chechnya",
                          "household_size": 1,
                          "person": {"name": "Lookup Target",
                                     "phone": phone}, "notes": "n"},
               token=tok_a)
    assert r.status == 201, r
    codename = r.json()["codename"]
    _, name, pw, tok, _ = new_caseworker(0)
    r = s.post("/cases/lookup", {"phone": phone}, token=tok)
    assert r.status == 200 and r.json()["match"] is True, r
    assert [m["codename"] for m in r.json()["matches"]] == [codename], r
    duress = set_duress(tok, pw)
    forced = login(name, duress)
    assert forced.status == 201, forced
    decoy = forced.json()["token"]
    r = s.post("/cases/lookup", {"phone": phone}, token=decoy)
    assert r.status == 200, r
    assert r.json() == {"match": False, "matches": [], "more": False}, r
    r = s.post("/cases/lookup", {"name": "Lookup Target"}, token=decoy)
    assert r.json() == {"match": False, "matches": [], "more": False}, r
    # bad input is still refused as it would be for anyone
    problem(s.post("/cases/lookup", {"phone": "12"}, token=decoy), 422)
    problem(s.post("/cases/lookup", {"phone": phone, "x": 1}, token=decoy),
            422)
    # the other routes a decoy reaches show nothing either
    r = s.get("/cases", token=decoy)
    assert r.status == 200 and r.json()["cases"] == [], r
    problem(s.get("/users", token=decoy), 403)
    problem(s.get("/alerts", token=decoy), 403)


def test_erase_drops_wraps_and_wal():
    """H3: a panic or a duress login deletes every case wrap to the old
    public key (it could be opened from a copy of the database made
    before, with the password), marks the keys for rotation, keeps the
    assignments, and the WAL no longer holds the old pages: at once after
    a panic, soon after a duress login."""
    s = srv()
    for how in ("panic", "duress"):
        uid, name, pw, tok, (case,) = new_caseworker(1)
        assert query("SELECT count(*) FROM case_keys WHERE recipient_id = "
                     "'%s'" % uid) == [[1]]
        if how == "panic":
            assert wal_size() > 0
            assert s.post("/me/panic", token=tok).status == 204
            assert wal_size() == 0, how
        else:
            duress = set_duress(tok, pw)
            assert login(name, duress).status == 201
            assert wal_empty_soon(), how
        assert query("SELECT count(*) FROM case_keys WHERE recipient_id = "
                     "'%s'" % uid) == [[0]], how
        assert query("SELECT rotate_pending FROM cases WHERE id = '%s'"
                     % case) == [[1]], how
        assert query("SELECT count(*) FROM assignments WHERE user_id = '%s'"
                     % uid) == [[1]], how
        # the case is still readable through the org key, which rotates it
        r = s.get("/cases/" + case, token=ANY["coord"],
                  headers={"X-Access-Reason": "erase test"})
        assert r.status == 200 and "marker-" in r.body.decode(), r


def new_coordinator():
    """A confirmed coordinator (their own key pair, an org grant). Returns
    (id, name, password, token)."""
    s = srv()
    name = "co-" + secrets.token_hex(4)
    uid, pw = s.create_user(ANY["admin"], name, "coordinator")
    r = s.post("/users/%s/confirm" % uid, token=ANY["coord"])
    assert r.status in (200, 204), r
    return uid, name, pw, s.login(name, pw)


def test_last_org_key_holder():
    """H4: the last usable org-key holder cannot be panicked (by an admin
    or themself) nor set a duress password; an erased coordinator's grant
    is deleted and no longer counts, so the remaining one is the last."""
    s = srv()
    coord_id = s.get("/me", token=ANY["coord"]).json()["id"]
    # while ANY["coord"] is the only holder
    assert query("SELECT count(*) FROM org_grants") == [[1]]
    why = {"X-Access-Reason": "holder test"}
    problem(s.post("/users/%s/panic" % coord_id, token=ANY["admin"],
                   headers=why), 409, "last-coordinator")
    problem(s.post("/me/panic", token=ANY["coord"]), 409, "last-coordinator")
    r = s.request("PUT", "/me/duress", {"password": s.coord_pw,
                                        "duress_password":
                                        s.random_password("du-")},
                  token=ANY["coord"])
    problem(r, 409, "last-coordinator")
    assert "duress" in r.json()["detail"]
    # a second holder: now either may be panicked, not both
    uid2, _, _, _ = new_coordinator()
    r = s.post("/users/%s/panic" % uid2, token=ANY["admin"], headers=why)
    assert r.status == 200, r
    assert query("SELECT count(*) FROM org_grants WHERE user_id = '%s'"
                 % uid2) == [[0]]
    problem(s.post("/users/%s/panic" % coord_id, token=ANY["admin"],
                   headers=why), 409, "last-coordinator")
    admin = s.login("admin", s.admin_pw)
    s.confirm(admin, s.admin_pw)
    problem(s.post("/users/%s/reset" % coord_id,
                   {"password": s.random_password("reset-")},
                   token=admin, headers=why), 409, "last-coordinator")
    s.request("DELETE", "/session", token=admin)
    problem(s.post("/users/%s/revoke" % coord_id, token=ANY["admin"]), 409,
            "last-coordinator")
    assert s.get("/me", token=ANY["coord"]).status == 200


def test_password_change_after_concurrent_panic():
    """M1: a password change reads the account before its Argon2 run; a
    panic landing during that run must not be undone by the new key pair
    (the old code stored it, and the new password logged in again)."""
    s = srv()
    uid, name, pw, tok, _ = new_caseworker(0)
    new = s.random_password("pw-")
    out = {}

    def change():
        out["r"] = s.request("PUT", "/me/password", {"old_password": pw,
                                                     "new_password": new},
                             token=tok)

    t = threading.Thread(target=change)
    t.start()
    time.sleep(0.05)
    r = s.post("/users/%s/panic" % uid, token=ANY["coord"],
               headers={"X-Access-Reason": "race test"})
    assert r.status == 200, r
    t.join()
    # the change ran into the panic (409), or the panic ended its session
    # first (401): never a stored key pair
    assert out["r"].status in (401, 409), out["r"]
    problem(login(name, new), 401, "login-failed")
    problem(login(name, pw), 401, "login-failed")


def test_coordinator_decoy():
    """M5: a coordinator's decoy shows no alerts (GET /me alerts 0, GET
    /alerts empty, not 403), while the real coordinators see the duress
    login; with two usable holders a coordinator may set a duress
    password, and their grant goes with the erased key."""
    s = srv()
    uid, name, pw, tok = new_coordinator()
    duress = set_duress(tok, pw)
    r = login(name, duress)
    assert r.status == 201, r
    decoy = r.json()["token"]
    me = s.get("/me", token=decoy).json()
    assert me["role"] == "coordinator" and me["alerts"] == 0, me
    r = s.get("/alerts", token=decoy)
    assert r.status == 200 and r.json() == {"alerts": [], "waiting": []}, r
    problem(s.get("/users", token=decoy), 403)
    kinds = [(x["user_id"], x["kind"]) for x in
             s.get("/alerts", token=ANY["coord"]).json()["alerts"]]
    assert (uid, "duress") in kinds, kinds
    assert s.get("/me", token=ANY["coord"]).json()["alerts"] >= 1
    assert query("SELECT count(*) FROM org_grants WHERE user_id = '%s'"
                 % uid) == [[0]]


def test_reset_after_concurrent_revoke():
    """M1: a reset reads the account before its Argon2 run; an admin's
    revocation landing during that run must stand (the old code stored
    the stale status and so un-revoked the account)."""
    s = srv()
    uid, _, _, _, _ = new_caseworker(0)
    out = {}

    def reset():
        out["r"] = s.post("/users/%s/reset" % uid,
                          {"password": s.random_password("reset-")},
                          token=ANY["coord"], headers=WHY)

    t = threading.Thread(target=reset)
    t.start()
    time.sleep(0.05)
    r = s.post("/users/%s/revoke" % uid, token=ANY["admin"])
    assert r.status == 200, r
    t.join()
    assert out["r"].status in (200, 409), out["r"]
    users = s.get("/users", token=ANY["admin"]).json()["users"]
    assert [u["status"] for u in users if u["id"] == uid] == ["revoked"]


def test_decoy_enrols_under_policy():
    """Review H2: with the policy on, enrolment is the only screen a decoy
    of an account without two-factor login reaches; it completes it as a
    real session would (the duress password, a code of the secret it was
    shown), then reaches the rest (an empty case list), and the account's
    two-factor rows stay as they were (none). On the old code the
    confirmation answered 403 wrong-password and the decoy stayed stuck."""
    s = srv()
    uid, name, pw, tok, _ = new_caseworker(0)
    duress = s.random_password("du-")
    r = s.request("PUT", "/me/duress", {"password": pw,
                                        "duress_password": duress}, token=tok)
    assert r.status == 204, r
    coord = ANY["coord"]
    # the coordinator needs two-factor login of their own to switch it on
    r = s.post("/me/totp", token=coord)
    assert r.status == 201, r
    r = s.post("/me/totp/confirm", {
        "code": totp(r.json()["secret"], int(time.time()) // 30),
        "password": s.coord_pw}, token=coord)
    assert r.status == 200, r
    s.confirm(coord, s.coord_pw)
    r = s.request("PUT", "/settings/two-factor", {"required": True},
                  token=coord)
    assert r.status == 200, r
    try:
        r = login(name, duress)
        assert r.status == 201, r
        decoy = r.json()["token"]
        problem(s.get("/cases", token=decoy), 403, "two-factor-required")
        me = s.get("/me", token=decoy).json()
        assert me["two_factor"] == {"enabled": False, "required": True,
                                    "recovery_codes_left": 0}, me
        r = s.post("/me/totp", token=decoy)
        assert r.status == 201, r
        r = s.post("/me/totp/confirm", {
            "code": totp(r.json()["secret"], int(time.time()) // 30),
            "password": duress}, token=decoy)
        assert r.status == 200 and len(r.json()["recovery_codes"]) == 10, r
        r = s.get("/cases", token=decoy)
        assert r.status == 200 and r.json()["cases"] == [], r
        assert s.get("/me", token=decoy).json()["two_factor"]["enabled"]
        for table in ("totp", "recovery_codes"):
            assert peek_count("SELECT count(*) FROM %s WHERE user_id = '%s'"
                              % (table, uid)) == 0, table
    finally:
        r = s.request("PUT", "/settings/two-factor", {"required": False},
                      token=coord)
        assert r.status == 200, r


if __name__ == "__main__":
    try:
        run([test_sessions_and_logins, test_duress_login,
             test_panic_self_and_recovery, test_panic_other,
             test_panic_other_without_auditor,
             test_duress_with_two_factor, test_decoy_lookup_learns_nothing,
             test_erase_drops_wraps_and_wal, test_last_org_key_holder,
             test_password_change_after_concurrent_panic,
             test_coordinator_decoy, test_reset_after_concurrent_revoke,
             test_decoy_enrols_under_policy])
    finally:
        if S is not None:
            S.stop()
            S.cleanup()
