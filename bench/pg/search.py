#!/usr/bin/env python3
"""SEARCH TEXT on PostgreSQL: which table and index layout answers a
substring search on petrel's folded text of 100,000 messages in < 100 ms
(issue 15). Not part of `make bench`: a design measurement, run by hand:

    make && python3 bench/pg/search.py [--messages 100000] [--others 100000]

What it does, on a private PostgreSQL 15 (pglocal.py: a temporary
directory, unix socket only, removed at exit):
  - jwz's 2,403 real messages cycled as bench/corpus.py does (message i is
    "X-Bench-Copy: i" + message i mod 2,403), each turned into the search
    text petrel stores (header, MIME part headers, body; folded) by
    petrel's own code: bench/pg/fold-text.c, compiled here against
    build/libpetrel.a;
  - one table per layout, all users' rows in it (user_id, mailbox_id,
    uid), loaded by COPY, with a pg_trgm GIN index on the folded text:
      one_pglz   one `text` column (header, part headers, body joined by
                 "\\n\\x1f\\n", a separator no line of folded text holds),
                 TOAST compression pglz (PostgreSQL's default)
      one_lz4    the same, SET COMPRESSION lz4
      one_raw    the same, SET STORAGE EXTERNAL (out of line, uncompressed)
      three_lz4  header, mime and body columns (lz4), one GIN index over
                 the three; TEXT is `header LIKE p OR mime LIKE p OR body
                 LIKE p`
      three_raw  the same, SET STORAGE EXTERNAL
      three_main the same, lz4 and SET STORAGE MAIN (compressed in the row)
    and, with --others N (default 100,000), tables holding N more rows of
    other users (10,000 each), to see how scoping by user works:
      scoped_trgm    GIN (text) and a btree on (mailbox_id, uid)
      scoped_btgin   GIN (mailbox_id, text) with btree_gin
      scoped3_btgin  three_lz4's columns, GIN (user_id, header, mime, body)
                     with btree_gin: the design docs/ARCHITECTURE.md chose
  - sizes: table (heap + TOAST) and index over the raw mail's bytes;
  - queries `SELECT uid FROM t WHERE user_id = $u AND mailbox_id = $m AND
    text LIKE '%needle%' ORDER BY uid`, needle folded by petrel: "linux",
    "open source", a rare word ("gentoo", 3 of the 2,403 messages) and a
    two-letter needle ("qt", no trigram to look up); median of 5 after one
    untimed run: wall time seen by the client and the server process's
    CPU time (/proc/PID/schedstat: the machine is shared), the plan's
    shape, from EXPLAIN ANALYZE the rows rechecked and the index's part.
Every answer is checked against what petrel's SQLite backend finds (the
needle in any of the message's folded texts). Prints a table and writes
build/pg-search.json. Takes about 10 minutes of
one core at 100,000 messages (the GIN builds are most of it).
"""

import argparse
import json
import os
import re
import statistics
import struct
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(REPO, "bench"))

import pglocal  # noqa: E402

pglocal.need_psycopg2()

import corpus  # noqa: E402

FOLD_BIN = os.path.join(REPO, "build", "pg-fold-text")
FOLD_SRC = os.path.join(HERE, "fold-text.c")
LIBS = "openssl libevent_core libevent_pthreads sqlite3 libcrypt inih libutf8proc zlib libzstd"
# Joins a message's three texts in the one-column layouts: folded text
# keeps "\n" and control characters, but never has \x1f between two "\n"
# in petrel's own fields, so no needle without \x1f spans two of them.
SEPARATOR = "\n\x1f\n"
NEEDLES = (("linux", "linux"), ("open source", "open source"), ("rare", "gentoo"),
           ("2-letter", "qt"))
RUNS = 5
COPY_BATCH = 5000
USER, MAILBOX = 1, 1


