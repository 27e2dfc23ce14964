# SPDX-License-Identifier: AGPL-3.0-or-later
"""Audited requests run on dispatch threads, off the libmicrohttpd workers
(server/http/http.c), and share durable commits (schema/store.c, group commit;
audit_batch.c). Functional guards only (speed is measured in bench/):
  - keep-alive reads interleaved with more logins than the Argon2 gate runs
    at once all get complete answers; logins get 201 or 503 (gate full);
  - many concurrent audited reads on keep-alive connections all get
    complete 200 answers (suspend/resume hands every one back);
  - entries committed in audit batches count as durable at once: the
    proof routes, capped at the durable size, cover them;
  - SIGTERM with requests in flight on keep-alive connections exits 0:
    libmicrohttpd 0.9.75 aborts in MHD_stop_daemon ("called while we have
    suspended connections") if a request that arrived after quiesce was
    suspended with no dispatch thread left to resume it.
"""
import http.client
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import Server, run  # noqa: E402

S = None


def srv():
    global S
    if S is None:
        S = Server(extra_args=["--quiet"])
    return S


def keepalive_reads(s, token, n, out):
    """n GET /users on one keep-alive connection; append statuses."""
    c = http.client.HTTPConnection("127.0.0.1", s.port, timeout=60)
    h = {"Authorization": "Bearer " + token}
    for _ in range(n):
        c.request("GET", "/api/v1/users", headers=h)
        r = c.getresponse()
        body = r.read()
        out.append((r.status, len(body) > 0 and json.loads(body).get("users")
                    is not None))
    c.close()


def parallel_reads(s, token, conns, n):
    """n reads on each of conns keep-alive connections at once; every one
    must get a complete 200 answer."""
    reads = []
    rs = [threading.Thread(target=keepalive_reads, args=(s, token, n, reads))
          for _ in range(conns)]
    for t in rs:
        t.start()
    for t in rs:
        t.join()
    assert len(reads) == conns * n, len(reads)
    assert all(st == 200 and ok for st, ok in reads), reads[:5]


def test_reads_not_stalled_by_logins():
    s = srv()
    tok = s.admin()
    body = json.dumps({"username": "admin", "password": s.admin_pw})
    logins = []

    def login():
        c = http.client.HTTPConnection("127.0.0.1", s.port, timeout=60)
        c.request("POST", "/api/v1/session", body=body,
                  headers={"Content-Type": "application/json"})
        logins.append(c.getresponse().status)
        c.close()
    # more logins than the Argon2 gate runs at once, on many connections
    # (so some land on every worker), while reads run on 8 connections
    ls = [threading.Thread(target=login) for _ in range(12)]
    reads = []
    rs = [threading.Thread(target=keepalive_reads, args=(s, tok, 40, reads))
          for _ in range(8)]
    for t in ls + rs:
        t.start()
    for t in ls + rs:
        t.join()
    assert all(st == 200 and ok for st, ok in reads), reads[:5]
    assert len(reads) == 320
    assert len(logins) == 12 and set(logins) <= {201, 503}, logins
    assert s.healthy()


def test_concurrent_audited_answers_complete():
    s = srv()
    tok = s.admin()
    parallel_reads(s, tok, 16, 50)


def test_batched_entries_are_provable():
    # Reads write nothing, so their entries are committed in audit batches.
    # Once answered they are durable, and the proof routes (capped at the
    # durable size) must cover them at once, with no write commit in
    # between to move the durable size along: a durable size left behind
    # by batch commits answers 422 here.
    s = srv()
    admin = s.admin()
    uid, pw = s.create_user(admin, "aud-dispatch", "auditor")
    au = s.login("aud-dispatch", pw)            # batched, like all below
    r = s.get("/audit?actor_id=" + uid, token=au)
    assert r.status == 200, r
    parallel_reads(s, admin, 8, 25)
    r = s.get("/audit?actor_id=%s&action=audit.read" % uid, token=au)
    assert r.status == 200, r
    first = r.json()["entries"][0]["seq"]
    # the first list, then at least the 200 reads, all acknowledged
    size = first + 1 + 200
    r = s.get("/audit/proof/inclusion?seq=%d&size=%d" % (first, size),
              token=au)
    assert r.status == 200, r
    assert r.json()["tree_size"] == size, r.json()
    # and never past what is durable
    r = s.get("/audit/proof/inclusion?seq=0&size=100000000", token=au)
    assert r.status == 422, r


def sigterm_under_load():
    s = Server(extra_args=["--quiet"])
    try:
        tok = s.admin()
        stop = threading.Event()
        errors = []

        def hammer():
            try:
                c = http.client.HTTPConnection("127.0.0.1", s.port,
                                               timeout=30)
                while not stop.is_set():
                    c.request("GET", "/api/v1/users",
                              headers={"Authorization": "Bearer " + tok})
                    c.getresponse().read()
            except (OSError, http.client.HTTPException):
                pass    # the server went away: expected
            except Exception as e:  # noqa: BLE001
                errors.append(e)
        ts = [threading.Thread(target=hammer) for _ in range(16)]
        for t in ts:
            t.start()
        time.sleep(0.5)
        rc = s.stop()
        stop.set()
        for t in ts:
            t.join()
        assert rc == 0, "exit %r: %s" % (rc, s.stderr()[-500:])
        assert "suspended" not in s.stderr(), s.stderr()[-500:]
        assert not errors, errors
    finally:
        s.cleanup()


def test_sigterm_with_requests_in_flight():
    # the race is narrow: try it a few times
    for _ in range(3):
        sigterm_under_load()


def test_shutdown():
    assert srv().stop() == 0
    S.cleanup()


if __name__ == "__main__":
    run([test_reads_not_stalled_by_logins,
         test_concurrent_audited_answers_complete,
         test_batched_entries_are_provable,
         test_sigterm_with_requests_in_flight,
         test_shutdown])
