#!/usr/bin/env python3
# SPDX-License-Identifier: AGPL-3.0-or-later
"""An independent audit-export verifier, written from docs/audit.md alone.

It shares no code with the C implementation: if the two ever disagree on
the committed exports, either the C code or the document is wrong. It
implements section 7 (without the seq bookkeeping of failure reports: it
only answers OK or FAILED). Needs the 'cryptography' package for Ed25519.

    audit_verify.py EXPORT PUBKEY [HELD...]     verify one export
    audit_verify.py --selftest CORPUS_DIR       the checks meson runs
"""
import base64
import binascii
import hashlib
import struct
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

ACTIONS, ROLES, OBJECTS, OUTCOMES = range(1, 27), range(0, 5), range(0, 7), range(1, 4)
WHITE = {0x85, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000} | set(range(0x2000, 0x200B))


class Bad(Exception):
    pass


def b64(s, maxlen):
    """Exact, canonical, padded standard base64."""
    try:
        raw = base64.b64decode(s, validate=True)
    except (binascii.Error, ValueError) as e:
        raise Bad("base64") from e
    if base64.b64encode(raw).decode() != s or not 0 < len(raw) <= maxlen:
        raise Bad("base64")
    return raw


def valid_name(name):
    if not 1 <= len(name.encode()) <= 255 or "+" in name:
        return False
    return all(ord(c) >= 0x20 and c != " " and ord(c) not in WHITE for c in name)


def key_id(name, pk):
    return hashlib.sha256(name.encode() + b"\n\x01" + pk).digest()[:4]


def parse_vkey(text):
    name, _, rest = text.partition("+")
    hexid, _, k64 = rest.partition("+")
    key = b64(k64, 33)
    if not valid_name(name) or len(hexid) != 8 or len(key) != 33 or key[0] != 1:
        raise Bad("verifier key")
    if bytes.fromhex(hexid) != key_id(name, key[1:]):
        raise Bad("key id")
    return name, key[1:]


def decode_entry(e):
    """Section 2; returns (seq, time)."""
    if not 28 <= len(e) <= 508 or e[0] != 1:
        raise Bad("entry")
    seq, time = struct.unpack(">QQ", e[1:17])
    off = 17

    def take(n):
        nonlocal off
        if off + n > len(e):
            raise Bad("entry short")
        off += n
        return e[off - n:off]

    def ident():
        n = take(1)[0]
        if n > 64 or any(not 0x21 <= b <= 0x7E for b in take(n)):
            raise Bad("id")

    ident()
    role = take(1)[0]
    (action,) = struct.unpack(">H", take(2))
    otype = take(1)[0]
    ident()
    outcome = take(1)[0]
    ident()
    flag = take(1)[0]
    if flag not in (0, 1):
        raise Bad("reason flag")
    take(32 * flag)
    (xlen,) = struct.unpack(">H", take(2))
    if xlen > 256:
        raise Bad("extra")
    take(xlen)
    if off != len(e) or role not in ROLES or action not in ACTIONS or \
            otype not in OBJECTS or outcome not in OUTCOMES:
        raise Bad("entry fields")
    return seq, time


def node(l, r):
    return hashlib.sha256(b"\x01" + l + r).digest()


class Frontier:
    """Section 3.3."""

    def __init__(self):
        self.size, self.node = 0, {}

    def append(self, h):
        i = 0
        while self.size >> i & 1:
            h = node(self.node[i], h)
            i += 1
        self.node[i] = h
        self.size += 1

    def root(self):
        if self.size == 0:
            return hashlib.sha256(b"").digest()
        bits = [i for i in range(64) if self.size >> i & 1]
        acc = self.node[bits[0]]
        for j in bits[1:]:
            acc = node(self.node[j], acc)
        return acc


def open_checkpoint(note, name, pk):
    """Sections 4.1-4.3; returns (size, root)."""
    try:
        text = note.decode("utf-8")
    except UnicodeDecodeError as e:
        raise Bad("utf-8") from e
    if len(note) > 8192 or any(ord(c) < 0x20 and c != "\n" for c in text):
        raise Bad("note bytes")
    split = note.rfind(b"\n\n")
    if split < 0 or not note.endswith(b"\n"):
        raise Bad("note framing")
    body, sigs = note[:split + 1], note[split + 2:].decode()
    lines = sigs[:-1].split("\n")
    if not sigs or len(lines) > 16:
        raise Bad("signature lines")
    known = 0
    for line in lines:
        if not line.startswith("\u2014 "):
            raise Bad("signature prefix")
        sname, sp, sb64 = line[2:].partition(" ")
        if not sp or not valid_name(sname):
            raise Bad("signature name")
        raw = b64(sb64, 8192)
        if len(raw) < 5:
            raise Bad("signature short")
        if sname == name and raw[:4] == key_id(name, pk):
            known += 1
            try:
                if len(raw) != 68:
                    raise InvalidSignature()
                Ed25519PublicKey.from_public_bytes(pk).verify(raw[4:], body)
            except InvalidSignature as e:
                raise Bad("bad signature") from e
    if known == 0:
        raise Bad("not signed by the pinned key")
    parts = body.decode().split("\n")
    if len(parts) != 4 or parts[3] != "":
        raise Bad("checkpoint lines")
    origin, size_s, root_s = parts[:3]
    if origin != name or not size_s.isdigit() or not size_s.isascii() or \
            len(size_s) > 19 or (len(size_s) > 1 and size_s[0] == "0"):
        raise Bad("checkpoint text")
    size = int(size_s)
    root = b64(root_s, 32)
    if size >= 2**63 or len(root_s) != 44 or len(root) != 32:
        raise Bad("checkpoint values")
    return size, root


