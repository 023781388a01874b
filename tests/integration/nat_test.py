#!/usr/bin/env python3
"""The nat table through `moonsip run` (tests/integration/scripts/nat.lua)
against Python socket peers on 127.0.0.1:

- nat.detect says "via" for a REGISTER and an INVITE whose Via names
  10.0.0.5:5060 (or another port) but that came from 127.0.0.1:<port>,
  "contact" for a private Contact behind a matching Via, false otherwise;
- nat.fix_contact: the callee gets the INVITE with its Contact rewritten to
  the caller's source (user and parameters kept), and the caller gets the
  callee's 200 with the callee's private Contact rewritten to where the
  callee is;
- nat.keepalive{interval = 1}: a peer registered through a "NAT" (Via
  10.0.0.5, source 127.0.0.1:P) gets CRLFCRLF datagrams, a TCP one gets
  them on its connection, a peer registered as it is gets none; a reload
  with nat.keepalive(false), or without a call, stops them;
- method = "OPTIONS": the peer gets an OPTIONS whose Request-URI is its
  Contact, at its source address, and its 200 is counted.
Usage: nat_test.py MOONSIP REPO_DIR PORT_OFFSET"""
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

import harness as h

HOST = "127.0.0.1"
CRLF2 = b"\r\n\r\n"
_n = [0]


def request(method, port, via, contact, extra="", transport="UDP", user="bob"):
    """A request to the server at 'port' for 'user' (a REGISTER: of it);
    'via' is the sent-by."""
    _n[0] += 1
    n = _n[0]
    uri = f"sip:{HOST}:{port}" if method == "REGISTER" else f"sip:{user}@{HOST}:{port}"
    to = f"<sip:{user}@{HOST}>"
    return (f"{method} {uri} SIP/2.0\r\n"
            f"Via: SIP/2.0/{transport} {via};branch=z9hG4bK-nat-{os.getpid()}-{n};rport\r\n"
            f"Max-Forwards: 70\r\nFrom: <sip:caller@{HOST}>;tag=f{n}\r\nTo: {to}\r\n"
            f"Call-ID: nat-{os.getpid()}-{n}@{HOST}\r\nCSeq: {n} {method}\r\n"
            f"Contact: {contact}\r\n{extra}Content-Length: 0\r\n\r\n").encode()


def header(msg, name):
    m = re.search(rb"\r\n" + name.encode() + rb"[ \t]*:[ \t]*([^\r\n]*)", msg, re.I)
    return m.group(1).decode() if m else None


def detect(sock, port, method, via, contact):
    sock.sendto(request(method, port, via, contact, "X-Nat-Test: detect\r\n"), (HOST, port))
    resp = h.final_response(sock)
    if h.status_of(resp) != 200:
        h.fail(f"detect {method}: expected 200, got {resp[:100]!r}")
    return header(resp, "X-Detect")


def check_detect(caller, port):
    me = caller.getsockname()[1]
    cases = [
        ("REGISTER", "10.0.0.5:5060", f"<sip:nat@10.0.0.5:5060>", "true via"),
        ("INVITE", "10.0.0.5:5060", f"<sip:caller@10.0.0.5:5060>", "true via"),
        ("INVITE", f"{HOST}:{me + 1000}", f"<sip:caller@{HOST}:{me}>", "true via"),  # the port alone
        ("INVITE", f"{HOST}:{me}", "<sip:caller@192.168.1.7:5060>", "true contact"),
        ("REGISTER", f"{HOST}:{me}", "<sip:nat@100.64.3.4:5060>", "true contact"),
        ("INVITE", f"{HOST}:{me}", "<sip:caller@[fd00::5]:5060>", "true contact"),
        ("INVITE", f"{HOST}:{me}", f"<sip:caller@{HOST}:{me}>", "false"),
        ("REGISTER", f"{HOST}:{me}", f"<sip:nat@{HOST}:{me}>", "false"),
    ]
    for method, via, contact, want in cases:
        got = detect(caller, port, method, via, contact)
        if got != want:
            h.fail(f"nat.detect for a {method} with Via {via} and Contact {contact} from {HOST}:{me}: "
                   f"{got!r}, expected {want!r}")


