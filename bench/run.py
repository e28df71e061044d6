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
import resource
import signal
import subprocess
import sys
import time
import traceback

import corpus
import fig_append
import fig_disk
import fig_idle
import fig_imaptest
import fig_index
import fig_mailbox
import fig_mix
import fig_read
import fig_resources
import fig_shared
import fig_store
import fig_users
import targets
from figures import fmt, target_text

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
HARD_LIMIT_S = 3600      # SIGALRM: the run can never hang; the servers are stopped
# Descriptors for this process and the servers it starts (they inherit the
# limit): the users step holds 2,000 sessions, and petrel a socket and a
# store's files per user; Dovecot's processes each have their own table.
FD_WANT = 65536

# name, function(ctx) -> [Figure], needs the load to have succeeded
STEPS = [
    ("fsync", fig_resources.fsync_latency, False),
    ("load", fig_append.load, False),
    ("index", fig_index.catch_up, True),
    ("resources", fig_resources.after_load, True),
    # A clean stop and a start again (after the RSS of the server that
    # loaded): the data dir of the loaded mailbox alone.
    ("disk", fig_disk.clean_stop, True),
    ("append", fig_append.sequential, True),
    ("append-sessions", fig_append.sessions, True),
    ("mailbox", fig_mailbox.run, True),
    ("store", fig_store.run, True),
    ("read", fig_read.run, True),
    ("resources-end", fig_resources.at_end, True),
    # After the others: 20,000 sessions leave the allocator's memory behind
    # them (and before the mix, whose sessions would leave memory the idle
    # step's sessions reuse, hiding their cost).
    ("idle", fig_idle.run, True),
    # Restarts the server after filling its users' mail, so neither its
    # own seeding nor the steps before leave memory its sessions reuse.
    ("users", fig_users.run, True),
    ("mix", fig_mix.run, True),
    # Dovecot's own load tester, on users of its own (no loaded mailbox).
    ("imaptest", fig_imaptest.run, False),
    # Last: Dovecot is restarted with its acl plugin for it, which no
    # figure before should pay. Users and a big mailbox of its own.
    ("shared", fig_shared.run, False),
]
# Steps run with --only whenever a chosen step needs the loaded mailbox.
LOAD_STEPS = ("fsync", "load", "index")

# Sizes per mode. QUICK (`make bench QUICK=1`) must stay under 2 minutes for
# both servers on the project's 2-core VM (issue 13): its sizes are cut to
# what shows each figure's order of magnitude, never the full mode's.
MODES = {
    #                  full      quick
    "messages":      (100_000, 3_000),
    "load_chunks":   (10, 5),
    # A server that caps its pipelined load (targets.DovecotTarget) APPENDs
    # at most this many one by one, the rest by MULTIAPPEND.
    "pipelined_load_max": (20_000, 400),
    "seq_reps":      (5, 3),
    "seq_count":     (1000, 50),
    "multi_reps":    (3, 2),
    "multi_count":   (1000, 100),
    "open_reps":     (3, 3),
    "noop_reps":     (101, 51),
    "select_reps":   (7, 5),
    "status_reps":   (21, 11),
    "store_reps":    (5, 3),
    "store_count":   (10_000, 500),
    "read_reps":     (5, 3),
    "search_reps":   (11, 3),
    "big_reps":      (7, 3),
    "sess_count":    (500, 15),      # APPENDs per session, 4 sessions at once
    "sess_reps":     (3, 3),
    "idle_sessions": (10_000, 300),
    "idle_users":    (100, 3),
    # A server with a process per session (Dovecot) opens at most this many
    # idle sessions: its cost per session is linear (bench/README.md).
    "idle_process_cap": (1000, 30),
    "user_count":    (2000, 50),     # distinct users, one TLS session each
    "user_messages": (100, 100),     # each one's INBOX
    "mix_users":     (10, 2),
    "mix_mailbox":   (2000, 200),
    "mix_levels":    ((1, 10, 100), (1, 10)),
    "mix_seconds":   (15, 2),
    "mix_reps":      (3, 1),
    "imaptest_users":   (100, 20),
    "imaptest_clients": (50, 50),
    "imaptest_seconds": (30, 6),
    "imaptest_reps":    (3, 1),      # the figures are medians over the runs
    # issue 14: another user's big mailbox, and 100 users x 10 mailboxes
    # shared with one reader (--messages, --shared-owners, --shared-per-owner)
    "shared_messages":  (100_000, 1_000),  # QUICK: its fixed costs are most of its time
    "shared_owners":    (100, 10),
    "shared_per_owner": (10, 10),
    "shared_reps":      (7, 3),
}


