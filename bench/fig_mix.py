"""Mail clients at once (issue 6): the same session script run by 1, 10 and
100 concurrent clients against each server, for a fixed time per level.

Each client repeats whole sessions, the way a mail app that connects,
checks a folder, acts and leaves does; every command is timed from just
before its bytes are sent to just after its tagged OK, and filed under its
family:

  login     connect, greeting and LOGIN (a yescrypt hash, the same string
            on both servers: see targets.py)
  select    SELECT INBOX (ctx.mix_mailbox messages)
  headers   UID FETCH of the newest 50: UID FLAGS RFC822.SIZE ENVELOPE
            BODY.PEEK[HEADER.FIELDS (...)], what a message list shows
  body      UID FETCH BODY.PEEK[] of one message (three per session)
  store     UID STORE +FLAGS (\\Seen) then -FLAGS (\\Seen) of one message
  search    UID SEARCH, in turn UNSEEN / FROM / SUBJECT / TEXT
  append    APPEND of one corpus message (LITERAL+, APPENDUID read back)
  expunge   UID STORE +FLAGS.SILENT (\\Deleted) and UID EXPUNGE of the
            appended message (so the mailbox keeps its size)
  idle      IDLE until "+", then DONE until the tagged OK
  logout    LOGOUT until the tagged OK

Figures per level: all commands per second (the rate of completed
commands over the level's wall time), sessions per second, p50/p99 per
family, the server's CPU seconds per 1,000 commands (all its processes:
Dovecot forks two per session), and the load generator's CPU as a share
of the machine, which shows whether it could be what limits the rate.

The load generator: worker processes (forked; one per 10 clients, at most
4), each running its clients as threads with blocking sockets. Python, not
C: the client CPU share printed beside each level says what it cost.
"""

import multiprocessing
import os
import random
import socket
import time

import imapc
from figures import Figure, median

FAMILIES = ("login", "select", "headers", "body", "store", "search", "append", "expunge",
            "idle", "logout")
MIX_PASSWORD = "mix-secret-1"
HEADER_FIELDS = "(From To Cc Subject Date Message-ID References In-Reply-To Content-Type)"
SEARCHES = ("UNSEEN", 'FROM "linux"', 'SUBJECT "razor"', 'TEXT "open source"')


def _pct(xs, q):
    return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else None


