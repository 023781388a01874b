#!/usr/bin/env python3
"""moonsip run as a program: clean exit on SIGTERM and SIGINT, a clear
error for a port in use and for an unknown option.
Usage: server_test.py MOONSIP PORT_OFFSET"""
import signal
import socket
import subprocess
import sys
import time

import harness as h


def stops_on(binary, port, sig):
    srv = h.Server(binary, [f"udp:127.0.0.1:{port}", f"tcp:127.0.0.1:{port}"]).start()
    try:
        h.check_options("127.0.0.1", port)
    except h.Failure:
        srv.kill()
        raise
    t0 = time.monotonic()
    srv.stop(sig)  # fails unless exit 0 with no sanitizer report
    took = time.monotonic() - t0
    if took > 2.0:
        h.fail(f"took {took:.1f} s to exit after signal {sig}, expected about 1 s")


def port_in_use(binary, port):
    for proto, kind in (("udp", socket.SOCK_DGRAM), ("tcp", socket.SOCK_STREAM)):
        with socket.socket(socket.AF_INET, kind) as blocker:
            blocker.bind(("127.0.0.1", port))
            if kind == socket.SOCK_STREAM:
                blocker.listen(1)
            spec = f"{proto}:127.0.0.1:{port}"
            try:
                p = subprocess.run([binary, "run", "--listen", spec], stdin=subprocess.DEVNULL,
                                   capture_output=True, text=True, timeout=5)
            except subprocess.TimeoutExpired:
                h.fail(f"{spec} in use: still running after 5 s, expected an error exit")
            if p.returncode == 0:
                h.fail(f"{spec} in use: exit 0, expected non-zero")
            if f"127.0.0.1:{port}" not in p.stderr:
                h.fail(f"{spec} in use: stderr does not name the address: {p.stderr!r}")
            bad = [m for m in h.SANITIZER_MARKS if m in p.stderr]
            if bad:
                h.fail(f"{spec} in use: sanitizer report:\n{p.stderr}")


def unknown_option(binary):
    try:
        p = subprocess.run([binary, "run", "--no-such-option", "x"], stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=5)
    except subprocess.TimeoutExpired:
        h.fail("unknown option: still running after 5 s, expected exit 2")
    if p.returncode != 2:
        h.fail(f"unknown option: exit {p.returncode}, expected 2")
    if "--no-such-option" not in p.stderr:
        h.fail(f"unknown option: stderr does not name it: {p.stderr!r}")


def main():
    binary, port = sys.argv[1], h.ports(int(sys.argv[2]))
    stops_on(binary, port, signal.SIGTERM)
    stops_on(binary, port, signal.SIGINT)
    port_in_use(binary, port)
    unknown_option(binary)


h.run_main(main)
