"""Idle sessions (issue 5): 10,000 sessions (300 in QUICK) of 100 users
(3), 100 each: the favourable case for memory per session, since a user's
sessions share its store (fig_users.py measures one session per user).
For a server with a process per session at most ctx.idle_process_cap
sessions (Dovecot: its cost per session is linear). Logged in with SCRAM-SHA-256 (the client's PBKDF2 computed
once per user: a LOGIN costs the server a yescrypt hash, ~33 ms, which
would make opening 10,000 sessions a benchmark of password hashing), INBOX
selected, in IDLE; first on the plain port, then over implicit TLS.

Figures per kind: the server's memory per idle session (the PSS of all
its processes after the sessions are open minus before, over their
number; it includes the TLS state. For one process PSS moves as RSS does;
for Dovecot's process per session it counts each process's private pages
and its share of the shared ones), and how fast a change reaches a user's idle sessions while all the
others idle too: one APPEND into one user's INBOX by another session, then
the time until each of that user's 100 idle sessions has received its
EXISTS (p99 in the table; p50, max, and that no other user's session woke,
in the detail).
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
OPEN_TIMEOUT_S = 600              # bounds opening all sessions


class Scram:
    """SCRAM-SHA-256 client proofs with each salted password cached."""

    def __init__(self, password):
        self.password = password
        self.salted = {}

    def first(self, user):
        self.cnonce = base64.b64encode(os.urandom(18)).decode()
        self.first_bare = "n=%s,r=%s" % (user, self.cnonce)
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


def open_idle(target, tls_ctx, scram, user, password=None, login=None):
    """A session of user in IDLE on INBOX (plain port, or implicit TLS
    with tls_ctx): logged in by login ("login", or "scram" with the
    cached client proofs of scram; default target.idle_login), then
    SELECT INBOX and IDLE until the server's "+". Returns the socket."""
    password = password or IDLE_PASSWORD
    login = login or target.idle_login
    sock = socket.create_connection((target.host, target.tls_port if tls_ctx else target.port),
                                    timeout=30)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if tls_ctx is not None:
        sock = tls_ctx.wrap_socket(sock, server_hostname="localhost")
    buf = b""
    line, buf = _readline(sock, buf)                      # greeting
    if login == "login":
        sock.sendall(b'a LOGIN "%s" "%s"\r\n' % (user.encode(), password.encode()))
        line, buf = _readline(sock, buf)
        while line.startswith(b"* "):
            line, buf = _readline(sock, buf)
    else:
        sock.sendall(b"a AUTHENTICATE SCRAM-SHA-256 " + scram.first(user) + b"\r\n")
        line, buf = _readline(sock, buf)
        if not line.startswith(b"+ "):
            raise imapc.IMAPError("SCRAM: %r" % line)
        sock.sendall(scram.final(line[2:]) + b"\r\n")
        line, buf = _readline(sock, buf)
        if line.startswith(b"+"):
            sock.sendall(b"\r\n")                         # server-final acknowledged
            line, buf = _readline(sock, buf)
    if not line.startswith(b"a OK"):
        raise imapc.IMAPError("%s: %r" % (login, line))
    sock.sendall(b"b SELECT INBOX\r\nc IDLE\r\n")
    while True:
        line, buf = _readline(sock, buf)
        if line.startswith(b"+"):                         # "+ idling"
            return sock
        if line.startswith(b"b NO") or line.startswith(b"b BAD"):
            raise imapc.IMAPError("SELECT: %r" % line)


def _push_latency(target, socks, woken):
    """ms until each of the woken user's idle sockets has an EXISTS, after
    one APPEND into that user's INBOX; and how many others got anything."""
    sel = selectors.DefaultSelector()
    for s, user in socks:
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, [b"", None, user == woken])
    c = imapc.Conn(target.host, target.port)
    c.login(woken, IDLE_PASSWORD)
    t0 = time.perf_counter()
    c.append_plus("INBOX", b"Subject: wake up\r\n\r\nidle bench\r\n")
    waiting = sum(1 for _, user in socks if user == woken)
    deadline = time.perf_counter() + 30
    while waiting and time.perf_counter() < deadline:
        for key, _ in sel.select(max(0.0, deadline - time.perf_counter())):
            try:
                data = key.fileobj.recv(65536)
            except (BlockingIOError, ssl.SSLWantReadError):
                continue
            state = key.data
            state[0] += data
            if state[1] is None and state[2] and b" EXISTS\r\n" in state[0]:
                state[1] = (time.perf_counter() - t0) * 1000
                waiting -= 1
            if not data:
                sel.unregister(key.fileobj)
    time.sleep(0.2)                       # anything for the others arrives too
    for key, _ in sel.select(0):
        try:
            key.data[0] += key.fileobj.recv(65536)
        except (BlockingIOError, ssl.SSLWantReadError, OSError):
            pass
    c.logout()
    states = [key.data for key in sel.get_map().values()]
    got = sorted(st[1] for st in states if st[1] is not None)
    # Dovecot says "* OK Still here" to idle sessions every 2 minutes
    # (imap_idle_notify_interval): a keepalive, not a wake-up.
    others = sum(1 for st in states if not st[2] and
                 st[0].replace(b"* OK Still here\r\n", b""))
    sel.close()
    return got, waiting, others


