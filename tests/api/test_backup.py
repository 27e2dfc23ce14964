# SPDX-License-Identifier: AGPL-3.0-or-later
"""corridor backup and corridor restore against the real binary. A backup
taken while the server runs and writes is encrypted (no plaintext header, no
known marker in any file), restores into a new directory, and the restored
server has every account as it was, passwords, revocations and all. Each
refusal is tested: wrong passphrase, an existing target, a non-empty restore
target, a tampered or plaintext backup, bad usage; none leaves files
behind. A backup holds no audit signing key, so it cannot sign the log
even with the passphrase; a restore starts a new signing key that the
previous one hands the log over to, and the auditor's pinned key still
verifies the restored log."""
import hashlib
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import tempfile
import time
import threading

sys.path.insert(0, os.path.dirname(__file__))
from harness import BIN, Server, run, write_secret  # noqa: E402
import auditlib as al  # noqa: E402

MARK = "marker-zq7"


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


BACKUP_FILES = ["corridor.db", "keys"]
# a restored directory: its own signing key, and the checkpoint signed by
# the previous key over the hand-over
RESTORED_FILES = ["audit-checkpoint", "audit-key", "corridor.db", "keys"]
KEYS_DB_FILE_BYTES = 116        # docs/crypto.md: K_db only
KEYS_V1_FILE_BYTES = 180        # before the split: K_db and signing key


def assert_encrypted_dir(d, markers, files=BACKUP_FILES):
    assert sorted(os.listdir(d)) == files, os.listdir(d)
    assert stat.S_IMODE(os.stat(d).st_mode) == 0o700
    for name in files:
        p = os.path.join(d, name)
        assert stat.S_IMODE(os.stat(p).st_mode) == 0o600, name
        with open(p, "rb") as f:
            data = f.read()
        assert not data.startswith(b"SQLite format 3\0"), name
        for m in markers:
            assert m.encode() not in data, "%s holds %r" % (name, m)


def populated():
    """A server with accounts that exercise every user-table column."""
    s = Server()
    admin = s.admin()
    users = {}
    for role in ("caseworker", "auditor", "coordinator"):
        name = "%s-%s" % (MARK, role)
        users[name] = s.create_user(admin, name, role)
    cw = "%s-caseworker" % MARK
    tok = s.login(cw, users[cw][1])
    new = "fresh-" + os.urandom(12).hex()   # not like the username
    r = s.request("PUT", "/me/password",
                  {"old_password": users[cw][1],
                   "new_password": new}, token=tok)
    assert r.status == 204, r
    users[cw] = (users[cw][0], new)
    gone = "%s-auditor" % MARK
    assert s.post("/users/%s/revoke" % users[gone][0],
                  token=admin).status == 200
    return s, users


def test_round_trip_while_serving():
    s, users = populated()
    work = tempfile.mkdtemp(prefix="corridor-backup-")
    restored = None
    try:
        admin = s.admin()
        before = s.get("/users", token=admin).json()
        out = os.path.join(work, "bk")
        # the server keeps taking writes (logins are audited) meanwhile
        stop = threading.Event()
        errors = []

        def traffic():
            while not stop.is_set():
                try:
                    s.admin()
                except Exception as e:     # noqa: BLE001
                    errors.append(e)
                    return
        t = threading.Thread(target=traffic)
        t.start()
        try:
            r = corridor("backup", s.dir, out, "--passphrase-file", s.passfile)
        finally:
            stop.set()
            t.join()
        assert r.returncode == 0, r.stderr
        assert "backup of" in r.stdout and s.passphrase not in r.stdout
        assert not errors, errors
        assert s.healthy()
        markers = [MARK, "admin", "coord", s.passphrase] + \
            [pw for _, pw in users.values()]
        assert_encrypted_dir(out, markers)
        # a fresh key: neither file equals the live one
        for name in ("corridor.db", "keys"):
            assert sha(os.path.join(out, name)) != \
                sha(os.path.join(s.dir, name))
        assert s.stop() == 0

        target = os.path.join(work, "restored")
        r = corridor("restore", out, target, "--passphrase-file", s.passfile,
                     "--signing-key", os.path.join(s.dir, "audit-key"))
        assert r.returncode == 0, r.stderr
        assert_encrypted_dir(target, markers, RESTORED_FILES)
        assert sha(os.path.join(target, "keys")) != sha(os.path.join(out, "keys"))
        restored = Server(datadir=target, init=False, passphrase=s.passphrase)
        admin = restored.admin()
        assert restored.get("/users", token=admin).json() == before
        cw = "%s-caseworker" % MARK
        restored.login(cw, users[cw][1])        # the changed password
        gone = "%s-auditor" % MARK
        r = restored.post("/session", {"username": gone,
                                       "password": users[gone][1]})
        assert r.status == 401, r
        restored.login("%s-coordinator" % MARK,
                       users["%s-coordinator" % MARK][1])
        assert restored.stop() == 0
        # the backup itself was not changed by restoring from it
        assert sorted(os.listdir(out)) == ["corridor.db", "keys"]
    finally:
        if restored is not None:
            restored.cleanup()
        s.cleanup()
        shutil.rmtree(work, ignore_errors=True)


