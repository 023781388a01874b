#!/usr/bin/env python3
"""The RTP relay and a caller behind a NAT, in network namespaces the test
makes itself (named with its PID, removed at the end whatever happens):

  home (10.77.0.2) --- nat (10.77.0.1 | 198.18.0.2, masquerade) --- srv
  the caller             UDP source ports mapped to 40000-49999      moonsip at 198.18.0.1,
                                                                     the callee at 198.18.0.3

srv has no route to 10.77.0.0/24, as the Internet has none to a private
network. The caller writes its private address into its Via, Contact and
SDP (c=IN IP4 10.77.0.2), as a phone behind a NAT does; the call goes
through tests/integration/scripts/rtp.lua (media = "relay").

- Both SDPs point at the relay (198.18.0.1, a port of --rtp-ports); the
  caller's INVITE reached moonsip from the NAT's public address.
- Negative control: RTP the callee sends before the caller has sent any
  does not reach the caller (the relay has only 10.77.0.2, unreachable
  from srv) and is not counted as forwarded.
- 50 RTP packets from the caller reach the callee and 50 from the callee
  reach the caller, each once and byte for byte, from the relay's ports:
  the way back works only because the relay latched onto the NAT's
  mapping (198.18.0.2, a port of the masquerade's range), which rtp.stats
  shows as the caller's peer.
- The BYE gives the ports back; moonsip exits 0 on SIGTERM with no
  sanitizer report.

Needs root, `ip netns`, veth and nft (or iptables); when the namespaces or
the NAT cannot be made it prints why and exits 77, which ctest counts as
skipped. MS_NAT_TOOL=iptables forces iptables where nft exists.
Usage: rtp_nat_test.py MOONSIP REPO_DIR"""
import atexit
import ctypes
import errno
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

import harness as h

SKIP = 77
CLONE_NEWNET = 0x40000000
PID = os.getpid()

HOME_NS, NAT_NS, SRV_NS = (f"moonsip-{n}-{PID}" for n in ("home", "nat", "srv"))
# Interface names: 15 characters at most (a PID has 7 digits at most).
HOME_IF, NAT_IN_IF, NAT_OUT_IF, SRV_IF = (f"{n}{PID}" for n in ("mh", "mi", "mo", "ms"))
CALLER_IP, ROUTER_IN = "10.77.0.2", "10.77.0.1"
ROUTER_OUT, SERVER_IP, CALLEE_IP = "198.18.0.2", "198.18.0.1", "198.18.0.3"
NAT_PORTS = (40000, 49999)  # the masquerade maps UDP source ports into this range

SIP_PORT = 5060                     # moonsip, in srv
CALLER_SIP, CALLER_RTP = 5060, 16000  # in home
CALLEE_SIP, CALLEE_RTP = 5062, 17000  # in srv, at CALLEE_IP
PROBE_PORT = 5099                   # the stats queries, in srv at CALLEE_IP
RTP_LO, RTP_HI = 30000, 30007       # the relay's pool: four pairs


class Skip(Exception):
    pass


