# SPDX-License-Identifier: AGPL-3.0-or-later
"""Crash safety under case-file writes: run the server under a write load (user creates, case
creates, contact writes, assignments, attachment uploads: a PNG with
metadata and a text file, and two-factor enrolments: a new user, their
password replaced, POST /me/totp, POST /me/totp/confirm), SIGKILL it at a
random moment, restart it, and check:

- every write a client saw acknowledged (2xx) is present and decrypts,
  read back through the API: a case's person and notes by its caseworker,
  a contact entry in its case's list, an assignment by the assigned
  caseworker reading the case through their own key wrap, a user in the
  user list, an attachment downloaded byte for byte as the stripper
  leaves it (and listed once); a confirmed two-factor enrolment by the
  account logging in with its password and a code and GET /me saying
  two_factor.enabled with all ten recovery codes left; the steps before
  a confirm carry on across restarts, so an acknowledged password change
  or POST /me/totp that was lost shows as a refused login or a refused
  code;
- the database opens (the server restarts and serves) and `corridor check`
  (PRAGMA integrity_check) says ok, after every cycle;
- the audit log verifies offline (an export, against the pinned key and
  a checkpoint held after every restart) and its tree size is at least the
  number of acknowledged audited requests.

Writes acknowledged in a cycle are read back after that cycle's restart,
and all of them again at the end.

CRASH_CYCLES sets the number of cycles (default 20, the quick mode that
`make check` runs; the long mode is 200 or more). CRASH_FULL_EVERY=N
runs every writer in every N-th cycle only, the caseworker's in all (the
long mode's cheaper setting; default 1). Each cycle prints what its
restart, its logins, its read-back and `corridor check` cost in wall
seconds."""
import base64
import hashlib
import hmac
import os
import random
import secrets
import signal
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import BIN, Server, run  # noqa: E402
import auditlib as al  # noqa: E402
import imagegen  # noqa: E402

CYCLES = int(os.environ.get("CRASH_CYCLES", "20"))
# Every FULL_EVERY-th cycle runs every writer; the others only the
# caseworker's (cases, contacts, attachments), which need one login after
# a restart instead of five. 1 (the default) runs every writer in every
# cycle; the long mode may set more (see docs/testing.md, section 6).
FULL_EVERY = max(1, int(os.environ.get("CRASH_FULL_EVERY", "1")))
EVERYONE = ("admin", "coord", "cw", "other", "au")
LEAN_WINDOW_S = 5.0     # the longest kill window of a caseworker-only cycle
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
        self.totp = {}          # username -> TotpAccount, every one begun
        self.problems = []      # acknowledged writes a writer found lost
        self.fresh = set()      # ("case"|"contact"|"assign"|"user"|"attach"|"totp", id) unchecked

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


def totp(secret_b32, step):
    """RFC 6238 (SHA-1, 6 digits) at a 30-second step."""
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    code = struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF
    return "%06d" % (code % 1000000)


class TotpAccount:
    """One account on its way to two-factor login. stage is where the
    server is known to be: "created" (first password), "password"
    (replaced), "begun" (a secret from POST /me/totp), "confirmed" (an
    acknowledged confirm: checked after the restart and at the end), or
    "settled" (a confirm the kill cut off turned out to be in force: not
    an acknowledged write, so not counted). A step the kill cut off is
    resolved after the restart: new_pw is a password change that may or
    may not have happened, confirm_cut a confirm."""

    def __init__(self, name, first):
        self.name, self.pw, self.stage = name, first, "created"
        self.new_pw = None
        self.confirm_cut = False
        self.secret = None
        self.last_step = -1     # the newest TOTP step a code was used for
        self.lost = False       # an acknowledged step found lost

    def code(self):
        """A code the server takes (the current step or one either side,
        newer than the last used) for as long as possible: the current
        step or the next, never the last, which a login slowed by a busy
        Argon2 pool may see expire. None if it needs a later step."""
        now = int(time.time()) // 30
        step = max(self.last_step + 1, now)
        if step > now + 1:
            return None
        self.last_step = step
        return totp(self.secret, step)


def totp_login(s, acc):
    """Log acc in after whatever the kill cut off. A cut-off password
    change may have happened or not: the new password is tried first,
    then the old. After a cut-off confirm the login sends a code (needed
    if the confirm took effect, ignored if not), twice if refused: a code
    may age out in a login slowed by the Argon2 pool. Returns (token or
    None, the last answer or None when a code must wait for the next
    step)."""
    r = None
    tries = [acc.new_pw, acc.pw] if acc.new_pw else \
        [acc.pw, acc.pw] if acc.confirm_cut else [acc.pw]
    for pw in tries:
        body = {"username": acc.name, "password": pw}
        if acc.confirm_cut:
            body["code"] = acc.code()
            if body["code"] is None:
                time.sleep(1)
                return None, None
        r = s.post("/session", body)
        if r.status == 201:
            if pw is acc.new_pw:
                acc.pw, acc.stage = acc.new_pw, "password"
            acc.new_pw = None
            return r.json()["token"], r
        if r.status != 401:
            break
    return None, r


