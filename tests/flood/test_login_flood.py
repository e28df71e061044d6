#!/usr/bin/env python3
"""Pre-login LOGIN floods (issue 12): password checks must never delay a
logged-in user's store work, are bounded per address and in all, and the
failure delay belongs to the address, not to each attempt.

auth_test_delay_ms makes every password check sleep on its thread, so the
figures do not depend on the machine's speed. Clients use several loopback
source addresses (127.0.0.1 floods, the others are bystanders):

1. 600 connections from 127.0.0.1 each send `LOGIN nosuchN wrong` (checks of
   100 ms). Meanwhile a user logged in from 127.0.0.2 runs 20 SELECT INBOX:
   p99 under 500 ms (the shared workers made it many seconds).
2. A real LOGIN from 127.0.0.3 during the flood is answered OK within 1.5 s.
3. The flood's checks run at most three at a time (the k-th failure comes no
   sooner than k/3 checks' time), the rest beyond the address's queue are
   answered NO [UNAVAILABLE], every answer is one of the two exact lines, and
   the flood drains in bounded time.
4. 50 parallel wrong passwords from 127.0.0.4 (LOGIN and AUTHENTICATE PLAIN,
   known and unknown users) are answered in turn on the address's clock:
   the k-th answer no sooner than k attempts one after another would be, the
   last within a bound; and a right password queued behind three wrong ones
   from 127.0.0.5 is not answered before they are.
5. Three checks at a time per address, shown with cached right passwords, and
   a SIGTERM during a flood does not wait for the queued checks.

Prints `login-flood: N passed, N failed` last. Environment: FLOOD_CONNS
(default 600), FLOOD_SELECT_TIMEOUT (seconds, default 5) and FLOOD_CHECK_MS
(default 100; 0 leaves only the real yescrypt hash) for measuring.
"""

import base64
import os
import selectors
import socket
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "lib"))

import petrel_server  # noqa: E402
from raw_imap import RawClient  # noqa: E402
from suite import Suite  # noqa: E402

SUITE = Suite("login-flood")
check = SUITE.check

FLOOD_ADDR = "127.0.0.1"
USER_ADDR = "127.0.0.2"
LOGIN_ADDR = "127.0.0.3"
SERIAL_ADDR = "127.0.0.4"
RACE_ADDR = "127.0.0.5"

FLOOD_CONNS = int(os.environ.get("FLOOD_CONNS", "600"))
CHECK_MS = int(os.environ.get("FLOOD_CHECK_MS", "100"))   # auth_test_delay_ms of the flood server
PARALLEL_PER_ADDR = 3          # AUTH_PARALLEL_PER_ADDR in imap-server.h
SELECTS = 20
SELECT_P99_MAX_S = 0.5
SELECT_TIMEOUT_S = float(os.environ.get("FLOOD_SELECT_TIMEOUT", "5"))
LOGIN_MAX_S = 1.5
QUEUE_PER_ADDR = 256           # AUTH_QUEUE_PER_ADDR: checks of the flood that wait
FLOOD_DRAIN_S = 60             # every flood connection answered by then (256 checks of
                               # CHECK_MS, three at a time: 9 s idle, 40 s seen loaded)
WAIT_S = 10                    # any other single answer
SLACK_S = 0.03                 # timer granularity in the lower bounds
LATE_S = 15                    # real hashes (yescrypt) on a loaded machine: 50 of
                               # them, three at a time, can lag the schedule

FAILED = b"NO [AUTHENTICATIONFAILED] Authentication failed"
UNAVAILABLE = b"NO [UNAVAILABLE] Authentication is temporarily unavailable"

USERS = {"bob": "bob-secret"}


class Client(RawClient):
    """A blocking client bound to a loopback source address; tagged()
    gives just the tagged line."""

    def __init__(self, port, source):
        super().__init__(port, wait_s=WAIT_S, source=source)

    def tagged(self, tag, timeout=WAIT_S):
        """The tagged answer to tag (untagged lines skipped), or None."""
        return super().tagged(tag, timeout)[0]


def flood_login(i):
    return b"LOGIN nosuch%d wrong" % i


