# SPDX-License-Identifier: AGPL-3.0-or-later
"""The command line: exit statuses, one-line errors without secrets, init
refusing an existing directory, wrong passphrase, a tampered key file, and
the refusal to serve plain HTTP off loopback."""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from harness import BIN, Server, run, write_secret  # noqa: E402


def corridor(*args, timeout=60):
    return subprocess.run([BIN] + list(args), capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def test_help_version_usage():
    r = corridor("--version")
    assert r.returncode == 0 and r.stdout.startswith("corridor ")
    r = corridor("--help")
    assert r.returncode == 0 and "corridor serve" in r.stdout
    assert corridor().returncode == 2
    assert corridor("frobnicate").returncode == 2
    assert corridor("serve").returncode == 2
    assert corridor("serve", "d", "--listen", "nonsense").returncode == 2
    assert corridor("serve", "d", "--session-idle", "100000").returncode == 2
    # numbers are digits only, a sign or a blank is refused (cli_parse)
    assert corridor("serve", "d", "--session-idle", "+5").returncode == 2
    assert corridor("serve", "d", "--checkpoint-every", " 5").returncode == 2
    # getopt's own message would echo argv, which may hold a secret
    r = corridor("check", "d", "--no-such-option=hunter2")
    assert r.returncode == 2 and "hunter2" not in r.stderr, r.stderr
    assert corridor("init").returncode == 2


def test_secret_needs_a_file_or_terminal():
    with tempfile.TemporaryDirectory() as t:
        r = corridor("init", os.path.join(t, "d"))
        assert r.returncode == 1
        assert len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_wrong_passphrase_and_refusals():
    s = Server()
    try:
        assert s.stop() == 0
        wrong = os.path.join(s.tmp, "wrong")
        write_secret(wrong, "not the passphrase")
        r = corridor("serve", s.dir, "--passphrase-file", wrong,
                     "--listen", "127.0.0.1:0")
        assert r.returncode == 1, r
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and "wrong passphrase" in lines[0], r.stderr
        assert "not the passphrase" not in r.stderr
        # init refuses a directory that already holds a database
        r = corridor("init", s.dir, "--passphrase-file", s.passfile)
        assert r.returncode == 1 and "refusing" in r.stderr
        # plain HTTP off loopback is refused, before any secret is read
        r = corridor("serve", s.dir, "--passphrase-file", s.passfile,
                     "--listen", "0.0.0.0:0")
        assert r.returncode == 2 and "TLS" in r.stderr, r
        # a flipped byte in the key file: clean failure, exit 1
        kp = os.path.join(s.dir, "keys")
        data = bytearray(open(kp, "rb").read())
        for off in (100, 30, 0):
            d = bytearray(data)
            d[off] ^= 0x01
            os.chmod(kp, 0o600)
            with open(kp, "wb") as f:
                f.write(d)
            r = corridor("serve", s.dir, "--passphrase-file", s.passfile,
                         "--listen", "127.0.0.1:0")
            assert r.returncode == 1, (off, r)
            assert len(r.stderr.strip().splitlines()) == 1, r.stderr
        with open(kp, "wb") as f:
            f.write(data)
        # restored: it starts again and the data is there
        s.start()
        assert s.healthy()
        assert s.stop() == 0
    finally:
        s.cleanup()


def test_files_are_private():
    s = Server()
    try:
        assert os.stat(s.dir).st_mode & 0o777 == 0o700
        for f in ("keys", "corridor.db"):
            assert os.stat(os.path.join(s.dir, f)).st_mode & 0o777 == 0o600, f
        with open(os.path.join(s.dir, "corridor.db"), "rb") as f:
            head = f.read(16)
        assert head != b"SQLite format 3\x00"
    finally:
        s.cleanup()


if __name__ == "__main__":
    run([test_help_version_usage, test_secret_needs_a_file_or_terminal,
         test_wrong_passphrase_and_refusals, test_files_are_private])