def test_backup_refusals():
    s = Server()
    work = tempfile.mkdtemp(prefix="corridor-backup-")
    try:
        wrong = os.path.join(work, "wrong")
        write_secret(wrong, "not-the-passphrase")
        out = os.path.join(work, "bk")
        r = corridor("backup", s.dir, out, "--passphrase-file", wrong)
        assert r.returncode == 1 and "passphrase" in one_line(r.stderr)
        assert not os.path.exists(out)
        # an existing target is never written into
        os.mkdir(out)
        open(os.path.join(out, "precious"), "w").close()
        r = corridor("backup", s.dir, out, "--passphrase-file", s.passfile)
        assert r.returncode == 1 and "exists" in one_line(r.stderr)
        assert os.listdir(out) == ["precious"]
        # no database there
        r = corridor("backup", work, os.path.join(work, "bk2"),
                     "--passphrase-file", s.passfile)
        assert r.returncode == 1, r.stderr
        one_line(r.stderr)
        assert not os.path.exists(os.path.join(work, "bk2"))
        # usage
        for args in (["backup"], ["backup", s.dir],
                     ["backup", s.dir, out, "extra"],
                     ["backup", s.dir, out, "--bogus"]):
            r = corridor(*args)
            assert r.returncode == 2, (args, r.stderr)
            assert "usage" in one_line(r.stderr)
        assert s.stop() == 0
    finally:
        s.cleanup()
        shutil.rmtree(work, ignore_errors=True)


def test_backup_cannot_sign_the_log():
    """A backup and the operator passphrase do not hold the audit signing
    key: the backup's keys file is K_db only, and serving the backup as a
    data directory is refused for want of the key. Fails on the old code,
    where the backup's keys file carried the signing key (180 bytes) and
    the backup served and signed."""
    s = Server()
    work = tempfile.mkdtemp(prefix="corridor-backup-")
    try:
        out = os.path.join(work, "bk")
        r = corridor("backup", s.dir, out, "--passphrase-file", s.passfile)
        assert r.returncode == 0, r.stderr
        assert sorted(os.listdir(out)) == BACKUP_FILES
        assert os.path.getsize(os.path.join(out, "keys")) == KEYS_DB_FILE_BYTES
        # the live directory: K_db and the signing key in two files
        assert os.path.getsize(os.path.join(s.dir, "keys")) == KEYS_DB_FILE_BYTES
        assert os.path.exists(os.path.join(s.dir, "audit-key"))
        r = subprocess.run([BIN, "serve", out, "--passphrase-file", s.passfile,
                            "--listen", "127.0.0.1:0"], capture_output=True,
                           text=True, timeout=120)
        assert r.returncode != 0, r.stderr
        assert "audit-key is missing" in r.stderr, r.stderr
        assert sorted(os.listdir(out)) == BACKUP_FILES
        assert s.stop() == 0
    finally:
        s.cleanup()
        shutil.rmtree(work, ignore_errors=True)