class Flood:
    """N connections from one address; each sends one command (command(i),
    tagged f<i>) at start() and records when its tagged answer came and what
    it was."""

    def __init__(self, port, source, n, command=flood_login, deadline_s=FLOOD_DRAIN_S):
        self.command = command
        self.deadline_s = deadline_s
        self.socks = []
        self.answers = {}          # index -> (seconds after start, line)
        self.t0 = None
        for _ in range(n):
            s = socket.create_connection(("127.0.0.1", port), timeout=WAIT_S,
                                         source_address=(source, 0))
            self.socks.append(s)
        # Greetings first, so every LOGIN below is sent at once.
        for s in self.socks:
            buf = b""
            while b"\r\n" not in buf:
                data = s.recv(4096)
                if not data:
                    break
                buf += data
        self.thread = threading.Thread(target=self._read, daemon=True)

    def start(self):
        self.t0 = time.monotonic()
        for i, s in enumerate(self.socks):
            s.sendall(b"f%d %s\r\n" % (i, self.command(i)))
        self.thread.start()

    def _read(self):
        sel = selectors.DefaultSelector()
        bufs = {}
        for i, s in enumerate(self.socks):
            s.setblocking(False)
            sel.register(s, selectors.EVENT_READ, i)
            bufs[i] = b""
        deadline = self.t0 + self.deadline_s
        left = len(self.socks)
        while left > 0 and time.monotonic() < deadline:
            for key, _ in sel.select(timeout=0.2):
                i = key.data
                try:
                    data = key.fileobj.recv(4096)
                except OSError:
                    data = b""
                if not data:
                    sel.unregister(key.fileobj)
                    self.answers.setdefault(i, (time.monotonic() - self.t0, b"(closed)"))
                    left -= 1
                    continue
                bufs[i] += data
                tag = b"f%d " % i
                for line in bufs[i].split(b"\r\n"):
                    if line.startswith(tag) and i not in self.answers:
                        self.answers[i] = (time.monotonic() - self.t0, line[len(tag):])
                        sel.unregister(key.fileobj)
                        left -= 1
                        break
        sel.close()

    def join(self):
        self.thread.join(self.deadline_s + 5)

    def close(self):
        for s in self.socks:
            try:
                s.close()
            except OSError:
                pass


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100.0 * (len(ordered) - 1))))]


def login(client, tag, user, password, timeout=WAIT_S):
    client.send(b"%s LOGIN %s %s\r\n" % (tag, user, password))
    return client.tagged(tag, timeout)


