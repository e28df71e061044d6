#!/usr/bin/env python3
"""Every way a connection ends frees it (issue 12): a connection left in each
state the network layer knows (TCP only, implicit-TLS handshake not started or
half done, handshake done, STARTTLS answered, STARTTLS then half a
ClientHello) by a peer that goes silent past login_timeout, closes, or resets
(SO_LINGER 0) must be closed by the server: its descriptor count
(/proc/PID/fd) returns to the baseline within a bound, and the address's
max_connections_per_ip is not used up. Each scenario has its own loopback
source address (127.0.1.N), does two rounds of five stalled connections (a
leak of the first round makes the second refused) and then a normal client
must still get `* OK`. Loopback only; every wait is bounded.
Last line: `conn-lifecycle: N passed, N failed`.
"""

import os
import socket
import ssl
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import petrel_server  # noqa: E402
from raw_imap import tls_client_hello  # noqa: E402
from suite import Suite  # noqa: E402

HOST = "127.0.0.1"
LOGIN_TIMEOUT = 2        # seconds; config.c allows 1..3600
PER_IP = 5               # max_connections_per_ip: one round fills it exactly
ROUNDS = 2               # a second round is refused if the first leaked
# The server must close a silent connection within login_timeout plus this
# (less than CONN_CLOSE_FLUSH_MS, 5 s: a connection in a handshake has
# nothing to flush and must not wait for that deadline).
CLOSE_SLACK = 2.5
# A peer that closes or resets is noticed at once (one read event).
PEER_GONE_BOUND = 2.0
IO_TIMEOUT = 5.0

suite = Suite("conn-lifecycle")


def fd_count(pid):
    """Entries in /proc/PID/fd (every descriptor: sockets, files, pipes);
    None when the process is gone."""
    try:
        return len(os.listdir("/proc/%d/fd" % pid))
    except OSError:
        return None


def wait_fds_at_most(pid, baseline, bound):
    """(ok, seconds waited, last count): waits, bounded, for the count to
    come back to baseline."""
    t0 = time.monotonic()
    n = fd_count(pid)
    while time.monotonic() - t0 < bound:
        n = fd_count(pid)
        if n is not None and n <= baseline:
            return True, time.monotonic() - t0, n
        time.sleep(0.05)
    return False, time.monotonic() - t0, n


