# SPDX-License-Identifier: AGPL-3.0-or-later
"""Every route the server has appears in docs/openapi.yaml, and every path
and method in the spec is routed by the server. Routes are read from the
route tables that server/api/router.c lists; the spec is read with a minimal
line parser (no YAML library: standard library only)."""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import run  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")


def route_rows():
    """Every row of the route tables router.c lists, in table order, as
    dicts: method, pattern, roles (set of R_* names without the prefix),
    flags (set of ROUTE_* names without the prefix), action (the AUDIT_*
    name, "NONE" for an unaudited row). test_authz.py drives its matrix
    from these rows."""
    router = open(os.path.join(ROOT, "server", "api", "router.c")).read()
    block = re.search(r"tables\[\]\s*=\s*\{(.*?)\};", router, re.S).group(1)
    tables = re.findall(r"(route_\w+_table)", block)
    assert tables, "no route tables found in router.c"
    rows = []
    for name in tables:
        fname = name[:-len("_table")] + ".c"
        src = open(os.path.join(ROOT, "server", "api", fname)).read()
        body = re.search(name + r"\[\]\s*=\s*\{(.*?)\n\};", src, re.S).group(1)
        for row in re.findall(r'\{\s*(M_[A-Z]+\s*,\s*"[^"]*"[^{}]*?)\}', body, re.S):
            f = [x.strip() for x in row.split(",")]
            rows.append({
                "method": f[0][len("M_"):],
                "pattern": f[1].strip('"'),
                "roles": {r.strip()[len("R_"):] for r in f[2].split("|")},
                "flags": set() if f[3] == "0" else
                {x.strip()[len("ROUTE_"):] for x in f[3].split("|")},
                "action": f[4][len("AUDIT_"):],
            })
    return rows


def server_routes():
    # a trailing "*" (the tile paths, parsed by their handler) is one
    # parameter spanning segments: the spec's {tile_path}
    return {(r["method"], re.sub(r"\{[a-z_]+\}|\*$", "{}", r["pattern"]))
            for r in route_rows()}


def spec_routes():
    routes = set()
    path = None
    in_paths = False
    for line in open(os.path.join(ROOT, "docs", "openapi.yaml")):
        if re.match(r"^paths:\s*$", line):
            in_paths = True
            continue
        if in_paths and re.match(r"^\S", line):
            in_paths = False
        if not in_paths:
            continue
        m = re.match(r"^  (/\S*):\s*$", line)
        if m:
            path = re.sub(r"\{[a-z_]+\}", "{}", m.group(1))
            continue
        m = re.match(r"^    (get|post|put|patch|delete):\s*$", line)
        if m and path:
            routes.add((m.group(1).upper(), path))
    return routes


def test_every_server_route_is_in_the_spec():
    missing = server_routes() - spec_routes()
    assert not missing, "routes missing from openapi.yaml: %s" % sorted(missing)


def test_every_spec_route_exists():
    extra = spec_routes() - server_routes()
    assert not extra, "openapi.yaml documents routes the server lacks: %s" % sorted(extra)


def test_parsers_found_something():
    # guards against a parser that silently finds nothing
    assert ("POST", "/session") in server_routes()
    assert ("POST", "/session") in spec_routes()
    assert len(server_routes()) >= 9


if __name__ == "__main__":
    run([test_every_server_route_is_in_the_spec, test_every_spec_route_exists,
         test_parsers_found_something])
