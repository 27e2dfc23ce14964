# SPDX-License-Identifier: AGPL-3.0-or-later
"""The authorization matrix (tests/authz/matrix.json) against the real
binary: every route of the server x every principal -> the expected status.

- The set of routes comes from the route tables in server/*.c (the parser
  of test_spec.py): a route missing from the matrix fails, and so does a
  matrix row for a route the server lacks, or a row without every
  principal.
- Every cell runs against one shared server. Rows marked "fresh" get new
  fixtures (case, evacuation, user) for each cell, because the cell
  mutates them (shred, unassign, revoke...); read-only rows share one set.
- A denied cell must answer a bare problem+json of the expected type, with
  no content (person, notes, contacts, details, names) and no id of the
  objects it was about; and the denial must be in the audit log, as
  (actor, action, "denied", object). The audit log is read in one place,
  audit_entries() below.
- Listing cells check who sees the target in a list, not only the status.
"""
import collections
import json
import os
import re
import secrets
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import Server, problem, run  # noqa: E402
from test_cases import peek  # noqa: E402
from test_spec import route_rows  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
MATRIX = os.path.join(HERE, "..", "authz", "matrix.json")

REASON = "authorization matrix: welfare check after missed contact"
PERSON = {"name": "MATRIX-PERSON Akhmed", "phone": "+7928MATRIX"}
NOTES = "MATRIX-NOTES hiding with an aunt"
SUMMARY = "MATRIX-CONTACT he says the cousins came by"
DETAILS = {"route": "MATRIX-ROUTE Nazran - Moscow", "safe_house": "MATRIX-SAFE"}
# what no denial may carry (bodies and usernames of the fixtures)
MARKERS = ["MATRIX-", "Akhmed", "Nazran", "cw-assigned", "cw-unassigned",
           "pending-coord", "gone-cw", "auditor-m", '"person"', '"notes"',
           '"details"', '"contacts"', '"username"', '"summary"']

PRINCIPAL_USER = {
    "anonymous": None,
    "caseworker_assigned": "cw-assigned",
    "caseworker_unassigned": "cw-unassigned",
    "coordinator_pending": "pending-coord",
    "coordinator": "coord",
    "coordinator_reason": "coord",
    "auditor": "auditor-m",
    "admin": "admin",
    "revoked": "gone-cw",
}


def audit_entries(s):
    """The audit log, oldest first, as dicts with at least actor_id ("" for
    an anonymous caller), action ("case.read"), outcome ("allowed",
    "denied", "error") and object_id (None when there is none).

    THE ONE PLACE that knows how the log is read. Today: the audit_log
    table through dbpeek. When the audit server lands, this can read
    GET /audit as an auditor instead (its entries carry the same fields);
    nothing else in this file changes."""
    return [json.loads(line) for line in peek(s, "audit").splitlines() if line]


def load_matrix():
    m = json.load(open(MATRIX))
    return m["principals"], m["routes"]


def route_key(method, pattern):
    return "%s %s" % (method, pattern)


def parse_expect(v):
    """200 -> (200, None); "403 forbidden" -> (403, "forbidden")."""
    if isinstance(v, int):
        return v, None
    st, _, slug = v.partition(" ")
    return int(st), slug or None


def action_names():
    """AUDIT_<X> -> its name, from the code table in audit_entry.c."""
    src = open(os.path.join(HERE, "..", "..", "server", "audit",
                            "audit_entry.c")).read()
    return dict(re.findall(r'\[AUDIT_([A-Z_]+)\] = "([a-z_.]+)"', src))


def audit_action(c_name):
    """AUDIT_CASE_READ's name part "CASE_READ" -> "case.read" (the name
    audit_entry.c gives it)."""
    head, _, tail = c_name.lower().partition("_")
    return action_names().get(c_name, head + "." + tail)


PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def fill(v, fx):
    if isinstance(v, str):
        return PLACEHOLDER.sub(lambda m: fx[m.group(1)], v)
    if isinstance(v, dict):
        return {k: fill(x, fx) for k, x in v.items()}
    if isinstance(v, list):
        return [fill(x, fx) for x in v]
    return v