def run(args, what, timeout=10, stdin=None):
    """Runs a setup command; raises Skip with its stderr when it fails."""
    try:
        p = subprocess.run(args, input=stdin, capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise Skip(f"{what}: {' '.join(args)}: {e}")
    if p.returncode != 0:
        raise Skip(f"{what}: {' '.join(args)} exited {p.returncode}: {p.stderr.strip()}")
    return p.stdout


# --- the namespaces --------------------------------------------------------

_libc = ctypes.CDLL(None, use_errno=True)


def _setns(fd):
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        e = ctypes.get_errno()
        raise OSError(e, f"setns: {os.strerror(e)}")


class Namespaces:
    """The namespaces this test made, and sockets made inside them from this
    one process (setns in the main thread, then back)."""

    def __init__(self):
        self.made = []
        self.own = os.open("/proc/self/ns/net", os.O_RDONLY)
        self.socks = []

    def add(self, name):
        run(["ip", "netns", "add", name], "cannot make a network namespace")
        self.made.append(name)

    def ip(self, ns, *args, what="cannot set up the namespaces' network"):
        return run(["ip", "-n", ns] + list(args), what)

    def exec(self, ns, args, what, stdin=None):
        return run(["ip", "netns", "exec", ns] + list(args), what, stdin=stdin)

    def udp(self, ns, addr):
        """A UDP socket bound to addr in namespace ns."""
        fd = os.open(f"/run/netns/{ns}", os.O_RDONLY)
        try:
            _setns(fd)
            try:
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                try:
                    s.bind(addr)
                except BaseException:
                    s.close()
                    raise
            finally:
                _setns(self.own)  # a failure here leaves the process elsewhere: let it end the test
        finally:
            os.close(fd)
        self.socks.append(s)
        return s

    def remove(self):
        """Closes the sockets and deletes the namespaces this test made (their
        veths go with them); only those, and each once."""
        for s in self.socks:
            s.close()
        self.socks = []
        while self.made:
            name = self.made.pop()
            subprocess.run(["ip", "netns", "del", name], capture_output=True, timeout=10)


def nat_rules():
    """The masquerade out of the public veth, as an nft ruleset and as
    iptables commands: UDP source ports into NAT_PORTS, the rest as it is."""
    lo, hi = NAT_PORTS
    nft = (f"table ip moonsip_nat {{\n"
           f"  chain post {{\n"
           f"    type nat hook postrouting priority srcnat; policy accept;\n"
           f"    oifname \"{NAT_OUT_IF}\" meta l4proto udp masquerade to :{lo}-{hi}\n"
           f"    oifname \"{NAT_OUT_IF}\" masquerade\n"
           f"  }}\n"
           f"}}\n")
    ipt = [["-t", "nat", "-A", "POSTROUTING", "-o", NAT_OUT_IF, "-p", "udp", "-j", "MASQUERADE",
            "--to-ports", f"{lo}-{hi}"],
           ["-t", "nat", "-A", "POSTROUTING", "-o", NAT_OUT_IF, "-j", "MASQUERADE"]]
    return nft, ipt


def build(ns):
    """The three namespaces, their veths and addresses, forwarding and the
    masquerade on the router. Raises Skip when the machine cannot."""
    if os.geteuid() != 0:
        raise Skip("network namespaces need root (euid is %d)" % os.geteuid())
    if not shutil.which("ip"):
        raise Skip("no `ip` command (iproute2)")
    tool = os.environ.get("MS_NAT_TOOL")
    nft, ipt = shutil.which("nft"), shutil.which("iptables")
    if tool == "iptables":
        nft = None
    if not nft and not ipt:
        raise Skip("neither nft nor iptables is installed: no NAT to put the caller behind")
    for name in (HOME_NS, NAT_NS, SRV_NS):
        ns.add(name)
    what = "cannot make the veths (no veth support?)"
    run(["ip", "link", "add", HOME_IF, "netns", HOME_NS, "type", "veth", "peer", "name", NAT_IN_IF,
         "netns", NAT_NS], what)
    run(["ip", "link", "add", NAT_OUT_IF, "netns", NAT_NS, "type", "veth", "peer", "name", SRV_IF,
         "netns", SRV_NS], what)
    for name, ifs in ((HOME_NS, [HOME_IF]), (NAT_NS, [NAT_IN_IF, NAT_OUT_IF]), (SRV_NS, [SRV_IF])):
        for i in ["lo"] + ifs:
            ns.ip(name, "link", "set", i, "up")
    ns.ip(HOME_NS, "addr", "add", f"{CALLER_IP}/24", "dev", HOME_IF)
    ns.ip(HOME_NS, "route", "add", "default", "via", ROUTER_IN)
    ns.ip(NAT_NS, "addr", "add", f"{ROUTER_IN}/24", "dev", NAT_IN_IF)
    ns.ip(NAT_NS, "addr", "add", f"{ROUTER_OUT}/24", "dev", NAT_OUT_IF)
    ns.ip(SRV_NS, "addr", "add", f"{SERVER_IP}/24", "dev", SRV_IF)
    ns.ip(SRV_NS, "addr", "add", f"{CALLEE_IP}/24", "dev", SRV_IF)
    # No route in srv to 10.77.0.0/24, and none by default: the private
    # network is unreachable from the public side, as on the Internet.
    ns.exec(NAT_NS, ["sysctl", "-q", "-w", "net.ipv4.ip_forward=1"], "cannot turn forwarding on")
    nft_rules, ipt_rules = nat_rules()
    why = []
    if nft:
        try:
            ns.exec(NAT_NS, [nft, "-f", "-"], "nft cannot load the masquerade", stdin=nft_rules)
            return "nft"
        except Skip as e:
            why.append(str(e))
    if ipt:
        try:
            for rule in ipt_rules:
                ns.exec(NAT_NS, [ipt] + rule, "iptables cannot add the masquerade")
            return "iptables"
        except Skip as e:
            why.append(str(e))
    raise Skip("; ".join(why))


def check_topology(ns):
    """The network is what the test says before moonsip is in it: a datagram
    from home reaches srv from the NAT's public address and a mapped port,
    the answer comes back, and srv cannot send to the private address."""
    a = ns.udp(HOME_NS, (CALLER_IP, 0))
    b = ns.udp(SRV_NS, (CALLEE_IP, 0))
    a.settimeout(2)
    b.settimeout(2)
    a.sendto(b"probe", b.getsockname())
    try:
        data, src = b.recvfrom(100)
    except socket.timeout:
        h.fail(f"the test's NAT does not pass a datagram from {CALLER_IP} to {CALLEE_IP} within 2 s")
    if data != b"probe" or src[0] != ROUTER_OUT or not NAT_PORTS[0] <= src[1] <= NAT_PORTS[1]:
        h.fail(f"the test's NAT: a datagram from {a.getsockname()} came from {src}, expected {ROUTER_OUT} "
               f"and a port in {NAT_PORTS}")
    b.sendto(b"back", src)
    try:
        data, _ = a.recvfrom(100)
    except socket.timeout:
        h.fail("the test's NAT does not pass the answer back to home within 2 s")
    try:
        b.sendto(b"direct", (CALLER_IP, CALLER_RTP))
        h.fail(f"srv can send to the private {CALLER_IP}: the negative control would prove nothing")
    except OSError as e:
        if e.errno != errno.ENETUNREACH:
            raise


# --- moonsip in srv ------------------------------------------------------

class NsServer:
    """`ip netns exec SRV moonsip run ...` (ip execs moonsip, so the child's
    PID is moonsip's); stopped by its PID, checked like harness.Server."""

    def __init__(self, binary, ns_name, args):
        self.binary, self.ns_name, self.args = binary, ns_name, args
        self.proc = None
        self.err = tempfile.NamedTemporaryFile(prefix="moonsip-nat-", suffix=".log", delete=False)

    def start(self):
        cmd = ["ip", "netns", "exec", self.ns_name, self.binary, "run", "--log-level", "info"] + self.args
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self.err)
        deadline = time.monotonic() + 5
        while "running" not in self.log():
            if self.proc.poll() is not None:
                h.fail(f"moonsip exited with {self.proc.returncode} at start:\n{self.log()}")
            if time.monotonic() > deadline:
                h.fail(f"moonsip not running after 5 s:\n{self.log()}")
            time.sleep(0.02)
        exe = os.path.realpath(f"/proc/{self.proc.pid}/exe")
        if exe != os.path.realpath(self.binary):
            h.fail(f"PID {self.proc.pid} runs {exe}, not moonsip: `ip netns exec` forked")
        return self

    def log(self):
        with open(self.err.name, "r", errors="replace") as f:
            return f.read()

    def stop(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=3)
            except subprocess.TimeoutExpired:
                self.kill()
                h.fail(f"moonsip did not exit within 3 s of SIGTERM:\n{self.log()[-3000:]}")
        log = self.log()
        bad = [m for m in h.SANITIZER_MARKS if m in log]
        if bad:
            h.fail(f"sanitizer report in moonsip's stderr ({', '.join(bad)}):\n{log[-6000:]}")
        if self.proc.returncode != 0:
            h.fail(f"moonsip exited with {self.proc.returncode} after SIGTERM, not 0:\n{log[-3000:]}")
        return log

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def discard(self):
        try:
            os.unlink(self.err.name)
        except OSError:
            pass


