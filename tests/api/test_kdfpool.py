# SPDX-License-Identifier: AGPL-3.0-or-later
"""Login Argon2 runs on the kdfpool (server/core/kdfpool.c): MAX_CONCURRENT_ARGON2
threads at nice 19, so a login storm leaves the CPU to case reads. Black-box
through /proc/<pid>/task/*/stat (Linux: nice is per thread):
  - exactly MAX_CONCURRENT_ARGON2 threads of the server run at nice 19, all
    named corridor-kdf, and every other thread stays at nice 0, before and
    after logins (a dispatch thread never nices itself: it could not get
    its priority back);
  - the CPU time of logins, wrong passwords and unknown users (the dummy
    Argon2) is spent on those threads, not on the dispatch threads; the
    401 body is the same for a wrong password and an unknown user;
  - concurrent logins, password changes and account creations all end in
    time, each with its success status or 503 busy + Retry-After, never a
    hang or another error;
  - SIGTERM while logins are queued on the pool exits 0.
"""
import http.client
import json
import os
import re
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import Server, problem, run  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
KDF_NICE = 19
S = None


def limit(name):
    with open(os.path.join(ROOT, "server", "limits.h")) as f:
        m = re.search(r"#define %s\s+(\d+)u?\b" % name, f.read())
    assert m, name
    return int(m.group(1))


MAX_RUNNING = limit("MAX_CONCURRENT_ARGON2")
MAX_QUEUE = limit("MAX_ARGON2_QUEUE")


def srv():
    global S
    if S is None:
        S = Server(extra_args=["--quiet"])
    return S


def threads(pid):
    """{tid: (name, nice, cpu ticks)} of every thread of pid."""
    out = {}
    task = "/proc/%d/task" % pid
    for tid in os.listdir(task):
        try:
            with open("%s/%s/stat" % (task, tid)) as f:
                st = f.read()
        except FileNotFoundError:
            continue    # the thread exited meanwhile
        # the name may hold spaces and parentheses: split after the last ")"
        name = st[st.index("(") + 1:st.rindex(")")]
        f = st[st.rindex(")") + 2:].split()
        # fields 14 utime, 15 stime, 19 nice (proc(5)); f[0] is field 3
        out[int(tid)] = (name, int(f[16]), int(f[11]) + int(f[12]))
    return out


def check_niceness(pid):
    ts = threads(pid)
    niced = {t: v for t, v in ts.items() if v[1] == KDF_NICE}
    others = {t: v for t, v in ts.items() if v[1] != KDF_NICE}
    assert len(niced) == MAX_RUNNING, ts
    assert all(name == "corridor-kdf" for name, _, _ in niced.values()), ts
    assert all(nice == 0 for _, nice, _ in others.values()), ts
    # the main thread is never niced
    assert ts[pid][1] == 0, ts[pid]
    return set(niced)


def test_exactly_the_pool_threads_run_at_nice_19():
    s = srv()
    before = check_niceness(s.proc.pid)
    s.admin()
    problem(s.post("/session", {"username": "admin",
                                "password": "wrong password"}), 401)
    problem(s.post("/session", {"username": "nobody-here",
                                "password": "wrong password"}), 401)
    # the same threads, still the only niced ones
    assert check_niceness(s.proc.pid) == before


def test_argon2_runs_on_the_pool_threads():
    s = srv()
    pid = s.proc.pid
    t0 = threads(pid)
    bodies = set()
    for _ in range(3):
        s.coord()
        r = s.post("/session", {"username": "coord",
                                "password": "not the password"})
        problem(r, 401, "login-failed")
        bodies.add(r.body)
        r = s.post("/session", {"username": "nobody-at-all",
                                "password": "not the password"})
        problem(r, 401, "login-failed")
        bodies.add(r.body)
    t1 = threads(pid)
    # an unknown user and a wrong password get the same 401 body
    assert len(bodies) == 1, bodies
    delta = {t: t1[t][2] - t0[t][2] for t in t1 if t in t0}
    kdf = sum(d for t, d in delta.items() if t1[t][1] == KDF_NICE)
    rest = sum(d for t, d in delta.items() if t1[t][1] != KDF_NICE)
    # 9 Argon2id INTERACTIVE runs, about 65 ms of CPU each: well over
    # 0.2 s however slow or loaded the machine (CPU time, not wall time)
    ticks = os.sysconf("SC_CLK_TCK")
    assert kdf >= 0.2 * ticks, (kdf, rest)
    # the dispatch threads only look up, answer and audit
    assert kdf >= 3 * rest, (kdf, rest)


