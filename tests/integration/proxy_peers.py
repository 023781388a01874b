#!/usr/bin/env python3
"""SIPp peers on both sides of a proxy: one or more SIPp UASs in the
background (the proxy relays to them), a SIPp UAC in the foreground that
calls through the proxy, each with a work folder of its own and -trace_msg,
so a test can assert what each side saw.

    import proxy_peers as pp
    run = pp.run_calls(("127.0.0.1", proxy_port),
                       uac=pp.Peer("uac-rr.xml", port=p + 2, args=["-d", "100"]),
                       uas=pp.Peer("uas-rr.xml", port=p + 1),
                       transport="udp", calls=2)
    run.check()                          # every SIPp exited 0, every call successful
    invite = run.uas.received("INVITE")[0]
    if len(invite.values("Via")) != 2: h.fail(...)
    rr = invite.values("Record-Route")  # ['<sip:127.0.0.1:5060;lr>']
    acks = run.uas.received("ACK")       # the ACKs as the UAS got them
    finals = run.uac.received(status=486)

Scenarios named without a folder are taken from tests/sipp/. Each run
returns, per side: SIPp's exit status, the calls created, successful and
failed (from its -trace_stat file), the message log (-trace_msg) as text and
parsed into SipMessage objects, and the -log_file / -error_file texts.
Every wait has a deadline; failures raise harness.Failure saying what
happened, with the tail of what SIPp wrote.

Pitfalls this module takes care of:
- SIPp writes a received message's several Via (or Route, Record-Route)
  header fields as they came, but folds them into one comma-separated field
  when it copies them with [last_Via:]; SipMessage.values() splits both.
- -trace_msg files have LF line ends and may hold SIPp's own diagnostics
  ("Problem EAGAIN on socket ...") between the messages.
- SIPp's default "bye" behaviour sends a BYE for any call it aborts, even
  one that ended with a non-2xx; a wrong final code at the UAC would then
  also fail the UAS with "unexpected BYE". Calls run with
  -default_behaviors all,-bye unless told otherwise.
- A UAS stopped with SIGTERM exits 0 whatever happened: such a side is
  marked stopped=True, and check() refuses it unless allowed.

Self-test: python3 proxy_peers.py --against-kamailio [--keep]
runs calls through the reference Kamailio (shared/anchors/kamailio beside the
repository, or $KAM_ANCHOR/start.sh; UDP only) on ports 29100-29102
($MS_PEERS_PORT_BASE) and checks what each side saw. Takes about 30 s."""
import csv
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import harness as h

HERE = os.path.dirname(os.path.abspath(__file__))
SIPP_DIR = os.path.normpath(os.path.join(HERE, "..", "sipp"))
TRANSPORTS = {"udp": "u1", "tcp": "t1", "u1": "u1", "t1": "t1"}

# compact forms (RFC 3261 7.3.3, RFC 3515, RFC 3841, RFC 4028)
COMPACT = {"v": "via", "f": "from", "t": "to", "i": "call-id", "m": "contact", "l": "content-length",
           "c": "content-type", "e": "content-encoding", "k": "supported", "s": "subject",
           "o": "event", "r": "refer-to", "u": "allow-events", "x": "session-expires", "a": "accept-contact"}
# header fields whose value is a comma-separated list (so that "Via: a, b" is two values)
LIST_HEADERS = {"via", "route", "record-route", "contact", "allow", "supported", "require",
                "proxy-require", "unsupported", "accept", "accept-encoding", "accept-language",
                "allow-events", "content-encoding", "path", "service-route"}


def _canon(name):
    n = name.strip().lower()
    return COMPACT.get(n, n)


def split_list(value):
    """Splits a header field value at the commas that separate values (not
    those inside <...> or a quoted string)."""
    out, cur, depth, quoted, esc = [], [], 0, False, False
    for ch in value:
        if quoted:
            cur.append(ch)
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                quoted = False
            continue
        if ch == '"':
            quoted = True
        elif ch == "<":
            depth += 1
        elif ch == ">":
            depth = max(0, depth - 1)
        elif ch == "," and depth == 0:
            out.append("".join(cur).strip())
            cur = []
            continue
        cur.append(ch)
    if "".join(cur).strip():
        out.append("".join(cur).strip())
    return out


