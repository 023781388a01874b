#!/usr/bin/env python3
"""examples/c/echo-uas.c against `moonsip run scripts/default.lua`: it
registers as bob with digest, and alice (a Python UA that answers the
proxy's 407 with SHA-256) calls bob through the proxy.
- An offer without PCMU or PCMA: alice gets 488, echo-uas says rejected.
- A call with alice's media straight to echo-uas (nobody behind a NAT):
  the 200's SDP points at echo-uas (PCMU, an even port); 50 RTP packets
  come back to alice from there, byte for byte; after her BYE echo-uas
  prints that the call ended remotely and echoed 50 packets.
- A call from alice "behind a NAT" (her Via, Contact and SDP say 10.0.0.7):
  the default script relays the media, so RTP goes alice -> relay ->
  echo-uas -> relay -> alice; 50 come back from the relay's port, and the
  relay's end-of-call line says 50 each way.
- With --calls 2 echo-uas then un-registers (the binding leaves the file)
  and exits 0.
- A second run ended by SIGTERM during a call: alice gets a BYE through
  the proxy, echo-uas un-registers and exits 0.
Usage: echo_uas_test.py MOONSIP EXAMPLES_DIR SOURCE_DIR PORT_OFFSET"""
import os
import queue
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time

import digest_client as dc
import harness as h
import rtp_test as rt

HOST = "127.0.0.1"
PRIVATE = "10.0.0.7"
PASSWORDS = {"alice": "w0nder land", "bob": "echo echo"}


class Example:
    """echo-uas running, its stdout read line by line by a thread so that
    every wait for a line has a deadline."""

    def __init__(self, args):
        self.err = tempfile.NamedTemporaryFile(prefix="moonsip-echo-uas-", suffix=".log", delete=False)
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self.err,
                                     text=True)
        self.lines = queue.Queue()
        self.seen = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def expect(self, want, timeout=5.0):
        """The next line printed is 'want' (a regular expression)."""
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            h.fail(f"echo-uas printed nothing within {timeout} s, expected {want!r}; before: {self.seen}; "
                   f"stderr: {self.stderr()}")
        self.seen.append(line)
        if not re.fullmatch(want, line):
            h.fail(f"echo-uas printed {line!r}, expected {want!r}; stderr: {self.stderr()}")
        return line

    def stderr(self):
        with open(self.err.name, errors="replace") as f:
            return f.read()[-3000:]

    def wait(self, timeout=5.0):
        """Its exit status; fails on a sanitizer report."""
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            h.fail(f"echo-uas did not exit within {timeout} s")
        err = self.stderr()
        if any(m in err for m in h.SANITIZER_MARKS):
            h.fail(f"sanitizer report from echo-uas:\n{err}")
        return rc

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        os.unlink(self.err.name)


def msg(method, ruri, ua, sent_by, call, cseq, to_tag=None, extra=(), body=b"", contact=None):
    ua.n += 1
    to = f"<sip:bob@{HOST}>" + (f";tag={to_tag}" if to_tag else "")
    lines = [f"{method} {ruri} SIP/2.0", f"Via: SIP/2.0/UDP {sent_by};branch=z9hG4bK-{ua.name}-{call}-{ua.n};rport",
             "Max-Forwards: 70", f"From: <sip:alice@{HOST}>;tag=a-{call}", f"To: {to}", f"Call-ID: {call}@echo-test",
             f"CSeq: {cseq} {method}"] + ([f"Contact: <{contact}>"] if contact else []) + list(extra)
    if body:
        lines.append("Content-Type: application/sdp")
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def sdp(address, port, fmts="0 8"):
    rtpmaps = "".join(f"a=rtpmap:{pt} {name}/8000\r\n" for pt, name in (("0", "PCMU"), ("8", "PCMA"))
                      if pt in fmts.split())
    return (f"v=0\r\no=- 1 1 IN IP4 {address}\r\ns=-\r\nc=IN IP4 {address}\r\nt=0 0\r\n"
            f"m=audio {port} RTP/AVP {fmts}\r\n{rtpmaps}").encode()


