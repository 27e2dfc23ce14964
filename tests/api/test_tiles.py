# SPDX-License-Identifier: AGPL-3.0-or-later
"""The audit log's tlog tiles over HTTP (docs/audit.md, "Tiles"), against
the real binary: every tile and entry bundle of a log of 600+ entries
(full and partial tiles at level 0, a partial one at level 1) is served
in the documented layout and checked here independently (leaf hashes of
the bundle's entries, level-1 hashes as roots of level-0 tiles, the root
recomputed against the signed checkpoint); a partial tile can be fetched
at a smaller width as a prefix; `corridor audit verify --tiles` accepts
the fetched directory and refuses it with one byte flipped in a tile, in
an entry bundle, with a file missing or with a checkpoint of another
log; malformed paths are 400, tiles outside the tree 404, both
problem+json; tiles are for auditors only and every fetch is audited
(audit.read)."""
import base64
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from harness import BIN, Server, have_cryptography, problem, run, skip  # noqa: E402
import auditlib as al  # noqa: E402

S = None


def srv():
    global S
    if S is None:
        S = Server()
    return S


def tile_path(level, n, width):
    """The documented path: tile/<L>/<N>[.p/<W>], N in x-groups of three."""
    groups = []
    while True:
        groups.append(n % 1000)
        n //= 1000
        if n == 0:
            break
    groups.reverse()
    p = "/".join(("x%03d" if i < len(groups) - 1 else "%03d") % g
                 for i, g in enumerate(groups))
    head = "tile/entries/" if level == "entries" else "tile/%d/" % level
    return head + p + (".p/%d" % width if width < 256 else "")


def width_at(level, n, size):
    hashes = size >> (8 * level)
    if n < hashes // 256:
        return 256
    if n == hashes // 256:
        return hashes % 256
    return 0


def fetch(s, tok, path):
    r = s.get("/audit/" + path, token=tok)
    assert r.status == 200, (path, r)
    assert r.header("Content-Type") == "application/octet-stream", r.headers
    return r.body


def grow(s, tok, n):
    for _ in range(n):
        assert s.get("/users", token=tok).status == 200


