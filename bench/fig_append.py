"""APPEND throughput for one user.

load():       pipelined LITERAL+ APPENDs of ctx.messages messages into INBOX,
              in ctx.load_chunks equal chunks; the figure is the median
              chunk rate. This is also how the big mailbox is populated.
sequential(): one APPEND at a time into a scratch mailbox, waiting for each
              tagged OK: with a synchronizing literal (waits for "+" too,
              as simple clients do) and with a LITERAL+ literal; plus
              MULTIAPPEND batches for comparison (reported only).
sessions():   SESSIONS sessions of the user APPENDing one at a time each,
              all at once: deliveries to one user from several sessions.

Besides the rates: the server's CPU seconds per 1,000 APPENDs (utime +
stime of the whole process) and the client's own CPU time as a share of
the wall time, which shows whether the Python client could be the limit.
"""

import threading
import time

import imapc
from figures import Figure, median

TARGET = (">=", 2000)
PIPELINED_TARGET = (">=", 4000)    # issue 13: one session's pipelined APPENDs, aim 10,000
PIPELINED_AIM = 10_000
SCRATCH = "bench-scratch"


def _measure(ctx, fn):
    """Run fn(); return (wall s, server CPU s, client CPU s)."""
    cpu0, own0, t0 = ctx.target.cpu_seconds(), time.process_time(), time.perf_counter()
    fn()
    wall = time.perf_counter() - t0
    return wall, ctx.target.cpu_seconds() - cpu0, time.process_time() - own0


def load(ctx):
    c = imapc.connect(ctx.target)
    n, chunks = ctx.messages, ctx.load_chunks
    size = n // chunks
    rates, server_cpu, client_cpu, wall_total = [], 0.0, 0.0, 0.0
    next_index = nbytes = 0
    # A server can cap the pipelined part (Dovecot: see targets.py), at
    # ctx.pipelined_load_max in this mode; the rest is loaded with
    # MULTIAPPEND, not timed into the APPEND figures.
    cap = n
    if getattr(ctx.target, "pipelined_load_max", None):
        cap = min(ctx.target.pipelined_load_max, ctx.pipelined_load_max)
    bulk_wall = 0.0
    try:
        for k in range(chunks):
            count = size if k < chunks - 1 else n - next_index
            msgs = list(ctx.corpus.messages(next_index, count))   # made before timing
            nbytes += sum(len(m) for m in msgs)
            if next_index >= cap:
                t0 = time.perf_counter()
                for i in range(0, count, 1000):
                    c.multiappend("INBOX", msgs[i:i + 1000])
                bulk_wall += time.perf_counter() - t0
                next_index += count
                ctx.log("  load chunk %d/%d: %d messages by MULTIAPPEND (%.0f msg/s)"
                        % (k + 1, chunks, count, count / (time.perf_counter() - t0)))
                continue
            done = []
            wall, scpu, ccpu = _measure(ctx, lambda: done.append(
                c.append_pipelined("INBOX", msgs, window=ctx.window, batch=ctx.batch)))
            if done[0] != count:
                raise imapc.IMAPError("pipelined load: %d of %d appended" % (done[0], count))
            next_index += count
            rates.append(count / wall)
            server_cpu += scpu
            client_cpu += ccpu
            wall_total += wall
            ctx.log("  load chunk %d/%d: %d messages, %.0f msg/s"
                    % (k + 1, chunks, count, count / wall))
        _, tagged, untagged = c.command("STATUS INBOX (MESSAGES UIDNEXT)")
        status = b" ".join(untagged).decode(errors="replace")
        if "MESSAGES %d " % n not in status or "UIDNEXT %d)" % (n + 1) not in status:
            raise imapc.IMAPError("after the load: %s" % status)
    finally:
        c.logout()
    ctx.loaded = n
    ctx.load_end = time.perf_counter()
    pipelined = min(n, cap)
    ctx.load_stats = {"messages": n, "pipelined": pipelined,
                      "wall_s": wall_total + bulk_wall, "server_cpu_s": server_cpu,
                      "client_cpu_s": client_cpu, "bytes": nbytes}
    detail = {
        "messages": n, "message_bytes": nbytes, "chunks": chunks,
        "window": ctx.window, "batch": ctx.batch,
        "pipelined_messages": pipelined, "multiappend_wall_s": round(bulk_wall, 3),
        "total_wall_s": round(wall_total, 3), "overall_rate": pipelined / wall_total,
        "first_chunk_rate": rates[0], "last_chunk_rate": rates[-1],
        "server_cpu_s": server_cpu, "client_cpu_s": client_cpu,
        "server_cpu_share": server_cpu / wall_total, "client_cpu_share": client_cpu / wall_total,
    }
    return [
        Figure("append.pipelined", "APPEND pipelined (LITERAL+, %d in flight)" % ctx.window,
               median(rates), "msg/s", PIPELINED_TARGET, rates, detail, aim=PIPELINED_AIM),
        Figure("append.load_time", "load of {:,} messages".format(n),
               wall_total + bulk_wall, "s", None, [],
               {"pipelined": pipelined, "pipelined_wall_s": wall_total,
                "multiappend_wall_s": bulk_wall}),
        Figure("append.cpu_per_1000", "server CPU per 1,000 pipelined APPENDs (load)",
               server_cpu / pipelined * 1000, "s", None, [], {"server_cpu_s": server_cpu}),
        Figure("append.client_cpu", "client CPU share of wall time (load)",
               100.0 * client_cpu / wall_total, "%", None, [],
               {"client_cpu_s": client_cpu,
                "server_cpu_share_pct": 100.0 * server_cpu / wall_total}),
    ]


