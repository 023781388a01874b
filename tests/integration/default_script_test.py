#!/usr/bin/env python3
"""moonsip run scripts/default.lua: what the shipped script answers, over
UDP and TCP, without MOONSIP_FALLBACK: OPTIONS for the server 200 with
Allow, Accept and Supported; an INVITE for a user of this server 404 with
its reason; an INVITE for another host relayed there, and from a port
where nothing listens the 503 comes back as 500; REGISTER 501; a CANCEL
for nothing 481; a BYE inside a dialog with no Route for anywhere but this
server 404; and the To tag of a final answer is set. (Calls relayed to a
fallback are in proxy_test.py and the benchmark.)
Usage: default_script_test.py MOONSIP SOURCE_DIR PORT_OFFSET"""
import os
import socket
import sys
import time

import harness as h

HOST = "127.0.0.1"


def request(method, uri, transport, port, n, to_tag=""):
    target = f"{HOST}:{port}"
    return (f"{method} {uri} SIP/2.0\r\n"
            f"Via: SIP/2.0/{transport.upper()} {HOST}:9;branch=z9hG4bK-def-{os.getpid()}-{n};rport\r\n"
            f"Max-Forwards: 70\r\nFrom: <sip:caller@example.com>;tag=f{n}\r\n"
            f"To: <{uri}>{';tag=' + to_tag if to_tag else ''}\r\nCall-ID: def-{os.getpid()}-{n}@example.com\r\n"
            f"CSeq: 1 {method}\r\nContact: <sip:caller@{target}>\r\nContent-Length: 0\r\n\r\n").encode()


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
        h.fail(f"expected {status}, got {resp[:100]!r}")
    for p in parts:
        if p.encode() not in resp:
            h.fail(f"expected {p!r} in the {status}: {resp[:400]!r}")


def main():
    binary, src, port = sys.argv[1], sys.argv[2], h.ports(int(sys.argv[3]))
    dead = port + 1  # nothing listens there (the harness checks the server's port only)
    if not h.port_free(HOST, dead):
        h.fail(f"port {dead} should be free for the dead target")
    os.environ.pop("MOONSIP_FALLBACK", None)
    script = os.path.join(src, "scripts", "default.lua")

    def body(srv):
        n = 0
        for t in ("udp", "tcp"):
            n += 1
            expect(final_answer(request("OPTIONS", f"sip:{HOST}:{port}", t, port, n), t, port), 200,
                   "\r\nAllow: INVITE, ACK, CANCEL, BYE, OPTIONS,", "\r\nAccept: application/sdp\r\n",
                   "\r\nSupported:", ";received=127.0.0.1;rport=")
            n += 1
            expect(final_answer(request("INVITE", f"sip:bob@{HOST}:{port}", t, port, n), t, port), 404,
                   "404 Not Found: no route for this user\r\n", ";tag=")
            n += 1
            # Relayed to a port of this host where nothing listens (UDP:
            # ICMP; TCP: refused): the branch fails with 503, sent up as 500.
            expect(final_answer(request("INVITE", f"sip:bob@{HOST}:{dead};transport={t}", t, port, n), t, port),
                   500, ";tag=")
            n += 1
            expect(final_answer(request("REGISTER", f"sip:{HOST}", t, port, n), t, port), 501,
                   "\r\nAllow: ")
            n += 1
            expect(final_answer(request("CANCEL", "sip:bob@example.com", t, port, n), t, port), 481)
            n += 1
            expect(final_answer(request("BYE", f"sip:bob@{HOST}:{port}", t, port, n, "x1"), t, port), 404,
                   "nothing to route this in-dialog request on")
            print(f"default.lua over {t}: ok")
        if "no route" not in srv.log():
            h.fail("the 404 was not logged")

    h.serving(binary, [f"udp:{HOST}:{port}", f"tcp:{HOST}:{port}"], body, extra=[script])


h.run_main(main)