def build_fold():
    lib = os.path.join(REPO, "build", "libpetrel.a")
    if not os.path.exists(lib):
        sys.exit("build petrel first: make")
    if os.path.exists(FOLD_BIN) and os.path.getmtime(FOLD_BIN) >= max(
            os.path.getmtime(FOLD_SRC), os.path.getmtime(lib)):
        return
    libs = subprocess.run(["pkg-config", "--libs"] + LIBS.split(), check=True,
                          capture_output=True, text=True).stdout.split()
    subprocess.run(["cc", "-O2", "-std=c17", "-D_GNU_SOURCE", "-I" + os.path.join(REPO, "src"),
                    "-o", FOLD_BIN, FOLD_SRC, lib] + libs + ["-lpthread"], check=True)


def fold_needle(s):
    return subprocess.run([FOLD_BIN, "needle", s], check=True, capture_output=True).stdout \
        .decode("utf-8")


def fold_messages(msgs):
    """[(header, mime, body)] for each message's bytes, by petrel's code."""
    p = subprocess.Popen([FOLD_BIN, "messages"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def feed():
        for m in msgs:
            p.stdin.write(struct.pack(">I", len(m)) + m)
        p.stdin.close()
    t = threading.Thread(target=feed)
    t.start()
    out = []
    while True:
        fields = []
        for _ in range(3):
            h = p.stdout.read(4)
            if len(h) < 4:
                break
            (n,) = struct.unpack(">I", h)
            fields.append(p.stdout.read(n).decode("utf-8", "replace"))
        if len(fields) < 3:
            break
        out.append(tuple(fields))
    t.join()
    if p.wait() != 0 or len(out) != len(msgs):
        sys.exit("pg-fold-text failed")
    return out


def copy_escape(s):
    return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def load_rows(conn, table, columns, rows):
    """COPY rows (tuples of str/int) into table, in batches."""
    import io
    import psycopg2.extensions
    cur = conn.cursor()
    # COPY refuses the wait callback pglocal sets; each batch is short.
    wait = psycopg2.extensions.get_wait_callback()
    psycopg2.extensions.set_wait_callback(None)
    try:
        copy_batches(cur, table, columns, rows, io)
    finally:
        psycopg2.extensions.set_wait_callback(wait)


def copy_batches(cur, table, columns, rows, io):
    for start in range(0, len(rows), COPY_BATCH):
        buf = io.StringIO()
        for r in rows[start:start + COPY_BATCH]:
            buf.write("\t".join(copy_escape(v) if isinstance(v, str) else str(v) for v in r))
            buf.write("\n")
        buf.seek(0)
        cur.copy_expert("COPY %s (%s) FROM STDIN" % (table, ", ".join(columns)), buf)


def one_rows(texts, user, mailbox):
    return [(user, mailbox, i + 1, SEPARATOR.join(t)) for i, t in enumerate(texts)]


def sizes(conn, table):
    cur = conn.cursor()
    cur.execute("SELECT pg_table_size(%s), pg_indexes_size(%s)", (table, table))
    return cur.fetchone()


def like_pattern(needle):
    return "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def backend_cpu_ms(pid):
    """CPU time the server process has run, from /proc (the scheduler's
    ns count): a figure the other processes on a shared machine do not
    inflate, unlike the wall time."""
    try:
        with open("/proc/%d/schedstat" % pid) as f:
            return int(f.read().split()[0]) / 1e6
    except OSError:
        return float("nan")


def time_query(conn, sql, args):
    cur = conn.cursor()
    cur.execute("SELECT pg_backend_pid()")
    pid = cur.fetchone()[0]
    cur.execute(sql, args)
    found = len(cur.fetchall())
    samples, cpu = [], []
    for _ in range(RUNS):
        c0 = backend_cpu_ms(pid)
        t0 = time.monotonic()
        cur.execute(sql, args)
        rows = cur.fetchall()
        samples.append((time.monotonic() - t0) * 1000)
        cpu.append(backend_cpu_ms(pid) - c0)
        assert len(rows) == found
    cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, args)
    plan = [r[0].strip() for r in cur.fetchall()]
    shape = " / ".join(p.replace("->", "").strip().split("  (")[0] for p in plan
                       if "Scan" in p or "BitmapOr" in p)
    # Where the time goes: the index's part (bitmap built) and how many
    # rows the heap part had to read and recheck.
    index_ms = sum(float(m.group(1)) for p in plan if "Bitmap Index Scan" in p
                   for m in [re.search(r"actual time=[0-9.]+\.\.([0-9.]+)", p)] if m)
    removed = sum(int(m.group(1)) for p in plan
                  for m in [re.search(r"Rows Removed by (?:Index Recheck|Filter): ([0-9]+)", p)]
                  if m)
    analysis = {"index_ms": index_ms, "rechecked": found + removed, "plan": plan,
                "cpu_ms": statistics.median(cpu), "cpu_samples": cpu}
    return statistics.median(samples), found, shape, samples, analysis


def text_sql(table, layout):
    if layout == "three":
        cond = "(header LIKE %(p)s OR mime LIKE %(p)s OR body LIKE %(p)s)"
    else:
        cond = "text LIKE %(p)s"
    return ("SELECT uid FROM %s WHERE user_id = %%(u)s AND mailbox_id = %%(m)s AND %s"
            " ORDER BY uid" % (table, cond))


def expected_uids(texts, needle):
    """What petrel's SQLite backend answers: memmem on each folded text."""
    return sum(1 for t in texts if any(needle in f for f in t))


def measure(conn, table, layout, needles, raw_bytes, results, expected):
    conn.cursor().execute("VACUUM ANALYZE " + table)
    tsize, isize = sizes(conn, table)
    row = {"table": table, "table_mib": tsize / 2**20, "index_mib": isize / 2**20,
           "table_over_raw": tsize / raw_bytes, "index_over_raw": isize / raw_bytes,
           "queries": {}}
    for label, needle in needles:
        ms, found, shape, samples, analysis = time_query(conn, text_sql(table, layout),
                                               {"u": USER, "m": MAILBOX,
                                                "p": like_pattern(needle)})
        if found != expected[label]:
            sys.exit("%s %r: %d found, petrel finds %d" % (table, needle, found,
                                                          expected[label]))
        row["queries"][label] = {"ms": ms, "found": found, "plan": shape, "samples": samples,
                                 "analysis": analysis}
    results.append(row)
    print("%-14s table %7.1f MiB (%.2fx raw)  index %7.1f MiB (%.2fx raw)"
          % (table, row["table_mib"], row["table_over_raw"], row["index_mib"],
             row["index_over_raw"]), flush=True)
    for label, q in row["queries"].items():
        print("    %-12s %7.1f ms (cpu %7.1f)  %6d found  %6d rechecked  index %6.1f ms  %s" % (
            label, q["ms"], q["analysis"]["cpu_ms"], q["found"], q["analysis"]["rechecked"],
            q["analysis"]["index_ms"], q["plan"]), flush=True)
    return row


def timed(what, fn):
    t0 = time.monotonic()
    r = fn()
    print("  (%s: %.1f s)" % (what, time.monotonic() - t0), flush=True)
    return r


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--messages", type=int, default=100_000)
    ap.add_argument("--others", type=int, default=100_000,
                    help="other users' rows for the scoping tables (0: skip them)")
    ap.add_argument("--scoped", default="scoped_trgm,scoped_btgin,scoped3_btgin")
    ap.add_argument("--layouts", default="one_pglz,one_lz4,one_raw,three_lz4,three_raw,three_main")
    args = ap.parse_args()

    build_fold()
    c = corpus.load(REPO, 1)
    if not isinstance(c, corpus.RealCorpus):
        sys.exit("the real corpus is needed (scripts/fetch-corpora)")
    msgs = [c.message(i) for i in range(args.messages)]
    raw_bytes = sum(len(m) for m in msgs)
    texts = timed("fold %d messages" % len(msgs), lambda: fold_messages(msgs))
    del msgs
    text_bytes = sum(len(SEPARATOR.join(t).encode("utf-8")) for t in texts)
    needles = [(label, fold_needle(n)) for label, n in NEEDLES]
    expected = {label: expected_uids(texts, n) for label, n in needles}
    print("%d messages, raw %.1f MiB, folded text %.1f MiB" % (
        len(texts), raw_bytes / 2**20, text_bytes / 2**20), flush=True)

    results = []
    with pglocal.Server() as pg:
        conn = pg.connect()
        cur = conn.cursor()
        cur.execute("CREATE EXTENSION pg_trgm")
        cur.execute("CREATE EXTENSION btree_gin")
        for layout in filter(None, args.layouts.split(",")):
            kind, storage = layout.split("_")
            if kind == "three":
                cur.execute("CREATE TABLE %s (user_id int, mailbox_id int, uid int,"
                            " header text, mime text, body text)" % layout)
                cols = ("header", "mime", "body")
            else:
                cur.execute("CREATE TABLE %s (user_id int, mailbox_id int, uid int, text text)"
                            % layout)
                cols = ("text",)
            for col in cols:
                if storage == "raw":
                    cur.execute("ALTER TABLE %s ALTER %s SET STORAGE EXTERNAL" % (layout, col))
                elif storage == "main":
                    # lz4, kept in the heap row unless the row cannot fit
                    # a page: no TOAST lookup per candidate.
                    cur.execute("ALTER TABLE %s ALTER %s SET STORAGE MAIN, ALTER %s SET"
                                " COMPRESSION lz4" % (layout, col, col))
                else:
                    cur.execute("ALTER TABLE %s ALTER %s SET COMPRESSION %s"
                                % (layout, col, storage))
            if kind == "three":
                rows = [(USER, MAILBOX, i + 1) + t for i, t in enumerate(texts)]
            else:
                rows = one_rows(texts, USER, MAILBOX)
            timed("COPY into " + layout, lambda: load_rows(
                conn, layout, ("user_id", "mailbox_id", "uid") + cols, rows))
            del rows
            timed("GIN index on " + layout, lambda: cur.execute(
                "CREATE INDEX ON %s USING gin (%s)" % (
                    layout, ", ".join("%s gin_trgm_ops" % col for col in cols))))
            cur.execute("CREATE INDEX ON %s (mailbox_id, uid)" % layout)
            measure(conn, layout, kind, needles, raw_bytes, results, expected)
            cur.execute("DROP TABLE %s" % layout)   # keeps the cache for the next one

        scoped = {
            "scoped_trgm": ("one", "gin (text gin_trgm_ops)"),
            "scoped_btgin": ("one", "gin (mailbox_id, text gin_trgm_ops)"),
            "scoped3_btgin": ("three", "gin (user_id, header gin_trgm_ops, mime gin_trgm_ops,"
                                       " body gin_trgm_ops)"),
        }
        for name in filter(None, args.scoped.split(",") if args.others > 0 else ()):
            kind, index = scoped[name]
            cols = ("header", "mime", "body") if kind == "three" else ("text",)
            cur.execute("CREATE TABLE %s (user_id int, mailbox_id int, uid int, %s)"
                        % (name, ", ".join(c + " text" for c in cols)))
            for col in cols:
                cur.execute("ALTER TABLE %s ALTER %s SET COMPRESSION lz4" % (name, col))

            def row(user, uid, t):
                return (user, user, uid) + (t if kind == "three" else (SEPARATOR.join(t),))
            # The user's mailbox, then other users' (each a user with one
            # mailbox of 10,000 messages: other mail of the same corpus).
            rows = [row(USER, i + 1, t) for i, t in enumerate(texts)]
            rows += [row(2 + k // 10_000, k % 10_000 + 1, texts[k % len(texts)])
                     for k in range(args.others)]
            timed("COPY into " + name, lambda: load_rows(
                conn, name, ("user_id", "mailbox_id", "uid") + cols, rows))
            del rows
            timed("index on " + name, lambda: cur.execute(
                "CREATE INDEX ON %s USING %s" % (name, index)))
            cur.execute("CREATE INDEX ON %s (mailbox_id, uid)" % name)
            measure(conn, name, kind, needles,
                    raw_bytes * (len(texts) + args.others) / len(texts), results, expected)
            cur.execute("DROP TABLE %s" % name)
        conn.close()

    out = {"messages": len(texts), "others": args.others, "raw_bytes": raw_bytes,
           "folded_text_bytes": text_bytes, "needles": dict(needles), "results": results}
    path = os.path.join(REPO, "build", "pg-search.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
    print("wrote", path)


if __name__ == "__main__":
    main()
