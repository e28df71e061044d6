"""Reading the big mailbox (issue 4's scale goals): FETCH of every
message's UID, FLAGS and ENVELOPE, SEARCH SUBJECT and TEXT through the
substring index, and one 20 MB message's BODY[] streamed.

The responses are read by a raw loop (recv_into a fixed buffer, looking
only for the tagged line), not parsed: a Python parser would be slower
than the server. The client's own CPU time is recorded beside each figure
(detail.client_cpu_s): when it approaches the wall time, the client is
the bottleneck and the figure is a lower bound.
"""

import resource
import time

import fig_index
import imapc
from figures import Figure, median

FETCH_TARGET = (">=", 100_000.0)     # messages a second
SEARCH_TARGET = ("<", 100.0)         # ms
BODY_TARGET = (">=", 500.0)          # MB/s (10^6 bytes)
BIG_SIZE = 20 * 1000 * 1000


def _cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _raw(c, text):
    """Send one command; read until its tagged OK. Returns (seconds,
    bytes read, client CPU seconds)."""
    tag = c.tag()
    want = b"\r\n" + tag + b" OK"
    buf = bytearray(1 << 22)
    view = memoryview(buf)
    tail = bytes(c.buf[c.pos:])          # anything already buffered
    c.buf.clear()
    c.pos = 0
    total = 0
    cpu0 = _cpu()
    t0 = time.perf_counter()
    c.sock.sendall(tag + b" " + text.encode() + b"\r\n")
    window = b"\r\n" + tail
    while True:
        n = c.sock.recv_into(view)
        if n == 0:
            raise imapc.IMAPError("connection closed during %s" % text)
        total += n
        window = (window + bytes(view[max(0, n - 128):n]))[-256:]
        if want in window and window.endswith(b"\r\n"):
            break
    secs = time.perf_counter() - t0
    return secs, total, _cpu() - cpu0


def run(ctx):
    figures = []
    n = ctx.loaded
    c = imapc.connect(ctx.target)
    try:
        c.command("EXAMINE INBOX")
        runs = [_raw(c, "FETCH 1:* (UID FLAGS ENVELOPE)") for _ in range(ctx.read_reps)]
        rates = [n / s for s, _, _ in runs]
        figures.append(Figure("read.fetch_envelope",
                              "FETCH 1:* (UID FLAGS ENVELOPE), {:,} messages".format(n),
                              median(rates), "msg/s", FETCH_TARGET, rates,
                              {"bytes": runs[0][1],
                               "client_cpu_s": [round(x, 3) for _, _, x in runs],
                               "wall_s": [round(s, 3) for s, _, _ in runs]}))
        waited = fig_index.wait_idle(ctx.target, ctx.target.user)
        if waited > 0.5:
            ctx.log("  searches: waited %.1f s for the indexer to finish" % waited)
        for key, query in ctx.corpus.queries:
            c.command(query)                 # warm the pages once
            times = [c.command(query)[0] * 1000 for _ in range(ctx.search_reps)]
            hits = c.command(query)[2]
            count = sum(len(u.split()) - 2 for u in hits if u.startswith(b"* SEARCH"))
            figures.append(Figure("read.search_" + key, "%s ({:,} found)".format(count) % query,
                                  median(times), "ms", SEARCH_TARGET, times))
        ctx.log("  FETCH ENVELOPE %.0f msg/s; searches %s ms"
                % (median(rates), ", ".join("%.1f" % f.value for f in figures[1:])))
    finally:
        c.logout()

    # One big message in a mailbox of its own.
    c = imapc.connect(ctx.target)
    try:
        c.command("CREATE BenchBig", expect_ok=False)
        line = b"x" * 76 + b"\r\n"
        body = b"Subject: big\r\nFrom: bench@example.com\r\n\r\n" + line * (BIG_SIZE // 78)
        c.append_plus("BenchBig", body)
        c.command("EXAMINE BenchBig")
        runs = [_raw(c, "FETCH 1 BODY.PEEK[]") for _ in range(ctx.big_reps)]
        rates = [b / s / 1e6 for s, b, _ in runs]
        figures.append(Figure("read.body_20mb", "FETCH 1 BODY[] of a 20 MB message",
                              median(rates), "MB/s", BODY_TARGET, rates,
                              {"client_cpu_s": [round(x, 3) for _, _, x in runs],
                               "wall_s": [round(s, 3) for s, _, _ in runs]}))
        ctx.log("  20 MB BODY[]: %.0f MB/s" % median(rates))
        c.command("CLOSE", expect_ok=False)
        c.command("DELETE BenchBig", expect_ok=False)
    finally:
        c.logout()
    return figures
