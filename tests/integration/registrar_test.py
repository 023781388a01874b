#!/usr/bin/env python3
"""The registrar through `moonsip run` with a real SQLite file: a REGISTER
is answered 200 with every binding and its expires, and the binding is in
the file (`moonsip location --db`); a too short expires gets 423 with
Min-Expires; bindings survive a restart and an INVITE for the user is
relayed to them; a REGISTER that came through a NAT (its Via's sent-by is
not its source) gets the INVITE at its source address; kill -9 right after
the 200s loses none of them; an expired binding is swept from the file.
Usage: registrar_test.py MOONSIP REPO_DIR PORT_OFFSET"""
import os
import re
import signal
import sqlite3
import socket
import sys
import tempfile
import time

import harness as h

HOST = "127.0.0.1"
_n = [0]


def register(sock, port, user, contact_port, expires, via_port=None, call_id=None):
    _n[0] += 1
    n = _n[0]
    via_port = via_port or sock.getsockname()[1]
    msg = (f"REGISTER sip:{HOST}:{port} SIP/2.0\r\n"
           f"Via: SIP/2.0/UDP {HOST}:{via_port};branch=z9hG4bK-reg-{os.getpid()}-{n};rport\r\n"
           f"Max-Forwards: 70\r\nFrom: <sip:{user}@{HOST}>;tag=r{n}\r\nTo: <sip:{user}@{HOST}>\r\n"
           f"Call-ID: {call_id or f'reg-{os.getpid()}-{n}'}\r\nCSeq: {n} REGISTER\r\n"
           f"Contact: <sip:{user}@{HOST}:{contact_port}>;expires={expires}\r\n"
           f"User-Agent: registrar-test\r\nContent-Length: 0\r\n\r\n").encode()
    sock.sendto(msg, (HOST, port))
    return h.final_response(sock)


def invite_for(sock, port, user):
    _n[0] += 1
    n = _n[0]
    me = sock.getsockname()[1]
    msg = (f"INVITE sip:{user}@{HOST}:{port} SIP/2.0\r\n"
           f"Via: SIP/2.0/UDP {HOST}:{me};branch=z9hG4bK-inv-{os.getpid()}-{n};rport\r\n"
           f"Max-Forwards: 70\r\nFrom: <sip:caller@{HOST}>;tag=c{n}\r\nTo: <sip:{user}@{HOST}>\r\n"
           f"Call-ID: inv-{os.getpid()}-{n}\r\nCSeq: 1 INVITE\r\nContact: <sip:caller@{HOST}:{me}>\r\n"
           f"Content-Length: 0\r\n\r\n").encode()
    sock.sendto(msg, (HOST, port))


def received_invite(sock, deadline=3.0):
    sock.settimeout(deadline)
    try:
        data = sock.recv(65535)
    except socket.timeout:
        h.fail(f"no INVITE reached port {sock.getsockname()[1]}")
    if not data.startswith(b"INVITE "):
        h.fail(f"expected an INVITE, got {data[:100]!r}")
    return data


