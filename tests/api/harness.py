# SPDX-License-Identifier: AGPL-3.0-or-later
"""Black-box test harness: starts the real corridor binary on 127.0.0.1 with
an ephemeral port and a temporary data directory, and talks HTTP to it.
Standard library only."""
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import traceback

BIN = os.environ.get("CORRIDOR_BIN", "build/server/corridor")
# Seconds a request may wait for its answer. Long runs on a loaded machine
# (the 200-cycle crash mode, where every restart means fresh Argon2id
# logins) may raise it; a timeout is never a pass.
HTTP_TIMEOUT_S = float(os.environ.get("CORRIDOR_HTTP_TIMEOUT", "30"))
# Seconds serve may take to say "listening". bench/proof_cpu raises it: the
# first start on a log of millions migrates (builds the tiles) first.
START_TIMEOUT_S = float(os.environ.get("CORRIDOR_START_TIMEOUT", "60"))

ADMIN_PW = "entry-key-" + "x" * 8
COORD_PW = "field-key-" + "y" * 8


# What a test file could not run, and why. run() fails the file when this
# is not empty, unless CORRIDOR_ALLOW_SKIP=1: a missing tool or package
# must not pass for a green suite (docs/testing.md, "Skipped tests").
SKIPPED = []
ALLOW_SKIP = os.environ.get("CORRIDOR_ALLOW_SKIP") == "1"


def skip(what, why):
    """Record that `what` (a test, or a part of one) did not run, and why.
    The caller returns or goes on without it; run() reports every skip
    and fails the file unless CORRIDOR_ALLOW_SKIP=1."""
    SKIPPED.append((what, why))
    print("skip %s: %s" % (what, why), flush=True)


def have_cryptography():
    """Whether Python's 'cryptography' package (Debian python3-cryptography,
    which scripts/install-deps installs) is importable: the independent
    verifiers need it for Ed25519."""
    try:
        import cryptography  # noqa: F401
        return True
    except ImportError:
        return False


def write_secret(path, value):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(value)



PW_LETTERS = "ghjkmnpqrstuvwxyzGHJKMNPQRSTUVWXYZ"

class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def __repr__(self):
        return "<%d %r>" % (self.status, self.body[:200])


