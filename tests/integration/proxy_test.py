#!/usr/bin/env python3
"""Calls through `moonsip run` as a stateful proxy, between SIPp peers that
follow the dialog rules (tests/sipp/uac-*.xml, uas-*.xml), asserting what
each side saw: a basic call over UDP, over TCP, and from UDP to TCP (double
Record-Route), with the BYE from either side; CANCEL before the answer;
parallel forking where the first 200 wins and the other branch is
cancelled; serial forking on busy; a 6xx that stops the fork; the best of
several 4xx; 401 and 407 merged; a 503 sent up as 500; a target by host
name; Timer C, a per-branch limit and Timer B (short T1 for the test)
with UASs that ring forever or never answer.
Usage: proxy_test.py MOONSIP REPO_DIR PORT_OFFSET"""
import os
import sys

import harness as h
import proxy_peers as pp


RUNNING = []


class Proxy:
    """A moonsip with the test routes, listening on UDP and TCP; killed
    by main() when a case fails before stopping it."""

    def __init__(self, binary, repo, port, uas1, uas2, extra=(), script=None):
        os.environ["UAS1"], os.environ["UAS2"] = uas1, uas2
        script = script or os.path.join(repo, "tests", "integration", "scripts", "proxy_routes.lua")
        self.addr = f"127.0.0.1:{port}"
        self.srv = h.Server(binary, [f"udp:127.0.0.1:{port}", f"tcp:127.0.0.1:{port}"],
                            extra=list(extra) + [script])
        RUNNING.append(self.srv)
        self.srv.start()

    def stop(self):
        if not self.srv.alive():
            h.fail("the proxy died:\n" + self.srv.log()[-3000:])
        RUNNING.remove(self.srv)
        return self.srv.stop()


def expect(cond, what, run):
    if not cond:
        h.fail(f"{what}\n{run.describe()}")


def vias(m):
    return m.values("Via")


def relayed(run, side, method, paddr, n_via):
    """Every `method` this side got came through the proxy: n_via Vias,
    the top one the proxy's, no Route of the proxy left."""
    got = side.received(method)
    expect(got, f"{side.name} never got a {method}", run)
    for m in got:
        v = vias(m)
        expect(len(v) == n_via and pp.via_sent_by(v[0]) == paddr,
               f"{method} at {side.name}: Via {v}, expected {n_via} with the proxy's on top", run)
        expect(not [r for r in m.values("Route") if paddr in r],
               f"{method} at {side.name} still has the proxy's Route: {m.values('Route')}", run)


def basic(env, transport, uas_transport=None):
    """A call over one transport, or from the UAC's to the UAS's."""
    p, paddr, uas_t = env["port"], env["paddr"], uas_transport or transport
    uas_uri = f"sip:127.0.0.1:{p + 1}" + (";transport=tcp" if uas_t == "tcp" else "")
    prx = Proxy(env["bin"], env["repo"], p, uas_uri, "")
    # run_calls gives every peer one transport (the UAS's, which it waits
    # for); the UAC's own comes after it in its arguments and wins.
    uac_args = ["-d", "100", "-t", pp.TRANSPORTS[transport]]
    run = pp.run_calls(("127.0.0.1", p), uac=pp.Peer("uac-rr.xml", p + 3, uac_args),
                       uas=pp.Peer("uas-rr.xml", p + 1), transport=uas_t, calls=2).check()
    inv = run.uas.received("INVITE")
    expect(len(inv) == 2, f"the UAS got {len(inv)} INVITEs, expected 2", run)
    for m in inv:
        v = vias(m)
        expect(len(v) == 2 and pp.via_sent_by(v[0]) == paddr and v[0].upper().startswith(f"SIP/2.0/{uas_t.upper()}"),
               f"INVITE at the UAS: Via {v}, expected the proxy's over {uas_t} on top of the UAC's", run)
        expect(m.header("Max-Forwards") == "69", f"INVITE at the UAS: Max-Forwards {m.header('Max-Forwards')}", run)
        rr = m.values("Record-Route")
        if uas_t == transport:
            expect(len(rr) == 1 and paddr in rr[0] and ";lr" in rr[0],
                   f"INVITE at the UAS: Record-Route {rr}, expected one for {paddr}", run)
        else:  # §16.6 step 4: one for each side of the proxy, the UAS's side on top
            expect(len(rr) == 2 and f"transport={uas_t}" in rr[0] and "transport=" not in rr[1]
                   and all("r2=on" in r and paddr in r for r in rr),
                   f"INVITE at the UAS: Record-Route {rr}, expected a double Record-Route, {uas_t} on top", run)
    relayed(run, run.uas, "ACK", paddr, 2)
    relayed(run, run.uas, "BYE", paddr, 2)
    for m in run.uac.sent("BYE"):
        expect(m.values("Route") and paddr in m.values("Route")[0],
               f"the UAC's BYE has Route {m.values('Route')}, expected the proxy's Record-Route", run)
    prx.stop()
    print(f"call {transport}{'->' + uas_t if uas_t != transport else ''}: INVITE, ACK and BYE through the proxy, "
          f"{len(inv[0].values('Record-Route'))} Record-Route")


