#!/usr/bin/env python3
"""petrel benchmarks (`make bench`, `make bench QUICK=1`): scale figures of
one big mailbox, measured over IMAP on 127.0.0.1 against a throw-away
server. Prints a table and writes build/bench/results.json. A figure that
misses its target is reported as MISS; the exit status is non-zero only
when a step could not run (server failed, protocol error).

See bench/README.md for what each figure is and how it is measured.
"""

import argparse
import datetime
import json
import os
import platform
import signal
import subprocess
import sys
import time
import traceback

import corpus
import fig_append
import fig_idle
import fig_index
import fig_mailbox
import fig_read
import fig_resources
import fig_store
import targets
from figures import fmt, target_text

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
HARD_LIMIT_S = 900       # SIGALRM: the run can never hang; the server is stopped

# name, function(ctx) -> [Figure], needs the load to have succeeded
STEPS = [
    ("fsync", fig_resources.fsync_latency, False),
    ("load", fig_append.load, False),
    ("index", fig_index.catch_up, True),
    ("resources", fig_resources.after_load, True),
    ("append", fig_append.sequential, True),
    ("mailbox", fig_mailbox.run, True),
    ("store", fig_store.run, True),
    ("read", fig_read.run, True),
    ("resources-end", fig_resources.at_end, True),
    # Last: 20,000 sessions leave the allocator's memory behind them.
    ("idle", fig_idle.run, True),
]

MODES = {
    #                  full      quick
    "messages":      (100_000, 10_000),
    "load_chunks":   (10, 5),
    "seq_reps":      (5, 3),
    "seq_count":     (1000, 300),
    "multi_reps":    (3, 2),
    "multi_count":   (1000, 500),
    "open_reps":     (3, 3),
    "noop_reps":     (101, 51),
    "select_reps":   (7, 5),
    "status_reps":   (21, 11),
    "store_reps":    (5, 3),
    "store_count":   (10_000, 1_000),
    "read_reps":     (5, 3),
    "search_reps":   (11, 7),
    "big_reps":      (7, 5),
    "idle_sessions": (10_000, 1_000),
    "idle_users":    (100, 10),
}


class HardLimit(BaseException):
    """Raised by SIGALRM; not an Exception, so no step handler swallows it."""


class Context:
    """What the steps share: the target, the sizes of this mode, the
    message corpus and what earlier steps left (loaded, load_stats)."""

    def __init__(self, target, quick, seed, verbose, synthetic=False):
        self.target = target
        self.quick = quick
        for key, (full, small) in MODES.items():
            setattr(self, key, small if quick else full)
        self.window = 128
        self.batch = 32
        self.seed = seed
        self.corpus = corpus.load(REPO, seed, synthetic)
        self.loaded = 0
        self.load_end = None
        self.load_stats = {}
        self.verbose = verbose

    def log(self, text):
        if self.verbose:
            print(text, file=sys.stderr, flush=True)


