"""Two users write one shared mailbox at once (issue 14), for
test_acl_walk.py.

alice shares Team with bob (lrswite). At the same time: alice and bob
each APPEND WRITES messages to it (some with \\Seen), STORE \\Seen and
\\Flagged on their own and expunge some (UID EXPUNGE); bob COPYs and
MOVEs from his INBOX into it while alice expunges some of those copies;
one session of each sits in IDLE on Team; alice polls with NOOP and
bob with STATUS. Afterwards:

- every APPEND, COPY and MOVE that answered OK with APPENDUID or COPYUID
  is there under that UID with its exact bytes (BODY.PEEK[]), unless it was
  expunged; nothing else is there: nothing lost, nothing duplicated;
- UIDs are unique, and each writer's increase in the order it got them;
- \\Seen is each user's own (RFC 4314 section 4 leaves it to the server;
  petrel keeps it per user, as Cyrus does), \\Flagged is shared;
- HIGHESTMODSEQ never went down for either poller, and grew;
- every session that had Team selected (IDLE, NOOP, the writers) saw
  EXISTS never shrink and EXPUNGE only within its count, and after a
  final NOOP holds exactly the final UIDs, in order.
Every loop is bounded in count and by DEADLINE_S.
"""

import os
import re
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import petrel_server  # noqa: E402
from acl_conn import Conn, quote, ok  # noqa: E402

WRITES = 200            # APPENDs per user: enough for the two to interleave many times
INBOX_SOURCES = 40      # bob's messages copied (even) or moved (odd) into Team
DEADLINE_S = 45         # for the whole concurrent phase; ASan builds need most of it
POLL_PAUSE_S = 0.01     # between a poller's commands: it watches, it does not flood
TEAM_BOB = "Other Users/alice/Team"
APPENDUID_RE = re.compile(rb"\[APPENDUID (\d+) (\d+)\]")
COPYUID_RE = re.compile(rb"\[COPYUID (\d+) (\d+) (\d+)\]")
EXISTS_RE = re.compile(rb"^\* (\d+) EXISTS$")
EXPUNGE_RE = re.compile(rb"^\* (\d+) EXPUNGE$")
MODSEQ_RE = re.compile(rb"HIGHESTMODSEQ (\d+)")
UID_RE = re.compile(rb"^\* \d+ FETCH \(.*?UID (\d+)")
FLAGS_RE = re.compile(rb"FLAGS \(([^)]*)\)")
BODY_RE = re.compile(rb"BODY\[\] \{(\d+)\}\r\n")


def team_message(who, i):
    """Distinct bytes of varied size (a few hundred bytes to ~3 KB)."""
    head = (b"From: %s@example.org\r\nSubject: team %s %d\r\nMessage-ID: <%s.%d@example.org>"
            b"\r\n\r\n" % (who.encode(), who.encode(), i, who.encode(), i))
    return head + b"".join(b"line %d of %s's message %d\r\n" % (k, who.encode(), i)
                           for k in range(1 + i % 97))


class View:
    """What one session with Team selected was told: its message count."""

    def __init__(self, name, count):
        self.name = name
        self.count = count
        self.errors = []
        self.updates = 0         # EXISTS and EXPUNGE responses seen

    def feed(self, lines):
        for line in lines:
            m = EXISTS_RE.match(line)
            if m:
                n = int(m.group(1))
                if n < self.count:   # RFC 9051 section 7.4.1: EXISTS never shrinks
                    self.errors.append("EXISTS %d after a count of %d" % (n, self.count))
                self.count = n
                self.updates += 1
                continue
            m = EXPUNGE_RE.match(line)
            if m:
                n = int(m.group(1))
                if not 1 <= n <= self.count:
                    self.errors.append("EXPUNGE %d with a count of %d" % (n, self.count))
                self.count -= 1
                self.updates += 1


def select(c, mailbox, name):
    r = c.run(b"SELECT %s" % quote(mailbox))
    if not ok(r):
        raise AssertionError("%s SELECT %s: %r" % (name, mailbox, r))
    view = View(name, 0)
    view.feed(r)
    return view


class Shared:
    """What the threads record (list.append is atomic under the GIL)."""

    def __init__(self):
        self.bytes = {}              # uid in Team -> the bytes that went in
        self.order = {"alice": [], "bob": []}   # APPENDUIDs in the order each got them
        self.all_uids = []           # every APPENDUID and COPYUID target, duplicates kept
        self.uidvalidities = set()
        self.seen = {"alice": set(), "bob": set()}
        self.flagged = set()
        self.expunged = set()
        self.copies = []             # COPY targets alice may expunge
        self.moved_sources = []      # bob's INBOX UIDs moved out
        self.copied_sources = []     # bob's INBOX UIDs copied (they stay)
        self.modseqs = {"alice": [], "bob": []}
        self.failures = []
        self.done = threading.Event()
        self.deadline = time.monotonic() + DEADLINE_S


