#!/usr/bin/env python3
"""Crash test of the mail store's durability contract (src/store/store.h):
"a function that changes anything returns STORE_OK only once the change is
durable; a crash at any moment leaves each change either wholly done or not
done at all".

Rounds on one data directory (users alice and bob): start the server, run
four clients (two per user) doing a random mix of APPEND (small, and 200 KiB
bodies so that file-backed blobs are exercised), MULTIAPPEND of 3, COPY and
UID COPY, UID STORE +FLAGS \\Deleted then EXPUNGE / UID EXPUNGE / CLOSE, and
UID MOVE, for a random 0.3-1.5 s; then SIGKILL the server with commands in
flight. Each tagged OK is recorded (with its APPENDUID / COPYUID) only once
the OK line has been read. After each kill:

  - `petrel check --data DIR` exits 0 and prints only "USER: ok" lines;
  - each store.db, opened read-only with sqlite3, holds every acknowledged
    APPEND and COPY/MOVE destination unless an acknowledged (or possibly
    executed) expunge or move removed it since; every UID an acknowledged
    EXPUNGE / UID EXPUNGE / CLOSE / MOVE removed is gone and has an expunge
    record; acknowledged \\Deleted flags and APPEND flags are there;
  - every message's body (inline row or blobs/ file) is exactly the bytes a
    client sent for its Message-ID (SHA-256), with the recorded size;
  - no UID at or above UIDNEXT, no modseq above HIGHESTMODSEQ, UIDNEXT and
    HIGHESTMODSEQ never go back, a UID once removed never comes back;
  - a MULTIAPPEND is all or nothing, acknowledged or not (by Message-ID).

Then the next round starts on the same data. The last life is ended by
SIGTERM during the storm instead: exit 0 within 5 s, no sanitizer report,
and the same checks.

Unacknowledged commands may or may not have happened: the clients choose
UIDs only from what is known, so such a command can only make known
messages "maybe gone" (recorded when it is sent), never corrupt the ledger.
After each check the ledger is re-read from the store, which resolves them.

Python 3 stdlib only, 127.0.0.1 only, loops bounded in count and time.

    tests/crash/test_crash.py
    CRASH_SEED=123 CRASH_ROUNDS=8 tests/crash/test_crash.py  (same client choices and
                                     storm lengths; interleavings and kill points vary)
    CRASH_KEEP=1 tests/crash/test_crash.py     keep the data directory after a failure
    PETREL_BUILD=build-asan tests/crash/test_crash.py

Last line: `crash: N passed, N failed`; exit 1 on any failure.
"""

import hashlib
import os
import random
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import traceback

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import petrel_body  # noqa: E402
import petrel_server  # noqa: E402

HOST = "127.0.0.1"
USERS = {"alice": "alice-secret", "bob": "bob-secret"}
THREADS_PER_USER = 2
ROUNDS = max(1, min(50, int(os.environ.get("CRASH_ROUNDS", "8"))))
SEED = int(os.environ.get("CRASH_SEED", str(int(time.time() * 1000) % 1000000)))
RUN_MIN, RUN_MAX = 0.3, 1.5          # seconds of storm before the SIGKILL
BIG_SIZE = 200 * 1024                # > 64 KiB: a file in blobs/
IO_TIMEOUT = 20.0                    # one response line (fsync under load, ASan)
SUITE_BUDGET = 150.0                 # seconds: no new round after this
ALARM = 300                          # hard limit for the whole run
FOLDERS = ("Work", "Multi")          # created in the setup; Archive is a default
SELECTABLE = ("INBOX", "Work", "Archive")
FLAG_BITS = {"\\Seen": 1, "\\Answered": 2, "\\Flagged": 4, "\\Deleted": 8, "\\Draft": 16}
DELETED = 8
ORPHAN_RE = re.compile(r"^(\w+): orphan body file blobs/(\S+) \((\d+) bytes\) that no message names$")
ORPHAN_AGE = 60 * 60                 # sqlite-private.h SQ_ORPHAN_AGE_S
APPEND_CHUNK = 256 * 1024            # append-stream.h APPEND_CHUNK_SIZE

results = {"passed": 0, "failed": 0}


def check(name, ok, detail=""):
    if ok:
        results["passed"] += 1
        print("ok   %s" % name, flush=True)
    else:
        results["failed"] += 1
        if isinstance(detail, (list, tuple)):
            more = len(detail) - 12
            detail = " | ".join(str(d) for d in detail[:12]) + (" | ... %d more" % more if more > 0 else "")
        detail = str(detail).strip().replace("\n", " | ")
        print("FAIL %s%s" % (name, ": " + detail[:3000] if detail else ""), flush=True)
    return ok


def info(text):
    print("     %s" % text, flush=True)


class Timeout(Exception):
    pass


def _on_alarm(signum, frame):
    raise Timeout("crash test took longer than %d s" % ALARM)


# -- sets ---------------------------------------------------------------------

def parse_set(text):
    """'1:3,7' -> [1, 2, 3, 7] in order (ranges ascending)."""
    out = []
    for part in text.split(","):
        if ":" in part:
            a, b = (int(x) for x in part.split(":"))
            if a > b:
                a, b = b, a
            if b - a > 100000:
                raise ValueError("range too large: %s" % part)
            out.extend(range(a, b + 1))
        else:
            out.append(int(part))
    return out


def fmt_set(nums):
    return ",".join(str(n) for n in nums)


APPENDUID_RE = re.compile(r"\[APPENDUID (\d+) ([0-9:,]+)\]")
COPYUID_RE = re.compile(r"\[COPYUID (\d+) ([0-9:,]+) ([0-9:,]+)\]")
FETCH_RE = re.compile(r"^\* \d+ FETCH \((?=.*\bUID (\d+))(?=.*\bFLAGS \(([^)]*)\))")
MID_RE = re.compile(rb"^Message-ID: <([^>\r\n]+)>\r\n")


# -- what was sent, and what is known per user ----------------------------------

class Sent:
    """Every message any client sent: Message-ID -> (sha256, size). Recorded
    before the bytes go out, so a body in the store with an unknown
    Message-ID or another hash is damage."""

    def __init__(self):
        self.lock = threading.Lock()
        self.bodies = {}

    def add(self, mid, data):
        with self.lock:
            self.bodies[mid] = (hashlib.sha256(data).hexdigest(), len(data))


class Entry:
    """One message the ledger knows: (uidvalidity, uid) -> Message-ID and
    what is known of its state."""
    __slots__ = ("mid", "flags", "maybe_del", "del_ctr", "maybe_gone", "born", "origin")

    def __init__(self, mid, flags, origin, born, maybe_del=False, del_ctr=None, maybe_gone=False):
        self.mid = mid               # None: a copy of a message we could not name
        self.flags = flags           # flags known to be set (acknowledged)
        self.maybe_del = maybe_del   # a \Deleted STORE was sent (or it had \Deleted)
        self.del_ctr = del_ctr       # counter when \Deleted was known committed
        self.maybe_gone = maybe_gone # an unacknowledged MOVE may have removed it
        self.born = born             # counter when its creation was acknowledged
        self.origin = origin         # what made it, for reports


