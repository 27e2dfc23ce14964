# SPDX-License-Identifier: AGPL-3.0-or-later
"""Retention against the real binary. Closed cases are crypto-shredded
once the retention period has passed since they were closed.

The clock: the server has no way to shift time, so these tests go past the
retention time in the two honest ways there are. The offline command
`corridor retention run --now T` applies the policy as at T (a documented
drill feature, marked in the audit log as retention-asof-...). For the
server's own sweep, the test stops the server and moves a case's
closed_at back in the database with the dbpeek helper (which holds the
operator passphrase, as an adversary or an operator with sqlcipher would),
then starts it again: the start-up sweep, with the real clock, must shred
it.

Checked each time: a case closed N+1 days before is shredded (tombstone in
listings, 410 on every content route, no wraps, content or contacts left,
one case.shred audit entry by system:retention); a case closed N-1 days
before, an open case and a reopened case are untouched and readable; the
evacuation of a shredded case drops the key of its caseworker; the logs
hold no case id; the offline command refuses to run beside a server,
refuses bad options (2) and a wrong passphrase (1)."""
import json
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import BIN, Server, problem, run, write_secret  # noqa: E402
from test_cases import PERSON, NOTE, SUMMARY, audit_rows, peek  # noqa: E402

DAY = 86400
ACTOR = "system:retention"


def corridor(*args, timeout=120):
    return subprocess.run([BIN] + list(args), capture_output=True,
                          text=True, timeout=timeout)


