"""The search indexer after the load: delivery leaves each message's text
for an indexer that runs beside it (docs/ARCHITECTURE.md, "The search
indexer"). This step waits until the text still waiting (text_pending in
the user's store.db, read-only) is under one batch, and reports how long
that took after the load's last APPEND was answered, so the SEARCH
figures that follow measure the index, not the scan of waiting text.
"""

import os
import sqlite3
import time

from figures import Figure

BATCH = 256            # SQ_INDEX_BATCH: the indexer leaves less than this
LIMIT_S = 300          # bounded: a stuck indexer is reported, not waited for
STILL_S = 1.0          # wait_idle(): this long without change is idle


def _pending(path):
    db = sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=5)
    try:
        return db.execute("SELECT count(*) FROM text_pending").fetchone()[0]
    finally:
        db.close()


def _left(path):
    """(text waiting to be added, texts waiting to be dropped)."""
    db = sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=5)
    try:
        return (db.execute("SELECT count(*) FROM text_pending").fetchone()[0],
                db.execute("SELECT count(*) FROM text_gone").fetchone()[0])
    finally:
        db.close()


def wait_idle(target, user):
    """Waits (bounded) until user's indexer has nothing left but less than
    a batch to add: also the index entries of expunged messages dropped.
    The steps before the searches append and expunge scratch messages, and
    an indexer dropping them beside a timed SEARCH doubled its time (its
    commits also make SEARCH's connection drop its cached pages of
    search.db): the figure is meant for a mailbox at rest. Drops fewer
    than a batch wait for the next delivery's indexer run: once nothing
    has changed for STILL_S, the indexer is idle. Returns the seconds
    waited; 0 for a server without petrel's store."""
    path = os.path.join(target.data_dir, "users", user, "store.db")
    if not os.path.exists(path):
        return 0.0
    start = still = time.perf_counter()
    left = _left(path)
    while ((left[0] >= BATCH or left[1] > 0) and time.perf_counter() - still < STILL_S
           and time.perf_counter() - start < LIMIT_S):
        time.sleep(0.05)
        now = _left(path)
        if now != left:
            left, still = now, time.perf_counter()
    return time.perf_counter() - start


def wait_caught_up(target, user):
    """Waits (bounded) until user's indexer has less than a batch left.
    (text waiting at the start, waiting at the end); (0, 0) for a server
    without petrel's store."""
    path = os.path.join(target.data_dir, "users", user, "store.db")
    if not os.path.exists(path):
        return 0, 0
    start = time.perf_counter()
    at_start = pending = _pending(path)
    while pending >= BATCH and time.perf_counter() - start < LIMIT_S:
        time.sleep(0.05)
        pending = _pending(path)
    return at_start, pending


def catch_up(ctx):
    path = os.path.join(ctx.target.data_dir, "users", ctx.target.user, "store.db")
    if not os.path.exists(path):
        return []
    start, cpu0 = time.perf_counter(), ctx.target.cpu_seconds()
    at_start, pending = wait_caught_up(ctx.target, ctx.target.user)
    waited, cpu = time.perf_counter() - start, ctx.target.cpu_seconds() - cpu0
    since_load = time.perf_counter() - ctx.load_end if ctx.load_end else waited
    ctx.log("  index: %d messages waiting after the load, under one batch %.1f s later"
            % (at_start, since_load))
    figures = [Figure("index.catch_up", "search index caught up, after the load's last APPEND",
                      round(since_load, 2) if pending < BATCH else None, "s", None, [],
                      {"waiting_at_step_start": at_start, "waiting_at_end": pending,
                       "waited_s": round(waited, 2), "server_cpu_s": round(cpu, 3)})]
    # The indexer steps aside while a user's deliveries go on
    # (user-index.c): its CPU comes after the load, and belongs to the
    # cost of a delivered message as much as the load's does.
    load = getattr(ctx, "load_stats", None)
    if load and load["pipelined"] == load["messages"] and pending < BATCH and at_start >= BATCH:
        figures.append(Figure(
            "index.cpu_per_1000", "server CPU per 1,000 messages indexed after the load",
            cpu / at_start * 1000, "s", None, [], {"messages": at_start, "server_cpu_s": cpu}))
        figures.append(Figure(
            "append.cpu_per_1000_indexed",
            "server CPU per 1,000 APPENDs, load and its indexing",
            (load["server_cpu_s"] + cpu) / load["messages"] * 1000, "s", None, [],
            {"load_server_cpu_s": load["server_cpu_s"], "index_server_cpu_s": cpu}))
    return figures
