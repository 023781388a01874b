#!/usr/bin/env python3
"""scripts/default.lua with a phone behind a NAT, made up on loopback: bob
registers from 127.0.0.1:P while his Via, Contact and SDP say 10.0.0.7
(what a phone behind a NAT writes; nothing answers there). alice, not
behind a NAT, calls him with digest authentication.
- bob's binding is marked NAT and gets CRLFCRLF keep-alives
  (MOONSIP_KEEPALIVE=1) at the address his REGISTER came from.
- The INVITE reaches bob at that address, from the listener his REGISTER
  reached (the server has two; a NAT lets only that one through), its SDP
  pointing at moonsip's relay, alice's credentials removed.
- bob's 200 reaches alice with its Contact rewritten to where it came from
  (nat.fix_contact in on_reply) and its SDP pointing at the relay.
- RTP both ways: bob's private SDP address is learned from his packets
  (latching), so alice hears him and he hears her.
- alice's BYE, sent to the Contact she got, reaches bob; the relay logs the
  call's media at its end.
Usage: default_nat_test.py MOONSIP SOURCE_DIR PORT_OFFSET"""
import os
import re
import sys
import tempfile
import time

import digest_client as dc
import harness as h
import rtp_test as rt

HOST = "127.0.0.1"
PRIVATE = "10.0.0.7"
PASSWORDS = {"alice": "w0nder land", "bob": "builder"}


def msg(method, ruri, ua, sent_by, frm, to, call, cseq, extra=(), body=b"", contact=None):
    ua.n += 1
    lines = [f"{method} {ruri} SIP/2.0", f"Via: SIP/2.0/UDP {sent_by};branch=z9hG4bK-{ua.name}-{call.split('@')[0]}-{ua.n};rport",
             "Max-Forwards: 70", f"From: {frm}", f"To: {to}", f"Call-ID: {call}", f"CSeq: {cseq} {method}",
             f"Contact: <{contact}>" if contact else None] + list(extra)
    if body:
        lines.append("Content-Type: application/sdp")
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(l for l in lines if l) + "\r\n\r\n").encode() + body


def sdp_at(address, port):
    return (f"v=0\r\no=- 1 1 IN IP4 {address}\r\ns=-\r\nc=IN IP4 {address}\r\nt=0 0\r\n"
            f"m=audio {port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n").encode()


def authed(ua, server, build, method, uri, user):
    """Sends build(extra headers); answers a 401/407 once; the final answer."""
    ua.send(build([]), server)
    r, _ = ua.recv(want=["SIP/2.0 4", "SIP/2.0 2", "SIP/2.0 5"])
    proxy = method != "REGISTER"
    if rt.header(r, "Proxy-Authenticate" if proxy else "WWW-Authenticate") is None:
        h.fail(f"{user}'s {method}: expected a challenge, got {r[:60]!r}")
    ch = next(c for c in dc.challenges(r, proxy) if c["algorithm"] == "SHA-256")
    cred = dc.authorization(ch, user, PASSWORDS[user], uri, method)
    ua.send(build([f"{'Proxy-Authorization' if proxy else 'Authorization'}: {cred}"]), server)
    return ua.recv(want=["SIP/2.0 2", "SIP/2.0 4", "SIP/2.0 5", "SIP/2.0 180"])


