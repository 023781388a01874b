#!/usr/bin/env python3
"""RFC 5118 (IPv6) torture messages over UDP, to an IPv4 listener and, when
::1 works here, to an IPv6 one. The files are put in wire form first (LF ->
CRLF, the missing empty line added, Content-Length recounted, as
tests/unit/corpus_verdict.c does). Each must get the answer an
OPTIONS-only endpoint gives (200 to OPTIONS, 501 to other methods, 400 for
a parse error, nothing for a response); the server must not crash and must
still answer OPTIONS afterwards.
Usage: rfc5118_test.py MOONSIP CORPUS_DIR PORT_OFFSET"""
import os
import re
import socket
import sys

import harness as h


def wire_form(raw):
    text = raw.replace(b"\n", b"\r\n")
    if b"\r\n\r\n" not in text:
        text += b"\r\n"
    head, body = text.split(b"\r\n\r\n", 1)
    head = re.sub(rb"(?im)^Content-Length:[^\r\n]*", b"Content-Length: %d" % len(body), head)
    return head + b"\r\n\r\n" + body


def expected(verdict, msg):
    if msg.startswith(b"SIP/2.0 "):
        return "drop"
    if verdict.startswith("parse-error"):
        return "400"
    return "200" if msg.startswith(b"OPTIONS ") else "501"


def ipv6_works(port):
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
            s.bind(("::1", port))
        return True
    except OSError:
        return False


def send_all(corpus, host, port):
    sniff = h.UdpSniffer(host, port)
    problems, seen = [], set()
    with open(os.path.join(corpus, "MANIFEST.tsv")) as f:
        rows = [line.split("\t") for line in f.read().splitlines()[1:] if line.strip()]
    for file, _, verdict, _ in rows:
        msg = wire_form(open(os.path.join(corpus, file), "rb").read())
        want = expected(verdict, msg)
        fresh = h.udp_exchange(sniff, seen, host, port, msg)
        codes = [h.status_of(g) for g in fresh if (h.status_of(g) or 0) >= 200]
        ok = codes == [] if want == "drop" else codes == [int(want)]
        first = [g.split(b"\r\n", 1)[0].decode(errors="replace") for g in fresh]
        print(f"{file} to {host}: expected {want}, got {first or 'nothing'}: {'ok' if ok else 'WRONG'}")
        if not ok:
            problems.append(f"{file} to {host}: expected {want}, got {first or 'no answer'}")
    sniff.close()
    return problems


def main():
    binary, corpus, port = sys.argv[1], sys.argv[2], h.ports(int(sys.argv[3]))
    listens = [f"udp:127.0.0.1:{port}", f"tcp:127.0.0.1:{port}"]
    v6 = ipv6_works(port)
    if v6:
        listens.append(f"udp:[::1]:{port}")
    else:
        print("::1 does not work here: IPv4 listener only")

    def body(srv):
        problems = send_all(corpus, "127.0.0.1", port)
        if v6:
            problems += send_all(corpus, "::1", port)
        if not srv.alive():
            h.fail("the server died:\n" + srv.log()[-3000:])
        h.check_options("127.0.0.1", port)
        if v6:
            h.check_options("::1", port, ("udp",))
        if problems:
            h.fail("wrong answers:\n  " + "\n  ".join(problems))

    h.serving(binary, listens, body)


h.run_main(main)