class Server:
    """One corridor instance with its own data directory."""

    def __init__(self, extra_args=(), datadir=None, init=True, cafile=None,
                 passphrase=None):
        """cafile: the certificate to trust when extra_args turn TLS on
        (--tls-cert/--tls-key); requests then go over HTTPS. passphrase:
        the operator passphrase of an existing datadir (init=False)."""
        self.tmp = tempfile.mkdtemp(prefix="corridor-api-")
        self.dir = datadir or os.path.join(self.tmp, "data")
        self.passfile = os.path.join(self.tmp, "passphrase")
        self.passphrase = passphrase or "op-" + secrets.token_hex(12)
        write_secret(self.passfile, self.passphrase)
        self.admin_pw, self.coord_pw = ADMIN_PW, COORD_PW
        apw = os.path.join(self.tmp, "apw")
        cpw = os.path.join(self.tmp, "cpw")
        write_secret(apw, self.admin_pw)
        write_secret(cpw, self.coord_pw)
        self.extra_args = list(extra_args)
        self.cafile = cafile
        self.scheme = "http"
        self.proc = None
        self.port = None
        if init:
            out = subprocess.run(
                [BIN, "init", self.dir, "--passphrase-file", self.passfile,
                 "--admin", "admin", "--admin-password-file", apw,
                 "--coordinator", "coord", "--coordinator-password-file", cpw],
                capture_output=True, text=True, timeout=60)
            if out.returncode != 0:
                raise RuntimeError("init failed: " + out.stderr)
        self.start()

    def start(self, expect_fail=False):
        self.log = open(os.path.join(self.tmp, "serve.log"), "w+")
        self.proc = subprocess.Popen(
            [BIN, "serve", self.dir, "--passphrase-file", self.passfile,
             "--listen", "127.0.0.1:0"] + self.extra_args,
            stdout=subprocess.DEVNULL, stderr=self.log)
        deadline = time.time() + START_TIMEOUT_S
        while time.time() < deadline:
            self.log.seek(0)
            m = re.search(r"listening on (https?)://127\.0\.0\.1:(\d+)",
                          self.log.read())
            if m:
                self.scheme = m.group(1)
                self.port = int(m.group(2))
                return
            if self.proc.poll() is not None:
                if expect_fail:
                    return
                raise RuntimeError("serve exited: " + self.stderr())
            time.sleep(0.05)
        raise RuntimeError("serve did not start")

    def stderr(self):
        self.log.seek(0)
        return self.log.read()

    def stop(self):
        """SIGTERM, and return the exit status (0 = clean, no leaks under
        ASan)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        rc = self.proc.returncode
        self.proc = None
        return rc

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    # --- HTTP ---------------------------------------------------------------
    def conn(self):
        if self.scheme == "https":
            ctx = ssl.create_default_context(cafile=self.cafile)
            return http.client.HTTPSConnection("127.0.0.1", self.port,
                                               timeout=HTTP_TIMEOUT_S, context=ctx)
        return http.client.HTTPConnection("127.0.0.1", self.port,
                                          timeout=HTTP_TIMEOUT_S)

    def request(self, method, path, body=None, token=None, headers=None,
                raw=None, content_type="application/json"):
        bearer = token
        if bearer is None and headers:
            auth = headers.get("Authorization", "")
            if auth[:7].lower() == "bearer ":
                bearer = auth[7:]
        held = self.confirmed().get(bearer)
        if held and path != "/session/confirm" and \
                time.time() - held[1] > self.RECONFIRM_S:
            self.confirm(bearer, held[0], check=False)
        c = self.conn()
        h = {}
        if token:
            h["Authorization"] = "Bearer " + token
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
        if data is not None and content_type:
            h["Content-Type"] = content_type
        if headers:
            h.update(headers)
        c.request(method, "/api/v1" + path, body=data, headers=h)
        r = c.getresponse()
        resp = Response(r.status, r.getheaders(), r.read())
        c.close()
        return resp

    def get(self, path, token=None, **kw):
        return self.request("GET", path, token=token, **kw)

    def post(self, path, body=None, token=None, **kw):
        return self.request("POST", path, body=body, token=token, **kw)

    def login(self, username, password, confirm=True):
        """Log in; return the token. An active coordinator's session also
        confirms the password (POST /session/confirm) unless
        confirm=False, so that its requests may open the org key; request()
        renews that confirmation before it lapses, as a client would."""
        r = self.post("/session", {"username": username, "password": password})
        if r.status != 201:
            raise AssertionError("login %s failed: %r" % (username, r))
        tok = r.json()["token"]
        if confirm and r.json()["user"]["role"] == "coordinator":
            me = self.get("/me", token=tok)
            if me.status == 200 and me.json().get("status") == "active":
                self.confirm(tok, password, check=False)
        return tok

    def confirmed(self):
        """token -> (password, time of its last confirmation). Made on
        first use: some tests build a Server without __init__."""
        return self.__dict__.setdefault("_confirmed", {})

    # a confirmation lasts 300 s (server/limits.h REAUTH_WINDOW_S); renew it
    # well before, so that long tests never meet the prompt by accident
    RECONFIRM_S = 200

    def confirm(self, token, password, check=True):
        """POST /session/confirm; with check, assert the 204. A success is
        remembered, and renewed by request() before it lapses."""
        self.confirmed().pop(token, None)
        r = self.post("/session/confirm", {"password": password}, token=token)
        if r.status == 204:
            self.confirmed()[token] = (password, time.time())
        if check and r.status != 204:
            raise AssertionError("confirm failed: %r" % (r,))
        return r

    def admin(self):
        return self.login("admin", self.admin_pw)

    def coord(self):
        return self.login("coord", self.coord_pw)

    @staticmethod
    def random_password(prefix):
        """A random test password of letters that are not hex digits, so
        that no four of them spell a piece of a test username (most hold
        hex ids), which the strength rule would refuse; ~100 bits."""
        return prefix + "".join(secrets.choice(PW_LETTERS) for _ in range(20))

    def create_user(self, admin_token, username, role, password=None,
                    enrol=True):
        """Create a user as an admin and, unless enrol=False, enrol them:
        log in with the admin-chosen first password and replace it, which
        makes the user's own key pair. Returns (id, current password)."""
        first = self.random_password("first-")
        r = self.post("/users", {"username": username, "password": first,
                                 "role": role}, token=admin_token)
        if r.status != 201:
            raise AssertionError("create %s failed: %r" % (username, r))
        uid = r.json()["id"]
        if not enrol:
            return uid, first
        return uid, self.enrol(username, first, password)

    def enrol(self, username, first, password=None):
        """Replace a first password; returns the new one."""
        password = password or self.random_password("pw-")
        tok = self.login(username, first)
        r = self.request("PUT", "/me/password",
                         {"old_password": first, "new_password": password},
                         token=tok)
        if r.status != 204:
            raise AssertionError("enrol %s failed: %r" % (username, r))
        self.request("DELETE", "/session", token=tok)
        return password

    def caseworker_with_case(self):
        """A new enrolled caseworker and a case they created (so are
        assigned to). Returns (username, password, case id)."""
        admin = self.admin()
        name = "cw-" + secrets.token_hex(4)
        _, pw = self.create_user(admin, name, "caseworker")
        tok = self.login(name, pw)
        r = self.post("/cases", {"risk": "high", "region": "Chechnya",
                                 "household_size": 1,
                                 "person": {"name": "marker-" + name},
                                 "notes": "n"}, token=tok)
        if r.status != 201:
            raise AssertionError("case create failed: %r" % r)
        return name, pw, r.json()["id"]

    def healthy(self):
        try:
            r = self.get("/health")
            return r.status == 200 and r.json()["status"] == "ok"
        except OSError:
            return False

    def raw(self, data, read_timeout=10):
        """Send raw bytes on a fresh socket; return what came back."""
        import socket
        s = socket.create_connection(("127.0.0.1", self.port), timeout=read_timeout)
        try:
            s.sendall(data)
            chunks = []
            while True:
                try:
                    b = s.recv(65536)
                except (socket.timeout, ConnectionResetError):
                    break
                if not b:
                    break
                chunks.append(b)
            return b"".join(chunks)
        finally:
            s.close()


