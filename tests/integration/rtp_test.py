#!/usr/bin/env python3
"""The RTP relay in `moonsip run`: calls between two Python UAs through
tests/integration/scripts/rtp.lua (proxy.relay with media = "relay"),
each with its own SIP and RTP sockets on 127.0.0.1.

- A call: the SDP each side gets points at the relay (127.0.0.1, a port of
  --rtp-ports), never at the other side; 50 RTP packets each way arrive,
  from the relay's ports, with their payload intact; rtp.stats counts them
  (read with an OPTIONS the script answers); a re-INVITE puts the call on
  hold (a=sendonly, and c=0.0.0.0) and back; the BYE gives the ports back.
- A late offer: the INVITE has no SDP, the 200 brings the offer, the ACK
  the answer; both are rewritten and media flows.
- CANCEL after a 180, a 486 from the callee, and a failure the script
  answers itself: the pool is where it was.
- The pool running out: 503 with a reason that says so.
- The media timeout ends a silent call and tells the script.
Usage: rtp_test.py MOONSIP REPO_DIR PORT_OFFSET"""
import os
import re
import socket
import struct
import sys
import threading
import time

import harness as h
import proxy_peers as pp

HOST = "127.0.0.1"


def sdp(port, address=HOST, direction=None, version=1):
    lines = ["v=0", f"o=- 42 {version} IN IP4 {address}", "s=-", f"c=IN IP4 {address}", "t=0 0",
             f"m=audio {port} RTP/AVP 0 8", "a=rtpmap:0 PCMU/8000", "a=rtpmap:8 PCMA/8000",
             "a=candidate:1 1 UDP 2130706431 192.0.2.9 9 typ host"]
    if direction:
        lines.append(f"a={direction}")
    return ("\r\n".join(lines) + "\r\n").encode()


def header(msg, name):
    m = re.search(rb"\r\n" + name.encode() + rb"[ \t]*:[ \t]*([^\r\n]*)", msg, re.I)
    return m.group(1).decode() if m else None


def headers(msg, name):
    return [v.decode() for v in re.findall(rb"\r\n" + name.encode() + rb"[ \t]*:[ \t]*([^\r\n]*)", msg, re.I)]


def body(msg):
    return msg.split(b"\r\n\r\n", 1)[1]


def media_of(msg):
    """(address, port, direction) of the SDP in a message."""
    b = body(msg).decode()
    c = re.findall(r"^c=IN IP4 (\S+)", b, re.M)
    m = re.search(r"^m=audio (\d+) ", b, re.M)
    d = re.search(r"^a=(sendrecv|sendonly|recvonly|inactive)\r?$", b, re.M)
    if not c or not m:
        h.fail(f"no audio SDP in:\n{msg.decode(errors='replace')}")
    return c[-1], int(m.group(1)), d.group(1) if d else "sendrecv"


