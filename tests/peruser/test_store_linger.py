#!/usr/bin/env python3
"""A store outlives its user's last session by the idle time (issue 13,
CPU per session): a client that logs out and in again, as imaptest's
sessions and phones do, finds it open instead of paying SQLite's close
(WAL checkpoint, -wal and -shm removed) and reopen; and it still closes
once idle, so a user with no session holds no database for long.

- LOGIN, SELECT, LOGOUT: store.db is still open right after;
- a second session of the user finds it open and the same mailbox;
- after MAIL_USER_STORE_IDLE_MS (2 s) plus a closer tick nothing is open;
- a clean shutdown closes a lingering store (no leak under ASan).
"""

import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "lib"))

import petrel_server  # noqa: E402
from raw_imap import RawClient  # noqa: E402
from suite import Suite  # noqa: E402

SUITE = Suite("store-linger")
check = SUITE.check
USERS = {"alice": "alice-secret"}
# MAIL_USER_STORE_IDLE_MS (2 s), a closer tick (0.5 s), and room for a
# loaded machine; polled, so a fast close ends the wait early.
CLOSE_WAIT_S = 10.0


def store_fds(pid):
    """The server's descriptors on users' store.db files."""
    n = 0
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        n += target.endswith("/store.db")
    return n


def session(srv, tag):
    c = RawClient(srv.imap_port, users=USERS)
    c.login("alice")
    t, u = c.cmd(tag, b"SELECT INBOX")
    t2, _ = c.cmd(b"o", b"LOGOUT")
    c.close()
    return t, u, t2


def main():
    srv = petrel_server.PetrelServer(users=USERS, tls=False)
    try:
        srv.start()
        t, u, t2 = session(srv, b"s1")
        check("a session selects INBOX and logs out",
              t is not None and t.startswith(b"s1 OK") and t2 is not None and
              t2.startswith(b"o OK"), (t, t2))
        time.sleep(0.3)      # the LOGOUT's release has run
        open_after = store_fds(srv.proc.pid)
        check("right after the last session ends the store is still open (%d)" % open_after,
              open_after == 1, open_after)
        t, u2, _ = session(srv, b"s2")
        check("the next session finds the same mailbox", t is not None and
              t.startswith(b"s2 OK") and u2 == u, (t, u2, u))
        deadline = time.monotonic() + CLOSE_WAIT_S
        while store_fds(srv.proc.pid) > 0 and time.monotonic() < deadline:
            time.sleep(0.2)
        left = store_fds(srv.proc.pid)
        check("once idle past MAIL_USER_STORE_IDLE_MS it is closed (%d open)" % left,
              left == 0, left)
        session(srv, b"s3")
        time.sleep(0.3)
        check("a store lingering at shutdown", store_fds(srv.proc.pid) == 1, "")
        problems = srv.stop()
        check("is closed by a clean shutdown", problems == [], problems)
    finally:
        srv.cleanup()
    return SUITE.finish()


if __name__ == "__main__":
    sys.exit(main())