def edited(env):
    """opts.headers, on_branch and on_reply: the UAS saw the branch as the
    script edited it, the UAC the 180 and 200 as the script edited them."""
    p = env["port"]
    prx = Proxy(env["bin"], env["repo"], p, f"sip:127.0.0.1:{p + 1}", "")
    run = pp.run_calls(("127.0.0.1", p), uac=pp.Peer("uac-rr.xml", p + 3, ["-d", "100"], service="edit"),
                       uas=pp.Peer("uas-rr.xml", p + 1), calls=1).check()
    inv = run.uas.received("INVITE")[0]
    expect(inv.header("X-Added") == "by-relay" and inv.header("X-Branch") == "1",
           f"the INVITE at the UAS should carry X-Added and X-Branch: {inv.text[:600]}", run)
    for code in (180, 200):
        r = run.uac.received(status=code, cseq="INVITE")
        expect(r and r[0].header("X-Reply") == f"{code} seen", f"the {code} at the UAC should carry X-Reply", run)
    prx.stop()
    print("edits: the branch had the script's headers, the 180 and 200 the on_reply header")


def named(env):
    """A target by host name: looked up without blocking, then relayed."""
    p = env["port"]
    prx = Proxy(env["bin"], env["repo"], p, f"sip:127.0.0.1:{p + 1}", "")
    run = pp.run_calls(("127.0.0.1", p), uac=pp.Peer("uac-rr.xml", p + 3, ["-d", "100"], service="named"),
                       uas=pp.Peer("uas-rr.xml", p + 1), calls=1).check()
    inv = run.uas.received("INVITE")[0]
    expect(inv.start_line.startswith(f"INVITE sip:localhost:{p + 1} "),
           f"the INVITE should keep the name in its Request-URI: {inv.start_line}", run)
    prx.stop()
    print("a target by name: localhost looked up, the call went through")


def tail_call_gc(env):
    """return proxy.relay(...) and a full garbage collection while it
    waits: the request must survive (it once did not)."""
    p = env["port"]
    prx = Proxy(env["bin"], env["repo"], p, f"sip:127.0.0.1:{p + 1}", "")
    pp.run_calls(("127.0.0.1", p), uac=pp.Peer("uac-rr.xml", p + 3, ["-d", "100"], service="gc"),
                 uas=pp.Peer("uas-rr.xml", p + 1), calls=3).check()
    prx.stop()
    print("a tail call into proxy.relay with a full GC while it waits: 3 calls through")


def bye_from_callee(env):
    p, paddr = env["port"], env["paddr"]
    prx = Proxy(env["bin"], env["repo"], p, f"sip:127.0.0.1:{p + 1}", "")
    run = pp.run_calls(("127.0.0.1", p), uac=pp.Peer("uac-rr-wait.xml", p + 3),
                       uas=pp.Peer("uas-rr-bye.xml", p + 1, ["-d", "100"]), calls=1).check()
    relayed(run, run.uac, "BYE", paddr, 2)
    prx.stop()
    print("call ended by the callee: its BYE came to the caller through the proxy")


def cancel(env):
    p, paddr = env["port"], env["paddr"]
    prx = Proxy(env["bin"], env["repo"], p, f"sip:127.0.0.1:{p + 1}", "")
    run = pp.run_calls(("127.0.0.1", p), uac=pp.Peer("uac-cancel.xml", p + 3),
                       uas=pp.Peer("uas-ring-cancel.xml", p + 1), calls=2).check()
    # The CANCEL and the ACK for the 487 are hop by hop: the proxy's own,
    # one Via; the caller's ACK does not go down (§16.10, §17.1.1.3).
    for method in ("CANCEL", "ACK"):
        relayed(run, run.uas, method, paddr, 1)
    expect(len(run.uac.received(status=487)) >= 2, "the UAC did not get 487 for each call", run)
    prx.stop()
    print("CANCEL: the UAS got the proxy's CANCEL and ACK, the UAC the 487")


def fork_first_200(env):
    p = env["port"]
    prx = Proxy(env["bin"], env["repo"], p, f"sip:127.0.0.1:{p + 1}", f"sip:127.0.0.1:{p + 2}")
    run = pp.run_calls(("127.0.0.1", p), uac=pp.Peer("uac-rr.xml", p + 3, ["-d", "100"], service="fork"),
                       uas=[pp.Peer("uas-rr.xml", p + 1), pp.Peer("uas-ring-cancel.xml", p + 2)], calls=1).check()
    ringing = run.uases[1]
    expect(ringing.received("INVITE") and ringing.received("CANCEL"),
           "the ringing branch should get the INVITE and then a CANCEL once the other answered", run)
    prx.stop()
    print("parallel fork: the first 200 went up, the other branch was cancelled")


