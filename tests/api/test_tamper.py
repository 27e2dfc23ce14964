# SPDX-License-Identifier: AGPL-3.0-or-later
"""Tampering with the files at rest, on copies of a data directory.

- One flipped byte in the database file, in a spread of pages (the first,
  whose first 16 bytes are SQLCipher's salt; data pages; a page's HMAC):
  the server refuses to start (exit 1, one line), or it starts and then
  `corridor check` reports the corruption and every read either returns
  exactly what was stored or fails with a 5xx problem: it never serves
  altered content. At least one flip must reach a running server and make
  a read fail, or the test has not exercised that path.
- One flipped byte in each field of the key wrap file the CLI test does
  not already flip (test_cli.py: magic, salt, ciphertext), and a
  truncated, extended or empty wrap file: start-up fails with exit 1 and
  one line, and leaves the database file untouched.

(Rolling the audit table back against a held checkpoint belongs with the
audit server's tests.)"""
import hashlib
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import BIN, Server, run  # noqa: E402
from test_cases import peek  # noqa: E402

PAGE = 4096             # cipher_page_size (DESIGN.md)
NOTES = "TAMPER-NOTES " + "lorem ipsum dolor sit amet " * 100


class Pristine:
    """A stopped data directory with cases, contacts and an evacuation,
    and what the API answered for each (the truth to compare with)."""

    def __init__(self):
        s = Server()
        self.s = s
        admin, co = s.admin(), s.coord()
        _, self.cw_pw = s.create_user(admin, "cw-t", "caseworker")
        cw = s.login("cw-t", self.cw_pw)
        self.cases = []
        for i in range(12):
            r = s.post("/cases", {"risk": "high", "region": "R%d" % i,
                                  "person": {"name": "TAMPER-PERSON-%d" % i},
                                  "notes": NOTES + str(i)}, token=cw)
            assert r.status == 201, r
            cid = r.json()["id"]
            for j in range(3):
                assert s.post("/cases/%s/contacts" % cid,
                              {"channel": "sms", "summary": "TAMPER-%d-%d %s"
                               % (i, j, "x" * 300)}, token=cw).status == 201
            self.cases.append(cid)
        r = s.post("/evacuations", {"details": {"route": "TAMPER-ROUTE"}},
                   token=co)
        assert r.status == 201, r
        self.evac = r.json()["id"]
        assert s.post("/evacuations/%s/cases" % self.evac,
                      {"case_id": self.cases[0]}, token=co).status == 201
        self.truth = self.read_all(s, co, cw)
        assert all(st == 200 for st, _ in self.truth.values()), self.truth
        assert s.stop() == 0, s.stderr()
        # every page in use (none on the freelist, so every page is one
        # integrity_check reads) and nothing left in the WAL to mask the
        # database file
        free = peek(s, "query", "PRAGMA freelist_count").strip()
        if free != "[0]":
            peek(s, "exec", "VACUUM")
        peek(s, "exec", "PRAGMA wal_checkpoint(TRUNCATE)")
        wal = os.path.join(s.dir, "corridor.db-wal")
        assert not os.path.exists(wal) or os.path.getsize(wal) == 0
        self.db = os.path.join(s.dir, "corridor.db")
        self.pages = os.path.getsize(self.db) // PAGE
        assert self.pages >= 20, self.pages

    def read_all(self, s, co, cw):
        """Every read the API offers on the data: (status, body) each."""
        out = {}
        for cid in self.cases:
            r = s.get("/cases/" + cid, token=cw)
            out["case " + cid] = (r.status, r.body)
            r = s.get("/cases/%s/contacts" % cid, token=cw)
            out["contacts " + cid] = (r.status, r.body)
        r = s.get("/cases?limit=500", token=co)
        out["list"] = (r.status, r.body)
        r = s.get("/evacuations/" + self.evac, token=co)
        out["evacuation"] = (r.status, r.body)
        return out

    def copy(self, name):
        d = os.path.join(self.s.tmp, name)
        shutil.copytree(self.s.dir, d)
        return d

    def serve(self, datadir):
        """Start a server on datadir; (server, None) if it runs, else
        (None, (exit status, stderr))."""
        try:
            return Server(datadir=datadir, init=False,
                          passphrase=self.s.passphrase), None
        except RuntimeError:
            r = subprocess.run([BIN, "serve", datadir, "--passphrase-file",
                                self.s.passfile, "--listen", "127.0.0.1:0"],
                               capture_output=True, text=True, timeout=60,
                               stdin=subprocess.DEVNULL)
            return None, (r.returncode, r.stderr)


def flip(path, offset):
    with open(path, "r+b") as f:
        f.seek(offset)
        b = f.read(1)
        f.seek(offset)
        f.write(bytes([b[0] ^ 0x10]))


