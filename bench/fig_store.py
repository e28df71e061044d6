"""UID STORE +FLAGS.SILENT (\\Flagged) on ctx.store_count messages of the
selected big mailbox, for two sets of UIDs:

range      one UID range in the middle of the mailbox ("a:b");
scattered  ctx.store_count UIDs drawn at random (fixed seed) from the whole
           mailbox, written as ranges of consecutive UIDs ("3,7:9,15,...").

The server allows at most 10,000 comma-separated parts in one set and
64 KiB in one command line. A set that does not fit is split into several
commands, sent pipelined, and the time runs to the last tagged OK (the
detail says how many commands; 10,000 random UIDs out of 100,000 fit in
one).

The server only writes messages whose flags change, so before every timed
+FLAGS the same set gets an untimed -FLAGS.SILENT (\\Flagged). The detail
also has one timed +FLAGS on messages that are already \\Flagged
("noop_ms").
"""

import random

import imapc
from figures import Figure, median

TARGET = ("<", 200.0)
MAX_PARTS = 10000              # SEQ_UIDS_MAX_RANGES in src/imap/seq-uids.h
MAX_LINE = 64 * 1024           # command line after login (README "Protocol limits")
FLAGS = r"(\Flagged)"


def compress(uids):
    """Sorted UIDs -> list of "a" / "a:b" parts, as few as possible."""
    parts = []
    start = prev = None
    for u in uids:
        if prev is not None and u == prev + 1:
            prev = u
            continue
        if start is not None:
            parts.append(str(start) if start == prev else "%d:%d" % (start, prev))
        start = prev = u
    if start is not None:
        parts.append(str(start) if start == prev else "%d:%d" % (start, prev))
    return parts


def commands(parts, op):
    """UID STORE command lines (without tag) carrying all parts, each within
    the server's limits (the tag adds up to ~8 bytes, CRLF 2)."""
    head, tail = "UID STORE ", " %sFLAGS.SILENT %s" % (op, FLAGS)
    room = MAX_LINE - len(head) - len(tail) - 16
    out, cur, cur_len = [], [], 0
    for p in parts:
        if cur and (len(cur) >= MAX_PARTS or cur_len + 1 + len(p) > room):
            out.append(head + ",".join(cur) + tail)
            cur, cur_len = [], 0
        cur.append(p)
        cur_len += len(p) + (1 if cur_len else 0)
    if cur:
        out.append(head + ",".join(cur) + tail)
    return out


def run(ctx):
    n, k = ctx.loaded, ctx.store_count
    lo = max(1, n // 2 - k // 2 + 1)
    rng = random.Random(ctx.seed)
    sets = {
        "range": ["%d:%d" % (lo, lo + k - 1)],
        "scattered": compress(sorted(rng.sample(range(1, n + 1), k))),
    }
    figures = []
    c = imapc.connect(ctx.target)
    try:
        c.command("SELECT INBOX")
        for name, parts in sets.items():
            plus, minus = commands(parts, "+"), commands(parts, "-")
            times = []
            for _ in range(ctx.store_reps):
                c.commands_pipelined(minus)
                times.append(c.commands_pipelined(plus) * 1000)
            noop = c.commands_pipelined(plus) * 1000
            label = ("UID STORE +FLAGS.SILENT, {:,} UIDs, one range" if name == "range"
                     else "UID STORE +FLAGS.SILENT, {:,} scattered UIDs").format(k)
            figures.append(Figure(
                "store.flags_" + name, label, median(times), "ms", TARGET, times,
                {"uids": k, "parts": len(parts), "commands": len(plus),
                 "line_bytes": max(len(x) for x in plus), "noop_ms": noop}))
            ctx.log("  %s: median %.1f ms (%d parts, %d command(s))"
                    % (label, median(times), len(parts), len(plus)))
        c.commands_pipelined(commands(sets["scattered"], "-") + commands(sets["range"], "-"))
    finally:
        c.logout()
    return figures