class SipMessage:
    """One message of a -trace_msg log: direction "sent" or "received",
    transport ("UDP", "TCP", ...), time (as SIPp wrote it), text (LF line
    ends), start_line, method (requests) or status (responses, an int)."""

    def __init__(self, direction, transport, when, text):
        self.direction, self.transport, self.time, self.text = direction, transport, when, text
        head, _, self.body = text.partition("\n\n")
        lines = head.split("\n")
        self.start_line = lines[0].strip() if lines else ""
        m = re.match(r"SIP/2\.0\s+(\d{3})\b", self.start_line)
        self.status = int(m.group(1)) if m else None
        self.method = None if m else (self.start_line.split(" ", 1)[0] or None)
        self.uri = None if m else (self.start_line.split(" ")[1] if " " in self.start_line else None)
        self.fields = []  # (canonical name, value) in order, folded lines joined
        for line in lines[1:]:
            if line[:1] in (" ", "\t") and self.fields:
                n, v = self.fields[-1]
                self.fields[-1] = (n, v + " " + line.strip())
            elif ":" in line:
                n, v = line.split(":", 1)
                self.fields.append((_canon(n), v.strip()))

    def headers(self, name):
        """Every header field of that name (full or compact), one string per
        field line as it was written."""
        n = _canon(name)
        return [v for k, v in self.fields if k == n]

    def values(self, name):
        """Every value of that header, header fields split at their commas for
        list headers (Via, Route, Record-Route, Contact, ...)."""
        n = _canon(name)
        if n not in LIST_HEADERS:
            return self.headers(n)
        return [v for f in self.headers(n) for v in split_list(f)]

    def header(self, name):
        """The first value (see values()), or None."""
        v = self.values(name)
        return v[0] if v else None

    def cseq_method(self):
        c = self.header("CSeq") or ""
        parts = c.split()
        return parts[1] if len(parts) > 1 else None

    def call_id(self):
        return self.header("Call-ID")

    def __repr__(self):
        return f"<{self.direction} {self.transport} {self.start_line!r}>"


def via_sent_by(via):
    """'SIP/2.0/UDP 127.0.0.1:5060;branch=...' -> '127.0.0.1:5060'."""
    m = re.match(r"\s*SIP\s*/\s*2\.0\s*/\s*\S+\s+([^;\s]+)", via, re.I)
    return m.group(1) if m else None


def via_param(via, name):
    m = re.search(r";\s*" + re.escape(name) + r"(?:=([^;\s,]*))?", via, re.I)
    return None if not m else (m.group(1) if m.group(1) is not None else "")


_SEP = re.compile(r"^-{20,} (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+)[ \t]*$", re.M)
_HEAD = re.compile(r"^(\w+) message (sent|received)\b[^\n]*\n", re.M)


def parse_trace(text):
    """The messages of a SIPp -trace_msg log, in order."""
    out = []
    parts = _SEP.split(text)
    # parts: [before, time1, block1, time2, block2, ...]
    for i in range(1, len(parts) - 1, 2):
        when, block = parts[i], parts[i + 1].lstrip("\n")
        m = _HEAD.match(block)
        if not m:
            continue
        msg = block[m.end():].lstrip("\n")
        # the message ends where SIPp's blank lines (and any diagnostics) start;
        # keep the body up to Content-Length
        head, sep, body = msg.partition("\n\n")
        sm = SipMessage(m.group(2), m.group(1), when, head + "\n\n")
        length = sm.header("Content-Length")
        if length and length.isdigit():
            body = body[:int(length)]
        else:
            body = ""
        sm.body = body
        sm.text = head + "\n\n" + body
        out.append(sm)
    return out


