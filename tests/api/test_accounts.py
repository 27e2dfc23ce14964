# SPDX-License-Identifier: AGPL-3.0-or-later
"""Accounts and sessions against the real binary: login/logout, forged and
expired tokens, the role matrix of the user endpoints, the pending
coordinator flow, revocation, password change, throttling, and bad bodies.
Every bad request is followed by a health check."""
import base64
import os
import secrets
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import Server, problem, run  # noqa: E402

S = None


def srv():
    global S
    if S is None:
        S = Server()
    return S


def test_health_has_no_details():
    """Only the status and the disk reserve (issue 18): free bytes in
    whole MiB against the reserve, no version, no counts."""
    r = srv().get("/health")
    assert r.status == 200, r
    body = r.json()
    assert set(body) == {"status", "disk"} and body["status"] == "ok", body
    d = body["disk"]
    assert set(d) == {"free_bytes", "reserve_bytes", "low"}, d
    assert d["reserve_bytes"] == 256 * 1024 * 1024 and d["low"] is False, d
    assert d["free_bytes"] > 0 and d["free_bytes"] % (1024 * 1024) == 0, d
    assert r.header("Cache-Control") == "no-store"


def test_login_logout():
    s = srv()
    r = s.post("/session", {"username": "admin", "password": s.admin_pw})
    assert r.status == 201, r
    body = r.json()
    assert set(body) == {"token", "expires_at", "user"}
    assert body["user"]["username"] == "admin" and body["user"]["role"] == "admin"
    assert len(body["token"]) == 86
    assert body["expires_at"].endswith("Z")
    tok = body["token"]
    me = s.get("/me", token=tok)
    assert me.status == 200 and me.json()["role"] == "admin", me
    assert me.json()["status"] == "active"
    assert s.request("DELETE", "/session", token=tok).status == 204
    problem(s.get("/me", token=tok), 401, "unauthenticated")
    # a second logout with the dead token is refused too
    problem(s.request("DELETE", "/session", token=tok), 401)


def test_unknown_user_and_wrong_password_look_the_same():
    s = srv()
    a = s.post("/session", {"username": "nobody-here", "password": "whatever12345"})
    b = s.post("/session", {"username": "admin", "password": "wrong password!"})
    assert a.status == b.status == 401
    assert a.body == b.body


def test_forged_and_malformed_tokens():
    s = srv()
    forged = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
    for tok in [forged, "x", forged + "A", "A" * 5000, forged[:-1] + "!",
                "", "Bearer"]:
        r = s.request("GET", "/users", headers={"Authorization": "Bearer " + tok})
        problem(r, 401, "unauthenticated")
        assert r.header("WWW-Authenticate") == "Bearer"
    problem(s.request("GET", "/users", headers={"Authorization": "Basic YWRtaW46eA=="}), 401)
    problem(s.get("/users"), 401)
    assert s.healthy()


def test_user_endpoints_role_matrix():
    s = srv()
    admin = s.admin()
    coord = s.coord()
    cw_id, cw_pw = s.create_user(admin, "cw-matrix", "caseworker")
    au_id, au_pw = s.create_user(admin, "au-matrix", "auditor")
    cw = s.login("cw-matrix", cw_pw)
    au = s.login("au-matrix", au_pw)
    newuser = {"username": "made-by-x", "password": "a-long-password", "role": "caseworker"}
    # POST /users: admin only
    for tok in (coord, cw, au):
        problem(s.post("/users", newuser, token=tok), 403, "forbidden")
    r = s.post("/users", newuser, token=admin)
    assert r.status == 201 and r.json()["status"] == "active", r
    # GET /users: admin and coordinator
    for tok in (admin, coord):
        r = s.get("/users", token=tok)
        assert r.status == 200, r
        names = {u["username"] for u in r.json()["users"]}
        assert {"admin", "coord", "cw-matrix", "au-matrix"} <= names
        for u in r.json()["users"]:
            assert set(u) == {"id", "username", "role", "status", "enrolled"}
    for tok in (cw, au):
        problem(s.get("/users", token=tok), 403)
    # revoke: admin and coordinator; not caseworkers or auditors
    victim, _ = s.create_user(admin, "victim-1", "caseworker")
    for tok in (cw, au):
        problem(s.post("/users/%s/revoke" % victim, token=tok), 403)
    # confirm: coordinators only
    for tok in (admin, cw, au):
        problem(s.post("/users/%s/confirm" % victim, token=tok), 403)
    # duplicate username
    problem(s.post("/users", newuser, token=admin), 409, "username-taken")
    # unknown id, malformed id
    problem(s.post("/users/%s/revoke" % ("A" * 22), token=admin), 404)
    problem(s.post("/users/../revoke", token=admin), 404)
    problem(s.post("/users/%s/revoke" % ("A" * 23), token=admin), 404)
    assert s.healthy()