class Ua:
    """A UA with a SIP socket and an RTP socket of its own."""

    def __init__(self, name, sip_port, rtp_port):
        self.name = name
        self.sip = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sip.bind((HOST, sip_port))
        self.rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.rtp.bind((HOST, rtp_port))
        self.sip_port, self.rtp_port = sip_port, rtp_port
        self.n = 0

    def close(self):
        self.sip.close()
        self.rtp.close()

    def send(self, data, to):
        self.sip.sendto(data, to)

    def recv(self, timeout=3.0, want=None):
        """The next SIP message (a status or a method in 'want', others
        skipped: 100 Trying, retransmissions)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.sip.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                data, src = self.sip.recvfrom(65536)
            except socket.timeout:
                break
            first = data.split(b"\r\n", 1)[0].decode()
            if want is None or any(w in first for w in want):
                return data, src
        h.fail(f"{self.name}: no {want or 'message'} within {timeout} s")

    def quiet(self, seconds=0.3):
        """Nothing more arrives on the SIP socket (retransmissions drained)."""
        self.sip.settimeout(seconds)
        try:
            while True:
                self.sip.recvfrom(65536)
        except socket.timeout:
            pass


def request(method, ruri, ua, call, cseq, to_tag=None, body_bytes=b"", routes=(), branch=None):
    ua.n += 1
    branch = branch or f"z9hG4bK-{ua.name}-{call}-{ua.n}"
    to = f"<sip:callee@{HOST}>" + (f";tag={to_tag}" if to_tag else "")
    lines = [f"{method} {ruri} SIP/2.0", f"Via: SIP/2.0/UDP {HOST}:{ua.sip_port};branch={branch};rport",
             "Max-Forwards: 70", f"From: <sip:caller@{HOST}>;tag=c-{call}", f"To: {to}",
             f"Call-ID: {call}@rtp-test", f"CSeq: {cseq} {method.split()[0]}",
             f"Contact: <sip:caller@{HOST}:{ua.sip_port}>"]
    lines += [f"Route: {r}" for r in routes]
    if body_bytes:
        lines.append("Content-Type: application/sdp")
    lines.append(f"Content-Length: {len(body_bytes)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body_bytes, branch


def response(req, code, reason, tag, contact_port, body_bytes=b""):
    """The answer to a request as a UAS makes it: Via, From, Call-ID, CSeq and
    Record-Route copied, a To tag added."""
    text = req.split(b"\r\n\r\n", 1)[0].decode()
    keep = [l for l in text.split("\r\n")[1:] if re.match(r"(?i)(via|from|call-id|cseq|record-route)\s*:", l)]
    to = [l for l in text.split("\r\n") if re.match(r"(?i)to\s*:", l)][0]
    if ";tag=" not in to:
        to += f";tag={tag}"
    lines = [f"SIP/2.0 {code} {reason}"] + keep + [to, f"Contact: <sip:callee@{HOST}:{contact_port}>"]
    if body_bytes:
        lines.append("Content-Type: application/sdp")
    lines.append(f"Content-Length: {len(body_bytes)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body_bytes


def rtp_packet(ssrc, seq, payload):
    return struct.pack("!BBHII", 0x80, 0, seq & 0xFFFF, seq * 160, ssrc) + payload


def flow(sender, dest, receiver, count, ssrc, mark):
    """'count' RTP packets from sender's RTP socket to dest; what arrives at
    receiver's: the number of packets and the sources they came from."""
    got, sources = 0, set()
    for i in range(count):
        sender.rtp.sendto(rtp_packet(ssrc, i, mark + struct.pack("!I", i) + bytes(156)), dest)
        time.sleep(0.002)
    deadline = time.monotonic() + 2.0
    receiver.rtp.settimeout(0.2)
    while got < count and time.monotonic() < deadline:
        try:
            data, src = receiver.rtp.recvfrom(2048)
        except socket.timeout:
            continue
        if data[12:16] == mark:
            got += 1
            sources.add(src)
    return got, sources


class Relay:
    """The server and the test's view of it."""

    def __init__(self, port, rtp_range):
        self.addr = (HOST, port)
        self.lo, self.hi = rtp_range
        self.probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.probe.bind((HOST, 0))
        self.k = 0

    def query(self, call=None):
        """(available, size, calls), the X-Stats fields for 'call', and
        how many media timeouts the script saw."""
        self.k += 1
        port = self.probe.getsockname()[1]
        msg = (f"OPTIONS sip:rtp@{HOST}:{self.addr[1]} SIP/2.0\r\n"
               f"Via: SIP/2.0/UDP {HOST}:{port};branch=z9hG4bK-q{self.k};rport\r\n"
               f"Max-Forwards: 70\r\nFrom: <sip:q@{HOST}>;tag=q{self.k}\r\nTo: <sip:rtp@{HOST}>\r\n"
               f"Call-ID: query-{self.k}@rtp-test\r\nCSeq: 1 OPTIONS\r\n"
               + (f"X-Call: {call}@rtp-test\r\n" if call else "") + "Content-Length: 0\r\n\r\n").encode()
        self.probe.sendto(msg, self.addr)
        resp = h.final_response(self.probe, 3.0)
        pool = tuple(int(x) for x in header(resp, "X-Pool").split())
        return pool, header(resp, "X-Stats").split(), int(header(resp, "X-Timeouts"))

    def relay_port(self, port):
        return self.lo <= port <= self.hi


def expect_relay(relay, msg, who, other_port):
    addr, port, _ = media_of(msg)
    if addr != HOST or not relay.relay_port(port) or port == other_port:
        h.fail(f"{who} got SDP pointing at {addr}:{port}, not at the relay's ports "
               f"{relay.lo}-{relay.hi}:\n{msg.decode(errors='replace')}")
    if b"a=candidate" in body(msg):
        h.fail(f"{who}'s SDP still has ICE candidates:\n{msg.decode(errors='replace')}")
    return port