def select(messages, method=None, status=None, cseq=None, direction=None):
    """Messages of a method (requests) or status (responses; an int, or a
    string such as "1xx"), optionally of a CSeq method and a direction."""
    out = []
    for m in messages:
        if direction and m.direction != direction:
            continue
        if method and m.method != method:
            continue
        if status is not None:
            if m.status is None:
                continue
            if isinstance(status, str) and status.endswith("xx"):
                if m.status // 100 != int(status[0]):
                    continue
            elif m.status != int(status):
                continue
        if cseq and m.cseq_method() != cseq:
            continue
        out.append(m)
    return out


class Peer:
    """A SIPp to start: scenario (a file in tests/sipp/ or a path), its local
    port, extra SIPp arguments, the Request-URI user (-s, UAC only) and the
    calls it makes or takes (default: the run's)."""

    def __init__(self, scenario, port, args=(), service="bob", calls=None, name=None):
        self.scenario = scenario if os.sep in scenario else os.path.join(SIPP_DIR, scenario)
        self.port, self.args, self.service, self.calls = port, list(args), service, calls
        self.name = name or os.path.splitext(os.path.basename(self.scenario))[0]


class Side:
    """What one SIPp did: rc (exit status; 0 = every call successful),
    created/ok/failed calls, retransmissions, messages (parsed -trace_msg),
    trace (its text), log (-log_file), errors (-error_file), output
    (stdout+stderr), stopped (ended by SIGTERM from here)."""

    def __init__(self, peer, role):
        self.peer, self.role, self.name = peer, role, f"{role} {peer.name}:{peer.port}"
        self.rc, self.created, self.ok, self.failed, self.retrans = None, 0, 0, 0, 0
        self.trace = self.log = self.errors = self.output = ""
        self.messages, self.stopped = [], False

    def received(self, method=None, status=None, cseq=None):
        return select(self.messages, method, status, cseq, "received")

    def sent(self, method=None, status=None, cseq=None):
        return select(self.messages, method, status, cseq, "sent")

    def describe(self, tail=2500):
        s = (f"{self.name}: exit {self.rc}{' (stopped by SIGTERM)' if self.stopped else ''}, "
             f"{self.created} created, {self.ok} successful, {self.failed} failed, {self.retrans} retransmissions")
        flow = " | ".join(f"{'>' if m.direction == 'sent' else '<'} {m.start_line[:60]}" for m in self.messages[:40])
        if flow:
            s += "\n  messages: " + flow
        for label, text in (("errors", self.errors), ("log", self.log), ("output", self.output)):
            text = text.strip()
            if text and (label != "output" or self.rc not in (0, 1)):
                s += f"\n  --- {label} (tail) ---\n  " + text[-tail:].replace("\n", "\n  ")
        return s


class Run:
    """The result of run_calls: uac (a Side), uases (list of Side), uas (the
    first), workdir (kept only with keep=True)."""

    def __init__(self, uac, uases, workdir):
        self.uac, self.uases, self.workdir = uac, uases, workdir
        self.uas = uases[0] if uases else None

    def check(self, calls=None, allow_stopped=False):
        """Every side exited 0 with `calls` successful calls (default: the
        calls each was given) and none failed; raises harness.Failure. A side
        stopped by SIGTERM fails the check unless allow_stopped, and then
        only needs no failed call."""
        for side in [self.uac] + self.uases:
            want = calls if calls is not None else side.peer.calls
            if side.stopped:  # its exit status and successful calls mean nothing
                bad = not allow_stopped or side.failed != 0
            else:
                bad = side.rc != 0 or side.failed != 0 or (want is not None and side.ok != want)
            if bad:
                h.fail(f"expected {want} successful calls and exit 0 on every side, got:\n"
                       + "\n".join(s.describe() for s in [self.uac] + self.uases))
        return self

    def describe(self):
        return "\n".join(s.describe() for s in [self.uac] + self.uases)


def _sipp():
    return shutil.which("sipp") or h.fail("sipp not found (Debian package sip-tester)")