def test_pending_coordinator_flow():
    s = srv()
    admin = s.admin()
    pid, ppw = s.create_user(admin, "coord-new", "coordinator")
    users = {u["username"]: u for u in s.get("/users", token=admin).json()["users"]}
    assert users["coord-new"]["status"] == "pending"
    pend = s.login("coord-new", ppw)
    me = s.get("/me", token=pend).json()
    assert me["status"] == "pending" and me["role"] == "coordinator"
    # a pending coordinator can do nothing else
    problem(s.get("/users", token=pend), 403, "account-not-active")
    other, _ = s.create_user(admin, "coord-other", "coordinator")
    problem(s.post("/users/%s/confirm" % other, token=pend), 403)
    # a confirmed coordinator confirms
    coord = s.coord()
    r = s.post("/users/%s/confirm" % pid, token=coord)
    assert r.status == 200 and r.json()["status"] == "active", r
    # confirming twice, or a non-coordinator, is a conflict
    problem(s.post("/users/%s/confirm" % pid, token=coord), 409, "not-pending")
    cw, _ = s.create_user(admin, "cw-notcoord", "caseworker")
    problem(s.post("/users/%s/confirm" % cw, token=coord), 409)
    # the pending session (made without the org key) was ended
    problem(s.get("/me", token=pend), 401)
    # the new coordinator now holds the org key: it can confirm another
    newc = s.login("coord-new", ppw)
    r = s.post("/users/%s/confirm" % other, token=newc)
    assert r.status == 200, r


def test_enrolment_replaces_the_admin_chosen_key():
    """A first password is the admin's choice: until the user replaces it
    they can do nothing but that, no key can be granted to them, and the
    replacement makes a fresh key pair the live session then uses."""
    s = srv()
    admin = s.admin()
    coord = s.coord()
    cw_id, first = s.create_user(admin, "cw-enrol", "caseworker", enrol=False)
    pc_id, pfirst = s.create_user(admin, "coord-enrol", "coordinator", enrol=False)
    tok = s.login("cw-enrol", first)
    me = s.get("/me", token=tok).json()
    assert me["enrolled"] is False
    body = {"risk": "high", "region": "north", "household_size": 1,
            "person": {"name": "MARKER-enrol"}, "notes": "n"}
    problem(s.post("/cases", body, token=tok), 403, "enrolment-required")
    # nobody can grant a key to an unenrolled account
    problem(s.post("/users/%s/confirm" % pc_id, token=coord), 409, "not-enrolled")
    r = s.post("/cases", {"risk": "low", "region": "r", "household_size": 1,
                          "person": {}, "notes": ""}, token=coord)
    assert r.status == 201, r
    case_id = r.json()["id"]
    problem(s.post("/cases/%s/assignments" % case_id, {"user_id": cw_id},
                   token=coord), 409, "not-enrolled")
    # the first password cannot simply be kept
    problem(s.request("PUT", "/me/password", {"old_password": first,
                                              "new_password": first}, token=tok),
            422, "same-password")
    own = "my own password, nobody else's"
    r = s.request("PUT", "/me/password", {"old_password": first,
                                          "new_password": own}, token=tok)
    assert r.status == 204, r
    assert s.get("/me", token=tok).json()["enrolled"] is True
    # the same session now works with the fresh key pair: a case it opens
    # is sealed to the new public key and opens with the new secret key
    r = s.post("/cases", body, token=tok)
    assert r.status == 201, r
    r = s.get("/cases/%s" % r.json()["id"], token=tok)
    assert r.status == 200 and r.json()["person"]["name"] == "MARKER-enrol", r
    problem(s.post("/session", {"username": "cw-enrol", "password": first}), 401)
    assert s.login("cw-enrol", own)
    # now a coordinator may assign them
    assert s.post("/cases/%s/assignments" % case_id, {"user_id": cw_id},
                  token=coord).status == 201


