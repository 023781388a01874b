#!/usr/bin/env python3
"""Digest authentication of REGISTERs through `moonsip run`, with a client
written here (hashlib) so that SHA-256 is tested too: a REGISTER without
credentials gets 401 with a SHA-256 then an MD5 challenge; the right
password with either algorithm gets 200 and a binding in the file; a
wrong password 401 again; the same response replayed (nonce and
nonce-count) is refused; a response for another Request-URI is refused;
credentials of another user get 403; failures are logged with the source
address, and past 20 a minute the address gets 403; a stale nonce gets
stale=true.
Usage: auth_test.py MOONSIP REPO_DIR PORT_OFFSET"""
import os
import re
import socket
import sys
import tempfile
import time

import digest_client as dc
import harness as h

HOST, REALM = "127.0.0.1", "example.com"
_n = [0]


def challenges(resp):
    return dc.challenges(resp)


def authorization(ch, user, password, uri, nc=1, method="REGISTER", uri_in_cred=None):
    return dc.authorization(ch, user, password, uri, method, nc, uri_in_cred, REALM)


def register(sock, port, user, auth=None, ruri=None):
    _n[0] += 1
    n = _n[0]
    me = sock.getsockname()[1]
    ruri = ruri or f"sip:{HOST}:{port}"
    msg = (f"REGISTER {ruri} SIP/2.0\r\n"
           f"Via: SIP/2.0/UDP {HOST}:{me};branch=z9hG4bK-auth-{os.getpid()}-{n};rport\r\n"
           f"Max-Forwards: 70\r\nFrom: <sip:{user}@{REALM}>;tag=t{n}\r\nTo: <sip:{user}@{REALM}>\r\n"
           f"Call-ID: auth-{os.getpid()}-{user}\r\nCSeq: {n} REGISTER\r\n"
           f"Contact: <sip:{user}@{HOST}:{me}>;expires=300\r\n"
           + (f"Authorization: {auth}\r\n" if auth else "") + "Content-Length: 0\r\n\r\n")
    sock.sendto(msg.encode(), (HOST, port))
    return h.final_response(sock)


def expect(resp, code, what):
    if h.status_of(resp) != code:
        h.fail(f"{what}: expected {code}, got {resp[:300]!r}")


def main():
    binary, repo, port = sys.argv[1], os.path.abspath(sys.argv[2]), h.ports(int(sys.argv[3]))
    script = os.path.join(repo, "tests", "integration", "scripts", "auth.lua")
    with tempfile.TemporaryDirectory(prefix="moonsip-auth-") as work:
        db = os.path.join(work, "auth.db")
        for user, pw in (("alice", "wonder land"), ("bob", "builder")):
            h.user_add(binary, db, f"{user}@{REALM}", pw)
        uri = f"sip:{HOST}:{port}"

        def body(srv):
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.bind((HOST, port + 1))
                r = register(s, port, "alice")
                expect(r, 401, "no credentials")
                chs = challenges(r)
                if [c.get("algorithm") for c in chs] != ["SHA-256", "MD5"] or any(c.get("qop") != "auth" for c in chs):
                    h.fail(f"expected a SHA-256 then an MD5 challenge with qop=auth: {chs}")
                for ch in chs:
                    expect(register(s, port, "alice", authorization(ch, "alice", "wonder land", uri)), 200,
                           f"alice with {ch['algorithm']}")
                ch = challenges(register(s, port, "alice"))[0]
                good = authorization(ch, "alice", "wonder land", uri, nc=1)
                expect(register(s, port, "alice", good), 200, "a fresh nonce")
                expect(register(s, port, "alice", good), 401, "the same nonce-count replayed")
                expect(register(s, port, "alice", authorization(ch, "alice", "wonder land", uri, nc=2)), 200,
                       "the next nonce-count")
                expect(register(s, port, "alice", authorization(ch, "alice", "wrong", uri, nc=3)), 401,
                       "a wrong password")
                expect(register(s, port, "alice",
                                authorization(ch, "alice", "wonder land", uri, nc=4, uri_in_cred=f"sip:other@{HOST}")),
                       401, "a response for another Request-URI")
                expect(register(s, port, "alice", authorization(ch, "bob", "builder", uri, nc=5)), 403,
                       "bob's credentials for alice's binding")
                ch = challenges(register(s, port, "carol"))[0]
                expect(register(s, port, "carol", authorization(ch, "carol", "x", uri)), 401, "an unknown user")
                # Guessing: past 20 failures a minute the address gets 403.
                ch = challenges(register(s, port, "alice"))[0]
                codes = [h.status_of(register(s, port, "alice", authorization(ch, "alice", f"guess{i}", uri, nc=i + 1)))
                         for i in range(25)]
                if 403 not in codes or codes[-1] != 403:
                    h.fail(f"expected 403 once an address has failed 20 times: {codes}")
                r = register(s, port, "alice")
                expect(r, 403, "a blocked address, even without credentials")
                if b"too many failed attempts" not in r:
                    h.fail(f"the 403 should say why: {r[:200]!r}")
            log = srv.log()
            if "auth: alice from 127.0.0.1:" not in log or "wrong password" not in log:
                h.fail("failures should be logged with the user and source address:\n" + log[-2000:])
            loc = h.location(binary, db)
            if f"sip:alice@{REALM}\tsip:alice@{HOST}:{port + 1}" not in loc:
                h.fail("alice's binding is not in the file:\n" + loc)

        h.serving(binary, [f"udp:{HOST}:{port}"], body, extra=["--db", db, script])
        print("401 with SHA-256 then MD5; 200 with either; replay, wrong password, other URI, other user refused")

        os.environ["AUTH_MAX_AGE"] = "1"

        def stale(srv):
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.bind((HOST, port + 1))
                ch = challenges(register(s, port, "bob"))[0]
                time.sleep(2.2)
                r = register(s, port, "bob", authorization(ch, "bob", "builder", uri))
                expect(r, 401, "a stale nonce")
                if not all(c.get("stale") == "true" for c in challenges(r)):
                    h.fail(f"a stale nonce should be challenged with stale=true: {r!r}")

        h.serving(binary, [f"udp:{HOST}:{port}"], stale, extra=["--db", db, script])
        os.environ.pop("AUTH_MAX_AGE", None)
        print("a stale nonce: 401 with stale=true")

        def limit(srv):
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.bind((HOST, port + 1))
                ch = challenges(register(s, port, "bob"))[0]
                codes = [h.status_of(register(s, port, "bob", authorization(ch, "bob", f"guess{i}", uri, nc=i + 1)))
                         for i in range(4)]
                if codes != [401, 401, 401, 403]:
                    h.fail(f"--auth-max-failures 3: expected 401 three times, then 403: {codes}")
                time.sleep(3.2)  # the window passes (counted in whole seconds)
                ch = challenges(expect_401(register(s, port, "bob")))[0]
                expect(register(s, port, "bob", authorization(ch, "bob", "builder", uri)), 200,
                       "the right password once the window has passed")

        h.serving(binary, [f"udp:{HOST}:{port}"], limit,
                  extra=["--db", db, "--auth-max-failures", "3", "--auth-failure-window", "2", script])
        print("--auth-max-failures 3 --auth-failure-window 2: 403 after three failures, for two seconds")


def expect_401(resp):
    expect(resp, 401, "a new challenge")
    return resp


h.run_main(main)
