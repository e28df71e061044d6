"""Memory per connected user (issue 13): ctx.user_count distinct users
(2,000; 50 in QUICK), each with ONE session over implicit TLS, logged in
with LOGIN (a yescrypt hash in both servers), INBOX of ctx.user_messages
messages selected, in IDLE: what a real server holds, many users with one
to three sessions each. fig_idle.py's 100 sessions per user share one
store and are the favourable case.

1. Users: one password for all, hashed once the way `petrel user add`
   does (targets.add_users_bulk); each measured LOGIN verifies it.
2. Mail: each user's INBOX gets ctx.user_messages corpus messages by one
   MULTIAPPEND over IMAP (as the mix step fills its users), from a few
   sessions at once, logged in the cheap way of the idle step (petrel
   SCRAM with the client's proof cached; Dovecot LOGIN on a {PLAIN}
   entry, replaced by the yescrypt hash before the measured logins).
3. The server is restarted (a clean stop, then a new process on the same
   data): the seeding's sessions and stores leave nothing behind that the
   measured sessions could reuse.
4. One more user's session (not counted) is opened first and kept, so
   the baseline has the server's TLS, login and store paths warmed up;
   then PSS of all the server's processes (targets.Target.pss, as the idle
   step), the N sessions opened from a few threads, PSS again (three
   readings SETTLE_S after the last one opened, the median).
   (after - before) / N is the figure.
"""

import concurrent.futures
import resource
import ssl
import time

import fig_idle
import imapc
from figures import Figure, median

MEMORY_TARGET = ("<=", 32.0)   # KiB per connected user (issue 13: <= 32, aim 16)
MEMORY_AIM = 16.0
PASSWORD = "user-secret-1"
USER_TEMPLATE = "cu%d"         # apart from the other steps' users
# Sessions opened at once: each LOGIN is a yescrypt hash (~33 ms of server
# CPU) and Dovecot forks two processes per TLS session, so the client
# waits more than it works; a few threads keep both cores of the server
# busy without queueing hundreds of handshakes.
OPEN_THREADS = 8
SEED_THREADS = 4               # seeding sessions at once (same reason)
OPEN_TIMEOUT_S = 1500          # bounds seeding and opening (Dovecot, loaded machine: ~0.4 s a login)
PSS_READINGS = 3               # the "after" figure is their median
# The readings start this long after the last session is open: idle users
# are measured at rest. petrel closes a user's store 2 s after its last
# command (src/user/user-store.c) and gives freed pages back after ~1 s
# (jemalloc's decay, src/main.c); the logins' yescrypt scratch (tens of MB
# on the auth workers) is such freed memory. Read at once, 50 users
# measured 484 KiB each that way against ~25 KiB at rest.
SETTLE_S = 3.0
CORPUS_BASE = 30_000_000       # message numbers apart from the other steps'
FD_SPARE = 200                 # descriptors beyond one per session


def _login_cheap(c, target, user, salted):
    """Logs c in as user the cheap way the idle step uses (target.idle_login:
    petrel SCRAM with the client's PBKDF2 cached in salted, Dovecot LOGIN
    while its passwd-file has a {PLAIN} entry): seeding is not measured."""
    if target.idle_login == "login":
        c.login(user, PASSWORD)
        return
    scram = fig_idle.Scram(PASSWORD)
    scram.salted = salted                      # shared by the threads
    tag = c.tag()
    c.sock.sendall(tag + b" AUTHENTICATE SCRAM-SHA-256 " + scram.first(user) + b"\r\n")
    line = c.readline()
    if not line.startswith(b"+ "):
        raise imapc.IMAPError("SCRAM: %r" % line[:200])
    c.sock.sendall(scram.final(line[2:]) + b"\r\n")
    line = c.readline()
    if line.startswith(b"+"):
        c.sock.sendall(b"\r\n")                # server-final acknowledged
        line = c.readline()
    if not line.startswith(tag + b" OK"):
        raise imapc.IMAPError("SCRAM login: %r" % line[:200])


def _seed(ctx, target, salted, k, user):
    """user's INBOX: ctx.user_messages corpus messages in one MULTIAPPEND."""
    n = ctx.user_messages
    msgs = list(ctx.corpus.messages(CORPUS_BASE + k * n, n))
    c = imapc.Conn(target.host, target.port)
    try:
        _login_cheap(c, target, user, salted)
        c.multiappend("INBOX", msgs)
    finally:
        c.logout()
    return sum(len(m) for m in msgs)