def test_coordinator_cannot_revoke_admins_or_confirmed_coordinators():
    s = Server()
    try:
        admin = s.admin()
        c2, pw2 = s.create_user(admin, "coord-b", "coordinator")
        assert s.post("/users/%s/confirm" % c2, token=s.coord()).status == 200
        b = s.login("coord-b", pw2)
        admin_id = s.get("/me", token=admin).json()["id"]
        first_coord = s.get("/me", token=s.coord()).json()["id"]
        problem(s.post("/users/%s/revoke" % admin_id, token=b), 403, "admin-only")
        problem(s.post("/users/%s/revoke" % first_coord, token=b), 403, "admin-only")
        # caseworkers and pending coordinators: yes
        cw, _ = s.create_user(admin, "cw-x", "caseworker")
        pend, _ = s.create_user(admin, "coord-p", "coordinator")
        assert s.post("/users/%s/revoke" % cw, token=b).status == 200
        assert s.post("/users/%s/revoke" % pend, token=b).status == 200
        # an admin can revoke a confirmed coordinator (not the last one)
        assert s.post("/users/%s/revoke" % c2, token=admin).status == 200
        assert s.stop() == 0
    finally:
        s.cleanup()


def test_sessions_per_user_are_capped():
    """One account cannot fill the session table: its ninth login ends its
    oldest session, and other users still log in."""
    s = srv()
    admin = s.admin()
    _, pw = s.create_user(admin, "cw-many", "caseworker")
    toks = [s.login("cw-many", pw) for _ in range(9)]
    problem(s.get("/me", token=toks[0]), 401)
    for t in toks[1:]:
        assert s.get("/me", token=t).status == 200
    assert s.coord()


def test_revocation_kills_live_sessions():
    s = srv()
    admin = s.admin()
    vid, vpw = s.create_user(admin, "cw-revoked", "caseworker")
    t1 = s.login("cw-revoked", vpw)
    t2 = s.login("cw-revoked", vpw)
    assert s.get("/me", token=t1).status == 200
    coord = s.coord()
    r = s.post("/users/%s/revoke" % vid, token=coord)
    assert r.status == 200 and r.json()["status"] == "revoked", r
    problem(s.get("/me", token=t1), 401)
    problem(s.get("/me", token=t2), 401)
    problem(s.post("/session", {"username": "cw-revoked", "password": vpw}), 401,
            "login-failed")
    # nobody revokes themselves
    me = s.get("/me", token=admin).json()["id"]
    problem(s.post("/users/%s/revoke" % me, token=admin), 409, "self-revoke")


def test_last_org_key_holder_cannot_be_revoked():
    s = Server()
    try:
        admin = s.admin()
        coord_id = s.get("/me", token=s.coord()).json()["id"]
        problem(s.post("/users/%s/revoke" % coord_id, token=admin), 409,
                "last-coordinator")
        # with a second confirmed coordinator, the first can go
        c2, pw2 = s.create_user(admin, "coord-two", "coordinator")
        assert s.post("/users/%s/confirm" % c2, token=s.coord()).status == 200
        r = s.post("/users/%s/revoke" % coord_id, token=admin)
        assert r.status == 200, r
        # and now the second is the last one
        problem(s.post("/users/%s/revoke" % c2, token=admin), 409,
                "last-coordinator")
        assert s.stop() == 0
    finally:
        s.cleanup()