def sha(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def check_refusal(rc, err, passphrase, what):
    assert rc == 1, "%s: exit %r: %s" % (what, rc, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1, "%s: %d lines: %s" % (what, len(lines), err)
    assert passphrase not in err and "sqlite" not in err.lower(), err


def test_database_byte_flips():
    p = Pristine()
    n = p.pages
    # (page, offset in the page): the salt, page 1's b-tree header, data
    # pages spread over the file, and a page's IV and HMAC. SQLCipher 3
    # reserves 48 bytes at the end of each page: IV (16), HMAC-SHA1 (20)
    # and 12 bytes of padding to the AES block, which nothing reads and
    # the HMAC does not cover (so they are not flipped here: a flip there
    # changes no data and goes unnoticed, by design of SQLCipher).
    spots = [(0, 3), (0, 200), (1, 300), (2, 1000), (n // 4, 2000),
             (n // 3, 1500), (n // 2, 100), (n // 2 + 1, PAGE - 48 + 4),
             (n // 2 + 2, PAGE - 48 + 16 + 7), (2 * n // 3, 3000),
             (3 * n // 4, 2500), (n - 2, 700), (n - 1, 1200)]
    started = read_errors = refused = 0
    failures = []
    try:
        for k, (page, off) in enumerate(spots):
            where = "page %d of %d, offset %d" % (page, n, off)
            d = p.copy("flip-%d" % k)
            flip(os.path.join(d, "corridor.db"), page * PAGE + off)
            s, refusal = p.serve(d)
            if s is None:
                refused += 1
                try:
                    check_refusal(*refusal, p.s.passphrase, where)
                except AssertionError as e:
                    failures.append(str(e))
                continue
            started += 1
            try:
                toks = []
                for user, pw in (("coord", s.coord_pw), ("cw-t", p.cw_pw)):
                    r = s.post("/session", {"username": user, "password": pw})
                    if r.status == 201:
                        toks.append(r.json()["token"])
                        # a coordinator's evacuation read opens the org
                        # key: it needs a fresh password confirmation
                        if user == "coord" and s.post(
                                "/session/confirm", {"password": pw},
                                token=toks[-1]).status >= 500:
                            read_errors += 1
                    elif r.status >= 500:
                        read_errors += 1      # an error, not a wrong answer
                    else:
                        failures.append("%s: login %s answered %r"
                                        % (where, user, r))
                if len(toks) == 2:
                    got = p.read_all(s, *toks)
                    for key, (st, body) in got.items():
                        if st == 200:
                            if (st, body) != p.truth[key]:
                                failures.append("%s: %s served altered data"
                                                % (where, key))
                        elif st >= 500:
                            read_errors += 1
                            assert b"sqlite" not in body.lower(), body
                        else:
                            failures.append("%s: %s answered %d"
                                            % (where, key, st))
                r = subprocess.run([BIN, "check", d, "--passphrase-file",
                                    p.s.passfile], capture_output=True,
                                   text=True, timeout=120)
                if r.returncode == 0 and r.stdout.strip() == "ok":
                    failures.append("%s: corridor check found nothing" % where)
            finally:
                rc = s.stop()
                log = s.stderr()
                s.cleanup()
                if rc not in (0, 1) or "Sanitizer" in log:
                    failures.append("%s: exit %r after serving: %s"
                                    % (where, rc, log[-1500:]))
    finally:
        p.s.cleanup()
    assert not failures, "\n".join(failures)
    assert started >= 1 and read_errors >= 1, \
        "no flip reached a running server and failed a read " \
        "(started %d, read errors %d)" % (started, read_errors)
    print("database flips: %d spots, %d refused at start, %d served "
          "(%d reads failed with an error, none served altered data)"
          % (len(spots), refused, started, read_errors))


def test_wrap_file_tampering():
    p = Pristine()
    try:
        keys = os.path.join(p.s.dir, "keys")
        data = open(keys, "rb").read()
        assert len(data) == 116, len(data)
        # wrap file (K_db only; the signing key has audit-key): magic 0..7,
        # version 8..11, opslimit 12..19, memlimit 20..27, salt 28..43,
        # nonce 44..67, sealed K_db and tag 68..115
        edits = {
            "version": lambda b: b[:11] + bytes([b[11] ^ 1]) + b[12:],
            "opslimit, in range": lambda b: b[:19] + bytes([b[19] ^ 1]) + b[20:],
            "opslimit, huge": lambda b: b[:12] + b"\x7f" + b[13:],
            "memlimit, in range": lambda b: b[:25] + bytes([b[25] ^ 1]) + b[26:],
            "memlimit, huge": lambda b: b[:20] + b"\x7f" + b[21:],
            "nonce": lambda b: b[:50] + bytes([b[50] ^ 1]) + b[51:],
            "tag": lambda b: b[:115] + bytes([b[115] ^ 1]),
            "truncated by one byte": lambda b: b[:-1],
            "truncated to the header": lambda b: b[:44],
            "one byte appended": lambda b: b + b"\0",
            "empty": lambda b: b"",
        }
        for what, edit in edits.items():
            d = p.copy("keys-" + what.replace(" ", "-").replace(",", ""))
            k = os.path.join(d, "keys")
            with open(k, "wb") as f:
                f.write(edit(data))
            before = sha(os.path.join(d, "corridor.db"))
            s, refusal = p.serve(d)
            if s is not None:
                s.cleanup()
                raise AssertionError("%s: the server started" % what)
            check_refusal(*refusal, p.s.passphrase, what)
            assert sha(os.path.join(d, "corridor.db")) == before, \
                "%s: the database changed" % what
            assert not os.path.exists(os.path.join(d, "corridor.db-wal")) or \
                os.path.getsize(os.path.join(d, "corridor.db-wal")) == 0, what
        print("wrap file: %d tamperings, each refused with exit 1 and one "
              "line" % len(edits))
    finally:
        p.s.cleanup()


if __name__ == "__main__":
    run([test_database_byte_flips, test_wrap_file_tampering])