class Client:
    """One simulated mail client: whole sessions until the deadline."""

    def __init__(self, host, port, user, messages, seed):
        self.host, self.port, self.user = host, port, user
        self.messages = messages
        self.rng = random.Random(seed)
        self.times = dict((f, []) for f in FAMILIES)
        self.sessions = 0
        self.errors = []

    def timed(self, family, conn, text):
        secs, tagged, untagged = conn.command(text)
        self.times[family].append(secs)
        return tagged, untagged

    def session(self):
        t0 = time.perf_counter()
        c = imapc.Conn(self.host, self.port)
        c.login(self.user, MIX_PASSWORD)
        self.times["login"].append(time.perf_counter() - t0)
        try:
            _, untagged = self.timed("select", c, "SELECT INBOX")
            uidnext = next((int(u.split(b"UIDNEXT ")[1].split(b"]")[0]) for u in untagged
                            if b"[UIDNEXT " in u), None)
            if uidnext is None:
                raise imapc.IMAPError("SELECT without UIDNEXT: %r" % untagged[:5])
            self.timed("headers", c, "UID FETCH %d:* (UID FLAGS RFC822.SIZE ENVELOPE "
                       "BODY.PEEK[HEADER.FIELDS %s])" % (max(1, uidnext - 50), HEADER_FIELDS))
            _, untagged = c.command("UID SEARCH ALL")[1:]
            uids = [int(x) for u in untagged if u.startswith(b"* SEARCH")
                    for x in u.split()[2:]]
            if not uids:
                raise imapc.IMAPError("empty mailbox")
            for _ in range(3):
                self.timed("body", c, "UID FETCH %d BODY.PEEK[]" % self.rng.choice(uids))
            uid = self.rng.choice(uids)
            self.timed("store", c, "UID STORE %d +FLAGS (\\Seen)" % uid)
            self.timed("store", c, "UID STORE %d -FLAGS (\\Seen)" % uid)
            self.timed("search", c, "UID SEARCH " + SEARCHES[self.sessions % len(SEARCHES)])
            msg = self.messages[self.rng.randrange(len(self.messages))]
            tag = c.tag()
            t1 = time.perf_counter()
            c.sock.sendall(b"%s APPEND INBOX {%d+}\r\n%s\r\n" % (tag, len(msg), msg))
            tagged, _ = c.read_tagged(tag)
            self.times["append"].append(time.perf_counter() - t1)
            if b"[APPENDUID " not in tagged:
                raise imapc.IMAPError("APPEND: %r" % tagged[:200])
            new_uid = int(tagged.split(b"[APPENDUID ")[1].split(b"]")[0].split()[1])
            t1 = time.perf_counter()
            c.command("UID STORE %d +FLAGS.SILENT (\\Deleted)" % new_uid)
            c.command("UID EXPUNGE %d" % new_uid)
            self.times["expunge"].append(time.perf_counter() - t1)
            tag = c.tag()
            t1 = time.perf_counter()
            c.sock.sendall(tag + b" IDLE\r\n")
            line = c.readline()
            while not line.startswith(b"+"):
                if line.startswith(tag):
                    raise imapc.IMAPError("IDLE: %r" % line)
                line = c.readline()
            c.sock.sendall(b"DONE\r\n")
            tagged, _ = c.read_tagged(tag)
            if not tagged.startswith(tag + b" OK"):
                raise imapc.IMAPError("IDLE: %r" % tagged)
            self.times["idle"].append(time.perf_counter() - t1)
            self.timed("logout", c, "LOGOUT")
        finally:
            c.sock.close()
        self.sessions += 1

    def run(self, deadline):
        while time.perf_counter() < deadline:
            try:
                self.session()
            except (OSError, imapc.IMAPError) as e:
                self.errors.append(str(e)[:200])
                if len(self.errors) > 20:
                    return
                time.sleep(0.05)


