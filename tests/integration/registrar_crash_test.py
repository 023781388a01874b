#!/usr/bin/env python3
"""No acknowledged registration is lost when the server is killed: SIPp
registers USERS users with digest authentication over and over (each call
a new Call-ID, tests/sipp/reg-auth.xml) through `moonsip run
scripts/default.lua`, and the server gets SIGKILL in the middle of the load.
For every user SIPp got a 200 for, the file then holds a binding made by
that REGISTER or by a later one of the same user (a REGISTER may be
committed and its 200 lost with the process, never the other way round).
Started again on the file, the server loads exactly those bindings and
routes to them.
Usage: registrar_crash_test.py MOONSIP REPO_DIR PORT_OFFSET"""
import os
import re
import signal
import socket
import sys
import tempfile
import time

import harness as h
import proxy_peers as pp

HOST = "127.0.0.1"
USERS = 60
RATE = 300       # registrations per second offered
KILL_AFTER = 150  # acknowledged registrations before the kill


def add_users(binary, db, work):
    h.user_add(binary, db, f"idle@{HOST}", "never-registers")
    lines = ["SEQUENTIAL"]
    for i in range(USERS):
        user, pw = f"u{i:03d}", f"pw-{i:03d}"
        h.user_add(binary, db, f"{user}@{HOST}", pw)
        lines.append(f"{user};[authentication username={user} password={pw}]")
    path = os.path.join(work, "users.csv")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def call_number(call_id):
    return int(call_id.split("-", 1)[0])


def acknowledged(log):
    """user -> the call number of the last REGISTER SIPp got a 200 for."""
    last = {}
    for user, call_id in re.findall(r"registered (\S+) (\S+)", log):
        last[user] = max(last.get(user, 0), call_number(call_id))
    return last


def stored(binary, db):
    """user -> the call number of the REGISTER its binding came from."""
    out = h.location(binary, db)
    found = {}
    for line in out.splitlines():
        m = re.match(r"sip:(\S+)@" + re.escape(HOST) + r"\t.*\tcall-id=(\S+)\t", line)
        if m:
            found[m.group(1)] = call_number(m.group(2))
    return found


def load_and_kill(binary, script, db, csv, port):
    srv = h.Server(binary, [f"udp:{HOST}:{port}"], extra=["--db", db, script]).start()
    try:
        peer = pp.Peer("reg-auth.xml", port + 1,
                       ["-inf", csv, "-key", "contact_port", str(port + 1), "-recv_timeout", "1000", "-nr"])
        calls = RATE * 5
        with pp.Client((HOST, port), peer, calls=calls, rate=RATE, limit=RATE, timeout=20) as c:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                if len(re.findall("registered", pp._read(os.path.join(c.work, "log.log")))) >= KILL_AFTER:
                    break
                time.sleep(0.05)
            os.kill(srv.pid(), signal.SIGKILL)
            srv.proc.wait()
            side = c.finish()
    finally:
        srv.kill()
    if side.ok >= calls:
        h.fail("every registration succeeded: the server was not killed under load")
    return side


def main():
    binary, repo, port = sys.argv[1], os.path.abspath(sys.argv[2]), h.ports(int(sys.argv[3]))
    script = os.path.join(repo, "scripts", "default.lua")
    os.environ["MOONSIP_DIGEST"] = "MD5"
    os.environ.pop("MOONSIP_FALLBACK", None)
    with tempfile.TemporaryDirectory(prefix="moonsip-crash-") as work:
        db = os.path.join(work, "moonsip.db")
        csv = add_users(binary, db, work)
        side = load_and_kill(binary, script, db, csv, port)
        acked = acknowledged(side.log)
        if sum(1 for _ in re.finditer("registered", side.log)) < KILL_AFTER:
            h.fail(f"fewer than {KILL_AFTER} registrations acknowledged before the kill:\n{side.describe()}")
        found = stored(binary, db)
        lost = {u: n for u, n in acked.items() if found.get(u, -1) < n}
        if lost:
            detail = ", ".join(f"{u} (200 for call {n}, file has {found.get(u)})" for u, n in sorted(lost.items())[:10])
            h.fail(f"{len(lost)} acknowledged registrations are not in the file after SIGKILL: {detail}")
        print(f"SIGKILL after {side.ok} acknowledged registrations of {len(acked)} users: "
              f"all in the file ({len(found)} bindings)")

        def body(srv):
            loaded = re.search(r"registrar: (\d+) bindings loaded", srv.log())
            if not loaded or int(loaded.group(1)) != len(found):
                h.fail(f"the restarted server should load {len(found)} bindings:\n{srv.log()}")
            # A lookup through the server: an acknowledged user's binding is
            # used (the relay to SIPp's closed port fails: 500); a user
            # who never registered gets 480.
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.bind((HOST, port + 2))
                for user, want in ((min(acked), 500), ("idle", 480)):
                    msg = (f"INVITE sip:{user}@{HOST}:{port} SIP/2.0\r\n"
                           f"Via: SIP/2.0/UDP {HOST}:{port + 2};branch=z9hG4bK-crash-{user};rport\r\n"
                           f"Max-Forwards: 70\r\nFrom: <sip:x@example.com>;tag=1\r\nTo: <sip:{user}@{HOST}>\r\n"
                           f"Call-ID: crash-{user}@example.com\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n")
                    s.sendto(msg.encode(), (HOST, port))
                    got = h.status_of(h.final_response(s, 5))
                    if got != want:
                        h.fail(f"INVITE for {user} after the restart: expected {want}, got {got}")

        h.serving(binary, [f"udp:{HOST}:{port}"], body, extra=["--db", db, script])
        print("restarted: the bindings loaded and used for routing")


h.run_main(main)
