#!/usr/bin/env python3
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Attachments (issue 15 part 1) against the real binary: upload, list,
download and delete; metadata stripping of real JPEG and PNG files; the
media-type allow-list, filenames, the size cap, abandoned and truncated
uploads; who may do what; crypto-shred on delete and on case shred; key
rotation re-wrapping without rewriting chunks; tampered chunks; memory
bounded at the maximum size; and backup/restore keeping the bytes."""
import atexit
import hashlib
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import shutil
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import BIN, Server, problem, run  # noqa: E402
import imagegen  # noqa: E402

DBPEEK = os.environ.get("CORRIDOR_DBPEEK", "build/tests/api/dbpeek")
MAX_BYTES = 25 * 1024 * 1024
CHUNK = 64 * 1024

S = None
T = {}

# Under AddressSanitizer freed blocks sit in a quarantine (256 MiB by
# default) instead of being reused, which the RSS test would measure;
# without quarantine the heap is reused as in a normal build. Other
# options (leak detection) are kept.
if "quarantine_size_mb" not in os.environ.get("ASAN_OPTIONS", ""):
    os.environ["ASAN_OPTIONS"] = ":".join(
        x for x in (os.environ.get("ASAN_OPTIONS", ""),
                    "quarantine_size_mb=0") if x)


def srv():
    global S
    if S is None:
        S = Server()
        T["admin"] = S.admin()
        T["coord"] = S.coord()
        for name, role in (("cw-a", "caseworker"), ("cw-b", "caseworker"),
                           ("aud", "auditor")):
            uid, pw = S.create_user(T["admin"], name, role)
            T[name + "-id"] = uid
            T[name] = S.login(name, pw)
    return S


def peek(s, *args):
    out = subprocess.run([DBPEEK, s.dir, s.passfile] + list(args),
                         capture_output=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.decode()


def query(s, sql):
    return [json.loads(l) for l in peek(s, "query", sql).splitlines() if l]


def audit_actions(s):
    return [json.loads(l) for l in peek(s, "audit").splitlines() if l]


def new_case(s, tok):
    r = s.post("/cases", {"risk": "high", "region": "Chechnya",
                          "household_size": 1, "person": {"name": "X"},
                          "notes": "n"}, token=tok)
    assert r.status == 201, r
    return r.json()["id"]


def upload(s, cid, data, ctype="text/plain", name="note.txt", tok=None,
           headers=None):
    h = {"X-Filename": urllib.parse.quote(name, safe="")}
    if headers:
        h.update(headers)
    return s.request("POST", "/cases/%s/attachments" % cid, raw=data,
                     token=tok or T["cw-a"], headers=h, content_type=ctype)


def download(s, cid, aid, tok=None, headers=None):
    return s.request("GET", "/cases/%s/attachments/%s" % (cid, aid),
                     token=tok or T["cw-a"], headers=headers)


def chunk_rows(s, aid=None):
    sql = "SELECT count(*) FROM attachment_chunks"
    if aid:
        sql += " WHERE attachment_id = '%s'" % aid
    return query(s, sql)[0][0]


def test_round_trip():
    s = srv()
    cid = new_case(s, T["cw-a"])
    body = "Квитанция: билет Грозный–Москва\n".encode() * 5000  # 2 chunks+
    name = "Билет Грозный \"1\".txt"
    r = upload(s, cid, body, "text/plain; charset=utf-8", name)
    assert r.status == 201, r
    a = r.json()
    assert set(a) == {"id", "filename", "media_type", "size", "created_at",
                      "author_id"}, a
    assert a["filename"] == name and a["media_type"] == "text/plain"
    assert a["size"] == len(body) and a["author_id"] == T["cw-a-id"]
    pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    r2 = upload(s, cid, pdf, "application/pdf", "scan.pdf")
    assert r2.status == 201, r2
    lst = s.get("/cases/%s/attachments" % cid, token=T["cw-a"])
    assert lst.status == 200, lst
    got = lst.json()["attachments"]
    assert [x["id"] for x in got] == [a["id"], r2.json()["id"]], got
    assert got[0] == a, (got[0], a)
    d = download(s, cid, a["id"])
    assert d.status == 200 and d.body == body, d
    assert d.header("Content-Type") == "text/plain"
    assert d.header("Content-Length") == str(len(body))
    cd = d.header("Content-Disposition")
    assert cd.startswith("attachment; filename=\"") and \
        ("filename*=UTF-8''" + urllib.parse.quote(name, safe="")) in cd, cd
    assert '"1"' not in cd.split(";")[1], cd  # quotes never pass through
    assert d.header("Cache-Control") == "no-store"
    d2 = download(s, cid, r2.json()["id"])
    assert d2.status == 200 and d2.body == pdf and \
        d2.header("Content-Type") == "application/pdf"
    # stored encrypted: neither the bytes nor the name are in the database
    dump = peek(s, "dump")
    for m in ("Грозный".encode().hex(), b"Grozny".hex(), b"scan.pdf".hex(),
              b"%PDF-1.4".hex()):
        assert m not in dump, m
    acts = [(e["action"], e["outcome"], e.get("object_id"))
            for e in audit_actions(s)]
    for act in ("case.attachment.create", "case.attachment.list",
                "case.attachment.read"):
        assert (act, "allowed", cid) in acts, act
    # no plaintext spool is left in the data directory
    assert sorted(os.listdir(s.dir)) == sorted(
        x for x in os.listdir(s.dir) if not x.startswith("tmp")), \
        os.listdir(s.dir)


def test_strip_jpeg_and_png():
    s = srv()
    cid = new_case(s, T["cw-a"])
    for ctype, (full, clean), name in (
            ("image/jpeg", imagegen.jpeg(), "IMG_0001.jpg"),
            ("image/png", imagegen.png(), "screenshot.png")):
        assert imagegen.GPS in full
        r = upload(s, cid, full, ctype, name)
        assert r.status == 201, r
        assert r.json()["size"] == len(clean)
        d = download(s, cid, r.json()["id"])
        assert d.status == 200 and d.header("Content-Type") == ctype
        assert imagegen.GPS not in d.body and b"GPS-MARKER" not in d.body
        assert d.body == clean, (ctype, d.body[:64], clean[:64])
    # the stripper works in a stream: a JPEG bigger than one chunk, with
    # its APP1 cut across the upload's pieces
    full, clean = imagegen.jpeg()
    big_ecs = b"\x11\x22\xff\x00" * (3 * CHUNK // 4)
    i = full.index(b"\xff\xd9")
    full2, clean2 = full[:i] + big_ecs + full[i:], clean[:-2] + big_ecs + \
        b"\xff\xd9"
    r = upload(s, cid, full2, "image/jpeg", "big.jpg")
    assert r.status == 201, r
    d = download(s, cid, r.json()["id"])
    assert d.body == clean2 and imagegen.GPS not in d.body


def test_bad_images_and_types():
    s = srv()
    cid = new_case(s, T["cw-a"])
    full, _ = imagegen.jpeg()
    png, _ = imagegen.png()
    cases = [
        (b"not a jpeg at all", "image/jpeg", 422, "invalid-image"),
        (full[:len(full) // 2], "image/jpeg", 422, "invalid-image"),  # no EOI
        (png[:60], "image/png", 422, "invalid-image"),             # no IEND
        (b"\xff\xd8\xff\xe1\x00\x01", "image/jpeg", 422, "invalid-image"),
        (b"GIF89a....", "image/gif", 415, "unsupported-media-type"),
        (b"x", "application/octet-stream", 415, "unsupported-media-type"),
        (b"<svg/>", "image/svg+xml", 415, "unsupported-media-type"),
        (b"x", "text/plainx", 415, "unsupported-media-type"),
        # an image labelled as something else would skip the stripping
        (full, "application/pdf", 415, "media-type-mismatch"),
        (png, "text/plain", 415, "media-type-mismatch"),
        (b"", "text/plain", 422, "empty-attachment"),
    ]
    for data, ctype, status, slug in cases:
        problem(upload(s, cid, data, ctype, "f.bin"), status, slug)
    problem(s.request("POST", "/cases/%s/attachments" % cid, raw=b"abc",
                      token=T["cw-a"], headers={"X-Filename": "a.txt"},
                      content_type=None), 415, "unsupported-media-type")
    assert s.get("/cases/%s/attachments" % cid,
                 token=T["cw-a"]).json()["attachments"] == []
    assert query(s, "SELECT count(*) FROM attachments WHERE case_id = '%s'"
                 % cid)[0][0] == 0
    assert s.healthy()


def test_filenames():
    s = srv()
    cid = new_case(s, T["cw-a"])
    for name in ("паспорт скан.pdf.txt", "a", "x" * 255, "émoji 🙂.txt",
                 "semi;colon,comma=eq.txt"):
        r = upload(s, cid, b"hello", name=name)
        assert r.status == 201, (name, r)
        assert r.json()["filename"] == name
        d = download(s, cid, r.json()["id"])
        assert urllib.parse.quote(name, safe="") in \
            d.header("Content-Disposition").replace("%2C", ",").replace(
                "%3D", "=").replace("%3B", ";") or \
            urllib.parse.quote(name, safe="") in d.header(
                "Content-Disposition"), d.header("Content-Disposition")
    bad = ["", "..", ".", "a%2Fb", "a%5Cb", "a%00b", "a%0Ab", "%FF%FE",
           "%C0%AF", "x" * 256, "%E2%82", "a%zzb", "a%4"]
    for h in bad:
        problem(s.request("POST", "/cases/%s/attachments" % cid, raw=b"x",
                          token=T["cw-a"], headers={"X-Filename": h},
                          content_type="text/plain"), 422, "invalid-filename")
    problem(s.request("POST", "/cases/%s/attachments" % cid, raw=b"x",
                      token=T["cw-a"], content_type="text/plain"), 422,
            "invalid-filename")
    # a filename in the query string is refused, never stored
    problem(s.request("POST", "/cases/%s/attachments?filename=a.txt" % cid,
                      raw=b"x", token=T["cw-a"],
                      headers={"X-Filename": "a.txt"},
                      content_type="text/plain"), 400, "invalid-query")


def raw_upload(s, cid, head_len, send, tok=None, extra=b""):
    """Open a socket, send headers announcing head_len bytes (or chunked
    when head_len is None), send `send` bytes, then close without
    finishing. Returns what came back (maybe nothing)."""
    hdr = ("POST /api/v1/cases/%s/attachments HTTP/1.1\r\nHost: x\r\n"
           "Authorization: Bearer %s\r\nContent-Type: text/plain\r\n"
           "X-Filename: cut.txt\r\n" % (cid, tok or T["cw-a"]))
    if head_len is None:
        hdr += "Transfer-Encoding: chunked\r\n"
    else:
        hdr += "Content-Length: %d\r\n" % head_len
    sock = socket.create_connection(("127.0.0.1", s.port), timeout=30)
    try:
        sock.sendall(hdr.encode() + b"\r\n")
        sock.sendall(send + extra)
        time.sleep(0.3)
    finally:
        sock.close()


def test_abandoned_and_truncated_uploads():
    s = srv()
    cid = new_case(s, T["cw-a"])
    before = chunk_rows(s)
    # announced 3 MiB, sent 1 MiB, connection gone
    raw_upload(s, cid, 3 * 1024 * 1024, b"A" * (1024 * 1024))
    # announced 200 KiB, sent 10 bytes
    raw_upload(s, cid, 200 * 1024, b"B" * 10)
    # chunked, cut mid-stream
    raw_upload(s, cid, None, b"10000\r\n" + b"C" * 0x10000 + b"\r\n8000\r\n" +
               b"C" * 100)
    time.sleep(0.5)
    assert s.healthy()
    assert s.get("/cases/%s/attachments" % cid,
                 token=T["cw-a"]).json()["attachments"] == []
    assert chunk_rows(s) == before
    assert query(s, "SELECT count(*) FROM attachment_chunks c WHERE NOT "
                 "EXISTS (SELECT 1 FROM attachments a WHERE a.id = "
                 "c.attachment_id)")[0][0] == 0
    assert not [e for e in audit_actions(s)
                if e["action"] == "case.attachment.create" and
                e.get("object_id") == cid]
    # nothing was left in the data directory either (unnamed spool files)
    assert not [x for x in os.listdir(s.dir) if "tmp" in x.lower()], \
        os.listdir(s.dir)


def test_over_the_cap():
    s = srv()
    cid = new_case(s, T["cw-a"])
    # announced over the cap: 413 before any body byte is read
    c = s.conn()
    c.putrequest("POST", "/api/v1/cases/%s/attachments" % cid)
    c.putheader("Authorization", "Bearer " + T["cw-a"])
    c.putheader("Content-Type", "text/plain")
    c.putheader("X-Filename", "big.txt")
    c.putheader("Content-Length", str(MAX_BYTES + 1))
    c.endheaders()
    r = c.getresponse()
    problem(type("R", (), {"status": r.status, "headers": r.getheaders(),
                           "body": r.read(),
                           "header": lambda self, n: r.getheader(n),
                           "json": lambda self: json.loads(self.body)})(),
            413, "body-too-large")
    c.close()
    # chunked past the cap: cut at the cap (libmicrohttpd 0.9.75 cannot
    # answer before the body ends, so the connection closes)
    sock = socket.create_connection(("127.0.0.1", s.port), timeout=60)
    sock.sendall(("POST /api/v1/cases/%s/attachments HTTP/1.1\r\nHost: x\r\n"
                  "Authorization: Bearer %s\r\nContent-Type: text/plain\r\n"
                  "X-Filename: big.txt\r\nTransfer-Encoding: chunked\r\n\r\n"
                  % (cid, T["cw-a"])).encode())
    piece = b"100000\r\n" + b"D" * 0x100000 + b"\r\n"
    sent, cut = 0, False
    try:
        # the kernel's socket buffers take a few MiB after the server
        # has stopped reading; 16 MiB past the cap must not all fit
        while sent <= MAX_BYTES + 16 * 0x100000:
            sock.sendall(piece)
            sent += 0x100000
    except (BrokenPipeError, ConnectionResetError):
        cut = True
    got = b""
    try:
        sock.settimeout(10)
        got = sock.recv(65536)
    except (socket.timeout, ConnectionResetError):
        pass
    sock.close()
    assert cut, "the server read %d bytes past the cap" % (sent - MAX_BYTES)
    assert not got or b" 413 " in got.split(b"\r\n")[0], got[:100]
    assert s.healthy()
    assert s.get("/cases/%s/attachments" % cid,
                 token=T["cw-a"]).json()["attachments"] == []
    assert chunk_rows(s) == query(
        s, "SELECT count(*) FROM attachment_chunks")[0][0]


def test_who_may():
    s = srv()
    cid = new_case(s, T["cw-a"])
    aid = upload(s, cid, b"secret doc").json()["id"]
    path = "/cases/%s/attachments" % cid
    one = path + "/" + aid
    # another caseworker: the case does not exist for them
    problem(upload(s, cid, b"x", tok=T["cw-b"]), 404)
    problem(s.get(path, token=T["cw-b"]), 404)
    problem(s.get(one, token=T["cw-b"]), 404)
    problem(s.request("DELETE", one, token=T["cw-b"]), 404)
    # coordinator: reads through break-glass only, never uploads or deletes
    problem(s.get(path, token=T["coord"]), 403, "reason-required")
    problem(s.get(one, token=T["coord"]), 403, "reason-required")
    why = {"X-Access-Reason": "caseworker unreachable, safety check"}
    assert s.get(path, token=T["coord"], headers=why).status == 200
    d = s.get(one, token=T["coord"], headers=why)
    assert d.status == 200 and d.body == b"secret doc"
    problem(upload(s, cid, b"x", tok=T["coord"]), 403, "forbidden")
    problem(s.request("DELETE", one, token=T["coord"], headers=why), 403)
    # admin, auditor, anonymous, forged token
    for tok in (T["admin"], T["aud"]):
        problem(upload(s, cid, b"x", tok=tok), 403, "forbidden")
        problem(s.get(one, token=tok), 403, "forbidden")
    problem(s.get(one), 401)
    problem(upload(s, cid, b"x", tok="A" * 43), 401)
    problem(s.request("DELETE", one, token="forged"), 401)
    # ids that cannot exist, and an attachment of another case
    problem(s.get(path + "/nope", token=T["cw-a"]), 404)
    problem(s.get(path + "/" + "A" * 22, token=T["cw-a"]), 404)
    other = new_case(s, T["cw-a"])
    problem(s.get("/cases/%s/attachments/%s" % (other, aid),
                  token=T["cw-a"]), 404)
    problem(s.request("DELETE", "/cases/%s/attachments/%s" % (other, aid),
                      token=T["cw-a"]), 404)
    assert download(s, cid, aid).body == b"secret doc"
    # a JSON body where raw bytes are expected is just bytes; methods
    problem(s.request("PUT", one, token=T["cw-a"]), 405)
    problem(s.request("PATCH", path, body={}, token=T["cw-a"]), 405)
    # denials are audited against the case
    acts = [(e["action"], e["outcome"]) for e in audit_actions(s)
            if e.get("object_id") == cid]
    assert ("case.attachment.read", "denied") in acts
    assert ("case.attachment.create", "denied") in acts


def test_delete_is_crypto_shred():
    s = srv()
    cid = new_case(s, T["cw-a"])
    body = os.urandom(3 * CHUNK + 5)
    body = b"T" + body[1:]
    aid = upload(s, cid, body, name="delete-me.txt").json()["id"]
    keep = upload(s, cid, b"stays").json()["id"]
    row = query(s, "SELECT hex(key_wrap) FROM attachments WHERE id = '%s'"
                % aid)[0][0]
    assert chunk_rows(s, aid) == 4
    r = s.request("DELETE", "/cases/%s/attachments/%s" % (cid, aid),
                  token=T["cw-a"])
    assert r.status == 204, r
    problem(download(s, cid, aid), 404)
    problem(s.request("DELETE", "/cases/%s/attachments/%s" % (cid, aid),
                      token=T["cw-a"]), 404)
    assert chunk_rows(s, aid) == 0
    assert query(s, "SELECT count(*) FROM attachments WHERE id = '%s'"
                 % aid)[0][0] == 0
    # the wrap's bytes are gone from the database file and its WAL
    for name in os.listdir(s.dir):
        if name.startswith("corridor.db"):
            with open(os.path.join(s.dir, name), "rb") as f:
                assert bytes.fromhex(row) not in f.read(), name
    assert [x["id"] for x in s.get("/cases/%s/attachments" % cid,
            token=T["cw-a"]).json()["attachments"]] == [keep]
    assert ("case.attachment.delete", "allowed", cid) in [
        (e["action"], e["outcome"], e.get("object_id"))
        for e in audit_actions(s)]


def test_rotation_rewraps_keys_only():
    s = srv()
    cid = new_case(s, T["cw-a"])
    body = b"R" * (2 * CHUNK + 100)
    aid = upload(s, cid, body).json()["id"]
    before = query(s, "SELECT key_version, hex(key_wrap) FROM attachments "
                   "WHERE id = '%s'" % aid)[0]
    chunks = query(s, "SELECT seq, hex(data) FROM attachment_chunks WHERE "
                   "attachment_id = '%s' ORDER BY seq" % aid)
    # b joins, a leaves: K_case rotates
    r = s.post("/cases/%s/assignments" % cid, {"user_id": T["cw-b-id"]},
               token=T["coord"])
    assert r.status in (200, 201, 204), r
    r = s.request("DELETE", "/cases/%s/assignments/%s" % (cid, T["cw-a-id"]),
                  token=T["coord"])
    assert r.status in (200, 204), r
    after = query(s, "SELECT key_version, hex(key_wrap) FROM attachments "
                  "WHERE id = '%s'" % aid)[0]
    assert after[0] == before[0] + 1 and after[1] != before[1]
    assert query(s, "SELECT seq, hex(data) FROM attachment_chunks WHERE "
                 "attachment_id = '%s' ORDER BY seq" % aid) == chunks
    d = download(s, cid, aid, tok=T["cw-b"])
    assert d.status == 200 and d.body == body
    problem(download(s, cid, aid), 404)          # a lost access


def test_case_shred_and_tamper():
    s = srv()
    cid = new_case(s, T["cw-a"])
    body = b"S" * (3 * CHUNK)
    aid = upload(s, cid, body).json()["id"]
    aid2 = upload(s, cid, b"U" * (2 * CHUNK + 1)).json()["id"]
    # swap two chunks: the download is cut, never a complete-looking body
    peek(s, "exec", "UPDATE attachment_chunks SET seq = 99 WHERE "
         "attachment_id = '%s' AND seq = 0" % aid)
    peek(s, "exec", "UPDATE attachment_chunks SET seq = 0 WHERE "
         "attachment_id = '%s' AND seq = 1" % aid)
    peek(s, "exec", "UPDATE attachment_chunks SET seq = 1 WHERE "
         "attachment_id = '%s' AND seq = 99" % aid)
    short = None
    try:
        d = download(s, cid, aid)
        short = d.body
    except http.client.IncompleteRead as e:
        short = e.partial
    assert short != body and len(short or b"") < len(body)
    # the last chunk dropped: truncation is caught
    peek(s, "exec", "DELETE FROM attachment_chunks WHERE attachment_id = "
         "'%s' AND seq = 2" % aid2)
    peek(s, "exec", "UPDATE attachments SET chunks = 2, size = %d WHERE "
         "id = '%s'" % (2 * CHUNK, aid2))
    try:
        d = download(s, cid, aid2)
        got = d.body
    except http.client.IncompleteRead as e:
        got = e.partial
    assert len(got) < 2 * CHUNK
    assert s.healthy()
    # a case shred takes every attachment with it
    r = s.post("/cases/%s/shred" % cid, token=T["coord"])
    assert r.status in (200, 204), r
    assert query(s, "SELECT count(*) FROM attachments WHERE case_id = '%s'"
                 % cid)[0][0] == 0
    assert chunk_rows(s, aid) == 0 and chunk_rows(s, aid2) == 0
    problem(s.get("/cases/%s/attachments" % cid, token=T["cw-a"]), 410)


def rss(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM"):
                out[k] = int(v.split()[0])  # KiB
    return out


def test_max_size_memory_bounded():
    s = srv()
    cid = new_case(s, T["cw-a"])
    block = hashlib.sha256(b"seed").digest() * (CHUNK // 32)
    body = b"M" + (block * (MAX_BYTES // len(block) + 1))[:MAX_BYTES - 1]
    # warm up: one upload and download of a few chunks
    aid0 = upload(s, cid, body[:4 * CHUNK]).json()["id"]
    assert download(s, cid, aid0).status == 200
    # reset the peak (VmHWM) to the current RSS: logins' Argon2 (64 MiB
    # each) set it far higher before
    with open("/proc/%d/clear_refs" % s.proc.pid, "w") as f:
        f.write("5")
    before = rss(s.proc.pid)
    r = upload(s, cid, body, name="max.txt")
    assert r.status == 201, r
    aid = r.json()["id"]
    mid = rss(s.proc.pid)
    # the download's audit entry is durable before its first byte: read
    # the headers only, then look at the log
    c = s.conn()
    c.request("GET", "/api/v1/cases/%s/attachments/%s" % (cid, aid),
              headers={"Authorization": "Bearer " + T["cw-a"]})
    resp = c.getresponse()
    assert resp.status == 200
    reads = [e for e in audit_actions(s) if e["action"] ==
             "case.attachment.read" and e.get("object_id") == cid]
    assert reads, "no case.attachment.read before the body"
    h = hashlib.sha256()
    n = 0
    while True:
        b = resp.read(256 * 1024)
        if not b:
            break
        h.update(b)
        n += len(b)
    c.close()
    assert n == MAX_BYTES and h.digest() == hashlib.sha256(body).digest()
    after = rss(s.proc.pid)
    grew = (after["VmHWM"] - before["VmHWM"]) / 1024.0
    print("  RSS KiB before %r, after upload %r, after download %r; "
          "peak grew %.1f MiB" % (before, mid, after, grew))
    assert grew < 16, "peak RSS grew %.1f MiB for a %d MiB file" % (
        grew, MAX_BYTES >> 20)


def test_delete_during_download_cuts_it():
    """A download reads each chunk in its own short read; an attachment
    deleted meanwhile cuts the body short, never completes it."""
    s = srv()
    cid = new_case(s, T["cw-a"])
    body = b"Z" * (20 * 1024 * 1024)
    aid = upload(s, cid, body, name="long.txt").json()["id"]
    c = s.conn()
    c.request("GET", "/api/v1/cases/%s/attachments/%s" % (cid, aid),
              headers={"Authorization": "Bearer " + T["cw-a"]})
    resp = c.getresponse()
    assert resp.status == 200
    assert resp.getheader("Content-Length") == str(len(body))
    got = len(resp.read(CHUNK))
    r = s.request("DELETE", "/cases/%s/attachments/%s" % (cid, aid),
                  token=T["cw-a"])
    assert r.status == 204, r
    try:
        while True:
            b = resp.read(256 * 1024)
            if not b:
                break
            got += len(b)
    except (http.client.IncompleteRead, ConnectionResetError) as e:
        got += len(getattr(e, "partial", b"") or b"")
    c.close()
    assert got < len(body), "a deleted attachment was sent whole"
    assert chunk_rows(s, aid) == 0
    assert s.healthy()


def test_backup_restore_keeps_attachments():
    s = Server()
    work = tempfile.mkdtemp(prefix="corridor-attach-")
    restored = None
    try:
        admin = s.admin()
        uid, pw = s.create_user(admin, "cw-bk", "caseworker")
        tok = s.login("cw-bk", pw)
        cid = new_case(s, tok)
        full, clean = imagegen.png()
        aid = upload(s, cid, full, "image/png", "p.png", tok=tok).json()["id"]
        out = os.path.join(work, "bk")
        r = subprocess.run([BIN, "backup", s.dir, out, "--passphrase-file",
                            s.passfile], capture_output=True, text=True,
                           timeout=120)
        assert r.returncode == 0, r.stderr
        assert s.stop() == 0
        target = os.path.join(work, "restored")
        r = subprocess.run([BIN, "restore", out, target, "--passphrase-file",
                            s.passfile, "--signing-key",
                            os.path.join(s.dir, "audit-key")],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        restored = Server(datadir=target, init=False, passphrase=s.passphrase)
        tok = restored.login("cw-bk", pw)
        d = restored.get("/cases/%s/attachments/%s" % (cid, aid), token=tok)
        assert d.status == 200 and d.body == clean, d
        assert restored.stop() == 0
    finally:
        if restored is not None:
            restored.cleanup()
        s.cleanup()
        shutil.rmtree(work, ignore_errors=True)


def test_clean_shutdown():
    """Last: the shared server stops cleanly (no leak under ASan)."""
    global S
    s = srv()
    assert s.stop() == 0, s.stderr()[-2000:]
    s.cleanup()
    S = None


def cleanup():
    if S is not None:
        S.cleanup()


if __name__ == "__main__":
    atexit.register(cleanup)
    run([test_round_trip, test_strip_jpeg_and_png,
         test_bad_images_and_types, test_filenames,
         test_abandoned_and_truncated_uploads, test_over_the_cap,
         test_who_may, test_delete_is_crypto_shred,
         test_rotation_rewraps_keys_only, test_case_shred_and_tamper,
         test_max_size_memory_bounded, test_delete_during_download_cuts_it,
         test_backup_restore_keeps_attachments, test_clean_shutdown])
