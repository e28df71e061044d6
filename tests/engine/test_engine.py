#!/usr/bin/env python3
"""Properties of the network engine that C:/S: transcripts cannot show:
thousands of concurrent connections and their memory, the connection
limits, backpressure against a client that does not read, clients that
vanish at awkward moments, failed-login throttling from one address,
isolation of slow password checks, and autologout.

Python 3 stdlib only; loopback only; every loop is bounded in count and
time, and each check runs under an alarm. Each check starts its own server
(tests/lib/petrel_server.py) and counts a clean SIGTERM shutdown (exit 0,
no sanitizer report) as one more test. Memory figures come from VmRSS in
/proc/PID/status and are printed; only generous bounds are asserted.

    tests/engine/test_engine.py            every check
    tests/engine/test_engine.py limits     only the named checks

Last line: `engine: N passed, N failed`; exit 1 on any failure.
"""

import base64
import errno
import os
import resource
import selectors
import signal
import socket
import struct
import sys
import time
import traceback

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import petrel_server  # noqa: E402
from raw_imap import tls_client_hello  # noqa: E402

HOST = "127.0.0.1"
PASSWORD = petrel_server.DEFAULT_USERS["alice"]
CHECK_ALARM = 90          # seconds: hard limit for one check (the suite aims at < 90 s in all)
results = {"passed": 0, "failed": 0}


# -- reporting ---------------------------------------------------------------

def check(name, ok, detail=""):
    if ok:
        results["passed"] += 1
        print("ok   %s" % name, flush=True)
    else:
        results["failed"] += 1
        detail = str(detail).strip().replace("\n", " | ")
        print("FAIL %s%s" % (name, ": " + detail[:800] if detail else ""), flush=True)
    return ok


def info(text):
    print("     %s" % text, flush=True)


class CheckTimeout(Exception):
    pass


def _on_alarm(signum, frame):
    raise CheckTimeout("check took longer than %d s" % CHECK_ALARM)


