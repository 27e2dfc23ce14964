# SPDX-License-Identifier: AGPL-3.0-or-later
"""Crash safety under case-file writes: run the server under a write load (user creates, case
creates, contact writes, assignments, attachment uploads: a PNG with
metadata and a text file), SIGKILL it at a random moment,
restart it, and check:

- every write a client saw acknowledged (2xx) is present and decrypts,
  read back through the API: a case's person and notes by its caseworker,
  a contact entry in its case's list, an assignment by the assigned
  caseworker reading the case through their own key wrap, a user in the
  user list, an attachment downloaded byte for byte as the stripper
  leaves it (and listed once);
- the database opens (the server restarts and serves) and `corridor check`
  (PRAGMA integrity_check) says ok, after every cycle;
- the audit log verifies offline (an export, against the pinned key and
  a checkpoint held after every restart) and its tree size is at least the
  number of acknowledged audited requests.

Writes acknowledged in a cycle are read back after that cycle's restart,
and all of them again at the end.

CRASH_CYCLES sets the number of cycles (default 20, the quick mode that
`make check` runs; the long mode is 200 or more)."""
import json
import os
import random
import secrets
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import BIN, Server, run  # noqa: E402
import auditlib as al  # noqa: E402
import imagegen  # noqa: E402

CYCLES = int(os.environ.get("CRASH_CYCLES", "20"))
UNAUDITED = ("/health", "/me")


class CountingServer(Server):
    """Counts the acknowledged (2xx) requests to audited routes."""

    def __init__(self, *a, **kw):
        self.acked_audited = 0
        self.count_lock = threading.Lock()
        super().__init__(*a, **kw)

    def request(self, method, path, *a, **kw):
        r = super().request(method, path, *a, **kw)
        if 200 <= r.status < 300 and path.split("?")[0] not in UNAUDITED:
            with self.count_lock:
                self.acked_audited += 1
        return r


class Ledger:
    """What the clients saw acknowledged, and what has been read back."""

    def __init__(self):
        self.lock = threading.Lock()
        self.users = []
        self.cases = {}         # id -> (person, notes)
        self.contacts = {}      # case id -> {contact id: summary}
        self.assigned = set()   # case ids assigned to the second caseworker
        self.attachments = {}   # case id -> {attachment id: bytes as stored}
        self.fresh = set()      # ("case"|"contact"|"assign"|"user"|"attach", id) unchecked

    def add(self, kind, key):
        self.fresh.add((kind, key))


def user_writer(s, token, led, stop, tag):
    i = 0
    while not stop.is_set():
        i += 1
        try:
            r = s.post("/users", {"username": "u-%s-%d" % (tag, i),
                                  "password": s.random_password("pw"),
                                  "role": "caseworker"}, token=token)
        except OSError:
            return
        if r.status == 201:
            with led.lock:
                led.users.append(r.json()["id"])
                led.add("user", r.json()["id"])


def case_writer(s, token, led, stop, rnd):
    """Creates cases and logs contacts on them (the caseworker's cases)."""
    while not stop.is_set():
        mark = secrets.token_hex(6)
        person = {"name": "P-" + mark, "phone": "+7928" + mark}
        notes = "N-" + mark
        try:
            r = s.post("/cases", {"risk": "high", "region": "Chechnya",
                                  "person": person, "notes": notes},
                       token=token)
            if r.status == 201:
                with led.lock:
                    led.cases[r.json()["id"]] = (person, notes)
                    led.add("case", r.json()["id"])
            with led.lock:
                ids = list(led.cases)
            for _ in range(2):
                cid = rnd.choice(ids) if ids else None
                if cid is None or stop.is_set():
                    break
                summary = "S-" + secrets.token_hex(6)
                r = s.post("/cases/%s/contacts" % cid,
                           {"channel": "signal", "summary": summary},
                           token=token)
                if r.status == 201:
                    with led.lock:
                        led.contacts.setdefault(cid, {})[r.json()["id"]] = summary
                        led.add("contact", cid)
        except OSError:
            return