def writer(c, who, mailbox, view, sh):
    """WRITES APPENDs; every 5th marks its message \\Seen, every 7th
    \\Flagged, every 9th is appended \\Seen, every 10th expunges the one
    before it."""
    for i in range(WRITES):
        if time.monotonic() > sh.deadline:
            sh.failures.append("%s wrote %d of %d before the deadline" % (who, i, WRITES))
            return
        msg = team_message(who, i)
        flags = b"(\\Seen) " if i % 9 == 4 else b""
        r = c.run(b"APPEND %s %s{%d+}\r\n%s" % (quote(mailbox), flags, len(msg), msg))
        view.feed(r)
        m = APPENDUID_RE.search(r[-1])
        if not ok(r) or m is None:
            sh.failures.append("%s APPEND %d: %r" % (who, i, r[-1]))
            continue
        uid = int(m.group(2))
        sh.uidvalidities.add(int(m.group(1)))
        sh.bytes[uid] = msg
        sh.order[who].append(uid)
        sh.all_uids.append(uid)
        if flags:
            sh.seen[who].add(uid)
        for every, flag, into in ((5, b"\\Seen", sh.seen[who]), (7, b"\\Flagged", sh.flagged)):
            if i % every == 0:
                r = c.run(b"UID STORE %d +FLAGS.SILENT (%s)" % (uid, flag))
                view.feed(r)
                if ok(r):
                    into.add(uid)
                else:
                    sh.failures.append("%s STORE %s: %r" % (who, flag, r[-1]))
        if i % 10 == 9:
            expunge(c, who, sh.order[who][-2], view, sh)


def expunge(c, who, uid, view, sh):
    r = c.run(b"UID STORE %d +FLAGS.SILENT (\\Deleted)" % uid)
    view.feed(r)
    r2 = c.run(b"UID EXPUNGE %d" % uid)
    view.feed(r2)
    if ok(r) and ok(r2):
        sh.expunged.add(uid)
    else:
        sh.failures.append("%s expunging %d: %r %r" % (who, uid, r[-1], r2[-1]))


def copier(c, sources, sh):
    """bob: UID COPY the even, UID MOVE the odd of his INBOX into Team."""
    for i, (src, msg) in enumerate(sources):
        if time.monotonic() > sh.deadline:
            sh.failures.append("bob copied %d of %d before the deadline" % (i, len(sources)))
            return
        verb = b"COPY" if i % 2 == 0 else b"MOVE"
        r = c.run(b"UID %s %d %s" % (verb, src, quote(TEAM_BOB)))
        found = [COPYUID_RE.search(line) for line in r]
        found = [m for m in found if m]
        if not ok(r) or len(found) != 1 or int(found[0].group(2)) != src:
            sh.failures.append("bob UID %s %d: %r" % (verb.decode(), src, r))
            continue
        uid = int(found[0].group(3))
        sh.uidvalidities.add(int(found[0].group(1)))
        sh.bytes[uid] = msg
        sh.all_uids.append(uid)
        if verb == b"COPY":
            sh.copies.append(uid)
            sh.copied_sources.append(src)
        else:
            sh.moved_sources.append(src)


def alice_poller(c, view, sh):
    """NOOP and STATUS HIGHESTMODSEQ on Team; expunges every third copy
    bob makes, while he goes on copying."""
    taken = 0
    while not sh.done.is_set() and time.monotonic() < sh.deadline:
        view.feed(c.run(b"NOOP"))
        r = c.run(b"STATUS Team (HIGHESTMODSEQ)")
        view.feed(r)
        for line in r:
            m = MODSEQ_RE.search(line)
            if m and line.startswith(b"* STATUS"):
                sh.modseqs["alice"].append(int(m.group(1)))
        while taken * 3 < len(sh.copies):
            expunge(c, "alice", sh.copies[taken * 3], view, sh)
            taken += 1
        time.sleep(POLL_PAUSE_S)


def bob_poller(c, sh):
    while not sh.done.is_set() and time.monotonic() < sh.deadline:
        r = c.run(b"STATUS %s (HIGHESTMODSEQ MESSAGES)" % quote(TEAM_BOB))
        for line in r:
            m = MODSEQ_RE.search(line)
            if m:
                sh.modseqs["bob"].append(int(m.group(1)))
        if not ok(r):
            sh.failures.append("bob STATUS: %r" % r)
        time.sleep(POLL_PAUSE_S)


