#!/usr/bin/env python3
"""Interop with baresip (Debian's baresip-core, a SIP client no one here
wrote) through `moonsip run scripts/default.lua`, all on 127.0.0.1:
- baresip registers alice with digest: her binding is in the server's file
  with baresip's Contact and User-Agent while it runs.
- baresip calls bob, who is echo-uas (examples/c/echo-uas.c): the call is
  established, baresip's audio (a 440 Hz tone from a WAV) is echoed, and
  what baresip decoded of what came back (its sndfile dump) is that tone,
  not silence; after baresip hangs up echo-uas says the remote ended the
  call and counts the packets it echoed.
- carol, a moonsip Lua UA (examples/lua/call.lua), calls alice; baresip
  answers on its own (answermode=auto) and sends its tone: call.lua sees the
  call answered and receives RTP, hangs up, and baresip logs the call
  established and closed.
baresip 1.0 (Debian 12) gives up on a 401/407 that offers SHA-256 at all
("Function not implemented" from its digest code), even next to MD5, so
the server runs with MOONSIP_DIGEST=MD5 here, as the README says for it.
Usage: baresip_test.py MOONSIP EXAMPLES_DIR LUA_MODULE_DIR SOURCE_DIR PORT_OFFSET
(LUA_MODULE_DIR "-": without the Lua UA's call, for sanitizer builds)"""
import math
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import wave

import echo_uas_test as eu
import harness as h

HOST = "127.0.0.1"
PASSWORDS = {"alice": "b4resip", "bob": "echo", "carol": "c4ll"}


def tone_wav(path, seconds=20):
    """8 kHz mono 16-bit: a 440 Hz tone at about a quarter of full scale."""
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / 8000)))
                               for i in range(8000 * seconds)))


def loud_samples(path):
    """How many samples of a 16-bit WAV are louder than 1000."""
    with wave.open(path, "rb") as w:
        data = w.readframes(w.getnframes())
    return sum(1 for x in struct.unpack(f"<{len(data) // 2}h", data) if abs(x) > 1000)


class Baresip:
    """baresip with a configuration directory of its own: SIP on 'sip_port',
    RTP in a range of its own, audio from a WAV, played into nothing (the
    aubridge module), and what it encodes and decodes written to WAV files
    by sndfile. Commands come from -e; -t bounds its life."""

    def __init__(self, work, server_port, sip_port, rtp_port):
        self.exe = shutil.which("baresip") or h.fail("baresip not found (Debian package baresip-core)")
        self.dir = os.path.join(work, "baresip")
        self.snd = os.path.join(self.dir, "snd")
        os.makedirs(self.snd, exist_ok=True)
        tone = os.path.join(self.dir, "tone.wav")
        tone_wav(tone)
        modules = "/usr/lib/baresip/modules"
        with open(os.path.join(self.dir, "config"), "w") as f:
            f.write(f"poll_method epoll\nsip_listen {HOST}:{sip_port}\ncall_local_timeout 20\n"
                    f"audio_player aubridge,nowhere\naudio_source aufile,{tone}\naudio_alert aubridge,nowhere\n"
                    f"rtp_ports {rtp_port}-{rtp_port + 9}\nmodule_path {modules}\n"
                    "module g711.so\nmodule aufile.so\nmodule aubridge.so\nmodule sndfile.so\n"
                    f"snd_path {self.snd}\nmodule_tmp account.so\nmodule_app menu.so\n")
        # The AOR carries the server's port: without it baresip would
        # register at port 5060. answermode=auto: it answers calls itself.
        with open(os.path.join(self.dir, "accounts"), "w") as f:
            f.write(f"<sip:alice@{HOST}:{server_port}>;auth_pass={PASSWORDS['alice']};regint=600;"
                    "answermode=auto;audio_codecs=PCMU\n")
        self.proc = None
        self.log = os.path.join(work, "baresip.log")

    def start(self, seconds, commands=()):
        args = [self.exe, "-n", HOST, "-f", self.dir, "-t", str(seconds)]
        for c in commands:
            args += ["-e", c]
        self.out = open(self.log, "w")
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=self.out, stderr=subprocess.STDOUT)

    def text(self):
        with open(self.log, errors="replace") as f:
            return f.read()

    def wait_for(self, pattern, timeout):
        deadline = time.monotonic() + timeout
        while not re.search(pattern, self.text()):
            if time.monotonic() > deadline or self.proc.poll() is not None and not re.search(pattern, self.text()):
                h.fail(f"baresip did not log {pattern!r} within {timeout} s:\n{self.text()[-3000:]}")
            time.sleep(0.05)

    def wait(self, timeout):
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            h.fail(f"baresip still running {timeout} s after its -t limit")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=3)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self.out.close()


