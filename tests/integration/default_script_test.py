#!/usr/bin/env python3
"""moonsip run scripts/default.lua with a users' file (alice, bob, carol in
the realm 127.0.0.1) and no MOONSIP_FALLBACK: what the shipped script
answers, over UDP and TCP, to a client written here (digest with hashlib,
SHA-256 included).
- OPTIONS for the server: 200 with Allow, Accept and Supported.
- REGISTER: 401 with a SHA-256 then an MD5 challenge; 200 with the binding
  (and the binding in the file) for alice's own credentials; 403 for
  alice's credentials on bob's address; 403 for another domain.
- New requests: from another domain, 404 for a name that is no user here,
  480 for a user with no binding, 500 for a relay to a dead port; from
  alice: 407 without credentials or with a wrong password, 403 with bob's
  credentials, through to the lookup (480) with her own; 404 for a
  Request-URI of the server without a user.
- A CANCEL for nothing 481; a BYE inside a dialog with no Route for
  anywhere but this server 404; the To tag of a final answer is set.
(Calls between registered users with SIPp: default_calls_test.py.)
Usage: default_script_test.py MOONSIP SOURCE_DIR PORT_OFFSET"""
import os
import socket
import sys
import tempfile
import time

import digest_client as dc
import harness as h

HOST = "127.0.0.1"
PASSWORDS = {"alice": "w0nder land", "bob": "builder", "carol": "c4rol"}
_n = [0]


def request(method, uri, transport, port, frm="sip:caller@example.com", to=None, extra="", to_tag=""):
    _n[0] += 1
    n = _n[0]
    to = to or uri
    return (f"{method} {uri} SIP/2.0\r\n"
            f"Via: SIP/2.0/{transport.upper()} {HOST}:9;branch=z9hG4bK-def-{os.getpid()}-{n};rport\r\n"
            f"Max-Forwards: 70\r\nFrom: <{frm}>;tag=f{n}\r\n"
            f"To: <{to}>{';tag=' + to_tag if to_tag else ''}\r\nCall-ID: def-{os.getpid()}-{n}@example.com\r\n"
            f"CSeq: 1 {method}\r\nContact: <sip:caller@{HOST}:{port};transport={transport}>;expires=600\r\n"
            f"{extra}Content-Length: 0\r\n\r\n").encode()


def final_answer(msg, transport, port):
    """Sends one request and returns the first final response."""
    deadline = time.monotonic() + 2
    kind = socket.SOCK_DGRAM if transport == "udp" else socket.SOCK_STREAM
    with socket.socket(socket.AF_INET, kind) as s:
        s.settimeout(2)
        if transport == "udp":
            s.sendto(msg, (HOST, port))
        else:
            s.connect((HOST, port))
            s.sendall(msg)
        rest = b""
        while time.monotonic() < deadline:
            if transport == "udp":
                resp = s.recv(65535)
            else:
                resp, rest = h.read_message(s, deadline, rest)
            if resp and h.status_of(resp) >= 200:
                return resp
    h.fail(f"no final answer to {msg.split(b' ')[0].decode()} over {transport}")


def expect(resp, status, *parts):
    if h.status_of(resp) != status:
        h.fail(f"expected {status}, got {resp[:300]!r}")
    for p in parts:
        if p.encode() not in resp:
            h.fail(f"expected {p!r} in the {status}: {resp[:600]!r}")
    return resp


def with_credentials(t, port, method, uri, frm, to, user, password, alg="SHA-256"):
    """The request, challenged, then sent again answering the challenge of
    algorithm `alg` as `user`; returns the final answer to the second."""
    proxy = method != "REGISTER"
    r = final_answer(request(method, uri, t, port, frm, to), t, port)
    expect(r, 407 if proxy else 401)
    ch = next(c for c in dc.challenges(r, proxy) if c["algorithm"] == alg)
    cred = dc.authorization(ch, user, password, uri, method)
    name = "Proxy-Authorization" if proxy else "Authorization"
    return final_answer(request(method, uri, t, port, frm, to, f"{name}: {cred}\r\n"), t, port)


