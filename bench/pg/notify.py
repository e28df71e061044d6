#!/usr/bin/env python3
"""Change notification on PostgreSQL: what a NOTIFY inside every writing
transaction costs in commits/s, what batching the notifications on a
connection of their own costs instead, and how long a notification takes
from commit to a LISTENing connection (issue 15). Not part of `make
bench`: a design measurement, run by hand:

    python3 bench/pg/notify.py [--seconds 15] [--repeat 2] [--latency-seconds 15]

On a private PostgreSQL 15 (pglocal.py: temporary directory, unix socket
only, removed at exit; fsync and synchronous_commit on):

  commits/s, pgbench with custom scripts (`pgbench -f`), each transaction
  a small write as petrel's APPEND makes: UPDATE of the mailbox's modseq
  counter (one row per client: no row-lock queue between them) and INSERT
  of a 3 KB row (incompressible bytes, as a zstd body is, stored out of
  line); one LISTENing connection drains notifications throughout.
    plain        no notification
    notify       + SELECT pg_notify('petrel', 'mailbox modseq') in the
                 transaction
    batched-*    plain, while one more connection sends one NOTIFY per
                 1 ms window (what a node's notifier would do for the
                 commits of that window); "sync" with synchronous_commit
                 on for it, "async" with it off (a notification lost in a
                 crash costs nothing: listeners re-read by modseq when
                 they reconnect)
  with 1 and 8 clients (-c 8 -j 2), --seconds each, --repeat times.

  latency, commit to LISTENer: one writer process makes --latency-samples
  transactions 5 ms apart; a listener process notes when each payload
  arrives (CLOCK_MONOTONIC, shared by the processes). Reported from the
  writer's COMMIT returning (p50/p99; and from COMMIT sent), once with the NOTIFY in the
  transaction and once batched through a notifier thread with its own
  connection (1 ms windows); each on an idle server and under the
  8-client load of the matching pgbench script.
Prints a table and writes build/pg-notify.json. About 4 minutes, of which
heavy load (8 clients) is 15 s at a time.
"""

import argparse
import json
import multiprocessing
import os
import re
import select
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import pglocal  # noqa: E402

pglocal.need_psycopg2()