def test_password_change_reseals():
    s = srv()
    admin = s.admin()
    uid, pw = s.create_user(admin, "cw-pw", "caseworker")
    t1 = s.login("cw-pw", pw)
    t2 = s.login("cw-pw", pw)
    new = "a brand new password"
    problem(s.request("PUT", "/me/password", {"old_password": "not it at all",
                                              "new_password": new}, token=t1),
            403, "wrong-password")
    problem(s.request("PUT", "/me/password", {"old_password": pw,
                                              "new_password": "short"}, token=t1),
            422)
    r = s.request("PUT", "/me/password", {"old_password": pw, "new_password": new},
                  token=t1)
    assert r.status == 204, r
    assert s.get("/me", token=t1).status == 200      # this session lives on
    problem(s.get("/me", token=t2), 401)             # the others end
    problem(s.post("/session", {"username": "cw-pw", "password": pw}), 401)
    t3 = s.login("cw-pw", new)
    assert s.get("/me", token=t3).json()["id"] == uid


def test_bad_bodies_keep_server_healthy():
    s = srv()
    admin = s.admin()
    cases = [
        (b"{", "malformed-json", 400),
        (b'{"username":"a","username":"b","password":"x"}', "malformed-json", 400),
        (b"[" * 10000 + b"]" * 10000, "json-limits", 400),
        (b'{"username":"admin","password":"' + b"p" * 2000 + b'","extra":1}',
         "invalid-body", 422),
        (b'{"username":"admin"}', "invalid-body", 422),
        (b'{"username":1,"password":"x"}', "invalid-body", 422),
        (b'"just a string"', "malformed-json", 400),
        (b'[1, 2]', "invalid-body", 422),
        (b'{"username":"\xff\xfe","password":"x"}', "malformed-json", 400),
        (b'{"username":"a\\u0000b","password":"x"}', "malformed-json", 400),
    ]
    for raw, slug, status in cases:
        r = s.request("POST", "/session", raw=raw)
        problem(r, status, slug)
        assert s.healthy()
    # role must be one of the four
    problem(s.post("/users", {"username": "bad-role", "password": "long enough pw",
                              "role": "root"}, token=admin), 422)
    problem(s.post("/users", {"username": "bad name!", "password": "long enough pw",
                              "role": "auditor"}, token=admin), 422)
    # wrong content type
    problem(s.request("POST", "/session", raw=b'{"username":"a","password":"b"}',
                      content_type="text/plain"), 415)
    # oversize body with Content-Length: 413, connection closed
    big = b'{"username":"' + b"a" * (300 * 1024) + b'","password":"x"}'
    problem(s.request("POST", "/session", raw=big), 413, "body-too-large")
    assert s.healthy()
    # unknown route, wrong method, body where none is taken
    problem(s.get("/nope"), 404)
    problem(s.request("PATCH", "/users", raw=b"{}"), 405)
    problem(s.request("GET", "/users", token=admin, raw=b"{}"), 400, "unexpected-body")
    problem(s.get("/users?x=1", token=admin), 400, "invalid-query")
    assert s.healthy()


def test_ambiguous_framing_rejected():
    s = srv()
    body = b'{"username":"admin","password":"x"}'
    two_cl = (b"POST /api/v1/session HTTP/1.1\r\nHost: x\r\n"
              b"Content-Type: application/json\r\n"
              b"Content-Length: %d\r\nContent-Length: 5\r\n\r\n" % len(body)) + body
    out = s.raw(two_cl)
    assert out.startswith(b"HTTP/1.1 400"), out[:100]
    assert b"ambiguous-framing" in out
    cl_te = (b"POST /api/v1/session HTTP/1.1\r\nHost: x\r\n"
             b"Content-Type: application/json\r\n"
             b"Content-Length: %d\r\nTransfer-Encoding: chunked\r\n\r\n" % len(body)) + body
    out = s.raw(cl_te)
    assert out.startswith(b"HTTP/1.1 400"), out[:100]
    assert s.healthy()