# --- SIP and RTP ---------------------------------------------------------

def header(msg, name):
    m = re.search(rb"\r\n" + name.encode() + rb"[ \t]*:[ \t]*([^\r\n]*)", msg, re.I)
    return m.group(1).decode() if m else None


def headers(msg, name):
    return [v.decode() for v in re.findall(rb"\r\n" + name.encode() + rb"[ \t]*:[ \t]*([^\r\n]*)", msg, re.I)]


def body(msg):
    return msg.split(b"\r\n\r\n", 1)[1]


def text(msg):
    return msg.decode(errors="replace")


def sdp(address, port):
    lines = ["v=0", f"o=- 42 1 IN IP4 {address}", "s=-", f"c=IN IP4 {address}", "t=0 0",
             f"m=audio {port} RTP/AVP 0", "a=rtpmap:0 PCMU/8000", "a=sendrecv"]
    return ("\r\n".join(lines) + "\r\n").encode()


def media_of(msg, who):
    """(every c= address, the audio port) of the SDP in a message."""
    b = body(msg).decode(errors="replace")
    c = re.findall(r"^c=IN IP4 (\S+)", b, re.M)
    m = re.search(r"^m=audio (\d+) ", b, re.M)
    if not c or not m:
        h.fail(f"{who} got no audio SDP:\n{text(msg)}")
    return c, int(m.group(1))


