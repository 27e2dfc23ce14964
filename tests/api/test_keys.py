# SPDX-License-Identifier: AGPL-3.0-or-later
"""corridor passphrase and corridor rekey against the real binary, and the
data directory lock. A passphrase change re-wraps the key file only (the
database file is byte for byte the same); afterwards the old passphrase
fails and the new one serves the same data. A rekey leaves the old K_db
unable to open the database while the same passphrase serves the same
data. Both refuse to run beside a server, with a wrong passphrase, or (rekey)
on a plaintext file. Every way a rekey can be interrupted is settled by the
next start: keys.pending garbage, keys.pending that never reached the
database, a database rekeyed before keys.pending was renamed, and a
directory where neither key works (left alone). The audit signing key is
a file of its own (audit-key): it follows a passphrase change when it was
under the same passphrase, can have a passphrase of its own, and a
directory made before the split (one combined keys file) is split at the
first start, its log still verifying against the pinned key."""
import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from harness import BIN, Server, run, skip, write_secret  # noqa: E402
import auditlib as al  # noqa: E402

MARK = "marker-kq3"


def corridor(*args, timeout=120):
    return subprocess.run([BIN] + list(args), capture_output=True, text=True,
                          timeout=timeout)


def one_line(err):
    lines = [ln for ln in err.splitlines() if ln]
    assert len(lines) == 1 and lines[0].startswith("corridor: "), err
    return lines[0]


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


# a data directory at rest: the database, the wrap files (K_db, the audit
# signing key, the lookup's index key) and the latest signed audit
# checkpoint (docs/audit.md, section 11.1)
DATA = ["audit-checkpoint", "audit-key", "corridor.db", "index-key", "keys"]
KEYS_DB_FILE_BYTES = 116        # docs/crypto.md: K_db only
KEYS_V1_FILE_BYTES = 180        # before the split: K_db and signing key
DBPEEK = os.environ.get("CORRIDOR_DBPEEK", "build/tests/api/dbpeek")


def listing(d):
    return sorted(os.listdir(d))


def with_user():
    """A stopped server whose data holds one extra account."""
    s = Server()
    pw = Server.random_password("pw-")     # nothing like the username
    s.create_user(s.admin(), MARK + "-cw", "caseworker", pw)
    assert s.stop() == 0
    return s, pw


