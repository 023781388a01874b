#!/usr/bin/env python3
"""The embedding examples against `moonsip run scripts/default.lua`.
examples/c/register.c registers alice with digest (the default script
challenges, SHA-256 first), stays registered while her binding is in the
server's file with the example's Contact and User-Agent, and on SIGTERM
un-registers: the binding is gone and the example exits 0. A wrong password
makes it exit 1 saying the registration failed.
Usage: examples_test.py MOONSIP EXAMPLES_DIR SOURCE_DIR PORT_OFFSET"""
import os
import signal
import subprocess
import sys
import tempfile
import time

import harness as h

HOST = "127.0.0.1"


def main():
    binary, examples, src, offset = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    port, ua_port = h.ports(offset), h.ports(offset + 1)
    register = os.path.join(examples, "register")
    script = os.path.join(src, "scripts", "default.lua")
    with tempfile.TemporaryDirectory(prefix="moonsip-examples-") as work:
        db = os.path.join(work, "moonsip.db")
        h.user_add(binary, db, f"alice@{HOST}", "in wonderland")

        def body(srv):
            args = [register, f"sip:alice@{HOST}", "in wonderland", f"sip:{HOST}:{port}", "--expires", "120",
                    "--listen", f"udp:{HOST}:{ua_port}"]
            p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            try:
                line = p.stdout.readline()
                if line.strip() != "registered for 120 s":
                    h.fail(f"register printed {line!r}, expected 'registered for 120 s'; stderr: {p.stderr.read()}")
                loc = h.location(binary, db)
                if f"sip:alice@{HOST}\tsip:alice@{HOST}:{ua_port}\t" not in loc or "moonsip-example-register" not in loc:
                    h.fail(f"alice's binding from the example is not in the file:\n{loc}")
                p.send_signal(signal.SIGTERM)
                out, err = p.communicate(timeout=5)
            finally:
                if p.poll() is None:
                    p.kill()
                    p.wait()
            if p.returncode != 0 or out.strip() != "unregistered":
                h.fail(f"after SIGTERM register exited {p.returncode} printing {out!r} ({err!r})")
            deadline = time.monotonic() + 3
            while f"sip:alice@{HOST}:{ua_port}" in h.location(binary, db) and time.monotonic() < deadline:
                time.sleep(0.1)
            if f"sip:alice@{HOST}:{ua_port}" in h.location(binary, db):
                h.fail("alice's binding is still in the file after the example un-registered")
            r = subprocess.run([register, f"sip:alice@{HOST}", "wrong", f"sip:{HOST}:{port}", "--listen",
                                f"udp:{HOST}:{ua_port}"], capture_output=True, text=True, timeout=10)
            if r.returncode != 1 or "registration failed: 401" not in r.stdout:
                h.fail(f"with a wrong password register exited {r.returncode} printing {r.stdout!r}")

        h.serving(binary, [f"udp:{HOST}:{port}"], body, extra=["--db", db, script])


h.run_main(main)
