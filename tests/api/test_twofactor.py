# SPDX-License-Identifier: AGPL-3.0-or-later
"""Two-factor login (issue 14): TOTP enrolment from one's own session
(secret, otpauth:// URI, QR code), proof by code, login with a code or a
recovery code, one step of skew, replay refused, the same 401 whichever
factor was wrong, failures throttled with the password's, recovery codes
used once, the coordinator's policy and the forced enrolment it brings.

One server for the file; codes are computed here with hmac/sha1 from the
secret the enrolment answered, at a chosen time step, so no test sleeps."""
import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import Server, problem, run  # noqa: E402

DBPEEK = os.environ.get("CORRIDOR_DBPEEK", "build/tests/api/dbpeek")
S = None


def srv():
    global S
    if S is None:
        S = Server()
    return S


def totp(secret_b32, step, digits=6):
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    code = (struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF) % 10 ** digits
    return "%0*d" % (digits, code)


def now_step():
    return int(time.time()) // 30


def login_raw(s, username, password, code=None):
    body = {"username": username, "password": password}
    if code is not None:
        body["code"] = code
    return s.post("/session", body)


def peek(s, *args):
    out = subprocess.run([DBPEEK, s.dir, s.passfile] + list(args),
                         capture_output=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.decode()


def audit_actions(s):
    return [json.loads(l) for l in peek(s, "audit").splitlines() if l]


def new_user(role="caseworker"):
    s = srv()
    name = "tf-" + secrets.token_hex(4)
    uid, pw = s.create_user(s.admin(), name, role)
    return name, uid, pw


def enrol(s, tok, pw):
    """Begin and prove an enrolment (a code and the password); returns
    (secret, recovery codes, the step the proof used)."""
    r = s.post("/me/totp", token=tok)
    assert r.status == 201, r
    secret = r.json()["secret"]
    step = now_step()
    r = s.post("/me/totp/confirm", {"code": totp(secret, step),
                                     "password": pw}, token=tok)
    assert r.status == 200, r
    return secret, r.json()["recovery_codes"], step


def test_enrolment():
    s = srv()
    name, uid, pw = new_user()
    tok = s.login(name, pw)
    me = s.get("/me", token=tok).json()
    assert me["two_factor"] == {"enabled": False, "required": False,
                                "recovery_codes_left": 0}, me
    # proving a code before any enrolment began
    problem(s.post("/me/totp/confirm", {"code": "123456", "password": pw},
                   token=tok), 403, "wrong-code")
    r = s.post("/me/totp", token=tok)
    assert r.status == 201, r
    b = r.json()
    assert set(b) == {"secret", "otpauth_uri", "qr", "algorithm", "digits",
                      "period"}, b
    assert (b["algorithm"], b["digits"], b["period"]) == ("SHA1", 6, 30)
    assert re.fullmatch(r"[A-Z2-7]{32}", b["secret"]), b["secret"]
    assert b["otpauth_uri"] == ("otpauth://totp/%s?secret=%s&algorithm=SHA1"
                                "&digits=6&period=30" % (name, b["secret"]))
    assert r.header("Cache-Control") == "no-store"
    # the QR code: an SVG image in a data: URI, nothing that could run
    assert b["qr"].startswith("data:image/svg+xml;base64,")
    svg = base64.b64decode(b["qr"].split(",", 1)[1]).decode()
    assert svg.startswith("<svg ") and "<path" in svg and "script" not in svg
    # a restarted enrolment replaces the secret: the old one's codes fail
    old = b["secret"]
    b = s.post("/me/totp", token=tok).json()
    assert b["secret"] != old
    problem(s.post("/me/totp/confirm", {"code": totp(old, now_step()),
                                        "password": pw},
                   token=tok), 403, "wrong-code")
    # the secret is stored encrypted: neither form is in the database
    dump = peek(s, "dump").lower()
    raw = base64.b32decode(b["secret"])
    assert raw.hex() not in dump and b["secret"].lower() not in dump
    assert b["secret"].encode().hex() not in dump
    me = s.get("/me", token=tok).json()
    assert me["two_factor"]["enabled"] is False, me   # not proven yet
    # a stolen token alone cannot enrol: the password is needed too, and
    # a wrong one completes nothing (issue 14 review M2)
    good = totp(b["secret"], now_step())
    problem(s.post("/me/totp/confirm", {"code": good}, token=tok), 422,
            "invalid-body")
    problem(s.post("/me/totp/confirm", {"code": good,
                                        "password": pw + "x"},
                   token=tok), 403, "wrong-password")
    assert s.get("/me", token=tok).json()["two_factor"]["enabled"] is False
    # a second session of the user, which gave no code
    other = s.login(name, pw)
    r = s.post("/me/totp/confirm", {"code": good, "password": pw},
               token=tok)
    assert r.status == 200, r
    codes = r.json()["recovery_codes"]
    assert len(codes) == 10 and len(set(codes)) == 10, codes
    for c in codes:
        assert re.fullmatch(r"[a-z2-7]{4}(-[a-z2-7]{4}){3}", c), c
        # stored only as keyed hashes
        assert c.replace("-", "").encode().hex() not in dump
    dump = peek(s, "dump").lower()
    for c in codes:
        assert c.replace("-", "").encode().hex() not in dump
        assert c.encode().hex() not in dump
    me = s.get("/me", token=tok).json()
    assert me["two_factor"] == {"enabled": True, "required": False,
                                "recovery_codes_left": 10}, me
    # the enrolment ended the user's other session (review H1)
    problem(s.get("/me", token=other), 401, "unauthenticated")
    # enrolled once: no second enrolment, no second proof
    problem(s.post("/me/totp", token=tok), 409, "already-enrolled")
    problem(s.post("/me/totp/confirm", {"code": totp(b["secret"],
                                                       now_step() + 1),
                                        "password": pw},
                   token=tok), 403, "wrong-code")
    acts = [(e["action"], e["outcome"], e.get("object_id"))
            for e in audit_actions(s)]
    assert ("user.totp.begin", "allowed", uid) in acts
    assert ("user.totp.enrol", "allowed", uid) in acts
    assert ("user.totp.enrol", "denied", uid) in acts


def test_login_needs_code_and_refuses_replay():
    """The replay check fails if last_step is not stored: the same code
    would open a second session. At most THROTTLE_FREE_FAILURES (3)
    failures come before each success, so the throttle stays out of it.
    Each login's entry says which factor it proved (review L2)."""
    s = srv()
    name, uid, pw = new_user()
    tok = s.login(name, pw)
    secret, codes, step = enrol(s, tok, pw)
    wrong_pw = login_raw(s, name, pw + "x", totp(secret, step + 1))
    no_code = login_raw(s, name, pw)
    bad_code = login_raw(s, name, pw, "%06d" % ((int(totp(secret, step + 1))
                                                 + 1) % 10 ** 6))
    # the same 401, body and all, whichever factor was wrong or missing
    bodies = set()
    for r in (wrong_pw, no_code, bad_code):
        problem(r, 401, "login-failed")
        bodies.add(r.body)
    assert len(bodies) == 1, bodies
    assert login_raw(s, name, pw, codes[0]).status == 201
    # the enrolment's own code (its step) cannot log in: already used
    problem(login_raw(s, name, pw, totp(secret, step)), 401, "login-failed")
    # one step ahead of now (computed at sending: a slow login, under a
    # sanitizer, may have let the clock move since the enrolment): inside
    # the skew, and newer than the last used
    good = now_step() + 1
    r = login_raw(s, name, pw, totp(secret, good))
    assert r.status == 201, r
    tok2 = r.json()["token"]
    assert s.get("/me", token=tok2).json()["two_factor"]["enabled"] is True
    # replayed: refused, and so is the step before it
    problem(login_raw(s, name, pw, totp(secret, good)), 401, "login-failed")
    problem(login_raw(s, name, pw, totp(secret, good - 1)), 401,
            "login-failed")
    # far ahead is outside the skew (+4: even a login that takes a
    # minute and a half to be checked stays outside +-1)
    problem(login_raw(s, name, pw, totp(secret, now_step() + 4)), 401,
            "login-failed")
    # the allowed session.create entries' extra, the entry's last bytes
    # (u16 length, then 0x46 and the factor; docs/audit.md 2.5): none
    # before two-factor login, then the recovery code, then the TOTP code
    tails = [json.loads(l)[0] for l in peek(
        s, "query", "SELECT substr(hex(entry), -8) FROM audit_log WHERE"
        " action = 1 AND outcome = 1 AND object_id = '%s' ORDER BY seq"
        % uid).splitlines() if l]
    assert tails[-2:] == ["00024602", "00024601"], tails
    assert all(t.endswith("0000") for t in tails[:-2]), tails


def test_recovery_codes_are_single_use():
    s = srv()
    name, uid, pw = new_user()
    tok = s.login(name, pw)
    _, codes, _ = enrol(s, tok, pw)
    r = login_raw(s, name, pw, codes[0])
    assert r.status == 201, r
    # used: gone
    problem(login_raw(s, name, pw, codes[0]), 401, "login-failed")
    # typed in capitals with spaces: the same code
    r = login_raw(s, name, pw, codes[1].upper().replace("-", " "))
    assert r.status == 201, r
    tok = r.json()["token"]
    assert s.get("/me", token=tok).json()["two_factor"][
        "recovery_codes_left"] == 8
    # another user's recovery code does not open this account
    other, _, opw = new_user()
    otok = s.login(other, opw)
    _, ocodes, _ = enrol(s, otok, opw)
    problem(login_raw(s, name, pw, ocodes[0]), 401, "login-failed")
    # and with a wrong password, a good code is not used up
    problem(login_raw(s, name, pw + "x", codes[2]), 401, "login-failed")
    assert login_raw(s, name, pw, codes[2]).status == 201


def test_code_failures_are_throttled_with_passwords():
    """Wrong codes with the right password count as failed logins: past
    THROTTLE_FREE_FAILURES the account waits 2, 4, 8... seconds, and a
    login is refused (429) while it waits, even with the right code. If
    code failures did not count, no 429 would ever come."""
    s = srv()
    name, _, pw = new_user()
    tok = s.login(name, pw)
    secret, _, step = enrol(s, tok, pw)
    good = totp(secret, step + 1)
    bad = "%06d" % ((int(good) + 1) % 10 ** 6)
    statuses = []
    for _ in range(8):
        r = login_raw(s, name, pw, bad)
        statuses.append(r.status)
        if r.status == 429:
            break
        problem(r, 401, "login-failed")
    assert statuses[:3] == [401, 401, 401] and statuses[-1] == 429, statuses
    r = login_raw(s, name, pw, good)
    problem(r, 429, "throttled")
    assert int(r.header("Retry-After")) >= 1


def test_bad_codes():
    s = srv()
    name, _, pw = new_user()
    tok = s.login(name, pw)
    for code in ("12345", "1234567", "12a456", "", " 123456", "x" * 65,
                 "abcd-efgh-ijkl-mno1", "٠١٢٣٤٥"):
        problem(login_raw(s, "admin", s.admin_pw, code), 422, "invalid-body")
    problem(s.post("/session", {"username": name, "password": pw,
                                "code": 123456}), 422, "invalid-body")
    s.post("/me/totp", token=tok)
    for body in ({"code": "12345"}, {"code": "1234567"}, {"code": 123456},
                 {}, {"code": "123456", "extra": 1}, {"code": "123456"},
                 {"code": "123456", "password": ""},
                 {"code": "123456", "password": 1},
                 {"code": "abcd-efgh-ijkl-mnop"}, {"code": "1" * 100000}):
        r = s.post("/me/totp/confirm", body, token=tok)
        assert r.status in (400, 413, 422), (body, r)
    problem(s.request("POST", "/me/totp/confirm", raw=b'{"code":',
                      token=tok), 400, "malformed-json")
    problem(s.post("/me/totp", {"x": 1}, token=tok), 400, "unexpected-body")
    # a forged token
    problem(s.post("/me/totp", token="A" * 86), 401, "unauthenticated")
    problem(s.post("/me/totp/confirm", {"code": "123456", "password": pw},
                   token="A" * 86),
            401, "unauthenticated")
    assert s.healthy()


def test_policy_forces_enrolment():
    s = srv()
    # a caseworker and an admin may not set the policy
    name, _, pw = new_user()
    cw = s.login(name, pw)
    problem(s.request("PUT", "/settings/two-factor", {"required": True},
                      token=cw), 403, "forbidden")
    problem(s.request("PUT", "/settings/two-factor", {"required": True},
                      token=s.admin()), 403, "forbidden")
    # a coordinator without two-factor login of their own may not lock
    # everyone else out
    coord = s.coord()
    # made before the policy: an admin without two-factor login is
    # limited too, once it is on
    first_name = "tf-" + secrets.token_hex(4)
    _, first = s.create_user(s.admin(), first_name, "caseworker",
                             enrol=False)
    problem(s.request("PUT", "/settings/two-factor", {"required": True},
                      token=coord), 409, "two-factor-not-enrolled")
    for body in ({"required": "yes"}, {}, {"required": True, "x": 1},
                 {"required": 1}):
        problem(s.request("PUT", "/settings/two-factor", body, token=coord),
                422, "invalid-body")
    # a coordinator token without a fresh password confirmation may not
    # switch the policy either way (review M3)
    raw = login_raw(s, "coord", s.coord_pw).json()["token"]
    for on in (True, False):
        problem(s.request("PUT", "/settings/two-factor", {"required": on},
                          token=raw), 403, "reauth-required")
    enrol(s, coord, s.coord_pw)
    r = s.request("PUT", "/settings/two-factor", {"required": True},
                  token=coord)
    assert r.status == 200 and r.json() == {"required": True}, r
    try:
        # the caseworker's live session is limited at once
        problem(s.get("/cases", token=cw), 403, "two-factor-required")
        me = s.get("/me", token=cw)
        assert me.status == 200 and me.json()["two_factor"] == {
            "enabled": False, "required": True, "recovery_codes_left": 0}
        # a new login too, until a code is proven
        tok = login_raw(s, name, pw).json()["token"]
        problem(s.get("/cases", token=tok), 403, "two-factor-required")
        problem(s.post("/cases", {"risk": "high"}, token=tok), 403,
                "two-factor-required")
        secret, _, _ = enrol(s, tok, pw)
        assert s.get("/cases", token=tok).status == 200
        # ... but only the session that proved the code: the user's other
        # session never gave one, and the enrolment ended it
        assert s.get("/cases", token=cw).status == 401
        assert s.get("/me", token=cw).status == 401
        # the coordinator's own session was never limited
        assert s.get("/cases", token=coord).status == 200
        # an unenrolled user replaces the first password first, then
        # sets up two-factor login
        ftok = login_raw(s, first_name, first).json()["token"]
        problem(s.post("/me/totp", token=ftok), 403, "enrolment-required")
        newpw = s.random_password("pw-")
        assert s.request("PUT", "/me/password", {"old_password": first,
                                                 "new_password": newpw},
                         token=ftok).status == 204
        problem(s.get("/cases", token=ftok), 403, "two-factor-required")
        enrol(s, ftok, newpw)
        assert s.get("/cases", token=ftok).status == 200
        # the admin is limited too; logout works while limited
        atok = s.admin()
        problem(s.get("/users", token=atok), 403, "two-factor-required")
        assert s.request("DELETE", "/session", token=atok).status == 204
    finally:
        r = s.request("PUT", "/settings/two-factor", {"required": False},
                      token=coord)
        assert r.status == 200 and r.json() == {"required": False}, r
    acts = [(e["action"], e["outcome"]) for e in audit_actions(s)]
    assert ("policy.two_factor", "allowed") in acts
    assert ("policy.two_factor", "denied") in acts
    # which way each switch went is in its entry (review M3)
    import auditlib
    atok, _ = auditlib.auditor(s)
    policy = [e.get("two_factor_required") for e in
              auditlib.all_entries(s, atok, action="policy.two_factor")
              if e["outcome"] == "allowed"]
    assert policy == [True, False], policy
    # a restart keeps the policy (stored) and the enrolments (keys kept)
    r = s.request("PUT", "/settings/two-factor", {"required": True},
                  token=coord)
    assert r.status == 200
    # a clean exit (no leak under ASan, the keys wiped)
    assert s.stop() == 0
    s.start()
    r = login_raw(s, name, pw, totp(secret, now_step() + 1))
    assert r.status == 201, r
    assert s.get("/me", token=r.json()["token"]).json()["two_factor"] == {
        "enabled": True, "required": True, "recovery_codes_left": 10}
    assert s.get("/cases", token=r.json()["token"]).status == 200
    atok = s.admin()
    problem(s.get("/users", token=atok), 403, "two-factor-required")


def wrong_code(secret):
    """A well-formed code that is none of the steps around now."""
    near = {totp(secret, now_step() + d) for d in range(-3, 4)}
    while True:
        c = "%06d" % secrets.randbelow(10 ** 6)
        if c not in near:
            return c


def factor_rows(s, uid):
    """(last_step, confirmed, recovery codes left) as stored."""
    out = peek(s, "query", "SELECT t.last_step, t.confirmed, (SELECT count(*)"
               " FROM recovery_codes c WHERE c.user_id = t.user_id) FROM totp t"
               " WHERE t.user_id = '%s'" % uid)
    return json.loads(out.splitlines()[0])


def test_wrong_code_writes_nothing():
    """Review L1: the right password with a wrong code (or a wrong
    recovery code) changes no row, as a wrong password does not: the
    check only reads, and the write (using the step up) comes only with a
    matching code. No timing is asserted."""
    s = srv()
    name, uid, pw = new_user()
    tok = s.login(name, pw)
    secret, codes, step = enrol(s, tok, pw)
    before = factor_rows(s, uid)
    assert before == [step, 1, 10], before
    problem(login_raw(s, name, pw, wrong_code(secret)), 401, "login-failed")
    problem(login_raw(s, name, pw, "aaaa-bbbb-cccc-dddd"), 401,
            "login-failed")
    problem(login_raw(s, name, pw + "x", codes[0]), 401, "login-failed")
    assert factor_rows(s, uid) == before
    # a right one does write: its step, or its recovery code, is used up
    assert login_raw(s, name, pw, codes[0]).status == 201
    assert factor_rows(s, uid) == [step, 1, 9]


def test_lockout():
    """Review M1: after TWOFACTOR_LOCKOUT_FAILURES (10) wrong codes in a
    row following the right password, the account takes no login, even
    with the right code (the same 401, nothing erased), until a reset;
    coordinators see an alert, and account.lockout is audited. On the old
    code the login with the right code after the ten succeeded.

    The login throttle would make the 4th try wait 2 s, the 5th 4 s...:
    every three tries, a right password given from the user's session (PUT
    /me/duress) ends the throttle's backoff, which is not the lockout's
    run: only a right code ends that."""
    s = srv()
    name, uid, pw = new_user()
    tok = s.login(name, pw)
    secret, codes, _ = enrol(s, tok, pw)
    duress = s.random_password("du-")
    bodies = set()
    coord = s.coord()

    def lockout_alerts():
        r = s.get("/alerts", token=coord)
        assert r.status == 200, r
        return [a for a in r.json()["alerts"]
                if (a["user_id"], a["kind"]) == (uid, "lockout")]

    for i in range(10):
        if i % 3 == 0:
            r = s.request("PUT", "/me/duress", {"password": pw,
                                                "duress_password": duress},
                          token=tok)
            assert r.status == 204, r
        if i == 9:
            assert lockout_alerts() == []      # nine do not lock
        # wrong TOTP codes and wrong recovery codes both count
        code = wrong_code(secret) if i % 2 else (
            "zzzz-zzzz-zzzz-zzz" + "234567"[i % 6])
        r = login_raw(s, name, pw, code)
        problem(r, 401, "login-failed")
        bodies.add(r.body)
    # locked: the right password with the right code, the duress password
    # with the right code: the same 401 as any failure (two: a third
    # failure would start the throttle's backoff for the login below)
    for p, c in ((pw, totp(secret, now_step() + 1)),
                 (duress, codes[0])):
        r = login_raw(s, name, p, c)
        problem(r, 401, "login-failed")
        bodies.add(r.body)
    assert len(bodies) == 1, bodies
    # not erased: the session the person already had works; the duress
    # password (refused, locked) erased nothing
    me = s.get("/me", token=tok)
    assert me.status == 200 and me.json()["two_factor"][
        "recovery_codes_left"] == 10, me
    assert peek(s, "query", "SELECT count(*) FROM account_erased WHERE"
                " user_id = '%s'" % uid).strip() == "[0]"
    # coordinators see it, once; the log has one account.lockout
    alerts = lockout_alerts()
    assert len(alerts) == 1 and alerts[0]["username"] == name, alerts
    assert s.get("/me", token=coord).json()["alerts"] >= 1
    acts = [(e["action"], e["outcome"]) for e in audit_actions(s)
            if e.get("object_id") == uid]
    assert acts.count(("account.lockout", "allowed")) == 1, acts
    assert ("account.duress", "allowed") not in acts, acts
    # a reset (new first password, two-factor login removed) lifts it
    # (a reset needs a reason and a fresh password confirmation)
    first = s.random_password("reset-")
    admin = s.admin()
    s.confirm(admin, s.admin_pw)
    r = s.post("/users/%s/reset" % uid, {"password": first}, token=admin,
               headers={"X-Access-Reason": "locked out, phone lost"})
    assert r.status == 200, r
    assert lockout_alerts() == []
    new = s.enrol(name, first)
    r = login_raw(s, name, new)
    assert r.status == 201, r


def test_recovery_codes_renewed_and_marked():
    """Review L2: POST /me/totp/recovery-codes needs the current password
    and a current TOTP code, answers ten new codes once and voids the old;
    a login's audit entry says whether a TOTP code or a recovery code was
    used. Review M3: policy.two_factor says which way it was switched."""
    import auditlib
    s = srv()
    name, uid, pw = new_user()
    tok = s.login(name, pw)
    # not set up: nothing to renew
    problem(s.post("/me/totp/recovery-codes", {"password": pw,
                                               "code": "123456"},
                   token=tok), 409, "not-enrolled")
    secret, old, step = enrol(s, tok, pw)
    r = login_raw(s, name, pw, old[0])
    assert r.status == 201, r
    tok = r.json()["token"]
    good = totp(secret, now_step() + 1)
    problem(s.post("/me/totp/recovery-codes", {"password": pw + "x",
                                               "code": good}, token=tok),
            403, "wrong-password")
    problem(s.post("/me/totp/recovery-codes", {"password": pw,
                                               "code": wrong_code(secret)},
                   token=tok), 403, "wrong-code")
    # a recovery code does not make more of them
    problem(s.post("/me/totp/recovery-codes", {"password": pw,
                                               "code": old[1]}, token=tok),
            422, "invalid-body")
    # the enrolment's code, already used: a replay
    problem(s.post("/me/totp/recovery-codes", {"password": pw,
                                               "code": totp(secret, step)},
                   token=tok), 403, "wrong-code")
    r = s.post("/me/totp/recovery-codes", {"password": pw, "code": good},
               token=tok)
    assert r.status == 200, r
    assert r.header("Cache-Control") == "no-store"
    new = r.json()["recovery_codes"]
    assert set(r.json()) == {"recovery_codes"}
    assert len(new) == 10 and len(set(new)) == 10 and not set(new) & set(old)
    assert s.get("/me", token=tok).json()["two_factor"][
        "recovery_codes_left"] == 10
    # the same code again: used up
    problem(s.post("/me/totp/recovery-codes", {"password": pw, "code": good},
                   token=tok), 403, "wrong-code")
    # the old codes are void, the new ones work
    problem(login_raw(s, name, pw, old[2]), 401, "login-failed")
    assert login_raw(s, name, pw, new[0]).status == 201
    # malformed bodies, a forged token
    for body in ({}, {"password": pw}, {"code": good},
                 {"password": pw, "code": good, "x": 1},
                 {"password": 1, "code": good}, {"password": pw, "code": 1}):
        problem(s.post("/me/totp/recovery-codes", body, token=tok), 422,
                "invalid-body")
    problem(s.request("POST", "/me/totp/recovery-codes", raw=b'{"code":',
                      token=tok), 400, "malformed-json")
    problem(s.post("/me/totp/recovery-codes", {"password": pw, "code": good},
                   token="A" * 86), 401, "unauthenticated")
    # the audit log: each login's factor, and the renewal
    atok, _ = auditlib.auditor(s)
    entries = auditlib.all_entries(s, atok)
    logins = [e.get("second_factor") for e in entries
              if e["action"] == "session.create" and e["object_id"] == uid
              and e["outcome"] == "allowed"]
    # (the first ones, the enrolment's and the test's, before two-factor;
    # a TOTP code's marker: test_login_needs_code_and_refuses_replay)
    assert logins[-2:] == ["recovery_code", "recovery_code"] and \
        set(logins[:-2]) == {None}, logins
    renew = [e["outcome"] for e in entries
             if e["action"] == "user.totp.recovery" and e["object_id"] == uid]
    assert renew.count("allowed") == 1 and "denied" in renew, renew

if __name__ == "__main__":
    try:
        run([test_enrolment, test_login_needs_code_and_refuses_replay,
             test_recovery_codes_are_single_use,
             test_code_failures_are_throttled_with_passwords, test_bad_codes,
             test_wrong_code_writes_nothing, test_lockout,
             test_recovery_codes_renewed_and_marked,
             test_policy_forces_enrolment])
    finally:
        if S is not None:
            S.cleanup()