def _worker(args, conn):
    """A load-generator process: its clients as threads; sends back the
    samples and its own CPU time."""
    import threading
    host, port, users, messages, seeds, start_at, seconds = args
    clients = [Client(host, port, u, messages, s) for u, s in zip(users, seeds)]
    while time.time() < start_at:
        time.sleep(0.001)
    deadline = time.perf_counter() + seconds
    threads = [threading.Thread(target=c.run, args=(deadline,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    cpu = sum(os.times()[:2])
    conn.send({"times": [c.times for c in clients], "sessions": sum(c.sessions for c in clients),
               "errors": [e for c in clients for e in c.errors], "cpu": cpu})
    conn.close()


def _level(ctx, n_clients, users, messages, seconds, rep):
    target = ctx.target
    procs = min(4, max(1, (n_clients + 9) // 10))
    start_at = time.time() + 0.3
    jobs = []
    mp = multiprocessing.get_context("fork")
    for p in range(procs):
        mine = list(range(p, n_clients, procs))
        args = (target.host, target.port, [users[i % len(users)] for i in mine], messages,
                [ctx.seed * 100003 + rep * 1009 + i for i in mine], start_at, seconds)
        rd, wr = mp.Pipe(duplex=False)
        proc = mp.Process(target=_worker, args=(args, wr))
        proc.start()
        wr.close()
        jobs.append((proc, rd))
    while time.time() < start_at:
        time.sleep(0.001)
    cpu0, t0 = target.cpu_seconds(), time.perf_counter()
    results = []
    for proc, rd in jobs:
        if not rd.poll(seconds + 120):
            proc.kill()
            raise imapc.IMAPError("a load-generator process did not report")
        results.append(rd.recv())
        proc.join(30)
    wall = time.perf_counter() - t0
    server_cpu = target.cpu_seconds() - cpu0
    times = dict((f, []) for f in FAMILIES)
    for r in results:
        for t in r["times"]:
            for f in FAMILIES:
                times[f].extend(t[f])
    ops = sum(len(v) for v in times.values())
    errors = [e for r in results for e in r["errors"]]
    return {"wall": wall, "ops": ops, "sessions": sum(r["sessions"] for r in results),
            "server_cpu": server_cpu, "client_cpu": sum(r["cpu"] for r in results),
            "times": times, "errors": errors}


def _prepare(ctx):
    """ctx.mix_users users, each with an INBOX of ctx.mix_mailbox corpus
    messages (MULTIAPPEND in batches)."""
    target = ctx.target
    users = ["mix%d" % i for i in range(ctx.mix_users)]
    target.add_users(dict((u, MIX_PASSWORD) for u in users), hashed=True)
    per = ctx.mix_mailbox
    for k, user in enumerate(users):
        c = imapc.Conn(target.host, target.port)
        try:
            c.login(user, MIX_PASSWORD)
            for start in range(0, per, 250):
                count = min(250, per - start)
                c.multiappend("INBOX", list(ctx.corpus.messages(k * per + start, count)))
        finally:
            c.logout()
    messages = list(ctx.corpus.messages(10_000_000, 200))
    return users, messages


def run(ctx):
    users, messages = _prepare(ctx)
    figures = []
    ncpu = os.cpu_count() or 1
    for n in ctx.mix_levels:
        reps = [_level(ctx, n, users, messages, ctx.mix_seconds, rep)
                for rep in range(ctx.mix_reps)]
        errors = [e for r in reps for e in r["errors"]]
        rates = [r["ops"] / r["wall"] for r in reps]
        srates = [r["sessions"] / r["wall"] for r in reps]
        cpu_per_k = [r["server_cpu"] / r["ops"] * 1000 if r["ops"] else None for r in reps]
        client_share = [r["client_cpu"] / (r["wall"] * ncpu) * 100 for r in reps]
        # latency: all repetitions pooled, per family
        pooled = dict((f, sorted(x * 1000 for r in reps for x in r["times"][f]))
                      for f in FAMILIES)
        ctx.log("  %3d clients: %s commands/s, %s sessions/s, server CPU %.3f s per 1,000, "
                "client CPU %.0f %% of the machine, %d errors"
                % (n, "/".join("%.0f" % x for x in rates), "/".join("%.1f" % x for x in srates),
                   median([x for x in cpu_per_k if x is not None]) or 0,
                   median(client_share), len(errors)))
        detail = {"reps": len(reps), "errors": errors[:10], "error_count": len(errors),
                  "client_cpu_share_pct": [round(x, 1) for x in client_share]}
        tag = "mix.c%d" % n
        figures.append(Figure(tag + ".ops", "mix, %d client%s: commands/s"
                              % (n, "" if n == 1 else "s"),
                              round(median(rates), 1) if not errors else None, "ops/s", None,
                              [round(x, 1) for x in rates], detail))
        figures.append(Figure(tag + ".sessions", "mix, %d client%s: whole sessions/s"
                              % (n, "" if n == 1 else "s"), round(median(srates), 2), "ops/s",
                              None, [round(x, 2) for x in srates]))
        figures.append(Figure(tag + ".cpu", "mix, %d client%s: server CPU s per 1,000 commands"
                              % (n, "" if n == 1 else "s"),
                              round(median(cpu_per_k), 3) if all(cpu_per_k) else None, "s",
                              None, cpu_per_k))
        figures.append(Figure(tag + ".client_cpu", "mix, %d client%s: load generator CPU, "
                              "share of the machine" % (n, "" if n == 1 else "s"),
                              round(median(client_share), 1), "%", None, client_share))
        walls = sum(r["wall"] for r in reps)
        for f in FAMILIES:
            xs = pooled[f]
            # value: p50; the table prints p99 and the family's rate beside it
            figures.append(Figure("%s.%s" % (tag, f), "mix, %d client%s: %s p50"
                                  % (n, "" if n == 1 else "s", f),
                                  round(_pct(xs, 0.5), 3) if xs else None, "ms", None, [],
                                  {"p99_ms": round(_pct(xs, 0.99), 3) if xs else None,
                                   "ops_per_s": round(len(xs) / walls, 1) if walls else None,
                                   "count": len(xs)}))
    return figures
