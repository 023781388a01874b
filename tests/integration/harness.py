"""Shared pieces of the integration tests: start `moonsip run` on loopback
ports, probe it with OPTIONS, stop it by its PID and check how it ended.

Every wait here has a deadline; a test fails (exit 1) on the first broken
expectation, with a line saying what was expected and what came."""
import atexit
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

# A server run without --db keeps its registrar file in the data directory:
# one of the test's own, never the machine's /var/lib/moonsip.
if "MOONSIP_DATA_DIR" not in os.environ:
    os.environ["MOONSIP_DATA_DIR"] = tempfile.mkdtemp(prefix="moonsip-data-")
    atexit.register(shutil.rmtree, os.environ["MOONSIP_DATA_DIR"], True)

SANITIZER_MARKS = ("ERROR: AddressSanitizer", "runtime error:", "LeakSanitizer")


class Failure(Exception):
    pass


def fail(msg):
    raise Failure(msg)


def run_main(fn):
    """Runs fn(); exit 0 when it returns, 1 with the reason when it fails."""
    try:
        fn()
    except Failure as e:
        print("FAIL:", e, file=sys.stderr)
        sys.exit(1)
    print("ok")


def port_free(host, port, kinds=(socket.SOCK_DGRAM, socket.SOCK_STREAM)):
    """Nothing listens on host:port for any of these socket kinds."""
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    for kind in kinds:
        s = socket.socket(fam, kind)
        try:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((host, port))
        except OSError:
            return False
        finally:
            s.close()
    return True


class Server:
    """`moonsip run` with the given listeners; stderr goes to a file that
    stop() scans for sanitizer reports."""

    def __init__(self, binary, listens, log_level="info", extra=()):
        self.binary = binary
        self.listens = listens
        self.log_level = log_level
        self.extra = list(extra)
        self.proc = None
        self.err = tempfile.NamedTemporaryFile(prefix="moonsip-integ-", suffix=".log", delete=False)

    def start(self):
        for spec in self.listens:
            _, host, port = parse_listen(spec)
            if not port_free(host, port):
                fail(f"port {host}:{port} is already in use (set MS_INTEG_PORT_BASE)")
        args = [self.binary, "run", "--log-level", self.log_level] + self.extra
        for spec in self.listens:
            args += ["--listen", spec]
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self.err)
        deadline = time.monotonic() + 5
        while "running" not in self.log():
            if self.proc.poll() is not None:
                fail(f"server exited with {self.proc.returncode} at start:\n{self.log()}")
            if time.monotonic() > deadline:
                fail(f"server not running after 5 s:\n{self.log()}")
            time.sleep(0.02)
        return self

    def log(self):
        with open(self.err.name, "r", errors="replace") as f:
            return f.read()

    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM):
        """Sends sig, waits up to 3 s; fails unless it exits 0 with no
        sanitizer report. Returns the log."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=3)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                fail(f"server did not exit within 3 s of signal {sig}")
        log = self.log()
        os.unlink(self.err.name)
        bad = [m for m in SANITIZER_MARKS if m in log]
        if bad:
            fail(f"sanitizer report in the server's stderr ({', '.join(bad)}):\n{log[-6000:]}")
        if self.proc.returncode != 0:
            fail(f"server exited with {self.proc.returncode} after signal {sig}, not 0:\n{log[-3000:]}")
        return log

    def kill(self):
        """For cleanup after a failure: no checks."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def serving(binary, listens, body, log_level="info", extra=()):
    """Starts a server, runs body(server), stops it with SIGTERM and checks
    the exit; the server is killed if body fails."""
    srv = Server(binary, listens, log_level, extra).start()
    try:
        body(srv)
    except BaseException:
        sys.stderr.write("--- server log (tail) ---\n" + srv.log()[-4000:] + "\n")
        srv.kill()
        raise
    srv.stop()


def location(binary, db):
    """`moonsip location --db DB`: the bindings in the file, a line each."""
    p = subprocess.run([binary, "location", "--db", db], capture_output=True, text=True, timeout=10)
    if p.returncode != 0:
        fail(f"moonsip location exited {p.returncode}: {p.stderr}")
    return p.stdout


