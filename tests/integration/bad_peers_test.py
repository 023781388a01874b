#!/usr/bin/env python3
"""Bad peers: on TCP, garbage, a half message left hanging, a body shorter
than its Content-Length, and 10 MiB messages; on UDP, garbage and an empty
datagram. The server closes what it must, does not grow its memory, and
keeps answering OPTIONS over both transports.
Usage: bad_peers_test.py MOONSIP PORT_OFFSET"""
import os
import socket
import sys
import time

import harness as h

HOST = "127.0.0.1"
STALL = 3.0  # the stall timeout the server is started with (--tcp-stall)
MIB = 1024 * 1024

HALF = (b"OPTIONS sip:x@127.0.0.1 SIP/2.0\r\n"
        b"Via: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bK-half\r\n"
        b"From: <sip:a@example.com>;tag=1\r\n")
SHORT_BODY = (b"OPTIONS sip:x@127.0.0.1 SIP/2.0\r\n"
              b"Via: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bK-short\r\n"
              b"From: <sip:a@example.com>;tag=1\r\nTo: <sip:x@127.0.0.1>\r\n"
              b"Call-ID: short@example.com\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n"
              b"Content-Type: text/plain\r\nContent-Length: 500\r\n\r\n0123456789")


def connect(port):
    return socket.create_connection((HOST, port), timeout=2)


def start_stalls(port):
    """Half messages that must stay unanswered until the stall timeout."""
    stalls = []
    for name, data in (("half message", HALF), ("Content-Length 500, 10-byte body", SHORT_BODY)):
        s = connect(port)
        s.sendall(data)
        stalls.append((name, s, time.monotonic()))
    time.sleep(1.0)
    for name, s, _ in stalls:
        closed, got = h.wait_closed(s, 0.01)
        if closed or got:
            h.fail(f"{name}: closed or answered ({got[:60]!r}) within 1 s, expected the server to wait")
    return stalls


def check_stalls(stalls):
    for name, s, t0 in stalls:
        closed, got = h.wait_closed(s, max(0.0, t0 + STALL + 3 - time.monotonic()))
        took = time.monotonic() - t0
        if not closed:
            h.fail(f"{name}: connection still open {took:.1f} s later, expected closed after ~{STALL:.0f} s")
        if got:
            h.fail(f"{name}: got {got[:60]!r} before the close, expected nothing")
        if took < STALL - 1:
            h.fail(f"{name}: closed after {took:.1f} s, before the {STALL:.0f} s stall timeout")
        print(f"{name}: closed after {took:.1f} s: ok")
        s.close()


def tcp_garbage(port):
    s = connect(port)
    junk = bytes(range(256)) * 16 + b"\r\n\r\n" + os.urandom(4096) + b"\r\n\r\n"
    try:
        s.sendall(junk)
    except ConnectionError:
        pass
    closed, got = h.wait_closed(s, 2.0)
    if not closed:
        h.fail(f"garbage on TCP: connection still open after 2 s (got {got[:60]!r})")
    print("tcp garbage: closed: ok")
    s.close()


def tcp_huge(srv, port, name, head, filler):
    """Streams a 10 MiB message; the server must close the connection long
    before it is all sent, and its memory must not follow the message."""
    before = h.vm_rss_kib(srv.pid())
    s = connect(port)
    sent, peak = 0, before
    try:
        s.sendall(head)
        while sent < 10 * MIB:
            s.sendall(filler)
            sent += len(filler)
            peak = max(peak, h.vm_rss_kib(srv.pid()))
    except (ConnectionError, socket.timeout):
        pass
    closed, _ = h.wait_closed(s, 2.0)
    s.close()
    peak = max(peak, h.vm_rss_kib(srv.pid()))
    if not closed:
        h.fail(f"{name}: connection still open after sending {sent // 1024} KiB")
    if peak - before > 8 * 1024:
        h.fail(f"{name}: server VmRSS grew from {before} KiB to {peak} KiB (more than 8 MiB)")
    if peak > 64 * 1024 and peak - before > 1024:
        h.fail(f"{name}: server VmRSS reached {peak} KiB, over 64 MiB")
    print(f"{name}: closed after {sent // 1024} KiB sent, VmRSS {before} -> {peak} KiB: ok")


def udp_junk(port):
    for data in (b"", os.urandom(1400), b"\r\n\r\n", b"SIP/2.0\r\n\r\n", b"\x00" * 65000):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.sendto(data, (HOST, port))
    time.sleep(0.2)
    print("udp garbage and empty datagram sent")


def main():
    binary, port = sys.argv[1], h.ports(int(sys.argv[2]))

    def body(srv):
        stalls = start_stalls(port)
        tcp_garbage(port)
        h.check_options(HOST, port)
        big_body = (b"MESSAGE sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bK-big\r\n"
                    b"From: <sip:a@example.com>;tag=1\r\nTo: <sip:x@127.0.0.1>\r\nCall-ID: big@example.com\r\n"
                    b"CSeq: 1 MESSAGE\r\nMax-Forwards: 70\r\nContent-Type: text/plain\r\n"
                    b"Content-Length: %d\r\n\r\n" % (10 * MIB))
        tcp_huge(srv, port, "10 MiB body", big_body, b"x" * 65536)
        tcp_huge(srv, port, "10 MiB of headers", b"OPTIONS sip:x@127.0.0.1 SIP/2.0\r\n",
                 b"X-Padding: " + b"y" * 1010 + b"\r\n")
        h.check_options(HOST, port)
        udp_junk(port)
        h.check_options(HOST, port)
        check_stalls(stalls)
        if not srv.alive():
            h.fail("the server died:\n" + srv.log()[-3000:])
        h.check_options(HOST, port)

    h.serving(binary, [f"udp:{HOST}:{port}", f"tcp:{HOST}:{port}"], body, extra=["--tcp-stall", "3"])


h.run_main(main)