def connect(src, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(IO_TIMEOUT)
    s.bind((src, 0))
    s.connect((HOST, port))
    return s


def read_line(s, timeout=IO_TIMEOUT):
    """One CRLF line from a plain socket (bytes), or None on EOF/timeout."""
    buf = b""
    deadline = time.monotonic() + timeout
    while not buf.endswith(b"\r\n") and len(buf) < 4096:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        s.settimeout(left)
        try:
            c = s.recv(1)
        except (socket.timeout, OSError):
            return None
        if not c:
            return None
        buf += c
    return buf


# -- the states: each returns the socket left in that state ------------------------

def st_tcp_only(srv, src):
    return connect(src, srv.imap_port)          # greeted, but nothing read or sent


def st_tls_nothing(srv, src):
    return connect(src, srv.imaps_port)


def st_tls_half_hello(srv, src):
    s = connect(src, srv.imaps_port)
    hello = tls_client_hello()
    s.sendall(hello[:len(hello) // 2])
    return s


def st_tls_done(srv, src):
    ctx = ssl.create_default_context(cafile=srv.cert)
    s = ctx.wrap_socket(connect(src, srv.imaps_port), server_hostname="localhost")
    line = s.recv(4096)
    if not line.startswith(b"* OK "):
        raise AssertionError("implicit TLS greeting %r" % line)
    return s


def st_starttls(srv, src):
    s = connect(src, srv.imap_port)
    greeting = read_line(s)
    if greeting is None or not greeting.startswith(b"* OK "):
        raise AssertionError("greeting %r" % greeting)
    s.sendall(b"a STARTTLS\r\n")
    line = read_line(s)
    if line != b"a OK Begin TLS negotiation now\r\n":
        raise AssertionError("STARTTLS answered %r" % line)
    return s


def st_starttls_half_hello(srv, src):
    s = st_starttls(srv, src)
    hello = tls_client_hello()
    s.sendall(hello[:len(hello) // 2])
    return s


STATES = [
    ("TCP only", st_tcp_only),
    ("implicit TLS, no bytes", st_tls_nothing),
    ("implicit TLS, half a ClientHello", st_tls_half_hello),
    ("implicit TLS, handshake done", st_tls_done),
    ("STARTTLS answered", st_starttls),
    ("STARTTLS, half a ClientHello", st_starttls_half_hello),
]


# -- the endings ---------------------------------------------------------------------

def end_close(socks):
    for s in socks:
        s.close()


def end_reset(socks):
    for s in socks:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()


def wait_server_close(s, deadline):
    """True when the server closed the connection (EOF or reset) before the
    deadline; whatever it sent first (a BYE, an alert) is read and dropped."""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        s.settimeout(left)
        try:
            data = s.recv(4096)
        except socket.timeout:
            return False
        except ssl.SSLError:
            return True
        except OSError:
            return True       # reset
        if not data:
            return True


def run_round(srv, pid, before, src, state, ending):
    """Opens PER_IP connections in `state`, ends them, waits for the server;
    returns (problems, descriptors while they were open)."""
    problems = []
    socks = []
    try:
        for _ in range(PER_IP):
            socks.append(state(srv, src))
    except (AssertionError, OSError) as e:
        problems.append("could not reach the state on connection %d: %s" % (len(socks) + 1, e))
    # The server accepts on its own time: wait (bounded) to see them all.
    t0 = time.monotonic()
    peak = fd_count(pid)
    while peak is not None and peak < before + len(socks) and time.monotonic() - t0 < 1.0:
        time.sleep(0.02)
        peak = fd_count(pid)
    if ending == "silent":
        t0 = time.monotonic()
        deadline = t0 + LOGIN_TIMEOUT + CLOSE_SLACK
        closed = sum(1 for s in socks if wait_server_close(s, deadline))
        print("info   the server closed %d of %d silent connections %.1f s after they stalled"
              % (closed, len(socks), time.monotonic() - t0))
        if closed != len(socks):
            problems.append("the server closed %d of %d silent connections within %.1f s"
                            % (closed, len(socks), LOGIN_TIMEOUT + CLOSE_SLACK))
        end_close(socks)
    elif ending == "close":
        end_close(socks)
    else:
        end_reset(socks)
    return problems, peak


def normal_client(src, port):
    """The greeting line a new connection from src gets (bytes or None).
    After a greeting it logs out; either way it reads to EOF: the server
    sends its FIN when it closes the descriptor, so the count is settled on
    return."""
    try:
        s = connect(src, port)
    except OSError as e:
        return repr(e).encode()
    try:
        line = read_line(s)
        if line is not None and line.startswith(b"* OK "):
            s.sendall(b"z LOGOUT\r\n")
        wait_server_close(s, time.monotonic() + IO_TIMEOUT)
        return line
    finally:
        s.close()


def scenario(srv, pid, src, sname, state, ending):
    """One state and one ending, from its own source address. The count to
    come back to is the one before the scenario, so that a leak is charged
    to the scenario that made it (main() checks the first baseline too)."""
    name = "%s, peer %s" % (sname, {"silent": "silent past login_timeout",
                                    "close": "closes", "reset": "resets"}[ending])
    bound = (LOGIN_TIMEOUT + CLOSE_SLACK) if ending == "silent" else PEER_GONE_BOUND
    before = fd_count(pid)
    for r in range(ROUNDS):
        problems, peak = run_round(srv, pid, before, src, state, ending)
        ok, waited, n = wait_fds_at_most(pid, before, bound)
        print("info %s (round %d): descriptors %s before, %s with the connections open, %s after %.1f s"
              % (name, r + 1, before, peak, n, waited))
        suite.check("%s (round %d): descriptors back to %d within %.1f s" % (name, r + 1, before, bound),
                    ok and not problems,
                    "; ".join(problems + ["%s descriptors after %.1f s" % (n, waited)]))
        if not ok:
            break             # the next round would only be refused: the greeting check shows it
    line = normal_client(src, srv.imap_port)
    suite.check("%s: after %d stalled connections (max_connections_per_ip = %d) a new one from %s is greeted"
                % (name, PER_IP * ROUNDS, PER_IP, src),
                line is not None and line.startswith(b"* OK [CAPABILITY "), repr(line))


def shutdown_with_stalled(srv, pid):
    """SIGTERM while connections sit in every state: each is closed at once
    (the loops wait for them, at most 3 s, and say so in the log)."""
    socks = []
    for i, (sname, state) in enumerate(STATES):
        try:
            socks.append(state(srv, "127.0.2.%d" % (i + 1)))
        except (AssertionError, OSError) as e:
            suite.check("shutdown: reach state %s" % sname, False, e)
    t0 = time.monotonic()
    problems = srv.stop()
    elapsed = time.monotonic() - t0
    for s in socks:
        s.close()
    suite.check("shutdown with a connection in each state: exit 0 and clean stderr", not problems,
                "; ".join(problems))
    still = [l for l in srv.stderr().splitlines() if "still open at shutdown" in l]
    suite.check("shutdown: no connection left open (took %.1f s)" % elapsed, not still, " | ".join(still))


def main():
    srv = petrel_server.PetrelServer(config={"login_timeout": str(LOGIN_TIMEOUT),
                                             "max_connections_per_ip": str(PER_IP)})
    try:
        srv.start()
    except petrel_server.ServerError as e:
        suite.check("server start", False, e)
        srv.cleanup()
        return suite.finish()
    pid = srv.proc.pid
    try:
        time.sleep(0.3)           # the count settles once the loops and workers are up
        baseline = fd_count(pid)
        print("info baseline: %d descriptors in /proc/%d/fd" % (baseline, pid))
        idx = 1
        for ending in ("silent", "close", "reset"):
            for sname, state in STATES:
                scenario(srv, pid, "127.0.1.%d" % idx, sname, state, ending)
                idx += 1
        n = fd_count(pid)
        print("info after all %d scenarios: %s descriptors (baseline %d)" % (idx - 1, n, baseline))
        suite.check("after every scenario the server holds its baseline %d descriptors" % baseline,
                    n == baseline, "%s descriptors" % n)
        shutdown_with_stalled(srv, pid)
    finally:
        srv.cleanup()
    return suite.finish()


if __name__ == "__main__":
    sys.exit(main())
