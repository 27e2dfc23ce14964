# SPDX-License-Identifier: AGPL-3.0-or-later
"""Every route the server has appears in docs/openapi.yaml, and every path
and method in the spec is routed by the server. Routes are read from the
route tables that server/api/router.c lists; the spec is read with a minimal
line parser (no YAML library: standard library only).

The contract, exact: every status the server answers on a route is listed
for that route. One server, and each route is driven, as a principal its
roles allow, with each input every route must refuse (malformed JSON, a
declared body over the cap, a wrong Content-Type, a stray query parameter,
a body it does not take) and without a token; the status answered must be
a 4xx listed in the spec for that route, and the answer a bare
problem+json. The refusals that every route shares must point to the
shared responses of components/responses."""
import base64
import os
import re
import socket
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import Server, run  # noqa: E402

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


def spec_responses():
    """{(METHOD, path with {} for parameters): {status: response ref name
    or None for an inline response}} from docs/openapi.yaml's paths."""
    out = {}
    path = key = None
    in_paths = in_resp = False
    for line in open(os.path.join(ROOT, "docs", "openapi.yaml")):
        line = line.rstrip("\n")
        if re.match(r"^paths:\s*$", line):
            in_paths = True
            continue
        if in_paths and re.match(r"^\S", line):
            in_paths = False
        if not in_paths:
            continue
        m = re.match(r"^  (/\S*):\s*$", line)
        if m:
            path, key, in_resp = re.sub(r"\{[a-z_]+\}", "{}", m.group(1)), None, False
            continue
        m = re.match(r"^    (get|post|put|patch|delete):\s*$", line)
        if m and path:
            key, in_resp = (m.group(1).upper(), path), False
            out[key] = {}
            continue
        if key is None:
            continue
        if re.match(r"^      responses:\s*$", line):
            in_resp = True
            continue
        if re.match(r"^      \S", line):
            in_resp = False
        if not in_resp:
            continue
        m = re.match(r"^        '(\d{3})':(.*)$", line)
        if m:
            code = int(m.group(1))
            ref = re.search(r"responses/(\w+)'", m.group(2))
            out[key][code] = ref.group(1) if ref else None
            last = code
            continue
        ref = re.match(r"^          \$ref: '#/components/responses/(\w+)'", line)
        if ref:
            out[key][last] = ref.group(1)
    return out


def spec_routes():
    return set(spec_responses())


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


def limit_of(name):
    """A cap from server/limits.h, in bytes (the (a * b * c) forms)."""
    src = open(os.path.join(ROOT, "server", "limits.h")).read()
    expr = re.search(r"#define\s+%s\s+\(?([0-9u *]+)\)?" % name, src).group(1)
    n = 1
    for f in expr.replace("u", "").split("*"):
        n *= int(f)
    return n


def test_shared_refusals_are_shared():
    """The statuses every route shares are the shared responses: 400 and
    413 on every route, 415 on every route that takes a body, 503
    everywhere; each by reference, not written out again."""
    spec = spec_responses()
    rows = {(r["method"], re.sub(r"\{[a-z_]+\}|\*$", "{}", r["pattern"])): r
            for r in route_rows()}
    bad = []
    for key, codes in sorted(spec.items()):
        flags = rows[key]["flags"]
        want = {400: "JsonBodyRejected" if "BODY" in flags else "InputRejected",
                413: "BodyTooLarge", 503: "Unavailable"}
        if flags & {"BODY", "UPLOAD"}:
            want[415] = "UnsupportedMediaType"
        for code, name in want.items():
            if codes.get(code) != name:
                bad.append("%s %s: %d is %r, not %s" % (key[0], key[1], code,
                                                       codes.get(code), name))
        if 415 in codes and not flags & {"BODY", "UPLOAD"}:
            bad.append("%s %s: 415 on a route without a body" % key)
    assert not bad, "\n".join(bad)


# --- every status answered is in the spec --------------------------------

PROBE_STATS = {"requests": 0}


def problem_ok(status, headers, body):
    """A bare problem+json whose status member is the HTTP status."""
    import json
    if headers.get("content-type") != "application/problem+json":
        return "Content-Type %r" % headers.get("content-type")
    try:
        p = json.loads(body)
    except ValueError:
        return "body is not JSON: %r" % body[:80]
    if set(p) != {"type", "title", "status", "detail"} or p["status"] != status \
            or not p["type"].startswith("urn:corridor:problem:"):
        return "problem %r" % p
    return None


def send(s, method, path, token=None, ctype=None, body=None, length=None):
    """One request on its own connection, written by hand so that the
    declared Content-Length may differ from the bytes sent (the oversize
    probe declares a body over the cap and sends none: the server answers
    on the headers). Returns (status, {lowercase header: value}, body)."""
    head = ["%s /api/v1%s HTTP/1.1" % (method, path), "Host: 127.0.0.1",
            "Connection: close"]
    if token:
        head.append("Authorization: Bearer " + token)
    if ctype:
        head.append("Content-Type: " + ctype)
    if length is None and body is not None:
        length = len(body)
    if length is not None:
        head.append("Content-Length: %d" % length)
    data = ("\r\n".join(head) + "\r\n\r\n").encode() + (body or b"")
    c = socket.create_connection(("127.0.0.1", s.port), timeout=60)
    try:
        c.sendall(data)
        out = b""
        while True:
            try:
                b = c.recv(65536)
            except ConnectionResetError:
                break
            if not b:
                break
            out += b
    finally:
        c.close()
    PROBE_STATS["requests"] += 1
    head, _, rest = out.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for h in lines[1:]:
        k, _, v = h.partition(":")
        headers[k.strip().lower()] = v.strip()
    if headers.get("transfer-encoding") == "chunked":
        body, rest = b"", rest
        while True:
            size, _, rest = rest.partition(b"\r\n")
            n = int(size.split(b";")[0], 16)
            if n == 0:
                break
            body, rest = body + rest[:n], rest[n + 2:]
        rest = body
    return status, headers, rest