def serve_fails(s, passfile=None):
    """serve must exit 1; returns its stderr."""
    r = subprocess.run([BIN, "serve", s.dir, "--passphrase-file",
                        passfile or s.passfile, "--listen", "127.0.0.1:0"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 1, r.stderr
    return r.stderr


def test_passphrase_change():
    s, pw = with_user()
    try:
        keys, db = os.path.join(s.dir, "keys"), os.path.join(s.dir, "corridor.db")
        sign = os.path.join(s.dir, "audit-key")
        k0, d0, s0 = sha(keys), sha(db), sha(sign)
        new = os.path.join(s.tmp, "new")
        write_secret(new, "the-new-operator-passphrase")
        wrong = os.path.join(s.tmp, "wrong")
        write_secret(wrong, "not-the-passphrase")
        # wrong current passphrase; the same passphrase again
        r = corridor("passphrase", s.dir, "--passphrase-file", wrong,
                     "--new-passphrase-file", new)
        assert r.returncode == 1 and "passphrase" in one_line(r.stderr)
        r = corridor("passphrase", s.dir, "--passphrase-file", s.passfile,
                     "--new-passphrase-file", s.passfile)
        assert r.returncode == 1 and "same" in one_line(r.stderr)
        assert sha(keys) == k0
        # not beside a running server
        s.start()
        r = corridor("passphrase", s.dir, "--passphrase-file", s.passfile,
                     "--new-passphrase-file", new)
        assert r.returncode == 1 and "in use" in one_line(r.stderr)
        assert s.stop() == 0
        assert sha(keys) == k0
        d0 = sha(db)
        # the change: the key file only
        r = corridor("passphrase", s.dir, "--passphrase-file", s.passfile,
                     "--new-passphrase-file", new)
        assert r.returncode == 0, r.stderr
        assert "the-new-operator" not in r.stdout + r.stderr
        assert sha(keys) != k0 and sha(db) == d0
        # audit-key was under the same passphrase: it follows
        assert sha(sign) != s0 and "audit-key re-wrapped" in r.stdout, r.stdout
        assert listing(s.dir) == DATA
        assert "passphrase" in serve_fails(s)
        s.passfile = new
        s.start()
        s.login(MARK + "-cw", pw)
        assert s.stop() == 0
        # usage
        for args in (["passphrase"], ["passphrase", s.dir, "x"],
                     ["passphrase", s.dir, "--bogus"]):
            r = corridor(*args)
            assert r.returncode == 2 and "usage" in one_line(r.stderr), args
    finally:
        s.cleanup()


def test_combined_keys_file_is_split_at_start():
    """A data directory from before the split holds one combined keys file
    (version 1, K_db and the signing key; made here by dbpeek unsplit).
    A passphrase change keeps it combined, so nothing is lost; the first
    start splits it: audit-key appears, keys shrinks to K_db only, and the
    log still verifies against the key pinned at init."""
    s = Server()
    try:
        admin = s.admin()
        au, _ = al.auditor(s, admin, name="au-split")
        pinned = al.vkey(s, au)
        assert s.stop() == 0
        keys, sign = os.path.join(s.dir, "keys"), os.path.join(s.dir, "audit-key")
        r = subprocess.run([DBPEEK, s.dir, s.passfile, "unsplit"],
                           capture_output=True, timeout=120)
        assert r.returncode == 0, r.stderr
        assert os.path.getsize(keys) == KEYS_V1_FILE_BYTES
        assert not os.path.exists(sign)
        # a passphrase change on it keeps it whole
        new = os.path.join(s.tmp, "new")
        write_secret(new, "split-" + os.urandom(6).hex())
        r = corridor("passphrase", s.dir, "--passphrase-file", s.passfile,
                     "--new-passphrase-file", new)
        assert r.returncode == 0, r.stderr
        assert os.path.getsize(keys) == KEYS_V1_FILE_BYTES
        assert not os.path.exists(sign)
        s.passfile = new
        s.start()
        assert "moved the audit signing key" in s.stderr(), s.stderr()
        assert os.path.getsize(keys) == KEYS_DB_FILE_BYTES
        assert os.path.exists(sign)
        au = s.login("au-split", al.password(s, "au-split"))
        assert al.vkey(s, au) == pinned
        status, line = al.verify(al.export(s, au), pinned, [al.checkpoint(s, au)])
        assert status == 0, line
        assert s.stop() == 0
        assert listing(s.dir) == DATA, listing(s.dir)
        s.start()          # split once: a second start says nothing of it
        assert "moved the audit signing key" not in s.stderr()
        assert s.stop() == 0
    finally:
        s.cleanup()


def test_separate_signing_passphrase():
    """init --signing-passphrase-file puts audit-key under a passphrase of
    its own: serve without it is refused, naming the signing passphrase;
    a change of the operator passphrase leaves audit-key alone; audit
    rotate-key can move the key to yet another passphrase."""
    work = tempfile.mkdtemp(prefix="corridor-sign-")
    try:
        op, sp, sp2 = (os.path.join(work, n) for n in ("op", "sp", "sp2"))
        write_secret(op, "operator-" + os.urandom(6).hex())
        write_secret(sp, "signing-" + os.urandom(6).hex())
        write_secret(sp2, "signing2-" + os.urandom(6).hex())
        apw = os.path.join(work, "apw")
        write_secret(apw, Server.random_password("init-"))
        d = os.path.join(work, "data")
        r = corridor("init", d, "--passphrase-file", op,
                     "--signing-passphrase-file", sp,
                     "--admin-password-file", apw,
                     "--coordinator-password-file", apw)
        assert r.returncode == 0, r.stderr
        assert listing(d) == DATA, listing(d)

        class Dir:
            dir, passfile = d, op
        err = serve_fails(Dir)
        assert "audit-key: wrong signing passphrase" in one_line(err), err
        sign = os.path.join(d, "audit-key")
        s0 = sha(sign)
        new = os.path.join(work, "new")
        write_secret(new, "operator2-" + os.urandom(6).hex())
        r = corridor("passphrase", d, "--passphrase-file", op,
                     "--new-passphrase-file", new)
        assert r.returncode == 0 and "passphrase of its own" in r.stdout, r
        assert sha(sign) == s0
        r = corridor("audit", "rotate-key", d, "--passphrase-file", new,
                     "--signing-passphrase-file", sp,
                     "--new-signing-passphrase-file", sp2)
        assert r.returncode == 0, r.stderr
        s = Server(datadir=d, init=False, passphrase=open(new).read().strip(),
                   extra_args=["--signing-passphrase-file", sp2])
        assert s.healthy()
        assert s.stop() == 0
        s.cleanup()
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test_rekey():
    s, pw = with_user()
    work = tempfile.mkdtemp(prefix="corridor-keys-")
    try:
        keys, db = os.path.join(s.dir, "keys"), os.path.join(s.dir, "corridor.db")
        old = os.path.join(work, "old")
        shutil.copytree(s.dir, old)
        # not beside a running server; not with a wrong passphrase
        s.start()
        admin = s.admin()
        before = s.get("/users", token=admin).json()
        r = corridor("rekey", s.dir, "--passphrase-file", s.passfile)
        assert r.returncode == 1 and "in use" in one_line(r.stderr)
        assert s.stop() == 0
        wrong = os.path.join(work, "wrong")
        write_secret(wrong, "not-the-passphrase")
        r = corridor("rekey", s.dir, "--passphrase-file", wrong)
        assert r.returncode == 1 and "passphrase" in one_line(r.stderr)
        k0, d0 = sha(keys), sha(db)
        r = corridor("rekey", s.dir, "--passphrase-file", s.passfile)
        assert r.returncode == 0, r.stderr
        assert sha(keys) != k0 and sha(db) != d0
        assert listing(s.dir) == DATA, listing(s.dir)
        with open(db, "rb") as f:
            data = f.read()
        assert MARK.encode() not in data and not data.startswith(b"SQLite")
        # the old K_db (old key file, same passphrase) opens nothing now
        mixed = os.path.join(work, "mixed")
        os.mkdir(mixed, 0o700)
        shutil.copy(db, mixed)
        shutil.copy(os.path.join(old, "keys"), mixed)
        shutil.copy(os.path.join(s.dir, "audit-key"), mixed)
        r = subprocess.run([BIN, "serve", mixed, "--passphrase-file",
                            s.passfile, "--listen", "127.0.0.1:0"],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 1 and "wrong database key" in r.stderr, r.stderr
        # the same passphrase serves the same data
        s.start()
        admin = s.admin()
        assert s.get("/users", token=admin).json() == before
        s.login(MARK + "-cw", pw)
        assert s.stop() == 0
        # again: rekeying is repeatable
        r = corridor("rekey", s.dir, "--passphrase-file", s.passfile)
        assert r.returncode == 0, r.stderr
        s.start()
        s.login(MARK + "-cw", pw)
        assert s.stop() == 0
        # usage
        for args in (["rekey"], ["rekey", s.dir, "x"],
                     ["rekey", s.dir, "--new-passphrase-file", wrong]):
            r = corridor(*args)
            assert r.returncode == 2 and "usage" in one_line(r.stderr), args
    finally:
        s.cleanup()
        shutil.rmtree(work, ignore_errors=True)


def test_rekey_refuses_plaintext():
    s, _ = with_user()
    try:
        db = os.path.join(s.dir, "corridor.db")
        os.unlink(db)
        p = sqlite3.connect(db)
        p.execute("CREATE TABLE t (x)")
        p.execute("INSERT INTO t VALUES ('%s')" % MARK)
        p.commit()
        p.close()
        d0 = sha(db)
        r = corridor("rekey", s.dir, "--passphrase-file", s.passfile)
        assert r.returncode == 1 and "not encrypted" in one_line(r.stderr)
        assert sha(db) == d0 and listing(s.dir) == DATA
    finally:
        s.cleanup()


def test_interrupted_rekey_is_settled():
    s, pw = with_user()
    work = tempfile.mkdtemp(prefix="corridor-keys-")
    try:
        keys = os.path.join(s.dir, "keys")
        pending = os.path.join(s.dir, "keys.pending")
        k0 = sha(keys)
        # (a) a torn keys.pending: the rekey never began on the database
        with open(pending, "wb") as f:
            f.write(b"CRDRKEYS\0\0")
        s.start()
        assert "discarded an interrupted rekey" in s.stderr()
        s.login(MARK + "-cw", pw)
        assert s.stop() == 0
        assert listing(s.dir) == DATA and sha(keys) == k0
        # (b) a whole keys.pending whose key never reached the database:
        # a backup's key file has the same passphrase and another K_db
        bk = os.path.join(work, "bk")
        r = corridor("backup", s.dir, bk, "--passphrase-file", s.passfile)
        assert r.returncode == 0, r.stderr
        shutil.copy(os.path.join(bk, "keys"), pending)
        s.start()
        assert "discarded an interrupted rekey" in s.stderr()
        assert s.stop() == 0
        assert listing(s.dir) == DATA and sha(keys) == k0
        # (c) the database was rekeyed, keys.pending not yet renamed
        before = os.path.join(work, "before")
        shutil.copytree(s.dir, before)
        r = corridor("rekey", s.dir, "--passphrase-file", s.passfile)
        assert r.returncode == 0, r.stderr
        k1 = sha(keys)
        shutil.copy(keys, pending)
        shutil.copy(os.path.join(before, "keys"), keys)
        # backup settles it too (no server running), then serve has
        # nothing left to do
        r = corridor("backup", s.dir, os.path.join(work, "bk2"),
                     "--passphrase-file", s.passfile)
        assert r.returncode == 0, r.stderr
        assert "finished an interrupted rekey" in r.stderr
        assert listing(s.dir) == DATA and sha(keys) == k1
        shutil.copy(keys, pending)
        shutil.copy(os.path.join(before, "keys"), keys)
        s.start()
        assert "finished an interrupted rekey" in s.stderr()
        s.login(MARK + "-cw", pw)
        assert s.stop() == 0
        assert listing(s.dir) == DATA and sha(keys) == k1
        # (d) neither key opens the database: nothing is removed
        shutil.copy(os.path.join(bk, "keys"), pending)
        shutil.copy(os.path.join(bk, "keys"), keys)
        err = serve_fails(s)
        assert "neither" in err, err
        assert listing(s.dir) == DATA + ["keys.pending"]
        # (e) the wrong passphrase settles nothing either
        wrong = os.path.join(work, "wrong")
        write_secret(wrong, "not-the-passphrase")
        shutil.copy(os.path.join(before, "keys"), keys)
        r = corridor("passphrase", s.dir, "--passphrase-file", wrong,
                     "--new-passphrase-file", wrong)
        assert r.returncode == 1 and "passphrase" in one_line(r.stderr)
        assert listing(s.dir) == DATA + ["keys.pending"]
    finally:
        s.cleanup()
        shutil.rmtree(work, ignore_errors=True)


def test_one_server_per_directory():
    s = Server()
    try:
        err = serve_fails(s)
        assert "in use" in one_line(err), err
        assert s.healthy()
        # restore and a second init refuse a live directory as well
        r = corridor("init", s.dir, "--passphrase-file", s.passfile)
        assert r.returncode == 1
        assert s.stop() == 0
    finally:
        s.cleanup()


def test_unknown_options_are_not_echoed():
    """getopt would print "unrecognized option '--x=...'", and an operator
    who types a secret into an option would see it in logs."""
    for cmd in ("init", "serve", "backup", "restore", "passphrase", "rekey"):
        r = corridor(cmd, "--secret=%s-hunter2" % MARK, "/nonexistent/x")
        assert r.returncode == 2, (cmd, r.stderr)
        assert "hunter2" not in r.stderr + r.stdout, (cmd, r.stderr)
        assert "usage" in one_line(r.stderr)


def test_other_users_directory_refused():
    """Run as root on the service user's directory, a key change would
    leave files the service cannot read: every command refuses instead."""
    if os.geteuid() != 0:
        skip("test_other_users_directory_refused",
             "needs root to hand a directory to another user")
        return
    s, _ = with_user()
    work = tempfile.mkdtemp(prefix="corridor-keys-")
    try:
        nobody = 65534
        for root, dirs, files in os.walk(s.dir):
            for n in dirs + files:
                os.chown(os.path.join(root, n), nobody, nobody)
        os.chown(s.dir, nobody, nobody)
        k0 = sha(os.path.join(s.dir, "keys"))
        for args in (["serve", s.dir, "--listen", "127.0.0.1:0"],
                     ["rekey", s.dir], ["passphrase", s.dir],
                     ["backup", s.dir, os.path.join(work, "bk")]):
            r = corridor(*(args + ["--passphrase-file", s.passfile]))
            assert r.returncode == 1, (args, r.stderr)
            assert "another user" in one_line(r.stderr), r.stderr
        assert sha(os.path.join(s.dir, "keys")) == k0
        assert listing(s.dir) == DATA
        assert not os.path.exists(os.path.join(work, "bk"))
        # restore into an empty directory that is not ours
        for root, dirs, files in os.walk(s.dir):
            for n in dirs + files:
                os.chown(os.path.join(root, n), 0, 0)
        os.chown(s.dir, 0, 0)
        r = corridor("backup", s.dir, os.path.join(work, "bk"),
                     "--passphrase-file", s.passfile)
        assert r.returncode == 0, r.stderr
        target = os.path.join(work, "theirs")
        os.mkdir(target, 0o700)
        os.chown(target, nobody, nobody)
        r = corridor("restore", os.path.join(work, "bk"), target,
                     "--passphrase-file", s.passfile)
        assert r.returncode == 1 and "another user" in one_line(r.stderr)
        assert os.listdir(target) == []
    finally:
        s.cleanup()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    run([test_passphrase_change, test_combined_keys_file_is_split_at_start,
         test_separate_signing_passphrase, test_rekey,
         test_rekey_refuses_plaintext,
         test_interrupted_rekey_is_settled, test_one_server_per_directory,
         test_unknown_options_are_not_echoed,
         test_other_users_directory_refused])