def serial_on_busy(env):
    p = env["port"]
    prx = Proxy(env["bin"], env["repo"], p, f"sip:127.0.0.1:{p + 1}", f"sip:127.0.0.1:{p + 2}")
    run = pp.run_calls(("127.0.0.1", p), uac=pp.Peer("uac-rr.xml", p + 3, ["-d", "100"], service="serial"),
                       uas=[pp.Peer("uas-busy.xml", p + 1), pp.Peer("uas-rr.xml", p + 2)], calls=1).check()
    busy, answer = run.uases
    expect(busy.received("INVITE") and answer.received("INVITE"), "both branches should get the INVITE", run)
    expect(busy.received("INVITE")[0].time <= answer.received("INVITE")[0].time,
           "the q=1.0 target should be tried first", run)
    expect(not run.uac.received(status=486), "the 486 of the first branch must not reach the caller", run)
    prx.stop()
    print("serial fork: 486 from the first target, the second answered, the caller never saw the 486")


def forward_on_busy_example(env):
    """scripts/examples/forward-on-busy.lua: the phone is busy, the call
    goes on to voicemail with a second proxy.relay."""
    p = env["port"]
    os.environ["PHONE"], os.environ["VOICEMAIL"] = f"sip:127.0.0.1:{p + 1}", f"sip:127.0.0.1:{p + 2}"
    prx = Proxy(env["bin"], env["repo"], p, "", "",
                script=os.path.join(env["repo"], "scripts", "examples", "forward-on-busy.lua"))
    run = pp.run_calls(("127.0.0.1", p), uac=pp.Peer("uac-rr.xml", p + 3, ["-d", "100"]),
                       uas=[pp.Peer("uas-busy.xml", p + 1), pp.Peer("uas-rr.xml", p + 2)], calls=1).check()
    expect(not run.uac.received(status=486), "the phone's 486 must not reach the caller", run)
    relayed(run, run.uases[1], "BYE", env["paddr"], 2)
    prx.stop()
    print("forward-on-busy example: 486 from the phone, the voicemail answered, the caller never saw the 486")


def expect_fail(env, route, uases, code, scenario="uac-expect-fail.xml", extra=(), note=""):
    p = env["port"]
    prx = Proxy(env["bin"], env["repo"], p, f"sip:127.0.0.1:{p + 1}", f"sip:127.0.0.1:{p + 2}", extra)
    args = ["-key", "expected", str(code)] if scenario == "uac-expect-fail.xml" else []
    run = pp.run_calls(("127.0.0.1", p), uac=pp.Peer(scenario, p + 3, args, service=route),
                       uas=[pp.Peer(s, p + 1 + i) for i, s in enumerate(uases)], calls=1,
                       stop_uas=any(s == "uas-silent.xml" for s in uases), timeout=45)
    expect(run.uac.rc == 0 and run.uac.ok == 1, f"the caller should get {code}", run)
    prx.stop()
    print(f"{route} to {' + '.join(uases)}: the caller got {code}{note}")
    return run


def cases():
    binary, repo, port = sys.argv[1], os.path.abspath(sys.argv[2]), h.ports(int(sys.argv[3]))
    env = {"bin": binary, "repo": repo, "port": port, "paddr": f"127.0.0.1:{port}"}
    basic(env, "udp")
    basic(env, "tcp")
    basic(env, "udp", "tcp")
    bye_from_callee(env)
    edited(env)
    named(env)
    tail_call_gc(env)
    cancel(env)
    fork_first_200(env)
    serial_on_busy(env)
    forward_on_busy_example(env)
    run = expect_fail(env, "fork", ["uas-600.xml", "uas-ring-cancel.xml"], 600, note=", the other branch cancelled")
    expect(run.uases[1].received("CANCEL"), "the 600 should cancel the ringing branch", run)
    expect_fail(env, "fork", ["uas-busy.xml", "uas-401.xml"], 401, note=" (preferred among 4xx)")
    expect_fail(env, "fork", ["uas-401.xml", "uas-407.xml"], 401, scenario="uac-auth-merged.xml",
                note=" or 407, with both challenges")
    run = expect_fail(env, "short", ["uas-ring-cancel.xml"], 408, note=" after the 2 s branch limit")
    expect(run.uas.received("CANCEL"), "the branch over its limit should be cancelled", run)
    run = expect_fail(env, "bob", ["uas-ring-cancel.xml"], 408, extra=["--timer-c", "2"],
                      note=" at Timer C (2 s after the 180)")
    expect(run.uas.received("CANCEL"), "Timer C should cancel the ringing branch", run)
    expect_fail(env, "bob", ["uas-503.xml"], 500, note=": a 503 from downstream goes up as 500")
    expect_fail(env, "bob", ["uas-silent.xml"], 408, extra=["--t1", "50"], note=" at Timer B (T1 50 ms)")


def main():
    try:
        cases()
    except BaseException:
        for srv in RUNNING:
            sys.stderr.write("--- proxy log (tail) ---\n" + srv.log()[-3000:] + "\n")
            srv.kill()
        raise


h.run_main(main)