class UserState:
    def __init__(self, name, password):
        self.name = name
        self.password = password
        self.lock = threading.Lock()
        self.ctr = 0                 # orders sends and acknowledgements
        self.uv = {}                 # mailbox name -> UIDVALIDITY
        self.entries = {}            # (uv, uid) -> Entry
        self.must_gone = {}          # (uv, uid) -> why (an acknowledged removal)
        self.history = {}            # (uv, uid) -> Message-ID, ever seen
        self.gone_ever = set()       # (uv, uid) seen present once, then absent
        self.bounds = {}             # uv -> (uidnext, highestmodseq) last seen
        self.groups = []             # MULTIAPPENDs: dict(mailbox, mids, acked, round)
        self.problems = []           # found by the clients (uid reuse, bad answers)

    def tick(self):
        self.ctr += 1
        return self.ctr

    def known_uids(self, uv, rng, k):
        """Up to k UIDs of messages the ledger knows in the mailbox uv (lock held)."""
        uids = [key[1] for key in self.entries if key[0] == uv and key not in self.must_gone]
        if not uids:
            return []
        return sorted(set(rng.choice(uids) for _ in range(k)))

    def learn(self, key, entry):
        """A message an acknowledged command created (lock held)."""
        if key in self.must_gone or key in self.gone_ever:
            self.problems.append("UID %s/%d reused by %s (it was removed before)"
                                 % (key[0], key[1], entry.origin))
        old = self.history.get(key)
        if old is not None and entry.mid is not None and old != entry.mid:
            self.problems.append("UID %s/%d given to %s by %s, but held %s before"
                                 % (key[0], key[1], entry.mid, entry.origin, old))
        if key in self.entries and self.entries[key].mid is not None and entry.mid is None:
            return
        self.entries[key] = entry
        if entry.mid is not None:
            self.history[key] = entry.mid


# -- one client thread ------------------------------------------------------------

class Lost(Exception):
    """The connection ended (the server was killed)."""