def invite(relay, caller, callee, call, offer=True):
    """INVITE through the relay to the callee; returns (the INVITE as the
    callee got it, its source)."""
    ruri = f"sip:callee@{HOST}:{callee.sip_port}"
    msg, _ = request("INVITE", ruri, caller, call, 1, body_bytes=sdp(caller.rtp_port) if offer else b"")
    caller.send(msg, relay.addr)
    return callee.recv(want=["INVITE"])


def answer_call(relay, caller, callee, call, inv, src, answer_sdp):
    """The callee's 200 and the caller's ACK; returns (200 as the caller got
    it, the ACK as the callee got it, the Route set)."""
    callee.send(response(inv, 200, "OK", f"e-{call}", callee.sip_port, answer_sdp), src)
    ok, _ = caller.recv(want=["200"])
    routes = list(reversed(headers(ok, "Record-Route")))
    return ok, routes


def ack(relay, caller, callee, call, routes, body_bytes=b""):
    msg, _ = request("ACK", f"sip:callee@{HOST}:{callee.sip_port}", caller, call, 1, f"e-{call}",
                     body_bytes, routes)
    caller.send(msg, relay.addr)
    return callee.recv(want=["ACK"])[0]


def in_dialog(relay, caller, callee, call, method, cseq, routes, body_bytes=b""):
    """A request of the caller in the dialog, answered 200 by the callee
    (with 'answer' as its SDP for a re-INVITE); returns what each got."""
    msg, _ = request(method, f"sip:callee@{HOST}:{callee.sip_port}", caller, call, cseq, f"e-{call}",
                     body_bytes, routes)
    caller.send(msg, relay.addr)
    got, src = callee.recv(want=[method])
    return got, src


def a_call(relay, caller, callee):
    """A whole call with media both ways, a hold and a resume, and the BYE."""
    call = "basic"
    before, _, _ = relay.query()
    inv, src = invite(relay, caller, callee, call)
    b_port = expect_relay(relay, inv, "the callee", caller.rtp_port)
    if not header(inv, "Record-Route"):
        h.fail("the relayed INVITE has no Record-Route")
    ok, routes = answer_call(relay, caller, callee, call, inv, src, sdp(callee.rtp_port))
    a_port = expect_relay(relay, ok, "the caller", callee.rtp_port)
    ack(relay, caller, callee, call, routes)
    during, _, _ = relay.query()
    if during[0] != before[0] - 2 or during[2] != before[2] + 1:
        h.fail(f"pool during a call: {during}, expected two pairs fewer than {before} and one call more")

    got, sources = flow(caller, (HOST, a_port), callee, 50, 0x1111, b"AAAA")
    if got != 50 or sources != {(HOST, b_port)}:
        h.fail(f"caller to callee: {got} of 50 packets arrived, from {sources}, expected from {HOST}:{b_port}")
    got, sources = flow(callee, (HOST, b_port), caller, 50, 0x2222, b"BBBB")
    if got != 50 or sources != {(HOST, a_port)}:
        h.fail(f"callee to caller: {got} of 50 packets arrived, from {sources}, expected from {HOST}:{a_port}")
    _, st, _ = relay.query(call)
    if st[:4] != ["50", "50", "50", "50"] or st[5] != f"{HOST}:{caller.rtp_port}" or \
            st[6] != f"{HOST}:{callee.rtp_port}":
        h.fail(f"rtp.stats after 50 packets each way: {st}, expected 50 50 50 50 1 and the two peers")

    # Hold (a=sendonly) and its answer (recvonly): the directions pass, the
    # ports stay the relay's; then c=0.0.0.0 (RFC 2543 hold) stays 0.0.0.0.
    got, src = in_dialog(relay, caller, callee, call, "INVITE", 2, routes, sdp(caller.rtp_port, direction="sendonly",
                                                                               version=2))
    addr, port, d = media_of(got)
    if (addr, port, d) != (HOST, b_port, "sendonly"):
        h.fail(f"the hold re-INVITE reached the callee with {addr}:{port} {d}, expected {HOST}:{b_port} sendonly")
    callee.send(response(got, 200, "OK", f"e-{call}", callee.sip_port,
                         sdp(callee.rtp_port, direction="recvonly", version=2)), src)
    ok2, _ = caller.recv(want=["200"])
    if media_of(ok2) != (HOST, a_port, "recvonly"):
        h.fail(f"the hold's 200 reached the caller with {media_of(ok2)}, expected {HOST}:{a_port} recvonly")
    ack(relay, caller, callee, call, routes)
    got, src = in_dialog(relay, caller, callee, call, "INVITE", 3, routes, sdp(caller.rtp_port, "0.0.0.0", version=3))
    if media_of(got)[0] != "0.0.0.0":
        h.fail(f"a c=0.0.0.0 hold reached the callee as {media_of(got)}, expected 0.0.0.0 kept")
    callee.send(response(got, 200, "OK", f"e-{call}", callee.sip_port, sdp(callee.rtp_port, version=3)), src)
    caller.recv(want=["200"])
    ack(relay, caller, callee, call, routes)
    # Resume: media flows again through the same ports.
    got, src = in_dialog(relay, caller, callee, call, "INVITE", 4, routes, sdp(caller.rtp_port, version=4))
    if media_of(got) != (HOST, b_port, "sendrecv"):
        h.fail(f"the resume reached the callee with {media_of(got)}")
    callee.send(response(got, 200, "OK", f"e-{call}", callee.sip_port, sdp(callee.rtp_port, version=4)), src)
    caller.recv(want=["200"])
    ack(relay, caller, callee, call, routes)
    got, _ = flow(caller, (HOST, a_port), callee, 20, 0x1111, b"CCCC")
    if got != 20:
        h.fail(f"after the resume {got} of 20 packets reached the callee")

    bye, src = in_dialog(relay, caller, callee, call, "BYE", 5, routes)
    callee.send(response(bye, 200, "OK", f"e-{call}", callee.sip_port), src)
    caller.recv(want=["200"])
    after, st, _ = relay.query(call)
    if after[0] != before[0] or after[2] != before[2] or st != ["none"]:
        h.fail(f"after the BYE: pool {after}, stats {st}; expected the pool {before} and no media")
    caller.quiet()
    callee.quiet()


