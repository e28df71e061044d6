#!/usr/bin/env python3
"""Memory per connected user (issue 13, "Memory per user"): many distinct
users, each with one TLS connection in IDLE on an INBOX of 100 messages,
cost the server a bounded amount each, because a user whose session only
waits holds no open database (src/user/user-store.c closes idle stores).

- one user is given MESSAGES messages (MULTIAPPEND), and USERS - 1 more
  get copies of that store (copying files is seconds where filling each
  took minutes); the server is then restarted, so what the filling freed
  does not count;
- every user logs in over TLS, SELECTs INBOX and enters IDLE, in two
  halves; once the stores have been idle for STORE_IDLE_WAIT_S after each
  half, the server's PSS growth per user of the second half (what one more
  user costs, without the first sessions' one-time costs: thread caches,
  arenas) must stay under KIB_PER_USER_MAX;
- IDLE still works across the close: an APPEND by another session, and a
  `petrel deliver` (another process), each reach the user's idle session
  as EXISTS, and a command after DONE reopens the store;
- an APPEND whose literal pauses half-way past the idle close keeps its
  store open (the body being written needs it) and is stored whole.

    tests/peruser/test_per_user_memory.py [--users N] [--messages N]
prints the figures (KiB per user, PSS before and after) as it goes.
"""

import argparse
import concurrent.futures
import os
import shutil
import socket
import sqlite3
import ssl
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "lib"))

import petrel_server  # noqa: E402
from raw_imap import RawClient  # noqa: E402
from suite import Suite  # noqa: E402

SUITE = Suite("per-user-memory")
check = SUITE.check
USERS = 600
MESSAGES = 100
PASSWORD = "pu-secret-1"
WAIT_S = 30
# Longer than user-store.c's MAIL_USER_STORE_IDLE_MS (the time a store
# stays open after its user's last job) plus jemalloc's dirty_decay_ms (10 s:
# memory freed is returned to the system over that time): the figures are
# the steady state.
STORE_IDLE_WAIT_S = 11.0
# An open store held per user cost 513 KiB per user here (608 KiB in the
# issue's measurement). With idle stores closed a further user costs
# 19-23 KiB (~11 KiB of it OpenSSL's; 22.9 before the parser's and the
# command arena's kept blocks were cut, 19.4 after): the bound is the
# issue's goal, which an open store per user, or a session 10 KiB fatter,
# fails. (The first users cost more, 32-38 KiB each over 600 users: the
# allocator's per-thread caches and arenas fill then.)
KIB_PER_USER_MAX = 32
LOGIN_WAVE = 32
# Past MAIL_USER_STORE_IDLE_MS (2 s) and a closer tick (0.5 s).
SLOW_APPEND_PAUSE_S = 3.5


def sanitizer_build():
    """ASan's quarantine and shadow memory make RSS meaningless: the
    memory check is skipped there (the rest still runs)."""
    with open(petrel_server.petrel_binary(), "rb") as f:
        return b"__asan_init" in f.read()


def pss_kib(pid):
    with open("/proc/%d/smaps_rollup" % pid) as f:
        for line in f:
            if line.startswith("Pss:"):
                return int(line.split()[1])
    return 0


def open_databases(pid):
    """The server's descriptors on users' store.db and search.db files."""
    n = 0
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        if target.endswith("/store.db") or target.endswith("/search.db"):
            n += 1
    return n


def user_name(i):
    return "pu%d" % i


def add_users(srv, users):
    """Copies of users[0]'s row in users.db (the same password, so the same
    hash and SCRAM keys serve, and its store_created) and of its store:
    `petrel user add` spends about 0.3 s per user in fsyncs, and filling a
    store 70 ms, too long for `make test` at hundreds of users. The server
    must be stopped (its files closed)."""
    src = os.path.join(srv.data, "users", users[0])
    for u in users[1:]:
        shutil.copytree(src, os.path.join(srv.data, "users", u))
    db = sqlite3.connect(os.path.join(srv.data, "users.db"))
    with db:
        cols = [r[1] for r in db.execute("PRAGMA table_info(users)")]
        rest = ", ".join(c for c in cols if c != "name")
        db.executemany("INSERT INTO users (name, %s) SELECT ?, %s FROM users WHERE name = ?"
                       % (rest, rest), [(u, users[0]) for u in users[1:]])
    db.close()