def test_throttling():
    s = Server()
    try:
        for _ in range(4):
            problem(s.post("/session", {"username": "admin",
                                        "password": "wrong password"}), 401)
        r = s.post("/session", {"username": "admin", "password": s.admin_pw})
        problem(r, 429, "throttled")
        assert int(r.header("Retry-After")) >= 1
        # another account from the same address is not locked out yet
        assert s.post("/session", {"username": "coord",
                                   "password": s.coord_pw}).status == 201
        time.sleep(int(r.header("Retry-After")) + 0.5)
        assert s.post("/session", {"username": "admin",
                                   "password": s.admin_pw}).status == 201
        assert s.stop() == 0
    finally:
        s.cleanup()


def test_concurrent_logins_are_capped_not_fatal():
    """40 logins at once: the Argon2 gate queues some and may turn some
    away with 503 + Retry-After; none fails any other way."""
    import threading
    s = srv()
    results = []

    def one():
        try:
            r = s.post("/session", {"username": "coord", "password": s.coord_pw})
            results.append((r.status, r.header("Retry-After")))
        except OSError as e:
            results.append((str(e), None))

    ts = [threading.Thread(target=one) for _ in range(40)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    statuses = [st for st, _ in results]
    assert all(st in (201, 503) for st in statuses), statuses
    assert statuses.count(201) >= 2, statuses
    assert all(ra for st, ra in results if st == 503)
    assert s.healthy()


def test_failures_elsewhere_do_not_lock_out_a_user_behind_the_proxy():
    """Behind a loopback proxy or onion service every client shares one
    address: 30 failed logins on other usernames must not throttle the
    coordinator who has to revoke a seized account."""
    s = Server()
    try:
        for i in range(30):
            problem(s.post("/session", {"username": "nobody-%d" % i,
                                        "password": "wrong password"}), 401)
        assert s.post("/session", {"username": "coord",
                                   "password": s.coord_pw}).status == 201
        assert s.stop() == 0
    finally:
        s.cleanup()


def test_idle_expiry():
    s = Server(extra_args=["--session-idle", "2"])
    try:
        tok = s.admin()
        assert s.get("/me", token=tok).status == 200
        time.sleep(3.2)
        problem(s.get("/me", token=tok), 401)
        assert s.stop() == 0
    finally:
        s.cleanup()


def test_clean_shutdown():
    global S
    s = srv()
    assert s.stop() == 0, s.stderr()
    # log lines carry ids and route templates only
    log = s.stderr()
    assert "admin" not in log and s.admin_pw not in log
    s.cleanup()
    S = None


if __name__ == "__main__":
    run([test_health_has_no_details, test_login_logout,
         test_unknown_user_and_wrong_password_look_the_same,
         test_forged_and_malformed_tokens, test_user_endpoints_role_matrix,
         test_pending_coordinator_flow,
         test_enrolment_replaces_the_admin_chosen_key,
         test_coordinator_cannot_revoke_admins_or_confirmed_coordinators,
         test_sessions_per_user_are_capped,
         test_revocation_kills_live_sessions,
         test_last_org_key_holder_cannot_be_revoked,
         test_password_change_reseals, test_bad_bodies_keep_server_healthy,
         test_ambiguous_framing_rejected,
         test_concurrent_logins_are_capped_not_fatal, test_throttling,
         test_failures_elsewhere_do_not_lock_out_a_user_behind_the_proxy,
         test_idle_expiry,
         test_clean_shutdown])
