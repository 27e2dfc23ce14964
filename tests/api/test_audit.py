# SPDX-License-Identifier: AGPL-3.0-or-later
"""The audit log against the real binary over HTTP: every earlier path is
recorded with the right actor, role, action and outcome; the audit routes
are for auditors only; listing, proofs and the export follow the documented
formats (checked by an independent implementation in auditlib.py); a
break-glass reason is shown to auditors and erased by an admin without
changing the log; the
offline verifier accepts a real export with held checkpoints and rejects
tampered copies of it with the right exit status and seq; putting an older
database back is refused at start-up and caught by a held checkpoint; key
rotation keeps the log verifiable from the first pinned key; under
concurrent load the tree grows by exactly the audited requests answered;
and when the log cannot be written the server answers 503 with no data."""
import base64
import hashlib
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import BIN, Server, problem, run, skip  # noqa: E402
import auditlib as al  # noqa: E402
from urllib.parse import quote  # noqa: E402

S = None
AUDIT_ROUTES = [
    ("GET", "/audit"), ("GET", "/audit/checkpoint"),
    ("GET", "/audit/public-key"), ("GET", "/audit/proof/inclusion?seq=0"),
    ("GET", "/audit/proof/consistency?from=0&to=1"), ("GET", "/audit/export"),
]


def srv():
    global S
    if S is None:
        S = Server()
    return S


def tail(entries, n):
    return [(e["action"], e["actor_id"], e["role"], e["object_type"],
             e["object_id"], e["outcome"]) for e in entries[-n:]]


def test_every_path_is_recorded():
    s = srv()
    admin = s.admin()
    au, au_id = al.auditor(s, admin)
    start = al.all_entries(s, au)[-1]["seq"]
    ids = {u["username"]: u["id"] for u in s.get("/users", token=admin).json()["users"]}
    admin_id, coord_id = ids["admin"], ids["coord"]
    want = []

    def rec(action, actor, role, otype, oid, outcome):
        want.append((action, actor, role, otype, oid, outcome))

    admin = s.admin()
    rec("session.create", admin_id, "admin", "user", admin_id, "allowed")
    r = s.post("/session", {"username": "admin", "password": "wrong password!"})
    assert r.status == 401
    rec("session.fail", None, "anonymous", "user", admin_id, "denied")
    # anonymous failures are counted, not entries (issue 18): they show
    # in the anonymous.summary written at shutdown, checked at the end
    counted = {}

    def count(action, outcome, status):
        counted[(action, outcome, status)] = \
            counted.get((action, outcome, status), 0) + 1

    r = s.post("/session", {"username": "nobody-" + secrets.token_hex(3),
                            "password": "whatever12345"})
    assert r.status == 401
    count("session.fail", "denied", 401)
    r = s.post("/session", {"username": "admin"})
    assert r.status == 422
    count("session.fail", "error", 422)
    # malformed login JSON is a session.fail too, not session.create/error
    problem(s.post("/session", raw=b'{"username": "admin", "pass'), 400,
            "malformed-json")
    count("session.fail", "error", 400)
    problem(s.get("/users"), 401)
    count("user.list", "denied", 401)
    cw_id, cw_pw = s.create_user(admin, "cw-" + secrets.token_hex(3), "caseworker")
    rec("user.create", admin_id, "admin", "user", cw_id, "allowed")
    # enrolment: the new user logs in and replaces the first password
    rec("session.create", cw_id, "caseworker", "user", cw_id, "allowed")
    rec("user.password", cw_id, "caseworker", "user", cw_id, "allowed")
    rec("session.end", cw_id, "caseworker", "session", None, "allowed")
    cw_name = [u["username"] for u in s.get("/users", token=admin).json()["users"]
               if u["id"] == cw_id][0]
    rec("user.list", admin_id, "admin", "user", None, "allowed")
    cw = s.login(cw_name, cw_pw)
    rec("session.create", cw_id, "caseworker", "user", cw_id, "allowed")
    problem(s.get("/users", token=cw), 403)
    rec("user.list", cw_id, "caseworker", "user", None, "denied")
    problem(s.get("/audit", token=cw), 403)
    rec("audit.read", cw_id, "caseworker", "audit", None, "denied")
    problem(s.get("/audit/export", token=cw), 403)
    rec("audit.export", cw_id, "caseworker", "audit", None, "denied")
    r = s.request("PUT", "/me/password", body={"old_password": cw_pw,
                                              "new_password": "violet lantern harbour 2"},
                  token=cw)
    assert r.status == 204, r
    rec("user.password", cw_id, "caseworker", "user", cw_id, "allowed")
    r = s.request("PUT", "/me/password", body={"old_password": "not it at all",
                                              "new_password": cw_pw + "-3"}, token=cw)
    assert r.status == 403, r
    rec("user.password", cw_id, "caseworker", "user", cw_id, "denied")
    assert s.get("/me", token=cw).status == 200          # not audited
    assert s.get("/health").status == 200                # not audited
    pc_id, _ = s.create_user(admin, "pc-" + secrets.token_hex(3), "coordinator")
    rec("user.create", admin_id, "admin", "user", pc_id, "allowed")
    rec("session.create", pc_id, "coordinator", "user", pc_id, "allowed")
    rec("user.password", pc_id, "coordinator", "user", pc_id, "allowed")
    rec("session.end", pc_id, "coordinator", "session", None, "allowed")
    coord = s.coord()
    rec("session.create", coord_id, "coordinator", "user", coord_id, "allowed")
    # the harness confirms a coordinator's password: the org key needs it
    rec("session.confirm", coord_id, "coordinator", "user", coord_id,
        "allowed")
    problem(s.post("/session/confirm", {"password": "not the password"},
                   token=coord), 403, "wrong-password")
    rec("session.confirm", coord_id, "coordinator", "user", coord_id,
        "denied")
    problem(s.post("/users/%s/confirm" % pc_id, token=coord), 403,
            "reauth-required")
    rec("user.confirm", coord_id, "coordinator", "user", pc_id, "denied")
    assert s.confirm(coord, s.coord_pw).status == 204
    rec("session.confirm", coord_id, "coordinator", "user", coord_id,
        "allowed")
    r = s.post("/users/%s/confirm" % pc_id, token=coord)
    assert r.status == 200, r
    rec("user.confirm", coord_id, "coordinator", "user", pc_id, "allowed")
    r = s.post("/users/%s/revoke" % cw_id, token=admin)
    assert r.status == 200, r
    rec("user.revoke", admin_id, "admin", "user", cw_id, "allowed")
    problem(s.get("/users", token=cw), 401)   # revoked: the session is gone
    count("user.list", "denied", 401)
    r = s.post("/users/%s/revoke" % ("A" * 22), token=admin)
    assert r.status == 404, r
    rec("user.revoke", admin_id, "admin", "user", "A" * 22, "denied")
    assert s.get("/audit", token=au).status == 200
    rec("audit.read", au_id, "auditor", "audit", None, "allowed")
    al.export(s, au)
    rec("audit.export", au_id, "auditor", "audit", None, "allowed")
    assert s.get("/audit/checkpoint", token=au).status == 200
    rec("audit.read", au_id, "auditor", "audit", None, "allowed")
    assert s.request("DELETE", "/session", token=admin).status == 204
    rec("session.end", admin_id, "admin", "session", None, "allowed")

    got = al.all_entries(s, au)
    got = [e for e in got if e["seq"] > start]
    # the listing sees everything before itself, and nothing else
    assert tail(got, len(want)) == want, "\n".join(
        "%r\n  want %r" % (g, w) for g, w in zip(tail(got, len(want)), want) if g != w)
    assert len(got) == len(want) + 2     # + the first listing, GET /users
    seqs = [e["seq"] for e in got]
    assert seqs == list(range(start + 1, start + 1 + len(got)))
    for e in got:
        assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", e["time"]), e
        assert e["request_id"] and len(e["request_id"]) == 22, e
        assert "reason" not in e
    # no session.create that failed: those are session.fail (issue 18)
    assert not [e for e in got if e["action"] == "session.create" and
                e["outcome"] != "allowed"], got
    # the counted failures go out as one summary at shutdown
    assert s.stop() == 0
    s.start()
    au2, _ = al.auditor(s)
    after = [e for e in al.all_entries(s, au2) if e["seq"] > start]
    sums = [e for e in after if e["action"] == "anonymous.summary"]
    assert len(sums) == 1, sums
    assert al.summary_counts(sums) == counted, (sums, counted)