class Worker(threading.Thread):
    WEIGHTS = [("append", 30), ("append_big", 7), ("multiappend", 10), ("uid_copy", 10),
               ("copy", 5), ("store_deleted", 16), ("expunge", 6), ("uid_expunge", 7),
               ("close", 2), ("uid_move", 8), ("select", 4)]

    def __init__(self, user, index, port, sent, rng, round_no):
        super().__init__(daemon=True, name="%s-%d" % (user.name, index))
        self.user = user
        self.port = port
        self.sent = sent
        self.rng = rng
        self.round = round_no
        self.label = "r%d.%s%d" % (round_no, user.name[0], index)
        self.sock = None
        self.buf = b""
        self.tagno = 0
        self.msgno = 0
        self.selected = None
        self.exists = 0
        self.view_ctr = 0            # acknowledged before this was sent: in the session's view
        self.acked = {}              # op -> count
        self.unacked = None          # the op in flight when the connection ended
        self.ready = threading.Event()   # logged in and selected: the storm starts
        self.errors = []
        self.nos = []
        self.ops = [name for name, _ in self.WEIGHTS]
        self.weights = [w for _, w in self.WEIGHTS]

    # .. wire ..
    def readline(self):
        deadline = time.monotonic() + IO_TIMEOUT
        while b"\r\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no response line in %.0f s" % IO_TIMEOUT)
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                raise TimeoutError("no response line in %.0f s" % IO_TIMEOUT)
            except OSError as e:
                raise Lost(str(e))
            if not data:
                raise Lost("eof")
            self.buf += data
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line.decode("utf-8", "replace")

    def send(self, data):
        try:
            self.sock.sendall(data)
        except OSError as e:
            raise Lost(str(e))

    def untagged(self, line):
        parts = line.split(" ")
        if len(parts) >= 3 and parts[0] == "*" and parts[1].isdigit():
            if parts[2] == "EXISTS":
                self.exists = int(parts[1])
            elif parts[2] == "EXPUNGE":
                self.exists -= 1
        elif line.startswith("* BYE"):
            pass

    def command(self, pieces):
        """pieces: str (command text) and bytes (a literal, sent as {n} or
        {n+}). Returns (tagged line, untagged lines)."""
        self.tagno += 1
        tag = "%s.%d" % (self.label, self.tagno)
        out = tag.encode() + b" "
        lines = []
        for piece in pieces:
            if isinstance(piece, str):
                out += piece.encode()
                continue
            plus = self.rng.random() < 0.3
            out += b"{%d%s}\r\n" % (len(piece), b"+" if plus else b"")
            if not plus:
                self.send(out)
                out = b""
                while True:
                    line = self.readline()
                    if line.startswith("+"):
                        break
                    if line.startswith(tag + " "):
                        return line[len(tag) + 1:], lines
                    self.untagged(line)
                    lines.append(line)
            out += piece
        self.send(out + b"\r\n")
        for _ in range(100000):
            line = self.readline()
            if line.startswith(tag + " "):
                self.learn_fetch(lines)
                return line[len(tag) + 1:], lines
            self.untagged(line)
            lines.append(line)
        raise RuntimeError("no tagged response")

    def learn_fetch(self, lines):
        """`* N FETCH (UID u FLAGS (...\\Deleted...))` shows a committed
        \\Deleted (from this session's STORE or another's, via the sync)."""
        if self.selected is None:
            return
        u = self.user
        with u.lock:
            uv = u.uv[self.selected]
            ctr = None
            for line in lines:
                m = FETCH_RE.match(line)
                if m is None or "\\Deleted" not in m.group(2).split():
                    continue
                e = u.entries.get((uv, int(m.group(1))))
                if e is None:
                    continue
                if ctr is None:
                    ctr = u.tick()
                e.maybe_del = True
                e.flags |= DELETED
                if e.del_ctr is None:
                    e.del_ctr = ctr

    def expect_ok(self, what, tagged):
        if tagged.startswith("OK"):
            return True
        if tagged.startswith("BAD"):
            self.errors.append("%s answered %r" % (what, tagged))
        else:
            self.nos.append("%s: %s" % (what, tagged))
        return False

    # .. the thread ..
    def run(self):
        op = "connect"
        try:
            self.sock = socket.create_connection((HOST, self.port), timeout=IO_TIMEOUT)
            if not self.readline().startswith("* OK"):
                raise RuntimeError("no greeting")
            op = "login"
            tagged, _ = self.command(["LOGIN %s %s" % (self.user.name, self.user.password)])
            if not self.expect_ok("LOGIN", tagged):
                return
            op = "select"
            self.do_select()
            self.ready.set()
            for _ in range(100000):
                op = self.rng.choices(self.ops, self.weights)[0]
                if self.selected is None and op not in ("append", "append_big", "multiappend"):
                    op = "select"
                getattr(self, "do_" + op)()
        except Lost:
            self.unacked = op
        except TimeoutError as e:
            self.unacked = op
            self.errors.append("%s: %s" % (op, e))
        except Exception as e:
            tb = traceback.extract_tb(e.__traceback__)[-1]
            self.errors.append("%s: %s: %s (line %d)" % (op, type(e).__name__, e, tb.lineno))
        finally:
            self.ready.set()
            if self.sock is not None:
                self.sock.close()

    def count(self, op):
        self.acked[op] = self.acked.get(op, 0) + 1

    # .. messages ..
    def make_message(self, big):
        self.msgno += 1
        mid = "%s.%d.%s@crash.petrel.test" % (self.label, self.msgno, "%08x" % self.rng.getrandbits(32))
        head = ("Message-ID: <%s>\r\nSubject: crash %s %d\r\nFrom: storm@petrel.test\r\n"
                "To: %s@petrel.test\r\n\r\n" % (mid, self.label, self.msgno, self.user.name)).encode()
        if big:
            raw = self.rng.randbytes(BIG_SIZE // 2).hex().encode()
        else:
            raw = self.rng.randbytes(self.rng.randint(20, 1500)).hex().encode()
        body = b"\r\n".join(raw[i:i + 76] for i in range(0, len(raw), 76)) + b"\r\n"
        data = head + body
        self.sent.add(mid, data)
        return mid, data

    def flags_for_append(self):
        flags = [f for f in ("\\Seen", "\\Flagged", "\\Answered", "\\Draft") if self.rng.random() < 0.25]
        return flags, sum(FLAG_BITS[f] for f in flags)

    def append(self, mailbox, bigs):
        u = self.user
        msgs = []
        pieces = ["APPEND %s" % mailbox]
        for big in bigs:
            mid, data = self.make_message(big)
            flags, bits = self.flags_for_append()
            msgs.append((mid, bits))
            pieces.append(" (%s) " % " ".join(flags) if flags else " ")
            pieces.append(data)
        group = None
        if len(bigs) > 1:
            group = {"mailbox": mailbox, "mids": [m for m, _ in msgs], "acked": False,
                     "round": self.round}
            with u.lock:
                u.groups.append(group)
        with u.lock:
            sent_ctr = u.tick()
        tagged, _ = self.command(pieces)
        if not self.expect_ok("APPEND %s" % mailbox, tagged):
            return
        if self.selected is not None:
            self.view_ctr = sent_ctr     # APPEND syncs the selected mailbox
        m = APPENDUID_RE.search(tagged)
        if m is None:
            self.errors.append("APPEND OK without APPENDUID: %r" % tagged)
            return
        uv, uids = int(m.group(1)), parse_set(m.group(2))
        with u.lock:
            born = u.tick()
            if uv != u.uv.get(mailbox):
                u.problems.append("APPENDUID %d for %s, which has UIDVALIDITY %s"
                                  % (uv, mailbox, u.uv.get(mailbox)))
            if len(uids) != len(msgs):
                u.problems.append("APPENDUID %s for %d messages" % (m.group(2), len(msgs)))
            for uid, (mid, bits) in zip(uids, msgs):
                u.learn((uv, uid), Entry(mid, bits, "%s APPEND %s" % (self.label, mailbox), born))
            if group is not None:
                group["acked"] = True
        self.count("multiappend" if group else "append")

    def do_append(self):
        self.append(self.rng.choice(SELECTABLE), [False])

    def do_append_big(self):
        self.append(self.rng.choice(SELECTABLE), [True])

    def do_multiappend(self):
        bigs = [False, False, False]
        if self.rng.random() < 0.25:
            bigs[self.rng.randrange(3)] = True
        self.append(self.rng.choice(("INBOX", "Work", "Multi", "Multi")), bigs)

    # .. selected state ..
    def do_select(self):
        mailbox = self.rng.choice(SELECTABLE)
        self.selected = None
        self.exists = 0
        with self.user.lock:
            sent_ctr = self.user.tick()
        tagged, lines = self.command(["SELECT %s" % mailbox])
        if not self.expect_ok("SELECT %s" % mailbox, tagged):
            return
        for line in lines:
            m = re.match(r"\* OK \[UIDVALIDITY (\d+)\]", line)
            if m and int(m.group(1)) != self.user.uv.get(mailbox):
                with self.user.lock:
                    self.user.problems.append("SELECT %s: UIDVALIDITY %s, expected %s"
                                              % (mailbox, m.group(1), self.user.uv.get(mailbox)))
        self.selected = mailbox
        self.view_ctr = sent_ctr
        self.count("select")

    def target(self):
        return "Work" if self.selected == "Archive" else "Archive"

    def copy_ack(self, src_uv, tagged, lines, move, sent_ctr, born, origin):
        """Record COPYUID of an acknowledged COPY / MOVE (lock held)."""
        u = self.user
        m = None
        for text in lines + [tagged]:
            m = COPYUID_RE.search(text) or m
        if m is None:
            return 0
        dst_uv, srcs, dsts = int(m.group(1)), parse_set(m.group(2)), parse_set(m.group(3))
        if dst_uv != u.uv.get(self.target()):
            u.problems.append("%s: COPYUID UIDVALIDITY %d, %s has %s"
                              % (origin, dst_uv, self.target(), u.uv.get(self.target())))
        if len(srcs) != len(dsts):
            u.problems.append("%s: COPYUID %s -> %s" % (origin, m.group(2), m.group(3)))
        for s, d in zip(srcs, dsts):
            src = u.entries.get((src_uv, s))
            if src is None or src.mid is None:
                # A message the ledger could not name (an unacknowledged
                # append that happened): its copy's fate is not checked.
                e = Entry(None, 0, origin, born, maybe_del=True, maybe_gone=True)
            else:
                # \Deleted is known on the copy only if it was acknowledged
                # before the COPY was sent; other flags come from APPEND.
                del_ctr = src.del_ctr if src.del_ctr is not None and src.del_ctr < sent_ctr else None
                flags = (src.flags & ~DELETED) | (DELETED if del_ctr is not None else 0)
                e = Entry(src.mid, flags, origin, born, maybe_del=src.maybe_del, del_ctr=del_ctr)
            u.learn((dst_uv, d), e)
            if move:
                u.must_gone[(src_uv, s)] = origin
        return len(srcs)

    def copy_or_move(self, uid_mode, move):
        u = self.user
        uv = u.uv[self.selected]
        with u.lock:
            if uid_mode:
                uids = u.known_uids(uv, self.rng, self.rng.randint(1, 3))
            sent_ctr = u.tick()
            if move:
                for uid in uids:
                    if (uv, uid) in u.entries:
                        u.entries[(uv, uid)].maybe_gone = True
        if uid_mode:
            if not uids:
                return
            what = "UID %s %s %s" % ("MOVE" if move else "COPY", fmt_set(uids), self.target())
        else:
            if self.exists <= 0:
                return
            seqs = sorted(set(self.rng.randint(1, self.exists) for _ in range(self.rng.randint(1, 3))))
            what = "COPY %s %s" % (fmt_set(seqs), self.target())
        tagged, lines = self.command([what])
        if not self.expect_ok(what, tagged):
            return
        with u.lock:
            born = u.tick()
            self.copy_ack(uv, tagged, lines, move, sent_ctr, born,
                          "%s %s in %s" % (self.label, what, self.selected))
        if not move:
            self.view_ctr = sent_ctr     # COPY syncs; MOVE does not
        self.count("move" if move else "copy")

    def do_uid_copy(self):
        self.copy_or_move(True, False)

    def do_copy(self):
        self.copy_or_move(False, False)

    def do_uid_move(self):
        self.copy_or_move(True, True)

    def do_store_deleted(self):
        u = self.user
        uv = u.uv[self.selected]
        with u.lock:
            uids = u.known_uids(uv, self.rng, self.rng.randint(1, 3))
            for uid in uids:
                if (uv, uid) in u.entries:
                    u.entries[(uv, uid)].maybe_del = True
            sent_ctr = u.tick()
        if not uids:
            return
        # UIDs the session has not been told of yet are ignored
        # (seq-uids.h), so which messages got \Deleted is learnt from the
        # FETCH responses (learn_fetch); .SILENT ones stay "maybe".
        item = "+FLAGS.SILENT" if self.rng.random() < 0.3 else "+FLAGS"
        what = "UID STORE %s %s (\\Deleted)" % (fmt_set(uids), item)
        tagged, _ = self.command([what])
        if not self.expect_ok(what, tagged):
            return
        self.view_ctr = sent_ctr
        self.count("store")

    def expunge(self, kind):
        u = self.user
        uv = u.uv[self.selected]
        uids = None
        with u.lock:
            if kind == "UID EXPUNGE":
                cand = [k[1] for k, e in u.entries.items() if k[0] == uv and e.maybe_del
                        and k not in u.must_gone]
                uids = sorted(set(self.rng.choice(cand) for _ in range(self.rng.randint(1, 3)))) if cand else []
                uids = sorted(set(uids + u.known_uids(uv, self.rng, 1)))
            sent_ctr = u.tick()
        if uids is not None and not uids:
            return
        what = kind if uids is None else "UID EXPUNGE %s" % fmt_set(uids)
        mailbox = self.selected
        view_ctr = self.view_ctr
        tagged, lines = self.command([what])
        if kind == "CLOSE":
            self.selected = None
            self.view_ctr = 0
        if not self.expect_ok(what, tagged):
            return
        if kind == "CLOSE" and any(l.startswith("* NO") for l in lines):
            self.nos.append("CLOSE: %s" % [l for l in lines if l.startswith("* NO")])
            return
        if kind != "CLOSE":
            self.view_ctr = sent_ctr
        with u.lock:
            u.tick()
            for key, e in u.entries.items():
                if key[0] != uv or e.del_ctr is None or e.del_ctr >= sent_ctr:
                    continue
                # EXPUNGE and CLOSE remove every \Deleted message; UID
                # EXPUNGE only those of its set the session had been told of.
                if uids is None or (key[1] in uids and e.born < view_ctr):
                    u.must_gone[key] = "%s %s in %s" % (self.label, what, mailbox)
        self.count("expunge")

    def do_expunge(self):
        self.expunge("EXPUNGE")

    def do_uid_expunge(self):
        self.expunge("UID EXPUNGE")

    def do_close(self):
        self.expunge("CLOSE")


# -- the server ---------------------------------------------------------------------

class Crash:
    def __init__(self):
        self.srv = petrel_server.PetrelServer(users=USERS, tls=False)
        self.users = [UserState(n, p) for n, p in sorted(USERS.items())]
        self.sent = Sent()
        self.stderr_log = os.path.join(self.srv.dir, "all-stderr.log")
        self.first_start = True

    def start(self):
        if not self.first_start:
            self.srv.users = {}      # added at the first start; same data dir
        self.first_start = False
        self.srv.start()

    def save_stderr(self, label):
        """Keep the stderr of a server life (start() truncates it) and look
        for sanitizer reports."""
        text = self.srv.stderr()
        with open(self.stderr_log, "a") as f:
            f.write("==== %s\n%s" % (label, text))
        for mark in petrel_server.SANITIZER_MARKS:
            if mark in text:
                return next(l for l in text.splitlines() if mark in l).strip()
        return None

    def kill9(self):
        os.kill(self.srv.proc.pid, signal.SIGKILL)
        self.srv.proc.wait()

    def petrel_check(self, orphans=None):
        """Problems `petrel check` reports. Orphan body files (a crash
        between a body's rename and its COMMIT, or between an EXPUNGE's
        COMMIT and its unlink) are no durability problem: with a dict,
        they are collected into it ({user: set of names}) instead."""
        run = subprocess.run([self.srv.binary, "check", "--data", self.srv.data],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        out = run.stdout.decode(errors="replace").splitlines()
        found = {}
        for l in out:
            m = ORPHAN_RE.match(l)
            if m:
                found.setdefault(m.group(1), set()).add(m.group(2))
        if orphans is not None:
            orphans.update(found)
            out = [l for l in out if not ORPHAN_RE.match(l)]
            out += ["%s: ok" % u for u in found if "%s: ok" % u not in out and
                    not any(l.startswith(u + ": ") for l in out)]
        bad = [l for l in out if not l.endswith(": ok")]
        okusers = sorted(l[:-4] for l in out if l.endswith(": ok"))
        problems = []
        if run.returncode != 0 and (bad or not found or orphans is None):
            problems.append("exit %d" % run.returncode)
        problems += bad
        if okusers != sorted(USERS):
            problems.append("ok lines for %s, want %s" % (okusers, sorted(USERS)))
        for mark in petrel_server.SANITIZER_MARKS:
            if mark in run.stderr.decode(errors="replace"):
                problems.append("petrel check stderr: %s" % mark)
        return problems + self.quota_problems()

    def quota_problems(self):
        """The quota usage `petrel quota get` reports (RFC 9208: the counters
        every transaction keeps) equals a recount of the store's rows."""
        problems = []
        for user in USERS:
            run = subprocess.run([self.srv.binary, "quota", "get", user, "--data", self.srv.data],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
            got = dict((l.split()[0], int(l.split()[1]))
                       for l in run.stdout.decode(errors="replace").splitlines() if l.strip())
            db = sqlite3.connect("file:%s?mode=ro" % os.path.join(self.srv.data, "users", user,
                                                                   "store.db"), uri=True)
            try:
                size, count = db.execute("SELECT coalesce(sum(b.size), 0), count(*) FROM messages m"
                                         " JOIN blobs b ON b.id = m.blob_id").fetchone()
                boxes = db.execute("SELECT count(*) FROM mailboxes WHERE noselect = 0").fetchone()[0]
            finally:
                db.close()
            want = {"STORAGE": (size + 1023) // 1024, "MESSAGE": count, "MAILBOX": boxes}
            if run.returncode != 0 or got != want:
                problems.append("%s: quota get says %r (exit %d), the rows %r"
                                % (user, got, run.returncode, want))
        return problems

    def unnamed_files(self, user):
        """Files in the user's blobs/ that no row names: {name: size}."""
        db = sqlite3.connect("file:%s?mode=ro" % os.path.join(self.srv.data, "users", user,
                                                               "store.db"), uri=True)
        try:
            named = set(r[0] for r in db.execute("SELECT file FROM blobs WHERE file IS NOT NULL"))
        finally:
            db.close()
        d = os.path.join(self.srv.data, "users", user, "blobs")
        return dict((f, os.path.getsize(os.path.join(d, f))) for f in os.listdir(d)
                    if f not in named)

    def orphans(self):
        """After the kills (server stopped): body files no row names are
        reported by check once old enough that no APPEND can still commit
        them, and removed by the maintenance at the next open; the bodies
        rows name are untouched."""
        # For certain, whatever the storm's kills left: SIGKILL in the
        # middle of a large APPEND's literal, once per user (more than one
        # append-stream chunk sent, so its body file is being written).
        before = dict((u, set(self.unnamed_files(u))) for u in USERS)
        literal = 4 * APPEND_CHUNK
        self.start()
        socks = []
        for u, pw in sorted(USERS.items()):
            sock = socket.create_connection((HOST, self.srv.imap_port), timeout=IO_TIMEOUT)
            f = sock.makefile("rb")
            f.readline()
            sock.sendall(b"a LOGIN %s %s\r\nb APPEND INBOX {%d}\r\n"
                         % (u.encode(), pw.encode(), literal))
            while not f.readline().startswith(b"+"):
                pass
            # Bytes zstd cannot shrink (0x20-0xff): stored as they are, so
            # the body file grows with them (src/store/body-codec.h).
            noise = bytes(0x20 + b % 224 for b in random.Random(7).randbytes(2 * APPEND_CHUNK + 1000))
            sock.sendall(noise)
            socks.append(sock)

        def writing(u):
            d = os.path.join(self.srv.data, "users", u, "blobs")
            return [n for n in os.listdir(d) if n.startswith("tmp-") and n not in before[u]
                    and os.path.getsize(os.path.join(d, n)) >= APPEND_CHUNK]
        deadline = time.monotonic() + IO_TIMEOUT
        while time.monotonic() < deadline and not all(writing(u) for u in USERS):
            time.sleep(0.05)
        self.kill9()
        for sock in socks:
            sock.close()
        self.save_stderr("orphans")
        left = dict((u, self.unnamed_files(u)) for u in USERS)
        check("orphans: a SIGKILL during large APPENDs left their bodies",
              all(set(left[u]) - before[u] for u in USERS), (left, before))
        count = sum(len(v) for v in left.values())
        size = sum(sum(v.values()) for v in left.values())
        info("after the kills: %d body files (%d bytes) no row names: %s"
             % (count, size, dict((u, sorted(v)) for u, v in left.items())))
        # An hour later (their mtime moved back): reported, exactly those.
        for u, files in left.items():
            for f in files:
                p = os.path.join(self.srv.data, "users", u, "blobs", f)
                st = os.stat(p)
                os.utime(p, (st.st_atime - 2 * ORPHAN_AGE, st.st_mtime - 2 * ORPHAN_AGE))
        found = {}
        problems = self.petrel_check(orphans=found)
        check("orphans: check reports exactly the files no row names, nothing else",
              not problems and dict((u, found.get(u, set())) for u in USERS)
              == dict((u, set(v)) for u, v in left.items()),
              (problems, found, left))
        run = subprocess.run([self.srv.binary, "check", "--data", self.srv.data],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
        check("orphans: check exits 1 while they are there", run.returncode == (1 if count else 0),
              run.returncode)
        # A day later (the daily maintenance due): the next open removes them.
        for u in USERS:
            db = sqlite3.connect(os.path.join(self.srv.data, "users", u, "store.db"))
            try:
                db.execute("UPDATE meta SET value = 0 WHERE key = 'last_quick_check'")
                db.commit()
            finally:
                db.close()
        self.start()
        for u, pw in sorted(USERS.items()):
            sock = socket.create_connection((HOST, self.srv.imap_port), timeout=IO_TIMEOUT)
            f = sock.makefile("rb")
            f.readline()
            sock.sendall(b"a LOGIN %s %s\r\nb SELECT INBOX\r\nc LOGOUT\r\n"
                         % (u.encode(), pw.encode()))
            while f.readline() not in (b"", None) and sock.fileno() >= 0:
                pass
            sock.close()
        problems = self.srv.stop()
        check("orphans: a server life after the day passed, stopped cleanly", not problems, problems)
        after = dict((u, self.unnamed_files(u)) for u in USERS)
        check("orphans: the open's maintenance removed them all",
              all(not v for v in after.values()), after)
        problems = self.petrel_check()
        check("orphans: check clean afterwards", not problems, problems)
        for u in self.users:
            _, integ, _, _ = self.verify(u, ROUNDS + 2)
            check("orphans: %s's bodies all there and exact after the sweep" % u.name, not integ,
                  integ)

    # .. reading a store ..
    def read_store(self, user):
        """(mailboxes {name: (id, uv, uidnext, hms)}, messages [(name, uv, uid, blob, flags,
        modseq)], expunged {(uv, uid): modseq}, blobs {id: (size, data|None, file|None,
        codec)})."""
        path = os.path.join(self.srv.data, "users", user.name, "store.db")
        db = sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=10)
        try:
            mbs = {}
            for mid, name, uv, uidnext, hms, noselect in db.execute(
                    "SELECT id, name, uidvalidity, uidnext, highestmodseq, noselect FROM mailboxes"):
                mbs[name] = (mid, uv, uidnext, hms)
            by_id = dict((v[0], (k, v[1])) for k, v in mbs.items())
            msgs = []
            for mb_id, uid, blob_id, flags, modseq in db.execute(
                    "SELECT mailbox_id, uid, blob_id, flags, modseq FROM messages"):
                name, uv = by_id.get(mb_id, ("?%d" % mb_id, -1))
                msgs.append((name, uv, uid, blob_id, flags, modseq))
            exp = {}
            for mb_id, uid, modseq in db.execute("SELECT mailbox_id, uid, modseq FROM expunged"):
                name, uv = by_id.get(mb_id, ("?%d" % mb_id, -1))
                exp[(uv, uid)] = (name, modseq)
            blobs = {}
            for bid, size, data, fname, codec in db.execute(
                    "SELECT id, size, data, file, codec FROM blobs"):
                blobs[bid] = (size, data, fname, codec)
        finally:
            db.close()
        return mbs, msgs, exp, blobs

    def blob_bytes(self, user, blob):
        """The body, decompressed (a damaged one: what it stores, so the
        size check below reports it)."""
        size, data, fname, codec = blob
        if data is None:
            with open(os.path.join(self.srv.data, "users", user.name, "blobs", fname), "rb") as f:
                data = f.read()
        # The store's dictionaries, read again when a body names one not
        # seen yet (they are only ever added).
        cache = self.__dict__.setdefault("_dicts", {})
        for attempt in range(2):
            if attempt == 1 or user.name not in cache:
                cache[user.name] = petrel_body.load_dicts(
                    os.path.join(self.srv.data, "users", user.name, "store.db"))
            try:
                return petrel_body.decode(data, size, codec, cache[user.name])
            except ValueError:
                pass
        return bytes(data)

    def verify(self, user, round_no):
        """Checks one user's store against the ledger; returns
        (durability problems, integrity problems, multiappend problems), then
        rebuilds the ledger from the store."""
        dur, integ, multi = [], [], []
        mbs, msgs, exp, blobs = self.read_store(user)
        for name in SELECTABLE + FOLDERS:
            if name not in mbs:
                integ.append("mailbox %s missing" % name)
            elif user.uv.get(name) not in (None, mbs[name][1]):
                integ.append("%s: UIDVALIDITY %d, was %d" % (name, mbs[name][1], user.uv[name]))
        by_uv = dict((v[1], (k, v)) for k, v in mbs.items())
        for name, (_, uv, uidnext, hms) in mbs.items():
            last = user.bounds.get(uv)
            if last and (uidnext < last[0] or hms < last[1]):
                integ.append("%s: UIDNEXT/HIGHESTMODSEQ went back from %s to %s"
                             % (name, last, (uidnext, hms)))
        # Bodies, bounds.
        present = {}                 # (uv, uid) -> (mid, flags, name)
        cache = {}
        for name, uv, uid, blob_id, flags, modseq in msgs:
            _, (_, _, uidnext, hms) = by_uv.get(uv, (None, (0, 0, 0, 0)))
            where = "%s UID %d" % (name, uid)
            if not 1 <= uid < uidnext:
                integ.append("%s: UID not below UIDNEXT %d" % (where, uidnext))
            if not 0 < modseq <= hms:
                integ.append("%s: modseq %d, HIGHESTMODSEQ %d" % (where, modseq, hms))
            if (uv, uid) in exp:
                integ.append("%s: both a message and an expunge record" % where)
            if blob_id not in cache:
                blob = blobs.get(blob_id)
                if blob is None:
                    cache[blob_id] = (None, "no blob %d" % blob_id)
                else:
                    try:
                        data = self.blob_bytes(user, blob)
                    except OSError as e:
                        cache[blob_id] = (None, "blob %d: %s" % (blob_id, e))
                    else:
                        m = MID_RE.match(data)
                        mid = m.group(1).decode() if m else None
                        want = self.sent.bodies.get(mid)
                        why = None
                        if len(data) != blob[0]:
                            why = "blob %d holds %d bytes, size says %d" % (blob_id, len(data), blob[0])
                        elif want is None:
                            why = "blob %d: a body no client sent (%r...)" % (blob_id, data[:60])
                        elif want != (hashlib.sha256(data).hexdigest(), len(data)):
                            why = "blob %d: %s: %d bytes differ from the %d sent" % (
                                blob_id, mid, len(data), want[1])
                        cache[blob_id] = (mid, why)
            mid, why = cache[blob_id]
            if why:
                integ.append("%s: %s" % (where, why))
            present[(uv, uid)] = (mid, flags, name)
        for (uv, uid), (name, modseq) in exp.items():
            _, (_, _, uidnext, hms) = by_uv.get(uv, (None, (0, 0, 0, 0)))
            if not 1 <= uid < uidnext or not 0 < modseq <= hms:
                integ.append("%s: expunge record UID %d modseq %d, UIDNEXT %d HIGHESTMODSEQ %d"
                             % (name, uid, modseq, uidnext, hms))
        # The ledger.
        must_exist = 0
        with user.lock:
            dur += user.problems
            user.problems = []
            must_gone = len(user.must_gone)
            for key, why in user.must_gone.items():
                if key in present:
                    dur.append("%s/%d still there (flags %d) after acknowledged %s"
                               % (key[0], key[1], present[key][1], why))
                elif key not in exp:
                    dur.append("%s/%d gone after %s but no expunge record" % (key[0], key[1], why))
            for key, e in user.entries.items():
                p = present.get(key)
                name = by_uv.get(key[0], ("?",))[0]
                required = key not in user.must_gone and not e.maybe_gone and not e.maybe_del
                must_exist += required
                if p is None:
                    if required:
                        dur.append("%s UID %d (%s, %s) missing" % (name, key[1], e.mid, e.origin))
                    continue
                if e.mid is not None and p[0] != e.mid:
                    dur.append("%s UID %d holds %s, expected %s (%s)" % (name, key[1], p[0], e.mid, e.origin))
                if e.flags & ~p[1]:
                    dur.append("%s UID %d (%s): flags %d, acknowledged %d"
                               % (name, key[1], e.origin, p[1], e.flags))
            for key, (mid, flags, name) in present.items():
                if key in user.gone_ever:
                    dur.append("%s UID %d came back (%s)" % (name, key[1], mid))
                old = user.history.get(key)
                if old is not None and mid is not None and old != mid:
                    dur.append("%s UID %d holds %s, held %s before" % (name, key[1], mid, old))
            # MULTIAPPEND: all or nothing.
            mids_in = {}
            anywhere = set()
            for key, (mid, flags, name) in present.items():
                mids_in.setdefault(name, set()).add(mid)
                anywhere.add(mid)
            for g in user.groups:
                inbox = mids_in.get(g["mailbox"], set())
                n = sum(1 for mid in g["mids"] if mid in inbox)
                seen = sum(1 for mid in g["mids"] if mid in anywhere)
                if g["mailbox"] == "Multi":
                    # Append-only: exact, every round.
                    if n not in (0, 3) or (g["acked"] and n != 3):
                        multi.append("Multi: %d of 3 of %s (round %d, %s)" % (
                            n, g["mids"][0], g["round"], "acknowledged" if g["acked"] else "unacknowledged"))
                elif g["round"] == round_no and not g["acked"] and (n not in (0, 3) or (seen and n != 3)):
                    multi.append("%s: %d of 3 of unacknowledged %s (%d anywhere)"
                                 % (g["mailbox"], n, g["mids"][0], seen))
            user.groups = [g for g in user.groups if g["mailbox"] == "Multi"]
            # Rebuild from the store: unacknowledged commands are resolved now.
            for key in user.history:
                if key not in present:
                    user.gone_ever.add(key)
            user.entries = {}
            user.must_gone = {}
            for key, (mid, flags, name) in present.items():
                user.entries[key] = Entry(mid, flags, "in the store after round %d" % round_no, 0,
                                          maybe_del=bool(flags & DELETED),
                                          del_ctr=0 if flags & DELETED else None)
                if mid is not None:
                    user.history[key] = mid
            user.uv = dict((k, v[1]) for k, v in mbs.items())
            user.bounds = dict((v[1], (v[2], v[3])) for v in mbs.values())
            user.ctr += 1
        named = set(b[2] for b in blobs.values() if b[2] is not None)
        try:
            orphans = len(set(os.listdir(os.path.join(self.srv.data, "users", user.name, "blobs"))) - named)
        except OSError:
            orphans = -1
        stats = (must_exist, must_gone, len(msgs), len(named), orphans)
        return dur, integ, multi, stats

    # .. phases ..
    def setup(self):
        self.start()
        for u in self.users:
            w = Worker(u, 0, self.srv.imap_port, self.sent, random.Random(0), 0)
            w.sock = socket.create_connection((HOST, self.srv.imap_port), timeout=IO_TIMEOUT)
            w.readline()
            tagged, _ = w.command(["LOGIN %s %s" % (u.name, u.password)])
            if not tagged.startswith("OK"):
                raise RuntimeError("LOGIN %s: %s" % (u.name, tagged))
            for name in FOLDERS:
                tagged, _ = w.command(["CREATE %s" % name])
                if not tagged.startswith("OK"):
                    raise RuntimeError("CREATE %s: %s" % (name, tagged))
            w.command(["LOGOUT"])
            w.sock.close()
        problems = self.srv.stop()
        self.save_stderr("setup")
        check("setup: mailboxes created, SIGTERM clean", not problems, problems)
        problems = self.petrel_check()
        check("setup: petrel check clean", not problems, problems)
        for u in self.users:
            self.verify(u, 0)

    def round(self, n, rng, term=False):
        """One server life: the storm, then SIGKILL (or, with term, SIGTERM,
        which must end the server cleanly), then the checks."""
        name = "final" if term else "round %d" % n
        self.start()
        workers = []
        for u in self.users:
            for i in range(THREADS_PER_USER):
                workers.append(Worker(u, i, self.srv.imap_port, self.sent,
                                      random.Random(rng.getrandbits(64)), n))
        run_for = rng.uniform(RUN_MIN, RUN_MAX)
        for w in workers:
            w.start()
        for w in workers:
            w.ready.wait(IO_TIMEOUT)
        t0 = time.monotonic()
        time.sleep(run_for)
        alive_before = self.srv.proc.poll() is None
        if term:
            stop_problems = self.srv.stop()
        else:
            self.kill9()
        ran = time.monotonic() - t0
        for w in workers:
            w.join(IO_TIMEOUT + 5)
        hung = [w.name for w in workers if w.is_alive()]
        san = self.save_stderr(name)
        if term:
            san = None               # stop() reports it, under the SIGTERM check
        acked = {}
        for w in workers:
            for k, v in w.acked.items():
                acked[k] = acked.get(k, 0) + v
        inflight = sum(1 for w in workers if w.unacked)
        errors = [("%s: %s" % (w.name, e)) for w in workers for e in w.errors]
        nos = [("%s: %s" % (w.name, e)) for w in workers for e in w.nos]
        total = sum(v for k, v in acked.items() if k != "select")
        check("%s: server ran until %s, clients answered without BAD or hang"
              % (name, "SIGTERM" if term else "SIGKILL"),
              alive_before and not hung and not errors and not san and total > 0,
              (["server had exited: " + self.srv.stderr_tail()] if not alive_before else [])
              + (["sanitizer: " + san] if san else []) + (["threads hung: %s" % hung] if hung else [])
              + (["no command acknowledged"] if total == 0 else []) + errors)
        if term:
            check("final: SIGTERM during the storm: exit 0 within %.0f s, clean stderr"
                  % petrel_server.STOP_TIMEOUT, not stop_problems,
                  stop_problems + [self.srv.stderr_tail(2)] if stop_problems else "")
        problems = self.petrel_check(orphans={})
        check("%s: petrel check clean after %s (orphan body files aside)"
              % (name, "SIGTERM" if term else "SIGKILL"), not problems, problems)
        dur, integ, multi, stats = [], [], [], []
        for u in self.users:
            d, i, m, s = self.verify(u, n)
            dur += ["%s: %s" % (u.name, x) for x in d]
            integ += ["%s: %s" % (u.name, x) for x in i]
            multi += ["%s: %s" % (u.name, x) for x in m]
            stats.append("%s: %d must exist, %d must be gone, %d msgs, %d blob files (+%d orphans)"
                         % ((u.name,) + s))
        check("%s: every acknowledged change durable, every acknowledged removal gone" % name,
              not dur, dur)
        check("%s: bodies exact, UIDs below UIDNEXT, modseqs within HIGHESTMODSEQ" % name,
              not integ, integ)
        check("%s: MULTIAPPEND all or nothing" % name, not multi, multi)
        info("%s: stopped after %.2f s (%.2f s planned); acknowledged %d: %s; %d in flight; %s%s"
             % (name, ran, run_for, total,
                " ".join("%s=%d" % kv for kv in sorted(acked.items())), inflight, "; ".join(stats),
                ("; NO: %s" % nos[:3]) if nos else ""))
        return total


def sigterm_with_queued_store_jobs():
    """Regression: SIGTERM while 20 sessions' COPYs are queued on one user's
    worker key. The loops stopped once their connections were gone, the
    worker pool was destroyed, and the queued jobs' completions then freed
    sessions that submitted their store close to the destroyed pool
    (SIGSEGV). Shutdown now drains jobs and completions until both are
    quiet before freeing anything."""
    srv = petrel_server.PetrelServer(tls=False).start()
    socks = []
    try:
        def conn():
            sock = socket.create_connection(("127.0.0.1", srv.imap_port), timeout=10)
            f = sock.makefile("rb")
            f.readline()
            socks.append(sock)
            return sock, f

        def cmd(sock, f, text):
            tag = text.split()[0].encode()
            sock.sendall(text.encode() + b"\r\n")
            while True:
                line = f.readline()
                if not line or line.startswith(tag + b" "):
                    return line

        s, f = conn()
        cmd(s, f, "a LOGIN alice alice-secret")
        msg = b"Subject: x\r\n\r\n" + b"y" * 2000 + b"\r\n"
        for j in range(200):
            s.sendall(b"m%d APPEND INBOX {%d+}\r\n" % (j, len(msg)) + msg + b"\r\n")
        cmd(s, f, "n NOOP")
        clients = []
        for _ in range(20):
            c, cf = conn()
            cmd(c, cf, "l LOGIN alice alice-secret")
            cmd(c, cf, "s SELECT INBOX")
            clients.append(c)
        for c in clients:
            c.sendall(b"c COPY 1:* Archive\r\n")
        time.sleep(0.01)
        problems = srv.stop()
        check("SIGTERM with store jobs queued: exit 0, clean stderr", not problems,
              "; ".join(problems or []))
    finally:
        for sock in socks:
            sock.close()
        srv.cleanup()


PIPE_ROUNDS = 3                     # server lives of the pipelined APPEND storm
PIPE_WINDOW = 64                    # APPENDs in flight per session
PIPE_BATCH = 16                     # APPENDs per write


def pipelined_append_kills(rng):
    """Group commit: sessions that pipeline APPENDs (LITERAL+, up to
    PIPE_WINDOW unanswered, some 200 KiB bodies that go to blobs/ files)
    while another session of the same user does the same, so their
    deliveries share commits; SIGKILL mid-storm. Every tagged OK received
    before the kill must be in the store after it, with its exact bytes
    under the UID its APPENDUID named, and `petrel check` stays clean."""
    srv = petrel_server.PetrelServer(tls=False)
    first = True
    acked = {}                      # (uv, uid) -> (Message-ID, sha256)
    lock = threading.Lock()
    try:
        for round_no in range(1, PIPE_ROUNDS + 1):
            if not first:
                srv.users = {}
            first = False
            srv.start()
            stop = threading.Event()
            errors = []
            ready = threading.Semaphore(0)

            def storm(label, seed):
                r = random.Random(seed)
                sock = socket.create_connection((HOST, srv.imap_port), timeout=IO_TIMEOUT)
                f = sock.makefile("rb")
                pending = {}        # tag -> (mid, sha)
                n = 0
                try:
                    f.readline()
                    sock.sendall(b"l LOGIN alice alice-secret\r\n")
                    while not f.readline().startswith(b"l "):
                        pass
                    ready.release()
                    while not stop.is_set():
                        if len(pending) + PIPE_BATCH <= PIPE_WINDOW:
                            out = []
                            for _ in range(PIPE_BATCH):
                                n += 1
                                mid = "p%d.%s.%d.%08x@crash.petrel.test" % (
                                    round_no, label, n, r.getrandbits(32))
                                size = BIG_SIZE // 2 if r.random() < 0.03 else r.randint(20, 1500)
                                raw = r.randbytes(size).hex().encode()
                                body = b"\r\n".join(raw[i:i + 76] for i in range(0, len(raw), 76))
                                data = (b"Message-ID: <%s>\r\nSubject: pipelined\r\n\r\n"
                                        % mid.encode()) + body + b"\r\n"
                                tag = "%s.%d" % (label, n)
                                pending[tag] = (mid, hashlib.sha256(data).hexdigest())
                                out.append(b"%s APPEND INBOX {%d+}\r\n%s\r\n"
                                           % (tag.encode(), len(data), data))
                            sock.sendall(b"".join(out))
                            continue
                        line = f.readline()
                        if not line:
                            return
                        tag, _, rest = line.decode(errors="replace").partition(" ")
                        if tag not in pending:
                            continue
                        mid, sha = pending.pop(tag)
                        m = APPENDUID_RE.search(rest)
                        if not rest.startswith("OK") or m is None:
                            errors.append("%s: %s" % (tag, rest.strip()))
                            continue
                        with lock:
                            acked[(int(m.group(1)), int(m.group(2)))] = (mid, sha)
                except OSError:
                    pass            # the kill
                finally:
                    ready.release()
                    sock.close()

            threads = [threading.Thread(target=storm, args=("s%d" % i, rng.getrandbits(32)),
                                        daemon=True) for i in range(2)]
            for t in threads:
                t.start()
            for t in threads:
                ready.acquire(timeout=IO_TIMEOUT)
            before = len(acked)
            time.sleep(rng.uniform(0.5, 1.5))
            os.kill(srv.proc.pid, signal.SIGKILL)
            srv.proc.wait()
            stop.set()
            for t in threads:
                t.join(IO_TIMEOUT)
            text = srv.stderr()
            marks = [m for m in petrel_server.SANITIZER_MARKS if m in text]
            check("pipelined %d: every APPEND answered OK (none NO or BAD)" % round_no,
                  not errors, errors)
            check("pipelined %d: no sanitizer report" % round_no, not marks, marks)
            path = os.path.join(srv.data, "users", "alice", "store.db")
            dicts = petrel_body.load_dicts(path)
            db = sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=10)
            try:
                rows = dict(((uv, uid), (data, fname, size, codec))
                            for uv, uid, data, fname, size, codec in db.execute(
                    "SELECT mb.uidvalidity, m.uid, b.data, b.file, b.size, b.codec FROM messages m"
                    " JOIN mailboxes mb ON mb.id = m.mailbox_id JOIN blobs b ON b.id = m.blob_id"
                    " WHERE mb.name = 'INBOX'"))
            finally:
                db.close()
            lost = []
            for key, (mid, sha) in sorted(acked.items()):
                row = rows.get(key)
                if row is None:
                    lost.append("UID %d/%d (%s) acknowledged, missing" % (key[0], key[1], mid))
                    continue
                data, fname, size, codec = row
                if data is None:
                    with open(os.path.join(srv.data, "users", "alice", "blobs", fname), "rb") as fh:
                        data = fh.read()
                try:
                    data = petrel_body.decode(data, size, codec, dicts)
                except ValueError:
                    pass    # damaged: compared as stored, so it shows as other bytes
                if hashlib.sha256(bytes(data)).hexdigest() != sha:
                    lost.append("UID %d/%d (%s): other bytes" % (key[0], key[1], mid))
            check("pipelined %d: all %d acknowledged APPENDs durable, exact" % (round_no, len(acked)),
                  not lost, lost)
            check("pipelined %d: APPENDs acknowledged in this life" % round_no,
                  len(acked) > before, "none")
            run = subprocess.run([srv.binary, "check", "--data", srv.data], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, timeout=60)
            out = [l for l in run.stdout.decode(errors="replace").splitlines()
                   if not l.endswith(": ok") and not ORPHAN_RE.match(l)]
            check("pipelined %d: petrel check clean" % round_no, not out, out)
    finally:
        srv.cleanup()


def main():
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.alarm(ALARM)
    started = time.monotonic()
    info("seed %d (CRASH_SEED=%d repeats the clients' choices), %d rounds, server %s"
         % (SEED, SEED, ROUNDS, petrel_server.petrel_binary()))
    rng = random.Random(SEED)
    crash = None
    try:
        crash = Crash()
        crash.setup()
        kills = 0
        acked = []
        for n in range(1, ROUNDS + 1):
            if time.monotonic() - started > SUITE_BUDGET:
                info("time budget spent: stopping after %d rounds" % (n - 1))
                break
            acked.append(crash.round(n, rng))
            kills += 1
        acked.append(crash.round(ROUNDS + 1, rng, term=True))
        info("%d kills and a SIGTERM; acknowledged per server life: %s" % (kills, acked))
        crash.orphans()
        for _ in range(3):
            sigterm_with_queued_store_jobs()
        pipelined_append_kills(rng)
    except petrel_server.ServerError as e:
        check("server start", False, e)
    except Exception as e:
        tb = traceback.extract_tb(e.__traceback__)[-1]
        check("ran to the end", False, "%s: %s (line %d)" % (type(e).__name__, e, tb.lineno))
    finally:
        signal.alarm(0)
        if crash is not None:
            if results["failed"] and os.environ.get("CRASH_KEEP"):
                crash.srv.kill()
                info("data kept in %s" % crash.srv.dir)
            else:
                crash.srv.cleanup()
    info("[total %.1f s]" % (time.monotonic() - started))
    print("crash: %d passed, %d failed" % (results["passed"], results["failed"]), flush=True)
    return 1 if results["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
