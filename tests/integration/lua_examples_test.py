#!/usr/bin/env python3
"""The Lua examples (examples/lua/call.lua, b2bua.lua) against
`moonsip run scripts/default.lua` and against SIPp and the C example
echo-uas, all on 127.0.0.1:
- b2bua.lua registers as bob (digest; the binding is in the file with its
  User-Agent) and bridges bob's calls to a SIPp UAS (-rtp_echo). call.lua,
  as alice, calls bob through the proxy (answering its 407): SIPp rings and
  answers, call.lua prints "ringing 180", "answered", sends RTP that SIPp
  echoes back (received > 0), hangs up; b2bua prints the call bridged and
  ended by the caller, SIPp exits 0 (one call, BYE received), and after
  --calls 1 b2bua un-registers (binding gone) and exits 0.
- The same with a SIPp UAS that answers 486: call.lua prints
  "failed: 486" and exits 1.
- call.lua calls carol, who is echo-uas (the C example), playing a G.711
  WAV file: echo-uas echoed what call.lua sent (all but the packet or two
  in flight at the hangup), and call.lua received them.
- call.lua refuses a WAV that is not G.711 with a reason, exit 1 and no
  call.
Usage: lua_examples_test.py MOONSIP EXAMPLES_DIR LUA_MODULE_DIR SOURCE_DIR PORT_OFFSET"""
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time

import echo_uas_test as eu
import harness as h

HOST = "127.0.0.1"
PASSWORDS = {"alice": "w0nder-land", "bob": "b2b.ua", "carol": "echo"}


class Lua(eu.Example):
    """A Lua example under luajit, its lines read with deadlines."""

    def __init__(self, module_dir, script, args):
        os.environ["LUA_CPATH"] = f"{module_dir}/?.so;;"
        luajit = shutil.which("luajit") or h.fail("luajit not found")
        super().__init__([luajit, script] + args)


def sipp_uas(workdir, port, media_port, scenario=None):
    sipp = shutil.which("sipp") or h.fail("sipp not found (Debian package sip-tester)")
    args = [sipp, "-i", HOST, "-p", str(port), "-m", "1", "-timeout", "20s", "-nostdin", "-mi", HOST, "-mp", str(media_port), "-rtp_echo"]
    args += ["-sf", scenario] if scenario else ["-sn", "uas"]
    return subprocess.Popen(args, cwd=workdir, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)


def wait_sipp(p, what):
    try:
        p.wait(timeout=20)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        h.fail(f"SIPp ({what}) still running after 20 s")
    if p.returncode != 0:
        h.fail(f"SIPp ({what}) exited {p.returncode} (0: its one call successful): {p.stderr.read()[-2000:]}")


def wait_binding(binary, db, contact, present):
    deadline = time.monotonic() + 5
    while (contact in h.location(binary, db)) != present and time.monotonic() < deadline:
        time.sleep(0.05)
    loc = h.location(binary, db)
    if (contact in loc) != present:
        h.fail(f"binding {contact} {'missing from' if present else 'still in'} the file:\n{loc}")
    return loc


def ulaw_wav(path, frames):
    """A WAV of 8 kHz mono mu-law (format 7): 'frames' bytes of a ramp."""
    data = bytes((i * 7) & 0xFF for i in range(frames))
    fmt = struct.pack("<HHIIHH", 7, 1, 8000, 8000, 1, 8)
    with open(path, "wb") as f:
        f.write(b"RIFF" + struct.pack("<I", 4 + 8 + len(fmt) + 8 + len(data)) + b"WAVE")
        f.write(b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data)) + data)


def pcm_wav(path):
    import wave
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\0\0" * 800)