def idler(c, view, sh):
    """In IDLE until the writers are done, counting what it is told."""
    tag = c.next_tag()
    c.send(tag + b" IDLE\r\n")
    first = c.response()
    if first is None or not first.startswith(b"+"):
        sh.failures.append("%s IDLE: %r" % (view.name, first))
        return
    while not sh.done.is_set() and time.monotonic() < sh.deadline:
        line = c.response(timeout=0.2)
        if line is not None:
            view.feed([line])
    view.while_idle = view.updates
    c.send(b"DONE\r\n")
    r = c.finish(tag, [])
    view.feed(r)
    if not ok(r):
        sh.failures.append("%s IDLE end: %r" % (view.name, r[-1]))


def fetch_all(c, items):
    """{uid: FETCH line} of the selected mailbox, in sequence order."""
    r = c.run(b"FETCH 1:* (%s)" % items)
    out = {}
    order = []
    for line in r[:-1]:
        m = UID_RE.match(line)
        if m:
            out[int(m.group(1))] = line
            order.append(int(m.group(1)))
    return out, order


def seen_in(lines):
    return set(uid for uid, line in lines.items()
               if b"\\Seen" in FLAGS_RE.search(line).group(1).split())


def flagged_in(lines):
    return set(uid for uid, line in lines.items()
               if b"\\Flagged" in FLAGS_RE.search(line).group(1).split())


