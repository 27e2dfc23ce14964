#!/usr/bin/env python3
# SPDX-License-Identifier: AGPL-3.0-or-later
""""Have we seen this person before?" (issue 15 part 2) against the real
binary: POST /cases/lookup by phone and by name (Cyrillic and Latin
spellings meet), answers that carry only a codename and whom to ask, the
phone-match warning beside a case creation's 201, re-indexing on update,
nothing left after a shred, no term in the database, the log or the audit
entry, bad input, who may ask, the per-account rate limit (429 with
Retry-After), and the index key: a missing index-key is made anew and a
coordinator's POST /cases/reindex fills the index again; an altered one
stops the server."""
import atexit
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import BIN, Server, problem, run  # noqa: E402

DBPEEK = os.environ.get("CORRIDOR_DBPEEK", "build/tests/api/dbpeek")
LOOKUP_BURST = 10           # server/limits.h; each account here spends
                            # fewer than that outside test_rate_limit

S = None
T = {}

PHONE_A = "+7 (928) 555-01-23"
PHONE_A_OTHER = "8 928 555 01 23"       # the same number, typed otherwise
NAME_A = "Ахмед Дудаев"


def srv():
    global S
    if S is None:
        S = Server()
        T["admin"] = S.admin()
        T["coord"] = S.coord()
        for name, role in (("cw-a", "caseworker"), ("cw-b", "caseworker"),
                           ("cw-r", "caseworker"), ("aud", "auditor")):
            # the auditor only needs to be refused: no enrolment (a login
            # is ~0.6 s of Argon2id)
            uid, pw = S.create_user(T["admin"], name, role,
                                    enrol=role != "auditor")
            T[name + "-id"] = uid
            T[name] = S.login(name, pw)
    return S


