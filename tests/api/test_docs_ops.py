# SPDX-License-Identifier: AGPL-3.0-or-later
"""docs/operations.md and the man page against the real binary and the
sources they describe: every command in the guide's reference exists and
takes the options shown, every `corridor ...` it mentions exists or is
marked "not yet available", the torrc it gives points at the address serve
and the unit actually use, and the numbers it quotes (drain time, PEM size,
locked memory, the retention default, the login gate and its priority)
are the ones in the sources.
docs/corridor.8 (mdoc) renders without a warning, and its SYNOPSIS holds
exactly the commands and options of `corridor --help`."""
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import BIN, run, skip  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
OPS = os.path.join(ROOT, "docs", "operations.md")
MAN = os.path.join(ROOT, "docs", "corridor.8")
SUBCOMMANDS = {"init", "serve", "check", "backup", "restore", "passphrase",
               "rekey", "retention", "partner"}
AUDIT_SUBCOMMANDS = {"audit rotate-key", "audit verify", "witness init",
                     "witness serve"}
NOT_YET = set()


def text(path):
    with open(path) as f:
        return f.read()


def limit(name, header="limits.h"):
    m = re.search(r"#define %s\s+\(?(\d+)u?(?: \* (\d+)u)?\)?" % name,
                  text(os.path.join(ROOT, "server", header)))
    assert m, name
    return int(m.group(1)) * int(m.group(2) or 1)