def fill(srv, user, count):
    c = RawClient(srv.imap_port, wait_s=WAIT_S, users={user: PASSWORD})
    c.login(user)
    parts = [b"f APPEND INBOX"]
    for i in range(count):
        msg = (b"From: a@example.org\r\nTo: %s@example.org\r\nSubject: message %d\r\n\r\n"
               b"body of message %d, a few words to index.\r\n" % (user.encode(), i + 1, i + 1))
        parts.append(b" {%d+}\r\n%s" % (len(msg), msg))
    c.send(b"".join(parts) + b"\r\n")
    t, _ = c.tagged(b"f")
    c.cmd(b"o", b"LOGOUT")
    c.close()
    if t is None or not t.startswith(b"f OK"):
        raise AssertionError("fill %s: %r" % (user, t))


def login_logout(srv, user):
    c = RawClient(srv.imap_port, wait_s=WAIT_S, users={user: PASSWORD})
    c.login(user)
    c.cmd(b"o", b"LOGOUT")
    c.close()


class IdleSession:
    """One TLS connection logged in, INBOX selected, in IDLE."""

    def __init__(self, port, ctx, user):
        raw = socket.create_connection(("127.0.0.1", port), timeout=WAIT_S)
        self.sock = ctx.wrap_socket(raw, server_hostname="localhost")
        self.buf = b""
        self.user = user
        self.line()                                   # greeting
        self.sock.sendall(b'a LOGIN "%s" "%s"\r\nb SELECT INBOX\r\nc IDLE\r\n'
                          % (user.encode(), PASSWORD.encode()))

    def line(self):
        while b"\r\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise AssertionError("%s: connection closed" % self.user)
            self.buf += data
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def until(self, pred):
        while True:
            line = self.line()
            if pred(line):
                return line
            if line[:1] in (b"a", b"b", b"c", b"d") and (b" NO " in line or b" BAD " in line):
                raise AssertionError("%s: %r" % (self.user, line))

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def case_slow_append(srv, user):
    """A literal larger than one APPEND chunk (256 KiB), half sent, then a
    pause past the idle close: the body being written keeps its store
    open (its blob needs the handle), and the message arrives whole."""
    c = RawClient(srv.imap_port, wait_s=WAIT_S, users={user: PASSWORD})
    c.login(user)
    line = b"x" * 78 + b"\r\n"
    body = b"Subject: slow\r\n\r\n" + line * (400 * 1024 // len(line))
    c.send(b"a APPEND INBOX {%d+}\r\n" % len(body) + body[:300 * 1024])
    time.sleep(SLOW_APPEND_PAUSE_S)
    c.send(body[300 * 1024:] + b"\r\n")
    t, _ = c.tagged(b"a")
    check("a slow APPEND across an idle pause is stored", t is not None and t.startswith(b"a OK"), t)
    c.cmd(b"s", b"SELECT INBOX")
    c.send(b"f FETCH %d BODY.PEEK[]\r\n" % (MESSAGES + 1))
    head = c.line()
    want = b"* %d FETCH (BODY[] {%d}" % (MESSAGES + 1, len(body))
    got = b""
    if head is not None and head.startswith(want):
        while len(c.buf) < len(body):
            data = c.sock.recv(1 << 20)
            if not data:
                break
            c.buf += data
        got, c.buf = c.buf[:len(body)], c.buf[len(body):]
    check("its body reads back byte for byte", got == body, (head, len(got)))
    c.tagged(b"f")
    c.cmd(b"o", b"LOGOUT")
    c.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--users", type=int, default=USERS)
    ap.add_argument("--messages", type=int, default=MESSAGES)
    ap.add_argument("--settle", type=float, default=STORE_IDLE_WAIT_S,
                    help="seconds to wait before reading PSS again")
    args = ap.parse_args()
    users = [user_name(i) for i in range(args.users)]
    srv = petrel_server.PetrelServer()
    sessions = []
    try:
        t0 = time.monotonic()
        srv.user("add", users[0], PASSWORD)
        srv.start()
        fill(srv, users[0], args.messages)
        # A fresh process: memory the filling freed, which the allocator
        # hands back only over seconds, must not blur the figures.
        check("server stops cleanly after filling", srv.stop() == [], srv.stderr_tail())
        add_users(srv, users)
        print("# %d users with %d messages each in %.1f s"
              % (len(users), args.messages, time.monotonic() - t0))
        srv.users = {}
        srv.start()
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        # Warm-up: every user logs in and out once, so the password checks
        # (yescrypt's 16 MiB per auth thread) and first-use costs (TLS,
        # SQLite's global state) are not counted per user; the sessions
        # then log in from the auth cache.
        with concurrent.futures.ThreadPoolExecutor(4) as ex:
            list(ex.map(lambda u: login_logout(srv, u), users))
        warm = IdleSession(srv.imaps_port, ctx, users[0])
        warm.until(lambda l: l.startswith(b"+"))
        time.sleep(args.settle)
        before = pss_kib(srv.proc.pid)
        t1 = time.monotonic()
        half = 1 + (len(users) - 1) // 2
        mid = None
        for first, last in ((1, half), (half, len(users))):
            # In waves: more logins than AUTH_QUEUE_PER_ADDR from one
            # address at once would be refused.
            for i in range(first, last, LOGIN_WAVE):
                wave = [IdleSession(srv.imaps_port, ctx, u)
                        for u in users[i:min(i + LOGIN_WAVE, last)]]
                sessions += wave
                for s in wave:
                    s.until(lambda l: l.startswith(b"+"))
            time.sleep(args.settle)
            if mid is None:
                mid = pss_kib(srv.proc.pid)
        opened = time.monotonic() - t1
        after = pss_kib(srv.proc.pid)
        open_dbs = open_databases(srv.proc.pid)
        check("no database open while every session idles", open_dbs == 0,
              "%d store.db/search.db descriptors" % open_dbs)
        per_user = (after - mid) / float(len(users) - half)
        print("# %d users, one TLS session each in IDLE (opened in %.1f s): PSS %d -> %d -> %d KiB,"
              " %.1f KiB per user in all, %.1f KiB per user of the second half"
              % (len(sessions), opened, before, mid, after,
                 (after - before) / float(len(sessions)), per_user))
        if sanitizer_build():
            print("skip memory per user (sanitizer build)")
        else:
            check("memory per further connected user %.1f KiB < %d KiB"
                  % (per_user, KIB_PER_USER_MAX), per_user < KIB_PER_USER_MAX)

        # IDLE across a close: another session's APPEND wakes the user.
        target = sessions[0]
        c = RawClient(srv.imap_port, wait_s=WAIT_S, users={target.user: PASSWORD})
        c.login(target.user)
        msg = b"Subject: wake\r\n\r\nwake up\r\n"
        c.send(b"w APPEND INBOX {%d+}\r\n%s\r\n" % (len(msg), msg))
        t, _ = c.tagged(b"w")
        check("APPEND by another session", t is not None and t.startswith(b"w OK"), t)
        line = target.until(lambda l: l.endswith(b" EXISTS"))
        check("the idle session hears EXISTS after its store was closed",
              line == b"* %d EXISTS" % (args.messages + 1), line)
        c.cmd(b"o", b"LOGOUT")
        c.close()

        # And a delivery by another process (inotify), after another wait.
        time.sleep(STORE_IDLE_WAIT_S)
        target2 = sessions[1]
        run = subprocess.run([srv.binary, "deliver", target2.user, "--data", srv.data],
                             input=b"Subject: delivered\r\n\r\nhello\r\n",
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=WAIT_S)
        check("petrel deliver exits 0", run.returncode == 0, run.stdout)
        line = target2.until(lambda l: l.endswith(b" EXISTS"))
        check("a deliver by another process reaches the idle session",
              line == b"* %d EXISTS" % (args.messages + 1), line)
        # A command after DONE reopens the store and sees the message.
        target2.sock.sendall(b"DONE\r\nd FETCH %d (BODY.PEEK[HEADER.FIELDS (SUBJECT)])\r\n"
                             % (args.messages + 1))
        got = []
        line = target2.until(lambda l: got.append(l) or l.startswith(b"d "))
        check("FETCH after IDLE reads the delivered message",
              line.startswith(b"d OK") and any(b"FETCH" in g for g in got) and
              b"Subject: delivered" in target2.buf + b"\n".join(got), got[-3:])
        case_slow_append(srv, users[3])
    except (OSError, AssertionError, petrel_server.ServerError, ssl.SSLError) as e:
        check("run", False, "%s; %s" % (e, srv.stderr_tail()))
    finally:
        for s in sessions:
            s.close()
        problems = srv.stop()
        check("server stops cleanly", problems == [], problems)
        srv.cleanup()
    return SUITE.finish()


if __name__ == "__main__":
    sys.exit(main())
