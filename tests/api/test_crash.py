# SPDX-License-Identifier: AGPL-3.0-or-later
"""Crash safety: run the server under a write load, SIGKILL it at a random
moment, restart it, and check that every write a client saw acknowledged
(2xx) is present and that the database passes integrity_check. (The audit
log's tree-size check joins this test with the audit endpoints.)

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
    try:
        for cycle in range(CYCLES):
            token = s.admin()
            stop = threading.Event()
            threads = [threading.Thread(target=writer,
                                        args=(s, token, acked, stop, "%d-%d" % (cycle, k)))
                       for k in range(3)]
            for t in threads:
                t.start()
            time.sleep(rnd.uniform(0.05, 0.8))
            s.proc.send_signal(signal.SIGKILL)
            s.proc.wait()
            stop.set()
            for t in threads:
                t.join()
            s.proc = None
            s.start()
            ids = {u["id"] for u in s.get("/users", token=s.admin()).json()["users"]}
            lost = [a for a in acked if a not in ids]
            assert not lost, "cycle %d: %d acknowledged writes lost" % (cycle, len(lost))
        r = subprocess.run([BIN, "check", s.dir, "--passphrase-file", s.passfile],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0 and r.stdout.strip() == "ok", r
        assert len(acked) > 0, "the load never got a write through"
        print("crash: %d cycles, %d acknowledged writes survived" % (CYCLES, len(acked)))
        assert s.stop() == 0
    finally:
        s.cleanup()


if __name__ == "__main__":
    run([test_kill_restart_cycles])