def help_text():
    r = subprocess.run([BIN, "--help"], capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 0
    return r.stdout


def test_command_reference_matches_binary():
    doc = text(OPS)
    ref = doc[doc.index("## 12. Command reference"):]
    block = ref[ref.index("```") + 3:]
    block = block[:block.index("```")]
    usage = help_text()
    seen = set()
    for line in block.splitlines():
        m = re.match(r"corridor (audit [a-z-]+|witness [a-z-]+|\w+)",
                     line.strip())
        if m:
            seen.add(m.group(1))
        for opt in re.findall(r"--[a-z-]+", line):
            assert opt in usage, "%s is not in corridor --help" % opt
    assert seen == SUBCOMMANDS | AUDIT_SUBCOMMANDS, seen
    for sub in SUBCOMMANDS | AUDIT_SUBCOMMANDS:
        assert "corridor %s" % sub in usage.replace("  ", " "), sub
        r = subprocess.run([BIN] + sub.split(), capture_output=True,
                           text=True, timeout=30)
        assert r.returncode == 2 and "usage: corridor %s" % sub in r.stderr


def test_every_mentioned_command_exists_or_is_marked():
    doc = text(OPS)
    # commands as written to be typed: `inline code`, or a line of a code
    # block (possibly after sudo -u corridor)
    inline = re.compile(r"`corridor ((?:audit|witness)\s+[a-z-]+|[a-z-]+)")
    block = re.compile(r"^\s*(?:sudo -u corridor )?corridor "
                       r"((?:audit|witness) [a-z-]+|[a-z-]+)", re.M)
    parts = doc.split("```")
    hits = []
    for i, part in enumerate(parts):
        offset = sum(len(p) + 3 for p in parts[:i])
        for m in (block if i % 2 else inline).finditer(part):
            hits.append((offset + m.start(), offset + m.end(),
                         " ".join(m.group(1).split())))
    found = set()
    for start, end, cmd in hits:
        found.add(cmd)
        if cmd in SUBCOMMANDS or cmd in AUDIT_SUBCOMMANDS:
            continue
        assert cmd in NOT_YET, "unknown command in the guide: corridor " + cmd
        near = " ".join(doc[max(0, start - 600):end + 600].lower().split())
        assert "not yet available" in near, cmd
    assert SUBCOMMANDS <= found, SUBCOMMANDS - found


def test_tor_and_unit_agree_with_serve():
    doc = text(OPS)
    port = re.search(r"HiddenServicePort 80 (127\.0\.0\.1:\d+)", doc).group(1)
    unit = text(os.path.join(ROOT, "docs", "corridor.service"))
    assert "--listen %s" % port in unit
    # and it is serve's own default
    assert port == "127.0.0.1:8080"
    src = text(os.path.join(ROOT, "server", "cli", "cli_serve.c"))
    assert "o->port = 8080;" in src and '"127.0.0.1"' in src


def test_numbers_quoted_match_the_sources():
    doc = " ".join(text(OPS).split())
    grace = limit("SHUTDOWN_GRACE_S")
    assert "at most %d seconds" % grace in doc
    assert "up to %d s (SHUTDOWN_GRACE_S)" % grace in \
        text(os.path.join(ROOT, "docs", "corridor.service"))
    pem = limit("MAX_PEM_BYTES")
    assert "at most %d KiB" % (pem // 1024) in doc
    unit = text(os.path.join(ROOT, "docs", "corridor.service"))
    assert re.search(r"^LimitMEMLOCK=infinity$", unit, re.M)
    assert "(`LimitMEMLOCK=infinity`)" in doc
    m = re.search(r"#define MLOCKALL_MIN_BYTES\s+\(1024ull \* 1024u \* 1024u\)",
                  text(os.path.join(ROOT, "server", "limits.h")))
    assert m and "below 1 GiB, `MLOCKALL_MIN_BYTES`" in doc
    assert "(at least %d bytes each)" % limit("MIN_PASSWORD_BYTES") in doc
    days = limit("RETENTION_DEFAULT_DAYS", "core/retention.h")
    assert "default is **%d days**" % days in doc
    assert "every %d minutes" % (limit("RETENTION_SWEEP_S", "core/retention.h")
                                 // 60) in doc
    kdf = limit("MAX_CONCURRENT_ARGON2")
    assert "on %d threads of its own, at the lowest CPU priority (nice %d)" % \
        (kdf, limit("KDFPOOL_NICE", "core/kdfpool.h")) in doc
    assert "At most %d logins derive keys at once and %d wait" % \
        (kdf, limit("MAX_ARGON2_QUEUE")) in doc


def man_synopsis():
    """The SYNOPSIS of docs/corridor.8 as {command: set of options}."""
    src = text(MAN)
    syn = src[src.index(".Sh SYNOPSIS"):src.index(".Sh DESCRIPTION")]
    out, cur = {}, None
    for line in syn.splitlines():
        if line == ".Nm":
            cur = None
            continue
        m = re.match(r"\.Cm (audit [\w-]+|witness [\w-]+|partner \w+|retention run|\w+)$",
                     line)
        if m:
            cur = m.group(1).split()[0]
            out.setdefault(cur, set())   # audit, witness: two each
            continue
        if cur is not None:
            out[cur] |= set("--" + o for o in re.findall(r"Fl -([a-z-]+)",
                                                         line))
    return out


def help_synopsis():
    """`corridor --help` as {command: set of options}."""
    out, cur = {}, None
    for line in help_text().splitlines():
        m = re.match(r"\s*(?:usage: )?corridor (\S+)", line)
        if m:
            # "corridor --help | --version" is no command
            cur = None if m.group(1).startswith("-") else m.group(1)
            if cur is not None:
                out.setdefault(cur, set())
        if cur is not None:
            out[cur] |= set(re.findall(r"--[a-z-]+", line))
    return out


def test_man_page_matches_binary():
    man, usage = man_synopsis(), help_synopsis()
    assert set(man) == set(usage), (set(man) ^ set(usage))
    for cmd in usage:
        assert man[cmd] == usage[cmd], (cmd, man[cmd] ^ usage[cmd])
    src = text(MAN)
    # one entry per command in DESCRIPTION, mdoc only
    for cmd in ("init", "serve", "check", "backup", "restore", "passphrase",
                "rekey", "retention run", "audit verify", "audit rotate-key",
                "witness init", "witness serve",
                "partner add", "partner list", "partner remove",
                "partner fingerprint"):
        assert re.search(r"^\.It Cm %s Ar " % cmd, src, re.M), cmd
    for sec in ("SYNOPSIS", "DESCRIPTION", "FILES", "EXIT STATUS",
                "SECURITY CONSIDERATIONS", "SEE ALSO"):
        assert ".Sh " + sec in src, sec
    assert not re.search(r"^\.(TH|SH|SS|TP|B|I|BR|IR|RB)\b", src, re.M), \
        "man(7) macros in an mdoc page"
    assert "keys.pending" in src and "SIGTERM" in src
    assert "system:retention" in src and "retention-asof-" in src
    assert "The default is %d days" % limit("RETENTION_DEFAULT_DAYS",
                                            "core/retention.h") in src
    # the operations fragment was merged into it
    assert not os.path.exists(os.path.join(ROOT, "docs",
                                           "corridor-ops.8.fragment"))


def test_man_page_renders_without_warnings():
    groff = shutil.which("groff")
    if groff is None:
        skip("test_man_page_renders_without_warnings", "groff not installed")
        return
    r = subprocess.run([groff, "-mandoc", "-ww", "-z", MAN],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    r = subprocess.run([groff, "-mandoc", "-Tutf8", MAN],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "corridor retention run" in \
        re.sub(r".\x08", "", r.stdout)


if __name__ == "__main__":
    run([test_command_reference_matches_binary,
         test_every_mentioned_command_exists_or_is_marked,
         test_tor_and_unit_agree_with_serve,
         test_numbers_quoted_match_the_sources,
         test_man_page_matches_binary,
         test_man_page_renders_without_warnings])