def late_offer(relay, caller, callee):
    call = "late"
    before, _, _ = relay.query()
    inv, src = invite(relay, caller, callee, call, offer=False)
    if body(inv):
        h.fail("an INVITE without SDP reached the callee with a body")
    ok, routes = answer_call(relay, caller, callee, call, inv, src, sdp(callee.rtp_port))
    a_port = expect_relay(relay, ok, "the caller (the offer in the 200)", callee.rtp_port)
    got = ack(relay, caller, callee, call, routes, sdp(caller.rtp_port))
    b_port = expect_relay(relay, got, "the callee (the answer in the ACK)", caller.rtp_port)
    n, _ = flow(caller, (HOST, a_port), callee, 20, 0x3333, b"LATE")
    m, _ = flow(callee, (HOST, b_port), caller, 20, 0x4444, b"ETAL")
    if (n, m) != (20, 20):
        h.fail(f"late offer: {n} and {m} of 20 packets arrived")
    bye, src = in_dialog(relay, caller, callee, call, "BYE", 2, routes)
    callee.send(response(bye, 200, "OK", f"e-{call}", callee.sip_port), src)
    caller.recv(want=["200"])
    after, _, _ = relay.query()
    if after != before:
        h.fail(f"late offer: the pool is {after} after the BYE, was {before}")
    caller.quiet()
    callee.quiet()


