#!/usr/bin/env python3
"""Two users of `moonsip run scripts/default.lua` call each other through
it, with SIPp as their phones, over UDP and then over TCP (a fresh file
each time): bob and alice register with digest authentication (401, then
200; SIPp answers MD5, so the server runs with MOONSIP_DIGEST=MD5), and
both bindings are in the file; alice calls bob: her INVITE gets 407, she
sends it again with credentials, and bob's phone (at the contact he
registered) rings and answers; ACK and BYE go along the Record-Route. Bob's
phone sees the INVITE without alice's credentials (auth.consume) and with
the proxy's Record-Route.
Usage: default_calls_test.py MOONSIP REPO_DIR PORT_OFFSET"""
import os
import sys
import tempfile

import harness as h
import proxy_peers as pp

HOST = "127.0.0.1"
USERS = {"alice": "w0nder-land", "bob": "can.we.fix.it"}  # SIPp takes no spaces


def injection(work, user):
    """SIPp's injection file for a user: the name and the credentials."""
    path = os.path.join(work, f"{user}.csv")
    with open(path, "w") as f:
        f.write(f"SEQUENTIAL\n{user};[authentication username={user} password={USERS[user]}]\n")
    return path


def registered(proxy, scenario, port, args, transport, who):
    side = pp.run_client(proxy, pp.Peer(scenario, port, args), transport=transport, timeout=10)
    if side.rc != 0 or side.ok != 1:
        h.fail(f"{who} did not register over {transport}:\n{side.describe()}")
    statuses = [m.status for m in side.messages if m.direction == "received"]
    if statuses != [401, 200]:
        h.fail(f"{who}'s registration over {transport}: expected 401 then 200, got {statuses}")


def call(binary, repo, port, transport, work):
    proxy = (HOST, port)
    bob_phone, bob_reg, alice_phone, alice_reg = port + 1, port + 2, port + 3, port + 4
    db = os.path.join(work, f"{transport}.db")
    for user, pw in USERS.items():
        h.user_add(binary, db, f"{user}@{HOST}", pw)
    alice, bob = injection(work, "alice"), injection(work, "bob")
    script = os.path.join(repo, "scripts", "default.lua")

    def body(srv):
        registered(proxy, "reg-auth.xml", bob_reg, ["-inf", bob, "-key", "contact_port", str(bob_phone)],
                   transport, "bob")
        registered(proxy, "reg-auth.xml", alice_reg, ["-inf", alice, "-key", "contact_port", str(alice_reg)],
                   transport, "alice")
        loc = h.location(binary, db)
        for user, p in (("bob", bob_phone), ("alice", alice_reg)):
            want = f"sip:{user}@{HOST}\tsip:{user}@{HOST}:{p};transport={transport.upper()}\t"
            if want not in loc:
                h.fail(f"{user}'s binding over {transport} is not in the file:\n{loc}")
        # The digest uri is the Request-URI (SIPp's default is the remote address).
        caller = pp.Peer("uac-auth-call.xml", alice_phone, ["-inf", alice, "-auth_uri", f"bob@{HOST}:{port}"],
                         service="bob")
        run = pp.run_calls(proxy, caller, pp.Peer("uas-rr.xml", bob_phone), transport=transport, timeout=15)
        run.check(calls=1)
        got = [m.status for m in run.uac.messages if m.direction == "received" and m.status >= 200]
        if got[:1] != [407] or 200 not in got:
            h.fail(f"alice should see 407, then 200 for the INVITE with credentials: {got}\n{run.describe()}")
        inv = run.uas.received("INVITE")
        if len(inv) != 1:
            h.fail(f"bob's phone should get one INVITE:\n{run.describe()}")
        if inv[0].headers("Proxy-Authorization"):
            h.fail(f"alice's credentials reached bob's phone:\n{inv[0].text}")
        if not inv[0].start_line.startswith(f"INVITE sip:bob@{HOST}:{bob_phone}"):
            h.fail(f"the INVITE should go to bob's registered contact: {inv[0].start_line}")
        if f"{HOST}:{port}" not in " ".join(inv[0].values("Record-Route")):
            h.fail(f"the proxy did not record-route:\n{inv[0].text}")
        if not run.uas.received("ACK") or not run.uas.received("BYE"):
            h.fail(f"ACK and BYE should reach bob's phone along the route set:\n{run.describe()}")

    listen = "tcp" if transport == "tcp" else "udp"
    h.serving(binary, [f"{listen}:{HOST}:{port}"], body, extra=["--db", db, script])
    print(f"{transport}: bob and alice registered with digest; alice's call to bob authenticated, answered, ended")


def main():
    binary, repo, port = sys.argv[1], os.path.abspath(sys.argv[2]), h.ports(int(sys.argv[3]))
    os.environ["MOONSIP_DIGEST"] = "MD5"
    os.environ.pop("MOONSIP_FALLBACK", None)
    with tempfile.TemporaryDirectory(prefix="moonsip-calls-") as work:
        for transport in ("udp", "tcp"):
            call(binary, repo, port, transport, work)


h.run_main(main)