def assigner(s, token, led, stop, other_id, rnd):
    """The coordinator assigns the second caseworker to acknowledged cases
    (each assignment wraps the case key to them)."""
    while not stop.is_set():
        with led.lock:
            todo = [c for c in led.cases if c not in led.assigned]
        if not todo:
            time.sleep(0.01)
            continue
        cid = rnd.choice(todo)
        try:
            r = s.post("/cases/%s/assignments" % cid, {"user_id": other_id},
                       token=token)
        except OSError:
            return
        with led.lock:
            if r.status == 201:
                led.assigned.add(cid)
                led.add("assign", cid)
            elif r.status == 409:
                # committed by an earlier attempt whose answer was lost
                led.assigned.add(cid)


PNG_FULL, PNG_CLEAN = imagegen.png()


def attach_writer(s, token, led, stop, rnd):
    """Uploads attachments to the caseworker's acknowledged cases: a PNG
    carrying metadata (stored stripped) or a text file (stored as sent).
    Each upload is spooled, stripped and written chunk by chunk in the
    request's transaction."""
    while not stop.is_set():
        with led.lock:
            ids = list(led.cases)
        if not ids:
            time.sleep(0.01)
            continue
        cid = rnd.choice(ids)
        if rnd.random() < 0.5:
            data, stored, ctype = PNG_FULL, PNG_CLEAN, "image/png"
        else:
            data = ("A-" + secrets.token_hex(8) + "\n").encode() * \
                rnd.randint(1, 4000)
            stored, ctype = data, "text/plain"
        try:
            r = s.request("POST", "/cases/%s/attachments" % cid, raw=data,
                          token=token, content_type=ctype,
                          headers={"X-Filename": "crash-%d" % rnd.randint(0, 1 << 30)})
        except OSError:
            return
        if r.status == 201:
            with led.lock:
                led.attachments.setdefault(cid, {})[r.json()["id"]] = stored
                led.add("attach", cid)


def verify(s, led, keys, tokens):
    """Read back every acknowledged write whose (kind, id) is in keys."""
    cw, other, admin = tokens["cw"], tokens["other"], tokens["admin"]
    problems = []
    if any(k == "user" for k, _ in keys):
        listed = {u["id"] for u in s.get("/users", token=admin).json()["users"]}
        problems += ["user %s lost" % i for k, i in keys
                     if k == "user" and i not in listed]
    for kind, cid in sorted(keys):
        if kind == "case":
            r = s.get("/cases/" + cid, token=cw)
            person, notes = led.cases[cid]
            if r.status != 200 or r.json()["person"] != person or \
                    r.json()["notes"] != notes:
                problems.append("case %s: %r" % (cid, r))
        elif kind == "contact":
            r = s.get("/cases/%s/contacts" % cid, token=cw)
            got = {c["id"]: c["summary"] for c in r.json()["contacts"]} \
                if r.status == 200 else {}
            for k, summary in led.contacts[cid].items():
                if got.get(k) != summary:
                    problems.append("contact %s of case %s: %r" % (k, cid, r))
        elif kind == "assign":
            # through the assigned caseworker's own wrap of the case key
            r = s.get("/cases/" + cid, token=other)
            if r.status != 200 or r.json()["notes"] != led.cases[cid][1]:
                problems.append("assignment on case %s: %r" % (cid, r))
        elif kind == "attach":
            r = s.get("/cases/%s/attachments" % cid, token=cw)
            listed = [a["id"] for a in r.json()["attachments"]] \
                if r.status == 200 else []
            for aid, stored in led.attachments[cid].items():
                d = s.get("/cases/%s/attachments/%s" % (cid, aid), token=cw)
                if listed.count(aid) != 1 or d.status != 200 or \
                        d.body != stored:
                    problems.append("attachment %s of case %s: %r" % (
                        aid, cid, d))
    return problems


def integrity_ok(s):
    r = subprocess.run([BIN, "check", s.dir, "--passphrase-file", s.passfile],
                       capture_output=True, text=True, timeout=120)
    return r.returncode == 0 and r.stdout.strip() == "ok"


def check_audit_log(s, acked_audited, auditor_name, held):
    """The audit log verifies offline, as an export, against the pinned
    key and every checkpoint held after a restart, and its tree size is at
    least the number of acknowledged audited requests (every one of which
    was durable before its answer)."""
    tok = s.login(auditor_name, al.password(s, auditor_name))
    exp = al.export(s, tok)
    status, line = al.verify(exp, al.vkey(s, tok), held)
    assert status == 0, line
    n = int(line.split("OK, ")[1].split(" ")[0])
    assert n >= acked_audited, "audit log: %d entries for %d acknowledged " \
        "audited requests" % (n, acked_audited)
    return n