def host_info():
    info = {"nproc": os.cpu_count(), "kernel": platform.release(),
            "python": platform.python_version()}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        info["commit"] = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"],
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                        timeout=10).stdout.decode().strip()
        dirty = subprocess.run(["git", "-C", REPO, "status", "--porcelain", "--untracked-files=no"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=10)
        if dirty.stdout.strip():
            info["commit"] += "+dirty"
    except OSError:
        pass
    return info


def run_target(target, args):
    """Start target, run every step, stop it. Returns a result dict."""
    ctx = Context(target, args.quick, args.seed, not args.quiet, args.synthetic)
    result = {"server": target.name, "corpus": ctx.corpus.name, "figures": [], "errors": [],
              "loadavg_start": os.getloadavg()}
    started = time.perf_counter()
    try:
        try:
            target.start()
        except Exception as e:
            result["errors"].append("start: %s" % e)
            return result
        result["version"] = target.version()
        ctx.log("[%s] pid %d, port %d, data %s" % (target.name, target.pid, target.port,
                                                   target.data_dir))
        for name, step, needs_load in STEPS:
            if args.only and name not in args.only and name not in ("fsync", "load", "index"):
                continue
            if needs_load and not ctx.loaded:
                result["errors"].append("%s: skipped (no loaded mailbox)" % name)
                continue
            ctx.log("[%s] %s ..." % (target.name, name))
            t0 = time.perf_counter()
            try:
                result["figures"].extend(f.to_json() for f in step(ctx))
            except Exception as e:   # report and go on with the next step
                if not target.alive():
                    e = "%s (server died: %s)" % (e, target.stderr_tail())
                result["errors"].append("%s: %s" % (name, e))
                ctx.log(traceback.format_exc())
            ctx.log("[%s] %s: %.1f s" % (target.name, name, time.perf_counter() - t0))
    finally:
        problems = target.stop()
        result["wall_s"] = round(time.perf_counter() - started, 1)
        result["loadavg_end"] = os.getloadavg()
    result["errors"].extend("stop: " + p for p in problems)
    return result


GROUP_ORDER = ("append", "rtt", "mailbox", "store", "read", "resources")


def _group(figure):
    prefix = figure["id"].split(".")[0]
    return GROUP_ORDER.index(prefix) if prefix in GROUP_ORDER else len(GROUP_ORDER)


def print_table(results, mode, sizes):
    rows = []
    for r in results:
        for f in sorted(r["figures"], key=_group):
            rows.append((r["server"], f["label"], fmt(f["value"], f["unit"]) + " " + f["unit"],
                         target_text(f["target"], f["unit"]), f["verdict"]))
    head = ("server", "figure", "value", "target", "")
    widths = [max(len(x[i]) for x in rows + [head]) for i in range(5)]
    line = lambda cols: "  ".join(c.ljust(w) if i in (0, 1, 3) else c.rjust(w) if i == 2 else c
                                  for i, (c, w) in enumerate(zip(cols, widths))).rstrip()
    print("petrel bench (%s mode: %s messages in INBOX, STORE on %s UIDs)"
          % (mode, "{:,}".format(sizes["messages"]), "{:,}".format(sizes["store_count"])))
    print("corpus: %s" % ", ".join(sorted(set(r.get("corpus", "?") for r in results))))
    if mode == "quick":
        print("quick mode: the targets are for 100,000 messages and 10,000 UIDs")
    print(line(head))
    print(line(tuple("-" * w for w in widths)))
    for row in rows:
        print(line(row))
    for r in results:
        for e in r["errors"]:
            print("ERROR %s: %s" % (r["server"], e))
    counts = {}
    for row in rows:
        counts[row[4]] = counts.get(row[4], 0) + 1
    print("%d PASS, %d MISS, %d reported only" % (counts.get("PASS", 0), counts.get("MISS", 0),
                                                   counts.get("INFO", 0)))
    ncpu = os.cpu_count() or 1
    for r in results:
        busy = max(r["loadavg_start"][0], r["loadavg_end"][0])
        if busy > ncpu / 2:
            print("note: load average %.1f on %d CPUs during the %s run: other work was"
                  " running, figures are noisy" % (busy, ncpu, r["server"]))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="10,000 messages, fewer repetitions")
    p.add_argument("--petrel", default=os.path.join(REPO, "build", "petrel"))
    p.add_argument("--out", default=os.path.join(REPO, "build", "bench", "results.json"))
    p.add_argument("--messages", type=int, help="override the mailbox size")
    p.add_argument("--only", action="append", choices=[s[0] for s in STEPS],
                   help="run only these steps (fsync, the load and the index wait always run)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    p.add_argument("--synthetic", action="store_true",
                   help="the generated corpus (bench/corpus.py) instead of jwz's real messages")
    args = p.parse_args()
    if args.messages:
        MODES["messages"] = (args.messages, args.messages)
        MODES["store_count"] = tuple(min(v, args.messages // 2) for v in MODES["store_count"])

    def alarm(*_):
        raise HardLimit("bench exceeded %d s" % HARD_LIMIT_S)
    signal.signal(signal.SIGALRM, alarm)
    signal.alarm(HARD_LIMIT_S)
    # SIGTERM/SIGINT: unwind through the finally blocks so the server stops
    # and its temporary directory is removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    mode = "quick" if args.quick else "full"
    doc = {"schema": 1, "mode": mode,
           "started": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
           "host": host_info(), "sizes": {k: (v[1] if args.quick else v[0]) for k, v in MODES.items()},
           "results": []}
    t0 = time.perf_counter()
    for target in (targets.PetrelTarget(args.petrel),):
        doc["results"].append(run_target(target, args))
    signal.alarm(0)
    doc["wall_s"] = round(time.perf_counter() - t0, 1)

    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    tmp = args.out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f, indent=1, ensure_ascii=False)
        f.write("\n")
    os.replace(tmp, args.out)
    print_table(doc["results"], mode, doc["sizes"])
    out = os.path.relpath(args.out)
    print("%.0f s; results in %s" % (doc["wall_s"], args.out if out.startswith("..") else out))
    return 1 if any(r["errors"] for r in doc["results"]) else 0


if __name__ == "__main__":
    sys.exit(main())
