#!/usr/bin/env python3
"""`moonsip run SCRIPT` against SIPp and raw sockets.

1. scripts/rules.lua answers by method, Request-URI user and a header; a
   SIPp scenario per rule (tests/sipp/lua_*.xml) checks the status line and
   the header fields SIPp sees (ereg check_it), over UDP and TCP at once.
   A runtime error and a handler that returns without answering get 500.
   A request that sleeps in the script does not hold up the next one.
2. Reload: the script file is replaced and SIGHUP sent; new requests get
   the new script's answer while a request already sleeping in the old one
   finishes there; a script with a syntax error is refused ("reload failed"),
   and the previous one keeps answering.
Both servers must exit 0 on SIGTERM with no sanitizer report (harness).
Usage: lua_test.py MOONSIP SIPP_DIR PORT_OFFSET"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

import harness as h

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPTS = os.path.join(HERE, "scripts")

# scenario, Request-URI user (-s), calls
RULES = [
    ("lua_options.xml", "anyone", 5),
    ("lua_message.xml", "anyone", 5),
    ("lua_busy.xml", "busy", 5),
    ("lua_moved.xml", "moved", 5),
    ("lua_slow.xml", "slow", 5),
    ("lua_reject.xml", "anyone", 3),
    ("lua_reject.xml", "busy", 3),    # the header rule comes first
    ("lua_notfound.xml", "nobody", 3),
    ("lua_error.xml", "boom", 3),
    ("lua_error.xml", "silent", 3),
    ("lua_echo.xml", "echo", 3),
]


def run_sipp(scenario, service, calls, transport, port, local_port, workdir):
    sipp = shutil.which("sipp") or h.fail("sipp not found (Debian package sip-tester)")
    name = f"{os.path.basename(scenario)} -s {service} -t {transport}"
    tag = f"{os.path.basename(scenario)}-{service}-{transport}"
    err, log = os.path.join(workdir, tag + ".err"), os.path.join(workdir, tag + ".log")
    args = [sipp, "127.0.0.1:%d" % port, "-sf", scenario, "-s", service, "-t", transport,
            "-i", "127.0.0.1", "-p", str(local_port),
            "-m", str(calls), "-r", "100", "-l", str(calls),
            "-recv_timeout", "2000", "-timeout", "10s", "-timeout_error",
            "-nostdin", "-trace_err", "-trace_logs", "-error_file", err, "-log_file", log]
    try:
        p = subprocess.run(args, cwd=workdir, stdin=subprocess.DEVNULL, capture_output=True,
                           text=True, errors="replace", timeout=20)
    except subprocess.TimeoutExpired:
        h.fail(f"sipp {name} still running after 20 s")
    if p.returncode != 0:
        errs = ""
        for path in (err, log):
            if os.path.exists(path):
                errs += open(path, errors="replace").read()[-3000:]
        h.fail(f"sipp {name} exited {p.returncode} (0 means all {calls} calls successful)\n"
               f"{p.stderr[-1500:]}\n{errs or p.stdout[-1500:]}")
    return f"sipp {name}: {calls} calls successful"


def rules_over_sipp(sipp_dir, port):
    """Every rule over UDP and TCP; the two transports run side by side."""
    with tempfile.TemporaryDirectory(prefix="moonsip-lua-") as work:
        def one_transport(transport, local_port):
            return [run_sipp(os.path.join(sipp_dir, sc), svc, n, transport, port, local_port, work)
                    for sc, svc, n in RULES]
        with ThreadPoolExecutor(2) as pool:
            jobs = [pool.submit(one_transport, "u1", port + 2), pool.submit(one_transport, "t1", port + 3)]
            for j in jobs:
                for line in j.result():
                    print(line)


# --- raw requests ----------------------------------------------------------

_n = [0]


def request(port, user, method="OPTIONS", transport="udp", headers=""):
    _n[0] += 1
    n = _n[0]
    return (f"{method} sip:{user}@127.0.0.1:{port} SIP/2.0\r\n"
            f"Via: SIP/2.0/{transport.upper()} 127.0.0.1:9;branch=z9hG4bK-lua-{os.getpid()}-{n};rport\r\n"
            f"Max-Forwards: 70\r\n"
            f"From: <sip:tester@example.com>;tag=t{n}\r\n"
            f"To: <sip:{user}@127.0.0.1>\r\n"
            f"Call-ID: lua-{os.getpid()}-{n}@example.com\r\n"
            f"CSeq: {n} {method}\r\n"
            f"{headers}"
            f"Content-Length: 0\r\n\r\n").encode()


def header(msg, name):
    m = re.search(rb"\r\n" + name.encode() + rb"[ \t]*:[ \t]*([^\r\n]*)", msg, re.I)
    return m.group(1).decode() if m else None


def udp_socket():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    return s


def recv_answer(s, deadline):
    """The next final answer on a UDP socket, or None at the deadline."""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        s.settimeout(left)
        try:
            data = s.recv(65535)
        except socket.timeout:
            return None
        if (h.status_of(data) or 0) >= 200:
            return data


def ask(port, user, what):
    """One OPTIONS over UDP; returns the final answer (fails after 2 s)."""
    with udp_socket() as s:
        s.sendto(request(port, user), ("127.0.0.1", port))
        resp = recv_answer(s, time.monotonic() + 2)
    if resp is None:
        h.fail(f"{what}: no answer within 2 s")
    return resp


def slow_does_not_block(port):
    """A request sleeping in the script (0.2 s) does not hold up the next:
    the echo sent after it is answered first, and the slow one after >= 0.2 s."""
    with udp_socket() as slow, udp_socket() as fast:
        t0 = time.monotonic()
        slow.sendto(request(port, "slow"), ("127.0.0.1", port))
        fast.sendto(request(port, "echo"), ("127.0.0.1", port))
        f = recv_answer(fast, t0 + 2)
        tf = time.monotonic() - t0
        s = recv_answer(slow, t0 + 2)
        ts = time.monotonic() - t0
    if f is None or h.status_of(f) != 200 or s is None or h.status_of(s) != 200:
        h.fail(f"slow/echo pair: got {f and f[:40]!r} and {s and s[:40]!r}, expected two 200s")
    if tf > 0.15 or ts < 0.19:
        h.fail(f"the echo came after {tf:.3f} s (expected at once) and the slow answer after "
               f"{ts:.3f} s (expected >= 0.2 s): a sleeping script held up the loop?")
    print(f"slow request answered after {ts:.3f} s; the request sent after it after {tf:.3f} s")


def rules_phase(binary, sipp_dir, port):
    def body(srv):
        rules_over_sipp(sipp_dir, port)
        slow_does_not_block(port)
        if not srv.alive():
            h.fail("server died during the SIPp runs")
        log = srv.log()
        # 'boom' and 'silent', 3 calls each over 2 transports
        fails = log.count("the script failed: answered 500")
        if fails < 6 or "attempt to index" not in log or "rules.lua:" not in log:
            h.fail(f"expected the runtime error logged with its place in rules.lua ({fails} seen):\n"
                   f"{log[-3000:]}")
        if log.count("returned without answering: answered 500") < 6:
            h.fail(f"expected a line for each request whose handler returned without answering:\n"
                   f"{log[-3000:]}")

    h.serving(binary, [f"udp:127.0.0.1:{port}", f"tcp:127.0.0.1:{port}"], body,
              extra=[os.path.join(SCRIPTS, "rules.lua")])


# --- reload ------------------------------------------------------------------

def version_of(resp):
    return h.status_of(resp), header(resp, "X-Version")


def reload_phase(binary, port):
    with tempfile.TemporaryDirectory(prefix="moonsip-lua-reload-") as work:
        script = os.path.join(work, "routing.lua")

        def install(name):
            # a new file renamed over the old, as editors and deploy tools do
            shutil.copy(os.path.join(SCRIPTS, name), script + ".new")
            os.rename(script + ".new", script)

        def wait_log(srv, text, count):
            deadline = time.monotonic() + 2
            while srv.log().count(text) < count:
                if time.monotonic() > deadline:
                    h.fail(f"no '{text}' in the log 2 s after SIGHUP:\n{srv.log()[-2000:]}")
                time.sleep(0.02)

        install("reload_a.lua")

        def body(srv):
            got = version_of(ask(port, "anyone", "script A"))
            if got != (200, "A"):
                h.fail(f"script A: got {got}, expected (200, 'A')")
            # A request that sleeps 0.3 s in A, then the reload to B.
            with udp_socket() as slow:
                t0 = time.monotonic()
                slow.sendto(request(port, "slow"), ("127.0.0.1", port))
                time.sleep(0.05)
                install("reload_b.lua")
                srv.proc.send_signal(signal.SIGHUP)
                wait_log(srv, "reloaded", 1)
                t_reload = time.monotonic() - t0
                got = version_of(ask(port, "anyone", "script B"))
                if got != (480, "B"):
                    h.fail(f"after reload to B: got {got}, expected (480, 'B')")
                old = recv_answer(slow, time.monotonic() + 2)
                if old is None or version_of(old) != (200, "A"):
                    h.fail(f"the request sleeping in A during the reload got {old and old[:60]!r}, "
                           f"expected 200 with X-Version: A")
                t_old = time.monotonic() - t0
                if t_old < 0.28 or t_reload > 0.25:
                    h.fail(f"reloaded after {t_reload:.3f} s, the slow request answered after "
                           f"{t_old:.3f} s: it was not in flight during the reload (A sleeps 0.3 s)")
            print("reload: A answered, then B; a request in flight finished on A")
            install("reload_bad.lua")
            srv.proc.send_signal(signal.SIGHUP)
            wait_log(srv, "reload failed", 1)
            log = srv.log()
            if not re.search(r"reload failed.*routing\.lua:5:.*'\)' expected", log):
                h.fail(f"the failed reload should name the file, line and error:\n{log[-2000:]}")
            for i in range(3):
                got = version_of(ask(port, "anyone", "script B after a bad reload"))
                if got != (480, "B"):
                    h.fail(f"after a reload with a syntax error: got {got}, expected B's (480, 'B')")
            print("reload with a syntax error: refused and logged, B still answers")

        h.serving(binary, [f"udp:127.0.0.1:{port}"], body, extra=[script])


def main():
    binary, sipp_dir, port = sys.argv[1], os.path.abspath(sys.argv[2]), h.ports(int(sys.argv[3]))
    t0 = time.monotonic()
    rules_phase(binary, sipp_dir, port)
    reload_phase(binary, port + 5)
    print(f"done in {time.monotonic() - t0:.1f} s")


h.run_main(main)