def user_add(binary, db, who, password):
    """`moonsip user add USER@REALM --password P --db DB`."""
    p = subprocess.run([binary, "user", "add", who, "--password", password, "--db", db],
                       capture_output=True, text=True, timeout=10)
    if p.returncode != 0:
        fail(f"moonsip user add {who} exited {p.returncode}: {p.stderr}")


def parse_listen(spec):
    m = re.fullmatch(r"(udp|tcp|tls):\[?([^\]]*?)\]?:(\d+)", spec)
    return m.group(1), m.group(2), int(m.group(3))


def ports(base_offset):
    """The test's port: MS_INTEG_PORT_BASE (default 21000) + its offset."""
    return int(os.environ.get("MS_INTEG_PORT_BASE", "21000")) + base_offset


# --- SIP over sockets ----------------------------------------------------

_seq = [0]


def options(host, port, transport, branch=None):
    """An OPTIONS that asks for rport, so the answer comes back to us."""
    _seq[0] += 1
    n = _seq[0]
    branch = branch or f"z9hG4bK-probe-{os.getpid()}-{n}"
    target = f"[{host}]" if ":" in host else host
    return (f"OPTIONS sip:probe@{target}:{port} SIP/2.0\r\n"
            f"Via: SIP/2.0/{transport.upper()} {target}:9;branch={branch};rport\r\n"
            f"Max-Forwards: 70\r\n"
            f"From: <sip:probe@example.com>;tag=p{n}\r\n"
            f"To: <sip:probe@{target}>\r\n"
            f"Call-ID: probe-{os.getpid()}-{n}@example.com\r\n"
            f"CSeq: {n} OPTIONS\r\n"
            f"Content-Length: 0\r\n\r\n").encode()


def status_of(data):
    m = re.match(rb"SIP/2\.0 (\d{3}) ", data)
    return int(m.group(1)) if m else None