class Caller:
    """alice: her INVITEs to bob through the proxy, answering its 407."""

    def __init__(self, ua, server, natted):
        self.ua, self.server = ua, server
        host = PRIVATE if natted else HOST
        self.sent_by, self.contact = f"{host}:{ua.sip_port}", f"sip:alice@{host}:{ua.sip_port}"
        self.media_host = host

    def invite(self, call, body):
        """The final response to an INVITE for bob; the 407 is ACKed
        (RFC 3261 17.1.1.3: same branch) and answered with credentials."""
        ruri = f"sip:bob@{HOST}:{self.server[1]}"
        inv = lambda cseq, extra: msg("INVITE", ruri, self.ua, self.sent_by, call, cseq, extra=extra, body=body,
                                      contact=self.contact)
        self.ua.send(inv(1, []), self.server)
        r, _ = self.ua.recv(want=["407"])
        branch = re.search(rb"branch=([^;\r\n]+)", r).group(1).decode()
        self.ua.send((f"ACK {ruri} SIP/2.0\r\nVia: SIP/2.0/UDP {self.sent_by};branch={branch};rport\r\n"
                      f"Max-Forwards: 70\r\nFrom: <sip:alice@{HOST}>;tag=a-{call}\r\nTo: {rt.header(r, 'To')}\r\n"
                      f"Call-ID: {call}@echo-test\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n").encode(), self.server)
        ch = next(c for c in dc.challenges(r, True) if c["algorithm"] == "SHA-256")
        cred = dc.authorization(ch, "alice", PASSWORDS["alice"], ruri, "INVITE")
        self.ua.send(inv(2, [f"Proxy-Authorization: {cred}"]), self.server)
        final, _ = self.ua.recv(want=["SIP/2.0 2", "SIP/2.0 4", "SIP/2.0 5", "SIP/2.0 6"])
        return final

    def in_dialog(self, method, call, cseq, ok):
        """ACK or BYE to the Contact of the 200, along its Record-Routes."""
        tag = re.search(r";tag=([^;>\s]+)", rt.header(ok, "To")).group(1)
        routes = [f"Route: {r}" for r in reversed(rt.headers(ok, "Record-Route"))]
        target = rt.header(ok, "Contact").strip("<>")
        self.ua.send(msg(method, target, self.ua, self.sent_by, call, cseq, tag, routes, contact=self.contact),
                     self.server)

    def call(self, call):
        """An answered call: (the 200, the media address and port in it)."""
        ok = self.invite(call, sdp(self.media_host, self.ua.rtp_port))
        if not ok.startswith(b"SIP/2.0 200"):
            h.fail(f"alice's call to bob: {ok[:300]!r}")
        self.in_dialog("ACK", call, 2, ok)
        addr, port, _ = rt.media_of(ok)
        if not re.search(rb"\r\nm=audio \d+ RTP/AVP 0\r\n", ok):
            h.fail(f"echo-uas did not answer PCMU, the first codec of the offer:\n{ok.decode(errors='replace')}")
        return ok, addr, port

    def hang_up(self, call, ok):
        self.in_dialog("BYE", call, 3, ok)
        self.ua.recv(want=["SIP/2.0 200"])
        self.ua.quiet()


def echoed(alice, dest, mark):
    """50 RTP packets to dest: how many came back and from where."""
    return rt.flow(alice, dest, alice, 50, 0xA11CE, mark)