def _args(peer, side_dir, transport, calls, timeout, host, behaviors):
    a = ["-sf", peer.scenario, "-i", host, "-p", str(peer.port), "-t", transport, "-nostdin",
         "-m", str(calls), "-timeout", f"{timeout}s",
         "-trace_msg", "-message_file", os.path.join(side_dir, "messages.log"),
         "-trace_logs", "-log_file", os.path.join(side_dir, "log.log"),
         "-trace_err", "-error_file", os.path.join(side_dir, "errors.log"),
         "-trace_stat", "-stf", os.path.join(side_dir, "stat.csv"), "-fd", "1"]
    if behaviors:
        a += ["-default_behaviors", behaviors]
    return a + peer.args


def _uac_args(proxy, peer, work, t, calls, rate, limit, timeout, host, behaviors):
    """A UAC's command line: SIPp against proxy=(host, port) at `rate`."""
    return ([_sipp(), f"{proxy[0]}:{proxy[1]}", "-s", peer.service, "-r", str(rate), "-l", str(limit)]
            + _args(peer, work, t, calls, int(timeout), host, behaviors))


def _read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


def _collect(side, side_dir):
    side.trace = _read(os.path.join(side_dir, "messages.log"))
    side.messages = parse_trace(side.trace)
    side.log = _read(os.path.join(side_dir, "log.log"))
    side.errors = _read(os.path.join(side_dir, "errors.log"))
    side.output = _read(os.path.join(side_dir, "output.txt"))
    rows = []
    try:
        with open(os.path.join(side_dir, "stat.csv"), newline="", errors="replace") as f:
            rows = list(csv.DictReader(f, delimiter=";"))
    except FileNotFoundError:
        pass
    if rows:
        last = rows[-1]

        def num(k):
            try:
                return int(float(last.get(k) or 0))
            except ValueError:
                return 0
        side.created, side.ok = num("TotalCallCreated"), num("SuccessfulCall(C)")
        side.failed, side.retrans = num("FailedCall(C)"), num("Retransmissions(C)")
    else:  # the final screen SIPp prints on exit
        for label, attr in (("Successful call", "ok"), ("Failed call", "failed")):
            m = re.search(label + r"\s*\|\s*\d+\s*\|\s*(\d+)", side.output)
            if m:
                setattr(side, attr, int(m.group(1)))


def _bound(host, port, transport):
    """True once something listens on host:port for this transport."""
    kind = socket.SOCK_DGRAM if transport == "u1" else socket.SOCK_STREAM
    return not h.port_free(host, port, (kind,))


