# SPDX-License-Identifier: AGPL-3.0-or-later
"""The shipped systemd units (docs/corridor.service, docs/corridor-backup.*):
every hardening directive the operations guide promises is there, the
passphrase arrives as a credential file and never as a value, the exact
ExecStart command line of each unit works against the real binary (with the
credentials directory, data directory and port pointed at a temporary
place), and, where systemd-analyze is installed, the units verify without a
single warning and score as well as they did when written."""
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import BIN, Server, run, skip  # noqa: E402

DOCS = os.path.join(os.path.dirname(__file__), "..", "..", "docs")
UNIT = os.path.join(DOCS, "corridor.service")
BACKUP_UNIT = os.path.join(DOCS, "corridor-backup.service")
BACKUP_TIMER = os.path.join(DOCS, "corridor-backup.timer")
INSTALLED_BIN = "/usr/local/bin/corridor"



def parse_unit(path):
    """{section: {key: [values]}} with continuation lines joined."""
    out, section, pending = {}, None, ""
    with open(path) as f:
        for raw in f:
            line = raw.rstrip("\n")
            if pending:
                line = pending + " " + line.strip()
                pending = ""
            if line.endswith("\\"):
                pending = line[:-1].rstrip()
                continue
            s = line.strip()
            if not s or s[0] in "#;":
                continue
            if s.startswith("[") and s.endswith("]"):
                section = s[1:-1]
                out.setdefault(section, {})
                continue
            k, _, v = s.partition("=")
            out[section].setdefault(k.strip(), []).append(v.strip())
    return out


def one(svc, key):
    vals = svc.get(key)
    assert vals is not None, "missing %s=" % key
    return vals[-1]


def memlock_bytes(v):
    if v == "infinity":
        return float("inf")
    m = re.fullmatch(r"(\d+)([KMG]?)", v)
    assert m, v
    return int(m.group(1)) * {"": 1, "K": 1 << 10, "M": 1 << 20,
                              "G": 1 << 30}[m.group(2)]


def check_hardening(svc, network):
    assert one(svc, "User") == "corridor" and one(svc, "Group") == "corridor"
    assert one(svc, "LoadCredential") == "passphrase:/etc/corridor/passphrase"
    assert "Environment" not in svc and "EnvironmentFile" not in svc
    for key, want in (("ProtectSystem", "strict"), ("PrivateTmp", "yes"),
                      ("NoNewPrivileges", "yes"),
                      ("MemoryDenyWriteExecute", "yes"),
                      ("LockPersonality", "yes"), ("ProtectHome", "yes"),
                      ("ProtectKernelTunables", "yes"),
                      ("ProtectKernelModules", "yes"),
                      ("ProtectKernelLogs", "yes"),
                      ("ProtectControlGroups", "yes"),
                      ("PrivateDevices", "yes"), ("RestrictSUIDSGID", "yes"),
                      ("RestrictNamespaces", "yes"),
                      ("SystemCallArchitectures", "native"),
                      ("CapabilityBoundingSet", ""), ("LimitCORE", "0"),
                      ("MemorySwapMax", "0"),
                      ("UMask", "0077")):
        assert one(svc, key) == want, (key, svc.get(key))
    assert "@system-service" in svc["SystemCallFilter"]
    assert "/var/lib/corridor" in one(svc, "ReadWritePaths").split()
    # the session slab alone is about 2.4 MiB (MAX_SESSIONS x 2368 B)
    assert memlock_bytes(one(svc, "LimitMEMLOCK")) >= 8 << 20
    if network:
        assert one(svc, "RestrictAddressFamilies") == "AF_INET AF_INET6 AF_UNIX"


def test_service_unit_hardening():
    u = parse_unit(UNIT)
    svc = u["Service"]
    check_hardening(svc, network=True)
    cmd = one(svc, "ExecStart")
    argv = shlex.split(cmd)
    assert argv[:3] == [INSTALLED_BIN, "serve", "/var/lib/corridor/data"], argv
    i = argv.index("--passphrase-file")
    assert argv[i + 1] == "${CREDENTIALS_DIRECTORY}/passphrase", argv
    assert "--insecure-http" not in argv
    assert one(svc, "TimeoutStopSec") and int(one(svc, "TimeoutStopSec")) > 15
    # mlockall needs the whole address space chargeable (issue 18)
    assert one(svc, "LimitMEMLOCK") == "infinity"
    assert u["Install"]["WantedBy"] == ["multi-user.target"]
    b = parse_unit(BACKUP_UNIT)["Service"]
    check_hardening(b, network=False)
    assert "/var/backups/corridor" in one(b, "ReadWritePaths").split()
    assert "OnCalendar" in parse_unit(BACKUP_TIMER)["Timer"]