def main():
    binary, src, offset = sys.argv[1], sys.argv[2], int(sys.argv[3])
    port = h.ports(offset)
    lo = h.ports(offset + 10)
    server = (HOST, port)
    second = (HOST, h.ports(offset + 9))  # the listener bob registers through
    os.environ.pop("MOONSIP_FALLBACK", None)
    os.environ["MOONSIP_DIGEST"] = "SHA-256,MD5"
    os.environ["MOONSIP_KEEPALIVE"] = "1"
    alice = rt.Ua("alice", h.ports(offset + 1), h.ports(offset + 4))
    bob = rt.Ua("bob", h.ports(offset + 2), h.ports(offset + 6))
    aor = lambda u: f"<sip:{u}@{HOST}>"

    def body(srv):
        # bob registers from behind his "NAT".
        reg = lambda extra: msg("REGISTER", f"sip:{HOST}:{port}", bob, f"{PRIVATE}:5060", aor("bob") + ";tag=r1",
                                aor("bob"), "reg-bob@nat", 1 + len(extra), extra,
                                contact=f"sip:bob@{PRIVATE}:5060")
        r, _ = authed(bob, second, reg, "REGISTER", f"sip:{HOST}:{port}", "bob")
        if not r.startswith(b"SIP/2.0 200"):
            h.fail(f"bob's REGISTER: {r[:200]!r}")
        loc = h.location(binary, db)
        if f"udp:{HOST}:{bob.sip_port}" not in loc:
            h.fail(f"bob's binding does not keep the address his REGISTER came from:\n{loc}")
        # A keep-alive reaches him there.
        bob.sip.settimeout(3.0)
        try:
            ka, src_ = bob.sip.recvfrom(2048)
        except OSError:
            h.fail("no keep-alive reached bob's NAT address within 3 s (MOONSIP_KEEPALIVE=1)")
        if ka != b"\r\n\r\n" or src_ != second:
            h.fail(f"bob's keep-alive: {ka!r} from {src_}, expected CRLFCRLF from {second}")

        # alice calls bob.
        call = "call-1@nat-test"
        ruri = f"sip:bob@{HOST}:{port}"
        inv = lambda extra: msg("INVITE", ruri, alice, f"{HOST}:{alice.sip_port}", aor("alice") + ";tag=a1",
                                aor("bob"), call, 1 + len(extra), extra, sdp_at(HOST, alice.rtp_port),
                                contact=f"sip:alice@{HOST}:{alice.sip_port}")
        # The 407's ACK (RFC 3261 17.1.1.3): same branch as the INVITE.
        alice.send(inv([]), server)
        r, _ = alice.recv(want=["407"])
        branch = re.search(rb"branch=([^;\r\n]+)", r).group(1).decode()
        alice.send(f"ACK {ruri} SIP/2.0\r\nVia: SIP/2.0/UDP {HOST}:{alice.sip_port};branch={branch};rport\r\n"
                   f"Max-Forwards: 70\r\nFrom: {aor('alice')};tag=a1\r\nTo: {rt.header(r, 'To')}\r\n"
                   f"Call-ID: {call}\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n".encode(), server)
        ch = next(c for c in dc.challenges(r, True) if c["algorithm"] == "SHA-256")
        cred = dc.authorization(ch, "alice", PASSWORDS["alice"], ruri, "INVITE")
        alice.send(inv([f"Proxy-Authorization: {cred}"]), server)
        got, via_src = bob.recv(want=["INVITE"])
        if via_src != second:
            h.fail(f"the INVITE reached bob from {via_src}, not from the listener his REGISTER reached {second}")
        if b"Proxy-Authorization" in got:
            h.fail("alice's credentials went on to bob")
        addr, b_port, _ = rt.media_of(got)
        if addr != HOST or not lo <= b_port <= lo + 7:
            h.fail(f"bob (behind a NAT) got SDP at {addr}:{b_port}, not the relay's ports {lo}-{lo + 7}")
        answer = rt.response(got, 200, "OK", "b1", 5060, sdp_at(PRIVATE, 4000)).replace(
            f"<sip:callee@{HOST}:5060>".encode(), f"<sip:bob@{PRIVATE}:5060>".encode())
        bob.send(answer, via_src)
        ok, _ = alice.recv(want=["200"])
        contact = rt.header(ok, "Contact")
        if contact != f"<sip:bob@{HOST}:{bob.sip_port}>":
            h.fail(f"bob's 200 reached alice with Contact {contact}, expected <sip:bob@{HOST}:{bob.sip_port}> "
                   "(where it came from)")
        addr, a_port, _ = rt.media_of(ok)
        if addr != HOST or not lo <= a_port <= lo + 7:
            h.fail(f"alice got SDP at {addr}:{a_port}, not the relay's")
        routes = list(reversed(rt.headers(ok, "Record-Route")))
        target = contact.strip("<>")
        alice.send(msg("ACK", target, alice, f"{HOST}:{alice.sip_port}", aor("alice") + ";tag=a1",
                       aor("bob") + ";tag=b1", call, 2, [f"Route: {r}" for r in routes]), server)
        bob.recv(want=["ACK"])
        # Media: bob first (latching learns where he really is), then alice.
        n, _ = rt.flow(bob, (HOST, b_port), alice, 30, 0xB0B, b"BOB!")
        m, srcs = rt.flow(alice, (HOST, a_port), bob, 30, 0xA11CE, b"ALIC")
        if n != 30 or m != 30 or srcs != {(HOST, b_port)}:
            h.fail(f"media through the relay: alice heard {n} of 30, bob {m} of 30 (from {srcs})")
        # alice's BYE goes to the Contact she got: bob's NAT address.
        alice.send(msg("BYE", target, alice, f"{HOST}:{alice.sip_port}", aor("alice") + ";tag=a1",
                       aor("bob") + ";tag=b1", call, 3, [f"Route: {r}" for r in routes]), server)
        bye, bsrc = bob.recv(want=["BYE"])
        bob.send(rt.response(bye, 200, "OK", "b1", 5060), bsrc)
        alice.recv(want=["200"])
        deadline = time.monotonic() + 3
        while "rtp: ended" not in srv.log() and time.monotonic() < deadline:
            time.sleep(0.05)
        if not re.search(r"rtp: ended .* caller sent 30 packets .* callee sent 30 ", srv.log()):
            h.fail("the relay's end-of-call line does not say 30 packets each way")

    with tempfile.TemporaryDirectory(prefix="moonsip-default-nat-") as work:
        db = os.path.join(work, "moonsip.db")
        for user, pw in PASSWORDS.items():
            h.user_add(binary, db, f"{user}@{HOST}", pw)
        script = os.path.join(src, "scripts", "default.lua")
        try:
            h.serving(binary, [f"udp:{HOST}:{port}", f"udp:{HOST}:{second[1]}"], body,
                      extra=["--db", db, "--rtp-ports", f"{lo}-{lo + 7}", script])
        finally:
            alice.close()
            bob.close()


h.run_main(main)