def _stop(proc, grace=3.0):
    """SIGTERM, then SIGKILL after `grace` s; only this process, by its PID."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run_calls(proxy, uac, uas, transport="udp", calls=1, rate=10, limit=None, timeout=30,
              uas_grace=10.0, stop_uas=False, host="127.0.0.1", behaviors="all,-bye",
              workdir=None, keep=False):
    """Starts the UAS(s) (a Peer or a list of Peers) in the background, waits
    until each listens, runs the UAC (a Peer) against proxy=(host, port) in
    the foreground, then waits up to uas_grace s for each UAS to end by
    itself (its scenario's timewait included), or stops it at once with
    stop_uas=True (e.g. uas-silent.xml). SIPp's own -timeout is `timeout` s
    for the UAC and timeout + uas_grace for a UAS; nothing here waits longer
    than that plus 10 s. Returns a Run, whatever the calls did: use
    Run.check() or look at the sides."""
    t = TRANSPORTS.get(transport) or h.fail(f"transport {transport!r}: udp or tcp")
    uases = uas if isinstance(uas, (list, tuple)) else [uas]
    sipp = _sipp()
    for p in [uac] + uases:
        if not os.path.isfile(p.scenario):
            h.fail(f"no scenario {p.scenario}")
        if not h.port_free(host, p.port):
            h.fail(f"port {host}:{p.port} is already in use (pick other ports)")
    own = workdir is None
    work = tempfile.mkdtemp(prefix="moonsip-peers-") if own else workdir
    os.makedirs(work, exist_ok=True)
    procs, sides, dirs = [], [], []
    try:
        for i, p in enumerate(uases):
            d = os.path.join(work, f"uas{i + 1}-{p.name}")
            os.makedirs(d, exist_ok=True)
            n = p.calls if p.calls is not None else calls
            p.calls = n
            args = [sipp] + _args(p, d, t, n, int(timeout + uas_grace), host, behaviors)
            out = open(os.path.join(d, "output.txt"), "w")
            procs.append(subprocess.Popen(args, cwd=d, stdin=subprocess.DEVNULL, stdout=out,
                                          stderr=subprocess.STDOUT))
            out.close()
            sides.append(Side(p, "uas"))
            dirs.append(d)
        deadline = time.monotonic() + 5
        for proc, p, side, d in zip(procs, uases, sides, dirs):
            while not _bound(host, p.port, t):
                if proc.poll() is not None:
                    side.rc = proc.returncode
                    _collect(side, d)
                    h.fail(f"SIPp {side.name} exited {proc.returncode} at start:\n{side.describe()}")
                if time.monotonic() > deadline:
                    h.fail(f"SIPp {side.name} not listening on {host}:{p.port} after 5 s")
                time.sleep(0.02)

        d = os.path.join(work, f"uac-{uac.name}")
        os.makedirs(d, exist_ok=True)
        uac.calls = uac.calls if uac.calls is not None else calls
        args = _uac_args(proxy, uac, d, t, uac.calls, rate, limit or max(1, min(uac.calls, rate)), timeout,
                         host, behaviors)
        uac_side = Side(uac, "uac")
        with open(os.path.join(d, "output.txt"), "w") as out:
            try:
                r = subprocess.run(args, cwd=d, stdin=subprocess.DEVNULL, stdout=out,
                                   stderr=subprocess.STDOUT, timeout=timeout + 10)
                uac_side.rc = r.returncode
            except subprocess.TimeoutExpired:
                _collect(uac_side, d)
                h.fail(f"SIPp {uac_side.name} still running {timeout + 10} s after its start "
                       f"(its -timeout is {timeout} s):\n{uac_side.describe()}")
        _collect(uac_side, d)

        end = time.monotonic() + (0 if stop_uas else uas_grace)
        for proc, side, dd in zip(procs, sides, dirs):
            if not stop_uas:
                try:
                    proc.wait(timeout=max(0.0, end - time.monotonic()))
                except subprocess.TimeoutExpired:
                    pass
            if proc.poll() is None:
                side.stopped = True
                _stop(proc)
            side.rc = proc.returncode
            _collect(side, dd)
        return Run(uac_side, sides, work if keep else None)
    finally:
        for proc in procs:
            _stop(proc, 1.0)
        if own and not keep:
            shutil.rmtree(work, ignore_errors=True)


class Client:
    """A SIPp UAC on its own, with no UAS (registrations): start() runs it in
    the background against proxy=(host, port), finish() waits for it (SIPp's
    -timeout is `timeout` s; nothing waits longer than that plus 10 s) and
    returns its Side. Use it as a context manager, so that it is stopped
    whatever happens."""

    def __init__(self, proxy, peer, transport="udp", calls=1, rate=10, limit=None, timeout=30,
                 host="127.0.0.1"):
        self.proxy, self.peer, self.host, self.timeout = proxy, peer, host, timeout
        self.t = TRANSPORTS.get(transport) or h.fail(f"transport {transport!r}: udp or tcp")
        self.calls, self.rate, self.limit = calls, rate, limit or max(1, min(calls, rate))
        self.work = tempfile.mkdtemp(prefix="moonsip-client-")
        self.proc, self.side = None, Side(peer, "uac")

    def start(self):
        if not os.path.isfile(self.peer.scenario):
            h.fail(f"no scenario {self.peer.scenario}")
        if not h.port_free(self.host, self.peer.port):
            h.fail(f"port {self.host}:{self.peer.port} is already in use (pick other ports)")
        self.peer.calls = self.calls
        args = _uac_args(self.proxy, self.peer, self.work, self.t, self.calls, self.rate, self.limit, self.timeout,
                         self.host, "all,-bye")
        with open(os.path.join(self.work, "output.txt"), "w") as out:
            self.proc = subprocess.Popen(args, cwd=self.work, stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=subprocess.STDOUT)
        self.started = time.monotonic()
        return self

    def finish(self):
        try:
            self.proc.wait(timeout=max(0.0, self.started + self.timeout + 10 - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.side.stopped = True
            _stop(self.proc)
        self.side.rc = self.proc.returncode
        _collect(self.side, self.work)
        return self.side

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        if self.proc:
            _stop(self.proc, 1.0)
        shutil.rmtree(self.work, ignore_errors=True)


def run_client(proxy, peer, **kw):
    """Runs a Client to its end and returns its Side."""
    with Client(proxy, peer, **kw) as c:
        return c.finish()


# --- self-test against the reference Kamailio ------------------------------

def _pids_below(pid):
    kids = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid == pid:
                kids.append(int(d))
    return kids


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


class Kamailio:
    """The reference Kamailio (start.sh DIR PORT 1, KAM_FALLBACK), stopped by
    its PID."""

    def __init__(self, start_sh, port, fallback, work):
        self.start_sh, self.port, self.fallback, self.work, self.pid = start_sh, port, fallback, work, None

    def start(self):
        env = dict(os.environ, KAM_FALLBACK=self.fallback)
        try:
            r = subprocess.run(["bash", self.start_sh, self.work, str(self.port), "1"], env=env,
                               stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300)
        except subprocess.TimeoutExpired:
            h.fail(f"{self.start_sh} did not return within 300 s (package installation?)")
        if r.returncode != 0 or not r.stdout.strip().isdigit():
            h.fail(f"{self.start_sh} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
        self.pid = int(r.stdout.strip().splitlines()[-1])
        deadline = time.monotonic() + 10
        while True:
            if not _alive(self.pid):
                h.fail(f"Kamailio exited at start:\n{self.log()[-3000:]}")
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.settimeout(0.3)
                s.bind(("127.0.0.1", 0))
                try:
                    # no user part: the anchor answers OPTIONS for itself, relays the others
                    probe = h.options("127.0.0.1", self.port, "udp").replace(b"sip:probe@", b"sip:", 1)
                    s.sendto(probe, ("127.0.0.1", self.port))
                    if h.status_of(s.recv(65535)) == 200:
                        return self
                except (socket.timeout, ConnectionError):
                    pass
            if time.monotonic() > deadline:
                h.fail(f"Kamailio on port {self.port} did not answer OPTIONS within 10 s:\n{self.log()[-3000:]}")

    def log(self):
        return _read(os.path.join(self.work, "kamailio.log"))

    def stop(self):
        if not self.pid:
            return
        kids = _pids_below(self.pid)
        try:
            os.kill(self.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + 5
        while _alive(self.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        for p in [self.pid] + kids:
            if _alive(p):
                try:
                    os.kill(p, signal.SIGKILL)
                except ProcessLookupError:
                    pass


def _expect(cond, what, run):
    if not cond:
        h.fail(f"{what}\n{run.describe()}")


def _check_relayed(run, req, proxy_addr, n_via):
    """Every `req` the UAS got came through the proxy: n_via Via values, the
    top one the proxy's; no Route left (the proxy took its own)."""
    got = run.uas.received(req)
    _expect(got, f"the UAS never received a {req}", run)
    for m in got:
        vias = m.values("Via")
        _expect(len(vias) == n_via, f"{req} at the UAS has {len(vias)} Via values, expected {n_via}: {vias}", run)
        _expect(via_sent_by(vias[0]) == proxy_addr,
                f"{req} at the UAS: top Via {vias[0]!r} is not the proxy's ({proxy_addr})", run)
        _expect(not m.values("Route"), f"{req} at the UAS still has Route {m.values('Route')}", run)


def self_test(keep=False):
    base = int(os.environ.get("MS_PEERS_PORT_BASE", "29100"))
    proxy_port, uas_port, uac_port = base, base + 1, base + 2
    anchor = os.environ.get("KAM_ANCHOR") or os.path.normpath(
        os.path.join(HERE, "..", "..", "..", "shared", "anchors", "kamailio"))
    start_sh = os.path.join(anchor, "start.sh")
    if not os.path.isfile(start_sh):
        h.fail(f"no {start_sh} (set KAM_ANCHOR to the folder of the reference Kamailio)")
    work = tempfile.mkdtemp(prefix="moonsip-peers-kam-")
    proxy = ("127.0.0.1", proxy_port)
    paddr = f"127.0.0.1:{proxy_port}"
    kam = Kamailio(start_sh, proxy_port, f"sip:127.0.0.1:{uas_port}", os.path.join(work, "kamailio")).start()
    print(f"Kamailio pid {kam.pid} on udp:{paddr}, UAS on {uas_port}, UAC on {uac_port}", flush=True)
    try:
        # 1. a call: INVITE, 180, 200, ACK, BYE, 200 by the dialog rules
        run = run_calls(proxy, Peer("uac-rr.xml", uac_port, ["-d", "100"]), Peer("uas-rr.xml", uas_port),
                        calls=2, keep=keep).check()
        inv = run.uas.received("INVITE")
        _expect(len(inv) == 2, f"the UAS got {len(inv)} INVITEs, expected 2", run)
        for m in inv:
            vias = m.values("Via")
            _expect(len(vias) == 2 and via_sent_by(vias[0]) == paddr and via_sent_by(vias[1]) == f"127.0.0.1:{uac_port}",
                    f"INVITE at the UAS: Via {vias}, expected the proxy's then the UAC's", run)
            rr = m.values("Record-Route")
            _expect(len(rr) == 1 and paddr in rr[0] and ";lr" in rr[0],
                    f"INVITE at the UAS: Record-Route {rr}, expected one loose-routing entry for {paddr}", run)
            _expect(m.header("Max-Forwards") == "69", f"INVITE at the UAS: Max-Forwards {m.header('Max-Forwards')}", run)
        _check_relayed(run, "ACK", paddr, 2)
        _check_relayed(run, "BYE", paddr, 2)
        ok200 = run.uac.received(status=200, cseq="INVITE")
        _expect(ok200 and ok200[0].values("Record-Route") == inv[0].values("Record-Route"),
                "the UAC's 200 does not carry the Record-Route the UAS got", run)
        for req in ("ACK", "BYE"):
            for m in run.uac.sent(req):
                _expect(len(m.values("Route")) == 1 and paddr in m.values("Route")[0],
                        f"the UAC's {req} has Route {m.values('Route')}, expected the proxy's Record-Route", run)
        print("call through Kamailio: 2 calls; the UAS saw 2 Via and the Record-Route, ACK and BYE came through the proxy", flush=True)

        # 2. CANCEL: 100, 180, CANCEL, 200 for it, 487, ACK
        run = run_calls(proxy, Peer("uac-cancel.xml", uac_port), Peer("uas-ring-cancel.xml", uas_port),
                        calls=2, keep=keep).check()
        for m in run.uas.received("CANCEL"):
            vias = m.values("Via")
            _expect(len(vias) == 1 and via_sent_by(vias[0]) == paddr,
                    f"CANCEL at the UAS: Via {vias}, expected the proxy's only (a hop-by-hop CANCEL)", run)
        for m in run.uas.sent(status=487):
            _expect(len(m.values("Via")) == 2, f"the UAS's 487 has Via {m.values('Via')}, expected the INVITE's two", run)
        _expect(len(run.uac.received(status=200, cseq="CANCEL")) == 2 and len(run.uac.received(status=487)) >= 2
                and len(run.uac.received(status=100)) >= 2,
                "the UAC did not get 100, 200 for the CANCEL and 487 for each call", run)
        _check_relayed(run, "ACK", paddr, 1)   # the proxy's own ACK for the 487
        print("CANCEL through Kamailio: 2 calls; the UAS got a one-Via CANCEL, the UAC 200 (CANCEL) and 487", flush=True)

        # 3. a failure with the expected code, and the scenario's verdict on a wrong one
        run = run_calls(proxy, Peer("uac-expect-fail.xml", uac_port, ["-key", "expected", "486"]),
                        Peer("uas-busy.xml", uas_port), calls=2, keep=keep).check()
        _expect(run.uac.log.count("final response 486, as expected") == 2, "uac-expect-fail did not log its verdict", run)
        _check_relayed(run, "ACK", paddr, 1)
        run = run_calls(proxy, Peer("uac-expect-fail.xml", uac_port, ["-key", "expected", "600"]),
                        Peer("uas-busy.xml", uas_port), calls=1, keep=keep)
        _expect(run.uac.rc == 1 and run.uac.failed == 1 and "FAIL: expected 600, got 486" in run.uac.log,
                "uac-expect-fail -key expected 600 against a 486 should fail its call", run)
        _expect(run.uas.rc == 0 and run.uas.ok == 1, "the UAS should not notice the UAC's verdict", run)
        print("486 through Kamailio: uac-expect-fail passes with -key expected 486, fails with 600", flush=True)

        # requests the proxy refuses itself: Max-Forwards 0 gives 483, nothing reaches the UAS
        run = run_calls(proxy, Peer("uac-expect-fail.xml", uac_port,
                                    ["-key", "expected", "483", "-set", "max_forwards", "0"]),
                        Peer("uas-busy.xml", uas_port), calls=1, stop_uas=True, keep=keep)
        run.check(allow_stopped=True)
        _expect(run.uac.log.count("final response 483, as expected") == 1 and not run.uas.messages,
                "Max-Forwards 0: expected 483 from the proxy and nothing at the UAS", run)
        print("Max-Forwards 0 through Kamailio: 483, the UAS saw nothing", flush=True)

        # 4. the callee hangs up: the BYE goes through the proxy the other way
        run = run_calls(proxy, Peer("uac-rr-wait.xml", uac_port), Peer("uas-rr-bye.xml", uas_port),
                        calls=2, keep=keep).check()
        byes = run.uac.received("BYE")
        _expect(len(byes) == 2, f"the UAC got {len(byes)} BYEs, expected 2", run)
        for m in byes:
            vias = m.values("Via")
            _expect(len(vias) == 2 and via_sent_by(vias[0]) == paddr and via_sent_by(vias[1]) == f"127.0.0.1:{uas_port}",
                    f"BYE at the UAC: Via {vias}, expected the proxy's then the UAS's", run)
            _expect(not m.values("Route"), f"BYE at the UAC still has Route {m.values('Route')}", run)
        for m in run.uas.sent("BYE"):
            _expect(len(m.values("Route")) == 1 and paddr in m.values("Route")[0],
                    f"the UAS's BYE has Route {m.values('Route')}, expected the Record-Route", run)
        print("BYE from the callee through Kamailio: 2 calls; the UAC got it with the proxy's Via and no Route", flush=True)

        # 5. a callee that never answers: the proxy's timer (Kamailio fr_timer 5 s) gives 408
        run = run_calls(proxy, Peer("uac-expect-fail.xml", uac_port, ["-key", "expected", "408"]),
                        Peer("uas-silent.xml", uas_port), calls=1, stop_uas=True, keep=keep)
        run.check(allow_stopped=True)
        _expect(run.uas.stopped and not run.uas.sent(), "uas-silent sent something", run)
        print(f"silent callee through Kamailio: 408 at the UAC; the UAS got {len(run.uas.received('INVITE'))} INVITE(s) and never answered", flush=True)
    except h.Failure as e:
        log = kam.log()
        raise h.Failure(f"{e}\n--- Kamailio log (tail) ---\n{log[-2000:]}") from None
    finally:
        kam.stop()
        if not keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    if "--against-kamailio" in sys.argv[1:]:
        h.run_main(lambda: self_test(keep="--keep" in sys.argv[1:]))
    else:
        print(__doc__)
        sys.exit(2)
