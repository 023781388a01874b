#!/usr/bin/env python3
"""SIPp against `moonsip run`: the OPTIONS client, INVITE then CANCEL, and a
CANCEL that matches nothing, over one transport. SIPp's exit status is the
verdict (0: every call succeeded; a missing or wrong response, or a failed
check_it, fails the call; -recv_timeout fails it when nothing comes).
Usage: sipp_test.py MOONSIP SIPP_DIR PORT_OFFSET u1|t1"""
import os
import shutil
import subprocess
import sys
import tempfile

import harness as h

CALLS = {"options.xml": 20, "invite_cancel.xml": 10, "cancel_nothing.xml": 5}


def run_sipp(scenario, calls, transport, port, workdir):
    sipp = shutil.which("sipp") or h.fail("sipp not found (Debian package sip-tester)")
    args = [sipp, "127.0.0.1:%d" % port, "-sf", scenario, "-t", transport,
            "-i", "127.0.0.1", "-p", str(port + 1),  # never SIPp's default 5060
            "-m", str(calls), "-r", "50", "-l", "5",
            "-recv_timeout", "2000", "-timeout", "15s", "-timeout_error",
            "-nostdin", "-trace_err", "-trace_logs", "-trace_stat", "-fd", "1",
            "-error_file", os.path.join(workdir, "err.log"),
            "-log_file", os.path.join(workdir, "log.log")]
    try:
        p = subprocess.run(args, cwd=workdir, stdin=subprocess.DEVNULL, capture_output=True,
                           text=True, errors="replace", timeout=30)
    except subprocess.TimeoutExpired:
        h.fail(f"sipp {os.path.basename(scenario)} -t {transport} still running after 30 s")
    if p.returncode != 0:
        errs = ""
        for name in ("err.log", "log.log"):
            path = os.path.join(workdir, name)
            if os.path.exists(path):
                errs += open(path, errors="replace").read()[-3000:]
        h.fail(f"sipp {os.path.basename(scenario)} -t {transport} exited {p.returncode} "
               f"(0 means all {calls} calls successful)\n{p.stdout[-2000:]}\n{p.stderr[-2000:]}\n{errs}")
    print(f"sipp {os.path.basename(scenario)} -t {transport}: {calls} calls successful")


def main():
    binary, sipp_dir, port, transport = sys.argv[1], os.path.abspath(sys.argv[2]), h.ports(int(sys.argv[3])), sys.argv[4]
    proto = {"u1": "udp", "t1": "tcp"}[transport]

    def body(srv):
        with tempfile.TemporaryDirectory(prefix="moonsip-sipp-") as work:
            for scenario, calls in CALLS.items():
                run_sipp(os.path.join(sipp_dir, scenario), calls, transport, port, work)
        if not srv.alive():
            h.fail("server died during the SIPp runs")

    h.serving(binary, [f"{proto}:127.0.0.1:{port}"], body)


h.run_main(main)