def rfc3339(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def setup(s):
    """Users: a coordinator and two caseworkers. Returns tokens and ids."""
    t = {"admin": s.admin(), "coord": s.coord()}
    for name in ("cw-a", "cw-b"):
        uid, pw = s.create_user(t["admin"], name, "caseworker")
        t[name + "-id"] = uid
        t[name + "-pw"] = pw
        t[name] = s.login(name, pw)
    return t


def relogin(s, t):
    t["coord"] = s.coord()
    for name in ("cw-a", "cw-b"):
        t[name] = s.login(name, t[name + "-pw"])


def new_case(s, tok, contact=True):
    r = s.post("/cases", {"risk": "high", "region": "Chechnya",
                          "household_size": 2, "person": PERSON,
                          "notes": NOTE}, token=tok)
    assert r.status == 201, r
    cid = r.json()["id"]
    if contact:
        r = s.post("/cases/%s/contacts" % cid,
                   {"channel": "signal", "summary": SUMMARY}, token=tok)
        assert r.status == 201, r
    return cid


def set_status(s, cid, status, tok):
    r = s.request("PATCH", "/cases/" + cid, body={"status": status},
                  token=tok)
    assert r.status == 200 and r.json()["status"] == status, r


def closed_at(s, cid):
    return json.loads(peek(s, "query", "SELECT closed_at FROM cases WHERE "
                           "id = '%s'" % cid))[0]


def move_closed_at(s, cid, t):
    """Test-only: pretend cid was closed at t (server stopped)."""
    out = peek(s, "exec", "UPDATE cases SET closed_at = %d WHERE id = '%s'"
               % (t, cid))
    assert out.strip() == "1", out


def raw_counts(s, cid):
    row = json.loads(peek(s, "query", "SELECT person IS NULL, notes IS NULL,"
                          " shredded FROM cases WHERE id = '%s'" % cid))
    keys = json.loads(peek(s, "query", "SELECT count(*) FROM case_keys "
                           "WHERE case_id = '%s'" % cid))[0]
    contacts = json.loads(peek(s, "query", "SELECT count(*) FROM contacts "
                               "WHERE case_id = '%s'" % cid))[0]
    return row + [keys, contacts]


def assert_shredded(s, t, cid):
    assert raw_counts(s, cid) == [1, 1, 1, 0, 0], raw_counts(s, cid)
    problem(s.get("/cases/" + cid, token=t["cw-a"]), 410, "shredded")
    problem(s.get("/cases/%s/contacts" % cid, token=t["cw-a"]), 410)
    problem(s.get("/cases/" + cid, token=t["coord"],
                  headers={"X-Access-Reason": "retention test"}), 410)
    problem(s.request("PATCH", "/cases/" + cid, body={"notes": "x"},
                      token=t["cw-a"]), 410)
    # a stranger still learns nothing
    problem(s.get("/cases/" + cid, token=t["cw-b"]), 404)
    lst = s.get("/cases?limit=500", token=t["coord"]).json()["cases"]
    tomb = [x for x in lst if x["id"] == cid]
    assert len(tomb) == 1 and tomb[0]["shredded"] is True, tomb
    assert tomb[0]["status"] == "closed"


def assert_live(s, t, cid, tok):
    assert raw_counts(s, cid)[:3] == [0, 0, 0]
    r = s.get("/cases/" + cid, token=tok)
    assert r.status == 200 and r.json()["person"] == PERSON, r
    assert r.json()["notes"] == NOTE
    r = s.get("/cases/%s/contacts" % cid, token=tok)
    assert r.status == 200 and len(r.json()["contacts"]) == 1, r


def retention_entries(s, cid=None):
    return [x for x in audit_rows(s) if x["actor_id"] == ACTOR and
            (cid is None or x["object_id"] == cid)]


def test_offline_run_with_now():
    s = Server()
    try:
        t = setup(s)
        old = new_case(s, t["cw-a"])       # closed N+1 days before --now
        recent = new_case(s, t["cw-a"])    # closed N-1 days before --now
        still_open = new_case(s, t["cw-a"])
        reopened = new_case(s, t["cw-a"])
        before = time.time()
        for cid in (old, recent, reopened):
            set_status(s, cid, "closed", t["cw-a"])
        c0 = closed_at(s, old)
        assert before - 2 <= c0 <= time.time() + 1, c0
        # staying closed keeps the closing time; reopening clears it
        set_status(s, old, "closed", t["cw-a"])
        assert closed_at(s, old) == c0
        set_status(s, reopened, "verified", t["cw-a"])
        assert closed_at(s, reopened) is None

        # the offline command never runs beside a server
        r = corridor("retention", "run", s.dir, "--passphrase-file",
                     s.passfile, "--days", "30")
        assert r.returncode == 1 and "in use" in r.stderr, r.stderr
        assert s.stop() == 0, s.stderr()

        # `recent` was closed two days after `old`
        move_closed_at(s, recent, c0 + 2 * DAY)
        n = 30
        # at N-1 days after `old` closed, nothing is due
        r = corridor("retention", "run", s.dir, "--passphrase-file",
                     s.passfile, "--days", str(n),
                     "--now", rfc3339(c0 + (n - 1) * DAY))
        assert r.returncode == 0, r.stderr
        assert "shredded 0 case(s)" in r.stdout, r.stdout
        assert r.stderr == "", r.stderr
        assert raw_counts(s, old)[:3] == [0, 0, 0]
        # at N+1 days: `old` is due, `recent` (N-1 days) is not
        now = c0 + (n + 1) * DAY
        r = corridor("retention", "run", s.dir, "--passphrase-file",
                     s.passfile, "--days", str(n), "--now", rfc3339(now))
        assert r.returncode == 0, r.stderr
        m = re.search(r"corridor: (retention-asof-[A-Za-z0-9_-]{22}): "
                      r"shredded 1 case\(s\) closed on or before (\S+) "
                      r"\(30 days before (\S+), given by --now\)", r.stdout)
        assert m, r.stdout
        assert m.group(2) == rfc3339(now - n * DAY), m.group(2)
        assert m.group(3) == rfc3339(now)
        for cid in (old, recent, still_open, reopened):
            assert cid not in r.stdout + r.stderr
        # the audit entry: one, by the system actor, with the run's id
        rows = retention_entries(s)
        assert len(rows) == 1, rows
        e = rows[0]
        assert (e["action"], e["role"], e["object_type"], e["object_id"],
                e["outcome"], e["request_id"], e["reason"]) == \
            ("case.shred", 0, 2, old, "allowed", m.group(1), False), e
        # the tombstone keeps its metadata and its closing time
        assert closed_at(s, old) == c0

        s.start()
        relogin(s, t)
        assert_shredded(s, t, old)
        for cid in (recent, still_open, reopened):
            assert_live(s, t, cid, t["cw-a"])
        assert s.stop() == 0, s.stderr()

        # a second run at the same time finds nothing more
        r = corridor("retention", "run", s.dir, "--passphrase-file",
                     s.passfile, "--days", str(n), "--now", rfc3339(now))
        assert r.returncode == 0 and "shredded 0 case(s)" in r.stdout
        # without --now: the real clock, and the default policy (90 days)
        r = corridor("retention", "run", s.dir, "--passphrase-file",
                     s.passfile)
        assert r.returncode == 0, r.stderr
        assert re.search(r"corridor: retention-[A-Za-z0-9_-]{22}: shredded "
                         r"0 case\(s\) .*\(90 days before [^,]*\)$",
                         r.stdout.strip()), r.stdout
        assert len(retention_entries(s)) == 1
    finally:
        s.cleanup()


def test_offline_refusals():
    s = Server()
    try:
        assert s.stop() == 0
        wrong = os.path.join(s.tmp, "wrong")
        write_secret(wrong, "not-the-operator-passphrase")
        r = corridor("retention", "run", s.dir, "--passphrase-file", wrong)
        assert r.returncode == 1, r
        lines = [x for x in r.stderr.splitlines() if x]
        assert len(lines) == 1 and "passphrase" in lines[0], r.stderr
        assert "not-the-operator" not in r.stderr
        bad = [[], ["run"], ["sweep", s.dir], ["run", s.dir, "--days", "0"],
               ["run", s.dir, "--days", "-3"],
               ["run", s.dir, "--days", "36501"],
               ["run", s.dir, "--days", "ten"],
               ["run", s.dir, "--now", "yesterday"],
               ["run", s.dir, "--now", "2030-02-30T00:00:00Z"],
               ["run", s.dir, "--now", "1969-12-31T23:59:59Z"],
               ["run", s.dir, "--bogus-secret-value"],
               ["run", s.dir, s.dir]]
        for args in bad:
            r = corridor("retention", *args)
            assert r.returncode == 2, (args, r)
            assert r.stderr.startswith("corridor: usage: corridor retention "
                                       "run DIR"), r.stderr
            assert "bogus-secret" not in r.stderr
        # an offset is an RFC 3339 time too
        r = corridor("retention", "run", s.dir, "--passphrase-file",
                     s.passfile, "--now", "2030-01-01T03:00:00+03:00",
                     "--days", "1")
        assert r.returncode == 0, r.stderr
        assert "1 days before 2030-01-01T00:00:00Z" in r.stdout, r.stdout
        for args in (["--retention-days", "-1"],
                     ["--retention-days", "36501"],
                     ["--retention-days", "x"]):
            r = corridor("serve", s.dir, "--passphrase-file", s.passfile,
                         "--listen", "127.0.0.1:0", *args)
            assert r.returncode == 2, (args, r)
            assert "[--retention-days N]" in r.stderr
    finally:
        s.cleanup()


def wait_for(s, pattern, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        m = re.search(pattern, s.stderr())
        if m:
            return m
        time.sleep(0.1)
    raise AssertionError("no %r in:\n%s" % (pattern, s.stderr()))


def test_server_sweeps_at_startup():
    s = Server(extra_args=["--retention-days", "30"])
    try:
        assert "closed cases are shredded 30 days after closing" in \
            s.stderr()
        t = setup(s)
        old = new_case(s, t["cw-a"])          # to be 31 days closed
        recent = new_case(s, t["cw-a"])       # to be 29 days closed
        still_open = new_case(s, t["cw-a"])   # never closed
        other = new_case(s, t["cw-b"])        # cw-b's, in the evacuation
        for cid in (old, recent):
            set_status(s, cid, "closed", t["cw-a"])
        r = s.post("/evacuations", {"details": {"route": "MARKER-ROUTE"}},
                   token=t["coord"])
        assert r.status == 201, r
        eid = r.json()["id"]
        for cid in (old, other):
            r = s.post("/evacuations/%s/cases" % eid, {"case_id": cid},
                       token=t["coord"])
            assert r.status == 201, r
        assert s.get("/evacuations/" + eid, token=t["cw-a"]).status == 200
        # nothing is due yet
        wait_for(s, r"retention sweep: shredded=0 failed=0")
        assert s.stop() == 0, s.stderr()

        now = int(time.time())
        move_closed_at(s, old, now - 31 * DAY)
        move_closed_at(s, recent, now - 29 * DAY)
        s.start()
        m = wait_for(s, r"corridor: req=(retention-[A-Za-z0-9_-]{22}) "
                        r"retention sweep: shredded=1 failed=0 "
                        r"evacuations_pending=1\n")
        # before any request: the WAL was truncated after the shred, so it
        # keeps no old copy of the shredded pages
        assert os.path.getsize(os.path.join(s.dir, "corridor.db-wal")) == 0
        relogin(s, t)
        assert_shredded(s, t, old)
        assert_live(s, t, recent, t["cw-a"])
        assert_live(s, t, still_open, t["cw-a"])
        assert_live(s, t, other, t["cw-b"])
        rows = retention_entries(s)
        assert [(x["object_id"], x["action"], x["outcome"], x["role"],
                 x["request_id"]) for x in rows] == \
            [(old, "case.shred", "allowed", 0, m.group(1))], rows
        # cw-a lost her last case in the evacuation, and its key with it;
        # cw-b still reads it, and that read rotates K_evac
        problem(s.get("/evacuations/" + eid, token=t["cw-a"]), 404)
        key = json.loads(peek(s, "query", "SELECT count(*) FROM evac_keys "
                              "WHERE evacuation_id = '%s' AND recipient_id"
                              " = '%s'" % (eid, t["cw-a-id"])))[0]
        assert key == 0
        r = s.get("/evacuations/" + eid, token=t["cw-b"])
        assert r.status == 200, r
        assert r.json()["details"] == {"route": "MARKER-ROUTE"}
        assert r.json()["key_version"] == 2, r.json()
        pend = json.loads(peek(s, "query", "SELECT rotate_pending FROM "
                               "evacuations WHERE id = '%s'" % eid))[0]
        assert pend == 0
        # the log names no case, evacuation or person
        log = s.stderr()
        for x in (old, recent, still_open, other, eid, t["cw-a-id"]):
            assert x not in log, x
        assert s.stop() == 0, s.stderr()
    finally:
        s.cleanup()


def test_server_retention_off_and_default():
    s = Server(extra_args=["--retention-days", "0"])
    try:
        assert "retention: off" in s.stderr()
        t = setup(s)
        cid = new_case(s, t["cw-a"])
        set_status(s, cid, "closed", t["cw-a"])
        assert s.stop() == 0
        move_closed_at(s, cid, int(time.time()) - 3650 * DAY)
        s.start()
        relogin(s, t)
        assert_live(s, t, cid, t["cw-a"])
        assert "retention sweep" not in s.stderr()
        assert s.stop() == 0
        # the default policy is 90 days: 89 days closed stays, 91 goes
        s.extra_args = []
        move_closed_at(s, cid, int(time.time()) - 89 * DAY)
        s.start()
        assert "shredded 90 days after closing" in s.stderr()
        wait_for(s, r"retention sweep: shredded=0 failed=0")
        relogin(s, t)
        assert_live(s, t, cid, t["cw-a"])
        assert s.stop() == 0
        move_closed_at(s, cid, int(time.time()) - 91 * DAY)
        s.start()
        wait_for(s, r"retention sweep: shredded=1 failed=0")
        relogin(s, t)
        assert_shredded(s, t, cid)
        assert s.stop() == 0, s.stderr()
    finally:
        s.cleanup()


if __name__ == "__main__":
    run([test_offline_run_with_now,
         test_offline_refusals,
         test_server_sweeps_at_startup,
         test_server_retention_off_and_default])
