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

The load generator is build/loadgen (bench/loadgen/loadgen.c): one thread,
epoll, every client a state machine on a non-blocking socket, written in C
so that it is not what limits the rate; its CPU share is printed beside
each level to show that.
"""

import json
import os
import subprocess

import fig_index
import imapc
from figures import Figure, median

FAMILIES = ("login", "select", "headers", "body", "store", "search", "append", "expunge",
            "idle", "logout")
MIX_PASSWORD = "mix-secret-1"
# Client source addresses 127.0.0.1..16 (loadgen --sources): petrel queues
# at most 64 password checks per address (AUTH_QUEUE_PER_ADDR) and answers
# NO [UNAVAILABLE] past that, which 100 clients logging in at once from one
# address hit on a loaded machine; mail clients come from many addresses.
MIX_SOURCES = 16


def _pct(xs, q):
    return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else None


def _level(ctx, n_clients, users, messages_file, seconds, rep):
    """One run of build/loadgen with n_clients for seconds: its samples,
    and the server's CPU over the same time."""
    target = ctx.target
    argv = [ctx.loadgen, "--host", target.host, "--port", str(target.port),
            "--clients", str(n_clients), "--seconds", str(seconds), "--users", ",".join(users),
            "--password", MIX_PASSWORD, "--messages", messages_file,
            "--seed", str(ctx.seed * 100003 + rep * 1009 + n_clients),
            "--sources", str(MIX_SOURCES)]
    target.wait_quiet()
    cpu0 = target.cpu_seconds()
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=seconds + 120)
    server_cpu = target.cpu_seconds() - cpu0
    if p.returncode != 0:
        raise imapc.IMAPError("loadgen exited %d: %s" % (p.returncode,
                                                         p.stderr.decode(errors="replace")[-300:]))
    out = json.loads(p.stdout)
    times = dict((f, out["times"].get(f, [])) for f in FAMILIES)
    return {"wall": out["wall_s"], "ops": sum(len(v) for v in times.values()),
            "sessions": out["sessions"], "server_cpu": server_cpu, "client_cpu": out["cpu_s"],
            "times": times, "errors": out["errors"], "error_count": out["error_count"]}


def _prepare(ctx):
    """ctx.mix_users users, each with an INBOX of ctx.mix_mailbox corpus
    messages (MULTIAPPEND in batches)."""
    target = ctx.target
    users = ["mix%d" % i for i in range(ctx.mix_users)]
    # One yescrypt hash for all (targets.add_users_bulk): each LOGIN still
    # verifies it, in both servers.
    target.add_users_bulk(users, MIX_PASSWORD, hashed=True)
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
    # petrel indexes delivered text beside delivery: let it finish, so the
    # levels measure the sessions, not the indexer's backlog (Dovecot, with
    # no search index, has none).
    for user in users:
        fig_index.wait_caught_up(target, user)
    # The messages the clients APPEND, for the load generator: records of
    # "LENGTH\n" and the bytes.
    path = os.path.join(target.scratch_dir, "mix-messages")
    with open(path, "wb") as f:
        for msg in ctx.corpus.messages(10_000_000, 200):
            f.write(b"%d\n" % len(msg) + msg)
    return users, path


def run(ctx):
    if not os.access(ctx.loadgen, os.X_OK):
        raise imapc.IMAPError("no load generator at %s (make %s)" % (ctx.loadgen, ctx.loadgen))
    users, messages = _prepare(ctx)
    figures = []
    ncpu = os.cpu_count() or 1
    for n in ctx.mix_levels:
        reps = [_level(ctx, n, users, messages, ctx.mix_seconds, rep)
                for rep in range(ctx.mix_reps)]
        errors = [e for r in reps for e in r["errors"]]
        error_count = sum(r["error_count"] for r in reps)
        rates = [r["ops"] / r["wall"] for r in reps]
        srates = [r["sessions"] / r["wall"] for r in reps]
        cpu_per_k = [r["server_cpu"] / r["ops"] * 1000 if r["ops"] else None for r in reps]
        client_share = [r["client_cpu"] / (r["wall"] * ncpu) * 100 for r in reps]
        # latency (ms, as loadgen reports it): all repetitions pooled, per family
        pooled = dict((f, sorted(x for r in reps for x in r["times"][f]))   # ms
                      for f in FAMILIES)
        ctx.log("  %3d clients: %s commands/s, %s sessions/s, server CPU %.3f s per 1,000, "
                "load generator CPU %.1f %% of the machine, %d errors"
                % (n, "/".join("%.0f" % x for x in rates), "/".join("%.1f" % x for x in srates),
                   median([x for x in cpu_per_k if x is not None]) or 0,
                   median(client_share), error_count))
        detail = {"reps": len(reps), "errors": errors[:10], "error_count": error_count,
                  "client_cpu_share_pct": [round(x, 1) for x in client_share]}
        tag = "mix.c%d" % n
        figures.append(Figure(tag + ".ops", "mix, %d client%s: commands/s"
                              % (n, "" if n == 1 else "s"),
                              round(median(rates), 1) if not error_count else None, "ops/s", None,
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
