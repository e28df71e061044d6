"""Idle sessions (issue 5): N sessions of the bench user logged in with
SCRAM-SHA-256 (the client's PBKDF2 computed once and reused: a LOGIN costs
the server a yescrypt hash, ~33 ms, which would make opening 10,000
sessions a benchmark of password hashing), INBOX selected, in IDLE; first
on the plain port, then over implicit TLS.

Figures per kind: the server's memory per idle session (VmRSS after the
sessions are open minus before, over N; it includes the TLS state), and how
fast a change reaches them: one APPEND by another session, then the time
until each idle session has received its EXISTS (p50, p99, max). The loaded
mailbox is selected by every session, so a session's view holds its UIDs
(4 bytes a message): the bench opens them on a mailbox of its own, with 10
messages, to measure a session, not a mailbox.
"""

import base64
import hashlib
import hmac
import os
import resource
import selectors
import socket
import ssl
import time

import imapc
from figures import Figure, median

MEMORY_TARGET = ("<", 64.0)       # KiB per idle connection (issue 6)
PUSH_TARGET = ("<", 100.0)        # ms until a change reaches an idle session (issue 5)
MAILBOX = "BenchIdle"
OPEN_TIMEOUT_S = 600              # bounds opening all sessions


def _rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Scram:
    """SCRAM-SHA-256 client proofs with the salted password cached."""

    def __init__(self, user, password):
        self.user, self.password = user, password
        self.salted = {}

    def first(self):
        self.cnonce = base64.b64encode(os.urandom(18)).decode()
        self.first_bare = "n=%s,r=%s" % (self.user, self.cnonce)
        return base64.b64encode(("n,," + self.first_bare).encode())

    def final(self, server_first_b64):
        server_first = base64.b64decode(server_first_b64).decode()
        attrs = dict(kv.split("=", 1) for kv in server_first.split(","))
        key = (attrs["s"], attrs["i"])
        if key not in self.salted:
            self.salted[key] = hashlib.pbkdf2_hmac("sha256", self.password.encode(),
                                                   base64.b64decode(attrs["s"]), int(attrs["i"]))
        salted = self.salted[key]
        client_key = hmac.new(salted, b"Client Key", "sha256").digest()
        without_proof = "c=biws,r=" + attrs["r"]
        auth = ",".join((self.first_bare, server_first, without_proof)).encode()
        sig = hmac.new(hashlib.sha256(client_key).digest(), auth, "sha256").digest()
        proof = bytes(a ^ b for a, b in zip(client_key, sig))
        return base64.b64encode((without_proof + ",p=" + base64.b64encode(proof).decode()).encode())


def _readline(sock, buf):
    while b"\r\n" not in buf:
        data = sock.recv(65536)
        if not data:
            raise imapc.IMAPError("server closed an idle-bench session")
        buf += data
    line, rest = buf.split(b"\r\n", 1)
    return line, rest


def _open_idle(target, tls_ctx, scram):
    sock = socket.create_connection((target.host, target.tls_port if tls_ctx else target.port),
                                    timeout=30)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if tls_ctx is not None:
        sock = tls_ctx.wrap_socket(sock, server_hostname="localhost")
    buf = b""
    line, buf = _readline(sock, buf)                      # greeting
    sock.sendall(b"a AUTHENTICATE SCRAM-SHA-256 " + scram.first() + b"\r\n")
    line, buf = _readline(sock, buf)
    if not line.startswith(b"+ "):
        raise imapc.IMAPError("SCRAM: %r" % line)
    sock.sendall(scram.final(line[2:]) + b"\r\n")
    line, buf = _readline(sock, buf)
    if line.startswith(b"+"):
        sock.sendall(b"\r\n")                             # server-final acknowledged
        line, buf = _readline(sock, buf)
    if not line.startswith(b"a OK"):
        raise imapc.IMAPError("SCRAM login: %r" % line)
    sock.sendall(b"b SELECT " + MAILBOX.encode() + b"\r\nc IDLE\r\n")
    while True:
        line, buf = _readline(sock, buf)
        if line == b"+ idling":
            return sock
        if line.startswith(b"b NO") or line.startswith(b"b BAD"):
            raise imapc.IMAPError("SELECT: %r" % line)


