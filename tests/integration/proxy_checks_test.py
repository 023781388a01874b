#!/usr/bin/env python3
"""The proxy's refusals and its loop detection, seen from a UDP socket on
127.0.0.1: `moonsip run scripts/default.lua` answers Max-Forwards 0 with
483, a Proxy-Require with 420 and Unsupported, OPTIONS with Max-Forwards 0
with 200 itself; a request whose fallback target is the proxy itself
spirals once (a new Request-URI) and is then caught as a loop (482), with
Max-Forwards going down on each pass. A parallel fork where both phones
answer 200: both reach the caller. Then the load-balancer example
against two gateways (moonsip instances with a small script) and a dead
port: calls alternate between the live gateways and never go to the dead
one once the probe has seen it.
Usage: proxy_checks_test.py MOONSIP REPO_DIR PORT_OFFSET"""
import contextlib
import os
import re
import socket
import sys
import tempfile
import time

import harness as h

_n = [0]


def request(method, ruri, port, extra=""):
    _n[0] += 1
    n = _n[0]
    return (f"{method} {ruri} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK-pc-{os.getpid()}-{n};rport\r\n"
            f"From: <sip:caller@127.0.0.1>;tag=c{n}\r\n"
            f"To: <{ruri}>\r\n"
            f"Call-ID: pc-{os.getpid()}-{n}@127.0.0.1\r\n"
            f"CSeq: 1 {method}\r\n"
            f"Contact: <sip:caller@127.0.0.1:{port}>\r\n"
            f"{extra}"
            f"Content-Length: 0\r\n\r\n").encode()


def header(msg, name):
    m = re.search(rb"\r\n" + name.encode() + rb"[ \t]*:[ \t]*([^\r\n]*)", msg, re.I)
    return m.group(1).decode() if m else None


def ask(sock, proxy_port, data, wait=5):
    sock.sendto(data, ("127.0.0.1", proxy_port))
    ans = h.final_response(sock, wait)
    if method_of(data) == "INVITE" and h.status_of(ans) >= 300:
        # the ACK for a non-2xx final is hop-by-hop: the proxy absorbs it
        to = header(ans, "To")
        ack = data.decode().split("\r\n")
        ack[0] = ack[0].replace("INVITE", "ACK", 1)
        ack = [("To: " + to) if l.startswith("To:") else l for l in ack]
        ack = [l.replace("1 INVITE", "1 ACK") if l.startswith("CSeq:") else l for l in ack]
        sock.sendto("\r\n".join(ack).encode(), ("127.0.0.1", proxy_port))
    return ans


def method_of(data):
    return data.split(b" ", 1)[0].decode()


def checks(binary, repo, port):
    uac_port = port + 1
    os.environ["MOONSIP_FALLBACK"] = f"sip:loop@127.0.0.1:{port}"
    script = os.path.join(repo, "scripts", "default.lua")

    def body(srv):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.0.1", uac_port))
            # §16.3 step 3: Max-Forwards 0.
            a = ask(s, port, request("INVITE", "sip:bob@192.0.2.1", uac_port, "Max-Forwards: 0\r\n"))
            if h.status_of(a) != 483 or b" 483 Too Many Hops\r\n" not in a:
                h.fail(f"Max-Forwards 0: expected 483 Too Many Hops, got {a[:200]!r}")
            a = ask(s, port, request("OPTIONS", "sip:bob@192.0.2.1", uac_port, "Max-Forwards: 0\r\n"))
            if h.status_of(a) != 200:
                h.fail(f"OPTIONS with Max-Forwards 0: the proxy answers itself, got {a[:200]!r}")
            # §16.3 step 6: Proxy-Require.
            a = ask(s, port, request("INVITE", "sip:bob@192.0.2.1", uac_port,
                                     "Max-Forwards: 70\r\nProxy-Require: foo, bar\r\n"))
            if h.status_of(a) != 420 or header(a, "Unsupported") is None:
                h.fail(f"Proxy-Require: expected 420 with Unsupported, got {a[:300]!r}")
            uns = re.findall(rb"\r\nUnsupported: ([^\r\n]*)", a)
            if sorted(uns) != [b"bar", b"foo"]:
                h.fail(f"420 should list foo and bar in Unsupported, got {uns}")
            line = a.split(b"\r\n")[0]
            if b"Proxy-Require" not in line:
                h.fail(f"420's reason phrase should say why: {line!r}")
            # A spiral, then a loop: the fallback is the proxy itself.
            a = ask(s, port, request("INVITE", f"sip:bob@127.0.0.1:{port}", uac_port, "Max-Forwards: 70\r\n"))
            if h.status_of(a) != 482:
                h.fail(f"a request relayed to the proxy itself: expected 482 after one spiral, got {a[:300]!r}")
        log = srv.log()
        # The first pass relayed (bob -> loop), the second too (a spiral:
        # new Request-URI), the third was refused; the script logs each.
        passes = log.count(f"INVITE to sip:loop@127.0.0.1:{port}: 482 Loop Detected")
        if passes != 3:
            h.fail(f"expected three passes through the script, each ending in 482, saw {passes}:\n" + log[-2000:])

    h.serving(binary, [f"udp:127.0.0.1:{port}"], body, extra=[script])
    print("proxy checks: 483, OPTIONS Max-Forwards 0, 420 with Unsupported, spiral then 482")