def test_flood():
    config = {
        "auth_test_delay_ms": CHECK_MS,
        "auth_failure_delay_ms": 5,       # failures cost the address little time here:
        "auth_free_failures": 1000,       # this server tests the pools, not the throttle
        "auth_max_delay_ms": 5,
    }
    with petrel_server.PetrelServer(config=config, users=USERS, tls=False) as server:
        user = Client(server.imap_port, USER_ADDR)
        check("bystander logged in before the flood",
              login(user, b"u1", b"bob", b"bob-secret") is not None)
        user.send(b"u2 SELECT INBOX\r\n")
        check("bystander's first SELECT", (user.tagged(b"u2") or b"").startswith(b"u2 OK"))

        flood = Flood(server.imap_port, FLOOD_ADDR, FLOOD_CONNS)
        flood.start()
        time.sleep(0.2)   # the flood's LOGINs have reached the server

        # (2) a real login from another address during the flood
        other = Client(server.imap_port, LOGIN_ADDR)
        t = time.monotonic()
        answer = login(other, b"r1", b"bob", b"bob-secret", LOGIN_MAX_S * 4)
        took = time.monotonic() - t
        check("real LOGIN during the flood answered OK within %.1f s" % LOGIN_MAX_S,
              answer is not None and answer.startswith(b"r1 OK [CAPABILITY ") and took <= LOGIN_MAX_S,
              "%r after %.2f s" % (answer, took))
        other.close()

        # (1) the logged-in user's SELECT latency during the flood
        latencies = []
        for i in range(SELECTS):
            tag = b"s%d" % i
            t = time.monotonic()
            user.send(b"%s SELECT INBOX\r\n" % tag)
            answer = user.tagged(tag, SELECT_TIMEOUT_S)
            latencies.append(time.monotonic() - t)
            if answer is None or not answer.startswith(tag + b" OK"):
                break
            time.sleep(0.02)
        p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
        busy = sum(1 for i in range(FLOOD_CONNS) if i not in flood.answers)
        print("  SELECT INBOX during a %d-connection LOGIN flood: p50 %.1f ms, p99 %.1f ms "
              "(%d round trips; %d flood logins still unanswered after them)"
              % (FLOOD_CONNS, p50 * 1000, p99 * 1000, len(latencies), busy))
        check("%d SELECTs answered during the flood" % SELECTS, len(latencies) == SELECTS
              and all(x < SELECT_TIMEOUT_S for x in latencies), latencies)
        check("SELECT p99 under the flood below %d ms" % (SELECT_P99_MAX_S * 1000),
              p99 < SELECT_P99_MAX_S, "p99 %.3f s" % p99)
        check("the flood was still being worked through meanwhile", busy > 0, busy)

        # (3) bounded per address: two checks at a time, the rest refused
        flood.join()
        answers = flood.answers
        check("every flood connection answered within %d s" % FLOOD_DRAIN_S,
              len(answers) == FLOOD_CONNS, "%d of %d" % (len(answers), FLOOD_CONNS))
        bad = [a for _, a in answers.values() if a not in (FAILED, UNAVAILABLE)]
        check("every flood answer is AUTHENTICATIONFAILED or UNAVAILABLE", not bad, bad[:3])
        failed = sorted(t for t, a in answers.values() if a == FAILED)
        refused = sum(1 for _, a in answers.values() if a == UNAVAILABLE)
        print("  flood: %d checked and failed, %d refused NO [UNAVAILABLE], last answer at %.1f s"
              % (len(failed), refused, max(t for t, _ in answers.values()) if answers else 0))
        check("beyond the address's queue of %d the flood is refused" % QUEUE_PER_ADDR,
              refused > 0 and 0 < len(failed) <= QUEUE_PER_ADDR,
              "%d failed, %d refused" % (len(failed), refused))
        early = [(k + 1, round(t, 3)) for k, t in enumerate(failed)
                 if t < ((k // PARALLEL_PER_ADDR) + 1) * CHECK_MS / 1000.0 - SLACK_S]
        check("at most %d of the address's checks at a time (k-th failure no sooner "
              "than ceil(k/%d) checks)" % (PARALLEL_PER_ADDR, PARALLEL_PER_ADDR),
              not early, "early: %s" % early[:5])
        flood.close()
        user.send(b"u3 LOGOUT\r\n")
        check("bystander still served after the flood",
              (user.tagged(b"u3") or b"").startswith(b"u3 OK"))
        user.close()
        problems = server.stop()
        check("server stops cleanly after the flood", not problems, problems)


def serial_schedule(n, base, free, cap):
    """When the k-th of n failures from one address at once is answered,
    in seconds after the first (throttle.h: each failure's delay on the
    address's clock, and past free_failures the same again as the wait of
    the next attempt) -- what n attempts one after another would take."""
    clock, out = 0, []
    for k in range(1, n + 1):
        d = base if k <= free else min(cap, base * 2 ** (k - free))
        answer = clock + d
        out.append(answer / 1000.0)
        clock = answer + (d if k > free else 0)
    return out


def plain_ir(user, password):
    return base64.b64encode(b"\0" + user + b"\0" + password)


def test_serial():
    base, free, cap = 40, 0, 150      # 80, then 150 and its wait: ~0.3 s a failure
    config = {
        "auth_failure_delay_ms": base,
        "auth_free_failures": free,
        "auth_max_delay_ms": cap,
    }
    with petrel_server.PetrelServer(config=config, users=USERS, tls=False) as server:
        n = 50
        want = serial_schedule(n, base, free, cap)

        def wrong_password(i):
            user = b"bob" if i % 4 < 2 else b"nosuch%d" % i
            if i % 2:
                return b"AUTHENTICATE PLAIN %s" % plain_ir(user, b"wrong%d" % i)
            return b"LOGIN %s wrong%d" % (user, i)

        flood = Flood(server.imap_port, SERIAL_ADDR, n, wrong_password, want[-1] + LATE_S + 5)
        flood.start()
        flood.join()
        flood.close()
        answers = flood.answers
        check("50 parallel wrong passwords (LOGIN, AUTHENTICATE PLAIN) all NO [AUTHENTICATIONFAILED]",
              len(answers) == n and all(a == FAILED for _, a in answers.values()),
              [(i, a) for i, (_, a) in answers.items() if a != FAILED][:3] or len(answers))
        times = sorted(t for t, _ in answers.values())
        early = [(k + 1, round(t, 3), round(want[k], 3)) for k, t in enumerate(times)
                 if t < want[k] - SLACK_S]
        print("  50 parallel failures from one address: answered from %.2f s to %.2f s "
              "(one after another: %.2f s)" % (times[0], times[-1], want[-1]))
        check("parallel failures answered in turn on the address's clock", not early,
              "early (k, at, due): %s" % early[:5])
        check("the last within %d s of its due time %.1f s" % (LATE_S, want[-1]),
              times[-1] <= want[-1] + LATE_S, times[-1])
        problems = server.stop()
        check("server stops cleanly", not problems, problems)


def test_race():
    """A right password queued behind wrong ones from one address (as many as
    run at once) is not answered before them: parallel guesses learn nothing
    sooner."""
    config = {
        "auth_test_delay_ms": 200,
        "auth_failure_delay_ms": 40,
        "auth_free_failures": 0,
        "auth_max_delay_ms": 150,
    }
    with petrel_server.PetrelServer(config=config, users=USERS, tls=False) as server:
        wrong = Flood(server.imap_port, RACE_ADDR, PARALLEL_PER_ADDR, deadline_s=30)
        right = Client(server.imap_port, RACE_ADDR)
        wrong.start()
        time.sleep(0.05)
        right.send(b"ok LOGIN bob bob-secret\r\n")
        answer = right.tagged(b"ok", 30)
        at = time.monotonic() - wrong.t0
        right.close()
        wrong.join()
        wrong.close()
        check("the right password is accepted",
              answer is not None and answer.startswith(b"ok OK [CAPABILITY "), answer)
        failed = sorted(t for t, a in wrong.answers.values() if a == FAILED)
        check("the %d wrong ones failed" % PARALLEL_PER_ADDR, len(failed) == PARALLEL_PER_ADDR,
              wrong.answers)
        check("... and were answered before the right one (at %s, it at %.2f s)"
              % ([round(t, 2) for t in failed], at),
              len(failed) == PARALLEL_PER_ADDR and failed[-1] <= at, failed)
        problems = server.stop()
        check("server stops cleanly", not problems, problems)


def test_parallel():
    """Checks of one address run at most three at a time (the cache makes a
    right password cost only auth_test_delay_ms, so the timing is the
    pool's, not the CPU's)."""
    n = 16
    users = dict(("u%d" % i, "secret-%d" % i) for i in range(n))
    config = {"auth_test_delay_ms": CHECK_MS}
    with petrel_server.PetrelServer(config=config, users=users, tls=False) as server:
        def right_password(i):
            return b"LOGIN u%d secret-%d" % (i, i)

        warm = Flood(server.imap_port, "127.0.0.6", n, right_password, 30)
        warm.start()
        warm.join()
        warm.close()
        check("%d users logged in once (their passwords now cached)" % n,
              len(warm.answers) == n and all(a.startswith(b"OK ") for _, a in warm.answers.values()))
        flood = Flood(server.imap_port, "127.0.0.7", n, right_password, 30)
        flood.start()
        flood.join()
        flood.close()
        times = sorted(t for t, a in flood.answers.values() if a.startswith(b"OK "))
        print("  %d parallel right passwords from one address, %d ms checks: done at %s s"
              % (n, CHECK_MS, [round(t, 2) for t in times]))
        check("all %d logged in" % n, len(times) == n, flood.answers)
        early = [(k + 1, round(t, 3)) for k, t in enumerate(times)
                 if t < ((k // PARALLEL_PER_ADDR) + 1) * CHECK_MS / 1000.0 - SLACK_S]
        check("at most %d checks of one address at a time" % PARALLEL_PER_ADDR, not early,
              "early: %s" % early[:5])
        one_at_a_time = n * CHECK_MS / 1000.0
        check("... but more than one (done in %.2f s; one at a time: %.1f s)"
              % (times[-1] if times else 0, one_at_a_time),
              bool(times) and times[-1] < one_at_a_time * 0.9, times[-1:])
        problems = server.stop()
        check("server stops cleanly", not problems, problems)


def test_shutdown():
    """SIGTERM during a flood: the checks still queued are not worked
    through (64 checks of 1 s, three at a time, would be 21 s)."""
    with petrel_server.PetrelServer(config={"auth_test_delay_ms": 1000}, users=USERS,
                                    tls=False) as server:
        flood = Flood(server.imap_port, "127.0.0.8", 64, deadline_s=1)
        flood.start()
        time.sleep(0.5)
        t = time.monotonic()
        problems = server.stop()
        took = time.monotonic() - t
        flood.join()
        flood.close()
        check("SIGTERM during a flood of queued checks: clean exit in %.1f s" % took,
              not problems, problems)


def main():
    if not os.access(petrel_server.petrel_binary(), os.X_OK):
        print("no petrel binary (run make)")
        print("login-flood: 0 passed, 1 failed")
        return 1
    for test in (test_flood, test_serial, test_race, test_parallel, test_shutdown):
        try:
            test()
        except (petrel_server.ServerError, OSError) as e:
            check(test.__name__, False, e)
    return SUITE.finish()


if __name__ == "__main__":
    sys.exit(main())
