# SPDX-License-Identifier: AGPL-3.0-or-later
"""web/embed.py: what it writes for a good tree, and every input it must
refuse at build time rather than serve wrongly. Standard library only."""
import os
import re
import subprocess
import sys
import tempfile

EMBED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                     "web", "embed.py")
INDEX = (b'<!DOCTYPE html><html lang="en"><head>'
         b'<link rel="stylesheet" href="__ASSET_ROOT__/css/a.css">'
         b'<script type="module" src="__ASSET_ROOT__/app/m.js"></script>'
         b'</head><body></body></html>')


def embed(files, names=None):
    """Run embed.py on a temp web dir holding files {name: bytes}; return
    (exit status, stderr, generated C or None)."""
    with tempfile.TemporaryDirectory() as d:
        for name, data in files.items():
            p = os.path.join(d, name)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, "wb") as f:
                f.write(data)
        out = os.path.join(d, "out.c")
        r = subprocess.run([sys.executable, EMBED, out, d] +
                           (names if names is not None else list(files)),
                           capture_output=True, text=True, timeout=60)
        c = None
        if r.returncode == 0:
            with open(out, encoding="ascii") as f:
                c = f.read()
        return r.returncode, r.stderr, c


GOOD = {"index.html": INDEX, "app/m.js": b"export const x = 1;\n",
        "css/a.css": b"body{}\n"}


def c_array(c, name):
    m = re.search(r"static const unsigned char %s\[\] = \{\n(.*?)\};" % name,
                  c, re.S)
    return bytes(int(x) for x in m.group(1).replace("\n", "").split(","))


def test_good_tree():
    rc, err, c = embed(GOOD)
    assert rc == 0, err
    h = re.search(r'static_hash\[\] = "([0-9a-f]{16})"', c).group(1)
    index = c_array(c, "f_index")
    assert index == INDEX.replace(b"__ASSET_ROOT__", b"/assets/" + h.encode())
    assert '{ "app/m.js", "text/javascript; charset=utf-8", f0, 20 }' in c
    assert '{ "css/a.css", "text/css; charset=utf-8", f1, 7 }' in c
    assert "static_assets_count = 2;" in c
    assert c_array(c, "f0") == GOOD["app/m.js"]
    # the hash changes with any byte of any file, and with a name
    rc, _, c2 = embed(dict(GOOD, **{"css/a.css": b"body{ }\n"}))
    assert rc == 0 and re.search(r'"([0-9a-f]{16})"', c2).group(1) != h
    # the same tree gives the same hash (reproducible builds)
    assert embed(GOOD)[2] == c


def test_refusals():
    bad = [
        ("unknown type", dict(GOOD, **{"app/x.exe": b"MZ"}), None),
        ("no index", {"app/m.js": b""}, None),
        ("listed twice", GOOD, ["index.html", "app/m.js", "app/m.js",
                                "css/a.css"]),
        ("dot segment", GOOD, ["index.html", "app/../app/m.js", "css/a.css"]),
        ("hidden file", dict(GOOD, **{".x.js": b""}), None),
        ("absolute", GOOD, ["index.html", "/app/m.js", "css/a.css"]),
        ("root outside index", dict(GOOD, **{
            "app/m.js": b"import '__ASSET_ROOT__/x.js';"}), None),
        ("dangling reference", {"index.html": INDEX, "app/m.js": b""}, None),
        ("inline script", dict(GOOD, **{
            "index.html": INDEX.replace(b"<body>",
                                        b"<body><script>alert(1)</script>")}),
         None),
        ("inline style", dict(GOOD, **{
            "index.html": INDEX.replace(b"<body>",
                                        b"<body><style>b{}</style>")}), None),
        ("missing file", GOOD, ["index.html", "app/m.js", "css/a.css",
                                "app/gone.js"]),
    ]
    for what, files, names in bad:
        rc, err, _ = embed(files, names)
        assert rc != 0, "embed.py accepted: " + what
        assert err.strip(), what


if __name__ == "__main__":
    failed = 0
    for t in (test_good_tree, test_refusals):
        try:
            t()
            print("ok   " + t.__name__)
        except Exception as e:  # noqa: BLE001
            failed += 1
            print("FAIL %s: %r" % (t.__name__, e))
    print("%d passed, %d failed" % (2 - failed, failed))
    sys.exit(1 if failed else 0)