def test_restore_links_a_new_signing_key():
    """restore starts a new signing key; the previous key seals an
    audit.key_rotate entry (request id "restore") handing the log over, so
    the export of the restored server verifies against the key the
    auditor pinned at init, with a checkpoint they held before the backup.
    Fails on the old code: the restored server kept the old key (no
    rotation entry)."""
    s = Server()
    work = tempfile.mkdtemp(prefix="corridor-backup-")
    restored = None
    try:
        admin = s.admin()
        au_name = "au-restore"
        au, _ = al.auditor(s, admin, name=au_name)
        pinned = al.vkey(s, au)
        held = al.checkpoint(s, au)
        out = os.path.join(work, "bk")
        r = corridor("backup", s.dir, out, "--passphrase-file", s.passfile)
        assert r.returncode == 0, r.stderr
        assert s.stop() == 0
        # the signing-key holder uses a passphrase of their own for the
        # new key
        newpass = os.path.join(work, "signing-pass")
        write_secret(newpass, "signing-" + os.urandom(8).hex())
        target = os.path.join(work, "restored")
        r = corridor("restore", out, target, "--passphrase-file", s.passfile,
                     "--signing-key", os.path.join(s.dir, "audit-key"),
                     "--new-signing-passphrase-file", newpass)
        assert r.returncode == 0, r.stderr
        assert "previous audit key " + pinned in r.stdout, r.stdout
        new_line = [ln for ln in r.stdout.splitlines() if ln.startswith("audit key ")]
        assert len(new_line) == 1 and new_line[0][10:] != pinned, r.stdout
        # the operator passphrase alone no longer starts it
        restored = Server(datadir=target, init=False, passphrase=s.passphrase,
                          extra_args=["--signing-passphrase-file", newpass])
        au = restored.login(au_name, al.password(s, au_name))
        assert al.vkey(restored, au) == new_line[0][10:]
        rot = al.all_entries(restored, au, action="audit.key_rotate")
        assert len(rot) == 1 and rot[0]["request_id"] == "restore", rot
        status, line = al.verify(al.export(restored, au), pinned,
                                 [held, al.checkpoint(restored, au)])
        assert status == 0, line
        assert restored.stop() == 0
        r = subprocess.run([BIN, "serve", target, "--passphrase-file", s.passfile,
                            "--listen", "127.0.0.1:0"], capture_output=True,
                           text=True, timeout=120)
        assert r.returncode != 0 and "signing passphrase" in r.stderr, r.stderr
    finally:
        if restored is not None:
            restored.cleanup()
        s.cleanup()
        shutil.rmtree(work, ignore_errors=True)


def test_restore_refusals():
    s = Server()
    work = tempfile.mkdtemp(prefix="corridor-backup-")
    try:
        out = os.path.join(work, "bk")
        r = corridor("backup", s.dir, out, "--passphrase-file", s.passfile)
        assert r.returncode == 0, r.stderr
        assert s.stop() == 0
        # never over anything: a non-empty target, even the live one
        for target in (s.dir, work):
            before = sorted(os.listdir(target))
            r = corridor("restore", out, target, "--passphrase-file",
                         s.passfile)
            assert r.returncode == 1 and "not empty" in one_line(r.stderr)
            assert sorted(os.listdir(target)) == before
        # wrong passphrase: nothing created
        wrong = os.path.join(work, "wrong")
        write_secret(wrong, "not-the-passphrase")
        target = os.path.join(work, "r1")
        r = corridor("restore", out, target, "--passphrase-file", wrong)
        assert r.returncode == 1 and "passphrase" in one_line(r.stderr)
        assert not os.path.exists(target)
        # an existing empty directory is fine, and stays if restore fails
        os.mkdir(target, 0o700)
        r = corridor("restore", out, target, "--passphrase-file", wrong)
        assert r.returncode == 1 and os.listdir(target) == []
        # without the previous signing key: refused, nothing left
        r = corridor("restore", out, target, "--passphrase-file", s.passfile)
        assert r.returncode == 1 and "--signing-key" in one_line(r.stderr)
        assert os.listdir(target) == []
        # a signing key that did not sign this log: refused, nothing left
        other = Server()
        other.stop()
        r = corridor("restore", out, target, "--passphrase-file", s.passfile,
                     "--signing-key", os.path.join(other.dir, "audit-key"),
                     "--signing-passphrase-file", other.passfile)
        other.cleanup()
        assert r.returncode == 1, r.stderr
        assert os.listdir(target) == [], os.listdir(target)
        r = corridor("restore", out, target, "--passphrase-file", s.passfile,
                     "--signing-key", os.path.join(s.dir, "audit-key"))
        assert r.returncode == 0, r.stderr
        # a tampered backup: one flipped byte in the fourth page
        bad = os.path.join(work, "tampered")
        shutil.copytree(out, bad)
        with open(os.path.join(bad, "corridor.db"), "r+b") as f:
            f.seek(4096 * 3 + 200)
            b = f.read(1)
            f.seek(4096 * 3 + 200)
            f.write(bytes([b[0] ^ 1]))
        target = os.path.join(work, "r2")
        r = corridor("restore", bad, target, "--passphrase-file", s.passfile,
                     "--signing-key", os.path.join(s.dir, "audit-key"))
        assert r.returncode == 1, r.stderr
        one_line(r.stderr)
        assert not os.path.exists(target)
        # a plaintext database with a valid key file is refused
        plain = os.path.join(work, "plain")
        os.mkdir(plain)
        shutil.copy(os.path.join(out, "keys"), plain)
        db = sqlite3.connect(os.path.join(plain, "corridor.db"))
        db.execute("CREATE TABLE t (x)")
        db.commit()
        db.close()
        r = corridor("restore", plain, os.path.join(work, "r3"),
                     "--passphrase-file", s.passfile)
        assert r.returncode == 1 and "not encrypted" in one_line(r.stderr)
        assert not os.path.exists(os.path.join(work, "r3"))
        # not a backup at all
        r = corridor("restore", work, os.path.join(work, "r4"),
                     "--passphrase-file", s.passfile)
        assert r.returncode == 1 and "not a corridor backup" in r.stderr
        # usage
        for args in (["restore"], ["restore", out],
                     ["restore", out, "x", "y"]):
            r = corridor(*args)
            assert r.returncode == 2, (args, r.stderr)
    finally:
        s.cleanup()
        shutil.rmtree(work, ignore_errors=True)