def run(check, users):
    srv = petrel_server.PetrelServer(users=users, tls=False)
    conns = []
    try:
        srv.start()
        port = srv.imap_port

        def conn(who):
            c = Conn(port, who, users[who])
            conns.append(c)
            return c
        a = conn("alice")
        for command in (b"CREATE Team", b"SETACL Team bob lrswite"):
            if not ok(a.run(command)):
                raise AssertionError("setup %r" % command)
        b = conn("bob")
        sources = []
        for i in range(INBOX_SOURCES):
            msg = team_message("bob-inbox", i)
            r = b.run(b"APPEND INBOX {%d+}\r\n%s" % (len(msg), msg))
            sources.append((int(APPENDUID_RE.search(r[-1]).group(2)), msg))
        sh = Shared()
        views = {}       # session name -> (connection, View), for those with Team selected
        threads = []

        def selected(who, role, mailbox):
            c = conn(who)
            views[who + " " + role] = (c, select(c, mailbox, who + " " + role))
            return views[who + " " + role]
        for who, mailbox in (("alice", "Team"), ("bob", TEAM_BOB)):
            threads.append(threading.Thread(target=writer,
                                            args=selected(who, "writer", mailbox)[:1]
                                            + (who, mailbox, views[who + " writer"][1], sh)))
            threads.append(threading.Thread(target=idler,
                                            args=selected(who, "IDLE", mailbox) + (sh,)))
        threads.append(threading.Thread(target=alice_poller,
                                        args=selected("alice", "NOOP", "Team") + (sh,)))
        threads.append(threading.Thread(target=bob_poller, args=(conn("bob"), sh)))
        c = conn("bob")
        select(c, "INBOX", "bob copier")
        copy_thread = threading.Thread(target=copier, args=(c, sources, sh))
        threads.append(copy_thread)
        started = time.monotonic()
        for t in threads:
            t.start()
        writers = [threads[0], threads[2], copy_thread]
        for t in writers:
            t.join(DEADLINE_S + 10)
        sh.done.set()
        for t in threads:
            t.join(DEADLINE_S + 10)
        print("     (two writers x %d APPENDs, %d COPY/MOVE, with IDLE and polling: %.1f s)"
              % (WRITES, INBOX_SOURCES, time.monotonic() - started))
        check("every thread ended", not any(t.is_alive() for t in threads))
        check("every APPEND, STORE, EXPUNGE, COPY and MOVE answered OK", not sh.failures,
              sh.failures[:5])

        # The final state, through fresh sessions of each.
        fa, fb = conn("alice"), conn("bob")
        select(fa, "Team", "alice final")
        select(fb, TEAM_BOB, "bob final")
        a_lines, a_order = fetch_all(fa, b"UID FLAGS BODY.PEEK[]")
        b_lines, b_order = fetch_all(fb, b"UID FLAGS")
        present = set(sh.bytes) - sh.expunged
        check("UIDs unique over %d APPENDs and copies" % len(sh.all_uids),
              len(sh.all_uids) == len(set(sh.all_uids)),
              sorted(u for u in sh.all_uids if sh.all_uids.count(u) > 1)[:10])
        for who in ("alice", "bob"):
            order = sh.order[who]
            check("%s's APPENDUIDs increase in the order they came" % who,
                  all(x < y for x, y in zip(order, order[1:])), order[:20])
        # The two really wrote at once: their UIDs alternate in Team.
        owner = dict([(u, "alice") for u in sh.order["alice"]] + [(u, "bob") for u in sh.order["bob"]])
        runs = [owner[u] for u in sorted(owner)]
        switches = sum(1 for x, y in zip(runs, runs[1:]) if x != y)
        check("alice's and bob's APPENDs interleaved (%d switches)" % switches, switches >= 10)
        check("one UIDVALIDITY", len(sh.uidvalidities) == 1, sh.uidvalidities)
        check("Team holds exactly what was added and not expunged (%d messages)" % len(present),
              set(a_lines) == present and len(a_order) == len(present),
              "missing %s extra %s" % (sorted(present - set(a_lines))[:10],
                                       sorted(set(a_lines) - present)[:10]))
        check("UIDs in sequence order", a_order == sorted(a_order), a_order[:20])
        wrong = []
        for uid, line in a_lines.items():
            m = BODY_RE.search(line)
            if uid in sh.bytes and (m is None or line[m.end():m.end() + int(m.group(1))]
                                    != sh.bytes[uid]):
                wrong.append(uid)
        check("every message's bytes are those sent", not wrong, wrong[:10])
        check("bob sees the same UIDs", b_order == a_order)
        check("alice's \\Seen is hers alone (%d)" % len(sh.seen["alice"] & present),
              seen_in(a_lines) == sh.seen["alice"] & present,
              "extra %s missing %s" % (sorted(seen_in(a_lines) - sh.seen["alice"])[:10],
                                       sorted(sh.seen["alice"] & present - seen_in(a_lines))[:10]))
        check("bob's \\Seen is his alone (%d)" % len(sh.seen["bob"] & present),
              seen_in(b_lines) == sh.seen["bob"] & present,
              "extra %s missing %s" % (sorted(seen_in(b_lines) - sh.seen["bob"])[:10],
                                       sorted(sh.seen["bob"] & present - seen_in(b_lines))[:10]))
        check("\\Flagged is shared (%d)" % len(sh.flagged & present),
              flagged_in(a_lines) == sh.flagged & present == flagged_in(b_lines))
        for who in ("alice", "bob"):
            seq = sh.modseqs[who]
            check("%s's HIGHESTMODSEQ never went down and grew (%d polls)" % (who, len(seq)),
                  len(seq) >= 2 and all(x <= y for x, y in zip(seq, seq[1:])) and seq[-1] > seq[0],
                  seq[:5] + ["..."] + seq[-5:])
        # Each session that had Team selected: a last NOOP, then its count
        # and its UIDs are the final ones.
        for who in ("alice", "bob"):
            view = views[who + " IDLE"][1]
            check("%s's IDLE was told of the changes as they came (%d EXISTS/EXPUNGE)"
                  % (who, getattr(view, "while_idle", 0)), getattr(view, "while_idle", 0) >= 10)
        check("alice expunged bob's copies while he copied (%d)"
              % len(sh.expunged & set(sh.copies)), len(sh.expunged & set(sh.copies)) >= 3)
        for name, (c, view) in views.items():
            view.feed(c.run(b"NOOP"))
            _, order = fetch_all(c, b"UID")
            check("%s: told EXISTS/EXPUNGE consistently, %d messages after NOOP as in Team"
                  % (name, view.count), not view.errors and view.count == len(present)
                  and order == a_order,
                  "%s; count %d, %d UIDs, final %d" % (view.errors[:3], view.count, len(order),
                                                       len(present)))
        st = fb.run(b"STATUS %s (MESSAGES)" % quote(TEAM_BOB))
        check("bob's STATUS MESSAGES is the final count",
              st[0] == b'* STATUS "%s" (MESSAGES %d)' % (TEAM_BOB.encode(), len(present)), st)
        bi = conn("bob")
        select(bi, "INBOX", "bob inbox")
        _, inbox = fetch_all(bi, b"UID")
        check("bob's INBOX lost exactly the %d moved" % len(sh.moved_sources),
              inbox == sorted(set(s for s, _ in sources) - set(sh.moved_sources)), inbox)
    finally:
        for c in conns:
            c.close()
        problems = srv.stop()
        check("team server: SIGTERM, exit 0, clean stderr", not problems, problems)
        check_store = os.popen("%s check --data %s" % (srv.binary, srv.data)).read()
        check("petrel check clean after the concurrent writers",
              all(line.endswith((": ok", ": no store yet")) for line in check_store.splitlines())
              and "alice: ok" in check_store, check_store)
        srv.cleanup()