def test_init_entries_and_printed_key():
    s = srv()
    au, _ = al.auditor(s)
    first = al.all_entries(s, au)[:2]
    for e in first:
        assert (e["action"], e["actor_id"], e["role"], e["outcome"],
                e["request_id"]) == ("user.create", None, "anonymous", "allowed", "init")
    # init prints the key auditors pin, and it is the served one
    tmp = os.path.join(s.tmp, "init2")
    os.mkdir(tmp)
    pw = os.path.join(tmp, "pw")
    with open(pw, "w") as f:
        f.write("a-long-password-1")
    r = subprocess.run([BIN, "init", os.path.join(tmp, "d"), "--passphrase-file",
                        s.passfile, "--admin-password-file", pw,
                        "--coordinator-password-file", pw],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r
    m = re.search(r"^audit key (corridor/[A-Za-z0-9_-]{22}\+[0-9a-f]{8}\+\S+)$",
                  r.stdout, re.M)
    assert m, r.stdout
    # a Server over that directory and passphrase (the harness makes its
    # own passphrase otherwise)
    other = Server.__new__(Server)
    other.tmp, other.dir, other.passfile = tmp, os.path.join(tmp, "d"), s.passfile
    other.extra_args, other.proc, other.port = [], None, None
    other.start()
    try:
        admin = other.login("admin", "a-long-password-1")
        tok, _ = al.auditor(other, admin)
        assert al.vkey(other, tok) == m.group(1)
        # a second log has its own origin and key
        assert al.vkey(other, tok) != al.vkey(s, au)
        assert other.stop() == 0
    finally:
        other.cleanup()


def test_audit_routes_are_for_auditors_only():
    s = srv()
    admin = s.admin()
    coord = s.coord()
    cw_id, cw_pw = s.create_user(admin, "cw-" + secrets.token_hex(3), "caseworker")
    name = [u["username"] for u in s.get("/users", token=admin).json()["users"]
            if u["id"] == cw_id][0]
    cw = s.login(name, cw_pw)
    au, au_id = al.auditor(s, admin)
    start = al.all_entries(s, au)[-1]["seq"]
    n = 0
    for method, path in AUDIT_ROUTES:
        for tok in (admin, coord, cw):
            problem(s.request(method, path, token=tok), 403, "forbidden")
            n += 1
        problem(s.request(method, path), 401, "unauthenticated")
        # counted in the anonymous summary, not an entry of its own
    # erasing a reason is the admins'
    for tok in (au, coord, cw):
        problem(s.post("/audit/reasons/erase", {"seq": 0}, token=tok), 403)
        n += 1
    got = [e for e in al.all_entries(s, au) if e["seq"] > start]
    assert len(got) == n + 1   # + the first listing
    denied = got[1:]
    assert all(e["outcome"] == "denied" for e in denied), denied
    acts = [e["action"] for e in denied]
    assert acts.count("audit.export") == 3 and acts.count("audit.reason_erase") == 3
    assert acts.count("audit.read") == 15
    assert {e["role"] for e in denied} == {"admin", "coordinator", "caseworker",
                                            "auditor"}


def test_listing_filters_and_paging():
    s = srv()
    admin = s.admin()
    au, au_id = al.auditor(s, admin)
    everything = al.all_entries(s, au)
    assert len(everything) >= 10
    r = s.get("/audit?limit=3", token=au)
    assert [e["seq"] for e in r.json()["entries"]] == [0, 1, 2]
    r = s.get("/audit?limit=2&after=4", token=au)
    assert [e["seq"] for e in r.json()["entries"]] == [5, 6]
    mine = al.all_entries(s, au, actor_id=au_id)
    assert mine and all(e["actor_id"] == au_id for e in mine)
    logins = al.all_entries(s, au, action="session.create")
    assert logins and all(e["action"] == "session.create" for e in logins)
    both = al.all_entries(s, au, action="audit.read", actor_id=au_id)
    assert both and all(e["action"] == "audit.read" and e["actor_id"] == au_id
                        for e in both)
    none = al.all_entries(s, au, case_id="A" * 22)
    assert none == []
    for bad in ["limit=0", "limit=501", "limit=x", "after=-1", "after=01",
                "action=case.nope", "actor_id=short", "case_id=" + "!" * 22,
                "colour=red", "after=99999999999999999999"]:
        problem(s.get("/audit?" + bad, token=au), 400, "invalid-query")
    assert s.healthy()


def entry_ms(e):
    """An entry's "time" (RFC 3339 UTC with milliseconds) as Unix ms."""
    import calendar
    day, rest = e["time"].rstrip("Z").split("T")
    hms, ms = rest.split(".")
    t = time.strptime(day + "T" + hms, "%Y-%m-%dT%H:%M:%S")
    return calendar.timegm(t) * 1000 + int(ms)


def rfc3339(sec, offset_min=0, frac=""):
    """Unix seconds as RFC 3339 in a given zone offset."""
    t = time.gmtime(sec + offset_min * 60)
    zone = "Z" if offset_min == 0 else "%s%02d:%02d" % (
        "+" if offset_min > 0 else "-", abs(offset_min) // 60,
        abs(offset_min) % 60)
    return time.strftime("%Y-%m-%dT%H:%M:%S", t) + frac + zone


def test_listing_by_time():
    s = srv()
    admin = s.admin()
    au, au_id = al.auditor(s, admin)
    time.sleep(1.1)		# entries on both sides of a second boundary
    s.get("/audit?limit=1", token=au)
    everything = al.all_entries(s, au)
    times = {e["seq"]: entry_ms(e) for e in everything}
    cut = max(times.values()) // 1000	# a second some entries precede
    seqs = lambda es: [e["seq"] for e in es]	# noqa: E731
    want_since = [q for q in sorted(times) if times[q] >= cut * 1000]
    want_until = [q for q in sorted(times) if times[q] < cut * 1000]
    assert want_since and want_until
    # since inclusive, until exclusive; a zone offset names the same
    # instant; a fraction is dropped (to the second)
    for z in (0, 180, -330):
        got = seqs(al.all_entries(s, au, since=quote(rfc3339(cut, z))))
        assert [q for q in got if q in times] == want_since
        assert seqs(al.all_entries(s, au, until=quote(rfc3339(cut, z)))) \
            == want_until
    assert seqs(al.all_entries(s, au, until=rfc3339(cut, 0, ".999"))) == \
        want_until
    # a window, and the window combined with other filters
    lo = min(times.values()) // 1000
    got = seqs(al.all_entries(s, au, since=rfc3339(lo), until=rfc3339(cut)))
    assert got == want_until
    reads = al.all_entries(s, au, since=rfc3339(lo), until=rfc3339(cut),
                           action="audit.read", actor_id=au_id)
    assert all(e["action"] == "audit.read" and e["actor_id"] == au_id and
               entry_ms(e) < cut * 1000 for e in reads)
    assert seqs(reads) == [e["seq"] for e in everything
                           if e["action"] == "audit.read" and
                           e["actor_id"] == au_id and
                           times[e["seq"]] < cut * 1000]
    # an empty window is empty, not an error
    assert al.all_entries(s, au, since=rfc3339(cut), until=rfc3339(lo)) == []
    assert al.all_entries(s, au, since=rfc3339(cut + 3600)) == []
    # paging inside a window
    r = s.get("/audit?limit=2&until=" + rfc3339(cut), token=au).json()
    assert seqs(r["entries"]) == want_until[:2]
    for bad in ("since=", "since=yesterday", "since=2026-01-01",
                "since=2026-13-01T00:00:00Z", "until=2026-01-01T00:00:00",
                "until=1969-12-31T23:59:59Z", "since=2026-01-01T25:00:00Z",
                "since=1700000000", "until=2026-01-01T00:00:60Z",
                "since=2026-01-01T00:00:00Z%00"):
        problem(s.get("/audit?" + bad, token=au), 400, "invalid-query")
    assert s.healthy()


def test_checkpoint_key_and_proofs():
    s = srv()
    au, _ = al.auditor(s)
    key = s.get("/audit/public-key", token=au).json()
    assert set(key) == {"origin", "algorithm", "public_key", "key_id", "vkey",
                        "fingerprint"}
    assert key["algorithm"] == "ed25519"
    # the read-aloud form partners compare (corridor partner fingerprint)
    assert re.match(r"^[0-9]{5}( [0-9]{5}){5}$", key["fingerprint"]), key
    assert re.match(r"^corridor/[A-Za-z0-9_-]{22}$", key["origin"])
    pk = base64.b64decode(key["public_key"])
    assert len(pk) == 32 and re.match(r"^[0-9a-f]{8}$", key["key_id"])
    kid = hashlib.sha256(key["origin"].encode() + b"\n\x01" + pk).digest()[:4]
    assert kid.hex() == key["key_id"]
    assert key["vkey"] == "%s+%s+%s" % (key["origin"], key["key_id"],
                                        base64.b64encode(b"\x01" + pk).decode())

    cp1 = al.checkpoint(s, au)
    origin, size1, root1 = al.parse_checkpoint(cp1)
    assert origin == key["origin"] and size1 > 0
    s.get("/users", token=s.admin())          # more entries
    exp = al.export(s, au)                    # signs a checkpoint covering all
    cp2 = al.checkpoint(s, au)
    _, size2, root2 = al.parse_checkpoint(cp2)
    assert size2 > size1
    # both checkpoints verify, held, against the served key
    status, line = al.verify(exp, key["vkey"], [cp1, cp2])
    assert status == 0, line

    # inclusion of every entry of the first checkpoint, checked here
    _, body = al.export_lines(exp)
    entries = [raw for kw, raw in body if kw == "entry"]
    for seq in range(size1):
        r = s.get("/audit/proof/inclusion?seq=%d&size=%d" % (seq, size1), token=au)
        assert r.status == 200, r
        p = r.json()
        assert p["leaf_index"] == seq and p["tree_size"] == size1
        entry = base64.b64decode(p["entry"])
        assert entry == entries[seq]
        proof = [base64.b64decode(h) for h in p["hashes"]]
        assert al.verify_inclusion(al.leaf_hash(entry), seq, size1, proof, root1)
        assert not al.verify_inclusion(al.leaf_hash(entry), seq, size1, proof, root2)
    # the default size is the latest checkpoint's
    p = s.get("/audit/proof/inclusion?seq=0", token=au).json()
    latest = al.parse_checkpoint(al.checkpoint(s, au))
    assert p["tree_size"] == latest[1]
    assert al.verify_inclusion(al.leaf_hash(entries[0]), 0, latest[1],
                               [base64.b64decode(h) for h in p["hashes"]], latest[2])
    # consistency between the two held checkpoints, and trivial ones
    for a, b, ra, rb in [(size1, size2, root1, root2), (0, size2, al.Frontier().root(), root2),
                         (size2, size2, root2, root2)]:
        r = s.get("/audit/proof/consistency?from=%d&to=%d" % (a, b), token=au)
        assert r.status == 200, r
        c = r.json()
        assert c["from"] == a and c["to"] == b
        proof = [base64.b64decode(h) for h in c["hashes"]]
        assert al.verify_consistency(a, b, ra, rb, proof)
        if a != b and a > 0:
            assert not al.verify_consistency(a, b, rb, ra, proof)
    # bad parameters
    durable = latest[1]
    for q, status in [("seq=x", 400), ("", 400), ("seq=0&size=x", 400),
                      ("seq=0&bogus=1", 400),
                      ("seq=%d&size=%d" % (durable, durable), 422),
                      ("seq=0&size=%d" % (durable + 10 ** 6), 422),
                      ("seq=0&size=0", 422)]:
        problem(s.get("/audit/proof/inclusion?" + q, token=au), status)
    for q, status in [("from=1", 400), ("to=1", 400), ("from=a&to=1", 400),
                      ("from=3&to=2", 422), ("from=0&to=%d" % (durable + 10 ** 6), 422)]:
        problem(s.get("/audit/proof/consistency?" + q, token=au), status)
    assert s.healthy()


def test_reason_erase_route():
    # Break-glass reasons come from case reads (another module); here the
    # route's own contract: admin only, body, 404 for an entry without a
    # reason, and audited. test_audit_log.c covers erasure itself.
    s = srv()
    admin = s.admin()
    au, _ = al.auditor(s, admin)
    problem(s.post("/audit/reasons/erase", {"seq": 0}, token=admin), 404)
    problem(s.post("/audit/reasons/erase", {"seq": -1}, token=admin), 422)
    problem(s.post("/audit/reasons/erase", {"seq": "0"}, token=admin), 422)
    problem(s.post("/audit/reasons/erase", {"seq": 0, "x": 1}, token=admin), 422)
    problem(s.post("/audit/reasons/erase", None, token=admin), 415)
    got = al.all_entries(s, au, action="audit.reason_erase")
    assert got[-5]["object_type"] == "audit" and got[-5]["object_id"] == "0"
    assert got[-5]["outcome"] == "denied" and got[-4]["outcome"] == "error"


def test_break_glass_reason_shown_then_erased():
    """A coordinator reads a case they are not assigned to with a reason:
    the auditor sees it on the case.read entry; an admin erases it; the
    entry, the export and every proof stay exactly as they were."""
    s = srv()
    admin = s.admin()
    au, _ = al.auditor(s, admin)
    cw_id, cw_pw = s.create_user(admin, "cw-bg-" + secrets.token_hex(3), "caseworker")
    name = [u["username"] for u in s.get("/users", token=admin).json()["users"]
            if u["id"] == cw_id][0]
    cw = s.login(name, cw_pw)
    r = s.post("/cases", {"risk": "high", "region": "North", "household_size": 1,
                          "person": {"name": "MARKER-NAME"}, "notes": "MARKER"},
               token=cw)
    assert r.status == 201, r
    cid = r.json()["id"]
    coord = s.coord()
    reason = "caseworker unreachable since " + secrets.token_hex(3)
    problem(s.get("/cases/" + cid, token=coord), 403, "reason-required")
    r = s.get("/cases/" + cid, token=coord, headers={"X-Access-Reason": reason})
    assert r.status == 200, r
    reads = al.all_entries(s, au, case_id=cid, action="case.read")
    assert [e["outcome"] for e in reads] == ["denied", "allowed"], reads
    assert "reason" not in reads[0] and reads[1]["reason"] == reason
    assert all(e["object_id"] == cid for e in al.all_entries(s, au, case_id=cid))
    seq = reads[1]["seq"]
    before = al.export(s, au)
    entry_before = [raw for kw, raw in al.export_lines(before)[1]
                    if kw == "entry" and al.entry_seq(raw) == seq][0]
    assert entry_before[-35] == 1      # the reason flag, then 32 hash bytes, 0 extra

    # only admins erase, and the erasure is audited
    problem(s.post("/audit/reasons/erase", {"seq": seq}, token=coord), 403)
    r = s.post("/audit/reasons/erase", {"seq": seq}, token=admin)
    assert r.status == 204, r
    assert s.post("/audit/reasons/erase", {"seq": seq}, token=admin).status == 204
    e = [x for x in al.all_entries(s, au, case_id=cid, action="case.read")
         if x["seq"] == seq][0]
    assert "reason" not in e and e["reason_erased"] is True
    erasures = al.all_entries(s, au, action="audit.reason_erase")
    assert erasures[-2]["object_id"] == str(seq) and erasures[-2]["outcome"] == "allowed"
    assert erasures[-3]["role"] == "coordinator" and erasures[-3]["outcome"] == "denied"
    # the log did not change: same entry bytes, and it verifies
    after = al.export(s, au)
    entry_after = [raw for kw, raw in al.export_lines(after)[1]
                   if kw == "entry" and al.entry_seq(raw) == seq][0]
    assert entry_after == entry_before
    status, line = al.verify(after, al.vkey(s, au), [al.checkpoint(s, au)])
    assert status == 0, line
    p = s.get("/audit/proof/inclusion?seq=%d" % seq, token=au).json()
    assert base64.b64decode(p["entry"]) == entry_before


# --- break-glass reasons sealed to the auditors ---------------------------------

DBPEEK = os.environ.get("CORRIDOR_DBPEEK", "build/tests/api/dbpeek")


def dbpeek(s, *args):
    r = subprocess.run([DBPEEK, s.dir, s.passfile] + list(args),
                       capture_output=True, timeout=300)
    assert r.returncode == 0, r.stderr
    return r.stdout


def db_file_has(s, marker):
    """What the passphrase alone shows: every row of the decrypted
    database (blobs in hex), searched for marker as text and as hex."""
    dump = dbpeek(s, "dump")
    return marker.encode() in dump or marker.encode().hex().encode() in dump.lower()


def break_glass_case(s, admin, tag):
    """A case with one assigned caseworker; returns its id."""
    cw_id, cw_pw = s.create_user(admin, "cw-%s-%s" % (tag, secrets.token_hex(3)),
                                 "caseworker")
    name = [u["username"] for u in s.get("/users", token=admin).json()["users"]
            if u["id"] == cw_id][0]
    r = s.post("/cases", {"risk": "high", "region": "North", "household_size": 1,
                          "person": {"name": "P-" + tag}},
               token=s.login(name, cw_pw))
    assert r.status == 201, r
    return r.json()["id"]


def test_break_glass_reason_is_sealed_to_auditors():
    """The reason is sealed to every enrolled auditor: the operator
    passphrase (dbpeek on the decrypted database) does not find its text,
    each auditor reads it through GET /audit with the salt that opens the
    entry's commitment, an auditor created later holds no copy, and the
    erasure deletes every copy. Fails on the old code: the text was in
    audit_reasons in plain."""
    s = Server()
    try:
        admin = s.admin()
        au1, au1_id = al.auditor(s, admin)
        au2, au2_id = al.auditor(s, admin)
        # an auditor who has not enrolled gets no copy: the admin chose
        # their key pair's password
        al_pending, _ = s.create_user(admin, "au-pending", "auditor", enrol=False)
        cid = break_glass_case(s, admin, "seal")
        marker = "SEALED-REASON-" + secrets.token_hex(6)
        coord = s.coord()
        r = s.get("/cases/" + cid, token=coord, headers={"X-Access-Reason": marker})
        assert r.status == 200, r
        # the passphrase alone does not find the text
        assert not db_file_has(s, marker), "reason readable with K_db alone"
        e1 = [e for e in al.all_entries(s, au1, case_id=cid, action="case.read")][-1]
        e2 = [e for e in al.all_entries(s, au2, case_id=cid, action="case.read")][-1]
        assert e1["reason"] == marker and e2["reason"] == marker, (e1, e2)
        assert e1["reason_salt"] == e2["reason_salt"]    # one salt, two copies
        seq = e1["seq"]
        # the salt opens the signed commitment
        entry = [raw for kw, raw in al.export_lines(al.export(s, au1))[1]
                 if kw == "entry" and al.entry_seq(raw) == seq][0]
        salt = base64.b64decode(e1["reason_salt"])
        assert entry[-35] == 1
        assert hashlib.sha256(salt + marker.encode()).digest() == entry[-34:-2]
        # one sealed copy per enrolled auditor
        rows = dbpeek(s, "query", "SELECT auditor_id FROM audit_reason_seals "
                      "WHERE seq = %d ORDER BY auditor_id" % seq).decode()
        assert au1_id in rows and au2_id in rows and al_pending not in rows, rows
        assert rows.count("\n") == 2, rows
        plain = dbpeek(s, "query", "SELECT count(*) FROM audit_reasons WHERE "
                       "reason IS NOT NULL OR salt IS NOT NULL").decode()
        assert plain.strip() == "[0]", plain
        # an auditor created after the read holds no copy
        au3, _ = al.auditor(s, admin)
        e3 = [e for e in al.all_entries(s, au3, case_id=cid, action="case.read")][-1]
        assert "reason" not in e3 and e3["reason_sealed"] is True, e3
        # a copy is not deleted without the erasure (the trigger refuses)
        r = subprocess.run([DBPEEK, s.dir, s.passfile, "exec",
                            "DELETE FROM audit_reason_seals WHERE seq = %d" % seq],
                           capture_output=True, timeout=120)
        assert r.returncode != 0 and b"erasure" in r.stderr, r
        # erasure deletes every copy; the log is unchanged and verifies
        r = s.post("/audit/reasons/erase", {"seq": seq}, token=admin)
        assert r.status == 204, r
        n = dbpeek(s, "query", "SELECT count(*) FROM audit_reason_seals "
                   "WHERE seq = %d" % seq).decode()
        assert n.strip() == "[0]", n
        e1 = [e for e in al.all_entries(s, au1, case_id=cid, action="case.read")
              if e["seq"] == seq][0]
        assert "reason" not in e1 and e1["reason_erased"] is True, e1
        status, line = al.verify(al.export(s, au1), al.vkey(s, au1),
                                 [al.checkpoint(s, au1)])
        assert status == 0, line
    finally:
        s.cleanup()


def test_break_glass_needs_an_enrolled_auditor():
    """With no auditor to seal the reason to, a break-glass read is refused
    with 409 no-auditor (audited as denied) and nothing is read; an
    auditor who has not enrolled does not count; once one has, it works."""
    s = Server()
    try:
        admin = s.admin()
        cid = break_glass_case(s, admin, "noaud")
        coord = s.coord()
        h = {"X-Access-Reason": "urgent " + secrets.token_hex(3)}
        problem(s.get("/cases/" + cid, token=coord, headers=h), 409, "no-auditor")
        name = "au-late-" + secrets.token_hex(3)
        uid, first = s.create_user(admin, name, "auditor", enrol=False)
        problem(s.get("/cases/" + cid, token=coord, headers=h), 409, "no-auditor")
        pw = s.enrol(name, first)
        r = s.get("/cases/" + cid, token=coord, headers=h)
        assert r.status == 200 and r.json()["person"]["name"] == "P-noaud", r
        au = s.login(name, pw)
        reads = al.all_entries(s, au, case_id=cid, action="case.read")
        assert [e["outcome"] for e in reads] == ["denied", "denied", "allowed"], reads
        assert reads[-1]["reason"] == h["X-Access-Reason"]
        assert s.healthy()
    finally:
        s.cleanup()


def test_plain_reasons_are_sealed_at_start():
    """A database written before schema 0006 holds reasons in plain text.
    The next start seals them to the enrolled auditors and drops the text;
    the auditor still reads the reason, whose salt opens the commitment.
    (The old state is made by hand: the triggers that forbid it are dropped
    and put back through dbpeek.)"""
    s = Server()
    try:
        admin = s.admin()
        au_name = "au-legacy-" + secrets.token_hex(3)
        au, au_id = al.auditor(s, admin, name=au_name)
        cid = break_glass_case(s, admin, "legacy")
        marker = "LEGACY-REASON-" + secrets.token_hex(6)
        r = s.get("/cases/" + cid, token=s.coord(),
                  headers={"X-Access-Reason": marker})
        assert r.status == 200, r
        e = [x for x in al.all_entries(s, au, case_id=cid, action="case.read")][-1]
        seq, salt = e["seq"], base64.b64decode(e["reason_salt"])
        assert s.stop() == 0
        dbpeek(s, "exec",
               "DROP TRIGGER audit_reasons_only_erase;"
               "DROP TRIGGER audit_reason_seals_only_erased;"
               "UPDATE audit_reasons SET salt = X'%s', reason = X'%s' WHERE seq = %d;"
               "DELETE FROM audit_reason_seals;" % (salt.hex(), marker.encode().hex(), seq))
        sql = open(os.path.join(os.path.dirname(__file__), "..", "..", "schema",
                                "0006_sealed_reasons.sql")).read()
        for name in ("audit_reasons_only_erase", "audit_reason_seals_only_erased"):
            i = sql.index("CREATE TRIGGER " + name)
            dbpeek(s, "exec", sql[i:sql.index("END;", i) + 4])
        assert db_file_has(s, marker)          # the pre-0006 state
        s.start()
        assert "sealed 1 break-glass reasons" in s.stderr(), s.stderr()
        assert not db_file_has(s, marker)
        au = s.login(au_name, al.password(s, au_name))
        e = [x for x in al.all_entries(s, au, case_id=cid, action="case.read")
             if x["seq"] == seq][0]
        assert e["reason"] == marker and base64.b64decode(e["reason_salt"]) == salt, e
    finally:
        s.cleanup()


# --- grants name the grantee ----------------------------------------------------

VERIFY_PY = os.path.join(os.path.dirname(__file__), "..", "interop",
                         "audit_verify.py")


def have_py_crypto():
    r = subprocess.run([sys.executable, "-c", "import cryptography"],
                       capture_output=True)
    return r.returncode == 0


def test_grants_name_the_grantee():
    """case.assign, case.unassign and evacuation.add_case carry the other
    party in the signed entry: GET /audit shows it as subject_id, the
    export carries it in the entry bytes (extra 0x02 || type || len || id),
    both verifiers accept it, and the independent one prints "coordinator
    X gave caseworker Y access to case Z" from the export alone.
    Fails on the old code: the extra was empty, so no subject_id."""
    s = srv()
    admin = s.admin()
    au, _ = al.auditor(s, admin)
    users = {u["username"]: u["id"] for u in s.get("/users", token=admin).json()["users"]}
    coord_id = users["coord"]
    cw_id, _ = s.create_user(admin, "cw-grant-" + secrets.token_hex(3), "caseworker")
    coord = s.coord()
    r = s.post("/cases", {"risk": "low", "region": "South", "household_size": 1,
                          "person": {"name": "GRANT-MARKER"}}, token=coord)
    assert r.status == 201, r
    cid = r.json()["id"]
    r = s.post("/cases/%s/assignments" % cid, {"user_id": cw_id}, token=coord)
    assert r.status == 201, r
    assert s.request("DELETE", "/cases/%s/assignments/%s" % (cid, cw_id),
                     token=coord).status == 204
    r = s.post("/evacuations", {"details": {"route": "GRANT-ROUTE"}}, token=coord)
    assert r.status == 201, r
    eid = r.json()["id"]
    r = s.post("/evacuations/%s/cases" % eid, {"case_id": cid}, token=coord)
    assert r.status == 201, r

    got = al.all_entries(s, au, case_id=cid)
    a = [e for e in got if e["action"] == "case.assign"][-1]
    u = [e for e in got if e["action"] == "case.unassign"][-1]
    for e in (a, u):
        assert e["actor_id"] == coord_id and e["role"] == "coordinator", e
        assert e["object_type"] == "case" and e["object_id"] == cid, e
        assert e["subject_type"] == "user" and e["subject_id"] == cw_id, e
        assert e["outcome"] == "allowed", e
        assert base64.b64decode(e["extra"]) == b"\x02\x01" + bytes([len(cw_id)]) + cw_id.encode()
    add = [e for e in al.all_entries(s, au, action="evacuation.add_case")
           if e["object_id"] == eid][-1]
    assert add["object_type"] == "evacuation" and add["subject_type"] == "case"
    assert add["subject_id"] == cid and add["actor_id"] == coord_id, add
    # other entries carry no subject
    assert all("subject_id" not in e for e in got
               if e["action"] not in ("case.assign", "case.unassign"))

    # the signed bytes: both verifiers accept them, and the independent one
    # reads the grant from the export alone
    exp = al.export(s, au)
    status, line = al.verify(exp, al.vkey(s, au), [al.checkpoint(s, au)])
    assert status == 0, line
    if have_py_crypto():
        with tempfile.TemporaryDirectory(prefix="corridor-grants-") as d:
            ep, kp = os.path.join(d, "export"), os.path.join(d, "vkey")
            with open(ep, "wb") as f:
                f.write(exp)
            with open(kp, "w") as f:
                f.write(al.vkey(s, au) + "\n")
            r = subprocess.run([sys.executable, VERIFY_PY, "--grants", ep, kp],
                               capture_output=True, text=True, timeout=120)
            assert r.returncode == 0, r.stderr
            want = "case.assign outcome=1 actor=%s object=%s subject=%s" % (
                coord_id, cid, cw_id)
            assert any(want in line for line in r.stdout.splitlines()), r.stdout
            want = "evacuation.add_case outcome=1 actor=%s object=%s subject=%s" % (
                coord_id, eid, cid)
            assert any(want in line for line in r.stdout.splitlines()), r.stdout
    else:
        skip("the independent verifier", "no python3 'cryptography'")


def test_only_caseworkers_can_be_assigned():
    """A coordinator cannot give themselves (or another coordinator, an
    auditor or an admin) a case key: 422 invalid-assignee, nothing granted,
    and the refused attempt is in the log naming who was to be given it."""
    s = srv()
    admin = s.admin()
    au, au_id = al.auditor(s, admin)
    users = {u["username"]: u["id"] for u in s.get("/users", token=admin).json()["users"]}
    coord_id, admin_id = users["coord"], users["admin"]
    c2_id, _ = s.create_user(admin, "co-" + secrets.token_hex(3), "coordinator")
    coord = s.coord()
    r = s.post("/cases", {"risk": "low", "region": "East", "household_size": 1,
                          "person": {"name": "SELF-ASSIGN"}},
               token=coord)
    assert r.status == 201, r
    cid = r.json()["id"]
    for target in (coord_id, c2_id, au_id, admin_id):
        problem(s.post("/cases/%s/assignments" % cid, {"user_id": target},
                       token=coord), 422, "invalid-assignee")
    r = s.get("/cases?limit=500", token=coord)
    assert r.status == 200, r
    mine = [c for c in r.json()["cases"] if c["id"] == cid]
    assert len(mine) == 1 and mine[0]["assignees"] == [], mine
    got = [e for e in al.all_entries(s, au, case_id=cid, action="case.assign")]
    assert [e["subject_id"] for e in got[-4:]] == [coord_id, c2_id, au_id, admin_id]
    assert all(e["outcome"] != "allowed" for e in got[-4:]), got
    # an id that is not an id is not recorded, and nothing breaks
    problem(s.post("/cases/%s/assignments" % cid, {"user_id": "x y"},
                   token=coord), 422)
    r = s.request("DELETE", "/cases/%s/assignments/%s" % (cid, "%20bad"),
                  token=coord)
    assert r.status in (400, 404), r
    assert s.healthy()


# --- verification and tampering -------------------------------------------------

def fail_seq(line):
    m = re.search(r"FAILED at seq (\d+)", line)
    return int(m.group(1)) if m else None


def test_export_verifies_and_tampering_is_caught():
    s = srv()
    admin = s.admin()
    au, _ = al.auditor(s, admin)
    key = al.vkey(s, au)
    held_early = al.checkpoint(s, au)
    for i in range(12):
        s.get("/users", token=admin)
    exp = al.export(s, au)
    held_late = al.checkpoint(s, au)
    status, line = al.verify(exp, key, [held_early, held_late])
    assert status == 0 and line.startswith("audit verify: OK"), line
    header, body = al.export_lines(exp)
    n = sum(1 for kw, _ in body if kw == "entry")
    assert ("audit verify: OK, %d entries" % n) in line
    assert al.parse_checkpoint(held_late)[1] == n
    lines = exp.split(b"\n")

    def entry_index(seq):
        k = 0
        for i, (kw, _) in enumerate(body):
            if kw == "entry":
                if k == seq:
                    return i
                k += 1
        raise AssertionError(seq)

    # 1. any single byte of an entry, flipped
    target = n - 5
    for off in range(len(body[entry_index(target)][1])):
        b = list(body)
        raw = bytearray(b[entry_index(target)][1])
        raw[off] ^= 0x01
        b[entry_index(target)] = ("entry", bytes(raw))
        status, line = al.verify(al.build_export(header, b), key)
        assert status == 1, line
        got = fail_seq(line)
        # never after the entry; never before the last matching signed root
        assert got is not None and got <= target, (off, line)
    # 2. an entry deleted
    b = list(body)
    del b[entry_index(target)]
    status, line = al.verify(al.build_export(header, b), key)
    assert status == 1 and fail_seq(line) is not None and fail_seq(line) <= target, line
    # 3. two entries swapped
    b = list(body)
    i, j = entry_index(target - 1), entry_index(target)
    b[i], b[j] = b[j], b[i]
    status, line = al.verify(al.build_export(header, b), key)
    assert status == 1 and fail_seq(line) == target - 1, line
    # 4. truncated behind a held checkpoint: the export cut right after an
    #    earlier checkpoint is a valid shorter log, until the held one
    cut = max(i for i, (kw, _) in enumerate(body)
              if kw == "checkpoint" and al.parse_checkpoint(body[i][1])[1] < n)
    short = al.build_export(header, body[:cut + 1])
    short_n = al.parse_checkpoint(body[cut][1])[1]
    assert al.verify(short, key)[0] == 0
    status, line = al.verify(short, key, [held_late])
    assert status == 1 and fail_seq(line) == short_n and "truncated" in line, line
    # 5. a byte of the file itself, and a missing final newline
    assert al.verify(exp[:-1], key)[0] == 1
    assert al.verify(b"\n".join(lines[:3]) + b"\n", key)[0] == 1
    # 6. a forked history re-signed by another key (same origin)
    forged = forge_fork(exp, target)
    if forged is not None:
        fexp, fkey, fcp = forged
        assert al.verify(fexp, fkey)[0] == 0            # self-consistent
        status, line = al.verify(fexp, key)
        assert status == 1 and "FAILED at checkpoint" in line, line
        status, line = al.verify(exp, fkey)
        assert status == 1, line
        # pinning the forger's key does not help against held checkpoints
        status, line = al.verify(fexp, fkey, [held_late])
        assert status == 1 and "held checkpoint" in line, line
    # usage errors exit 2
    assert al.verify(exp, key, extra_args=["--bogus"])[0] == 2


def forge_fork(exp, seq):
    """The export with entry seq altered and every checkpoint re-signed by a
    fresh key of the same name, or None without the 'cryptography' package."""
    try:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
        from cryptography.hazmat.primitives import serialization
    except ImportError:
        skip("the fork forgery", "no python3 'cryptography'")
        return None
    header, body = al.export_lines(exp)
    origin = header[1][len("origin "):]
    sk = Ed25519PrivateKey.generate()
    pk = sk.public_key().public_bytes(serialization.Encoding.Raw,
                                      serialization.PublicFormat.Raw)
    kid = hashlib.sha256(origin.encode() + b"\n\x01" + pk).digest()[:4]
    vk = "%s+%s+%s" % (origin, kid.hex(), base64.b64encode(b"\x01" + pk).decode())

    def sign(size, root):
        text = "%s\n%d\n%s\n" % (origin, size, base64.b64encode(root).decode())
        sig = sk.sign(text.encode())
        return (text + "\n\u2014 %s %s\n" % (origin, base64.b64encode(kid + sig).decode())).encode()

    f, out, k, last = al.Frontier(), [], 0, None
    for kw, raw in body:
        if kw == "entry":
            if k == seq:
                # another actor: a byte of the actor id, still printable
                raw = bytearray(raw)
                assert raw[17] > 0, "the forged entry needs an actor"
                raw[18] = ord("A") if raw[18] != ord("A") else ord("B")
                raw = bytes(raw)
            f.append(al.leaf_hash(raw))
            out.append(("entry", raw))
            k += 1
        else:
            last = sign(f.size, f.root())
            out.append(("checkpoint", last))
    header = [header[0], header[1], "public-key " + vk]
    return al.build_export(header, out), vk, last


# --- rollback, rotation ---------------------------------------------------------

def copy_db(src_dir, dst_dir):
    os.makedirs(dst_dir, exist_ok=True)
    for name in os.listdir(src_dir):
        shutil.copy2(os.path.join(src_dir, name), os.path.join(dst_dir, name))


def test_rollback_at_rest_is_refused_and_detected():
    s = Server()
    try:
        admin = s.admin()
        au_tok, _ = al.auditor(s, admin, name="au-rollback")
        key = al.vkey(s, au_tok)
        assert s.stop() == 0
        old = os.path.join(s.tmp, "old")
        copy_db(s.dir, old)
        s.start()
        admin = s.admin()
        for _ in range(5):
            s.get("/users", token=admin)
        tok = s.login("au-rollback", al.password(s, "au-rollback"))
        al.export(s, tok)            # signs a checkpoint of the whole log
        held = al.checkpoint(s, tok)
        held_size = al.parse_checkpoint(held)[1]
        assert s.stop() == 0

        # the old database alone: its log is behind the checkpoint file
        shutil.copy2(os.path.join(old, "corridor.db"), os.path.join(s.dir, "corridor.db"))
        for suffix in ("-wal", "-shm"):
            p = os.path.join(s.dir, "corridor.db" + suffix)
            if os.path.exists(p):
                os.unlink(p)
        s.start(expect_fail=True)
        s.proc.wait(timeout=60)
        assert s.proc.returncode == 1, s.stderr()
        err = s.stderr().strip().splitlines()[-1]
        assert "refusing to start" in err and "rolled back" in err, err
        s.proc = None

        # the whole old data directory: the server cannot tell, the
        # auditor's held checkpoint does
        shutil.rmtree(s.dir)
        copy_db(old, s.dir)
        s.start()
        tok = s.login("au-rollback", al.password(s, "au-rollback"))
        exp = al.export(s, tok)
        assert al.verify(exp, key)[0] == 0
        status, line = al.verify(exp, key, [held])
        assert status == 1 and "truncated" in line, line
        n_old = int(re.search(r"ends after (\d+) entries", line).group(1))
        assert n_old < held_size and fail_seq(line) == n_old, line
        assert s.stop() == 0
    finally:
        s.cleanup()


def test_key_rotation_keeps_the_log_verifiable():
    s = Server(extra_args=["--checkpoint-interval", "1"])
    try:
        admin = s.admin()
        au, _ = al.auditor(s, admin, name="au-rotate")
        key0 = al.vkey(s, au)
        held0 = al.checkpoint(s, au)
        # never beside a running server: it holds the directory's lock
        r = subprocess.run([BIN, "audit", "rotate-key", s.dir, "--passphrase-file",
                            s.passfile], capture_output=True, text=True, timeout=120)
        assert r.returncode == 1 and "stop the server first" in r.stderr, r
        assert s.stop() == 0
        keys_before = open(os.path.join(s.dir, "audit-key"), "rb").read()
        db_keys_before = open(os.path.join(s.dir, "keys"), "rb").read()
        r = subprocess.run([BIN, "audit", "rotate-key", s.dir, "--passphrase-file",
                            s.passfile], capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        assert ("previous audit key " + key0) in r.stdout, r.stdout
        key1 = re.search(r"^audit key (\S+)$", r.stdout, re.M).group(1)
        assert key1 != key0 and key1.split("+")[0] == key0.split("+")[0]
        assert open(os.path.join(s.dir, "audit-key"), "rb").read() != keys_before
        # the signing key has a file of its own: K_db's is not touched
        assert open(os.path.join(s.dir, "keys"), "rb").read() == db_keys_before
        assert not os.path.exists(os.path.join(s.dir, "audit-key.rotate"))

        s.start()
        au = s.login("au-rotate", al.password(s, "au-rotate"))
        assert al.vkey(s, au) == key1
        for _ in range(3):
            s.get("/users", token=s.admin())
        held1 = al.checkpoint(s, au)
        exp = al.export(s, au)
        rot = al.all_entries(s, au, action="audit.key_rotate")
        assert len(rot) == 1 and rot[0]["actor_id"] is None and rot[0]["outcome"] == "allowed"
        extra = base64.b64decode(rot[0]["extra"])
        pk0 = base64.b64decode(key0.split("+", 2)[2])[1:]
        pk1 = base64.b64decode(key1.split("+", 2)[2])[1:]
        assert extra == b"\x01" + pk0 + b"\x01" + pk1
        # verifiable from the first key, through the handover
        status, line = al.verify(exp, key0, [held0, held1])
        assert status == 0 and "1 key rotation" in line, line
        # not from the new key alone: it signed nothing before the handover
        assert al.verify(exp, key1)[0] == 1
        # the handover: the first checkpoint covering the rotation entry is
        # the old key's (the seal), then the new key's of the same size
        header, body = al.export_lines(exp)
        seq_rot = rot[0]["seq"]
        cps = [raw for kw, raw in body if kw == "checkpoint"
               and al.parse_checkpoint(raw)[1] == seq_rot + 1]
        assert len(cps) >= 2
        kid0 = key0.split("+")[1]
        assert base64.b64decode(cps[0].split(b" ")[-1])[:4].hex() == kid0
        assert s.stop() == 0

        # an interrupted rotation: logged, but the new key file not in place
        shutil.copy2(os.path.join(s.dir, "audit-key"), os.path.join(s.dir, "audit-key.rotate"))
        r = subprocess.run([BIN, "audit", "rotate-key", s.dir, "--passphrase-file",
                            s.passfile], capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        key2 = re.search(r"^audit key (\S+)$", r.stdout, re.M).group(1)
        # (keys.rotate held the current key, which the log names: finished)
        assert "finished an interrupted" in r.stdout and key2 == key1, r.stdout
        # now a real second rotation, then put the previous wrap file back
        prev = open(os.path.join(s.dir, "audit-key"), "rb").read()
        r = subprocess.run([BIN, "audit", "rotate-key", s.dir, "--passphrase-file",
                            s.passfile], capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        key2 = re.search(r"^audit key (\S+)$", r.stdout, re.M).group(1)
        os.rename(os.path.join(s.dir, "audit-key"), os.path.join(s.dir, "audit-key.rotate"))
        with open(os.path.join(s.dir, "audit-key"), "wb") as f:
            f.write(prev)
        s.start(expect_fail=True)
        s.proc.wait(timeout=60)
        assert s.proc.returncode == 1
        assert "run it again to finish" in s.stderr(), s.stderr()
        s.proc = None
        r = subprocess.run([BIN, "audit", "rotate-key", s.dir, "--passphrase-file",
                            s.passfile], capture_output=True, text=True, timeout=120)
        assert r.returncode == 0 and "finished an interrupted" in r.stdout, r
        s.start()
        au = s.login("au-rotate", al.password(s, "au-rotate"))
        assert al.vkey(s, au) == key2
        exp = al.export(s, au)
        status, line = al.verify(exp, key0, [held0, held1, al.checkpoint(s, au)])
        assert status == 0 and "2 key rotations" in line, line
        assert s.stop() == 0
    finally:
        s.cleanup()


# --- concurrency ----------------------------------------------------------------

def test_concurrent_load_tree_size_is_exact():
    s = Server(extra_args=["--checkpoint-every", "50", "--checkpoint-interval", "1",
                           "--quiet"])
    try:
        admin = s.admin()
        au, _ = al.auditor(s, admin)
        coord = s.coord()
        cws = []
        for k in range(3):
            uid, pw = s.create_user(admin, "cw-load-%d" % k, "caseworker")
            cws.append(s.login("cw-load-%d" % k, pw))
        key = al.vkey(s, au)
        exp0 = al.export(s, au)
        n0 = sum(1 for kw, _ in al.export_lines(exp0)[1] if kw == "entry")
        # the export's own entry (seq n0) comes after it
        before = n0 + 1
        counts = []
        stop = threading.Event()
        errors = []

        def client(k):
            import http.client
            c = http.client.HTTPConnection("127.0.0.1", s.port, timeout=30)
            audited = unaudited = 0
            i = 0
            rnd = secrets.SystemRandom()
            while not stop.is_set():
                i += 1
                choice = rnd.randrange(10)
                hdr = {}
                path, method, body = "/users", "GET", None
                if choice == 0:
                    hdr["Authorization"] = "Bearer " + admin
                elif choice == 1:
                    hdr["Authorization"] = "Bearer " + coord
                elif choice == 2:
                    hdr["Authorization"] = "Bearer " + cws[k % 3]      # 403
                elif choice == 3:
                    hdr["Authorization"] = "Bearer " + au
                    path = "/audit?limit=5"
                elif choice == 4:
                    hdr["Authorization"] = "Bearer " + au
                    path = "/audit/checkpoint"
                elif choice == 5:
                    path = "/users"                                   # 401
                elif choice == 6:
                    hdr["Authorization"] = "Bearer " + au
                    path = "/audit/proof/consistency?from=1&to=2"
                elif choice == 7:
                    method, path = "POST", "/session"                 # 401/429
                    body = b'{"username":"nobody","password":"wrong-password"}'
                    hdr["Content-Type"] = "application/json"
                elif choice == 8:
                    hdr["Authorization"] = "Bearer " + admin
                    method, path = "POST", "/users"
                    body = ('{"username":"u-%d-%d","password":"a-long-password",'
                            '"role":"caseworker"}' % (k, i)).encode()
                    hdr["Content-Type"] = "application/json"
                else:
                    path = "/health" if i % 2 else "/me"              # unaudited
                    if path == "/me":
                        hdr["Authorization"] = "Bearer " + admin
                try:
                    c.request(method, "/api/v1" + path, body=body, headers=hdr)
                    r = c.getresponse()
                    r.read()
                except Exception as e:    # noqa: BLE001
                    errors.append(repr(e))
                    c.close()
                    c = http.client.HTTPConnection("127.0.0.1", s.port, timeout=30)
                    continue
                if path in ("/health", "/me"):
                    unaudited += 1
                elif choice in (5, 7):
                    anonymous[k] += 1   # counted, not an entry (issue 18)
                else:
                    audited += 1
                    if r.status == 503 and r.getheader("Retry-After") and \
                            path == "/users" and method == "GET":
                        errors.append("503 on a read")
            c.close()
            counts.append((audited, unaudited))

        anonymous = [0] * 8
        threads = [threading.Thread(target=client, args=(k,)) for k in range(8)]
        for t in threads:
            t.start()
        time.sleep(10)
        stop.set()
        for t in threads:
            t.join()
        assert not errors, errors[:5]
        audited = sum(a for a, _ in counts)
        assert audited > 200, counts
        exp = al.export(s, au)
        status, line = al.verify(exp, key)
        assert status == 0, line
        n = int(re.search(r"OK, (\d+) entries", line).group(1))
        # + the anonymous summaries written meanwhile (0 or 1: one a
        # minute), whose counts are checked after the restart below
        sums = sum(1 for e in al.all_entries(s, au)[before:n]
                   if e["action"] == "anonymous.summary")
        assert n == before + audited + sums, (n, before, audited, sums)
        print("  concurrency: %d audited requests, %d anonymous failures "
              "counted, in 10 s, tree %d -> %d" %
              (audited, sum(anonymous), before, n))
        assert s.stop() == 0
        s.start()
        au2, _ = al.auditor(s)
        counts = al.summary_counts(al.all_entries(s, au2)[before:])
        assert sum(counts.values()) == sum(anonymous), (counts, anonymous)
    finally:
        s.cleanup()


# --- fail closed ------------------------------------------------------------------

def test_fail_closed_when_the_log_cannot_be_written():
    """The data directory lives on a small tmpfs that we fill up: a real
    ENOSPC under SQLite, not a test hook in the server. Needs root (mount);
    skipped otherwise."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        skip("test_fail_closed_when_the_log_cannot_be_written",
             "needs root and mount(8) to mount a tmpfs")
        return
    base = os.path.join("/tmp", "corridor-fc-" + secrets.token_hex(4))
    os.makedirs(base)
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m,mode=0700", "tmpfs", base],
                      capture_output=True).returncode != 0:
        os.rmdir(base)
        skip("test_fail_closed_when_the_log_cannot_be_written",
             "cannot mount a tmpfs here")
        return
    s = None
    try:
        s = Server(datadir=os.path.join(base, "data"))
        admin = s.admin()
        au, _ = al.auditor(s, admin)
        key = al.vkey(s, au)
        users = s.get("/users", token=admin)
        assert users.status == 200
        n_before = sum(1 for kw, _ in al.export_lines(al.export(s, au))[1] if kw == "entry")
        # fill the file system
        filler = os.path.join(base, "filler")
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            while True:
                os.write(fd, b"\0" * 4096)
        except OSError:
            pass
        finally:
            os.close(fd)
        answered_503 = 0
        for i in range(40):
            r = s.get("/users", token=admin)
            if r.status == 503:
                answered_503 += 1
                p = problem(r, 503, "unavailable")
                assert b"username" not in r.body and "users" not in p
                assert r.header("Retry-After") == "1"
            else:
                assert r.status == 200, r
        assert answered_503 > 0, "the disk never filled up"
        # no data on a write either
        r = s.post("/users", {"username": "never-made", "password": "a-long-password",
                              "role": "caseworker"}, token=admin)
        assert r.status == 503 and b"never-made" not in r.body, r
        os.unlink(filler)
        # once there is room again, the server serves and the log verifies
        time.sleep(0.2)
        r = s.get("/users", token=admin)
        assert r.status == 200, r
        assert "never-made" not in [u["username"] for u in r.json()["users"]]
        exp = al.export(s, au)
        status, line = al.verify(exp, key)
        assert status == 0, line
        n_after = int(re.search(r"OK, (\d+) entries", line).group(1))
        # only answered requests are in the log: 40 reads - 503s, + the
        # export before, + the read after
        assert n_after == n_before + 1 + (40 - answered_503) + 1, \
            (n_before, n_after, answered_503)
        assert s.stop() == 0
    finally:
        if s is not None:
            s.stop()
        subprocess.run(["umount", base], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)
        if s is not None:
            shutil.rmtree(s.tmp, ignore_errors=True)


def test_docs_auditor_recipe():
    """The curl recipe of docs/audit.md section 9, run as written against
    this server (only the server address, the account and the pinned key
    filled in), twice: the second run holds two checkpoints."""
    if shutil.which("curl") is None or shutil.which("bash") is None:
        skip("test_docs_auditor_recipe", "no curl or bash")
        return
    s = srv()
    au, _ = al.auditor(s, name="au-recipe")
    key = al.vkey(s, au)
    doc = open(os.path.join(al.ROOT, "docs", "audit.md")).read()
    block = re.search(r"A recipe for bash with curl.*?```bash\n(.*?)```", doc,
                      re.S).group(1)
    assert "SERVER=https://corridor.example.org/api/v1" in block
    block = block.replace("SERVER=https://corridor.example.org/api/v1",
                          "SERVER=http://127.0.0.1:%d/api/v1" % s.port)
    block = block.replace("AUDITOR=auditor1", "AUDITOR=au-recipe")
    work = os.path.join(s.tmp, "recipe")
    os.mkdir(work)
    with open(os.path.join(work, "audit.pub"), "w") as f:
        f.write(key + "\n")
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(os.path.abspath(BIN)) + ":" + env["PATH"]
    for run_no in (1, 2):
        r = subprocess.run(["bash", "-euc", block], cwd=work, env=env,
                           input=al.password(s, "au-recipe") + "\n",
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, (r.stdout, r.stderr)
        assert "audit verify: OK" in r.stdout, r.stdout
        assert len(os.listdir(os.path.join(work, "held"))) == run_no
        assert not os.path.exists(os.path.join(work, "auth.hdr"))
        time.sleep(1.1)     # the next held file gets another name


def test_zz_shutdown_is_clean():
    global S
    if S is not None:
        assert S.stop() == 0
        # the shutdown checkpoint is in the file, and it verifies
        cp = open(os.path.join(S.dir, "audit-checkpoint"), "rb").read()
        assert al.parse_checkpoint(cp)[1] > 0
        S.cleanup()
        S = None


def test_auditor_keeps_reasons_across_a_password_change():
    """Every password change makes a new key pair; the auditor's sealed
    copies are re-sealed to it in the same transaction, so the reason
    still opens after the change, and the stored copy is a new blob.
    Fails without the re-seal: the auditor reads reason_sealed."""
    s = Server()
    try:
        admin = s.admin()
        name = "au-rekey-" + secrets.token_hex(3)
        au, au_id = al.auditor(s, admin, name=name)
        cid = break_glass_case(s, admin, "rekey")
        marker = "REKEYED-REASON-" + secrets.token_hex(6)
        r = s.get("/cases/" + cid, token=s.coord(),
                  headers={"X-Access-Reason": marker})
        assert r.status == 200, r
        e = [e for e in al.all_entries(s, au, case_id=cid,
                                       action="case.read")][-1]
        assert e["reason"] == marker, e
        q = ("SELECT hex(sealed) FROM audit_reason_seals WHERE seq = %d "
             "AND auditor_id = '%s'" % (e["seq"], au_id))
        before = dbpeek(s, "query", q)
        new = "fresh-" + secrets.token_hex(12)
        r = s.request("PUT", "/me/password",
                      {"old_password": al.password(s, name),
                       "new_password": new}, token=au)
        assert r.status == 204, r
        au = s.login(name, new)
        e2 = [x for x in al.all_entries(s, au, case_id=cid, action="case.read")
              if x["seq"] == e["seq"]][0]
        assert e2.get("reason") == marker, e2
        assert dbpeek(s, "query", q) != before
        assert s.stop() == 0
    finally:
        s.cleanup()


if __name__ == "__main__":
    run([test_every_path_is_recorded, test_init_entries_and_printed_key,
         test_audit_routes_are_for_auditors_only, test_listing_filters_and_paging,
         test_listing_by_time,
         test_checkpoint_key_and_proofs, test_reason_erase_route,
         test_break_glass_reason_shown_then_erased,
         test_grants_name_the_grantee, test_only_caseworkers_can_be_assigned,
         test_break_glass_reason_is_sealed_to_auditors,
         test_auditor_keeps_reasons_across_a_password_change,
         test_break_glass_needs_an_enrolled_auditor,
         test_plain_reasons_are_sealed_at_start,
         test_export_verifies_and_tampering_is_caught,
         test_rollback_at_rest_is_refused_and_detected,
         test_key_rotation_keeps_the_log_verifiable,
         test_concurrent_load_tree_size_is_exact,
         test_fail_closed_when_the_log_cannot_be_written,
         test_docs_auditor_recipe, test_zz_shutdown_is_clean])