def recv_request(sock, method, seconds=3.0):
    """The next request of 'method' on a UDP socket (keep-alives skipped)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            data, src = sock.recvfrom(65535)
        except socket.timeout:
            break
        if data.startswith(method.encode() + b" "):
            return data, src
    h.fail(f"no {method} reached port {sock.getsockname()[1]} within {seconds} s")


def answer(req, code=200, extra=""):
    """A response to 'req': its Vias, From, To (with a tag), Call-ID, CSeq."""
    lines = req.split(b"\r\n\r\n", 1)[0].decode().split("\r\n")[1:]
    keep = [l for l in lines if re.match(r"(via|v|from|f|call-id|i|cseq)\s*:", l, re.I)]
    to = [l for l in lines if re.match(r"(to|t)\s*:", l, re.I)][0]
    return (f"SIP/2.0 {code} OK\r\n" + "\r\n".join(keep) + f"\r\n{to};tag=callee-{code}\r\n" + extra +
            "Content-Length: 0\r\n\r\n").encode()


def check_fix(caller, callee, port):
    me, callee_port = caller.getsockname()[1], callee.getsockname()[1]
    contact = '"Caller" <sip:caller@10.0.0.5:5060;ob;transport=udp>;+sip.instance="<urn:uuid:0000-1>"'
    caller.sendto(request("INVITE", port, f"{HOST}:{me}", contact,
                          f"X-Nat-Test: fix\r\nX-Target: sip:callee@{HOST}:{callee_port}\r\n"), (HOST, port))
    inv, src = recv_request(callee, "INVITE")
    want = f'"Caller" <sip:caller@{HOST}:{me};ob;transport=udp>;+sip.instance="<urn:uuid:0000-1>"'
    if header(inv, "Contact") != want:
        h.fail(f"the relayed INVITE's Contact: {header(inv, 'Contact')!r}, expected {want!r}")
    callee.sendto(answer(inv, 200, "Contact: <sip:callee@192.168.1.20:5070;transport=udp>;expires=60\r\n"), src)
    resp = h.final_response(caller)
    want = f"<sip:callee@{HOST}:{callee_port};transport=udp>;expires=60"
    if h.status_of(resp) != 200 or header(resp, "Contact") != want:
        h.fail(f"the caller's 200: Contact {header(resp, 'Contact')!r}, expected {want!r}: {resp[:300]!r}")


def register(sock, port, user, via, contact):
    sock.sendto(request("REGISTER", port, via, contact, user=user), (HOST, port))
    resp = h.final_response(sock)
    if h.status_of(resp) != 200:
        h.fail(f"REGISTER of {user}: {resp[:120]!r}")


def register_tcp(conn, port, via, contact):
    conn.sendall(request("REGISTER", port, via, contact, transport="TCP", user="tcpnat"))
    resp, rest = h.read_message(conn, time.monotonic() + 3)
    if resp is None or h.status_of(resp) != 200:
        h.fail(f"REGISTER over TCP: {resp!r}")
    return rest


def datagrams(socks, seconds, enough):
    """Everything each socket gets within 'seconds' (or until enough(got))."""
    got = {s: [] for s in socks}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not enough(got):
        for s in socks:
            s.settimeout(0.05)
            try:
                got[s].append(s.recv(65535))
            except socket.timeout:
                pass
    return got


def drain(sock):
    sock.settimeout(0.01)
    try:
        while True:
            sock.recv(65535)
    except (socket.timeout, BlockingIOError):
        pass


def reload(srv, mode_file, mode, seen):
    with open(mode_file, "w") as f:
        f.write(mode + "\n")
    os.kill(srv.pid(), signal.SIGHUP)
    deadline = time.monotonic() + 3
    while srv.log().count("reloaded ") <= seen:
        if time.monotonic() > deadline:
            h.fail(f"no reload to {mode} within 3 s:\n{srv.log()[-2000:]}")
        time.sleep(0.02)
    return seen + 1


def check_crlf(srv, port, nat_peer, clean, tcp_peer, mode_file):
    register(nat_peer, port, "nat", "10.0.0.5:5060", "<sip:nat@10.0.0.5:5060>")
    me = clean.getsockname()[1]
    register(clean, port, "clean", f"{HOST}:{me}", f"<sip:clean@{HOST}:{me}>")
    tcp_peer.connect((HOST, port))
    rest = register_tcp(tcp_peer, port, "10.0.0.6:5060", "<sip:tcpnat@10.0.0.6:5060;transport=tcp>")

    stream = [rest]
    def enough(got):
        tcp_peer.settimeout(0.05)
        try:
            stream.append(tcp_peer.recv(65535))
        except socket.timeout:
            pass
        return len(got[nat_peer]) >= 2 and CRLF2 in b"".join(stream)
    got = datagrams([nat_peer, clean], 5, enough)
    if len(got[nat_peer]) < 2 or any(d != CRLF2 for d in got[nat_peer]):
        h.fail(f"the peer behind the NAT should get CRLFCRLF every second: {got[nat_peer]!r}")
    if got[clean]:
        h.fail(f"the peer registered without a NAT got {got[clean]!r}")
    if CRLF2 not in b"".join(stream):
        h.fail(f"the TCP peer behind the NAT got no CRLFCRLF on its connection: {b''.join(stream)!r}")
    print(f"CRLF keep-alives: {len(got[nat_peer])} to the UDP peer behind the NAT, some on the TCP "
          "connection, none to the other")

    # A reload decides: nat.keepalive(false) stops them, the script without a
    # call too; nat.keepalive again starts them again.
    def after_reload(mode, seen):
        seen = reload(srv, mode_file, mode, seen)
        drain(nat_peer)
        return seen, datagrams([nat_peer], 2.5, lambda g: bool(g[nat_peer]))[nat_peer]

    seen, got = after_reload("off", 0)
    if got:
        h.fail(f"keep-alives after a reload with nat.keepalive(false): {got!r}")
    seen, got = after_reload("CRLF", seen)
    if got != [CRLF2]:
        h.fail(f"no keep-alive within 2.5 s of a reload that asks for them again: {got!r}")
    seen, got = after_reload("none", seen)
    if got:
        h.fail(f"keep-alives after a reload to a script that does not ask for them: {got!r}")
    if "keep-alives stopped (the running script does not ask for them)" not in srv.log():
        h.fail("no log line for the keep-alives stopped by the reload")
    print("a reload with nat.keepalive(false) or without a call stops them; with one, they start again")


def check_options(srv, port, nat_peer, clean):
    register(nat_peer, port, "nat", "10.0.0.5:5060", "<sip:nat@10.0.0.5:5060>")
    req, src = recv_request(nat_peer, "OPTIONS", 4)
    if not req.startswith(b"OPTIONS sip:nat@10.0.0.5:5060 SIP/2.0\r\n"):
        h.fail(f"the OPTIONS keep-alive should have the peer's Contact as Request-URI: {req[:200]!r}")
    if src != (HOST, port):
        h.fail(f"the OPTIONS came from {src}, not from the listener the REGISTER reached")
    nat_peer.sendto(answer(req), src)
    deadline = time.monotonic() + 3
    while "nat: OPTIONS keep-alive: 200" not in srv.log():
        if time.monotonic() > deadline:
            h.fail("the 200 to the OPTIONS keep-alive was not counted (no debug line)")
        time.sleep(0.05)
    got = datagrams([clean], 1.5, lambda g: False)
    if got[clean]:
        h.fail(f"the peer registered without a NAT got {got[clean]!r}")
    print("OPTIONS keep-alives: to the peer's source with its Contact as Request-URI, the 200 counted")


def main():
    binary, repo, port = sys.argv[1], os.path.abspath(sys.argv[2]), h.ports(int(sys.argv[3]))
    script = os.path.join(repo, "tests", "integration", "scripts", "nat.lua")
    with tempfile.TemporaryDirectory(prefix="moonsip-nat-") as work:
        db, mode_file = os.path.join(work, "nat.db"), os.path.join(work, "mode")
        os.environ["MS_NAT_MODE"] = mode_file
        with open(mode_file, "w") as f:
            f.write("CRLF\n")
        chk = subprocess.run([binary, "check", script], capture_output=True, text=True, timeout=10)
        if chk.returncode != 0:
            h.fail(f"moonsip check of a script that calls nat.keepalive: {chk.returncode} {chk.stderr}")
        socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(4)]
        caller, callee, nat_peer, clean = socks
        for i, s in enumerate(socks):
            s.bind((HOST, port + 1 + i))
        tcp_peer = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # from a port of the kernel's
        listens = [f"udp:{HOST}:{port}", f"tcp:{HOST}:{port}"]

        def first(srv):
            check_detect(caller, port)
            print("nat.detect: via, contact and false as they should be")
            check_fix(caller, callee, port)
            print("nat.fix_contact: the INVITE's Contact and the 200's rewritten to their sources")
            check_crlf(srv, port, nat_peer, clean, tcp_peer, mode_file)

        h.serving(binary, listens, first, extra=["--db", db, script])
        tcp_peer.close()
        with open(mode_file, "w") as f:
            f.write("OPTIONS\n")
        h.serving(binary, listens, lambda srv: check_options(srv, port, nat_peer, clean), log_level="debug",
                  extra=["--db", db, script])
        for s in socks:
            s.close()


h.run_main(main)