CHANNEL = "petrel"
MAILBOXES = 64            # one per client, and more
BLOBS = 64                # 3 KB random bodies the INSERTs pick from
BODY_BYTES = 3000
WINDOW_S = 0.001          # the notifier's batching window
GAP_S = 0.005             # between the latency writer's transactions
SETUP = """
CREATE TABLE mbox (id int PRIMARY KEY, modseq bigint NOT NULL);
INSERT INTO mbox SELECT g, 0 FROM generate_series(1, %(mailboxes)d) g;
CREATE TABLE blob (k int PRIMARY KEY, b bytea NOT NULL);
INSERT INTO blob SELECT g, (SELECT string_agg(decode(md5(g::text || '/' || s), 'hex'), ''::bytea)
    FROM generate_series(1, %(chunks)d) s) FROM generate_series(1, %(blobs)d) g;
CREATE TABLE msg (id bigserial PRIMARY KEY, mailbox int NOT NULL, modseq bigint NOT NULL,
    body bytea NOT NULL);
ALTER TABLE msg ALTER body SET STORAGE EXTERNAL;
""" % {"mailboxes": MAILBOXES, "blobs": BLOBS, "chunks": BODY_BYTES // 16 + 1}

WRITE = """\\set r random(1, %d)
BEGIN;
UPDATE mbox SET modseq = modseq + 1 WHERE id = :client_id + 1 RETURNING modseq \\gset
INSERT INTO msg (mailbox, modseq, body) SELECT :client_id + 1, :modseq, b FROM blob WHERE k = :r;
""" % BLOBS
SCRIPTS = {
    "plain": WRITE + "COMMIT;\n",
    "notify": WRITE + "SELECT pg_notify('%s', (:client_id + 1) || ' ' || :modseq);\nCOMMIT;\n"
    % CHANNEL,
}


def listener(dsn, stop, out, ready):
    """Drains CHANNEL until stop; out gets {payload_item: receive time}."""
    import psycopg2
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    conn.cursor().execute("LISTEN " + CHANNEL)
    ready.set()
    seen, count = {}, 0
    while not stop.is_set():
        if select.select([conn], [], [], 0.05)[0]:
            conn.poll()
            now = time.monotonic()
            for n in conn.notifies:
                count += 1
                for item in n.payload.split(","):
                    seen.setdefault(item, now)
            conn.notifies.clear()
    conn.close()
    out.put((count, {k: v for k, v in seen.items() if k.startswith("L")}))


class Notifier(threading.Thread):
    """One connection that sends, once per window, one NOTIFY naming what
    was committed in it (add()), or every window (always) as under load."""

    def __init__(self, dsn, sync, always):
        super().__init__(daemon=True)
        import psycopg2
        self.conn = psycopg2.connect(dsn)
        self.conn.autocommit = True
        if not sync:
            self.conn.cursor().execute("SET synchronous_commit = off")
        self.always = always
        self.lock = threading.Lock()
        self.pending = []
        self.stop = threading.Event()
        self.sent = 0

    def add(self, item):
        with self.lock:
            self.pending.append(item)

    def run(self):
        cur = self.conn.cursor()
        tick = time.monotonic()
        while not self.stop.is_set():
            tick += WINDOW_S
            delay = tick - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            else:
                tick = time.monotonic()
            with self.lock:
                items, self.pending = self.pending, []
            if items or self.always:
                cur.execute("SELECT pg_notify(%s, %s)", (CHANNEL, ",".join(items) or "tick"))
                self.sent += 1
        self.conn.close()


class Listening:
    def __init__(self, dsn):
        self.stop = multiprocessing.Event()
        self.out = multiprocessing.Queue()
        ready = multiprocessing.Event()
        self.proc = multiprocessing.Process(target=listener,
                                            args=(dsn, self.stop,
                                                  self.out, ready))
        self.proc.start()
        if not ready.wait(10):
            sys.exit("listener did not start")

    def finish(self):
        time.sleep(0.2)         # the last notifications in flight
        self.stop.set()
        result = self.out.get(timeout=30)
        self.proc.join(10)
        return result


def pgbench(pg, script_path, clients, seconds):
    r = subprocess.run([os.path.join(pglocal.PG_BIN, "pgbench"), "-h", pg.dir, "-U",
                        pglocal.PG_USER, "-n", "-c", str(clients), "-j", str(min(clients, 2)),
                        "-T", str(seconds), "-f", script_path, "postgres"],
                       capture_output=True, text=True)
    m = re.search(r"tps = ([0-9.]+) \(without initial", r.stdout)
    lat = re.search(r"latency average = ([0-9.]+) ms", r.stdout)
    if r.returncode != 0 or m is None:
        sys.exit("pgbench failed:\n%s%s" % (r.stdout, r.stderr))
    return float(m.group(1)), float(lat.group(1)) if lat else None


def throughput(pg, scripts, variant, clients, seconds):
    """(commits/s, mean latency ms, notifications received, notifier's)"""
    notifier = None
    listen = Listening(pg.dsn)
    if variant.startswith("batched"):
        notifier = Notifier(pg.dsn, sync=variant.endswith("sync"), always=True)
        notifier.start()
    tps, lat = pgbench(pg, scripts["notify" if variant == "notify" else "plain"], clients,
                       seconds)
    sent = None
    if notifier is not None:
        notifier.stop.set()
        notifier.join()
        sent = notifier.sent / seconds
    received, _ = listen.finish()
    return tps, lat, received, sent


def latency(pg, scripts, variant, loaded, samples, seconds_max):
    """Commit-returned -> received, ms, for samples transactions."""
    import psycopg2
    listen = Listening(pg.dsn)
    load = None
    if loaded:
        load = subprocess.Popen([os.path.join(pglocal.PG_BIN, "pgbench"), "-h", pg.dir, "-U",
                                 pglocal.PG_USER, "-n", "-c", "8", "-j", "2", "-T",
                                 str(seconds_max), "-f",
                                 scripts["notify" if variant == "notify" else "plain"],
                                 "postgres"], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(1)
    notifier = None
    if variant == "batched":
        notifier = Notifier(pg.dsn, sync=False, always=False)
        notifier.start()
    conn = psycopg2.connect(pg.dsn)
    cur = conn.cursor()
    committed, sent = {}, {}
    deadline = time.monotonic() + seconds_max - (2 if loaded else 0)
    for i in range(samples):
        if time.monotonic() > deadline:
            break
        item = "L%d" % i
        cur.execute("UPDATE mbox SET modseq = modseq + 1 WHERE id = %s RETURNING modseq",
                    (MAILBOXES,))
        modseq = cur.fetchone()[0]
        cur.execute("INSERT INTO msg (mailbox, modseq, body) SELECT %s, %s, b FROM blob"
                    " WHERE k = 1", (MAILBOXES, modseq))
        if variant == "notify":
            cur.execute("SELECT pg_notify(%s, %s)", (CHANNEL, item))
        sent[item] = time.monotonic()
        conn.commit()
        committed[item] = time.monotonic()
        if notifier is not None:
            notifier.add(item)
        time.sleep(GAP_S)
    conn.close()
    if notifier is not None:
        notifier.stop.set()
        notifier.join()
    _, seen = listen.finish()
    if load is not None:
        load.terminate()
        load.wait()
    lat = sorted((seen[k] - t) * 1000 for k, t in committed.items() if k in seen)
    from_sent = sorted((seen[k] - t) * 1000 for k, t in sent.items() if k in seen)
    lost = len(committed) - len(lat)
    if not lat:
        return None
    p99 = min(len(lat) - 1, int(len(lat) * 0.99))
    return {"n": len(lat), "lost": lost, "p50": statistics.median(lat), "p99": lat[p99],
            "max": lat[-1], "sent_p50": statistics.median(from_sent),
            "sent_p99": from_sent[p99]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=int, default=15)
    ap.add_argument("--repeat", type=int, default=2, help="0: latency only")
    ap.add_argument("--latency-samples", type=int, default=400)
    ap.add_argument("--latency-seconds", type=int, default=15,
                    help="bound on each latency run (and its background load)")
    args = ap.parse_args()
    out = {"seconds": args.seconds, "throughput": [], "latency": []}
    with pglocal.Server() as pg, tempfile.TemporaryDirectory(prefix="petrel-pgbench-") as tmp:
        conn = pg.connect()
        conn.cursor().execute(SETUP)
        conn.close()
        scripts = {}
        for name, text in SCRIPTS.items():
            scripts[name] = os.path.join(tmp, name + ".sql")
            with open(scripts[name], "w") as f:
                f.write(text)
        print("commits/s (pgbench -T %d, each run)" % args.seconds, flush=True)
        cases = ((1, "plain"), (1, "notify"), (8, "plain"), (8, "notify"),
                 (8, "batched-sync"), (8, "batched-async"))
        for clients, variant in cases if args.repeat > 0 else ():
            runs = [throughput(pg, scripts, variant, clients, args.seconds)
                    for _ in range(args.repeat)]
            tps = [r[0] for r in runs]
            row = {"clients": clients, "variant": variant, "tps": tps,
                   "latency_ms": [r[1] for r in runs], "received": [r[2] for r in runs],
                   "notifier_per_s": [r[3] for r in runs]}
            out["throughput"].append(row)
            print("  %d clients %-14s %s commits/s  (mean latency %s ms%s)" % (
                clients, variant, " ".join("%.0f" % t for t in tps),
                " ".join("%.2f" % r[1] for r in runs),
                "" if runs[0][3] is None else ", notifier %.0f NOTIFY/s" % runs[0][3]),
                flush=True)
        print("latency, commit returned -> LISTENer received (ms)", flush=True)
        for variant in ("notify", "batched"):
            for loaded in (False, True):
                r = latency(pg, scripts, variant, loaded, args.latency_samples,
                            args.latency_seconds)
                out["latency"].append({"variant": variant, "loaded": loaded, "result": r})
                print("  %-8s %-13s %s" % (variant, "8-client load" if loaded else "idle",
                                            "no samples" if r is None else
                                            "p50 %.2f  p99 %.2f  max %.2f  (n %d, lost %d;"
                                            " from COMMIT sent: p50 %.2f p99 %.2f)" % (
                                                r["p50"], r["p99"], r["max"], r["n"],
                                                r["lost"], r["sent_p50"], r["sent_p99"])),
                      flush=True)
    path = os.path.join(REPO, "build", "pg-notify.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
    print("wrote", path)


if __name__ == "__main__":
    main()
