# SPDX-License-Identifier: AGPL-3.0-or-later
"""Evacuations against the real binary: creating, staging and reading
them; adding cases, which wraps K_evac to the cases' caseworkers; a
caseworker sees only evacuations holding one of their cases, and in them
only their own cases; K_evac rotates when a caseworker loses their last
member case (unassigned, shredded or revoked); bad input; the audit
entries. Every bad request is followed by a health check."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import Server, problem, run  # noqa: E402
from test_cases import audit_rows, peek  # noqa: E402

DETAILS = {"route": "Nazran - Vladikavkaz - Moscow (MARKER-ROUTE)",
           "transport": "car, then train 112",
           "dates": {"depart": "2024-04-02"},
           "safe_house": "MARKER-SAFEHOUSE ul. Lenina 1"}
EVAC_KEYS = {"id", "codename", "stage", "case_ids", "key_version",
             "created_at", "updated_at"}

S = None
T = {}


def srv():
    global S
    if S is None:
        S = Server()
        T["admin"] = S.admin()
        T["coord"] = S.coord()
        T["coord-id"] = S.get("/me", token=T["coord"]).json()["id"]
        for name, role in (("cw-a", "caseworker"), ("cw-b", "caseworker"),
                           ("aud", "auditor")):
            uid, pw = S.create_user(T["admin"], name, role)
            T[name + "-id"] = uid
            T[name] = S.login(name, pw)
    return S


def new_case(s, tok):
    r = s.post("/cases", {"risk": "critical", "region": "Chechnya",
                          "person": {"name": "P"}}, token=tok)
    assert r.status == 201, r
    return r.json()["id"]


def new_evac(s, details=DETAILS, **kw):
    body = {"details": details}
    body.update(kw)
    r = s.post("/evacuations", body, token=T["coord"])
    assert r.status == 201, r
    return r.json()


def add(s, eid, cid):
    return s.post("/evacuations/%s/cases" % eid, {"case_id": cid},
                  token=T["coord"])


def patch(s, path, body, tok):
    return s.request("PATCH", path, body=body, token=tok)


def test_create_and_read():
    s = srv()
    e = new_evac(s)
    assert set(e) == EVAC_KEYS | {"details"}, e
    assert e["stage"] == "planned" and e["case_ids"] == []
    assert e["details"] == DETAILS and e["key_version"] == 1
    assert len(e["id"]) == 22 and e["codename"].count("-") == 2
    r = s.get("/evacuations/" + e["id"], token=T["coord"])
    assert r.status == 200 and r.json() == e, r
    f = new_evac(s, {"note": "x"}, stage="in_progress")
    assert f["stage"] == "in_progress"
    lst = s.get("/evacuations", token=T["coord"]).json()
    assert set(lst) == {"evacuations", "next"}
    ids = [x["id"] for x in lst["evacuations"]]
    assert e["id"] in ids and f["id"] in ids
    for x in lst["evacuations"]:
        assert set(x) == EVAC_KEYS, x     # no details in a listing
    assert b"MARKER" not in s.get("/evacuations", token=T["coord"]).body


def test_caseworkers_see_only_their_evacuations():
    s = srv()
    a, b = T["cw-a"], T["cw-b"]
    ca, cb = new_case(s, a), new_case(s, b)
    ca2 = new_case(s, a)
    e_a, e_b, e_ab = new_evac(s), new_evac(s), new_evac(s)
    assert add(s, e_a["id"], ca).status == 201
    assert add(s, e_b["id"], cb).status == 201
    assert add(s, e_ab["id"], ca2).status == 201
    r = add(s, e_ab["id"], new_case(s, b))
    assert r.status == 201 and len(r.json()["case_ids"]) == 2, r
    la = {x["id"]: x for x in s.get("/evacuations", token=a).json()["evacuations"]}
    lb = {x["id"]: x for x in s.get("/evacuations", token=b).json()["evacuations"]}
    assert e_a["id"] in la and e_ab["id"] in la and e_b["id"] not in la
    assert e_b["id"] in lb and e_ab["id"] in lb and e_a["id"] not in lb
    # in a shared evacuation each sees only their own case ids
    assert la[e_ab["id"]]["case_ids"] == [ca2]
    assert cb not in json.dumps(la)
    # details through their own wrap
    r = s.get("/evacuations/" + e_ab["id"], token=a)
    assert r.status == 200 and r.json()["details"] == DETAILS, r
    assert r.json()["case_ids"] == [ca2]
    # someone else's evacuation, or one with no case of theirs: 404
    problem(s.get("/evacuations/" + e_b["id"], token=a), 404, "not-found")
    empty = new_evac(s)
    problem(s.get("/evacuations/" + empty["id"], token=a), 404)
    assert s.get("/evacuations/" + e_b["id"], token=a).body == \
        s.get("/evacuations/" + "E" * 22, token=a).body
    # caseworkers do not manage evacuations
    problem(s.post("/evacuations", {"details": {}}, token=a), 403)
    problem(patch(s, "/evacuations/" + e_a["id"], {"stage": "aborted"}, a), 403)
    problem(s.post("/evacuations/%s/cases" % e_a["id"], {"case_id": ca},
                   token=a), 403)
    # the coordinator sees every case id
    r = s.get("/evacuations/" + e_ab["id"], token=T["coord"])
    assert len(r.json()["case_ids"]) == 2
    assert s.healthy()


def test_case_membership_shows_on_the_case():
    s = srv()
    cid = new_case(s, T["cw-a"])
    e = new_evac(s)
    add(s, e["id"], cid)
    c = s.get("/cases/" + cid, token=T["cw-a"]).json()
    assert c["evacuation_id"] == e["id"]
    problem(add(s, e["id"], cid), 409, "in-evacuation")
    problem(add(s, new_evac(s)["id"], cid), 409, "in-evacuation")


def test_add_case_validation():
    s = srv()
    e = new_evac(s)
    eid = e["id"]
    co = T["coord"]
    path = "/evacuations/%s/cases" % eid
    problem(s.post(path, {"case_id": "C" * 22}, token=co), 404)
    for body in ({}, {"case_id": "x"}, {"case_id": 3},
                 {"case_id": "C" * 22, "x": 1}):
        problem(s.post(path, body, token=co), 422)
    problem(s.post("/evacuations/%s/cases" % ("E" * 22), {"case_id": "C" * 22},
                   token=co), 404)
    gone = new_case(s, T["cw-a"])
    assert s.post("/cases/%s/shred" % gone, token=co).status == 204
    problem(s.post(path, {"case_id": gone}, token=co), 410, "shredded")
    assert s.get("/evacuations/" + eid, token=co).json()["case_ids"] == []
    assert s.healthy()


def test_patch():
    s = srv()
    e = new_evac(s)
    eid, co = e["id"], T["coord"]
    r = patch(s, "/evacuations/" + eid, {"stage": "in_progress"}, co)
    assert r.status == 200 and r.json()["stage"] == "in_progress", r
    assert r.json()["details"] == DETAILS
    nd = {"route": "changed", "safe_house": "MARKER-SAFEHOUSE-2"}
    r = patch(s, "/evacuations/" + eid, {"details": nd, "stage": "completed"}, co)
    assert r.status == 200 and r.json()["details"] == nd, r
    assert r.json()["stage"] == "completed"
    for body in ({}, {"stage": "done"}, {"stage": 1}, {"details": "x"},
                 {"details": []}, {"x": 1}, {"codename": "mine"},
                 {"details": {"a": {"b": {"c": {"d": {}}}}}},
                 {"details": {"k%d" % i: "v" * 300 for i in range(60)}}):
        problem(patch(s, "/evacuations/" + eid, body, co), 422)
    assert s.get("/evacuations/" + eid, token=co).json()["details"] == nd
    for body in ({"details": "x"}, {"details": {}, "stage": "unknown"}, {},
                 {"stage": "planned"}):
        problem(s.post("/evacuations", body, token=co), 422)
    problem(patch(s, "/evacuations/" + "E" * 22, {"stage": "aborted"}, co), 404)
    assert s.healthy()


def versions(s, eid):
    return s.get("/evacuations/" + eid, token=T["coord"]).json()["key_version"]


def test_assignment_follows_into_the_evacuation():
    s = srv()
    a, b, co = T["cw-a"], T["cw-b"], T["coord"]
    cid = new_case(s, a)
    e = new_evac(s)
    eid = e["id"]
    add(s, eid, cid)
    problem(s.get("/evacuations/" + eid, token=b), 404)
    # assigning b to a member case wraps K_evac to b
    r = s.post("/cases/%s/assignments" % cid, {"user_id": T["cw-b-id"]}, token=co)
    assert r.status == 201, r
    r = s.get("/evacuations/" + eid, token=b)
    assert r.status == 200 and r.json()["details"] == DETAILS, r
    assert versions(s, eid) == 1
    # unassigning b: b loses the evacuation and K_evac rotates
    assert s.request("DELETE", "/cases/%s/assignments/%s" % (cid, T["cw-b-id"]),
                     token=co).status == 204
    problem(s.get("/evacuations/" + eid, token=b), 404)
    assert eid not in [x["id"] for x in
                       s.get("/evacuations", token=b).json()["evacuations"]]
    assert versions(s, eid) == 2
    r = s.get("/evacuations/" + eid, token=a)
    assert r.status == 200 and r.json()["details"] == DETAILS
    wraps = [json.loads(l) for l in peek(s, "query",
             "SELECT recipient_id, key_version FROM evac_keys WHERE "
             "evacuation_id = '%s'" % eid).splitlines()]
    assert sorted(w[0] for w in wraps) == sorted(["org", T["cw-a-id"]])
    assert all(w[1] == 2 for w in wraps)


def test_shredding_the_last_case_rotates():
    s = srv()
    a, co = T["cw-a"], T["coord"]
    cid = new_case(s, a)
    e = new_evac(s)
    add(s, e["id"], cid)
    assert s.get("/evacuations/" + e["id"], token=a).status == 200
    assert s.post("/cases/%s/shred" % cid, token=co).status == 204
    problem(s.get("/evacuations/" + e["id"], token=a), 404)
    assert versions(s, e["id"]) == 2
    # the tombstone stays a member for the coordinator's record
    assert s.get("/evacuations/" + e["id"], token=co).json()["case_ids"] == [cid]


def test_revocation_rotates_evacuations():
    s = srv()
    admin, co = T["admin"], T["coord"]
    v_id, v_pw = s.create_user(admin, "cw-v", "caseworker")
    w_id, w_pw = s.create_user(admin, "cw-w", "caseworker")
    v, w = s.login("cw-v", v_pw), s.login("cw-w", w_pw)
    cv, cw = new_case(s, v), new_case(s, w)
    e1, e2 = new_evac(s), new_evac(s)
    add(s, e1["id"], cv)
    add(s, e2["id"], cw)
    s.post("/cases/%s/assignments" % cw, {"user_id": T["cw-a-id"]}, token=co)
    assert s.get("/evacuations/" + e1["id"], token=v).status == 200
    # a coordinator revokes v: K_evac of e1 rotates at once
    assert s.post("/users/%s/revoke" % v_id, token=co).status == 200
    assert versions(s, e1["id"]) == 2
    # an admin revokes w: w's wrap goes now, the rotation waits
    assert s.post("/users/%s/revoke" % w_id, token=admin).status == 200
    n = peek(s, "query", "SELECT rotate_pending, key_version, (SELECT count(*)"
             " FROM evac_keys WHERE recipient_id = '%s') FROM evacuations "
             "WHERE id = '%s'" % (w_id, e2["id"]))
    assert json.loads(n) == [1, 1, 0], n
    # the next holder to open it rotates it. GET /evacuations/{id} runs on
    # a libmicrohttpd worker, which must not wait for the write lock: the
    # attempt is dropped there, unaudited, and runs again on a dispatch
    # thread. One entry, not two.
    before = len(audit_rows(s))
    r = s.get("/evacuations/" + e2["id"], token=T["cw-a"])
    assert r.status == 200 and r.json()["key_version"] == 2, r
    assert r.json()["details"] == DETAILS
    new = audit_rows(s)[before:]
    assert [(x["action"], x["outcome"]) for x in new] == \
        [("evacuation.read", "allowed")], new


def test_auditors_and_admins():
    s = srv()
    e = new_evac(s)
    for tok in (T["aud"], T["admin"]):
        for r in (s.get("/evacuations", token=tok),
                  s.get("/evacuations/" + e["id"], token=tok),
                  patch(s, "/evacuations/" + e["id"], {"stage": "aborted"}, tok),
                  s.post("/evacuations/%s/cases" % e["id"],
                         {"case_id": "C" * 22}, token=tok)):
            problem(r, 403, "forbidden")
            assert b"MARKER" not in r.body


def test_paging():
    s = srv()
    made = {new_evac(s)["id"] for _ in range(5)}
    seen, after = [], ""
    while True:
        r = s.get("/evacuations?limit=2" + ("&after=" + after if after else ""),
                  token=T["coord"])
        assert r.status == 200, r
        seen += [x["id"] for x in r.json()["evacuations"]]
        after = r.json()["next"]
        if not after:
            break
    assert made <= set(seen) and seen == sorted(set(seen))
    for q in ("limit=0", "after=bad", "x=1"):
        problem(s.get("/evacuations?" + q, token=T["coord"]), 400)


def test_every_evacuation_call_is_audited():
    s = srv()
    a, co = T["cw-a"], T["coord"]
    a_id, co_id = T["cw-a-id"], T["coord-id"]
    cid = new_case(s, a)
    start = len(audit_rows(s))
    eid = new_evac(s)["id"]
    expect = [("evacuation.create", co_id, "allowed", eid)]
    s.get("/evacuations", token=co)
    expect.append(("evacuation.list", co_id, "allowed", None))
    s.get("/evacuations/" + eid, token=a)
    expect.append(("evacuation.read", a_id, "denied", eid))
    add(s, eid, cid)
    expect.append(("evacuation.add_case", co_id, "allowed", eid))
    s.get("/evacuations/" + eid, token=a)
    expect.append(("evacuation.read", a_id, "allowed", eid))
    patch(s, "/evacuations/" + eid, {"stage": "aborted"}, co)
    expect.append(("evacuation.update", co_id, "allowed", eid))
    patch(s, "/evacuations/" + eid, {"stage": "nope"}, co)
    expect.append(("evacuation.update", co_id, "error", eid))
    patch(s, "/evacuations/" + eid, {"stage": "aborted"}, a)
    expect.append(("evacuation.update", a_id, "denied", eid))
    s.get("/evacuations", token=T["aud"])
    expect.append(("evacuation.list", T["aud-id"], "denied", None))
    got = [(x["action"], x["actor_id"], x["outcome"], x["object_id"])
           for x in audit_rows(s)[start:]]
    assert got == expect, "\n".join(map(str, zip(got, expect)))


def test_clean_shutdown():
    global S
    s = srv()
    assert s.stop() == 0, s.stderr()
    assert "MARKER" not in s.stderr()
    s.cleanup()
    S = None


if __name__ == "__main__":
    run([test_create_and_read, test_caseworkers_see_only_their_evacuations,
         test_case_membership_shows_on_the_case, test_add_case_validation,
         test_patch, test_assignment_follows_into_the_evacuation,
         test_shredding_the_last_case_rotates,
         test_revocation_rotates_evacuations, test_auditors_and_admins,
         test_paging, test_every_evacuation_call_is_audited,
         test_clean_shutdown])