def failures(relay, caller, callee):
    before, _, _ = relay.query()
    # CANCEL after a 180.
    call = "cancelled"
    ruri = f"sip:callee@{HOST}:{callee.sip_port}"
    msg, branch = request("INVITE", ruri, caller, call, 1, body_bytes=sdp(caller.rtp_port))
    caller.send(msg, relay.addr)
    inv, src = callee.recv(want=["INVITE"])
    callee.send(response(inv, 180, "Ringing", f"e-{call}", callee.sip_port), src)
    caller.recv(want=["180"])
    cancel = msg.split(b"\r\n\r\n")[0].decode().replace("INVITE sip", "CANCEL sip", 1)
    cancel = re.sub(r"CSeq: 1 INVITE", "CSeq: 1 CANCEL", cancel)
    cancel = re.sub(r"\r\nContent-Type: [^\r]*", "", cancel)
    cancel = re.sub(r"Content-Length: \d+", "Content-Length: 0", cancel) + "\r\n\r\n"
    caller.send(cancel.encode(), relay.addr)
    got, csrc = callee.recv(want=["CANCEL"])
    callee.send(response(got, 200, "OK", f"e-{call}", callee.sip_port), csrc)
    callee.send(response(inv, 487, "Request Terminated", f"e-{call}", callee.sip_port), src)
    caller.recv(want=["487"])
    callee.recv(want=["ACK"])
    # 486 from the callee.
    call = "busy"
    inv, src = invite(relay, caller, callee, call)
    callee.send(response(inv, 486, "Busy Here", f"e-{call}", callee.sip_port), src)
    caller.recv(want=["486"])
    callee.recv(want=["ACK"])
    # The script's own failure after rtp.offer.
    msg, _ = request("INVITE", f"sip:local-1@{HOST}:{relay.addr[1]}", caller, "local", 1,
                     body_bytes=sdp(caller.rtp_port))
    caller.send(msg, relay.addr)
    caller.recv(want=["486"])
    time.sleep(0.2)
    after, _, _ = relay.query()
    if after != before:
        h.fail(f"after CANCEL and failures the pool is {after}, was {before}")
    caller.quiet()
    callee.quiet()


def exhaustion(relay, caller, callee):
    """Two calls take the four pairs of the range; a third gets 503."""
    held = []
    for i in range(2):
        call = f"hold-{i}"
        inv, src = invite(relay, caller, callee, call)
        ok, routes = answer_call(relay, caller, callee, call, inv, src, sdp(callee.rtp_port))
        ack(relay, caller, callee, call, routes)
        held.append((call, routes))
    pool, _, _ = relay.query()
    if pool[0] != 0:
        h.fail(f"two calls should hold the whole pool, it has {pool}")
    msg, _ = request("INVITE", f"sip:callee@{HOST}:{callee.sip_port}", caller, "third", 1,
                     body_bytes=sdp(caller.rtp_port))
    caller.send(msg, relay.addr)
    resp, _ = caller.recv(want=["SIP/2.0 5"])
    line = resp.split(b"\r\n")[0]
    if not line.startswith(b"SIP/2.0 503 ") or b"no RTP ports left" not in line:
        h.fail(f"a call with the pool used up got {line!r}, expected 503 saying no RTP ports left")
    for k, (call, routes) in enumerate(held):
        bye, src = in_dialog(relay, caller, callee, call, "BYE", 2, routes)
        callee.send(response(bye, 200, "OK", f"e-{call}", callee.sip_port), src)
        caller.recv(want=["200"])
    pool, _, _ = relay.query()
    if pool[0] != pool[1]:
        h.fail(f"after the BYEs the pool is {pool}, expected all pairs back")
    caller.quiet()
    callee.quiet()


def timeout(relay, caller, callee):
    """--media-timeout 1: a call without media loses it, the script hears."""
    call = "silent"
    inv, src = invite(relay, caller, callee, call)
    ok, routes = answer_call(relay, caller, callee, call, inv, src, sdp(callee.rtp_port))
    ack(relay, caller, callee, call, routes)
    _, _, seen = relay.query()
    deadline = time.monotonic() + 4
    while time.monotonic() < deadline:
        pool, st, n = relay.query(call)
        if st == ["none"] and pool[0] == pool[1] and n == seen + 1:
            break
        time.sleep(0.2)
    else:
        h.fail(f"3 s after the last packet of a silent call: pool {pool}, stats {st}, timeouts {n}")
    caller.quiet()
    callee.quiet()


class RtpCounter:
    """Counts, with a raw socket (CAP_NET_RAW), the UDP datagrams on this
    host sent to 'port' from a port in [lo, hi]: what a SIPp peer received
    from the relay, which SIPp itself does not count."""

    def __init__(self, port, lo, hi):
        self.port, self.lo, self.hi = port, lo, hi
        try:
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP)
        except PermissionError:
            h.fail("counting the RTP a SIPp peer received needs CAP_NET_RAW (run as root)")
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
        self.sock.settimeout(0.1)
        self.count = 0
        self.running = True
        # Read as they come: a raw socket's buffer holds a few hundred
        # datagrams of all the host's UDP, not the whole call's.
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def stop(self):
        self.running = False
        self.thread.join(2.0)
        self.sock.close()
        return self.count

    def _run(self):
        while self.running:
            try:
                packet = self.sock.recv(65600)
            except socket.timeout:
                continue
            except OSError:
                return
            udp = packet[(packet[0] & 15) * 4:]
            src, dst = int.from_bytes(udp[0:2], "big"), int.from_bytes(udp[2:4], "big")
            if dst == self.port and self.lo <= src <= self.hi and len(udp) > 8 + 12 and udp[8] >> 6 == 2:
                self.count += 1