def _push_latency(target, socks):
    """ms until each idle socket has an EXISTS, after one APPEND."""
    sel = selectors.DefaultSelector()
    for s in socks:
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, [b"", None])
    c = imapc.connect(target)
    t0 = time.perf_counter()
    c.append_plus(MAILBOX, b"Subject: wake up\r\n\r\nidle bench\r\n")
    waiting = len(socks)
    deadline = time.perf_counter() + 30
    while waiting and time.perf_counter() < deadline:
        for key, _ in sel.select(max(0.0, deadline - time.perf_counter())):
            try:
                data = key.fileobj.recv(65536)
            except (BlockingIOError, ssl.SSLWantReadError):
                continue
            state = key.data
            state[0] += data
            if state[1] is None and b" EXISTS\r\n" in state[0]:
                state[1] = (time.perf_counter() - t0) * 1000
                waiting -= 1
            if not data:
                sel.unregister(key.fileobj)
    c.logout()
    got = sorted(key.data[1] for key in sel.get_map().values() if key.data[1] is not None)
    sel.close()
    return got, waiting


def _kind(ctx, target, tls_ctx, n, scram):
    name = "tls" if tls_ctx else "plain"
    socks = []
    # Warm-up: a few sessions opened and closed, so the first measured ones
    # do not pay for buffers and caches every session shares.
    for _ in range(10):
        _open_idle(target, tls_ctx, scram).close()
    time.sleep(0.3)
    before = _rss_kib(target.pid)
    t0 = time.perf_counter()
    try:
        for _ in range(n):
            socks.append(_open_idle(target, tls_ctx, scram))
            if time.perf_counter() - t0 > OPEN_TIMEOUT_S:
                raise imapc.IMAPError("opening %d sessions took over %d s" % (n, OPEN_TIMEOUT_S))
        open_s = time.perf_counter() - t0
        time.sleep(0.5)
        after = _rss_kib(target.pid)
        per = (after - before) / n
        lat, missing = _push_latency(target, socks)
    finally:
        for s in socks:
            s.close()
    p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] if lat else None
    ctx.log("  %d %s sessions in IDLE: %.1f KiB each (RSS %d -> %d KiB, opened in %.1f s); "
            "EXISTS reached them in p50 %.1f / p99 %.1f / max %.1f ms, %d missed"
            % (n, name, per, before, after, open_s, p(0.5) or -1, p(0.99) or -1,
               lat[-1] if lat else -1, missing))
    return [
        Figure("idle.%s_memory" % name, "memory per idle session, %s (%s in IDLE)"
               % ("TLS" if tls_ctx else "plain", "{:,}".format(n)), round(per, 1), "KiB",
               MEMORY_TARGET, [], {"rss_before_kib": before, "rss_after_kib": after,
                                   "sessions": n, "open_s": round(open_s, 1)}),
        Figure("idle.%s_push_p99" % name, "a change reaches %s idle sessions, p99 (%s)"
               % ("{:,}".format(n), "TLS" if tls_ctx else "plain"),
               round(p(0.99), 1) if lat and not missing else None, "ms", PUSH_TARGET, lat[:0],
               {"p50_ms": p(0.5), "max_ms": lat[-1] if lat else None, "missed": missing}),
    ]


def run(ctx):
    target = ctx.target
    n = ctx.idle_sessions
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n + 100:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, n + 1000), hard))
    c = imapc.connect(target)
    try:
        c.command("CREATE " + MAILBOX, expect_ok=False)
        for i in range(10):
            c.append_plus(MAILBOX, b"Subject: idle %d\r\n\r\nx\r\n" % i)
    finally:
        c.logout()
    scram = Scram(target.user, target.password)
    tls_ctx = ssl.create_default_context(cafile=target.cert) if target.tls_port else None
    figures = _kind(ctx, target, None, n, scram)
    if tls_ctx is not None:
        figures += _kind(ctx, target, tls_ctx, n, scram)
    return figures