def problem(resp, status, slug=None):
    """Assert resp is a problem+json with status (and type slug)."""
    assert resp.status == status, "want %d got %r" % (status, resp)
    assert resp.header("Content-Type") == "application/problem+json", resp.headers
    p = resp.json()
    assert p["status"] == status and set(p) == {"type", "title", "status", "detail"}, p
    if slug:
        assert p["type"] == "urn:corridor:problem:" + slug, p
    return p


def run(tests):
    """Run test functions; print the closing line CI reads."""
    passed = failed = 0
    only = sys.argv[1:]
    # every test_* function of the test file must be in the list: a test
    # left out of it would never run and never fail
    main = sys.modules.get("__main__")
    listed = {t.__name__ for t in tests}
    forgotten = sorted(n for n, v in vars(main).items()
                       if n.startswith("test_") and callable(v) and n not in listed)
    if forgotten:
        print("FAIL tests defined but not run: %s" % ", ".join(forgotten))
        print("0 passed, 1 failed")
        sys.exit(1)
    for t in tests:
        if only and t.__name__ not in only:
            continue
        t0 = time.time()
        try:
            t()
            passed += 1
            print("ok   %s (%.1fs)" % (t.__name__, time.time() - t0), flush=True)
        except Exception:
            failed += 1
            print("FAIL %s" % t.__name__, flush=True)
            traceback.print_exc()
    if SKIPPED and ALLOW_SKIP:
        print("%d skipped, allowed by CORRIDOR_ALLOW_SKIP=1" % len(SKIPPED))
    elif SKIPPED:
        failed += 1
        print("FAIL %d skipped (%s): install what is missing "
              "(scripts/install-deps), or set CORRIDOR_ALLOW_SKIP=1 to allow "
              "skips" % (len(SKIPPED), "; ".join(w for w, _ in SKIPPED)),
              flush=True)
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)