@contextlib.contextmanager
def peers(binary, script, named_ports):
    """moonsip peers running `script` (Lua text), one per (name, port), with
    PEER_NAME and PEER_PORT in their environment. Yields the list of
    servers; more may be appended. Those still in it at the end are killed
    (a test stops the ones it checks)."""
    with tempfile.TemporaryDirectory(prefix="moonsip-peers-") as work:
        path = os.path.join(work, "peer.lua")
        with open(path, "w") as f:
            f.write(script)
        servers = []
        try:
            for name, p in named_ports:
                os.environ["PEER_NAME"], os.environ["PEER_PORT"] = name, str(p)
                servers.append(h.Server(binary, [f"udp:127.0.0.1:{p}"], extra=[path]).start())
            yield servers
        finally:
            for srv in servers:
                srv.kill()


def stop_all(servers):
    for srv in reversed(servers):
        srv.stop()
    servers.clear()


GATEWAY = """
-- A gateway for the load-balancer test: OPTIONS 200, INVITE 486 naming it.
local NAME = os.getenv("PEER_NAME")
function on_request(req)
  if req.method == "ACK" then return end
  if req.method == "OPTIONS" then return req:reply(200) end
  return req:reply(486, "Busy at " .. NAME)
end
"""


def load_balancer(binary, repo, port):
    gw1, gw2, dead, lb, uac_port = port + 2, port + 3, port + 4, port + 5, port + 6
    with peers(binary, GATEWAY, (("one", gw1), ("two", gw2))) as servers:
        os.environ["GATEWAYS"] = f"sip:127.0.0.1:{gw1} sip:127.0.0.1:{dead} sip:127.0.0.1:{gw2}"
        os.environ["PROBE_EVERY"] = "1"
        lbs = h.Server(binary, [f"udp:127.0.0.1:{lb}"],
                       extra=[os.path.join(repo, "scripts", "examples", "load-balancer.lua")]).start()
        servers.append(lbs)
        seen = []
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.0.1", uac_port))
            # The first call starts the probe task; give it a round.
            ask(s, lb, request("INVITE", f"sip:bob@127.0.0.1:{lb}", uac_port, "Max-Forwards: 70\r\n"))
            time.sleep(1.5)
            for _ in range(6):
                a = ask(s, lb, request("INVITE", f"sip:bob@127.0.0.1:{lb}", uac_port, "Max-Forwards: 70\r\n"))
                m = re.match(rb"SIP/2\.0 486 Busy at (\w+)", a)
                if not m:
                    h.fail(f"expected a 486 from a gateway, got {a[:200]!r}")
                seen.append(m.group(1).decode())
        if sorted(set(seen)) != ["one", "two"] or any(x == y for x, y in zip(seen, seen[1:])):
            h.fail(f"calls should alternate between the live gateways: {seen}")
        log = lbs.log()
        if f"gateway sip:127.0.0.1:{dead} is down" not in log:
            h.fail("the probe should have found the dead gateway:\n" + log[-2000:])
        if log.count(f"sip:127.0.0.1:{dead} answered") > 0:
            h.fail("a call went to the dead gateway after the probe:\n" + log[-2000:])
        stop_all(servers)
    print(f"load balancer: calls alternate {seen}, the dead gateway skipped")


PHONE = """
-- A phone for the fork test: answers every INVITE 200 at once, logs ACKs.
local NAME, PORT = os.getenv("PEER_NAME"), os.getenv("PEER_PORT")
function on_request(req)
  if req.method == "ACK" then log.info("ACK for %s", NAME); return end
  if req.method == "INVITE" then
    return req:reply(200, "OK at " .. NAME, { Contact = "<sip:" .. NAME .. "@127.0.0.1:" .. PORT .. ">" })
  end
  return req:reply(200)
end
"""