def placeholders(row):
    return set(PLACEHOLDER.findall(row["path"] + json.dumps(row.get("body")) +
                                   " ".join(row.get("lists", {}))))


class World:
    """The shared server, its users, tokens and fixtures."""

    def __init__(self):
        self.s = Server()
        self.users = {"admin": (None, self.s.admin_pw),
                      "coord": (None, self.s.coord_pw)}
        self.tokens = {}
        admin = self.token("admin")
        for name, role in (("cw-assigned", "caseworker"),
                           ("cw-unassigned", "caseworker"),
                           ("pending-coord", "coordinator"),
                           ("auditor-m", "auditor"),
                           ("gone-cw", "caseworker")):
            self.users[name] = self.s.create_user(admin, name, role)
        for name in ("admin", "coord"):
            uid = self.s.get("/me", token=self.token(name)).json()["id"]
            self.users[name] = (uid, self.users[name][1])
        self.shared = {"case": self.new_case(), "evac": self.new_evac()}
        # the revoked principal held a case before it lost everything
        gone = self.users["gone-cw"][0]
        self.tokens["gone-cw"] = self.s.login("gone-cw", self.users["gone-cw"][1])
        r = self.s.post("/cases/%s/assignments" % self.shared["case"],
                        {"user_id": gone}, token=self.token("coord"))
        assert r.status == 201, r
        r = self.s.get("/cases/" + self.shared["case"],
                       token=self.tokens["gone-cw"])
        assert r.status == 200, r
        r = self.s.post("/users/%s/revoke" % gone, token=admin)
        assert r.status == 200, r

    def uid(self, name):
        return self.users[name][0]

    def token(self, name, fresh=False):
        """A session token for user name; fresh: a new login, and the
        cached one is dropped (the cell may end the user's sessions)."""
        if name == "gone-cw":
            return self.tokens["gone-cw"]     # dead since the revocation
        if fresh:
            self.tokens.pop(name, None)
            return self.s.login(name, self.users[name][1])
        if name not in self.tokens:
            self.tokens[name] = self.s.login(name, self.users[name][1])
        return self.tokens[name]

    def new_case(self):
        tok = self.token("cw-assigned")
        r = self.s.post("/cases", {"risk": "high", "region": "Chechnya",
                                   "person": PERSON, "notes": NOTES}, token=tok)
        assert r.status == 201, r
        cid = r.json()["id"]
        r = self.s.post("/cases/%s/contacts" % cid,
                        {"channel": "signal", "summary": SUMMARY}, token=tok)
        assert r.status == 201, r
        return cid

    def new_evac(self):
        r = self.s.post("/evacuations", {"details": DETAILS},
                        token=self.token("coord"))
        assert r.status == 201, r
        eid = r.json()["id"]
        r = self.s.post("/evacuations/%s/cases" % eid,
                        {"case_id": self.new_case()}, token=self.token("coord"))
        assert r.status == 201, r
        return eid

    def new_user(self, role):
        name = "m-%s-%s" % (role[:5], secrets.token_hex(4))
        return self.s.create_user(self.token("admin"), name, role)[0]

    def fixtures(self, row, principal):
        """Values for the placeholders row uses, for one cell."""
        fresh = row.get("fresh", False)
        user = PRINCIPAL_USER[principal]
        fx = {}
        for p in placeholders(row):
            if p in ("case", "evac"):
                fx[p] = (self.new_case() if p == "case" else self.new_evac()) \
                    if fresh else self.shared[p]
            elif p == "free_case":
                fx[p] = self.new_case()
            elif p == "assignee":
                fx[p] = self.uid("cw-assigned")
            elif p == "other_caseworker":
                fx[p] = self.uid("cw-unassigned")
            elif p == "pending_user":
                fx[p] = self.new_user("coordinator")
            elif p == "target_user":
                fx[p] = self.new_user("caseworker")
            elif p == "new_username":
                fx[p] = "m-new-" + secrets.token_hex(4)
            elif p == "me_username":
                fx[p] = user or "nobody-" + secrets.token_hex(4)
            elif p == "me_password":
                fx[p] = self.users[user][1] if user else "not-the-password-1"
            elif p == "me_new_password":
                # a new password must pass the strength rule and differ
                # from the old one (server/core/password.h)
                fx[p] = "pw-" + secrets.token_hex(10)
            elif p == "no_session":
                fx[p] = secrets.token_urlsafe(16)[:22]
            elif p == "duress_password":
                fx[p] = "du-" + secrets.token_hex(10)
            elif p == "attachment":
                pass    # below: it belongs to the cell's {case}
            else:
                raise AssertionError("matrix: unknown placeholder {%s}" % p)
        if "attachment" in fx or "attachment" in placeholders(row):
            if fresh or "attachment" not in self.shared:
                aid = self.new_attachment(fx["case"])
                if not fresh:
                    self.shared["attachment"] = aid
            fx["attachment"] = aid if fresh else self.shared["attachment"]
        return fx

    def throwaway(self, principal):
        """A token of a new account in principal's role and state, for a
        cell that destroys the account (POST /me/panic)."""
        role = {"caseworker_assigned": "caseworker",
                "caseworker_unassigned": "caseworker",
                "coordinator_pending": "coordinator",
                "coordinator": "coordinator",
                "coordinator_reason": "coordinator",
                "auditor": "auditor", "admin": "admin"}[principal]
        name = "t-%s-%s" % (role[:5], secrets.token_hex(4))
        uid, pw = self.s.create_user(self.token("admin"), name, role)
        if principal in ("coordinator", "coordinator_reason"):
            r = self.s.post("/users/%s/confirm" % uid,
                            token=self.token("coord"))
            assert r.status == 200, r
        return self.s.login(name, pw)

    def new_attachment(self, cid):
        r = self.s.request("POST", "/cases/%s/attachments" % cid,
                           raw=b"MATRIX-ATTACHMENT", content_type="text/plain",
                           headers={"X-Filename": "matrix.txt"},
                           token=self.token("cw-assigned"))
        assert r.status == 201, r
        return r.json()["id"]