def _kind(ctx, target, tls_ctx, users, per_user, scram):
    name = "tls" if tls_ctx else "plain"
    n = len(users) * per_user
    socks = []
    # A session of each user opened first and kept (not counted): each
    # user's store stays open, so the measured sessions pay only for
    # themselves, not for 100 stores.
    keep = [open_idle(target, tls_ctx, scram, user) for user in users]
    time.sleep(0.3)
    before = target.pss() // 1024
    t0 = time.perf_counter()
    try:
        for i in range(n):
            user = users[i % len(users)]
            socks.append((open_idle(target, tls_ctx, scram, user), user))
            if time.perf_counter() - t0 > OPEN_TIMEOUT_S:
                raise imapc.IMAPError("opening %d sessions took over %d s" % (n, OPEN_TIMEOUT_S))
        open_s = time.perf_counter() - t0
        time.sleep(0.5)
        after = target.pss() // 1024
        per = (after - before) / n
        lat, missing, others = _push_latency(target, socks, users[0])
    finally:
        for s, _ in socks:
            s.close()
        for s in keep:
            s.close()
    p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] if lat else None
    ctx.log("  %d %s sessions of %d users in IDLE: %.1f KiB each (PSS %d -> %d KiB, opened "
            "in %.1f s); EXISTS reached one user's %d in p50 %.1f / p99 %.1f / max %.1f ms, "
            "%d missed, %d other sessions woken"
            % (n, name, len(users), per, before, after, open_s, per_user, p(0.5) or -1,
               p(0.99) or -1, lat[-1] if lat else -1, missing, others))
    return [
        # The count is in the detail: Dovecot opens fewer (process_per_session).
        Figure("idle.%s_memory" % name, "memory per idle session, %s, favourable case: %d "
               "sessions per user" % ("TLS" if tls_ctx else "plain", per_user),
               round(per, 1), "KiB",
               MEMORY_TARGET, [], {"pss_before_kib": before, "pss_after_kib": after,
                                   "sessions": n, "open_s": round(open_s, 1)}),
        Figure("idle.%s_push_p99" % name, "a change reaches a user's %d idle sessions, p99 (%s)"
               % (per_user, "TLS" if tls_ctx else "plain"),
               round(p(0.99), 1) if lat and not missing and not others else None, "ms",
               PUSH_TARGET, [], {"p50_ms": p(0.5), "max_ms": lat[-1] if lat else None,
                                 "missed": missing, "other_sessions_woken": others}),
    ]


IDLE_PASSWORD = "idle-secret-1"


def run(ctx):
    target = ctx.target
    n, n_users = ctx.idle_sessions, ctx.idle_users
    cap = ctx.idle_process_cap if getattr(target, "process_per_session", False) else None
    if cap and n > cap:
        n = cap
        n_users = max(1, min(n_users, n // 100))
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n + 100:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, n + 1000), hard))
    users = ["idle%d" % i for i in range(n_users)]
    t0 = time.perf_counter()
    # One password for all, stored once (targets.add_users_bulk): a `petrel
    # user add` per user commits with fsync, ~0.25 s each.
    target.add_users_bulk(users, IDLE_PASSWORD, hashed=False)
    ctx.log("  %d users added in %.1f s" % (n_users, time.perf_counter() - t0))
    scram = Scram(IDLE_PASSWORD)
    tls_ctx = ssl.create_default_context(cafile=target.cert) if target.tls_port else None
    figures = _kind(ctx, target, None, users, n // n_users, scram)
    if tls_ctx is not None:
        figures += _kind(ctx, target, tls_ctx, users, n // n_users, scram)
    return figures
