"""The disk's fsync latency (before the load), and what the load cost the
machine: the server's resident memory (VmRSS from /proc/PID/status) and the
data directory's disk use (allocated blocks of every file under it), right
after the load; and the RSS again at the end, with the big mailbox selected
by one session, after SELECT and STORE ran. CPU per 1,000 APPENDs comes
with the load (fig_append.py)."""

import os
import time

import imapc
from figures import Figure, MiB, median


def fsync_latency(ctx, reps=200):
    """4 KiB write + fsync on the data directory's file system, median:
    the floor of one durable transaction, so of one APPEND (each APPEND
    commits on its own). Written beside the data directory, not in it."""
    path = os.path.join(ctx.target.scratch_dir, "bench-fsync.tmp")
    block = os.urandom(4096)
    times = []
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        for _ in range(reps):
            t0 = time.perf_counter()
            os.write(fd, block)
            os.fsync(fd)
            times.append((time.perf_counter() - t0) * 1000)
    finally:
        os.close(fd)
        os.unlink(path)
    m = median(times)
    return [Figure("resources.fsync", "disk: 4 KiB write + fsync (data dir's file system)",
                   m, "ms", None, times, {"one_commit_per_append_ceiling": 1000.0 / m})]


def after_load(ctx):
    mem = ctx.target.memory()
    disk = ctx.target.disk_usage()
    n = ctx.loaded
    msg_bytes = ctx.load_stats["bytes"]
    return [
        Figure("resources.rss_after_load", "server RSS after the load", mem["rss"] / MiB, "MiB",
               None, [], {"hwm_mib": mem["hwm"] / MiB if mem["hwm"] else None}),
        Figure("resources.disk", "data dir on disk after the load",
               disk["allocated"] / MiB, "MiB", None, [],
               {"apparent_mib": disk["apparent"] / MiB, "messages": n,
                "message_bytes": msg_bytes,
                "per_message_bytes": disk["allocated"] / n if n else None,
                "overhead_ratio": disk["allocated"] / msg_bytes if msg_bytes else None,
                "files": disk["files"]}),
    ]


def at_end(ctx):
    c = imapc.connect(ctx.target)
    try:
        c.command("SELECT INBOX")
        mem = ctx.target.memory()
    finally:
        c.logout()
    return [Figure("resources.rss_selected", "server RSS, big mailbox selected (at the end)",
                   mem["rss"] / MiB, "MiB", None, [], {"hwm_mib": mem["hwm"] / MiB if mem["hwm"] else None})]
