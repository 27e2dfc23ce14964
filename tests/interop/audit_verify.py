#!/usr/bin/env python3
# SPDX-License-Identifier: AGPL-3.0-or-later
"""An independent audit-export verifier, written from docs/audit.md alone.

It shares no code with the C implementation: if the two ever disagree on
the committed exports, either the C code or the document is wrong. It
implements section 7, following key rotations as section 4.5 describes
(without the seq bookkeeping of failure reports: it only answers OK or
FAILED). Needs the 'cryptography' package for Ed25519.

It also checks the grant extras of section 2.5 (case.assign,
case.unassign, evacuation.add_case name the other party of the grant) and,
with --grants, prints them one per line as an auditor reads them.

    audit_verify.py EXPORT PUBKEY [HELD...]     verify one export
    audit_verify.py --grants EXPORT PUBKEY [HELD...]
    audit_verify.py --tiles DIR CHECKPOINT PUBKEY
                                                verify fetched tiles (section 13)
    audit_verify.py --cosigned CHECKPOINT PUBKEY QUORUM WITNESSKEY...
                                                the log's signature and at least
                                                QUORUM witness cosignatures
                                                (section 14)
    audit_verify.py --selftest CORPUS_DIR       the checks meson runs
"""
import base64
import binascii
import hashlib
import struct
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

ACTIONS, ROLES, OBJECTS, OUTCOMES = range(1, 33), range(0, 5), range(0, 7), range(1, 4)
SUMMARY = 27                    # anonymous.summary, section 2.7
WHITE = {0x85, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000} | set(range(0x2000, 0x200B))


class Bad(Exception):
    pass


class Unsigned(Bad):
    """No signature line from the key asked for."""


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


def key_id(name, pk, alg=1):
    """Section 4.3 (alg 0x01, a log key); section 14.1 (0x04, a witness)."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([alg]) + pk).digest()[:4]


def parse_vkey(text, alg=1):
    name, _, rest = text.partition("+")
    hexid, _, k64 = rest.partition("+")
    key = b64(k64, 33)
    if not valid_name(name) or len(hexid) != 8 or len(key) != 33 or key[0] != alg:
        raise Bad("verifier key")
    if bytes.fromhex(hexid) != key_id(name, key[1:], alg):
        raise Bad("key id")
    return name, key[1:]


def parse_witness_vkey(text):
    """Section 14.1: a witness key, type byte 0x04."""
    return parse_vkey(text, 4)


def count_cosignatures(note, witnesses):
    """Section 14.1: how many of witnesses [(name, pk)] have a valid
    cosignature on the note, and how many lines from them do not verify."""
    split = note.rfind(b"\n\n")
    body, sigs = note[:split + 1], note[split + 2:].decode()
    valid, bad = set(), 0
    for line in sigs[:-1].split("\n"):
        sname, _, sb64 = line[2:].partition(" ")
        raw = b64(sb64, 8192)
        for i, (name, pk) in enumerate(witnesses):
            if sname != name or raw[:4] != key_id(name, pk, 4):
                continue
            ts = struct.unpack(">Q", raw[4:12])[0] if len(raw) == 76 else -1
            msg = b"cosignature/v1\ntime %d\n" % ts + body
            try:
                if ts < 0 or ts >= 2**63:
                    raise InvalidSignature()
                Ed25519PublicKey.from_public_bytes(pk).verify(raw[12:], msg)
                valid.add(i)
            except InvalidSignature:
                bad += 1
    return len(valid), bad


def verify_cosigned(note, vkey, quorum, witness_keys):
    """The log's signature (section 4), then the quorum (section 14)."""
    name, pk = parse_vkey(vkey)
    size, _ = open_checkpoint(note, name, pk)
    witnesses = [parse_witness_vkey(k) for k in witness_keys]
    valid, bad = count_cosignatures(note, witnesses)
    if valid < quorum:
        raise Bad("size %d: %d valid cosignatures, quorum %d (%d invalid)" %
                  (size, valid, quorum, bad))
    return size, valid