def verify(export, vkey, held_notes):
    """Section 7. Returns (entries, root) or raises Bad."""
    name, pk = parse_vkey(vkey)
    held = sorted(open_checkpoint(h, name, pk) for h in held_notes)
    if not export.endswith(b"\n"):
        raise Bad("no final newline")
    lines = export[:-1].split(b"\n")
    if any(len(l) > 10935 for l in lines) or len(lines) < 3:
        raise Bad("line length or header")
    lines = [l.decode("ascii") for l in lines]
    if lines[0] != "corridor-audit-export 1" or lines[1] != "origin " + name:
        raise Bad("header")
    if not lines[2].startswith("public-key "):
        raise Bad("public-key line")
    hname, _ = parse_vkey(lines[2][11:])
    if hname != name:
        raise Bad("public-key name")
    f, prev, proven, last, nh = Frontier(), 0, 0, None, 0

    def check_held():
        nonlocal nh, proven
        while nh < len(held) and held[nh][0] == f.size:
            if held[nh][1] != f.root():
                raise Bad("held root mismatch at %d" % f.size)
            proven = f.size
            nh += 1

    check_held()
    for line in lines[3:]:
        kw, _, data = line.partition(" ")
        if kw == "entry":
            e = b64(data, 508)
            seq, time = decode_entry(e)
            if seq != f.size or (f.size > 0 and time < prev):
                raise Bad("seq or time at %d" % f.size)
            prev = time
            f.append(hashlib.sha256(b"\x00" + e).digest())
            check_held()
        elif kw == "checkpoint":
            size, root = open_checkpoint(b64(data, 8192), name, pk)
            if size < proven or size != f.size or root != f.root():
                raise Bad("checkpoint at size %d" % size)
            proven = last = size
        else:
            raise Bad("unknown line")
    if nh < len(held):
        raise Bad("truncated")
    if last != f.size:
        raise Bad("tail not signed")
    return f.size, f.root()


def selftest(corpus):
    """What meson runs: the committed exports and the documented vectors."""
    vkey = open(corpus + "/checkpoint/vkey.txt").read().rstrip("\n")
    want = {
        "empty-log.txt": "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
        "one-entry.txt": "YVPMwQM2ZR3MOfVWeiZjfW5rHxaEO28RUQaoupjo3SU=",
        "five-every-2.txt": "KnCenUU2PwcC2tmwz4IOPCRz0l3M1YhNsC2Hnu6GiJE=",
        "three-one-checkpoint.txt": "1I9IwFSTA3Hwqa9uOw5HbX3wilTIaVDnDTEBuenkHF8=",
        "twenty-every-6.txt": "fr6szvyqLHx988msETSkdNqTN8D3zNVz/9B2GWY321c=",
        "header-only.txt": None,
        "tampered-entry.txt": None,
        "cut-mid-line.txt": None,
    }
    failures = 0
    for fname, root in want.items():
        data = open(corpus + "/export/" + fname, "rb").read()
        try:
            got = base64.b64encode(verify(data, vkey, [])[1]).decode()
        except Bad:
            got = None
        if got != root:
            print("FAIL %s: got %s, want %s" % (fname, got, root))
            failures += 1
    # truncation: a held checkpoint beyond the export
    held = open(corpus + "/checkpoint/size-1000.txt", "rb").read()
    try:
        verify(open(corpus + "/export/twenty-every-6.txt", "rb").read(), vkey, [held])
        print("FAIL truncation not detected")
        failures += 1
    except Bad:
        pass
    # a held checkpoint that matches, and one cosigned by an unknown key
    for h in ("size-5.txt", "size-5-cosigned.txt"):
        held = open(corpus + "/checkpoint/" + h, "rb").read()
        verify(open(corpus + "/export/twenty-every-6.txt", "rb").read(), vkey, [held])
    # docs/audit.md 2.6: the worked example and its leaf hash
    ex = open(corpus + "/entry/docs-example.bin", "rb").read()
    if decode_entry(ex) != (41, 1718000000123) or hashlib.sha256(b"\x00" + ex).hexdigest() != \
            "00f1bc657721d0807223a21fc13dcfd4d0cd55b6577f624d81198466d10c7c69":
        print("FAIL worked example")
        failures += 1
    # docs/audit.md 3.2: the size-8 root of the RFC 6962 test leaves
    f = Frontier()
    for h in ["", "00", "10", "2021", "3031", "40414243", "5051525354555657",
              "606162636465666768696a6b6c6d6e6f"]:
        f.append(hashlib.sha256(b"\x00" + bytes.fromhex(h)).digest())
    if f.root().hex() != "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328":
        print("FAIL RFC 6962 root")
        failures += 1
    print("audit_verify.py selftest: %d failures" % failures)
    return 1 if failures else 0


def main(argv):
    if len(argv) == 3 and argv[1] == "--selftest":
        return selftest(argv[2])
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    held = [open(p, "rb").read() for p in argv[3:]]
    vkey = open(argv[2]).read()
    vkey = vkey[:-1] if vkey.endswith("\n") else vkey
    try:
        n, root = verify(open(argv[1], "rb").read(), vkey, held)
    except Bad as e:
        print("FAILED:", e, file=sys.stderr)
        return 1
    print("OK, %d entries, root %s" % (n, base64.b64encode(root).decode()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