def main():
    binary, repo, port = sys.argv[1], os.path.abspath(sys.argv[2]), h.ports(int(sys.argv[3]))
    script = os.path.join(repo, "tests", "integration", "scripts", "registrar.lua")
    with tempfile.TemporaryDirectory(prefix="moonsip-reg-") as work:
        db = os.path.join(work, "reg.db")
        extra = ["--db", db, script]
        ua, phone, nat_src, caller = (socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(4))
        for s, p in ((ua, port + 1), (phone, port + 2), (nat_src, port + 3), (caller, port + 4)):
            s.bind((HOST, p))

        def first(srv):
            a = register(ua, port, "alice", port + 2, 300)
            if h.status_of(a) != 200 or not re.search(rb"\r\nContact: <sip:alice@127\.0\.0\.1:%d>;expires=(29\d|300)\r\n" % (port + 2), a):
                h.fail(f"expected 200 listing the binding with its expires: {a!r}")
            a = register(ua, port, "alice", port + 2, 10)
            if h.status_of(a) != 423 or b"\r\nMin-Expires: 60\r\n" not in a:
                h.fail(f"expected 423 with Min-Expires: 60: {a!r}")
            # bob is behind a NAT: his Via names port+5, he sends from port+3.
            a = register(nat_src, port, "bob", port + 5, 300, via_port=port + 5)
            if h.status_of(a) != 200:
                h.fail(f"bob's REGISTER: {a!r}")
            loc = h.location(binary, db)
            if f"sip:alice@127.0.0.1\tsip:alice@127.0.0.1:{port + 2}" not in loc:
                h.fail("moonsip location does not show alice's binding:\n" + loc)

        h.serving(binary, [f"udp:{HOST}:{port}"], first, extra=extra)
        print("REGISTER: 200 with the bindings, 423 with Min-Expires, the binding in the file")

        def after_restart(srv):
            invite_for(caller, port, "alice")
            inv = received_invite(phone)
            if not inv.startswith(f"INVITE sip:alice@127.0.0.1:{port + 2} SIP/2.0".encode()):
                h.fail(f"the INVITE for alice should go to her contact: {inv[:200]!r}")
            invite_for(caller, port, "bob")
            inv = received_invite(nat_src)  # where bob's REGISTER came from, not his Contact
            if not inv.startswith(f"INVITE sip:bob@127.0.0.1:{port + 5} SIP/2.0".encode()):
                h.fail(f"the INVITE for bob should keep his Contact as Request-URI: {inv[:200]!r}")
            invite_for(caller, port, "carol")
            a = h.final_response(caller)
            if h.status_of(a) != 480:
                h.fail(f"an INVITE for a user with no binding: expected 480, got {a[:100]!r}")

        h.serving(binary, [f"udp:{HOST}:{port}"], after_restart, extra=extra)
        print("after a restart: INVITEs reach the bindings (bob's at his NAT's address), 480 without one")

        # kill -9 right after the answers: every binding answered 200 is in the file.
        srv = h.Server(binary, [f"udp:{HOST}:{port}"], extra=extra).start()
        try:
            users = [f"u{i}" for i in range(50)]
            for u in users:
                a = register(ua, port, u, port + 2, 600)
                if h.status_of(a) != 200:
                    h.fail(f"REGISTER for {u}: {a[:100]!r}")
            os.kill(srv.pid(), signal.SIGKILL)
            srv.proc.wait(timeout=5)
        finally:
            srv.kill()
        loc = h.location(binary, db)
        missing = [u for u in users if f"sip:{u}@127.0.0.1\t" not in loc]
        if missing:
            h.fail(f"bindings answered 200 but lost to kill -9: {missing}")
        print("kill -9 after 50 REGISTERs answered 200: all 50 bindings in the file")

        # The sweep: a binding of 1 s (--min-expires 1) leaves the file.
        def sweep(srv):
            a = register(ua, port, "shortlived", port + 2, 1)
            if h.status_of(a) != 200:
                h.fail(f"a 1 s REGISTER with --min-expires 1: {a[:100]!r}")
            rows = lambda: sqlite3.connect(db).execute(
                "SELECT count(*) FROM bindings WHERE aor = 'sip:shortlived@127.0.0.1'").fetchone()[0]
            if rows() != 1:
                h.fail("the 1 s binding should be in the file first")
            deadline = time.monotonic() + 5
            while rows() and time.monotonic() < deadline:
                time.sleep(0.2)
            if rows():
                h.fail("the sweep (--sweep 1) did not remove the expired binding from the file")

        h.serving(binary, [f"udp:{HOST}:{port}"], sweep,
                  extra=["--min-expires", "1", "--sweep", "1", "--db", db, script])
        print("an expired binding is swept from the file")
        for s in (ua, phone, nat_src, caller):
            s.close()


h.run_main(main)