def sipp_call(binary, repo, offset, lo):
    """SIPp plays g711a.pcap through the relay to a SIPp UAS that echoes
    it (-rtp_echo): both SDPs point at the relay, and the packets went
    through it both ways (the relay's log line, and what reached SIPp)."""
    port, uac_port, uas_port = h.ports(offset + 22), h.ports(offset + 23), h.ports(offset + 24)
    uac_media, uas_media = h.ports(offset + 26), h.ports(offset + 30)  # SIPp takes +2 for video too
    rlo, rhi = h.ports(offset + 40), h.ports(offset + 47)
    script = os.path.join(repo, "tests", "integration", "scripts", "rtp.lua")

    def body_(srv):
        counter = RtpCounter(uac_media, rlo, rhi)
        counts = []
        run = pp.run_calls((HOST, port), uac=pp.Peer("uac-rtp.xml", uac_port, ["-mp", str(uac_media)],
                                              service=f"uas-{uas_port}"),
                           uas=pp.Peer("uas-rr.xml", uas_port, ["-rtp_echo", "-mp", str(uas_media)]),
                           calls=1, timeout=20)
        counts.append(counter.stop())
        run.check()
        for side, other in ((run.uas.received("INVITE")[0], uac_media), (run.uac.received(status=200)[0], uas_media)):
            text = side.text if hasattr(side, "text") else str(side)
            c = re.findall(r"c=IN IP4 (\S+)", text)
            m = re.search(r"m=audio (\d+) ", text)
            if not c or not m or c[-1] != HOST or not rlo <= int(m.group(1)) <= rhi:
                h.fail(f"SIPp saw SDP that does not point at the relay ({rlo}-{rhi}):\n{text}")
        deadline = time.monotonic() + 3
        while "rtp: ended" not in srv.log() and time.monotonic() < deadline:
            time.sleep(0.05)
        line = re.search(r"rtp: ended .* caller sent (\d+) packets .* callee sent (\d+) ", srv.log())
        if not line:
            h.fail("no log line of the relayed call's end after SIPp's BYE")
        sent, echoed = int(line.group(1)), int(line.group(2))
        if sent < 180 or echoed < sent * 0.95 or counts[0] < echoed * 0.95:
            h.fail(f"SIPp's pcap through the relay: the caller sent {sent} packets (184 in the pcap), "
                   f"the echo {echoed}, SIPp's media port got {counts[0]} from the relay")

    h.serving(binary, [f"udp:{HOST}:{port}"], body_,
              extra=[script, "--rtp-address", HOST, "--rtp-ports", f"{rlo}-{rhi}"])


def main():
    binary, repo, offset = sys.argv[1], sys.argv[2], int(sys.argv[3])
    port = h.ports(offset)
    lo = h.ports(offset + 10)
    script = os.path.join(repo, "tests", "integration", "scripts", "rtp.lua")
    extra = [script, "--rtp-address", HOST, "--rtp-ports", f"{lo}-{lo + 7}"]
    relay = Relay(port, (lo, lo + 7))
    quick = Relay(h.ports(offset + 3), (lo + 8, lo + 11))
    caller = Ua("caller", h.ports(offset + 1), h.ports(offset + 4))
    callee = Ua("callee", h.ports(offset + 2), h.ports(offset + 6))

    def body_(srv):
        a_call(relay, caller, callee)
        late_offer(relay, caller, callee)
        failures(relay, caller, callee)
        exhaustion(relay, caller, callee)

    try:
        h.serving(binary, [f"udp:{HOST}:{port}"], body_, extra=extra)
        h.serving(binary, [f"udp:{HOST}:{quick.addr[1]}"], lambda srv: timeout(quick, caller, callee),
                  extra=[script, "--rtp-address", HOST, "--rtp-ports", f"{lo + 8}-{lo + 11}", "--media-timeout", "1"])
        sipp_call(binary, repo, offset, lo)
    finally:
        caller.close()
        callee.close()


if __name__ == "__main__":
    h.run_main(main)