def principal_of(roles):
    """Which fixture may call a route with these roles (R_* names)."""
    if roles == {"ANON"}:
        return None
    for role, who in (("CASEWORKER", "caseworker"), ("COORD", "coordinator"),
                      ("ADMIN", "admin"), ("AUDITOR", "auditor"),
                      ("ANY_USER", "admin")):
        if role in roles:
            return who
    raise ValueError(roles)


def concrete_path(pattern, fix):
    """A path the route matches, with ids of the fixtures: the refusals
    must come from the input, not from an unknown object."""
    p = pattern
    if p.startswith("/users/"):
        p = p.replace("{id}", fix["caseworker_id"])
    if p.startswith("/evacuations/"):
        p = p.replace("{id}", fix["evac"])
    p = p.replace("{id}", fix["case"]).replace("{user_id}", fix["caseworker_id"])
    p = p.replace("{aid}", base64.urlsafe_b64encode(os.urandom(16)).rstrip(b"=").decode())
    if p.endswith("*"):
        p = p[:-1] + "0/000.p/1"
    return p


def probes(row):
    """(name, method, query, content type, body, declared length) for each
    input every route must refuse."""
    upload = "UPLOAD" in row["flags"]
    cap = limit_of("MAX_BUNDLE_BYTES" if "BUNDLE" in row["flags"] else
                   "MAX_ATTACHMENT_BYTES" if upload else "MAX_BODY_BYTES")
    takes_json = "BODY" in row["flags"]
    return [
        ("malformed JSON", "", "application/json", b'{"a": ', None),
        ("body over the cap", "", "application/json", b"", cap + 1),
        ("wrong Content-Type", "", "application/x-www-form-urlencoded",
         b"a=1", None),
        ("stray query parameter", "?corridor_stray=1", None, None, None),
        # a route that takes a JSON object gets an array; any other a body
        ("unexpected body", "", "application/json",
         b"[]" if takes_json else b"{}", None),
    ]


def test_every_status_answered_is_in_the_spec():
    spec = spec_responses()
    s = Server()
    bad = []
    try:
        admin = s.admin()
        cw_name, cw_pw, case = s.caseworker_with_case()
        tokens = {"admin": admin, "coordinator": s.coord(),
                  "caseworker": s.login(cw_name, cw_pw)}
        _, au_pw = s.create_user(admin, "au-spec", "auditor")
        tokens["auditor"] = s.login("au-spec", au_pw)
        users = s.get("/users", token=admin).json()["users"]
        r = s.post("/evacuations", {"details": {"route": "SPEC-ROUTE"}},
                   token=tokens["coordinator"])
        assert r.status == 201, r
        fix = {"case": case, "evac": r.json()["id"],
               "caseworker_id": [u["id"] for u in users
                                 if u["username"] == cw_name][0]}
        answered = {}
        for row in route_rows():
            key = (row["method"], re.sub(r"\{[a-z_]+\}|\*$", "{}", row["pattern"]))
            listed = spec[key]
            who = principal_of(row["roles"])
            path = concrete_path(row["pattern"], fix)
            cases = [(who, p) for p in probes(row)]
            if who is not None and "ANON" not in row["roles"]:
                cases.append((None, ("no token", "", None, None, None)))
            for principal, (name, query, ctype, body, length) in cases:
                st, hdrs, rbody = send(s, row["method"], path + query,
                                       tokens.get(principal), ctype, body,
                                       length)
                answered.setdefault(st, 0)
                answered[st] += 1
                what = "%s %s, %s (%s): %d" % (row["method"], row["pattern"],
                                               name, principal or "anonymous", st)
                if not 400 <= st < 500:
                    bad.append(what + ": not refused")
                elif st not in listed:
                    bad.append(what + ": not in the spec (lists %s)" %
                               sorted(listed))
                err = problem_ok(st, hdrs, rbody)
                if err:
                    bad.append(what + ": " + err)
        assert s.healthy(), "server unhealthy after the probes"
        assert s.stop() == 0, "unclean exit"
    finally:
        s.cleanup()
    assert not bad, "%d answers disagree with docs/openapi.yaml:\n%s" % (
        len(bad), "\n".join(bad))
    print("contract: %d probes, statuses answered %s; every one listed for "
          "its route" % (PROBE_STATS["requests"], dict(sorted(answered.items()))))


if __name__ == "__main__":
    run([test_every_server_route_is_in_the_spec, test_every_spec_route_exists,
         test_parsers_found_something, test_shared_refusals_are_shared,
         test_every_status_answered_is_in_the_spec])