def peek(s, *args):
    out = subprocess.run([DBPEEK, s.dir, s.passfile] + list(args),
                         capture_output=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.decode()


def query(s, sql):
    return [json.loads(l) for l in peek(s, "query", sql).splitlines() if l]


def new_case(s, tok, person):
    r = s.post("/cases", {"risk": "high", "region": "Chechnya",
                          "household_size": 1, "person": person,
                          "notes": "n"}, token=tok)
    assert r.status == 201, r
    return r.json()


def lookup(s, body, tok=None):
    return s.post("/cases/lookup", body, token=tok or T["cw-b"])


def expect(r, codenames):
    """A 200 whose matches are exactly these codenames; nothing else in
    the answer: no id, no content."""
    assert r.status == 200, r
    b = r.json()
    assert set(b) == {"match", "matches", "more"}, b
    assert b["match"] == bool(codenames) and b["more"] is False, b
    for m in b["matches"]:
        assert set(m) == {"codename", "ask"}, m
    assert sorted(m["codename"] for m in b["matches"]) == sorted(codenames), b
    return b


def test_match_and_no_match():
    s = srv()
    a = new_case(s, T["cw-a"], {"name": NAME_A, "phone": PHONE_A,
                                "location": "a safe house"})
    T["case-a"] = a
    # another caseworker, not assigned: the phone, typed another way
    b = expect(lookup(s, {"phone": PHONE_A_OTHER}), [a["codename"]])
    # a caseworker's case: "ask a coordinator", never the caseworker
    assert b["matches"][0]["ask"] is None, b
    for name in ("Akhmed Dudaev", "Dudaev Ahmed", "ахмед  ДУДАЕВ"):
        expect(lookup(s, {"name": name}), [a["codename"]])
    expect(lookup(s, {"name": "Магомед Дудаев"}), [])
    expect(lookup(s, {"phone": "+7 928 555 01 24"}), [])
    # a coordinator's case names the coordinator to ask
    c = new_case(s, T["coord"], {"name": "Rustam Ilyasov",
                                 "phone": ["+49 30 1234567"]})
    b = expect(lookup(s, {"name": "Рустам Ильясов"}), [c["codename"]])
    assert b["matches"][0]["ask"] == "coord", b
    # a coordinator may ask too
    expect(lookup(s, {"phone": "0049301234567"}, tok=T["coord"]),
           [c["codename"]])


def test_create_warns_on_a_known_phone():
    s = srv()
    a = T["case-a"]
    r = s.post("/cases", {"risk": "low", "region": "Chechnya",
                          "person": {"name": "Someone", "phone": PHONE_A_OTHER},
                          "notes": ""}, token=T["cw-b"])
    assert r.status == 201, r
    w = r.json()["warnings"]
    assert w == [{"type": "phone-match", "more": False,
                  "matches": [{"codename": a["codename"], "ask": None}]}], w
    assert "person" in r.json() and r.json()["codename"] != a["codename"]
    T["case-b"] = r.json()
    # a new number: no warnings member at all
    r = s.post("/cases", {"risk": "low", "region": "Chechnya",
                          "person": {"name": "Nobody", "phone": "+7 928 555 77 00"},
                          "notes": ""}, token=T["cw-b"])
    assert r.status == 201 and "warnings" not in r.json(), r
    # a name alone is not checked at creation (names collide; phones do not)
    r = s.post("/cases", {"risk": "low", "region": "Chechnya",
                          "person": {"name": NAME_A}, "notes": ""},
                          token=T["cw-b"])
    assert r.status == 201 and "warnings" not in r.json(), r


def test_update_reindexes():
    s = srv()
    b = T["case-b"]
    old = "+7 928 555 01 23"
    expect(lookup(s, {"phone": old}, T["coord"]), [T["case-a"]["codename"], b["codename"]])
    r = s.request("PATCH", "/cases/" + b["id"],
                  {"person": {"name": "Someone", "aliases": "Zelimkhan",
                              "phone": "+7 928 555 99 99"}}, token=T["cw-b"])
    assert r.status == 200, r
    expect(lookup(s, {"phone": old}, T["coord"]), [T["case-a"]["codename"]])
    expect(lookup(s, {"phone": "89285559999"}, T["coord"]), [b["codename"]])
    expect(lookup(s, {"name": "Зелимхан"}, T["coord"]), [b["codename"]])
    # a PATCH without person leaves the index as it was
    r = s.request("PATCH", "/cases/" + b["id"], {"risk": "high"},
                  token=T["cw-b"])
    assert r.status == 200, r
    expect(lookup(s, {"phone": "89285559999"}, T["coord"]), [b["codename"]])


def test_shred_leaves_no_index():
    s = srv()
    c = new_case(s, T["cw-a"], {"name": "Shred Me", "phone": "+7 928 555 66 66"})
    expect(lookup(s, {"phone": "+79285556666"}, tok=T["cw-a"]),
           [c["codename"]])
    r = s.post("/cases/%s/shred" % c["id"], token=T["coord"])
    assert r.status == 204, r
    expect(lookup(s, {"phone": "+79285556666"}, tok=T["cw-a"]), [])
    rows = query(s, "SELECT count(*) FROM case_blind WHERE case_id = '%s'"
                 % c["id"])
    assert rows == [[0]], rows


def test_no_term_stored_logged_or_audited():
    s = srv()
    term = "Уникальныйтермин"
    expect(lookup(s, {"name": term}, T["cw-a"]), [])
    # the table holds only kinds, 32-byte hashes and case ids
    rows = query(s, "SELECT DISTINCT typeof(value), length(value), kind"
                 " FROM case_blind")
    assert rows and all(r[0] == "blob" and r[1] == 32 and r[2] in (0, 1, 2)
                        for r in rows), rows
    dump = peek(s, "dump")
    for t in ("79285550123", "akhmed", "ahmed", "ахмед", "dudaev", term):
        assert t not in dump.lower(), t
    log = s.stderr()
    for t in ("79285550123", "5550123", "Ахмед", "Akhmed", term):
        assert t not in log, t
    acts = [json.loads(l) for l in peek(s, "audit").splitlines() if l]
    lk = [e for e in acts if e["action"] == "case.lookup"]
    assert lk and all(e["object_id"] is None for e in lk), lk[:3]
    assert any(e["actor_id"] == T["cw-a-id"] and e["outcome"] == "allowed"
               for e in lk)


def test_bad_input():
    s = srv()
    tok = T["cw-a"]
    for body in ({}, {"phone": "+79285550123", "name": "Akhmed"},
                 {"phone": 79285550123}, {"name": ["Akhmed"]},
                 {"name": ""}, {"phone": ""}, {"name": "x" * 257},
                 {"phone": "1" * 65}, {"name": "Akhmed", "extra": 1},
                 {"name": "bad\u0001name"}):
        problem(lookup(s, body, tok), 422, "invalid-body")
    for body in ({"phone": "12345"}, {"phone": "call me maybe"},
                 {"phone": "+7 928 555 01 23 ext 4"}, {"name": "---"}):
        problem(lookup(s, body, tok), 422, "invalid-term")
    r = s.request("POST", "/cases/lookup", raw=b'{"name": "Akh',
                  token=tok, content_type="application/json")
    assert r.status == 400, r
    r = s.request("POST", "/cases/lookup", raw=b'{"name":"a","name":"b"}',
                  token=tok, content_type="application/json")
    assert r.status == 400, r
    assert s.healthy()


def test_who_may_ask():
    s = srv()
    for who in ("admin", "aud"):
        problem(lookup(s, {"phone": PHONE_A}, T[who]), 403)
    problem(s.post("/cases/lookup", {"phone": PHONE_A}), 401)
    problem(s.post("/cases/lookup", {"phone": PHONE_A},
                   token="A" * 43), 401)
    problem(s.post("/cases/reindex", token=T["cw-a"]), 403)
    # the term never travels in a URL: no GET form exists
    r = s.get("/cases/lookup?phone=79285550123", token=T["cw-a"])
    assert r.status in (400, 404, 405), r


def test_rate_limit():
    s = srv()
    tok = T["cw-r"]
    for i in range(LOOKUP_BURST):
        r = lookup(s, {"phone": "+7 928 000 00 %02d" % i}, tok)
        assert r.status == 200, (i, r)
    r = lookup(s, {"phone": "+7 928 000 00 99"}, tok)
    problem(r, 429, "rate-limited")
    ra = r.header("Retry-After")
    assert ra is not None and 1 <= int(ra) <= 61, ra
    # malformed terms do not spend tokens but are no way round it
    problem(lookup(s, {"phone": "12"}, tok), 422, "invalid-term")
    problem(lookup(s, {"name": "Akhmed"}, tok), 429, "rate-limited")
    # a creation's check is a lookup too: skipped, and said so
    r = s.post("/cases", {"risk": "low", "region": "Chechnya",
                          "person": {"phone": "+7 928 000 00 98"},
                          "notes": ""}, token=tok)
    assert r.status == 201, r
    assert r.json()["warnings"] == [{"type": "phone-not-checked"}], r.json()
    # another account is not affected
    expect(lookup(s, {"phone": "+7 928 000 00 99"}, T["cw-a"]), [])
    acts = [json.loads(l) for l in peek(s, "audit").splitlines() if l]
    assert any(e["action"] == "case.lookup" and e["outcome"] == "denied" and
               e["actor_id"] == T["cw-r-id"] for e in acts)


def test_new_index_key_and_reindex():
    global S
    s = srv()
    a = T["case-a"]
    assert s.stop() == 0, s.stderr()[-2000:]
    os.unlink(os.path.join(s.dir, "index-key"))
    s.start()
    assert "created index-key" in s.stderr()
    assert os.stat(os.path.join(s.dir, "index-key")).st_mode & 0o777 == 0o600
    # a restart logs everyone out
    T["coord"] = s.coord()
    # every old index row was under the old key: dropped at start
    assert query(s, "SELECT count(*) FROM case_blind") == [[0]]
    expect(lookup(s, {"phone": PHONE_A}, T["coord"]), [])
    r = s.post("/cases/reindex", token=T["coord"])
    assert r.status == 200, r
    assert r.json()["indexed"] >= 5 and r.json()["remaining"] == 0, r.json()
    expect(lookup(s, {"phone": PHONE_A}, T["coord"]), [a["codename"]])
    r = s.post("/cases/reindex", token=T["coord"])
    assert r.status == 200 and r.json() == {"indexed": 0, "remaining": 0}, r
    acts = [json.loads(l) for l in peek(s, "audit").splitlines() if l]
    assert any(e["action"] == "case.reindex" and e["outcome"] == "allowed"
               for e in acts)


def test_index_key_follows_a_new_signing_passphrase():
    """audit rotate-key with a signing passphrase of its own: index-key
    follows it, so the server starts with the new passphrase and keeps
    every index row (a stale key would drop them all)."""
    s = srv()
    before = query(s, "SELECT count(*) FROM case_blind")[0][0]
    assert before > 0
    assert s.stop() == 0
    newpass = os.path.join(s.tmp, "signing-passphrase")
    with open(newpass, "w") as f:
        f.write("sign-" + Server.random_password("x"))
    os.chmod(newpass, 0o600)
    r = subprocess.run([BIN, "audit", "rotate-key", s.dir, "--passphrase-file",
                        s.passfile, "--new-signing-passphrase-file", newpass],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    s.extra_args = ["--signing-passphrase-file", newpass]
    s.start()
    assert "created index-key" not in s.stderr()
    assert query(s, "SELECT count(*) FROM case_blind")[0][0] == before
    T["coord"] = s.coord()
    expect(lookup(s, {"phone": PHONE_A}, T["coord"]),
           [T["case-a"]["codename"]])


def test_altered_index_key_stops_the_server():
    s = srv()
    assert s.stop() == 0
    path = os.path.join(s.dir, "index-key")
    with open(path, "rb") as f:
        good = f.read()
    bad = bytearray(good)
    bad[-1] ^= 1
    with open(path, "wb") as f:
        f.write(bad)
    s.start(expect_fail=True)
    s.proc.wait(timeout=60)
    assert s.proc.returncode != 0
    assert "index-key" in s.stderr()
    with open(path, "wb") as f:
        f.write(good)
    s.start()
    assert s.healthy()


def test_clean_shutdown():
    """Last: the shared server stops cleanly (no leak under ASan)."""
    global S
    s = srv()
    assert s.stop() == 0, s.stderr()[-2000:]
    s.cleanup()
    S = None


def cleanup():
    if S is not None:
        S.cleanup()


if __name__ == "__main__":
    atexit.register(cleanup)
    run([test_match_and_no_match, test_create_warns_on_a_known_phone,
         test_update_reindexes, test_shred_leaves_no_index,
         test_no_term_stored_logged_or_audited, test_bad_input,
         test_who_may_ask, test_rate_limit, test_new_index_key_and_reindex,
         test_index_key_follows_a_new_signing_passphrase,
         test_altered_index_key_stops_the_server, test_clean_shutdown])