def expected_object(slug, fx, path_template, principal, world):
    """The object a denial's audit entry names: the first id in the path
    (whoever is refused and at whichever step: an auditor must see which
    case someone tried to open); for a failed login, the user, when that
    user exists; a wrong TOTP proof, the caller; else none."""
    if slug == "login-failed":
        user = PRINCIPAL_USER[principal]
        return world.uid(user) if user else None
    if slug in ("wrong-code", "wrong-password", "not-enrolled"):
        # a wrong TOTP proof or password (POST /me/totp/confirm), or new
        # recovery codes without two-factor login, is about the caller's
        # own account, which the handler names
        return world.uid(PRINCIPAL_USER[principal])
    if path_template == "/audit/reasons/erase":
        # the seq is in the body: only the handler (reached by an admin)
        # can name it; a role denial comes before the body is read
        return "0" if principal == "admin" else None
    m = PLACEHOLDER.search(path_template)
    return fx[m.group(1)] if m else None


def check_route_coverage(principals, rows):
    server = {route_key(r["method"], r["pattern"]): r for r in route_rows()}
    matrix = [r["route"] for r in rows]
    dup = [k for k, n in collections.Counter(matrix).items() if n > 1]
    assert not dup, "matrix rows repeated: %s" % dup
    missing = sorted(set(server) - set(matrix))
    assert not missing, "routes missing from tests/authz/matrix.json: %s" % missing
    extra = sorted(set(matrix) - set(server))
    assert not extra, "matrix rows for routes the server lacks: %s" % extra
    assert set(principals) == set(PRINCIPAL_USER), principals
    for r in rows:
        assert set(r["expect"]) == set(principals), \
            "%s: expectations for %s" % (r["route"], sorted(r["expect"]))
    return server


def test_matrix_covers_every_route():
    principals, rows = load_matrix()
    check_route_coverage(principals, rows)
    # the parser must not silently find nothing
    assert len(rows) >= 23, len(rows)