def test_prune_days():
    """issue 18: `corridor backup --prune-days N` deletes, after a good
    backup, the timer-named backups beside it older than N days (key file
    first) and nothing else: not newer ones, not other names, not a
    directory holding anything but a backup's files."""
    s = Server()
    work = tempfile.mkdtemp(prefix="corridor-prune-")
    try:
        def stamp(days_ago):
            return time.strftime("%Y%m%dT%H%M%SZ",
                                 time.gmtime(time.time() - days_ago * 86400))

        old, recent = stamp(40), stamp(10)
        for name in (old, recent, "manual-copy"):
            r = corridor("backup", s.dir, os.path.join(work, name),
                         "--passphrase-file", s.passfile)
            assert r.returncode == 0, r.stderr
        now = stamp(0)
        r = corridor("backup", s.dir, os.path.join(work, now),
                     "--passphrase-file", s.passfile, "--prune-days", "30")
        assert r.returncode == 0, r.stderr
        assert sorted(os.listdir(work)) == sorted([recent, "manual-copy",
                                                    now]), os.listdir(work)
        assert ("pruned backup %s" % old) in r.stdout, r.stdout
        # the kept ones still restore
        r = corridor("restore", os.path.join(work, recent),
                     os.path.join(work, "restored"), "--passphrase-file",
                     s.passfile, "--signing-key",
                     os.path.join(s.dir, "audit-key"))
        assert r.returncode == 0, r.stderr
        shutil.rmtree(os.path.join(work, "restored"))
        # an old timer-named directory with a stranger in it is kept whole
        odd = stamp(50)
        r = corridor("backup", s.dir, os.path.join(work, odd),
                     "--passphrase-file", s.passfile)
        assert r.returncode == 0, r.stderr
        open(os.path.join(work, odd, "notes.txt"), "w").close()
        r = corridor("backup", s.dir, os.path.join(work, stamp(-0.0001)),
                     "--passphrase-file", s.passfile, "--prune-days", "30")
        assert r.returncode == 1 and "not pruned" in r.stderr, r
        assert sorted(os.listdir(os.path.join(work, odd))) == [
            "corridor.db", "keys", "notes.txt"]
        # usage: 0, negative, not a number, past ten years
        for bad in ("0", "-1", "x", "3651", ""):
            r = corridor("backup", s.dir, os.path.join(work, "u"),
                         "--passphrase-file", s.passfile, "--prune-days", bad)
            assert r.returncode == 2 and "usage" in one_line(r.stderr), (bad, r)
            assert not os.path.exists(os.path.join(work, "u"))
        assert s.stop() == 0
    finally:
        s.cleanup()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    run([test_round_trip_while_serving, test_backup_refusals,
         test_backup_cannot_sign_the_log, test_restore_links_a_new_signing_key,
         test_restore_refusals, test_prune_days])