def rss_kib(pid):
    """VmRSS of a process in KiB, or None when it is gone."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def tcp_queues(local_port, remote_port):
    """(send queue, receive queue) in bytes of the loopback TCP socket
    local_port -> remote_port, from /proc/net/tcp; None if not found."""
    want = (":%04X" % local_port, ":%04X" % remote_port)
    try:
        with open("/proc/net/tcp") as f:
            next(f)
            for line in f:
                fields = line.split()
                if fields[1].endswith(want[0]) and fields[2].endswith(want[1]):
                    tx, rx = fields[4].split(":")
                    return int(tx, 16), int(rx, 16)
    except (OSError, StopIteration, IndexError, ValueError):
        return None
    return None


def socket_fds(pid):
    """How many sockets the process holds open (listeners, loop wake-ups,
    clients); None when it is gone."""
    n = 0
    try:
        names = os.listdir("/proc/%d/fd" % pid)
    except OSError:
        return None
    for name in names:
        try:
            if os.readlink("/proc/%d/fd/%s" % (pid, name)).startswith("socket:"):
                n += 1
        except OSError:
            pass
    return n


def sockets_back_to(pid, baseline, timeout):
    """Waits (bounded) until the process holds no more sockets than baseline;
    returns (ok, seconds waited, last count)."""
    t0 = time.monotonic()
    n = None
    while time.monotonic() - t0 < timeout:
        n = socket_fds(pid)
        if n is not None and n <= baseline:
            return True, time.monotonic() - t0, n
        time.sleep(0.05)
    return False, time.monotonic() - t0, n


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY else 65536
    want = min(want, 65536)
    if soft == resource.RLIM_INFINITY or soft >= want:
        return soft
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    return want


# -- server and clients ---------------------------------------------------------

class Server:
    """A fresh petrel for one check; on exit, SIGTERM and check the shutdown."""

    def __init__(self, name, config=None, users=None, tls=False):
        self.name = name
        self.srv = petrel_server.PetrelServer(config=config, users=users, tls=tls)

    def __enter__(self):
        try:
            self.srv.start()
        except BaseException:
            self.srv.cleanup()
            raise
        return self.srv

    def __exit__(self, *exc):
        try:
            problems = self.srv.stop()
            check("%s: SIGTERM, exit 0, clean stderr" % self.name, not problems,
                  "; ".join(problems) + " | " + self.srv.stderr_tail(3) if problems else "")
        finally:
            self.srv.cleanup()
        return False


class Client:
    """A blocking client with a line buffer; every read has a deadline."""

    def __init__(self, port, timeout=5.0, rcvbuf=None):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(timeout)
        self.connected_at = time.monotonic()
        self.sock.connect((HOST, port))
        self.buf = b""
        self.sent_at = self.connected_at
        self.eof = False

    def send(self, data):
        self.sock.sendall(data)
        self.sent_at = time.monotonic()

    def _fill(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("timed out")
        self.sock.settimeout(left)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            raise TimeoutError("timed out")
        except ConnectionResetError:
            data = b""
        if not data:
            self.eof = True
        self.buf += data

    def readline(self, timeout=5.0):
        """One line without its CRLF; None at EOF; TimeoutError after timeout."""
        deadline = time.monotonic() + timeout
        while b"\r\n" not in self.buf:
            if self.eof:
                return None
            self._fill(deadline)
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line.decode("utf-8", "replace")

    def read_to_eof(self, timeout=5.0, limit=1 << 20):
        """Every byte until the server closes; TimeoutError if it does not."""
        deadline = time.monotonic() + timeout
        while not self.eof and len(self.buf) < limit:
            self._fill(deadline)
        data, self.buf = self.buf, b""
        return data

    def command(self, tag, text, timeout=5.0):
        """Send `tag text`, return (untagged lines, tagged line)."""
        self.send(("%s %s\r\n" % (tag, text)).encode())
        untagged = []
        for _ in range(1000):
            line = self.readline(timeout)
            if line is None:
                return untagged, None
            if line.startswith(tag + " "):
                return untagged, line
            untagged.append(line)
        return untagged, None

    def reset(self):
        """Close with an RST instead of a FIN (SO_LINGER 0)."""
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.close()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def serves_a_client(srv, login_timeout=10.0):
    """(ok, detail): the process is alive and a new client gets the greeting,
    can LOGIN and gets NOOP answered."""
    if srv.proc.poll() is not None:
        return False, "server exited %s: %s" % (srv.proc.returncode, srv.stderr_tail())
    c = None
    try:
        c = Client(srv.imap_port)
        g = c.readline(5)
        if g is None or not g.startswith("* OK "):
            return False, "greeting %r" % g
        _, t = c.command("h1", "LOGIN alice %s" % PASSWORD, timeout=login_timeout)
        if t is None or not t.startswith("h1 OK"):
            return False, "LOGIN answered %r" % t
        _, t = c.command("h2", "NOOP")
        if t != "h2 OK NOOP completed":
            return False, "NOOP answered %r" % t
        # LOGOUT and wait for the server's close, so that this client's
        # socket is gone from the server when we return.
        _, t = c.command("h3", "LOGOUT")
        rest = c.read_to_eof(5)
        if t is None or not t.startswith("h3 OK") or rest:
            return False, "LOGOUT answered %r, then %r" % (t, rest[:100])
        return True, ""
    except (OSError, TimeoutError) as e:
        return False, "%s: %s" % (type(e).__name__, e)
    finally:
        if c:
            c.close()


# -- non-blocking helpers for many connections -----------------------------------

class NB:
    __slots__ = ("sock", "buf", "line", "eof", "idx")

    def __init__(self, sock, idx):
        self.sock, self.buf, self.line, self.eof, self.idx = sock, b"", None, False, idx


def read_one_line_each(conns, deadline):
    """Read one CRLF line on each NB (into .line, or .eof). Bounded by deadline.
    Returns the number still without a line."""
    sel = selectors.DefaultSelector()
    waiting = 0
    for c in conns:
        c.line = None
        if b"\r\n" in c.buf:
            c.line, c.buf = c.buf.split(b"\r\n", 1)
        elif not c.eof:
            sel.register(c.sock, selectors.EVENT_READ, c)
            waiting += 1
    try:
        while waiting and time.monotonic() < deadline:
            for key, _ in sel.select(min(0.5, max(0.0, deadline - time.monotonic()))):
                c = key.data
                try:
                    data = c.sock.recv(65536)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    data = b""
                if not data:
                    c.eof = True
                else:
                    c.buf += data
                    if b"\r\n" not in c.buf:
                        continue
                    c.line, c.buf = c.buf.split(b"\r\n", 1)
                sel.unregister(c.sock)
                waiting -= 1
    finally:
        sel.close()
    return waiting


def send_all_nb(conns, data):
    """Send a short command on each non-blocking socket; returns failures."""
    bad = 0
    for c in conns:
        try:
            if c.sock.send(data) != len(data):
                bad += 1
        except OSError:
            bad += 1
    return bad


# -- 1. many connections ------------------------------------------------------------

def test_many_connections(nofile):
    n_conn, n_login = 2000, 200
    if nofile < n_conn + 300:
        n_conn = max(100, nofile - 300)
        info("RLIMIT_NOFILE is %d: only %d connections" % (nofile, n_conn))
    cfg = {"max_connections_per_ip": "5000"}
    with Server("many", cfg) as srv:
        pid = srv.proc.pid
        ok, detail = serves_a_client(srv)          # warm-up: first allocations, libs
        check("many: server serves before the flood", ok, detail)
        time.sleep(0.2)
        rss0 = rss_kib(pid)
        conns = []
        sel = selectors.DefaultSelector()
        t0 = time.monotonic()
        deadline = t0 + 30
        opened = greeted = failed = 0
        bad_greetings = []
        try:
            while (greeted + failed) < n_conn and time.monotonic() < deadline:
                # Keep at most 256 handshakes in flight: below the backlog (1024).
                while opened < n_conn and opened - greeted - failed < 256:
                    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                    s.setblocking(False)
                    err = s.connect_ex((HOST, srv.imap_port))
                    c = NB(s, opened)
                    conns.append(c)
                    opened += 1
                    if err not in (0, errno.EINPROGRESS):
                        c.eof = True
                        failed += 1
                        continue
                    sel.register(s, selectors.EVENT_READ, c)
                for key, _ in sel.select(0.5):
                    c = key.data
                    try:
                        data = c.sock.recv(4096)
                    except (BlockingIOError, InterruptedError):
                        continue
                    except OSError:
                        data = b""
                    if not data:
                        c.eof = True
                        failed += 1
                        sel.unregister(c.sock)
                        continue
                    c.buf += data
                    if b"\r\n" in c.buf:
                        c.line, c.buf = c.buf.split(b"\r\n", 1)
                        if not c.line.startswith(b"* OK ") and len(bad_greetings) < 3:
                            bad_greetings.append(c.line)
                        greeted += 1
                        sel.unregister(c.sock)
            elapsed = time.monotonic() - t0
            sel.close()
            good = sum(1 for c in conns if c.line is not None and c.line.startswith(b"* OK "))
            check("many: %d concurrent connections all get the greeting" % n_conn, good == n_conn,
                  "%d greeted correctly, %d closed/refused, %d silent after %.1f s; odd: %r"
                  % (good, failed, n_conn - greeted - failed, elapsed, bad_greetings))
            info("%d connections greeted in %.2f s" % (good, elapsed))
            time.sleep(0.3)
            rss1 = rss_kib(pid)
            if rss0 and rss1:
                per = (rss1 - rss0) / float(n_conn)
                info("server RSS %d KiB before, %d KiB with %d idle connections: %.1f KiB per connection"
                     % (rss0, rss1, n_conn, per))
                check("many: < 200 KiB RSS per idle connection", per < 200,
                      "%.1f KiB per connection" % per)
            else:
                check("many: server RSS readable", False, "no /proc/%d/status" % pid)

            # 200 of them log in (all alice: the worker pool serializes one
            # user's jobs, so this takes 200 password checks in a row).
            live = [c for c in conns if c.line is not None and not c.eof]
            logins = live[:n_login]
            t1 = time.monotonic()
            bad = send_all_nb(logins, ("l LOGIN alice %s\r\n" % PASSWORD).encode())
            missing = read_one_line_each(logins, time.monotonic() + 60)
            ok_logins = sum(1 for c in logins if c.line is not None and c.line.startswith(b"l OK "))
            check("many: %d of them LOGIN at once, all OK" % n_login, ok_logins == n_login and not bad,
                  "%d OK, %d send failures, %d unanswered, first answers %r"
                  % (ok_logins, bad, missing, [c.line for c in logins if not (c.line or b"").startswith(b"l OK")][:3]))
            info("%d LOGINs answered in %.2f s" % (ok_logins, time.monotonic() - t1))

            t2 = time.monotonic()
            bad = send_all_nb(live, b"n NOOP\r\n")
            missing = read_one_line_each(live, time.monotonic() + 30)
            ok_noop = sum(1 for c in live if c.line == b"n OK NOOP completed")
            check("many: all %d send NOOP and get OK" % len(live), ok_noop == n_conn and not bad,
                  "%d OK, %d send failures, %d unanswered, odd %r"
                  % (ok_noop, bad, missing, [c.line for c in live if c.line != b"n OK NOOP completed"][:3]))
            info("%d NOOPs answered in %.2f s" % (ok_noop, time.monotonic() - t2))
            rss2 = rss_kib(pid)
            if rss0 and rss2:
                info("server RSS after %d logins: %d KiB (%.1f KiB per connection)"
                     % (n_login, rss2, (rss2 - rss0) / float(n_conn)))
        finally:
            for c in conns:
                try:
                    c.sock.close()
                except OSError:
                    pass
        ok, detail = serves_a_client(srv)
        check("many: server still serves after they all close", ok, detail)


# -- 2. connection limits ---------------------------------------------------------

BYE_LIMIT = b"* BYE Too many connections\r\n"


def refused_exactly(port):
    """(ok, detail): a connection gets exactly the BYE line and EOF."""
    c = Client(port)
    try:
        data = c.read_to_eof(5)
        return data == BYE_LIMIT, "got %r" % data[:200]
    except TimeoutError:
        return False, "no EOF within 5 s; got %r" % c.buf[:200]
    finally:
        c.close()


def greeted_after_close(port, held, tries=20):
    """(ok, attempts, detail): a new connection gets the greeting (and joins
    held); a refused one is retried (the server may see our close a moment
    later)."""
    last = ""
    for attempt in range(1, tries + 1):
        c = Client(port)
        line = c.readline(5)
        if line is not None and line.startswith("* OK "):
            held.append(c)
            return True, attempt, ""
        c.close()
        last = repr(line)
        time.sleep(0.1)
    return False, tries, "last answer %s" % last


def test_limits():
    with Server("limits per ip", {"max_connections_per_ip": "5"}) as srv:
        held = []
        try:
            for _ in range(5):
                c = Client(srv.imap_port)
                held.append(c)
                line = c.readline(5)
                if line is None or not line.startswith("* OK "):
                    check("limits: 5 connections from one address are greeted", False, repr(line))
                    return
            check("limits: 5 connections from one address are greeted", True)
            ok, detail = refused_exactly(srv.imap_port)
            check("limits: the 6th gets exactly '* BYE Too many connections' and EOF "
                  "(max_connections_per_ip = 5)", ok, detail)
            held.pop(0).close()
            ok, attempts, detail = greeted_after_close(srv.imap_port, held)
            check("limits: after closing one, a new connection is greeted", ok, detail)
            if attempts > 1:
                info("greeted after %d attempts (the close was seen late)" % attempts)
            ok, detail = refused_exactly(srv.imap_port)
            check("limits: and the next one is refused again", ok, detail)
        finally:
            for c in held:
                c.close()

    with Server("limits total", {"max_connections": "3", "max_connections_per_ip": "100"}) as srv:
        held = []
        try:
            for _ in range(3):
                c = Client(srv.imap_port)
                held.append(c)
                line = c.readline(5)
                if line is None or not line.startswith("* OK "):
                    check("limits: 3 connections are greeted", False, repr(line))
                    return
            ok, detail = refused_exactly(srv.imap_port)
            check("limits: the 4th gets exactly '* BYE Too many connections' and EOF "
                  "(max_connections = 3)", ok, detail)
            held.pop().close()
            ok, attempts, detail = greeted_after_close(srv.imap_port, held)
            check("limits: after closing one, a new connection is greeted (max_connections)", ok, detail)
        finally:
            for c in held:
                c.close()


# -- 3. backpressure ------------------------------------------------------------------

def test_backpressure():
    n_cmds = 50000
    with Server("backpressure") as srv:
        pid = srv.proc.pid
        # A small receive buffer (it also stops autotuning, which on loopback
        # can reach tcp_rmem's 32 MiB and absorb every answer): the server's
        # output must back up into its own buffers.
        a = Client(srv.imap_port, rcvbuf=64 * 1024)
        b = Client(srv.imap_port)
        try:
            if not (a.readline(5) or "").startswith("* OK ") or not (b.readline(5) or "").startswith("* OK "):
                check("backpressure: greetings", False)
                return
            time.sleep(0.2)
            rss0 = rss_kib(pid)
            payload = b"".join(b"a%d CAPABILITY\r\n" % i for i in range(1, n_cmds + 1))
            a.sock.setblocking(False)
            off = 0
            peak = rss0
            b_latency = b_answer = None
            t0 = time.monotonic()
            next_sample = t0
            while time.monotonic() - t0 < 3.0:
                now = time.monotonic()
                if off < len(payload):
                    try:
                        off += a.sock.send(payload[off:off + 65536])
                    except (BlockingIOError, InterruptedError):
                        time.sleep(0.005)
                else:
                    time.sleep(0.01)
                if now >= next_sample:
                    r = rss_kib(pid)
                    if r:
                        peak = max(peak, r)
                    next_sample = now + 0.05
                if b_latency is None and now - t0 >= 1.0:
                    # The other client, while A still reads nothing.
                    b.send(b"b1 NOOP\r\n")
                    try:
                        b_answer = b.readline(1.0)
                        b_latency = time.monotonic() - b.sent_at
                    except TimeoutError:
                        b_latency = float("inf")
            for _ in range(5):                      # after the burst, settle
                time.sleep(0.1)
                r = rss_kib(pid)
                if r:
                    peak = max(peak, r)
            queues = tcp_queues(srv.imap_port, a.sock.getsockname()[1])
            sent_cmds = payload.count(b"\r\n", 0, off)
            partial = off < len(payload) and payload[off - 1:off] != b"\n"
            info("client A pushed %d of %d commands (%d bytes) in 3 s while reading nothing"
                 % (sent_cmds, n_cmds, off))
            growth = (peak - rss0) if (peak and rss0) else None
            if growth is not None:
                info("server RSS %d KiB before, peak %d KiB: growth %.1f MiB" % (rss0, peak, growth / 1024.0))
            check("backpressure: server RSS grows < 32 MiB while a client does not read",
                  growth is not None and growth < 32 * 1024, "growth %s KiB" % growth)
            # Without the output cap the server would read every command and
            # queue all the answers (~190 bytes each, some MiB: under the RSS
            # bound), so look at its socket: it must have stopped reading.
            if queues is None:
                info("server socket not found in /proc/net/tcp: reading stop not checked")
            else:
                info("server socket: %d bytes of commands unread in its receive queue, "
                     "%d bytes of answers in its send queue" % (queues[1], queues[0]))
                check("backpressure: the server stopped reading the client that does not read",
                      queues[1] > 0 or off < len(payload),
                      "receive queue empty and all %d bytes accepted" % off)
            check("backpressure: another client's NOOP answered within 1 s meanwhile",
                  b_answer == "b1 OK NOOP completed" and b_latency is not None and b_latency < 1.0,
                  "answer %r after %s s" % (b_answer, b_latency))
            if b_latency is not None and b_latency < 1.0:
                info("other client's NOOP answered in %.1f ms" % (b_latency * 1000))

            # Now A reads everything; it also finishes a command cut in half.
            rest = b""
            if partial:
                end = payload.index(b"\r\n", off) + 2
                rest = payload[off:end]
                sent_cmds += 1
            expected = 1
            saw_untagged = False
            error = None
            pending = b""
            sel = selectors.DefaultSelector()
            sel.register(a.sock, selectors.EVENT_READ | (selectors.EVENT_WRITE if rest else 0))
            deadline = time.monotonic() + 40
            eof = False
            try:
                while expected <= sent_cmds and error is None and not eof and time.monotonic() < deadline:
                    for _, ev in sel.select(0.5):
                        if ev & selectors.EVENT_WRITE and rest:
                            try:
                                rest = rest[a.sock.send(rest):]
                            except (BlockingIOError, InterruptedError):
                                pass
                            if not rest:
                                sel.modify(a.sock, selectors.EVENT_READ)
                        if ev & selectors.EVENT_READ:
                            try:
                                data = a.sock.recv(1 << 20)
                            except (BlockingIOError, InterruptedError):
                                continue
                            if not data:
                                eof = True
                                break
                            pending += data
                            lines = pending.split(b"\r\n")
                            pending = lines.pop()
                            for line in lines:
                                if line.startswith(b"* CAPABILITY "):
                                    if saw_untagged:
                                        error = "two * CAPABILITY before a%d's OK" % expected
                                        break
                                    saw_untagged = True
                                elif line == b"a%d OK CAPABILITY completed" % expected:
                                    if not saw_untagged:
                                        error = "a%d OK without its * CAPABILITY" % expected
                                        break
                                    saw_untagged = False
                                    expected += 1
                                else:
                                    error = "expected a%d's answer, got %r" % (expected, line[:100])
                                    break
            finally:
                sel.close()
            answered = expected - 1
            check("backpressure: then every command is answered in order (a1..a%d, * CAPABILITY "
                  "before each OK)" % sent_cmds,
                  error is None and answered == sent_cmds and not pending,
                  "%d of %d answered; %s%s" % (answered, sent_cmds, error or "",
                                               " (EOF)" if eof else " (timeout)" if answered < sent_cmds else ""))
            a.sock.setblocking(True)
            a.sock.settimeout(5)
            a.buf = pending
            _, t = a.command("z", "NOOP")
            check("backpressure: the client is still served afterwards", t == "z OK NOOP completed", repr(t))
        finally:
            a.close()
            b.close()


# -- 4. clients that vanish ---------------------------------------------------------------



def vanish_mid_literal(srv, rst):
    c = Client(srv.imap_port)
    c.readline(5)
    c.send(b"a LOGIN {10}\r\n")
    line = c.readline(5)
    if line is None or not line.startswith("+"):
        c.close()
        return "no continuation: %r" % line
    c.send(b"ali")
    c.reset() if rst else c.close()


def vanish_mid_authenticate(srv, partial):
    c = Client(srv.imap_port)
    c.readline(5)
    c.send(b"a AUTHENTICATE PLAIN\r\n")
    line = c.readline(5)
    if line != "+ ":
        c.close()
        return "continuation %r, not '+ '" % line
    if partial:
        c.send(b"AGFsaWNlAGFsaWNl")      # half a response, no CRLF
    c.close()


def vanish_mid_tls(srv, what):
    c = Client(srv.imaps_port)
    if what == "half-hello":
        hello = tls_client_hello()
        c.send(hello[:len(hello) // 2])
        time.sleep(0.05)
        c.close()
    elif what == "whole-hello":
        c.send(tls_client_hello())
        time.sleep(0.05)           # the server answers to a socket about to close
        c.reset()
    else:
        c.send(os.urandom(517))
        time.sleep(0.05)
        c.close()


def vanish_mid_login(srv, rst, wrong=False, sasl=False):
    c = Client(srv.imap_port)
    c.readline(5)
    if sasl:
        ir = base64.b64encode(b"\0alice\0" + PASSWORD.encode()).decode()
        c.send(("a AUTHENTICATE PLAIN %s\r\n" % ir).encode())
    else:
        c.send(("a LOGIN alice %s\r\n" % ("wrong" if wrong else PASSWORD)).encode())
    c.reset() if rst else c.close()


def vanish_mid_starttls(srv):
    c = Client(srv.imap_port)
    c.readline(5)
    _, t = c.command("a", "STARTTLS")
    if t is None or not t.startswith("a OK"):
        c.close()
        return "STARTTLS answered %r" % t
    hello = tls_client_hello()
    c.send(hello[:len(hello) // 2])
    time.sleep(0.05)
    c.close()


def vanish_during_failure_delay(srv):
    """The wrong password is known after ~1 s (auth_test_delay_ms); the
    answer then waits auth_failure_delay_ms (2 s) on a timer: leave at 1.8 s."""
    c = Client(srv.imap_port)
    c.readline(5)
    c.send(("a LOGIN alice wrong-%s\r\n" % PASSWORD).encode())
    time.sleep(1.8)
    if c.buf or select_readable(c.sock):
        c.close()
        return "answered before the failure delay ended"
    c.reset()


def select_readable(sock):
    sel = selectors.DefaultSelector()
    try:
        sel.register(sock, selectors.EVENT_READ)
        return bool(sel.select(0))
    finally:
        sel.close()


def vanish_with_output_queued(srv):
    """Pipelines 20,000 commands, reads nothing (so the server holds a full
    output buffer and a paused input), then resets the connection."""
    c = Client(srv.imap_port, rcvbuf=16 * 1024)
    c.readline(5)
    payload = b"".join(b"q%d CAPABILITY\r\n" % i for i in range(20000))
    c.sock.setblocking(False)
    off, t0 = 0, time.monotonic()
    while off < len(payload) and time.monotonic() - t0 < 1.0:
        try:
            off += c.sock.send(payload[off:off + 65536])
        except (BlockingIOError, InterruptedError):
            time.sleep(0.01)
    time.sleep(0.3)
    c.reset()


def vanish_mid_fetch(srv, rst):
    """A 4 MB message fetched whole (BODY[] and BINARY[1]) by a client that
    reads 300 KB of it and goes: the FETCH is mid-stream, its steps queued
    or waiting for the output to drain."""
    c = Client(srv.imap_port, timeout=10.0)
    c.readline(5)
    _, tagged = c.command("a", "LOGIN alice %s" % PASSWORD, 10)
    if tagged is None or " OK " not in tagged:
        c.close()
        return "login: %r" % tagged
    c.command("b", "CREATE Vanish", 5)
    body = b"Subject: big\r\n\r\n" + (b"v" * 76 + b"\r\n") * (4 * 1024 * 1024 // 78)
    c.send(b"c APPEND Vanish {%d+}\r\n" % len(body) + body + b"\r\n")
    line = c.readline(10)
    if line is None or not line.startswith("c OK"):
        c.close()
        return "APPEND: %r" % line
    c.send(b"d EXAMINE Vanish\r\ne FETCH 1 (BODY[] BINARY[1])\r\n")
    deadline = time.monotonic() + 5
    while len(c.buf) < 300000 and not c.eof and time.monotonic() < deadline:
        c._fill(deadline)
    c.reset() if rst else c.close()


def vanish_mid_idle(srv, rst):
    """A session in IDLE goes; another session of the same user then
    changes the mailbox, which wakes the IDLE's watch if it was not
    removed, and a third IDLE session must still see the change."""
    def login(tag):
        c = Client(srv.imap_port, timeout=10.0)
        c.readline(5)
        _, tagged = c.command(tag, "LOGIN alice %s" % PASSWORD, 10)
        if tagged is None or " OK " not in tagged:
            c.close()
            raise AssertionError("login: %r" % tagged)
        return c
    try:
        gone, watcher, writer = login("a"), login("b"), login("c")
    except AssertionError as e:
        return str(e)
    try:
        for c in (gone, watcher):
            _, tagged = c.command("s", "SELECT INBOX", 5)
            if tagged is None or " OK " not in tagged:
                return "SELECT: %r" % tagged
            c.send(b"i IDLE\r\n")
            line = c.readline(5)
            if line != "+ idling":
                return "IDLE: %r" % line
        gone.reset() if rst else gone.close()
        msg = b"Subject: while idle\r\n\r\nx\r\n"
        writer.send(b"w APPEND INBOX {%d+}\r\n%s\r\n" % (len(msg), msg))
        line = writer.readline(10)
        if line is None or not line.startswith("w OK"):
            return "APPEND: %r" % line
        line = watcher.readline(5)
        if line is None or not line.endswith(" EXISTS"):
            return "the other IDLE saw %r, not EXISTS" % line
        watcher.send(b"DONE\r\n")
        while True:
            line = watcher.readline(5)
            if line is None or line.startswith("i "):
                break
        if line != "i OK IDLE terminated":
            return "DONE: %r" % line
    finally:
        for c in (gone, watcher, writer):
            c.close()


def vanish_after_junk(srv):
    c = Client(srv.imap_port)
    c.readline(5)
    try:
        c.send(b"x" * (1 << 20))
    except (BrokenPipeError, ConnectionResetError, socket.timeout):
        pass              # the server may close first (line limit): fine
    c.close()


def vanish_burst(srv, n=200):
    socks = []
    try:
        for i in range(n):
            c = Client(srv.imap_port)
            socks.append(c)
            if i % 3 == 1:
                try:
                    c.sock.send(b"a LOGIN alice")     # half a command
                except OSError:
                    pass
        for i, c in enumerate(socks):
            c.reset() if i % 2 == 0 else c.close()
    finally:
        for c in socks:
            c.close()


def test_vanish():
    cases = [
        ("mid-literal (FIN)", lambda s: vanish_mid_literal(s, False)),
        ("mid-literal (RST)", lambda s: vanish_mid_literal(s, True)),
        ("mid-AUTHENTICATE after '+ '", lambda s: vanish_mid_authenticate(s, False)),
        ("mid-AUTHENTICATE response line", lambda s: vanish_mid_authenticate(s, True)),
        ("mid-TLS: half a ClientHello", lambda s: vanish_mid_tls(s, "half-hello")),
        ("mid-TLS: whole ClientHello, then RST", lambda s: vanish_mid_tls(s, "whole-hello")),
        ("mid-TLS: random bytes", lambda s: vanish_mid_tls(s, "random")),
        ("during the password check (FIN)", lambda s: vanish_mid_login(s, False)),
        ("during the password check (RST)", lambda s: vanish_mid_login(s, True)),
        ("during a failing password check (RST)", lambda s: vanish_mid_login(s, True, wrong=True)),
        ("during AUTHENTICATE PLAIN's check (FIN)", lambda s: vanish_mid_login(s, False, sasl=True)),
        ("during the failed-login delay timer (RST)", vanish_during_failure_delay),
        ("mid-STARTTLS handshake", vanish_mid_starttls),
        ("with 256 KiB of answers queued (RST)", vanish_with_output_queued),
        ("mid-FETCH of a 4 MB message (FIN)", lambda s: vanish_mid_fetch(s, False)),
        ("mid-FETCH of a 4 MB message (RST)", lambda s: vanish_mid_fetch(s, True)),
        ("mid-IDLE, then the mailbox changes (FIN)", lambda s: vanish_mid_idle(s, False)),
        ("mid-IDLE, then the mailbox changes (RST)", lambda s: vanish_mid_idle(s, True)),
        ("after 1 MB of junk without a newline", vanish_after_junk),
        ("200 connections opened and dropped in a burst", vanish_burst),
    ]
    per_ip = 210
    cfg = {"auth_test_delay_ms": "1000", "auth_failure_delay_ms": "2000",
           "max_connections_per_ip": str(per_ip)}
    with Server("vanish", cfg, tls=True) as srv:
        ok, detail = serves_a_client(srv)
        check("vanish: server serves before", ok, detail)
        time.sleep(0.2)
        for name, act in cases:
            # Compared with the count before this case only, so that one
            # case's leak does not fail the next ones.
            baseline = socket_fds(srv.proc.pid)
            try:
                problem = act(srv)
            except (OSError, TimeoutError) as e:
                problem = "%s: %s" % (type(e).__name__, e)
            if problem:
                check("vanish: %s: the setup" % name, False, problem)
            # The server must notice the client is gone and close its socket
            # (and so free its connection slot). A pending password check
            # (1 s) and failure delay (2 s) may keep it a little longer.
            gone, waited, count = sockets_back_to(srv.proc.pid, baseline, 4.5)
            check("vanish: %s: server closes its side" % name, gone,
                  "after %.1f s the server still holds %s sockets (%d before)" % (waited, count, baseline))
            ok, detail = serves_a_client(srv)
            check("vanish: %s: server alive and serves a new client" % name, ok, detail)
            if srv.proc.poll() is not None:
                return
        # No vanished connection may still hold a slot of the per-address
        # count: all max_connections_per_ip can be open again, and no more.
        time.sleep(0.5)
        held = []
        try:
            greeted = 0
            for _ in range(per_ip):
                c = Client(srv.imap_port)
                held.append(c)
            for c in held:
                line = c.readline(5)
                if line is not None and line.startswith("* OK "):
                    greeted += 1
            ok, detail = refused_exactly(srv.imap_port)
            check("vanish: afterwards all %d per-address slots are free again (no leaked count)" % per_ip,
                  greeted == per_ip and ok, "%d of %d greeted; one more: %s" % (greeted, per_ip, detail))
        finally:
            for c in held:
                c.close()


# -- 5. failed-login throttling ----------------------------------------------------------

def throttle_expect(failures_before, delay, free, cap):
    """Documented delays (README, ARCHITECTURE): a failure is answered after
    auth_failure_delay_ms, doubled per failure past auth_free_failures up to
    auth_max_delay_ms; past the free ones, the same grown delay also comes
    before a new attempt. Returns (pre, post) in ms for the next attempt."""
    def grown(f):
        d = delay
        for _ in range(f - free):
            d = min(d * 2, cap)
        return min(d, cap)
    pre = grown(failures_before) if failures_before > free else 0
    n = failures_before + 1
    post = delay if n <= free else grown(n)
    return pre, post


def timed_login(port, password, tag="a"):
    """New connection; returns (answer, seconds from sending LOGIN to the answer)."""
    c = Client(port)
    try:
        c.readline(5)
        c.send(("%s LOGIN alice %s\r\n" % (tag, password)).encode())
        line = c.readline(10)
        return line, time.monotonic() - c.sent_at
    finally:
        c.close()


def test_throttle():
    delay, free, cap = 100, 2, 800
    cfg = {"auth_failure_delay_ms": str(delay), "auth_free_failures": str(free),
           "auth_max_delay_ms": str(cap)}
    slack = 1.5
    with Server("throttle", cfg) as srv:
        # Each attempt on a new connection: the count belongs to the address.
        figures = []
        for k in range(6):
            pre, post = throttle_expect(k, delay, free, cap)
            want = (pre + post) / 1000.0
            line, took = timed_login(srv.imap_port, "wrong-secret")
            figures.append("%.0f" % (took * 1000))
            check("throttle: failure %d answered NO [AUTHENTICATIONFAILED] in %.0f ms "
                  "(expected %d ms: %d before + %d after)" % (k + 1, took * 1000, pre + post, pre, post),
                  line == "a NO [AUTHENTICATIONFAILED] Authentication failed"
                  and want - 0.005 <= took <= want + slack,
                  "answer %r" % line)
        info("failed-login answer times (ms): %s" % ", ".join(figures))
        pre, _ = throttle_expect(6, delay, free, cap)
        line, took = timed_login(srv.imap_port, PASSWORD)
        check("throttle: a correct login afterwards succeeds after its %d ms pre-delay (%.0f ms)"
              % (pre, took * 1000),
              line is not None and line.startswith("a OK ") and pre / 1000.0 - 0.005 <= took <= pre / 1000.0 + slack,
              "answer %r" % line)
        pre, post = throttle_expect(0, delay, free, cap)
        line, took = timed_login(srv.imap_port, "wrong-secret")
        check("throttle: the success reset the count: next failure in %.0f ms (expected %d)"
              % (took * 1000, pre + post),
              line == "a NO [AUTHENTICATIONFAILED] Authentication failed"
              and (pre + post) / 1000.0 - 0.005 <= took <= (pre + post) / 1000.0 + slack,
              "answer %r" % line)


# -- 6. slow password checks do not stall others -------------------------------------

def test_slow_isolation():
    users = {"bob": "bob-secret", "carol": "carol-secret", "dave": "dave-secret"}
    with Server("isolation", {"auth_test_delay_ms": "2000"}, users=users) as srv:
        clients = []
        try:
            for _ in range(4):
                c = Client(srv.imap_port)
                clients.append(c)
                c.readline(5)
            slow, other = clients[:3], clients[3]
            for c, (name, pw) in zip(slow, sorted(users.items())):
                c.send(("s LOGIN %s %s\r\n" % (name, pw)).encode())
            t0 = time.monotonic()
            time.sleep(0.1)                      # the three checks are now on workers
            for tag, cmd in (("o1", "NOOP"), ("o2", "CAPABILITY")):
                try:
                    untagged, tagged = other.command(tag, cmd, timeout=2)
                    took = time.monotonic() - other.sent_at
                except TimeoutError:
                    untagged, tagged, took = [], None, float("inf")
                check("isolation: %s answered in %.0f ms while 3 LOGINs are held 2 s" % (cmd, took * 1000),
                      tagged is not None and tagged.startswith(tag + " OK") and took < 0.5,
                      "answer %r" % tagged)
            times = []
            for c in slow:
                try:
                    line = c.readline(8)
                except TimeoutError:
                    line = None
                times.append(time.monotonic() - t0)
                check("isolation: held LOGIN completes OK", line is not None and line.startswith("s OK "),
                      "answer %r" % line)
            info("held LOGINs answered after %s s (2 s test delay each; parallel < 4 s)"
                 % ", ".join("%.2f" % t for t in times))
            check("isolation: the 3 held LOGINs (3 users) ran in parallel, not one after another",
                  max(times) < 5.5 and min(times) >= 1.9, "answered after %r s" % times)
        finally:
            for c in clients:
                c.close()


# -- 7. autologout ------------------------------------------------------------------------

def test_autologout():
    """Four connections at once: two stay idle (one before, one after LOGIN)
    and are watched for the BYE with its arrival time, while two others
    (before and after LOGIN) send NOOP every 0.5 s for 4 s."""
    cfg = {"login_timeout": "2", "idle_timeout": "2"}
    bye = "* BYE Autologout; idle for too long"
    with Server("autologout", cfg) as srv:
        port = srv.imap_port
        everyone = []
        sel = selectors.DefaultSelector()
        try:
            idle_unauth = Client(port)
            everyone.append(idle_unauth)
            idle_unauth.readline(5)
            idle_auth, busy_auth, busy_unauth = Client(port), Client(port), Client(port)
            mid_sasl = Client(port)
            everyone += [idle_auth, busy_auth, busy_unauth, mid_sasl]
            for c in (idle_auth, busy_auth, busy_unauth, mid_sasl):
                c.readline(5)
            mid_sasl.send(b"s AUTHENTICATE PLAIN\r\n")
            if mid_sasl.readline(5) != "+ ":
                check("autologout: AUTHENTICATE PLAIN continuation", False)
                return
            for c in (idle_auth, busy_auth):
                _, t = c.command("l", "LOGIN alice %s" % PASSWORD)
                if t is None or not t.startswith("l OK"):
                    check("autologout: LOGIN", False, repr(t))
                    return
            # Start of inactivity: the connect (the timer is armed at accept),
            # and the LOGIN sent (it is re-armed when the LOGIN completes).
            watch = {idle_unauth: ["unauthenticated (login_timeout = 2)", idle_unauth.connected_at, None],
                     idle_auth: ["authenticated (idle_timeout = 2)", idle_auth.sent_at, None],
                     mid_sasl: ["in AUTHENTICATE, after '+ ' (login_timeout = 2)", mid_sasl.sent_at, None]}
            for c in watch:
                c.sock.setblocking(False)
                sel.register(c.sock, selectors.EVENT_READ, c)

            def watch_until(until):
                while time.monotonic() < until:
                    if not sel.get_map():
                        time.sleep(max(0.0, until - time.monotonic()))
                        break
                    for key, _ in sel.select(max(0.0, until - time.monotonic())):
                        c = key.data
                        try:
                            data = c.sock.recv(65536)
                        except (BlockingIOError, InterruptedError):
                            continue
                        except OSError:
                            data = b""
                        if data and watch[c][2] is None:
                            watch[c][2] = time.monotonic() - watch[c][1]
                        c.buf += data
                        if not data:
                            c.eof = True
                            sel.unregister(c.sock)

            busy = {busy_auth: [], busy_unauth: []}
            t0 = time.monotonic()
            for i in range(8):
                for c in busy:
                    try:
                        _, t = c.command("n%d" % i, "NOOP", timeout=1)
                    except TimeoutError:
                        t = None
                    busy[c].append(t)
                watch_until(t0 + 0.5 * (i + 1))
            watch_until(max(v[1] for v in watch.values()) + 4.5)
            for c, name in ((busy_auth, "authenticated"), (busy_unauth, "unauthenticated")):
                answers = busy[c]
                check("autologout: %s connection sending NOOP every 0.5 s for 4 s is not logged out" % name,
                      len(answers) == 8 and all(a == "n%d OK NOOP completed" % i for i, a in enumerate(answers)),
                      "answers %r" % answers)
            for c, (name, _, at) in watch.items():
                if c is mid_sasl:
                    # What to say first (a tagged BAD/NO?) is the server's
                    # choice; it must end with a BYE and close.
                    check("autologout: idle %s is logged out (* BYE, EOF) within 4 s" % name,
                          b"* BYE " in c.buf and c.eof and at is not None and 1.95 <= at <= 4.0,
                          "got %r%s after %s s" % (c.buf[:200], "" if c.eof else ", no EOF", at))
                    continue
                check("autologout: idle %s gets '%s' then EOF after %s s (2-4)"
                      % (name, bye, "%.2f" % at if at is not None else "-"),
                      c.buf == (bye + "\r\n").encode() and c.eof and at is not None and 1.95 <= at <= 4.0,
                      "got %r%s" % (c.buf[:200], "" if c.eof else ", no EOF"))
        finally:
            sel.close()
            for c in everyone:
                c.close()


def test_idle_shutdown():
    """Sessions waiting in IDLE (one with a mailbox selected, one without)
    when the server gets SIGTERM: each gets '* BYE Server shutting down'
    and EOF, and the server exits 0 (checked by Server's exit)."""
    with Server("idle-shutdown") as srv:
        clients = []
        try:
            for select in (True, False):
                c = Client(srv.imap_port, timeout=10.0)
                clients.append(c)
                c.readline(5)
                c.command("a", "LOGIN alice %s" % PASSWORD, 10)
                if select:
                    c.command("b", "SELECT INBOX", 5)
                c.send(b"c IDLE\r\n")
                line = c.readline(5)
                check("idle-shutdown: IDLE %s a mailbox selected answers '+ idling'"
                      % ("with" if select else "without"), line == "+ idling", repr(line))
            srv.terminate()
            for c, what in zip(clients, ("with", "without")):
                data = c.read_to_eof(5)
                check("idle-shutdown: in IDLE %s a mailbox selected: BYE, then EOF" % what,
                      data == b"* BYE Server shutting down\r\n", repr(data[:200]))
        finally:
            for c in clients:
                c.close()


# -- main -----------------------------------------------------------------------------------

def main():
    nofile = raise_nofile()
    checks = [
        ("many", lambda: test_many_connections(nofile)),
        ("limits", test_limits),
        ("backpressure", test_backpressure),
        ("vanish", test_vanish),
        ("throttle", test_throttle),
        ("isolation", test_slow_isolation),
        ("autologout", test_autologout),
        ("idle-shutdown", test_idle_shutdown),
    ]
    wanted = set(sys.argv[1:])
    signal.signal(signal.SIGALRM, _on_alarm)
    started = time.monotonic()
    for name, fn in checks:
        if wanted and name not in wanted:
            continue
        t0 = time.monotonic()
        signal.alarm(CHECK_ALARM)
        try:
            fn()
        except petrel_server.ServerError as e:
            check("%s: server start" % name, False, e)
        except Exception as e:              # one broken check must not hide the others
            tb = traceback.extract_tb(e.__traceback__)[-1]
            check("%s: ran to the end" % name, False, "%s: %s (line %d)" % (type(e).__name__, e, tb.lineno))
        finally:
            signal.alarm(0)
        info("[%s took %.1f s]" % (name, time.monotonic() - t0))
    info("[total %.1f s]" % (time.monotonic() - started))
    print("engine: %d passed, %d failed" % (results["passed"], results["failed"]), flush=True)
    return 1 if results["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