def decode_entry(e, full=False):
    """Section 2; returns (seq, time), or with full (seq, time, action,
    outcome, extra)."""
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
        return n

    actor_len = ident()
    role = take(1)[0]
    (action,) = struct.unpack(">H", take(2))
    otype = take(1)[0]
    object_len = ident()
    outcome = take(1)[0]
    request_len = ident()
    flag = take(1)[0]
    if flag not in (0, 1):
        raise Bad("reason flag")
    take(32 * flag)
    (xlen,) = struct.unpack(">H", take(2))
    if xlen > 256:
        raise Bad("extra")
    extra = take(xlen)
    if off != len(e) or role not in ROLES or action not in ACTIONS or \
            otype not in OBJECTS or outcome not in OUTCOMES:
        raise Bad("entry fields")
    if action == SUMMARY:
        if actor_len or role or otype or object_len or outcome != 2 or \
                request_len or flag:
            raise Bad("summary entry")
        if summary(extra)[1] > time:
            raise Bad("summary interval")
    return (seq, time, action, outcome, extra) if full else (seq, time)


def summary(x):
    """Section 2.7: (from, to, [(action, outcome, status, count)])."""
    if len(x) < 27 or x[0] != 3:
        raise Bad("summary")
    frm, to, n = struct.unpack(">QQB", x[1:18])
    if frm > to or not 1 <= n <= 24 or len(x) != 18 + 9 * n:
        raise Bad("summary")
    kinds = [struct.unpack(">HBHI", x[18 + 9 * i:27 + 9 * i]) for i in range(n)]
    for i, (a, o, st, c) in enumerate(kinds):
        if a not in ACTIONS or a == SUMMARY or o not in (2, 3) or \
                not (st == 0 or 400 <= st <= 599) or c == 0:
            raise Bad("summary kind")
        if i and x[9 + 9 * i:14 + 9 * i] >= x[18 + 9 * i:23 + 9 * i]:
            raise Bad("summary order")
    return frm, to, kinds


# section 2.5: the subject of a grant, by action (user for assign and
# unassign, case for evacuation.add_case)
GRANT_SUBJECT = {12: 1, 13: 1, 21: 2}


def grant_subject(action, extra):
    """The subject id (str) of a grant entry, None when its extra is empty
    (entries written before the subject was recorded); Bad when the extra
    is not the documented 0x02 layout with the right object type."""
    if action not in GRANT_SUBJECT or not extra:
        return None
    if len(extra) < 4 or extra[0] != 2 or extra[1] != GRANT_SUBJECT[action] \
            or extra[2] + 3 != len(extra) or extra[2] > 64 \
            or any(not 0x21 <= b <= 0x7E for b in extra[3:]):
        raise Bad("grant subject")
    return extra[3:].decode("ascii")


def entry_ids(e):
    """(actor id, object id) of an entry already accepted by decode_entry."""
    off = 17
    n = e[off]
    actor = e[off + 1:off + 1 + n].decode("ascii")
    off += 1 + n + 1 + 2 + 1
    n = e[off]
    return actor, e[off + 1:off + 1 + n].decode("ascii")


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
        raise Unsigned("not signed by the pinned key")
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


def verify(export, vkey, held_notes, grants=None):
    """Section 7, with the key rotations of section 4.5. Returns
    (entries, root) or raises Bad."""
    name, pinned = parse_vkey(vkey)
    held = []
    for h in held_notes:
        try:
            size, root = open_checkpoint(h, name, pinned)
            held.append((size, root, None))
        except Unsigned:
            # perhaps a later key's: checked when the log reaches it
            size, root = open_checkpoint_unverified(h)
            held.append((size, root, h))
    held.sort(key=lambda x: x[0])
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
    active, pending = pinned, None      # pending: (seq, next key)

    def check_held():
        nonlocal nh, proven
        while nh < len(held) and held[nh][0] == f.size:
            size, root, note = held[nh]
            if note is not None:
                keys = [active] + ([pending[1]] if pending else [])
                if not any(signed_by(note, name, k) for k in keys):
                    raise Bad("held checkpoint not signed by a key in the chain")
            if root != f.root():
                raise Bad("held root mismatch at %d" % f.size)
            proven = f.size
            nh += 1

    check_held()
    for line in lines[3:]:
        kw, _, data = line.partition(" ")
        if kw == "entry":
            e = b64(data, 508)
            seq, time, action, outcome, extra = decode_entry(e, full=True)
            if seq != f.size or (f.size > 0 and time < prev):
                raise Bad("seq or time at %d" % f.size)
            if action == 26:            # audit.key_rotate
                if pending or outcome != 1 or len(extra) != 66 or \
                        extra[0] != 1 or extra[33] != 1 or \
                        extra[1:33] != active or extra[34:] == active:
                    raise Bad("key rotation at %d" % seq)
                pending = (seq, extra[34:])
            try:
                subject = grant_subject(action, extra)
            except Bad as err:
                raise Bad("grant subject at %d" % seq) from err
            if subject is not None and grants is not None:
                grants.append((seq, action, outcome) + entry_ids(e) + (subject,))
            prev = time
            f.append(hashlib.sha256(b"\x00" + e).digest())
            check_held()
        elif kw == "checkpoint":
            note = b64(data, 8192)
            try:
                size, root = open_checkpoint(note, name, active)
            except Unsigned as e:
                raise Bad("checkpoint not signed by the key in force") from e
            if size < proven or size != f.size or root != f.root():
                raise Bad("checkpoint at size %d" % size)
            proven = last = size
            if pending and size > pending[0]:
                active, pending = pending[1], None      # sealed
        else:
            raise Bad("unknown line")
    if nh < len(held):
        size, root, note = held[nh]
        if note is not None and not signed_by(note, name, active):
            raise Bad("held checkpoint not signed by a key in the chain")
        raise Bad("truncated")
    if pending or last != f.size:
        raise Bad("tail not signed")
    return f.size, f.root()