class HardLimit(BaseException):
    """Raised by SIGALRM; not an Exception, so no step handler swallows it."""


class Context:
    """What the steps share: the target, the sizes of this mode, the
    message corpus and what earlier steps left (loaded, load_stats)."""

    def __init__(self, target, quick, seed, verbose, synthetic=False, loadgen=None):
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
        self.loadgen = loadgen

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
    ctx = Context(target, args.quick, args.seed, not args.quiet, args.synthetic, args.loadgen)
    result = {"server": target.name, "corpus": ctx.corpus.name, "figures": [], "errors": [],
              "loadavg_start": os.getloadavg()}
    started = time.perf_counter()
    try:
        t0 = time.perf_counter()
        try:
            target.start()
        except Exception as e:
            result["errors"].append("start: %s" % e)
            return result
        result["version"] = target.version()
        ctx.log("[%s] pid %d, port %d, data %s, started in %.1f s"
                % (target.name, target.pid, target.port, target.data_dir,
                   time.perf_counter() - t0))
        load_needed = not args.only or any(needs for name, _, needs in STEPS
                                           if name in args.only)
        for name, step, needs_load in STEPS:
            if args.only and name not in args.only \
                    and not (load_needed and name in LOAD_STEPS):
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
        t0 = time.perf_counter()
        problems = target.stop()
        ctx.log("[%s] stopped in %.1f s (%s)"
                % (target.name, time.perf_counter() - t0,
                   ", ".join("%s %.1f s" % kv for kv in getattr(target, "stop_times", {}).items())))
        result["wall_s"] = round(time.perf_counter() - started, 1)
        result["loadavg_end"] = os.getloadavg()
    result["errors"].extend("stop: " + p for p in problems)
    return result


GROUP_ORDER = ("append", "rtt", "mailbox", "store", "read", "resources", "disk", "idle",
               "users", "mix", "imaptest", "shared")
HIGHER_IS_BETTER = ("msg/s", "ops/s", "MB/s", "sess/s")


def _group(figure):
    prefix = figure["id"].split(".")[0]
    return GROUP_ORDER.index(prefix) if prefix in GROUP_ORDER else len(GROUP_ORDER)


def _is_mix_family(fid):
    parts = fid.split(".")
    return parts[0] == "mix" and len(parts) == 3 and parts[2] in fig_mix.FAMILIES


def _ratio(a, b):
    if a is None or b is None or not b:
        return "-"
    r = a / b
    return "%.2f" % r if r < 10 else "%.1f" % r


def _table(head, rows, right):
    widths = [max(len(x[i]) for x in rows + [head]) for i in range(len(head))]
    out = []
    for cols in [head, tuple("-" * w for w in widths)] + rows:
        out.append("  ".join(c.rjust(w) if i in right else c.ljust(w)
                             for i, (c, w) in enumerate(zip(cols, widths))).rstrip())
    return "\n".join(out)