def test_matrix_cells():
    principals, rows = load_matrix()
    server_rows = check_route_coverage(principals, rows)
    w = World()
    s = w.s
    failures = []
    expected_denials = collections.Counter()
    expected_anon = collections.Counter()
    cells = denied = 0
    start = len(audit_entries(s))
    try:
        for row in rows:
            method, _, pattern = row["route"].partition(" ")
            audited = server_rows[row["route"]]["action"] != "NONE"
            action = row.get("denied_action") or \
                audit_action(server_rows[row["route"]]["action"])
            for principal in principals:
                cells += 1
                status, slug = parse_expect(row["expect"][principal])
                fx = w.fixtures(row, principal)
                user = PRINCIPAL_USER[principal]
                if row.get("throwaway") and user and principal != "revoked":
                    tok = w.throwaway(principal)
                else:
                    tok = w.token(user, fresh=row.get("fresh_token",
                                                      False)) if user else None
                headers = {"X-Access-Reason": REASON} \
                    if principal == "coordinator_reason" else {}
                headers.update(row.get("headers", {}))
                # "raw": a body sent as is, with its "content_type"
                raw = row["raw"].encode() if "raw" in row else None
                r = s.request(method, fill(row["path"], fx),
                              body=fill(row.get("body"), fx), token=tok,
                              headers=headers or None, raw=raw,
                              content_type=row.get("content_type",
                                                   "application/json"))
                where = "%s as %s" % (row["route"], principal)
                if "me_new_password" in fx and r.status == 204:
                    w.users[user] = (w.users[user][0], fx["me_new_password"])
                try:
                    assert r.status == status, "want %d, got %r" % (status, r)
                    if status >= 400:
                        denied += 1
                        problem(r, status, slug)
                        for m in MARKERS + list(fx.values()):
                            assert m.encode() not in r.body, "leaks %r" % m
                        if audited:
                            actor = w.uid(user) if user and \
                                principal != "revoked" else ""
                            obj = expected_object(slug, fx, row["path"],
                                                  principal, w)
                            if actor == "" and not (
                                    action == "session.fail" and obj):
                                # anonymous: counted in the summary
                                # written at shutdown (issue 18); a failed
                                # login naming an account stays an entry
                                expected_anon[(action, "denied",
                                               status)] += 1
                            else:
                                expected_denials[(actor, action, "denied",
                                                  obj)] += 1
                    for ident, who in row.get("lists", {}).items():
                        if status < 400:
                            seen = fill(ident, fx).encode() in r.body
                            assert seen == (principal in who), \
                                "%s listed: %s" % (ident, seen)
                except AssertionError as e:
                    failures.append("%s: %s" % (where, e))
        assert s.healthy()
        rows_after = audit_entries(s)[start:]
        got = collections.Counter(
            (e["actor_id"], e["action"], e["outcome"], e.get("object_id"))
            for e in rows_after if e["outcome"] == "denied" and
            e["action"] != "anonymous.summary")
        for t in sorted(set(got) | set(expected_denials), key=str):
            if got[t] != expected_denials[t]:
                failures.append("audit: %r logged %d times, expected %d"
                                % (t, got[t], expected_denials[t]))
        rc = s.stop()
        assert rc == 0, "unclean exit %r: %s" % (rc, s.stderr()[-2000:])
        # the anonymous denials: in the summaries, written by shutdown
        anon = collections.Counter()
        for e in audit_entries(s)[start:]:
            for a, o, st, n in e.get("summary", []):
                anon[(a, o, st)] += n
        for t in sorted(set(anon) | set(expected_anon), key=str):
            if anon[t] != expected_anon[t]:
                failures.append("audit: anonymous %r counted %d times, "
                                "expected %d" % (t, anon[t], expected_anon[t]))
    finally:
        s.cleanup()
    assert not failures, "%d failures over %d cells:\n%s" % (
        len(failures), cells, "\n".join(failures))
    print("authz matrix: %d routes x %d principals = %d cells, %d of them "
          "denials, %d audited denials found in the log"
          % (len(rows), len(principals), cells, denied,
             sum(expected_denials.values())))


if __name__ == "__main__":
    run([test_matrix_covers_every_route, test_matrix_cells])