def fetch_all(s, au, size, d):
    """Every tile and bundle of the tree of size, into d in the layout."""
    files = {}
    level = 0
    while size >> (8 * level):
        hashes = size >> (8 * level)
        for n in range((hashes + 255) // 256):
            w = width_at(level, n, size)
            paths = [tile_path(level, n, w)]
            if level == 0:
                paths.append(tile_path("entries", n, w))
            for p in paths:
                body = fetch(s, au, p)
                files[p] = body
                full = os.path.join(d, p)
                os.makedirs(os.path.dirname(full), exist_ok=True)
                with open(full, "wb") as f:
                    f.write(body)
        level += 1
    return files


def parse_bundle(b):
    out, off = [], 0
    while off < len(b):
        n = int.from_bytes(b[off:off + 2], "big")
        out.append(b[off + 2:off + 2 + n])
        assert len(out[-1]) == n
        off += 2 + n
    return out


def merkle_root(hashes):
    f = al.Frontier()
    for h in hashes:
        f.append(h)
    return f.root()


def cli(d, cp, key):
    r = subprocess.run([BIN, "audit", "verify", "--tiles", d, "--checkpoint", cp,
                        "--public-key", key], capture_output=True, text=True,
                       timeout=120)
    return r.returncode, (r.stdout + r.stderr).strip()


def test_tiles_match_the_log_and_the_checkpoint():
    s = srv()
    admin = s.admin()
    au, _ = al.auditor(s, admin)
    grow(s, admin, 620)
    exp = al.export(s, au)                    # signs a checkpoint covering all
    cp = al.checkpoint(s, au)
    _, size, root = al.parse_checkpoint(cp)
    assert size > 512 and size % 256 != 0
    _, body = al.export_lines(exp)
    entries = [raw for kw, raw in body if kw == "entry"][:size]

    d = tempfile.mkdtemp(prefix="corridor-tiles-")
    try:
        files = fetch_all(s, au, size, d)
        # level 0 is the leaf hashes, the bundles the entries
        leaves = b"".join(files[tile_path(0, n, width_at(0, n, size))]
                          for n in range((size + 255) // 256))
        assert leaves == b"".join(al.leaf_hash(e) for e in entries)
        bundled = []
        for n in range((size + 255) // 256):
            bundled += parse_bundle(files[tile_path("entries", n, width_at(0, n, size))])
        assert bundled == entries
        # level 1: the roots of the full level-0 tiles
        l1 = files[tile_path(1, 0, size >> 8)]
        assert len(l1) == 32 * (size >> 8)
        for i in range(size >> 8):
            assert l1[32 * i:32 * i + 32] == merkle_root(
                [leaves[32 * j:32 * j + 32] for j in range(256 * i, 256 * i + 256)])
        leaf_list = [leaves[i:i + 32] for i in range(0, len(leaves), 32)]
        assert merkle_root(leaf_list) == root
        # a partial tile at a smaller width is a prefix
        w = width_at(0, size // 256, size)
        small = fetch(s, au, tile_path(0, size // 256, 1))
        assert small == files[tile_path(0, size // 256, w)][:32]
        # a full tile is also a prefix source
        assert fetch(s, au, tile_path(0, 0, 7)) == files[tile_path(0, 0, 256)][:7 * 32]

        # the offline verifier
        key = os.path.join(d, "audit.pub")
        cpf = os.path.join(d, "checkpoint")
        with open(key, "w") as f:
            f.write(al.vkey(s, au) + "\n")
        with open(cpf, "wb") as f:
            f.write(cp)
        status, line = cli(d, cpf, key)
        assert status == 0, line
        assert "OK" in line and str(size) in line, line
        # the independent verifier written from docs/audit.md, section 13
        interop = os.path.join(os.path.dirname(__file__), "..", "interop",
                               "audit_verify.py")

        def py(cp_file=cpf):
            r = subprocess.run([sys.executable, interop, "--tiles", d, cp_file, key],
                               capture_output=True, text=True, timeout=120)
            return r.returncode, (r.stdout + r.stderr).strip()
        have_py = have_cryptography()
        if not have_py:
            skip("tiles: the independent verifier", "no python3 'cryptography'")
        if have_py:
            st, ln = py()
            assert st == 0 and ("tiles of %d entries" % size) in ln, ln

        def flipped(rel, off):
            p = os.path.join(d, rel)
            data = bytearray(open(p, "rb").read())
            data[off] ^= 1
            with open(p, "wb") as f:
                f.write(bytes(data))
            st, ln = cli(d, cpf, key)
            if have_py:
                pst, pln = py()
                assert pst == 1 and "FAILED" in pln, (rel, pln)
            data[off] ^= 1
            with open(p, "wb") as f:
                f.write(bytes(data))
            return st, ln

        for rel, off in [(tile_path(0, 1, 256), 100),
                         (tile_path(0, size // 256, w), 32 * w - 1),
                         (tile_path(1, 0, size >> 8), 5),
                         (tile_path("entries", 0, 256), 40)]:
            st, ln = flipped(rel, off)
            assert st == 1, (rel, ln)
            assert "FAILED" in ln, ln
        # a missing file, a truncated one
        p = os.path.join(d, tile_path(0, 0, 256))
        shutil.move(p, p + ".gone")
        st, ln = cli(d, cpf, key)
        assert st == 1 and "tile/0/000" in ln, ln
        shutil.move(p + ".gone", p)
        data = open(p, "rb").read()
        with open(p, "wb") as f:
            f.write(data[:-1])
        st, ln = cli(d, cpf, key)
        assert st == 1 and "not 256 hashes" in ln, ln
        with open(p, "wb") as f:
            f.write(data)
        assert cli(d, cpf, key)[0] == 0
        # a checkpoint signed by another key, and a usage error
        other = Server()
        try:
            oa, _ = al.auditor(other, other.admin())
            with open(cpf + ".other", "wb") as f:
                f.write(al.checkpoint(other, oa))
            st, ln = cli(d, cpf + ".other", key)
            assert st == 1 and "not signed" in ln, ln
        finally:
            other.stop()
            other.cleanup()
        r = subprocess.run([BIN, "audit", "verify", "--tiles", d, "--public-key", key],
                           capture_output=True, text=True)
        assert r.returncode == 2
    finally:
        shutil.rmtree(d)
    assert s.healthy()


def test_bad_tile_paths():
    s = srv()
    admin = s.admin()
    au, _ = al.auditor(s, admin)
    size = al.parse_checkpoint(al.checkpoint(s, au))[1]
    assert size > 0
    for p in ["tile/0/1", "tile/0/0001", "tile/00/000", "tile/64/000",
              "tile/0/x000/001", "tile/0/000.p/0", "tile/0/000.p/256",
              "tile/0/000.p/05", "tile/0/000.p/", "tile/0/000.q/1",
              "tile/entries/1", "tile/data/000", "tile/0/x001",
              "tile/0/x001/x002/x003/x004/x005/x006/007",
              "tile/0/x036/x028/x797/x018/x963/968"]:
        problem(s.get("/audit/" + p, token=au), 400, "invalid-tile-path")
    # well formed, not in the tree
    far = (size >> 8) + 5
    for p in [tile_path(0, far, 256), tile_path(0, far, 3),
              tile_path("entries", far, 1),
              tile_path(3, 0, 1), tile_path(9, 0, 1), tile_path(63, 0, 1),
              tile_path(0, size >> 8, 255) if size % 256 < 255 else tile_path(0, far, 1),
              tile_path(0, size >> 8, 256)]:
        problem(s.get("/audit/" + p, token=au), 404, "not-found")
    # the router's own path rules, and no query string
    problem(s.get("/audit/tile/", token=au), 404)
    problem(s.get("/audit/tile/0/000?x=1", token=au), 400)
    # paths the router refuses before the handler
    problem(s.get("/audit/tile/0/../000", token=au), 404)
    assert s.healthy()


def test_tiles_are_for_auditors_and_audited():
    s = srv()
    admin = s.admin()
    au, au_id = al.auditor(s, admin)
    problem(s.get("/audit/tile/0/000.p/1"), 401)
    problem(s.get("/audit/tile/0/000.p/1", token=admin), 403)
    problem(s.get("/audit/tile/0/000.p/1", token=s.coord()), 403)
    problem(s.get("/audit/tile/0/000.p/1", token="forged-" + "A" * 40), 401)
    assert s.get("/audit/tile/0/000.p/1", token=au).status == 200
    problem(s.get("/audit/tile/0/000.p/0", token=au), 400)
    got = al.all_entries(s, au, action="audit.read")
    mine = [e for e in got if e["actor_id"] == au_id]
    assert mine[-2]["outcome"] == "allowed" and mine[-1]["outcome"] == "error", mine[-2:]
    admin_id = [e for e in al.all_entries(s, au) if e["action"] == "audit.read"
                and e["outcome"] == "denied" and e["role"] == "admin"]
    assert admin_id, "the admin's refused tile fetch is not in the log"


if __name__ == "__main__":
    try:
        run([test_tiles_match_the_log_and_the_checkpoint, test_bad_tile_paths,
             test_tiles_are_for_auditors_and_audited])
    finally:
        if S is not None:
            S.stop()
            S.cleanup()