def totp_writer(s, admin, led, stop, tag):
    """Enrols accounts in two-factor login, one request at a time, and
    carries every account on across restarts, resolving a step the kill
    cut off. A step that was acknowledged and is refused afterwards (its
    password at login, its secret's code at confirm) is a lost write."""
    n = 0
    while not stop.is_set():
        with led.lock:
            acc = next((a for a in led.totp.values()
                        if a.stage in ("created", "password", "begun")
                        and not a.lost), None)
        try:
            if acc is None:
                n += 1
                name = "tf-%s-%d" % (tag, n)
                first = s.random_password("first-")
                acc = TotpAccount(name, first)
                r = s.post("/users", {"username": name, "password": first,
                                      "role": "caseworker"}, token=admin)
                if r.status != 201:
                    continue
                with led.lock:
                    led.totp[name] = acc
            tok, r = totp_login(s, acc)
            if tok is None:
                if r is None or r.status in (429, 503):
                    time.sleep(0.5)  # busy Argon2 pool, or a code to wait for
                    continue
                with led.lock:
                    led.problems.append("totp %s: login in stage %s "
                                        "refused: %r" % (acc.name,
                                                         acc.stage, r))
                    acc.lost = True
                continue
            if acc.confirm_cut:
                me = s.get("/me", token=tok)
                if me.status != 200:
                    continue
                acc.confirm_cut = False
                if me.json()["two_factor"]["enabled"]:
                    acc.stage = "settled"
                    continue
            if acc.stage == "created":
                acc.new_pw = s.random_password("pw-")
                r = s.request("PUT", "/me/password",
                              {"old_password": acc.pw,
                               "new_password": acc.new_pw}, token=tok)
                if r.status != 204:
                    acc.new_pw = None
                    continue
                acc.pw, acc.new_pw, acc.stage = acc.new_pw, None, "password"
            if acc.stage == "password":
                # cut off, it leaves the stage as it was: a new POST
                # /me/totp replaces whatever secret it may have made
                r = s.post("/me/totp", token=tok)
                if r.status != 201:
                    continue
                acc.secret, acc.stage = r.json()["secret"], "begun"
            for attempt in (1, 2):
                code = acc.code()
                if code is None:
                    break
                acc.confirm_cut = True
                r = s.post("/me/totp/confirm", {"code": code,
                                                 "password": acc.pw},
                           token=tok)
                acc.confirm_cut = False
                if not (r.status == 403 and r.json().get(
                        "type", "").endswith("wrong-code")):
                    break
                # once may be a code that aged out in a slow request; a
                # fresh one refused too: the secret of an acknowledged
                # POST /me/totp is gone
                if attempt == 2:
                    with led.lock:
                        led.problems.append("totp %s: the acknowledged "
                                            "secret refused twice: %r" % (
                                                acc.name, r))
                        acc.lost = True
            if code is None or r.status != 200 or \
                    len(r.json()["recovery_codes"]) != 10:
                continue
            with led.lock:
                acc.stage = "confirmed"
                led.add("totp", acc.name)
        except OSError:
            return


def totp_enrolled(s, acc):
    """The account needs, and takes, a code: a login with its password and
    a fresh code, and GET /me says two-factor login is on with every
    recovery code left. None, or what is wrong."""
    for _ in range(2):      # twice: a code may age out in a slow login
        code = acc.code()
        while code is None:
            time.sleep(1)
            code = acc.code()
        r = s.post("/session", {"username": acc.name, "password": acc.pw,
                                "code": code})
        if r.status == 201:
            break
        time.sleep(0.5)
    if r.status != 201:
        return "login with a code: %r" % (r,)
    tok = r.json()["token"]
    me = s.get("/me", token=tok)
    s.request("DELETE", "/session", token=tok)
    tf = me.json().get("two_factor", {}) if me.status == 200 else {}
    if not tf.get("enabled") or tf.get("recovery_codes_left") != 10:
        return "GET /me: %r" % (me,)
    return None


def verify(s, led, keys, tokens):
    """Read back every acknowledged write whose (kind, id) is in keys."""
    # a cycle of the caseworker's writers only has only their token
    cw, other, admin = tokens["cw"], tokens.get("other"), tokens.get("admin")
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
        elif kind == "totp":
            why = totp_enrolled(s, led.totp[cid])
            if why is not None:
                problems.append("two-factor enrolment of %s: %s" % (cid, why))
    return problems