def expect_relay(msg, who):
    addrs, port = media_of(msg, who)
    if set(addrs) != {SERVER_IP} or not RTP_LO <= port <= RTP_HI:
        h.fail(f"{who} got SDP pointing at {addrs}:{port}, not at the relay {SERVER_IP}:{RTP_LO}-{RTP_HI}:\n"
               f"{text(msg)}")
    return port


class Ua:
    """A UA with a SIP and an RTP socket, made in namespace ns_name."""

    def __init__(self, ns, ns_name, name, ip, sip_port, rtp_port):
        self.name, self.ip, self.sip_port, self.rtp_port = name, ip, sip_port, rtp_port
        self.sip = ns.udp(ns_name, (ip, sip_port))
        self.rtp = ns.udp(ns_name, (ip, rtp_port))

    def recv(self, want, timeout=3.0, cseq=None):
        """The next SIP message whose first line has one of 'want' (and
        whose CSeq method is 'cseq', when given); others (100 Trying,
        retransmissions) are skipped."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.sip.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                data, src = self.sip.recvfrom(65536)
            except socket.timeout:
                break
            first = data.split(b"\r\n", 1)[0].decode(errors="replace")
            if any(w in first for w in want) and (cseq is None or (header(data, "CSeq") or "").endswith(cseq)):
                return data, src
        h.fail(f"{self.name}: no {want} within {timeout} s")


CALL_ID = f"nat-{PID}@rtp-nat-test"


def request(method, cseq, caller, to_tag=None, body_bytes=b"", routes=()):
    """A request of the caller behind the NAT: its private address in the
    Via (with rport, as a phone behind a NAT asks), the Contact and the SDP."""
    lines = [f"{method} sip:callee@{CALLEE_IP}:{CALLEE_SIP} SIP/2.0",
             f"Via: SIP/2.0/UDP {caller.ip}:{caller.sip_port};branch=z9hG4bK-nat-{PID}-{method}-{cseq};rport",
             "Max-Forwards: 70", f"From: <sip:caller@example.com>;tag=c-{PID}",
             f"To: <sip:callee@{CALLEE_IP}>" + (f";tag={to_tag}" if to_tag else ""),
             f"Call-ID: {CALL_ID}", f"CSeq: {cseq} {method}",
             f"Contact: <sip:caller@{caller.ip}:{caller.sip_port}>"]
    lines += [f"Route: {r}" for r in routes]
    if body_bytes:
        lines.append("Content-Type: application/sdp")
    lines.append(f"Content-Length: {len(body_bytes)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body_bytes


def response(req, code, reason, tag, body_bytes=b""):
    """The callee's answer: Via, From, Call-ID, CSeq, Record-Route copied."""
    head = req.split(b"\r\n\r\n", 1)[0].decode()
    keep = [l for l in head.split("\r\n")[1:] if re.match(r"(?i)(via|v|from|f|call-id|i|cseq|record-route)\s*:", l)]
    to = [l for l in head.split("\r\n") if re.match(r"(?i)(to|t)\s*:", l)][0]
    if ";tag=" not in to:
        to += f";tag={tag}"
    lines = [f"SIP/2.0 {code} {reason}"] + keep + [to, f"Contact: <sip:callee@{CALLEE_IP}:{CALLEE_SIP}>"]
    if body_bytes:
        lines.append("Content-Type: application/sdp")
    lines.append(f"Content-Length: {len(body_bytes)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body_bytes


def rtp_packet(ssrc, seq, mark):
    return struct.pack("!BBHII", 0x80, 0, seq & 0xFFFF, seq * 160, ssrc) + mark + struct.pack("!I", seq) + \
        bytes((seq + i) & 0xFF for i in range(156))


def send_rtp(sender, dest, ssrc, seqs, mark):
    sent = {}
    for seq in seqs:
        p = rtp_packet(ssrc, seq, mark)
        sender.rtp.sendto(p, dest)
        sent[seq] = p
        time.sleep(0.002)
    return sent


def receive_rtp(receiver, seconds, until=None):
    """[(packet, source)] arriving on receiver's RTP socket within 'seconds'
    (returns early once 'until' packets came)."""
    got, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline and (until is None or len(got) < until):
        receiver.rtp.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            got.append(receiver.rtp.recvfrom(2048))
        except socket.timeout:
            break
    return got


def flow(sender, dest, receiver, ssrc, seqs, mark, relay_src, what):
    """Sends the packets; each arrives once, byte for byte, from relay_src,
    and nothing else does."""
    sent = send_rtp(sender, dest, ssrc, seqs, mark)
    got = receive_rtp(receiver, 3.0, until=len(sent))
    got += receive_rtp(receiver, 0.3)  # anything more (a duplicate) would show here
    seen = {}
    for data, src in got:
        seq = struct.unpack("!H", data[2:4])[0] if len(data) >= 12 else None
        if src != relay_src or seq not in sent or data != sent[seq] or seq in seen:
            h.fail(f"{what}: an unexpected packet from {src} (expected {relay_src}), sequence {seq}, "
                   f"{len(data)} bytes, {'a duplicate' if seq in seen else 'not as sent'}")
        seen[seq] = data
    if len(seen) != len(sent):
        missing = sorted(set(sent) - set(seen))
        h.fail(f"{what}: {len(seen)} of {len(sent)} packets arrived; missing sequence numbers {missing[:20]}")


class Stats:
    """The relay's figures, through rtp.lua's OPTIONS to sip:rtp@..."""

    def __init__(self, ns):
        self.sock = ns.udp(SRV_NS, (CALLEE_IP, PROBE_PORT))
        self.k = 0

    def query(self):
        """((available, size, calls), the X-Stats fields of the call)."""
        self.k += 1
        msg = (f"OPTIONS sip:rtp@{SERVER_IP}:{SIP_PORT} SIP/2.0\r\n"
               f"Via: SIP/2.0/UDP {CALLEE_IP}:{PROBE_PORT};branch=z9hG4bK-q{PID}-{self.k};rport\r\n"
               f"Max-Forwards: 70\r\nFrom: <sip:q@{CALLEE_IP}>;tag=q{self.k}\r\nTo: <sip:rtp@{SERVER_IP}>\r\n"
               f"Call-ID: query-{PID}-{self.k}@rtp-nat-test\r\nCSeq: 1 OPTIONS\r\n"
               f"X-Call: {CALL_ID}\r\nContent-Length: 0\r\n\r\n").encode()
        self.sock.sendto(msg, (SERVER_IP, SIP_PORT))
        resp = h.final_response(self.sock, 3.0)
        if h.status_of(resp) != 200 or not header(resp, "X-Pool") or not header(resp, "X-Stats"):
            h.fail(f"the stats query got:\n{text(resp)}")
        pool, st = tuple(int(x) for x in header(resp, "X-Pool").split()), header(resp, "X-Stats").split()
        if st != ["none"] and len(st) != 7:
            h.fail(f"the stats query's X-Stats has {len(st)} fields, not 7: {st}")
        return pool, st

    def call(self, when):
        """The X-Stats fields of the call, which must have its media."""
        _, st = self.query()
        if st == ["none"]:
            h.fail(f"{when}: rtp.stats has no media for the call")
        return st


def the_call(caller, callee, stats, srv):
    pool0, _ = stats.query()
    if pool0 != (4, 4, 0):
        h.fail(f"the pool before the call is {pool0}, expected 4 pairs free of 4 and no call")

    # INVITE from behind the NAT, with the private address in its SDP.
    caller.sip.sendto(request("INVITE", 1, caller, body_bytes=sdp(CALLER_IP, CALLER_RTP)), (SERVER_IP, SIP_PORT))
    inv, inv_src = callee.recv(["INVITE"])
    b_port = expect_relay(inv, "the callee")
    vias = headers(inv, "Via")
    theirs = [v for v in vias if CALLER_IP in v]
    m = re.search(r";rport=(\d+)", theirs[0]) if theirs else None
    if not theirs or f";received={ROUTER_OUT}" not in theirs[0] or not m or \
            not NAT_PORTS[0] <= int(m.group(1)) <= NAT_PORTS[1]:
        h.fail(f"the caller's Via as the callee got it: {theirs}; expected received={ROUTER_OUT} and an rport "
               f"in {NAT_PORTS} (the INVITE did not come through the NAT?)")
    if not header(inv, "Record-Route"):
        h.fail("the relayed INVITE has no Record-Route")

    callee.sip.sendto(response(inv, 200, "OK", f"e-{PID}", sdp(CALLEE_IP, CALLEE_RTP)), inv_src)
    ok, _ = caller.recv(["200"], cseq="INVITE")
    a_port = expect_relay(ok, "the caller (the 200)")
    if a_port == b_port:
        h.fail(f"both legs got the same relay port {a_port}")
    routes = list(reversed(headers(ok, "Record-Route")))
    caller.sip.sendto(request("ACK", 1, caller, f"e-{PID}", routes=routes), (SERVER_IP, SIP_PORT))
    callee.recv(["ACK"])

    pool, _ = stats.query()
    st = stats.call("after the ACK")
    if pool != (2, 4, 1):
        h.fail(f"the pool during the call is {pool}, expected 2 pairs free of 4 and one call")
    if st[5:7] != [f"{CALLER_IP}:{CALLER_RTP}", f"{CALLEE_IP}:{CALLEE_RTP}"]:
        h.fail(f"the relay's peers before any RTP: {st}, expected the SDPs' {CALLER_IP}:{CALLER_RTP} "
               f"and {CALLEE_IP}:{CALLEE_RTP}")

    # Negative control: the callee talks first. The relay knows only the
    # caller's private address, unreachable from srv: nothing arrives.
    send_rtp(callee, (SERVER_IP, b_port), 0x2222, range(0, 10), b"BBBB")
    early = receive_rtp(caller, 1.0)
    if early:
        h.fail(f"before the caller sent RTP, {len(early)} packets of the callee reached it (first from "
               f"{early[0][1]}): the relay reached the private address, latching is not what is tested")
    st = stats.call("after the negative control")
    if st[1] != "10" or st[3] != "0" or st[5] != f"{CALLER_IP}:{CALLER_RTP}":
        h.fail(f"after 10 packets of the callee to the unreachable caller: stats {st}, expected the callee's "
               f"10 received, 0 forwarded, and the caller's peer still {CALLER_IP}:{CALLER_RTP}")

    # The caller sends from behind the NAT: the callee hears it, and the
    # relay latches onto the NAT's mapping.
    flow(caller, (SERVER_IP, a_port), callee, 0x1111, range(0, 50), b"AAAA", (SERVER_IP, b_port),
         "caller (behind the NAT) to callee")
    st = stats.call("after the caller's RTP")
    peer = re.fullmatch(r"(\S+):(\d+)", st[5])
    if not peer or peer.group(1) != ROUTER_OUT or not NAT_PORTS[0] <= int(peer.group(2)) <= NAT_PORTS[1]:
        h.fail(f"after the caller's RTP the relay sends its leg to {st[5]}, expected the NAT's mapping "
               f"{ROUTER_OUT}:{NAT_PORTS[0]}-{NAT_PORTS[1]}")

    # And now the way back works: symmetric latching.
    flow(callee, (SERVER_IP, b_port), caller, 0x2222, range(10, 60), b"BBBB", (SERVER_IP, a_port),
         "callee to caller (behind the NAT)")
    print(f"the relay latched onto the caller's NAT mapping {st[5]} (its SDP said {CALLER_IP}:{CALLER_RTP})")
    st = stats.call("after RTP both ways")
    if st[:5] != ["50", "60", "50", "50", "1"] or st[6] != f"{CALLEE_IP}:{CALLEE_RTP}":
        h.fail(f"rtp.stats after the calls' RTP: {st}; expected the caller's 50 received and 50 forwarded, the "
               f"callee's 60 received (10 before latching) and 50 forwarded, one stream, the callee at "
               f"{CALLEE_IP}:{CALLEE_RTP}")

    caller.sip.sendto(request("BYE", 2, caller, f"e-{PID}", routes=routes), (SERVER_IP, SIP_PORT))
    bye, bye_src = callee.recv(["BYE"])
    callee.sip.sendto(response(bye, 200, "OK", f"e-{PID}"), bye_src)
    caller.recv(["200"], cseq="BYE")
    pool, st = stats.query()
    if pool != pool0 or st != ["none"]:
        h.fail(f"after the BYE: pool {pool}, stats {st}; expected {pool0} and no media")
    log = srv.log()
    line = re.search(r"rtp: ended .* caller sent (\d+) packets \((-?\d+) lost.*callee sent (\d+) \((-?\d+) lost", log)
    if not line or line.groups() != ("50", "0", "60", "0"):
        h.fail(f"the relay's end-of-call line: {line.group(0) if line else 'none'}; expected the caller's 50 "
               f"and the callee's 60 packets, none lost")


def main():
    binary, repo = sys.argv[1], sys.argv[2]
    script = os.path.join(repo, "tests", "integration", "scripts", "rtp.lua")
    ns = Namespaces()
    atexit.register(ns.remove)
    # A SIGTERM (a timeout) unwinds through the finally blocks too.
    signal.signal(signal.SIGTERM, lambda *_: h.fail("stopped by SIGTERM"))
    srv = None
    try:
        try:
            tool = build(ns)
        except Skip as e:
            print(f"SKIP: {e}")
            sys.exit(SKIP)
        print(f"namespaces {HOME_NS}, {NAT_NS}, {SRV_NS}; masquerade with {tool}")
        check_topology(ns)
        caller = Ua(ns, HOME_NS, "caller", CALLER_IP, CALLER_SIP, CALLER_RTP)
        callee = Ua(ns, SRV_NS, "callee", CALLEE_IP, CALLEE_SIP, CALLEE_RTP)
        stats = Stats(ns)
        srv = NsServer(binary, SRV_NS, [script, "--listen", f"udp:{SERVER_IP}:{SIP_PORT}",
                                        "--rtp-address", SERVER_IP, "--rtp-ports", f"{RTP_LO}-{RTP_HI}"])
        srv.start()
        try:
            the_call(caller, callee, stats, srv)
        except BaseException:
            sys.stderr.write("--- moonsip log (tail) ---\n" + srv.log()[-4000:] + "\n")
            raise
        srv.stop()
        srv.discard()
        srv = None
    finally:
        if srv:
            srv.kill()
            srv.discard()
        ns.remove()


if __name__ == "__main__":
    h.run_main(main)