def both_answer(binary, repo, port):
    """A parallel fork where both phones answer 200 at once: both 2xx reach
    the caller (RFC 3261 §16.7 step 5), each a dialog of its own; the ACK
    for each goes to its phone through the proxy."""
    proxy, ph1, ph2, uac_port = port + 2, port + 3, port + 4, port + 6
    with peers(binary, PHONE, (("one", ph1), ("two", ph2))) as servers:
        os.environ["UAS1"], os.environ["UAS2"] = f"sip:127.0.0.1:{ph1}", f"sip:127.0.0.1:{ph2}"
        routes = os.path.join(repo, "tests", "integration", "scripts", "proxy_routes.lua")
        prx = h.Server(binary, [f"udp:127.0.0.1:{proxy}"], extra=[routes]).start()
        servers.append(prx)
        oks = {}
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.0.1", uac_port))
            inv = request("INVITE", f"sip:fork@127.0.0.1:{proxy}", uac_port, "Max-Forwards: 70\r\n")
            s.sendto(inv, ("127.0.0.1", proxy))
            deadline = time.monotonic() + 3
            while time.monotonic() < deadline and len(oks) < 2:
                s.settimeout(max(0.01, deadline - time.monotonic()))
                try:
                    data = s.recv(65536)
                except socket.timeout:
                    break
                if h.status_of(data) == 200:
                    oks[header(data, "To")] = data
            if len(oks) != 2:
                h.fail(f"expected two 200s with different To tags, got {list(oks)}")
            for to, ok in oks.items():
                rr = header(ok, "Record-Route")
                contact = re.search(r"<([^>]*)>", header(ok, "Contact")).group(1)
                ack = inv.decode().split("\r\n")
                ack[0] = f"ACK {contact} SIP/2.0"
                ack = [("To: " + to) if l.startswith("To:") else l for l in ack]
                ack = [l.replace("1 INVITE", "1 ACK") if l.startswith("CSeq:") else l for l in ack]
                ack = [l.replace(";branch=", ";branch=ack") if l.startswith("Via:") else l for l in ack]
                ack.insert(1, f"Route: {rr}")
                s.sendto("\r\n".join(ack).encode(), ("127.0.0.1", proxy))
        time.sleep(0.5)
        for name, srv in (("one", servers[0]), ("two", servers[1])):
            if f"ACK for {name}" not in srv.log():
                h.fail(f"phone {name} never got its ACK through the proxy:\n" + srv.log()[-1500:]
                       + "\n--- proxy ---\n" + prx.log()[-3000:])
        stop_all(servers)
    print("parallel fork, both answer: two 200s reached the caller, each ACK reached its phone")


PROBE = """
-- A task whose proxy.request is still waiting when the server stops.
function on_request(req)
  ms.spawn(function()
    proxy.request("OPTIONS", "sip:127.0.0.1:" .. os.getenv("SILENT_PORT"), { timeout = 30 })
  end)
  return req:reply(200)
end
"""


def request_in_flight_at_stop(binary, port):
    """A server stopped while a task waits for its own request to a peer that
    never answers ends cleanly: exit 0, and under the sanitizers nothing
    leaked (the wait's state went with the host, the transaction with the
    stack)."""
    silent = port + 6
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as peer:
        peer.bind(("127.0.0.1", silent))
        os.environ["SILENT_PORT"] = str(silent)
        with peers(binary, PROBE, [("prober", port + 5)]) as servers:
            peer.sendto(request("OPTIONS", f"sip:127.0.0.1:{port + 5}", silent), ("127.0.0.1", port + 5))
            peer.settimeout(5)
            data, _ = peer.recvfrom(65535)  # its 200
            if h.status_of(data) != 200:
                h.fail(f"the prober should answer 200, got {data[:80]!r}")
            data, _ = peer.recvfrom(65535)
            if not data.startswith(b"OPTIONS "):
                h.fail(f"expected the task's OPTIONS, got {data[:80]!r}")
            stop_all(servers)  # fails on a sanitizer report or a bad exit
    print("a server stopped with its own request in flight: clean exit")


def main():
    binary, repo, port = sys.argv[1], os.path.abspath(sys.argv[2]), h.ports(int(sys.argv[3]))
    checks(binary, repo, port)
    load_balancer(binary, repo, port)
    both_answer(binary, repo, port)
    request_in_flight_at_stop(binary, port)


h.run_main(main)