def test_kill_restart_cycles():
    s = CountingServer()
    rnd = random.Random(int.from_bytes(os.urandom(4), "big"))
    led = Ledger()
    try:
        admin = s.admin()
        _, cw_pw = s.create_user(admin, "cw-load", "caseworker")
        # one user write timed first: on a loaded machine a POST /users
        # (Argon2id) can take seconds, and kill windows shorter than one
        # would never see a user acknowledged
        t0 = time.monotonic()
        other_id, other_pw = s.create_user(admin, "cw-other", "caseworker")
        window = max(1.0, 3 * (time.monotonic() - t0))
        al.auditor(s, admin, name="au-load")
        held = []
        def logins():
            # a restart logs everyone out, by design
            return {"admin": s.admin(), "coord": s.coord(),
                    "cw": s.login("cw-load", cw_pw),
                    "other": s.login("cw-other", other_pw)}

        tokens = logins()
        for cycle in range(CYCLES):
            stop = threading.Event()
            threads = [
                threading.Thread(target=user_writer, args=(
                    s, tokens["admin"], led, stop, str(cycle))),
                threading.Thread(target=case_writer, args=(
                    s, tokens["cw"], led, stop, random.Random(rnd.random()))),
                threading.Thread(target=assigner, args=(
                    s, tokens["coord"], led, stop, other_id,
                    random.Random(rnd.random()))),
                threading.Thread(target=attach_writer, args=(
                    s, tokens["cw"], led, stop, random.Random(rnd.random()))),
            ]
            for t in threads:
                t.start()
            time.sleep(rnd.uniform(0.1, window))
            s.proc.send_signal(signal.SIGKILL)
            s.proc.wait()
            stop.set()
            for t in threads:
                t.join()
            s.proc = None
            s.start()
            tokens = logins()
            # after the restart's start-up checks: the log as it is now
            held.append(al.checkpoint(s, s.login(
                "au-load", al.password(s, "au-load"))))
            with led.lock:
                keys, led.fresh = set(led.fresh), set()
            problems = verify(s, led, keys, tokens)
            assert not problems, "cycle %d: %d acknowledged writes lost or " \
                "unreadable:\n%s" % (cycle, len(problems), "\n".join(problems[:20]))
            assert integrity_ok(s), "cycle %d: integrity check failed" % cycle
            with led.lock:
                print("cycle %d: %d users, %d cases, %d contacts, %d "
                      "assignments, %d attachments acknowledged so far; "
                      "none lost" % (cycle + 1, len(led.users), len(led.cases),
                                     sum(len(v) for v in led.contacts.values()),
                                     len(led.assigned), sum(
                                         len(v) for v in led.attachments.values())),
                      flush=True)
        # everything once more, after all the crashes
        everything = {("user", u) for u in led.users} | \
            {("case", c) for c in led.cases} | \
            {("contact", c) for c in led.contacts} | \
            {("assign", c) for c in led.assigned} | \
            {("attach", c) for c in led.attachments}
        problems = verify(s, led, everything, tokens)
        assert not problems, "at the end:\n" + "\n".join(problems[:20])
        n_entries = check_audit_log(s, s.acked_audited, "au-load", held)
        n_contacts = sum(len(v) for v in led.contacts.values())
        n_attach = sum(len(v) for v in led.attachments.values())
        assert led.users and led.cases and n_contacts and led.assigned \
            and n_attach, \
            "the load did not get every kind of write through: %d users, " \
            "%d cases, %d contacts, %d assignments, %d attachments" % (
                len(led.users), len(led.cases), n_contacts, len(led.assigned),
                n_attach)
        print("crash: %d cycles; acknowledged and read back: %d users, %d "
              "cases, %d contacts, %d assignments, %d attachments; the "
              "audit log verifies with %d held checkpoints: %d entries >= "
              "%d audited requests acknowledged; acknowledged writes lost: "
              "0" % (CYCLES, len(led.users), len(led.cases), n_contacts,
                     len(led.assigned), n_attach, len(held), n_entries,
                     s.acked_audited))
        assert s.stop() == 0
    finally:
        s.cleanup()


if __name__ == "__main__":
    run([test_kill_restart_cycles])