def sequential(ctx):
    c = imapc.connect(ctx.target)
    figures = []
    base = ctx.messages + 1_000_000    # message numbers not used by the load
    try:
        c.command("CREATE %s" % SCRATCH)
        for mode, label, fn in (
                ("sync", "APPEND sequential, sync literal {N}", c.append_sync),
                ("plus", "APPEND sequential, LITERAL+ {N+}", c.append_plus)):
            rates, scpu_total, ccpu_total, n_total = [], 0.0, 0.0, 0
            for r in range(ctx.seq_reps):
                msgs = list(ctx.corpus.messages(base, ctx.seq_count))
                base += ctx.seq_count

                def one_by_one():
                    for m in msgs:
                        fn(SCRATCH, m)
                wall, scpu, ccpu = _measure(ctx, one_by_one)
                rates.append(ctx.seq_count / wall)
                scpu_total += scpu
                ccpu_total += ccpu
                n_total += ctx.seq_count
            figures.append(Figure(
                "append.sequential_" + mode, label, median(rates), "msg/s", TARGET, rates,
                {"messages_per_rep": ctx.seq_count, "reps": ctx.seq_reps,
                 "server_cpu_per_1000_s": scpu_total / n_total * 1000,
                 "client_cpu_per_1000_s": ccpu_total / n_total * 1000}))
            ctx.log("  %s: %.0f msg/s" % (label, median(rates)))
        rates = []
        for r in range(ctx.multi_reps):
            msgs = list(ctx.corpus.messages(base, ctx.multi_count))
            base += ctx.multi_count
            wall, _, _ = _measure(ctx, lambda: c.multiappend(SCRATCH, msgs))
            rates.append(ctx.multi_count / wall)
        figures.append(Figure(
            "append.multiappend", "MULTIAPPEND, %d messages per command" % ctx.multi_count,
            median(rates), "msg/s", None, rates, {"reps": ctx.multi_reps}))
        # Leave the store as the load made it: INBOX only.
        c.command("DELETE %s" % SCRATCH)
    finally:
        c.logout()
    return figures


SESSIONS = 4               # sessions of one user delivering at once (issue 13)
SESSIONS_SCRATCH = "bench-sessions"


def sessions(ctx):
    """Deliveries to one user from several sessions at once: SESSIONS
    sessions of the loaded user, each APPENDing (LITERAL+) one message at
    a time into the same mailbox, waiting for each OK, as delivery agents
    do; all start together. The figure is all messages over the wall time
    until the last session's last OK, median of ctx.sess_reps runs. A
    server that commits concurrent deliveries together (one fsync for
    several) gets more than SESSIONS times the one-session sequential rate
    out of the same disk."""
    target = ctx.target
    admin = imapc.connect(target)
    conns = []
    rates, scpu_total, ccpu_total, n_total = [], 0.0, 0.0, 0
    base = ctx.messages + 2_000_000    # message numbers not used by the load
    try:
        admin.command("CREATE %s" % SESSIONS_SCRATCH)
        conns = [imapc.connect(target) for _ in range(SESSIONS)]
        for r in range(ctx.sess_reps):
            batches = []
            for c in conns:                                    # made before timing
                batches.append(list(ctx.corpus.messages(base, ctx.sess_count)))
                base += ctx.sess_count
            start = threading.Barrier(SESSIONS + 1)
            errors = []

            def deliver(c, msgs):
                try:
                    start.wait()
                    for m in msgs:
                        c.append_plus(SESSIONS_SCRATCH, m)
                except Exception as e:   # reported below, the other threads go on
                    errors.append(e)
            threads = [threading.Thread(target=deliver, args=(c, b))
                       for c, b in zip(conns, batches)]
            for t in threads:
                t.start()

            def run_all():
                start.wait()
                for t in threads:
                    t.join(imapc.TIMEOUT * ctx.sess_count)
            wall, scpu, ccpu = _measure(ctx, run_all)
            if errors or any(t.is_alive() for t in threads):
                raise imapc.IMAPError("APPEND from %d sessions: %s"
                                      % (SESSIONS, errors[0] if errors else "hung"))
            n = SESSIONS * ctx.sess_count
            rates.append(n / wall)
            scpu_total += scpu
            ccpu_total += ccpu
            n_total += n
        _, _, untagged = admin.command("STATUS %s (MESSAGES)" % SESSIONS_SCRATCH)
        want = "MESSAGES %d)" % n_total
        if want not in b" ".join(untagged).decode(errors="replace"):
            raise imapc.IMAPError("after APPEND from %d sessions: %r" % (SESSIONS, untagged))
        admin.command("DELETE %s" % SESSIONS_SCRATCH)
    finally:
        for c in conns:
            c.logout()
        admin.logout()
    ctx.log("  APPEND from %d sessions at once: %s msg/s"
            % (SESSIONS, "/".join("%.0f" % x for x in rates)))
    return [Figure(
        "append.sessions", "APPEND from %d sessions of one user at once (one at a time each)"
        % SESSIONS, median(rates), "msg/s", None, rates,
        {"sessions": SESSIONS, "messages_per_session": ctx.sess_count, "reps": ctx.sess_reps,
         "server_cpu_per_1000_s": scpu_total / n_total * 1000,
         "client_cpu_per_1000_s": ccpu_total / n_total * 1000})]