def print_table(results, mode, sizes):
    """One row per figure, a column per server, the petrel/Dovecot ratio;
    then the mix per family (ops/s, p50, p99 for each server)."""
    servers = [r["server"] for r in results]
    by_server = dict((r["server"], dict((f["id"], f) for f in r["figures"])) for r in results)
    order = []
    for r in results:
        for f in sorted(r["figures"], key=_group):
            if f["id"] not in order and not _is_mix_family(f["id"]):
                order.append(f["id"])
    order.sort(key=lambda fid: GROUP_ORDER.index(fid.split(".")[0])
               if fid.split(".")[0] in GROUP_ORDER else len(GROUP_ORDER))
    both = "petrel" in by_server and "dovecot" in by_server
    head = ("figure",) + tuple(servers) + (("petrel/dovecot",) if both else ()) + ("target", "")
    rows = []
    verdicts = {}
    for fid in order:
        figs = [by_server[s].get(fid) for s in servers]
        first = next(f for f in figs if f is not None)
        unit = first["unit"]
        cells = [fmt(f["value"], unit) + " " + unit if f else "-" for f in figs]
        row = [first["label"]] + cells
        if both:
            p, d = by_server["petrel"].get(fid), by_server["dovecot"].get(fid)
            row.append(_ratio(p and p["value"], d and d["value"]))
        pf = by_server.get("petrel", {}).get(fid) or first
        row += [target_text(pf["target"], unit, pf.get("aim")),
                pf["verdict"] if pf["target"] else ""]
        verdicts[pf["verdict"]] = verdicts.get(pf["verdict"], 0) + 1
        rows.append(tuple(row))
    print("petrel bench (%s mode: %s messages in INBOX, STORE on %s UIDs)"
          % (mode, "{:,}".format(sizes["messages"]), "{:,}".format(sizes["store_count"])))
    print("corpus: %s" % ", ".join(sorted(set(r.get("corpus", "?") for r in results))))
    for r in results:
        print("%s: %s" % (r["server"], r.get("version", "?")))
    if mode == "quick":
        print("quick mode: the targets are for 100,000 messages and 10,000 UIDs")
    ncols = len(head)
    print(_table(head, rows, right=set(range(1, ncols - 2))))
    if both:
        print("petrel/dovecot: petrel's figure over Dovecot's; for rates (msg/s, ops/s,"
              " MB/s, sess/s) above 1 favours petrel, for times, memory and CPU below 1 does")
    mix_rows = []
    levels = sorted(set(int(fid.split(".")[1][1:]) for s in servers for fid in by_server[s]
                        if _is_mix_family(fid)))
    for n in levels:
        for fam in fig_mix.FAMILIES:
            fid = "mix.c%d.%s" % (n, fam)
            row = [str(n), fam]
            vals = {}
            for s in servers:
                f = by_server[s].get(fid)
                d = f["detail"] if f else {}
                vals[s] = (d.get("ops_per_s"), f["value"] if f else None, d.get("p99_ms"))
                row += [fmt(vals[s][0], "ops/s"), fmt(vals[s][1], "ms"), fmt(vals[s][2], "ms")]
            if both:
                row += [_ratio(vals["petrel"][0], vals["dovecot"][0]),
                        _ratio(vals["petrel"][2], vals["dovecot"][2])]
            mix_rows.append(tuple(row))
    if mix_rows:
        mhead = ["clients", "family"]
        for s in servers:
            mhead += ["%s ops/s" % s, "p50 ms", "p99 ms"]
        if both:
            mhead += ["ops/s ratio", "p99 ratio"]
        print()
        print("mix: each client repeats whole sessions (bench/fig_mix.py); ops/s per family,"
              " p50/p99 latency")
        print(_table(tuple(mhead), mix_rows, right=set(range(2, len(mhead)))))
    for r in results:
        for e in r["errors"]:
            print("ERROR %s: %s" % (r["server"], e))
    print("petrel: %d PASS, %d MISS (targets are petrel's; Dovecot's figures are for comparison)"
          % (verdicts.get("PASS", 0), verdicts.get("MISS", 0)))
    ncpu = os.cpu_count() or 1
    for r in results:
        busy = max(r["loadavg_start"][0], r["loadavg_end"][0])
        if busy > ncpu / 2:
            print("note: load average %.1f on %d CPUs during the %s run: other work was"
                  " running, figures are noisy" % (busy, ncpu, r["server"]))


