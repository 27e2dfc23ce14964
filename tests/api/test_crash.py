# SPDX-License-Identifier: AGPL-3.0-or-later
"""Crash safety: run the server under a write load, SIGKILL it at a random
moment, restart it, and check that every write a client saw acknowledged
(2xx) is present and that the database passes integrity_check. The audit
log survives too: after every restart (which runs the log's start-up
checks) an auditor keeps the latest signed checkpoint, and at the end the
export verifies offline against all of them and holds at least one entry
per audited request the test saw acknowledged.

CRASH_CYCLES sets the number of cycles (default 20, the quick mode that
`make check` runs; the long mode is 200 or more)."""
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

CYCLES = int(os.environ.get("CRASH_CYCLES", "20"))


def writer(s, token, acked, stop, tag):
    i = 0
    while not stop.is_set():
        i += 1
        name = "u-%s-%d" % (tag, i)
        try:
            r = s.post("/users", {"username": name, "password": "pw-" + secrets.token_hex(8),
                                  "role": "caseworker"}, token=token)
        except OSError:
            return
        if r.status == 201:
            acked.append(r.json()["id"])


def test_kill_restart_cycles():
    s = Server()
    rnd = random.Random(int.from_bytes(os.urandom(4), "big"))
    acked = []
    other_acked = 0     # audited requests other than the writes: logins...
    held = []
    try:
        au, _ = al.auditor(s, name="au-crash")
        other_acked += 2    # the auditor's creation and login
        # one write timed first: on a loaded machine a POST /users
        # (Argon2id) can take seconds, and a window shorter than one write
        # would never see one acknowledged
        t0 = time.monotonic()
        r = s.post("/users", {"username": "u-timed", "password": "pw-" + secrets.token_hex(8),
                              "role": "caseworker"}, token=s.admin())
        assert r.status == 201, r
        acked.append(r.json()["id"])
        other_acked += 1    # the admin's login
        window = max(2.5, 3 * (time.monotonic() - t0))
        for cycle in range(CYCLES):
            token = s.admin()
            other_acked += 1
            stop = threading.Event()
            threads = [threading.Thread(target=writer,
                                        args=(s, token, acked, stop, "%d-%d" % (cycle, k)))
                       for k in range(3)]
            for t in threads:
                t.start()
            # long enough for a POST /users (Argon2id MODERATE, ~0.6 s of
            # a quiet core, the timed write above on this machine) to be
            # acknowledged now and then, short enough to catch others in
            # flight
            time.sleep(rnd.uniform(0.05, window))
            s.proc.send_signal(signal.SIGKILL)
            s.proc.wait()
            stop.set()
            for t in threads:
                t.join()
            s.proc = None
            s.start()
            au = s.login("au-crash", al.password(s, "au-crash"))
            held.append(al.checkpoint(s, au))
            r = s.get("/users", token=s.admin())
            assert r.status == 200, r
            other_acked += 4    # two logins, the checkpoint, the listing
            ids = {u["id"] for u in r.json()["users"]}
            lost = [a for a in acked if a not in ids]
            assert not lost, "cycle %d: %d acknowledged writes lost" % (cycle, len(lost))
        r = subprocess.run([BIN, "check", s.dir, "--passphrase-file", s.passfile],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0 and r.stdout.strip() == "ok", r
        assert len(acked) > 1, "the load never got a write through"
        exp = al.export(s, au)
        status, line = al.verify(exp, al.vkey(s, au), held)
        assert status == 0, line
        n = int(line.split("OK, ")[1].split(" ")[0])
        assert n >= len(acked) + other_acked, (n, len(acked), other_acked)
        print("crash: %d cycles, %d acknowledged writes survived; the audit "
              "log verifies with %d held checkpoints: %d entries >= %d "
              "acknowledged audited requests" % (CYCLES, len(acked), len(held),
                                                 n, len(acked) + other_acked))
        assert s.stop() == 0
    finally:
        s.cleanup()


if __name__ == "__main__":
    run([test_kill_restart_cycles])