def signed_by(note, name, pk):
    try:
        open_checkpoint(note, name, pk)
        return True
    except Bad:
        return False


def open_checkpoint_unverified(note):
    """The size and root of a checkpoint note whose framing is checked by
    open_checkpoint later, against the key in force at its size."""
    text = note[:note.rfind(b"\n\n") + 1].decode("utf-8", "replace")
    parts = text.split("\n")
    if len(parts) != 4 or not parts[1].isdigit():
        raise Bad("checkpoint text")
    return int(parts[1]), b64(parts[2], 32)


def tile_path(level, n, width):
    """Section 13.2."""
    groups = []
    while True:
        groups.append(n % 1000)
        n //= 1000
        if n == 0:
            break
    groups.reverse()
    p = "/".join(("x%03d" if i < len(groups) - 1 else "%03d") % g
                 for i, g in enumerate(groups))
    head = "tile/entries/" if level is None else "tile/%d/" % level
    return head + p + (".p/%d" % width if width < 256 else "")


def tree_root(hashes):
    f = Frontier()
    for h in hashes:
        f.append(h)
    return f.root()


def verify_tiles(d, note, vkey):
    """Section 13.4; returns (size, files read)."""
    name, pk = parse_vkey(vkey)
    n, root = open_checkpoint(note, name, pk)
    files = 0

    def read(rel):
        nonlocal files
        files += 1
        try:
            with open(d + "/" + rel, "rb") as f:
                return f.read()
        except OSError as e:
            raise Bad("%s: missing" % rel) from e

    level0, below, level = [], None, 0
    while n >> (8 * level):
        h = n >> (8 * level)
        here = []
        for t in range((h + 255) // 256):
            w = 256 if t < h // 256 else h % 256
            data = read(tile_path(level, t, w))
            if len(data) != 32 * w:
                raise Bad("%s: %d bytes" % (tile_path(level, t, w), len(data)))
            hs = [data[32 * i:32 * i + 32] for i in range(w)]
            if level == 0:
                b, off, got = read(tile_path(None, t, w)), 0, []
                while off < len(b):
                    if off + 2 > len(b):
                        raise Bad("bundle %d cut" % t)
                    k = struct.unpack(">H", b[off:off + 2])[0]
                    e = b[off + 2:off + 2 + k]
                    if len(e) != k:
                        raise Bad("bundle %d cut" % t)
                    got.append(e)
                    off += 2 + k
                if len(got) != w:
                    raise Bad("bundle %d: %d entries, want %d" % (t, len(got), w))
                for i, e in enumerate(got):
                    if decode_entry(e)[0] != 256 * t + i:
                        raise Bad("bundle %d: seq" % t)
                    if hashlib.sha256(b"\x00" + e).digest() != hs[i]:
                        raise Bad("bundle %d: entry %d does not hash to the tile" % (t, i))
                level0 += hs
            else:
                for i, x in enumerate(hs):
                    if x != below[256 * t + i]:
                        raise Bad("%s: hash %d" % (tile_path(level, t, w), i))
            here += hs
        # the roots of this level's full tiles are the next level's hashes
        below = [tree_root(here[256 * j:256 * j + 256]) for j in range(len(here) // 256)]
        level += 1
    if len(level0) != n or tree_root(level0) != root:
        raise Bad("the root from the tiles is not the checkpoint's")
    return n, files


def selftest(corpus):
    """What meson runs: the committed exports and the documented vectors."""
    vkey = open(corpus + "/checkpoint/vkey.txt").read().rstrip("\n")
    want = {
        "empty-log.txt": "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
        "one-entry.txt": "YVPMwQM2ZR3MOfVWeiZjfW5rHxaEO28RUQaoupjo3SU=",
        "five-every-2.txt": "KnCenUU2PwcC2tmwz4IOPCRz0l3M1YhNsC2Hnu6GiJE=",
        "three-one-checkpoint.txt": "1I9IwFSTA3Hwqa9uOw5HbX3wilTIaVDnDTEBuenkHF8=",
        "twenty-every-6.txt": "fr6szvyqLHx988msETSkdNqTN8D3zNVz/9B2GWY321c=",
        "rotated.txt": "2i1GUFnf7tQEkxnmUTPbYFvy5dccJd3RPoFIvVFWNeY=",
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
    # the cosignature of docs/audit.md section 14.4: it counts once for its
    # witness, not for another, and not on another body
    cp = ("corridor.example/audit/fuzz\n1\n"
          "YVPMwQM2ZR3MOfVWeiZjfW5rHxaEO28RUQaoupjo3SU=\n\n"
          "\u2014 corridor.example/audit/fuzz CYhMyzRmXtZGG5ctp4CWG8R2np6dYDkLykJcp"
          "Ok03BzwMsKG2Po1Z5yP0DV8HO9alWARlAYz7WB0Ozv0e8pObgI9pwA=\n")
    cosig = ("\u2014 witness.example/w1 3xwKNQAAAABlU/EATBp0S8/OQBBXnwSKXbp+KxTG4"
             "x+GUkv/Af/XWfeLUOLUrLkIlY2fBsaig/UlKc7Ew0Q+cv9fFN8aaJ7YlCH8Dg==\n")
    w1 = parse_witness_vkey("witness.example/w1+df1c0a35+"
                            "BIE5dw6ofRdfVqNUZsNMfszLjYqRtO43ol32D1uPybOU")
    other = (cp + cosig).replace("\n1\n", "\n2\n").encode()
    if count_cosignatures((cp + cosig).encode(), [w1]) != (1, 0) or \
            count_cosignatures((cp + cosig + cosig).encode(), [w1]) != (1, 0) or \
            count_cosignatures(other, [w1]) != (0, 1) or \
            count_cosignatures((cp + cosig).encode(), []) != (0, 0):
        print("FAIL cosignature vector")
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
    # the rotated log: only from the first key, and not without its seal
    rot = open(corpus + "/export/rotated.txt", "rb").read()
    lines = rot.split(b"\n")
    i = next(k for k, l in enumerate(lines) if l.startswith(b"entry ") and
             decode_entry(b64(l[6:].decode(), 508), full=True)[2] == 26)
    pk2 = decode_entry(b64(lines[i][6:].decode(), 508), full=True)[4][34:]
    name = vkey.split("+")[0]
    vkey2 = "%s+%s+%s" % (name, key_id(name, pk2).hex(),
                          base64.b64encode(b"\x01" + pk2).decode())
    for bad, key in [(rot, vkey2), (b"\n".join(lines[:i + 1] + lines[i + 2:]), vkey)]:
        try:
            verify(bad, key, [])
            print("FAIL a broken key chain verified")
            failures += 1
        except Bad:
            pass
    # docs/audit.md 2.6: the worked example and its leaf hash
    ex = open(corpus + "/entry/docs-example.bin", "rb").read()
    if decode_entry(ex) != (41, 1718000000123) or hashlib.sha256(b"\x00" + ex).hexdigest() != \
            "00f1bc657721d0807223a21fc13dcfd4d0cd55b6577f624d81198466d10c7c69":
        print("FAIL worked example")
        failures += 1
    # docs/audit.md 2.7: the anonymous summary example, and variants that
    # MUST be refused (kinds out of order, a zero count, an interval that
    # ends after the entry, a request id)
    ex = open(corpus + "/entry/summary-example.bin", "rb").read()
    if decode_entry(ex) != (42, 1718000060123) or \
            summary(decode_entry(ex, full=True)[4])[2] != \
            [(2, 2, 401, 57), (2, 3, 400, 3), (24, 2, 401, 1204)] or \
            hashlib.sha256(b"\x00" + ex).hexdigest() != \
            "27696d619831829f4482a46d78c4871624a06ab47388fdb5929fe8354b74c69e":
        print("FAIL summary example")
        failures += 1
    x0 = len(ex) - 45                 # where the 45-byte extra starts
    swapped = ex[:x0 + 18] + ex[x0 + 27:x0 + 36] + ex[x0 + 18:x0 + 27] + ex[x0 + 36:]
    zero = ex[:x0 + 23] + b"\0\0\0\0" + ex[x0 + 27:]
    late = ex[:9] + struct.pack(">Q", 1718000059999) + ex[17:]
    withreq = ex[:x0 - 4] + b"\x01r\x00\x00\x2d" + ex[x0:]   # request id "r"
    for bad in (swapped, zero, late, withreq):
        try:
            decode_entry(bad)
            print("FAIL a malformed summary decoded")
            failures += 1
        except Bad:
            pass
    # docs/audit.md 3.2: the size-8 root of the RFC 6962 test leaves
    f = Frontier()
    for h in ["", "00", "10", "2021", "3031", "40414243", "5051525354555657",
              "606162636465666768696a6b6c6d6e6f"]:
        f.append(hashlib.sha256(b"\x00" + bytes.fromhex(h)).digest())
    if f.root().hex() != "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328":
        print("FAIL RFC 6962 root")
        failures += 1
    # section 2.5: grant extras
    for action, extra, want_id in [
            (12, b"\x02\x01\x03abc", "abc"), (21, b"\x02\x02\x01z", "z"),
            (13, b"", None), (9, b"\x02\x07anything", None)]:
        if grant_subject(action, extra) != want_id:
            print("FAIL grant subject %r" % extra)
            failures += 1
    for action, extra in [(12, b"\x02\x02\x03abc"), (21, b"\x02\x02\x02z"),
                          (13, b"\x01\x01\x01a"), (12, b"\x02\x01\x01 "),
                          (12, b"\x02\x01\x00")]:
        try:
            grant_subject(action, extra)
            print("FAIL bad grant subject %r accepted" % extra)
            failures += 1
        except Bad:
            pass
    print("audit_verify.py selftest: %d failures" % failures)
    return 1 if failures else 0


def main(argv):
    if len(argv) == 3 and argv[1] == "--selftest":
        return selftest(argv[2])
    if len(argv) == 5 and argv[1] == "--tiles":
        vkey = open(argv[4]).read()
        vkey = vkey[:-1] if vkey.endswith("\n") else vkey
        try:
            n, files = verify_tiles(argv[2], open(argv[3], "rb").read(), vkey)
        except Bad as e:
            print("FAILED:", e, file=sys.stderr)
            return 1
        print("OK, tiles of %d entries, %d files" % (n, files))
        return 0
    if len(argv) >= 6 and argv[1] == "--cosigned":
        def line(p):
            t = open(p).read()
            return t[:-1] if t.endswith("\n") else t
        try:
            size, valid = verify_cosigned(open(argv[2], "rb").read(),
                                          line(argv[3]), int(argv[4]),
                                          [line(p) for p in argv[5:]])
        except Bad as e:
            print("FAILED:", e, file=sys.stderr)
            return 1
        print("OK, size %d, %d witness cosignatures" % (size, valid))
        return 0
    grants = None
    if len(argv) > 1 and argv[1] == "--grants":
        grants, argv = [], argv[1:]
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    held = [open(p, "rb").read() for p in argv[3:]]
    vkey = open(argv[2]).read()
    vkey = vkey[:-1] if vkey.endswith("\n") else vkey
    try:
        n, root = verify(open(argv[1], "rb").read(), vkey, held, grants)
    except Bad as e:
        print("FAILED:", e, file=sys.stderr)
        return 1
    names = {12: "case.assign", 13: "case.unassign", 21: "evacuation.add_case"}
    for seq, action, outcome, actor, obj, subject in grants or ():
        print("grant seq=%d %s outcome=%d actor=%s object=%s subject=%s" % (
            seq, names[action], outcome, actor, obj, subject))
    print("OK, %d entries, root %s" % (n, base64.b64encode(root).decode()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