def wait_binding(binary, db, pattern, timeout=5):
    deadline = time.monotonic() + timeout
    while not re.search(pattern, h.location(binary, db)):
        if time.monotonic() > deadline:
            h.fail(f"no binding matching {pattern!r} in the file:\n{h.location(binary, db)}")
        time.sleep(0.05)
    return h.location(binary, db)


def main():
    binary, examples, module_dir, src, offset = sys.argv[1:6]
    offset = int(offset)
    port, bs_port, echo_port, call_port = (h.ports(offset + i) for i in range(4))
    rtp_port = h.ports(offset + 10)  # to offset + 19
    script = os.path.join(src, "scripts", "default.lua")
    os.environ["MOONSIP_DIGEST"] = "MD5"  # see the docstring: baresip 1.0 and SHA-256
    with tempfile.TemporaryDirectory(prefix="moonsip-baresip-") as work:
        db = os.path.join(work, "moonsip.db")
        for user, pw in PASSWORDS.items():
            h.user_add(binary, db, f"{user}@{HOST}", pw)
        bs = Baresip(work, port, bs_port, rtp_port)

        def baresip_calls_echo():
            echo = eu.Example([os.path.join(examples, "echo-uas"), f"sip:bob@{HOST}", PASSWORDS["bob"],
                               f"sip:{HOST}:{port}", "--listen", f"udp:{HOST}:{echo_port}", "--calls", "1"])
            try:
                echo.expect(r"registered for \d+ s")
                bs.start(6, [f"/dial sip:bob@{HOST}:{port}"])
                bs.wait_for(r"Call established", 10)
                loc = wait_binding(binary, db, rf"sip:alice@{re.escape(HOST)}\tsip:alice-[^\t]*@{re.escape(HOST)}:"
                                   rf"{bs_port}\t.*ua=baresip")
                echo.expect(rf"call from .*sip:alice@{re.escape(HOST)}:{port}.* answered")
                if bs.wait(10) != 0:
                    h.fail(f"baresip exited non-zero:\n{bs.text()[-2000:]}")
                line = echo.expect(r"call ended remote: echoed \d+ packets", timeout=5)
                echoed = int(re.findall(r"\d+", line)[0])
                if echoed < 50:
                    h.fail(f"echo-uas echoed only {echoed} packets of baresip's call: {line}")
                if not re.search(r"Call with sip:bob@.* terminated", bs.text()):
                    h.fail(f"baresip did not log the call's end:\n{bs.text()[-2000:]}")
                dumps = [f for f in os.listdir(bs.snd) if f.endswith("-dec.wav")]
                if len(dumps) != 1:
                    h.fail(f"baresip's sndfile dumps: {os.listdir(bs.snd)}")
                loud = loud_samples(os.path.join(bs.snd, dumps[0]))
                if loud < 8000:  # a second of the echoed tone
                    h.fail(f"what baresip decoded of the echo is silence ({loud} loud samples)")
                echo.expect(r"unregistered")
                echo.wait(5)
                return loc
            finally:
                bs.stop()
                echo.kill()

        def lua_calls_baresip():
            bs.start(15)
            c = None
            try:
                wait_binding(binary, db, rf"sip:alice@{re.escape(HOST)}\t.*:{bs_port}\t", timeout=10)
                c = eu.Example([shutil.which("luajit") or h.fail("luajit not found"),
                                os.path.join(src, "examples", "lua", "call.lua"), f"sip:carol@{HOST}",
                                PASSWORDS["carol"], f"sip:alice@{HOST}:{port}", "--proxy", f"sip:{HOST}:{port}",
                                "--listen", f"udp:{HOST}:{call_port}", "--seconds", "2"])
                c.expect(r"(ringing 18\d|answered)", timeout=10)
                if c.seen[-1] != "answered":
                    c.expect(r"answered", timeout=10)
                line = c.expect(r"sent \d+ packets, received \d+", timeout=10)
                sent, received = map(int, re.findall(r"\d+", line))
                if sent < 50 or received < 20:
                    h.fail(f"call.lua to baresip: {line}")
                c.expect(r"hung up")
                if c.wait(5) != 0:
                    h.fail("call.lua exited non-zero after an answered call")
                bs.wait_for(r"Call established", 5)
                bs.wait_for(r"terminated|closed", 5)
            finally:
                if c:
                    c.kill()
                bs.stop()

        def body(srv):
            baresip_calls_echo()
            if module_dir != "-":  # sanitizer builds: no Lua module luajit can load
                lua_calls_baresip()

        os.environ["LUA_CPATH"] = f"{module_dir}/?.so;;"
        h.serving(binary, [f"udp:{HOST}:{port}"], body, extra=["--db", db, script])
    print("ok: baresip registered (MD5), called echo-uas and heard its tone back; call.lua called baresip")


if __name__ == "__main__":
    h.run_main(main)
