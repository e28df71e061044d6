#!/usr/bin/env python3
"""Hostile and broken input against a running server (issue 6, "Faults,
limits and abuse"): each case is answered with a clear BAD, NO or BYE,
never a crash or a hang, and afterwards the server still serves another
client (a LOGIN, SELECT, FETCH of a known message and LOGOUT of a second
user). What other suites already cover is not repeated here: vanishing
clients mid-literal, mid-FETCH and mid-IDLE, connection floods and a
client that never reads (tests/engine), SIGKILL during writes
(tests/crash), unterminated and over-long lines and literal limits
(tests/proto).

- a 1 GB literal announced, synchronizing and not;
- 10,000-deep parentheses in SEARCH, FETCH, APPEND flags and ID;
- invalid UTF-8 in mailbox names (quoted and literal) and search strings;
- the widest sets (1:4294967295, and one past it) on an empty mailbox;
- a client that vanishes mid-APPEND: nothing half-written appears;
- a full disk during APPEND (a small tmpfs, as root): NO [OVERQUOTA],
  every acknowledged message intact, other users still served, APPEND
  works again once there is room, and `petrel check` is clean.
"""

import hashlib
import os
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "lib"))

import petrel_server  # noqa: E402
from raw_imap import RawClient  # noqa: E402
from suite import Suite  # noqa: E402

SUITE = Suite("abuse")
check = SUITE.check
WAIT_S = 10
USERS = {"alice": "alice-secret", "bob": "bob-secret", "carol": "carol-secret"}
GB = 1 << 30


def Raw(port):
    return RawClient(port, wait_s=WAIT_S, users=USERS)


def status(t):
    """'OK', 'NO', 'BAD' of a tagged line, or None."""
    if t is None:
        return None
    parts = t.split(b" ", 2)
    return parts[1].decode() if len(parts) > 1 else None