def main():
    binary, examples, module_dir, src, offset = sys.argv[1:6]
    offset = int(offset)
    port, b2b_port, uas_port, call_port, echo_port = (h.ports(offset + i) for i in range(5))
    uas_media = h.ports(offset + 6)  # and the next one (RTCP)
    call_lua = os.path.join(src, "examples", "lua", "call.lua")
    b2bua_lua = os.path.join(src, "examples", "lua", "b2bua.lua")
    script = os.path.join(src, "scripts", "default.lua")
    proxy = f"sip:{HOST}:{port}"
    with tempfile.TemporaryDirectory(prefix="moonsip-lua-examples-") as work:
        db = os.path.join(work, "moonsip.db")
        for user, pw in PASSWORDS.items():
            h.user_add(binary, db, f"{user}@{HOST}", pw)

        def call(target, extra=()):
            return Lua(module_dir, call_lua, [f"sip:alice@{HOST}", PASSWORDS["alice"], target, "--proxy", proxy,
                                              "--listen", f"udp:{HOST}:{call_port}"] + list(extra))

        def b2bua():
            """b2bua.lua registered as bob, bridging one call to the SIPp UAS."""
            return Lua(module_dir, b2bua_lua, ["--to", f"sip:service@{HOST}:{uas_port}", "--listen",
                                               f"udp:{HOST}:{b2b_port}", "--register", proxy, "--aor",
                                               f"sip:bob@{HOST}", "--password", PASSWORDS["bob"], "--calls", "1"])

        def bridged_call():
            uas = sipp_uas(work, uas_port, uas_media)
            b2b = b2bua()
            c = None
            try:
                b2b.expect(r"registered for 300 s")
                loc = wait_binding(binary, db, f"sip:bob@{HOST}:{b2b_port}", True)
                if "moonsip-example-b2bua" not in loc:
                    h.fail(f"bob's binding lacks the b2bua's User-Agent:\n{loc}")
                c = call(f"sip:bob@{HOST}:{port}", ["--seconds", "1"])
                c.expect(r"ringing 180")
                c.expect(r"answered")
                line = c.expect(r"sent \d+ packets, received \d+")
                sent, received = map(int, re.findall(r"\d+", line))
                if sent < 20 or received < 10:
                    h.fail(f"call.lua through the b2bua to SIPp's echo: {line}")
                c.expect(r"hung up")
                if c.wait(5) != 0:
                    h.fail("call.lua exited non-zero after an answered call")
                b2b.expect(rf"call from .*sip:alice@{re.escape(HOST)}.*")
                b2b.expect(r"bridged")
                b2b.expect(r"ended by the caller")
                b2b.expect(r"unregistered")
                if b2b.wait(5) != 0:
                    h.fail("b2bua.lua exited non-zero after --calls 1")
                wait_sipp(uas, "UAS behind the b2bua")
                wait_binding(binary, db, f"sip:bob@{HOST}:{b2b_port}", False)
            finally:
                for p in (c, b2b):
                    if p:
                        p.kill()
                if uas.poll() is None:
                    uas.kill()
                    uas.wait()

        def busy_call():
            busy = os.path.join(src, "tests", "sipp", "uas-busy.xml")
            uas = sipp_uas(work, uas_port, uas_media, busy)
            b2b = b2bua()
            c = None
            try:
                b2b.expect(r"registered for 300 s")
                c = call(f"sip:bob@{HOST}:{port}")
                c.expect(r"failed: 486")
                if c.wait(5) != 1:
                    h.fail("call.lua did not exit 1 after a failed call")
                b2b.expect(r"call from .*")
                b2b.expect(rf"to sip:service@{re.escape(HOST)}:{uas_port}: 486")
                b2b.expect(r"unregistered")
                b2b.wait(5)
                uas.wait(timeout=20)
            finally:
                for p in (c, b2b):
                    if p:
                        p.kill()
                if uas.poll() is None:
                    uas.kill()
                    uas.wait()

        def echo_call():
            wav = os.path.join(work, "ramp.wav")
            ulaw_wav(wav, 8000)
            echo = eu.Example([os.path.join(examples, "echo-uas"), f"sip:carol@{HOST}", PASSWORDS["carol"], proxy,
                               "--listen", f"udp:{HOST}:{echo_port}", "--calls", "1"])
            c = None
            try:
                echo.expect(r"registered for \d+ s")
                c = call(f"sip:carol@{HOST}:{port}", ["--seconds", "1", "--play", wav])
                c.expect(r"ringing 180")
                c.expect(r"answered")
                line = c.expect(r"sent \d+ packets, received \d+")
                sent, received = map(int, re.findall(r"\d+", line))
                c.expect(r"hung up")
                c.wait(5)
                echo.expect(r"call from .* answered")
                eline = echo.expect(r"call ended remote: echoed \d+ packets")
                echoed = int(re.findall(r"\d+", eline)[0])
                if sent < 20 or not sent - 2 <= echoed <= sent or received < echoed - 2:
                    h.fail(f"call.lua -> echo-uas: {line}; echo-uas: {eline}")
                echo.expect(r"unregistered")
                echo.wait(5)
            finally:
                for p in (c, echo):
                    if p:
                        p.kill()

        def bad_wav():
            wav = os.path.join(work, "pcm.wav")
            pcm_wav(wav)
            c = call(f"sip:carol@{HOST}:{port}", ["--play", wav])
            try:
                rc = c.wait(5)
                if rc == 0 or "8 kHz mono G.711" not in c.stderr():
                    h.fail(f"call.lua with a PCM WAV exited {rc}: {c.stderr()}")
            finally:
                c.kill()

        def body(srv):
            bridged_call()
            busy_call()
            echo_call()
            bad_wav()

        h.serving(binary, [f"udp:{HOST}:{port}"], body, extra=["--db", db, script])
    print("ok: b2bua.lua registered and bridged call.lua to SIPp (RTP echoed), passed on a 486; "
          "call.lua played a WAV to echo-uas and got it back; a PCM WAV refused")


if __name__ == "__main__":
    h.run_main(main)
