#!/usr/bin/env python3
# SPDX-License-Identifier: AGPL-3.0-or-later
"""check_includes: the layering of corridor's includes, run by the build.

Layers, lowest first: server/log, crypto, schema, server/audit, the rest of server/.
A file may include its own layer and those below it, never one above.
Only crypto/ may include <sodium.h>: every other layer reaches libsodium
through crypto/'s wrappers. Exit 1 with one line per violation; on
success, touch the stamp file given as the second argument.

usage: check_includes.py SOURCE_ROOT STAMP
"""
import os
import re
import sys

# layer name -> (rank, what a path starts with)
LAYERS = [
    ("log", ("server/log/",)),
    ("crypto", ("crypto/",)),
    ("schema", ("schema/",)),
    ("audit", ("server/audit/",)),
    ("server", ("server/",)),
]
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


def layer_of(path):
    for rank, (name, prefixes) in enumerate(LAYERS):
        if any(path.startswith(p) for p in prefixes):
            return rank, name
    return None, None


def violations(root):
    out = []
    for top in ("crypto", "schema", "server"):  # server/log/ is in server
        for dirpath, _dirs, files in os.walk(os.path.join(root, top)):
            for f in sorted(files):
                if not f.endswith((".c", ".h")):
                    continue
                rel = os.path.relpath(os.path.join(dirpath, f), root)
                rank, name = layer_of(rel)
                with open(os.path.join(root, rel), encoding="utf-8") as fh:
                    for n, line in enumerate(fh, 1):
                        m = INCLUDE.match(line)
                        if not m:
                            continue
                        kind, target = m.groups()
                        if kind == "<" and target == "sodium.h" and name != "crypto":
                            out.append(f"{rel}:{n}: <sodium.h> outside crypto/")
                            continue
                        if kind != '"':
                            continue
                        trank, tname = layer_of(target)
                        if trank is not None and trank > rank:
                            out.append(f"{rel}:{n}: layer {name} includes "
                                       f"{target} of layer {tname} above it")
    return out


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    bad = violations(sys.argv[1])
    for line in bad:
        print("check_includes: " + line, file=sys.stderr)
    if bad:
        return 1
    with open(sys.argv[2], "w", encoding="utf-8") as fh:
        fh.write("ok\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