def serves_another(srv, what):
    """bob logs in, selects INBOX, fetches his message, logs out."""
    try:
        c = Raw(srv.imap_port)
        c.login("bob")
        t, u = c.cmd(b"s", b"SELECT INBOX")
        t2, u2 = c.cmd(b"f", b"FETCH 1 (BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        t3, _ = c.cmd(b"o", b"LOGOUT")
        c.close()
        ok = status(t) == "OK" and status(t2) == "OK" and b"bob's message" in b"".join(u2) \
            and status(t3) == "OK"
        check("%s: the server still serves another client" % what, ok, (t, t2, u2[:3], t3))
    except (OSError, AssertionError) as e:
        check("%s: the server still serves another client" % what, False,
              "%s; server: %s" % (e, srv.stderr_tail()))


def append(c, tag, mailbox, msg):
    c.send(b"%s APPEND %s {%d+}\r\n%s\r\n" % (tag, mailbox, len(msg), msg))
    return c.tagged(tag)


def seed_bob(srv):
    c = Raw(srv.imap_port)
    c.login("bob")
    t, _ = append(c, b"a", b"INBOX", b"Subject: bob's message\r\n\r\nhello\r\n")
    c.close()
    if status(t) != "OK":
        raise AssertionError("seeding bob: %r" % t)


# -- cases -------------------------------------------------------------------------

def case_huge_literal(srv):
    c = Raw(srv.imap_port)
    c.login("alice")
    c.send(b"a APPEND INBOX {%d}\r\n" % GB)
    t, u = c.tagged(b"a")
    check("1 GB synchronizing literal: refused before any byte, no '+'",
          t is not None and t.startswith(b"a NO [TOOBIG]") and not any(x.startswith(b"+")
                                                                      for x in u), (t, u))
    t, _ = c.cmd(b"b", b"NOOP")
    check("1 GB synchronizing literal: the session goes on", status(t) == "OK", t)
    c.send(b"c APPEND INBOX {%d+}\r\n" % GB + b"x" * 65536)
    t, _ = c.tagged(b"c")
    bye = c.line()
    rest = c.line()
    check("1 GB non-synchronizing literal: the command fails, BYE, connection closed",
          status(t) in ("NO", "BAD") and bye is not None and bye.startswith(b"* BYE")
          and rest is None, (t, bye, rest))
    c.close()
    serves_another(srv, "1 GB literal")


def case_deep_parens(srv):
    c = Raw(srv.imap_port)
    c.login("alice")
    c.cmd(b"s", b"SELECT INBOX")
    deep = 10000
    cases = [
        (b"SEARCH " + b"(" * deep + b"ALL" + b")" * deep, "SEARCH"),
        (b"FETCH 1 " + b"(" * deep + b"FLAGS" + b")" * deep, "FETCH"),
        (b"STORE 1 +FLAGS " + b"(" * deep + b"\\Seen" + b")" * deep, "STORE"),
        (b"ID " + b"(" * deep + b'"a" "b"' + b")" * deep, "ID"),
        (b"SEARCH " + b"(" * deep, "SEARCH, unclosed"),
    ]
    for i, (text, name) in enumerate(cases):
        tag = b"d%d" % i
        t0 = time.monotonic()
        t, _ = c.cmd(tag, text)
        took = time.monotonic() - t0
        check("10,000-deep parentheses in %s: BAD (%.2f s)" % (name, took),
              status(t) == "BAD", t)
    t, _ = c.cmd(b"n", b"NOOP")
    check("10,000-deep parentheses: the session goes on", status(t) == "OK", t)
    # APPEND with deep flags: the literal that follows must not be run as commands
    c.send(b"x APPEND INBOX " + b"(" * deep + b"\\Seen" + b")" * deep + b" {5+}\r\nhello\r\n")
    t, _ = c.tagged(b"x")
    # The server cannot know where the literal ends once the line is
    # refused: it may say BYE and close, or go on; never run "hello".
    nxt = c.line()
    if nxt is not None and nxt.startswith(b"* BYE"):
        ok = c.line() is None
    else:
        t2, u2 = c.cmd(b"y", b"NOOP")
        ok = status(t2) == "OK" and not any(b"hello" in x for x in [nxt or b""] + u2)
    check("10,000-deep parentheses in APPEND flags: BAD, then BYE and close (the literal "
          "is not run as commands)", status(t) == "BAD" and ok, (t, nxt))
    c.close()
    serves_another(srv, "deep parentheses")


def case_bad_utf8(srv):
    c = Raw(srv.imap_port)
    c.login("alice")
    bad = [b'"\xff\xfe"', b'"caf\xc3"', b'"a\xc3\x28b"', b'"\xed\xa0\x80x"',   # surrogate
           b'"\xc0\xafx"',                                                    # overlong
           b"{4+}\r\n\xc3\x28ab"]
    for i, name in enumerate(bad):
        t, _ = c.cmd(b"c%d" % i, b"CREATE " + name)
        check("CREATE with invalid UTF-8 %r: NO or BAD" % name[:12], status(t) in ("NO", "BAD"), t)
    t, _ = c.cmd(b"e", b'SELECT "\xff"')
    check("SELECT of an invalid UTF-8 name: NO or BAD", status(t) in ("NO", "BAD"), t)
    t, _ = c.cmd(b"r", b'RENAME INBOX "x\xff"')
    check("RENAME to an invalid UTF-8 name: NO or BAD", status(t) in ("NO", "BAD"), t)
    t, u = c.cmd(b"l", b'LIST "" "*"')
    names = b" ".join(u)
    check("LIST afterwards: no mailbox with those bytes was made",
          status(t) == "OK" and b"\xff" not in names and b"\xc3" not in names, u)
    t, u = c.cmd(b"l2", b'LIST "" "\xff*"')
    check("LIST with an invalid UTF-8 pattern: answered, nothing listed",
          status(t) in ("OK", "NO", "BAD") and not u, (t, u))
    c.cmd(b"s", b"SELECT INBOX")
    for i, q in enumerate([b'CHARSET UTF-8 TEXT "\xff\xfe"', b"CHARSET UTF-8 SUBJECT {3+}\r\n\xc3\x28a",
                           b'TEXT "\xc3"', b'HEADER Subject "\xf8\x88\x80\x80\x80"',
                           b'CHARSET US-ASCII BODY "\xe9t\xe9"']):
        t, u = c.cmd(b"q%d" % i, b"SEARCH " + q)
        hits = [x for x in u if x.startswith(b"* SEARCH") and x.strip() != b"* SEARCH"]
        check("SEARCH with invalid bytes (%r): answered, nothing matched" % q[:24],
              status(t) in ("OK", "NO", "BAD") and not hits, (t, u))
    t, _ = c.cmd(b"n", b"NOOP")
    check("invalid UTF-8: the session goes on", status(t) == "OK", t)
    c.close()
    serves_another(srv, "invalid UTF-8")


def case_widest_sets(srv):
    c = Raw(srv.imap_port)
    c.login("alice")
    t, _ = c.cmd(b"m", b"CREATE empty")
    t, u = c.cmd(b"s", b"SELECT empty")
    check("an empty mailbox selected", status(t) == "OK" and b"* 0 EXISTS" in u, (t, u))
    ok_empty = [
        (b"UID FETCH 1:4294967295 (FLAGS)", "UID FETCH"),
        (b"UID STORE 1:4294967295 +FLAGS (\\Seen)", "UID STORE"),
        (b"UID SEARCH UID 1:4294967295", "UID SEARCH"),
        (b"UID EXPUNGE 1:4294967295", "UID EXPUNGE"),
        (b"UID FETCH 4294967295 (FLAGS)", "UID FETCH of the largest UID"),
        (b"UID FETCH 4294967295:1 (FLAGS)", "UID FETCH of a reversed range"),
    ]
    for i, (text, name) in enumerate(ok_empty):
        t, u = c.cmd(b"u%d" % i, text)
        data = [x for x in u if b" FETCH " in x or (x.startswith(b"* SEARCH") and x != b"* SEARCH")]
        check("%s 1:4294967295 on an empty mailbox: OK, no data" % name,
              status(t) == "OK" and not data, (t, u))
    for i, (text, name) in enumerate([
            (b"FETCH 1:4294967295 (FLAGS)", "FETCH"),
            (b"STORE 1:4294967295 +FLAGS (\\Seen)", "STORE"),
            (b"COPY 1:4294967295 INBOX", "COPY")]):
        t, u = c.cmd(b"n%d" % i, text)
        check("%s 1:4294967295 (sequence numbers) on an empty mailbox: NO or BAD, no data"
              % name, status(t) in ("NO", "BAD") and not any(b" FETCH " in x for x in u), (t, u))
    for i, text in enumerate([b"UID FETCH 1:4294967296 (FLAGS)", b"UID FETCH 0:5 (FLAGS)",
                              b"FETCH 99999999999999999999 (FLAGS)",
                              b"UID SEARCH UID 1:42949672950"]):
        t, _ = c.cmd(b"o%d" % i, text)
        check("%r: BAD" % text[:32], status(t) == "BAD", t)
    t, _ = c.cmd(b"z", b"NOOP")
    check("widest sets: the session goes on", status(t) == "OK", t)
    c.close()
    serves_another(srv, "widest sets")


def case_vanish_mid_append(srv, rst):
    how = "RST" if rst else "FIN"
    c = Raw(srv.imap_port)
    c.login("carol")
    t, u = c.cmd(b"s", b"STATUS INBOX (MESSAGES)")
    before = b"".join(u)
    c.send(b"a APPEND INBOX {200000}\r\n")
    line = c.line()
    if line is None or not line.startswith(b"+"):
        check("vanish mid-APPEND (%s): continuation" % how, False, line)
        return
    c.send(b"Subject: half\r\n\r\n" + b"y" * 100000)
    if rst:
        c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    c.close()
    time.sleep(0.3)
    d = Raw(srv.imap_port)
    d.login("carol")
    t, u = d.cmd(b"s", b"STATUS INBOX (MESSAGES)")
    check("vanish mid-APPEND (%s): no half message appears" % how,
          status(t) == "OK" and b"".join(u) == before, (before, u))
    t, _ = append(d, b"b", b"INBOX", b"Subject: whole\r\n\r\nbody\r\n")
    check("vanish mid-APPEND (%s): the next APPEND works" % how, status(t) == "OK", t)
    d.close()
    serves_another(srv, "vanish mid-APPEND (%s)" % how)


# -- a full disk ------------------------------------------------------------------------

TMPFS_SIZE = 24 << 20
BALLAST = 4 << 20


def full_disk():
    if os.geteuid() != 0:
        print("SKIP abuse: full disk: needs root to mount a small tmpfs")
        return
    mnt = tempfile.mkdtemp(prefix="petrel-full-")
    p = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%d,mode=0755" % TMPFS_SIZE,
                        "tmpfs", mnt], capture_output=True, text=True)
    if p.returncode != 0:
        print("SKIP abuse: full disk: mount of a tmpfs failed: %s" % p.stderr.strip())
        os.rmdir(mnt)
        return
    srv = None
    try:
        srv = petrel_server.PetrelServer(users=USERS)
        srv.data = os.path.join(mnt, "data")
        srv.start()
        seed_bob(srv)
        ballast = os.path.join(mnt, "ballast")
        with open(ballast, "wb") as f:
            f.write(os.urandom(BALLAST))
        c = Raw(srv.imap_port)
        c.login("alice")
        acked = {}
        t = None
        for i in range(200):
            body = os.urandom(96 << 10).hex().encode()        # 192 KiB, no repeats
            msg = b"Subject: fill %d\r\n\r\n%s\r\n" % (i, body)
            t, _ = append(c, b"a%d" % i, b"INBOX", msg)
            if status(t) != "OK":
                break
            acked[i] = hashlib.sha256(msg).hexdigest()
        check("full disk: APPEND answered NO [OVERQUOTA] (after %d fitted)" % len(acked),
              t is not None and t.startswith(b"a%d NO [OVERQUOTA]" % len(acked)), t)
        for j in range(2):      # it stays full, and stays answered
            # Bodies are stored compressed: a retry of 300 KB of one letter
            # would fit in a few bytes. Twice the failed message's random
            # hex stores at least twice what no longer fitted.
            retry = os.urandom(192 << 10).hex().encode()
            t2, _ = append(c, b"r%d" % j, b"INBOX", b"Subject: retry\r\n\r\n" + retry)
            check("full disk: a second APPEND, still full: NO [OVERQUOTA]",
                  t2 is not None and b"NO [OVERQUOTA]" in t2, t2)
        serves_another(srv, "full disk")
        t, u = c.cmd(b"s", b"SELECT INBOX")
        n = next((int(x.split()[1]) for x in u if x.endswith(b" EXISTS")), None)
        check("full disk: every acknowledged message is there, nothing more", n == len(acked),
              (n, len(acked)))
        bad = []
        for k in range(1, (n or 0) + 1):
            tag = b"f%d" % k
            c.send(tag + b" FETCH %d BODY.PEEK[]\r\n" % k)
            line = c.line()
            if line is None or not line.endswith(b"}"):
                bad.append((k, line))
                c.tagged(tag)
                continue
            size = int(line.rsplit(b"{", 1)[1][:-1])
            while len(c.buf) < size + 3:
                c.buf += c.sock.recv(1 << 20)
            data, c.buf = c.buf[:size], c.buf[size:]
            c.tagged(tag)
            if hashlib.sha256(data).hexdigest() != acked.get(k - 1):
                bad.append((k, "content differs"))
        check("full disk: each acknowledged message reads back byte for byte", not bad, bad[:3])
        os.unlink(ballast)
        t, _ = append(c, b"g", b"INBOX", b"Subject: after\r\n\r\nroom again\r\n")
        check("full disk: with room again, APPEND works", status(t) == "OK", t)
        c.close()
        problems = srv.stop()
        check("full disk: clean shutdown", not problems, problems)
        p = subprocess.run([srv.binary, "check", "--data", srv.data], capture_output=True,
                           text=True, timeout=120)
        check("full disk: petrel check clean", p.returncode == 0, (p.stdout + p.stderr)[-600:])
    except (OSError, AssertionError, petrel_server.ServerError) as e:
        check("full disk", False, "%s; server: %s" % (e, srv.stderr_tail() if srv else ""))
    finally:
        if srv:
            srv.cleanup()
        subprocess.run(["umount", "-l", mnt], capture_output=True)
        os.rmdir(mnt)


def main():
    srv = petrel_server.PetrelServer(users=USERS)
    try:
        srv.start()
        seed_bob(srv)
        for case in (case_huge_literal, case_deep_parens, case_bad_utf8, case_widest_sets,
                     lambda s: case_vanish_mid_append(s, False),
                     lambda s: case_vanish_mid_append(s, True)):
            try:
                case(srv)
            except (OSError, AssertionError) as e:
                check("%s" % getattr(case, "__name__", "case"), False,
                      "%s; server: %s" % (e, srv.stderr_tail()))
            if srv.proc.poll() is not None:
                check("server alive", False, srv.stderr_tail())
                break
    except petrel_server.ServerError as e:
        check("server start", False, e)
    finally:
        problems = srv.stop()
        srv.cleanup()
        check("server shutdown: SIGTERM, exit 0, clean stderr", not problems, problems)
    full_disk()
    return SUITE.finish()


if __name__ == "__main__":
    sys.exit(main())