def n_confirmed(led):
    return sum(a.stage == "confirmed" for a in led.totp.values())


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

        def full(cycle):
            return cycle % FULL_EVERY == 0

        def logins(names=EVERYONE):
            """Tokens after a restart (which logs everyone out, by
            design): the logins run at once, so that the server's Argon2
            threads, not this loop, set the pace (what a cycle costs in
            wall time is mostly these)."""
            who = {"admin": s.admin, "coord": s.coord,
                   "cw": lambda: s.login("cw-load", cw_pw),
                   "other": lambda: s.login("cw-other", other_pw),
                   "au": lambda: s.login("au-load",
                                         al.password(s, "au-load"))}
            got, errs = {}, []

            def one(k):
                try:
                    got[k] = who[k]()
                except Exception as e:  # noqa: BLE001 (re-raised below)
                    errs.append(e)
            ts = [threading.Thread(target=one, args=(k,)) for k in names]
            for t in ts:
                t.start()
            for t in ts:
                t.join()
            if errs:
                raise errs[0]
            return got

        tokens = logins()
        for cycle in range(CYCLES):
            stop = threading.Event()
            threads = [
                threading.Thread(target=case_writer, args=(
                    s, tokens["cw"], led, stop, random.Random(rnd.random()))),
                threading.Thread(target=attach_writer, args=(
                    s, tokens["cw"], led, stop, random.Random(rnd.random()))),
            ]
            if full(cycle):
                threads += [
                    threading.Thread(target=user_writer, args=(
                        s, tokens["admin"], led, stop, str(cycle))),
                    threading.Thread(target=assigner, args=(
                        s, tokens["coord"], led, stop, other_id,
                        random.Random(rnd.random()))),
                    threading.Thread(target=totp_writer, args=(
                        s, tokens["admin"], led, stop, str(cycle))),
                ]
            for t in threads:
                t.start()
            # a full cycle's window lets a user write (Argon2id) through
            # now and then; the caseworker's writes take milliseconds
            time.sleep(rnd.uniform(0.1, window if full(cycle) else
                                   min(window, LEAN_WINDOW_S)))
            s.proc.send_signal(signal.SIGKILL)
            s.proc.wait()
            stop.set()
            for t in threads:
                t.join()
            s.proc = None
            t0 = time.monotonic()
            s.start()
            t1 = time.monotonic()
            # who reads this cycle's writes back (and the auditor keeps a
            # checkpoint), and who writes in the next: after a cycle of
            # the caseworker's writers only, only the caseworker
            last = cycle + 1 == CYCLES
            who = {"cw"}
            if full(cycle) or last:
                who |= {"admin", "other", "au"}
            if full(cycle + 1) or last:
                who |= {"admin", "coord"}
            tokens = logins(sorted(who))
            t2 = time.monotonic()
            if "au" in tokens:
                # after the restart's start-up checks: the log as it is now
                held.append(al.checkpoint(s, tokens["au"]))
            with led.lock:
                keys, led.fresh = set(led.fresh), set()
                problems, led.problems = list(led.problems), []
            problems += verify(s, led, keys, tokens)
            assert not problems, "cycle %d: %d acknowledged writes lost or " \
                "unreadable:\n%s" % (cycle, len(problems), "\n".join(problems[:20]))
            t3 = time.monotonic()
            assert integrity_ok(s), "cycle %d: integrity check failed" % cycle
            t4 = time.monotonic()
            with led.lock:
                print("cycle %d: %d users, %d cases, %d contacts, %d "
                      "assignments, %d attachments, %d two-factor enrolments "
                      "acknowledged so far; none lost (s: restart %.1f, "
                      "logins %.1f, read-back %.1f, check %.1f)" % (
                          cycle + 1, len(led.users), len(led.cases),
                          sum(len(v) for v in led.contacts.values()),
                          len(led.assigned), sum(
                              len(v) for v in led.attachments.values()),
                          n_confirmed(led), t1 - t0, t2 - t1, t3 - t2,
                          t4 - t3), flush=True)
        # everything once more, after all the crashes
        everything = {("user", u) for u in led.users} | \
            {("case", c) for c in led.cases} | \
            {("contact", c) for c in led.contacts} | \
            {("assign", c) for c in led.assigned} | \
            {("attach", c) for c in led.attachments} | \
            {("totp", a.name) for a in led.totp.values()
             if a.stage == "confirmed"}
        problems = verify(s, led, everything, tokens)
        assert not problems, "at the end:\n" + "\n".join(problems[:20])
        n_entries = check_audit_log(s, s.acked_audited, "au-load", held)
        n_contacts = sum(len(v) for v in led.contacts.values())
        n_attach = sum(len(v) for v in led.attachments.values())
        n_totp = n_confirmed(led)
        assert led.users and led.cases and n_contacts and led.assigned \
            and n_attach and n_totp, \
            "the load did not get every kind of write through: %d users, " \
            "%d cases, %d contacts, %d assignments, %d attachments, %d " \
            "two-factor enrolments" % (
                len(led.users), len(led.cases), n_contacts, len(led.assigned),
                n_attach, n_totp)
        print("crash: %d cycles; acknowledged and read back: %d users, %d "
              "cases, %d contacts, %d assignments, %d attachments, %d "
              "two-factor enrolments; the audit log verifies with %d held "
              "checkpoints: %d entries >= %d audited requests acknowledged; "
              "acknowledged writes lost: 0" % (
                  CYCLES, len(led.users), len(led.cases), n_contacts,
                  len(led.assigned), n_attach, n_totp, len(held), n_entries,
                  s.acked_audited))
        assert s.stop() == 0
    finally:
        s.cleanup()


if __name__ == "__main__":
    run([test_kill_restart_cycles])
