# SPDX-License-Identifier: AGPL-3.0-or-later
"""The request log (stderr, one line per request) against the real binary:
after logins, failed logins, user creation, a password change, a revocation
and some hostile requests, every line has the documented shape, and the log
holds no username, password, passphrase, token, user id, request body,
query string or path as sent."""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import Server, run  # noqa: E402

LINE = re.compile(
    r"^corridor: req=[A-Za-z0-9_-]{22} "
    r"(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS|-) "
    r"(-|/[a-z/{}]*) status=[1-5][0-9][0-9] ms=[0-9]+\.[0-9]$")
OTHER = {"corridor: shutting down"}
# the retention policy at start, and the retention sweeper's line (counts
# and the run's request id only; see docs/operations.md, Retention)
RETENTION = re.compile(
    r"^corridor: (retention: closed cases are shredded [0-9]+ days after "
    r"closing \(swept at start-up and every [0-9]+ s\)|"
    r"retention: off \(closed cases are kept until shredded by hand\)|"
    r"req=retention-[A-Za-z0-9_-]{22} retention sweep: shredded=[0-9]+ "
    r"failed=[0-9]+ evacuations_pending=[0-9]+)$")


def test_log_holds_no_people_or_secrets():
    s = Server()
    try:
        secrets_seen = [s.passphrase, s.admin_pw, s.coord_pw]
        names = ["admin", "coord"]
        ids = []
        admin = s.admin()
        coord = s.coord()
        tokens = [admin, coord]
        me = s.get("/me", token=admin).json()
        ids.append(me["id"])
        for name, role in (("marker-caseworker-qz", "caseworker"),
                           ("marker-auditor-qz", "auditor"),
                           ("marker-coordinator-qz", "coordinator")):
            uid, pw = s.create_user(admin, name, role)
            names.append(name)
            ids.append(uid)
            secrets_seen.append(pw)
        cw = s.login("marker-caseworker-qz", secrets_seen[3])
        tokens.append(cw)
        # a failed login for a real and for an unknown name
        s.post("/session", {"username": "marker-caseworker-qz",
                            "password": "marker-wrong-password"})
        s.post("/session", {"username": "marker-ghost-qz",
                            "password": "marker-ghost-password"})
        names.append("marker-ghost-qz")
        secrets_seen += ["marker-wrong-password", "marker-ghost-password"]
        # a password change and a revocation (ids in the path)
        r = s.request("PUT", "/me/password",
                      {"old_password": secrets_seen[3],
                       "new_password": "violet-new-passphrase-qz"}, token=cw)
        assert r.status == 204, r
        secrets_seen.append("violet-new-passphrase-qz")
        r = s.post("/users/%s/revoke" % ids[1], token=admin)
        assert r.status == 200, r
        s.post("/users/%s/confirm" % ids[3], token=coord)
        s.get("/users?marker-query-qz=1", token=coord)
        s.get("/users/marker-path-qz", token=coord)
        s.request("DELETE", "/session", token=cw)
        # hostile bits: a forged token, a weird method, junk bodies
        s.get("/me", token="marker-forged-token-qz")
        s.request("MARKERMETHOD", "/health")
        s.post("/users", raw=b'{"username":"marker-body-qz"', token=admin)
        tokens.append("marker-forged-token-qz")
        assert s.stop() == 0
        log = s.stderr()
        # the memory-lock warning (issue 18), where the limit is low, is
        # a start-up line of its own, before "listening"
        lines = [ln for ln in log.splitlines() if ln and
                 "warning: cannot lock memory" not in ln]
        assert lines[0].startswith("corridor: listening on http://127.0.0.1:")
        reqs = 0
        for ln in lines[1:]:
            if ln in OTHER or RETENTION.match(ln):
                continue
            assert LINE.match(ln), "unexpected log line: %r" % ln
            reqs += 1
        assert reqs >= 15, log
        assert "/users/{id}/revoke status=200" in log, log
        for needle in names + secrets_seen + tokens + ids + [
                "marker", "username", "{\"", "?", "Bearer"]:
            assert needle not in log, "log holds %r" % needle
    finally:
        s.cleanup()


if __name__ == "__main__":
    run([test_log_holds_no_people_or_secrets])