def concurrent(calls, deadline_s):
    """Run every call at once on its own thread; all must end within
    deadline_s. Returns their results."""
    results = [None] * len(calls)

    def one(i, fn):
        try:
            results[i] = fn()
        except (OSError, http.client.HTTPException) as e:
            results[i] = e

    ts = [threading.Thread(target=one, args=(i, fn), daemon=True)
          for i, fn in enumerate(calls)]
    for t in ts:
        t.start()
    end = time.time() + deadline_s
    for t in ts:
        t.join(max(0.0, end - time.time()))
    hung = sum(t.is_alive() for t in ts)
    assert hung == 0, "%d of %d requests hung" % (hung, len(ts))
    return results


def busy_or(r, ok_status):
    """r is ok_status, or 503 busy with a Retry-After."""
    if r.status == ok_status:
        return True
    assert r.status == 503, r
    assert r.json()["type"].endswith(":busy"), r
    assert int(r.header("Retry-After")) >= 1, r
    return False


def test_concurrent_kdf_work_ends_with_success_or_busy():
    s = srv()
    admin = s.admin()
    uid, first = s.create_user(admin, "kdf-worker", "caseworker",
                               enrol=False)
    tok = s.login("kdf-worker", first)
    n = 3 * (MAX_RUNNING + MAX_QUEUE)
    logins = [lambda: s.post("/session", {"username": "admin",
                                          "password": s.admin_pw})
              for _ in range(n)]
    unknown = [lambda i=i: s.post("/session", {
        "username": "nobody-%d" % i, "password": "wrong password"})
        for i in range(4)]
    creates = [lambda i=i: s.post("/users", {
        "username": "kdf-new-%d" % i, "password": "first-pass-%04d" % i,
        "role": "caseworker"}, token=admin) for i in range(4)]
    change = [lambda: s.request("PUT", "/me/password", {
        "old_password": first, "new_password": "violet lantern own pass"},
        token=tok)]
    res = concurrent(logins + unknown + creates + change, 120)
    for r in res:
        assert not isinstance(r, Exception), r
    ok = [busy_or(r, 201) for r in res[:n]]
    assert sum(ok) >= MAX_RUNNING, [r.status for r in res[:n]]
    for r in res[n:n + 4]:
        if r.status != 503:
            problem(r, 401, "login-failed")
    for r in res[n + 4:n + 8]:
        busy_or(r, 201)
    if busy_or(res[-1], 204):
        s.login("kdf-worker", "violet lantern own pass")
    else:
        s.login("kdf-worker", first)
    # nothing is left waiting on the pool: a plain login goes through
    s.admin()
    assert s.healthy()
    check_niceness(s.proc.pid)


def test_sigterm_with_logins_queued():
    s = Server(extra_args=["--quiet"])
    try:
        body = json.dumps({"username": "admin", "password": s.admin_pw})
        statuses = []

        def login():
            try:
                c = http.client.HTTPConnection("127.0.0.1", s.port,
                                               timeout=60)
                c.request("POST", "/api/v1/session", body=body,
                          headers={"Content-Type": "application/json"})
                statuses.append(c.getresponse().status)
                c.close()
            except (OSError, http.client.HTTPException):
                statuses.append(None)   # refused after the stop began
        ts = [threading.Thread(target=login)
              for _ in range(MAX_RUNNING + MAX_QUEUE + 2)]
        for t in ts:
            t.start()
        time.sleep(0.05)
        rc = s.stop()
        for t in ts:
            t.join(60)
        assert rc == 0, "exit %r: %s" % (rc, s.stderr()[-500:])
        assert "suspended" not in s.stderr(), s.stderr()[-500:]
        assert set(statuses) <= {201, 503, None}, statuses
    finally:
        s.cleanup()


def test_shutdown():
    assert srv().stop() == 0
    S.cleanup()


if __name__ == "__main__":
    run([test_exactly_the_pool_threads_run_at_nice_19,
         test_argon2_runs_on_the_pool_threads,
         test_concurrent_kdf_work_ends_with_success_or_busy,
         test_sigterm_with_logins_queued,
         test_shutdown])