def registrations(t, port):
    reg_uri = f"sip:{HOST}:{port}"
    r = expect(final_answer(request("REGISTER", reg_uri, t, port, f"sip:alice@{HOST}", f"sip:alice@{HOST}"), t, port),
               401, "401 Unauthorized\r\n", ";tag=")
    algs = [c.get("algorithm") for c in dc.challenges(r)]
    if algs != ["SHA-256", "MD5"] or any(c.get("realm") != HOST for c in dc.challenges(r)):
        h.fail(f"expected a SHA-256 then an MD5 challenge in realm {HOST}: {dc.challenges(r)}")
    r = with_credentials(t, port, "REGISTER", reg_uri, f"sip:alice@{HOST}", f"sip:alice@{HOST}", "alice",
                         PASSWORDS["alice"])
    expect(r, 200, f"\r\nContact: <sip:caller@{HOST}:{port};transport={t}>;expires=600")
    r = with_credentials(t, port, "REGISTER", reg_uri, f"sip:bob@{HOST}", f"sip:bob@{HOST}", "alice",
                         PASSWORDS["alice"], "MD5")
    expect(r, 403, "403 Forbidden: the credentials are not for this address\r\n")
    expect(final_answer(request("REGISTER", "sip:example.com", t, port, f"sip:alice@{HOST}", f"sip:alice@{HOST}"),
                        t, port), 403, "only for this server's domains")


def new_requests(t, port, dead):
    me = f"{HOST}:{port}"
    expect(final_answer(request("OPTIONS", f"sip:{me}", t, port), t, port), 200,
           "\r\nAllow: INVITE, ACK, CANCEL, BYE, OPTIONS,", "\r\nAccept: application/sdp\r\n",
           "\r\nSupported:", ";received=127.0.0.1;rport=")
    expect(final_answer(request("INVITE", f"sip:nobody@{me}", t, port), t, port), 404,
           "404 Not Found: no such user here\r\n", ";tag=")
    expect(final_answer(request("INVITE", f"sip:carol@{me}", t, port), t, port), 480,
           "480 Temporarily Unavailable: the user has no registered device\r\n")
    expect(final_answer(request("INVITE", f"sip:{me}", t, port), t, port), 404, "names no user")
    # Relayed to a port of this host where nothing listens (UDP: ICMP; TCP:
    # refused): the branch fails with 503, sent up as 500.
    expect(final_answer(request("INVITE", f"sip:bob@{HOST}:{dead};transport={t}", t, port), t, port), 500, ";tag=")
    alice = f"sip:alice@{HOST}"
    r = expect(final_answer(request("INVITE", f"sip:carol@{me}", t, port, alice), t, port), 407)
    if [c.get("algorithm") for c in dc.challenges(r, proxy=True)] != ["SHA-256", "MD5"]:
        h.fail(f"a 407 with a SHA-256 then an MD5 Proxy-Authenticate expected: {r!r}")
    expect(with_credentials(t, port, "INVITE", f"sip:carol@{me}", alice, None, "alice", "wrong"), 407)
    expect(with_credentials(t, port, "INVITE", f"sip:carol@{me}", alice, None, "bob", PASSWORDS["bob"]), 403,
           "the credentials are not for the From address")
    for alg in ("SHA-256", "MD5"):
        expect(with_credentials(t, port, "INVITE", f"sip:carol@{me}", alice, None, "alice", PASSWORDS["alice"], alg),
               480, "no registered device")
    expect(final_answer(request("CANCEL", "sip:bob@example.com", t, port), t, port), 481)
    expect(final_answer(request("BYE", f"sip:bob@{me}", t, port, to_tag="x1"), t, port), 404,
           "nothing to route this in-dialog request on")


def main():
    binary, src, port = sys.argv[1], sys.argv[2], h.ports(int(sys.argv[3]))
    dead = port + 1  # nothing listens there (the harness checks the server's port only)
    if not h.port_free(HOST, dead):
        h.fail(f"port {dead} should be free for the dead target")
    os.environ.pop("MOONSIP_FALLBACK", None)
    os.environ.pop("MOONSIP_DIGEST", None)
    script = os.path.join(src, "scripts", "default.lua")
    with tempfile.TemporaryDirectory(prefix="moonsip-default-") as work:
        db = os.path.join(work, "moonsip.db")
        for user, pw in PASSWORDS.items():
            h.user_add(binary, db, f"{user}@{HOST}", pw)

        def body(srv):
            for t in ("udp", "tcp"):
                registrations(t, port)
                new_requests(t, port, dead)
                print(f"default.lua over {t}: ok")
            loc = h.location(binary, db)
            for t in ("udp", "tcp"):
                if f"sip:alice@{HOST}\tsip:caller@{HOST}:{port};transport={t}\t" not in loc:
                    h.fail(f"alice's {t} binding is not in the file:\n{loc}")
            if f"sip:bob@{HOST}" in loc:
                h.fail(f"bob's address was bound with alice's credentials:\n{loc}")
            log = srv.log()
            if "INVITE from sip:alice@127.0.0.1: unknown user or wrong password" not in log:
                h.fail("the wrong password was not logged:\n" + log[-2000:])

        h.serving(binary, [f"udp:{HOST}:{port}", f"tcp:{HOST}:{port}"], body, extra=["--db", db, script])


h.run_main(main)