def final_response(sock, timeout=3.0):
    """The first final response to arrive on a UDP socket (provisionals
    skipped); fails after 'timeout' seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            data = sock.recv(65536)
        except socket.timeout:
            break
        st = status_of(data)
        if st and st >= 200:
            return data
    fail(f"no final response within {timeout} s")


def read_message(sock, deadline, buf=b""):
    """Reads one SIP message (framed by Content-Length) from a stream.
    Returns (message, rest); message is None on timeout or close."""
    while True:
        head_end = buf.find(b"\r\n\r\n")
        if head_end >= 0:
            m = re.search(rb"\r\n(?:content-length|l)[ \t]*:[ \t]*(\d+)", buf[:head_end], re.I)
            total = head_end + 4 + (int(m.group(1)) if m else 0)
            if len(buf) >= total:
                return buf[:total], buf[total:]
        left = deadline - time.monotonic()
        if left <= 0:
            return None, buf
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            return None, buf
        except ConnectionError:
            return None, buf
        if not chunk:
            return None, buf
        buf += chunk


def check_options(host, port, transports=("udp", "tcp")):
    """The server answers OPTIONS with 200 over each transport, and marks
    the top Via as RFC 3581 asks: received (the sent-by is not the source)
    and rport filled with the source port."""
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    for t in transports:
        req = options(host, port, t)
        kind = socket.SOCK_DGRAM if t == "udp" else socket.SOCK_STREAM
        with socket.socket(fam, kind) as s:
            s.settimeout(1.0)
            try:
                if t == "udp":
                    s.sendto(req, (host, port))
                    resp = s.recv(65535)
                else:
                    s.connect((host, port))
                    s.sendall(req)
                    resp, _ = read_message(s, time.monotonic() + 1.0)
            except (socket.timeout, ConnectionError):
                resp = None
            src_port = s.getsockname()[1]
        if resp is None:
            fail(f"no answer to OPTIONS over {t} {host}:{port} within 1 s")
        if status_of(resp) != 200:
            fail(f"OPTIONS over {t} got {resp[:60]!r}, expected 200")
        via = _header(resp, rb"via|v") or b""
        if f";received={host}".encode() not in via or f";rport={src_port}".encode() not in via:
            fail(f"OPTIONS over {t}: top Via {via!r}, expected ;received={host} and ;rport={src_port}")


def wait_closed(sock, seconds):
    """True when the peer closes (or resets) the connection within
    'seconds'; any bytes that arrive first are returned too."""
    deadline = time.monotonic() + seconds
    got = b""
    first = True  # look at least once, even when the deadline has passed
    while first or time.monotonic() < deadline:
        first = False
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            break
        except ConnectionError:
            return True, got
        if not chunk:
            return True, got
        got += chunk
    return False, got


def vm_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class UdpSniffer:
    """Every UDP payload the server sends from (host, port), wherever it
    goes: responses follow the Via (RFC 3261 18.2.2), so a torture message
    sent as-is gets its answer at the sent-by port, not at our socket. A raw
    IP socket gets a copy of each UDP datagram delivered on this host (and
    no TCP, which other tests may be flooding lo with). Needs CAP_NET_RAW."""

    def __init__(self, host, port):
        self.port = port
        self.v6 = ":" in host
        self.src = socket.inet_pton(socket.AF_INET6 if self.v6 else socket.AF_INET, host)
        try:
            self.sock = socket.socket(socket.AF_INET6 if self.v6 else socket.AF_INET, socket.SOCK_RAW,
                                      socket.IPPROTO_UDP)
        except PermissionError:
            fail("capturing the server's UDP answers needs CAP_NET_RAW (run as root)")
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
        self.sock.setblocking(False)

    def close(self):
        self.sock.close()

    def _payload(self, packet, addr):
        """The UDP payload if the server sent it. IPv4 raw sockets hand over
        the IP header too; IPv6 ones start at the UDP header."""
        if self.v6:
            src, udp = socket.inet_pton(socket.AF_INET6, addr[0].split("%")[0]), packet
        else:
            src, udp = packet[12:16], packet[(packet[0] & 15) * 4:]
        if src != self.src or int.from_bytes(udp[0:2], "big") != self.port:
            return None
        return udp[8:int.from_bytes(udp[4:6], "big")]

    def collect(self, seconds, stop=None):
        """Payloads seen within 'seconds'; returns early once stop(list) is
        true."""
        got, deadline = [], time.monotonic() + seconds
        while time.monotonic() < deadline and not (stop and stop(got)):
            if not select.select([self.sock], [], [], max(0, deadline - time.monotonic()))[0]:
                break
            while True:
                try:
                    packet, addr = self.sock.recvfrom(65600)
                except BlockingIOError:
                    break
                p = self._payload(packet, addr)
                if p is not None:
                    got.append(p)
        return got


def _header(msg, names):
    m = re.search(rb"\r\n(?:" + names + rb")[ \t]*:[ \t]*([^\r\n]*)", msg, re.I)
    return m.group(1).strip() if m else None


def _is_retransmission(packet, earlier):
    """A final response to an INVITE is retransmitted (Timer G) until ACKed,
    byte for byte; nothing else the server sends is."""
    cseq = _header(packet, rb"cseq") or b""
    return packet in earlier and cseq.upper().endswith(b"INVITE")


def udp_exchange(sniff, earlier, host, port, data, wait=1.0):
    """Sends data as-is from a fresh socket; returns the server's answers to
    it (those whose Call-ID, if any, is the request's, minus retransmitted
    answers to earlier requests), waiting until a final one or 'wait' s,
    then 0.1 s more for a second answer. 'earlier' (a set) is updated."""
    sniff.collect(0)

    def fresh(got):
        return [g for g in got if not _is_retransmission(g, earlier)
                and (_header(g, rb"call-id|i") is None or _header(g, rb"call-id|i") in data)]

    def has_final(got):
        return any((status_of(g) or 0) >= 200 for g in fresh(got))

    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(fam, socket.SOCK_DGRAM) as s:
        s.sendto(data, (host, port))
        got = sniff.collect(wait, has_final)
        got += sniff.collect(0.1)
    answers = fresh(got)
    earlier.update(got)
    return answers
