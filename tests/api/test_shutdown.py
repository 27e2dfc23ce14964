# SPDX-License-Identifier: AGPL-3.0-or-later
"""Graceful SIGTERM against the real binary: a request in flight when the
signal arrives still gets its answer, new connections are refused at once,
an idle keep-alive connection does not hold the shutdown up, a stalled
request holds it up only for the grace period, and the exit status is 0."""
import http.client
import json
import os
import signal
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import Server, run  # noqa: E402

REQUEST_DEADLINE_S = 10    # server/limits.h
SHUTDOWN_GRACE_S = 15   # server/limits.h


def read_response(sock, timeout=30):
    sock.settimeout(timeout)
    chunks = []
    while True:
        try:
            b = sock.recv(65536)
        except (socket.timeout, ConnectionResetError):
            break
        if not b:
            break
        chunks.append(b)
    return b"".join(chunks)


def login_in_flight(s):
    """A login whose headers and first bytes of body are in: the socket,
    and the rest of the body to send."""
    body = json.dumps({"username": "admin", "password": s.admin_pw}).encode()
    head = (b"POST /api/v1/session HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body))
    sock = socket.create_connection(("127.0.0.1", s.port), timeout=30)
    sock.sendall(head + body[:10])
    time.sleep(0.3)
    return sock, body[10:]


def test_request_in_flight_completes():
    s = Server()
    try:
        # the request is in flight: headers and half the body are in
        sock, rest_of_body = login_in_flight(s)
        s.proc.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        assert s.proc.poll() is None, "exited with a request in flight"
        # no new connections once draining
        try:
            socket.create_connection(("127.0.0.1", s.port), timeout=2).close()
            raise AssertionError("a new connection was accepted while draining")
        except (ConnectionRefusedError, socket.timeout):
            pass
        sock.sendall(rest_of_body)
        got = read_response(sock)
        sock.close()
        status, _, rest = got.partition(b"\r\n")
        assert status == b"HTTP/1.1 201 Created", got[:300]
        headers, _, payload = rest.partition(b"\r\n\r\n")
        assert b"connection: close" in headers.lower(), headers
        assert len(json.loads(payload)["token"]) == 86
        assert s.proc.wait(30) == 0
        log = s.stderr()
        assert "shutting down" in log
        assert "POST /session status=201" in log, log
    finally:
        s.cleanup()


def test_second_signal_does_not_cut_the_drain():
    """A second SIGTERM, or a Ctrl-C, while the server drains must not end
    it: every thread but the main one blocks them (a thread started with
    them unblocked, as the WAL checkpoint thread once was, let the kernel
    kill the process in the middle of the drain)."""
    s = Server()
    try:
        sock, rest_of_body = login_in_flight(s)
        s.proc.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        s.proc.send_signal(signal.SIGTERM)
        s.proc.send_signal(signal.SIGINT)
        time.sleep(0.5)
        assert s.proc.poll() is None, "a second signal ended the drain"
        sock.sendall(rest_of_body)
        got = read_response(sock)
        sock.close()
        assert got.startswith(b"HTTP/1.1 201 Created"), got[:300]
        assert s.proc.wait(30) == 0
    finally:
        s.cleanup()


def test_idle_keepalive_does_not_delay_exit():
    s = Server()
    try:
        c = http.client.HTTPConnection("127.0.0.1", s.port, timeout=30)
        c.request("GET", "/api/v1/health")
        r = c.getresponse()
        assert r.status == 200 and r.getheader("Connection") != "close"
        r.read()            # keep-alive: the connection stays open, idle
        t0 = time.time()
        s.proc.send_signal(signal.SIGTERM)
        assert s.proc.wait(30) == 0
        assert time.time() - t0 < 5, time.time() - t0
        c.close()
    finally:
        s.cleanup()


def test_stalled_request_waits_only_the_grace_period():
    s = Server()
    try:
        sock = socket.create_connection(("127.0.0.1", s.port), timeout=60)
        sock.sendall(b"POST /api/v1/session HTTP/1.1\r\nHost: x\r\n"
                     b"Content-Type: application/json\r\n"
                     b"Content-Length: 100\r\n\r\n{")
        time.sleep(0.3)
        t0 = time.time()
        s.proc.send_signal(signal.SIGTERM)
        assert s.proc.wait(SHUTDOWN_GRACE_S + 30) == 0
        took = time.time() - t0
        # the stalled body is cut at the request deadline (10 s from
        # accept, issue 18), before the grace period (15 s) runs out: the
        # drain ends then, and never later than the grace period
        assert REQUEST_DEADLINE_S - 2 <= took < SHUTDOWN_GRACE_S + 10, took
        sock.close()
    finally:
        s.cleanup()


if __name__ == "__main__":
    run([test_request_in_flight_completes,
         test_second_signal_does_not_cut_the_drain,
         test_idle_keepalive_does_not_delay_exit,
         test_stalled_request_waits_only_the_grace_period])