def run_like_systemd(cmd, env_dir, datadir, port_arg):
    """Expand ExecStart as systemd would for our temporary layout."""
    cmd = cmd.replace("${CREDENTIALS_DIRECTORY}", env_dir)
    argv = shlex.split(cmd)
    argv[0] = BIN
    argv = [datadir if a == "/var/lib/corridor/data" else a for a in argv]
    if "--listen" in argv:
        argv[argv.index("--listen") + 1] = port_arg
    return argv


def test_unit_command_lines_work():
    s = Server()
    creds = tempfile.mkdtemp(prefix="corridor-creds-")
    try:
        assert s.stop() == 0
        shutil.copy(s.passfile, os.path.join(creds, "passphrase"))
        # corridor.service's ExecStart, as is, on a temporary data dir
        cmd = one(parse_unit(UNIT)["Service"], "ExecStart")
        argv = run_like_systemd(cmd, creds, s.dir, "127.0.0.1:0")
        log = open(os.path.join(s.tmp, "unit.log"), "w+")
        p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=log)
        try:
            deadline = time.time() + 60
            while time.time() < deadline:
                log.seek(0)
                if "listening on http://127.0.0.1:" in log.read():
                    break
                assert p.poll() is None, open(log.name).read()
                time.sleep(0.05)
            else:
                raise AssertionError("serve from the unit did not start")
        finally:
            p.send_signal(signal.SIGTERM)
            assert p.wait(60) == 0
        # corridor-backup.service's ExecStart through /bin/sh, date and all
        cmd = one(parse_unit(BACKUP_UNIT)["Service"], "ExecStart")
        backups = os.path.join(s.tmp, "backups")
        os.mkdir(backups, 0o700)
        cmd = cmd.replace("/var/backups/corridor", backups)
        cmd = cmd.replace("/var/lib/corridor/data", s.dir)
        cmd = cmd.replace(INSTALLED_BIN, BIN).replace("%%", "%")
        argv = shlex.split(cmd)
        out = subprocess.run(argv, env={"CREDENTIALS_DIRECTORY": creds,
                                        "PATH": "/usr/bin:/bin"},
                             capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        made = os.listdir(backups)
        assert len(made) == 1 and re.fullmatch(r"\d{8}T\d{6}Z", made[0]), made
        assert sorted(os.listdir(os.path.join(backups, made[0]))) == \
            ["corridor.db", "keys"]
    finally:
        shutil.rmtree(creds, ignore_errors=True)
        s.cleanup()


def test_systemd_analyze():
    sa = shutil.which("systemd-analyze")
    if sa is None:
        skip("test_systemd_analyze", "systemd-analyze is not installed")
        return
    d = tempfile.mkdtemp(prefix="corridor-units-")
    try:
        names = []
        for src in (UNIT, BACKUP_UNIT, BACKUP_TIMER):
            name = os.path.basename(src)
            with open(src) as f:
                text = f.read().replace(INSTALLED_BIN, os.path.abspath(BIN))
            with open(os.path.join(d, name), "w") as f:
                f.write(text)
            names.append(os.path.join(d, name))
        out = subprocess.run([sa, "verify", "--man=no"] + names,
                             capture_output=True, text=True, timeout=120)
        # verify exits 0 on unknown keys and bad values; any output is a
        # warning, and a warning here means a directive is silently ignored
        assert out.returncode == 0 and out.stdout == "" and out.stderr == "", \
            out.stdout + out.stderr
        out = subprocess.run([sa, "security", "--offline=yes", names[0]],
                             capture_output=True, text=True, timeout=120)
        m = re.search(r"Overall exposure level for \S+: ([0-9.]+)", out.stdout)
        if out.returncode != 0 and m is None:
            skip("test_systemd_analyze (security)",
                 "systemd-analyze security --offline is not supported")
            return
        assert m and float(m.group(1)) <= 2.0, out.stdout[-400:]
    finally:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    run([test_service_unit_hardening, test_unit_command_lines_work,
         test_systemd_analyze])