def raise_fd_limit():
    """RLIMIT_NOFILE up to FD_WANT (the hard limit too, where we may: as
    root), before any server starts."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < FD_WANT:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (FD_WANT, FD_WANT))
            return
        except (ValueError, OSError):
            pass
    if soft != resource.RLIM_INFINITY and soft < FD_WANT:
        resource.setrlimit(resource.RLIMIT_NOFILE,
                           (FD_WANT if hard == resource.RLIM_INFINITY else min(hard, FD_WANT),
                            hard))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="3,000 messages, fewer and shorter repetitions (under 2 minutes)")
    p.add_argument("--smoke", action="store_true",
                   help="tiny sizes, to check that every step runs (tests/bench): no figure"
                        " of a smoke run means anything")
    p.add_argument("--petrel", default=os.path.join(REPO, "build", "petrel"))
    p.add_argument("--loadgen", default=os.path.join(REPO, "build", "loadgen"),
                   help="the mixed-session load generator (make build/loadgen)")
    p.add_argument("--out", default=os.path.join(REPO, "build", "bench", "results.json"))
    p.add_argument("--messages", type=int,
                   help="override the mailbox size (the load's and the shared step's)")
    p.add_argument("--only", action="append", choices=[s[0] for s in STEPS],
                   help="run only these steps (fsync, the load and the index wait too when"
                        " one of them needs the loaded mailbox)")
    p.add_argument("--shared-owners", type=int,
                   help="the shared step's users sharing mailboxes with one reader (100)")
    p.add_argument("--shared-per-owner", type=int,
                   help="the shared step's mailboxes per such user (10)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    p.add_argument("--server", action="append", choices=["petrel", "dovecot"],
                   help="measure only this server (default: both, side by side)")
    p.add_argument("--synthetic", action="store_true",
                   help="the generated corpus (bench/corpus.py) instead of jwz's real messages")
    args = p.parse_args()
    if args.smoke:
        args.quick = True
        for key, small in (("messages", 300), ("load_chunks", 2), ("seq_reps", 1),
                           ("seq_count", 20), ("multi_reps", 1), ("multi_count", 20),
                           ("store_count", 100), ("select_reps", 1), ("status_reps", 1),
                           ("store_reps", 1), ("read_reps", 1), ("search_reps", 1),
                           ("big_reps", 1), ("noop_reps", 3), ("open_reps", 1),
                           ("idle_sessions", 40), ("idle_users", 2), ("idle_process_cap", 40),
                           ("sess_count", 10), ("sess_reps", 1),
                           ("user_count", 6), ("user_messages", 5), ("mix_users", 2),
                           ("mix_mailbox", 60), ("mix_levels", (1, 10)), ("mix_seconds", 1),
                           ("mix_reps", 1), ("imaptest_users", 4), ("imaptest_clients", 4),
                           ("imaptest_seconds", 2), ("imaptest_reps", 1),
                           ("shared_messages", 120), ("shared_owners", 3),
                           ("shared_per_owner", 2), ("shared_reps", 1)):
            MODES[key] = (MODES[key][0], small)
    if args.messages:
        MODES["messages"] = (args.messages, args.messages)
        MODES["store_count"] = tuple(min(v, args.messages // 2) for v in MODES["store_count"])
        MODES["shared_messages"] = (args.messages, args.messages)
    for key in ("shared_owners", "shared_per_owner"):
        if getattr(args, key):
            MODES[key] = (getattr(args, key), getattr(args, key))

    raise_fd_limit()

    def alarm(*_):
        raise HardLimit("bench exceeded %d s" % HARD_LIMIT_S)
    signal.signal(signal.SIGALRM, alarm)
    signal.alarm(HARD_LIMIT_S)
    # SIGTERM/SIGINT: unwind through the finally blocks so the server stops
    # and its temporary directory is removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    mode = "smoke" if args.smoke else "quick" if args.quick else "full"
    doc = {"schema": 1, "mode": mode,
           "started": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
           "host": host_info(), "sizes": {k: (v[1] if args.quick else v[0]) for k, v in MODES.items()},
           "results": []}
    t0 = time.perf_counter()
    servers = args.server or ["petrel", "dovecot"]
    chosen = []
    if "petrel" in servers:
        chosen.append(targets.PetrelTarget(args.petrel))
    if "dovecot" in servers:
        chosen.append(targets.DovecotTarget(args.petrel))
    for target in chosen:
        if isinstance(target, targets.DovecotTarget):
            ok, why = targets.dovecot_server.available()
            if not ok:
                print("SKIP dovecot: %s (scripts/install-deps --bench installs it)" % why)
                doc["skipped"] = {"dovecot": why}
                continue
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
