#!/usr/bin/env python3
"""RFC 4475 torture messages over the network: each message is sent as-is
over one transport and the answer is checked against rfc4475-expect.tsv;
afterwards the server must still answer OPTIONS over UDP and TCP.
Usage: rfc4475_test.py MOONSIP CORPUS_DIR EXPECT_TSV PORT_OFFSET udp|tcp"""
import os
import socket
import sys
import time

import harness as h

HOST = "127.0.0.1"
WAIT = 1.0    # how long a "drop" must stay silent, and the most an answer may take
STALL = 3.0  # the stall timeout the server is started with (--tcp-stall)


def load_expectations(corpus, table):
    with open(os.path.join(corpus, "MANIFEST.tsv")) as f:
        manifest = [line.split("\t")[0] for line in f.read().splitlines()[1:] if line.strip()]
    rows = {}
    with open(table) as f:
        for line in f:
            if line.startswith("#") or line.startswith("file\t") or not line.strip():
                continue
            file, udp, tcp, note = line.rstrip("\n").split("\t")
            rows[file] = {"udp": udp, "tcp": tcp, "note": note}
    missing = [m for m in manifest if m not in rows]
    if missing:
        h.fail(f"{table} has no row for {', '.join(missing)}")
    return [(m, rows[m]) for m in manifest]


def codes_match(action, codes):
    """Whether the final status codes seen satisfy the table's action."""
    if action == "drop":
        return codes == []
    if "," in action:
        return codes == [int(c) for c in action.split(",")]
    return len(codes) == 1 and codes[0] in {int(c) for c in action.split("|")}


def run_udp(rows, corpus):
    sniff = h.UdpSniffer(HOST, PORT)
    seen, problems = set(), []
    for file, exp in rows:
        action = exp["udp"]
        if action == "skip":
            continue
        data = open(os.path.join(corpus, file), "rb").read()
        answers = h.udp_exchange(sniff, seen, HOST, PORT, data, WAIT)
        codes = [h.status_of(g) for g in answers if (h.status_of(g) or 0) >= 200]
        report(file, "udp", action, codes, answers, problems)
    sniff.close()
    return problems


def run_tcp(rows, corpus):
    problems, waiting = [], []
    # wait-then-close first: their connections stay open while the rest run.
    for file, exp in sorted(rows, key=lambda r: r[1]["tcp"] != "wait-then-close"):
        action = exp["tcp"]
        if action == "skip":
            continue
        data = open(os.path.join(corpus, file), "rb").read()
        s = socket.create_connection((HOST, PORT), timeout=WAIT)
        s.sendall(data)
        sent = time.monotonic()
        answers, buf = [], b""
        want = len(action.split(",")) if action not in ("drop", "wait-then-close") else 0
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            msg, buf = h.read_message(s, deadline, buf)
            if msg is None:
                break
            answers.append(msg)
            if want and sum((h.status_of(a) or 0) >= 200 for a in answers) >= want:
                break
        codes = [h.status_of(a) for a in answers if (h.status_of(a) or 0) >= 200]
        if action == "400+close":
            closed, _ = h.wait_closed(s, WAIT)
            report(file, "tcp", "400", codes, answers, problems)
            if not closed:
                problems.append(f"{file} tcp: connection still open {WAIT} s after the 400, expected closed")
        elif action == "wait-then-close":
            report(file, "tcp", "drop", codes, answers, problems)
            closed, _ = h.wait_closed(s, 0.05)
            if closed:
                problems.append(f"{file} tcp: connection closed at once, expected the server to wait for the body")
            else:
                waiting.append((file, s, sent))
                continue
        else:
            report(file, "tcp", action, codes, answers, problems)
        s.close()
    for file, s, sent in waiting:
        closed, extra = h.wait_closed(s, max(0.0, sent + STALL + 3 - time.monotonic()))
        if not closed:
            problems.append(f"{file} tcp: connection still open {STALL + 3:.0f} s after the half message, "
                            "expected the stall timeout to close it")
        elif extra:
            problems.append(f"{file} tcp: got {extra[:60]!r} before the close, expected nothing")
        else:
            print(f"{file} tcp: closed after {time.monotonic() - sent:.1f} s of waiting: ok")
        s.close()
    return problems


def report(file, transport, action, codes, answers, problems):
    ok = codes_match(action, codes)
    first = [a.split(b"\r\n", 1)[0].decode(errors="replace") for a in answers]
    print(f"{file} {transport}: expected {action}, got {first or 'nothing'}: {'ok' if ok else 'WRONG'}")
    if not ok:
        problems.append(f"{file} {transport}: expected {action}, got {codes or 'no answer'} {first}")


def main():
    global PORT
    binary, corpus, table = sys.argv[1], sys.argv[2], sys.argv[3]
    PORT, transport = h.ports(int(sys.argv[4])), sys.argv[5]
    rows = load_expectations(corpus, table)

    def body(srv):
        problems = run_udp(rows, corpus) if transport == "udp" else run_tcp(rows, corpus)
        if not srv.alive():
            h.fail("the server died:\n" + srv.log()[-3000:])
        h.check_options(HOST, PORT)
        if problems:
            h.fail(f"{len(problems)} of {len(rows)} messages answered wrongly over {transport}:\n  "
                   + "\n  ".join(problems))

    h.serving(binary, [f"udp:{HOST}:{PORT}", f"tcp:{HOST}:{PORT}"], body, extra=["--tcp-stall", "3"])


PORT = 0
h.run_main(main)