def main():
    binary, examples, src, offset = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    port, echo_sip = h.ports(offset), h.ports(offset + 2)
    lo, hi = h.ports(offset + 10), h.ports(offset + 17)
    server = (HOST, port)
    os.environ.pop("MOONSIP_FALLBACK", None)
    os.environ["MOONSIP_DIGEST"] = "SHA-256,MD5"
    alice = rt.Ua("alice", h.ports(offset + 1), h.ports(offset + 4))
    args = [os.path.join(examples, "echo-uas"), f"sip:bob@{HOST}", PASSWORDS["bob"], f"sip:{HOST}:{port}",
            "--listen", f"udp:{HOST}:{echo_sip}", "--rtp-address", HOST, "--expires", "120"]
    contact = f"sip:bob@{HOST}:{echo_sip}"

    def calls(srv):
        ex = Example(args + ["--calls", "2"])
        try:
            ex.expect(r"registered for 120 s")
            loc = h.location(binary, db)
            if contact not in loc or "moonsip-example-echo-uas" not in loc:
                h.fail(f"bob's binding from echo-uas is not in the file:\n{loc}")
            # An offer echo-uas cannot take: 488, through the proxy.
            plain = Caller(alice, server, natted=False)
            r = plain.invite("g729", sdp(HOST, alice.rtp_port, "18"))
            if not r.startswith(b"SIP/2.0 488"):
                h.fail(f"an offer of G.729 only got {r[:80]!r}, expected 488")
            ex.expect(rf"call from sip:alice@{HOST} rejected: 488")
            alice.quiet()

            # Media straight to echo-uas.
            ok, addr, rport = plain.call("direct")
            if addr != HOST or rport % 2 or lo <= rport <= hi:
                h.fail(f"a call without NAT got SDP at {addr}:{rport}, expected echo-uas's own even port")
            ex.expect(rf"call from sip:alice@{HOST} answered")
            got, sources = echoed(alice, (HOST, rport), b"DIRE")
            if got != 50 or sources != {(HOST, rport)}:
                h.fail(f"direct: {got} of 50 packets came back, from {sources}, expected from {HOST}:{rport}")
            plain.hang_up("direct", ok)
            ex.expect(r"call ended remote: echoed 50 packets")

            # alice behind a "NAT": the relay between her and echo-uas.
            natted = Caller(alice, server, natted=True)
            ok, addr, rport = natted.call("relayed")
            if addr != HOST or not lo <= rport <= hi:
                h.fail(f"a call from behind a NAT got SDP at {addr}:{rport}, not the relay's {lo}-{hi}")
            ex.expect(rf"call from sip:alice@{HOST} answered")
            got, sources = echoed(alice, (HOST, rport), b"RELA")
            if got != 50 or sources != {(HOST, rport)}:
                h.fail(f"relayed: {got} of 50 packets came back, from {sources}, expected from {HOST}:{rport}")
            natted.hang_up("relayed", ok)
            ex.expect(r"call ended remote: echoed 50 packets")
            deadline = time.monotonic() + 3
            while "rtp: ended" not in srv.log() and time.monotonic() < deadline:
                time.sleep(0.05)
            if not re.search(r"rtp: ended .* caller sent 50 packets .* callee sent 50 ", srv.log()):
                h.fail("the relay's end-of-call line does not say 50 packets each way")

            # Two calls ended: echo-uas leaves.
            ex.expect(r"unregistered")
            rc = ex.wait()
            if rc != 0:
                h.fail(f"echo-uas exited {rc} after --calls 2, expected 0")
            if contact in h.location(binary, db):
                h.fail("bob's binding is still in the file after echo-uas un-registered")
        finally:
            ex.kill()

        # SIGTERM during a call: the call is hung up, the binding removed.
        ex = Example(args)
        try:
            ex.expect(r"registered for 120 s")
            plain = Caller(alice, server, natted=False)
            ok, addr, rport = plain.call("signalled")
            ex.expect(rf"call from sip:alice@{HOST} answered")
            ex.proc.send_signal(signal.SIGTERM)
            bye, bsrc = alice.recv(want=["BYE"])
            alice.send(rt.response(bye, 200, "OK", "unused", alice.sip_port), bsrc)
            ex.expect(r"unregistered")
            rc = ex.wait()
            if rc != 0:
                h.fail(f"echo-uas exited {rc} after SIGTERM, expected 0")
            if contact in h.location(binary, db):
                h.fail("bob's binding is still in the file after SIGTERM")
            alice.quiet()
        finally:
            ex.kill()

    with tempfile.TemporaryDirectory(prefix="moonsip-echo-uas-") as work:
        db = os.path.join(work, "moonsip.db")
        for user, pw in PASSWORDS.items():
            h.user_add(binary, db, f"{user}@{HOST}", pw)
        script = os.path.join(src, "scripts", "default.lua")
        try:
            h.serving(binary, [f"udp:{HOST}:{port}"], calls,
                      extra=["--db", db, "--rtp-address", HOST, "--rtp-ports", f"{lo}-{hi}", script])
        finally:
            alice.close()


if __name__ == "__main__":
    h.run_main(main)