def _pool_map(fn, items, threads, limit_s):
    """fn(item) for every item from a few threads; results in order. On
    any error (or past limit_s) the rest is cancelled, every result that
    has a close() is closed, and the error raised."""
    out = [None] * len(items)
    pool = concurrent.futures.ThreadPoolExecutor(threads)
    futures = dict((pool.submit(fn, item), i) for i, item in enumerate(items))
    try:
        for f in concurrent.futures.as_completed(futures, timeout=limit_s):
            out[futures[f]] = f.result()
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        for f in futures:
            if f.done() and not f.cancelled() and f.exception() is None \
                    and hasattr(f.result(), "close"):
                f.result().close()
        raise
    pool.shutdown(wait=True)
    return out


def _wait_processes(target, count, limit_s=20):
    """Until the server has at most count processes again (Dovecot's
    sessions end one process at a time after their sockets close)."""
    deadline = time.monotonic() + limit_s
    while len(target.pids()) > count and time.monotonic() < deadline:
        time.sleep(0.2)


def run(ctx):
    target = ctx.target
    n = ctx.user_count
    # A server with a process per session (Dovecot: two per TLS session)
    # gets at most as many users as the idle step gives it sessions: its
    # cost per user is linear, and at 2,000 users (4,000 processes) it
    # closed sessions while they were being opened (a full run's ERROR).
    if getattr(target, "process_per_session", False):
        n = min(n, ctx.idle_process_cap)
    users = [USER_TEMPLATE % i for i in range(n + 1)]     # users[0]: the warm-up session
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n + FD_SPARE:
        if hard < n + FD_SPARE:
            raise imapc.IMAPError("ulimit -n %d: too few descriptors for %d sessions"
                                  % (hard, n))
        resource.setrlimit(resource.RLIMIT_NOFILE, (n + FD_SPARE, hard))

    t0 = time.perf_counter()
    target.add_users_bulk(users, PASSWORD, hashed=False)
    added_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    salted = {}
    sizes = _pool_map(lambda ku: _seed(ctx, target, salted, *ku), list(enumerate(users)),
                      SEED_THREADS, OPEN_TIMEOUT_S)
    seed_s = time.perf_counter() - t0
    ctx.log("  %d users added in %.1f s, %d messages each (%.0f KiB) in %.1f s"
            % (len(users), added_s, ctx.user_messages, median(sizes) / 1024, seed_s))

    # From here on every LOGIN verifies a yescrypt hash, in both servers.
    target.restart(lambda: target.add_users_bulk(users, PASSWORD, hashed=True))
    tls_ctx = ssl.create_default_context(cafile=target.cert)
    warm = fig_idle.open_idle(target, tls_ctx, None, users[0], PASSWORD, "login")
    socks = []
    try:
        time.sleep(0.5)
        processes_before = len(target.pids())
        before = target.pss() // 1024
        t0 = time.perf_counter()
        socks = _pool_map(lambda u: fig_idle.open_idle(target, tls_ctx, None, u, PASSWORD,
                                                       "login"),
                          users[1:], OPEN_THREADS, OPEN_TIMEOUT_S)
        open_s = time.perf_counter() - t0
        readings = []
        time.sleep(SETTLE_S)
        for _ in range(PSS_READINGS):
            time.sleep(0.5)
            readings.append(target.pss() // 1024)
        processes_after = len(target.pids())
        # Every session is still there: a server that dropped some would
        # look cheap. An idle session has nothing to read but keepalives.
        alive = 0
        for s in socks:
            s.setblocking(False)
            try:
                alive += s.recv(4096) != b""
            except (BlockingIOError, ssl.SSLWantReadError):
                alive += 1
            except OSError:
                pass
    finally:
        for s in socks:
            if s is not None:
                s.close()
        warm.close()
    after = median(readings)
    per = [(r - before) / n for r in readings]
    _wait_processes(target, processes_before)
    ctx.log("  %d users, one TLS session each in IDLE on %d messages: %.1f KiB per user "
            "(PSS %d -> %d KiB, %d -> %d processes, opened in %.1f s, %d alive)"
            % (n, ctx.user_messages, median(per), before, after, processes_before,
               processes_after, open_s, alive))
    if alive != n:
        raise imapc.IMAPError("%d of %d sessions were dropped" % (n - alive, n))
    return [Figure(
        "users.tls_memory", "memory per connected user (%s users, 1 TLS session each in IDLE, "
        "INBOX of %d)" % ("{:,}".format(n), ctx.user_messages),
        round(median(per), 1), "KiB", MEMORY_TARGET, [round(x, 1) for x in per],
        {"users": n, "messages_per_user": ctx.user_messages,
         "inbox_bytes_median": median(sizes), "pss_before_kib": before,
         "pss_after_kib": readings, "processes_before": processes_before,
         "processes_after": processes_after, "open_s": round(open_s, 1),
         "seed_s": round(seed_s, 1), "users_added_s": round(added_s, 1)}, aim=MEMORY_AIM)]
