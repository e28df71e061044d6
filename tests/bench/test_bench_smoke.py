#!/usr/bin/env python3
"""`make bench` must not rot: every step of bench/run.py runs, at tiny
sizes (--smoke), against petrel and Dovecot, and every figure the table
prints exists for both servers, with no step failing and the mixed
clients seeing no error. Nothing here looks at how fast anything was:
benchmarks report, tests assert.

Without Dovecot (scripts/install-deps --test installs it) the Dovecot half
is skipped visibly by the benchmark itself and checked as such.
"""

import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "lib"))
sys.path.insert(0, os.path.join(REPO, "tests", "imaptest"))

import dovecot_server  # noqa: E402
import imaptest_tool  # noqa: E402
import petrel_server  # noqa: E402
from suite import Suite  # noqa: E402

SUITE = Suite("bench-smoke")
check = SUITE.check
RUN_TIMEOUT = 600
# Figures every server must report (ids; "mix.c1.ops" etc. come per level).
EXPECTED = ["append.pipelined", "append.sequential_sync", "append.multiappend",
            "append.sessions", "mailbox.select", "mailbox.status", "read.fetch_envelope",
            "read.body_20mb", "disk.ratio", "idle.plain_memory", "idle.tls_memory",
            "idle.plain_push_p99", "users.tls_memory",
            "mix.c1.ops", "mix.c10.ops", "mix.c10.login", "mix.c10.idle", "mix.c10.cpu",
            "shared.list_all", "shared.list_other", "shared.select", "shared.select_owner",
            "shared.fetch_flags", "shared.fetch_flags_owner", "shared.fetch_last",
            "shared.fetch_last_owner"]
# The data directory's parts, per server (bench/fig_disk.py).
EXPECTED_DISK = {"petrel": ["disk.store_db", "disk.search_db", "disk.blobs"],
                 "dovecot": ["disk.maildir_messages", "disk.maildir_index"]}
# Figures that are a measured number on every run (None would mean the
# step ran but measured nothing); memory per user is not asserted positive:
# at the smoke run's 6 users a lean server's growth is near PSS's noise.
MEASURED = {"append.sessions": True, "disk.ratio": True, "users.tls_memory": False}
# imaptest's stress step, where imaptest can be built (else it prints SKIP).
EXPECTED_IMAPTEST = ["imaptest.sessions", "imaptest.ops", "imaptest.cpu"]


def main():
    build = os.environ.get("PETREL_BUILD", "build")
    loadgen = os.path.join(REPO, build, "loadgen")
    # make's target is the path relative to the repository, as the rule has it
    p = subprocess.run(["make", "-s", "BUILD=%s" % build, "%s/loadgen" % build], cwd=REPO,
                       capture_output=True, text=True, timeout=300)
    if not check("make %s/loadgen" % build, p.returncode == 0, p.stderr[-500:]):
        return SUITE.finish()
    try:
        imaptest_tool.build()
        expected = EXPECTED + EXPECTED_IMAPTEST
    except imaptest_tool.Unavailable as e:
        print("SKIP imaptest figures: %s" % e)
        expected = EXPECTED
    except (RuntimeError, OSError) as e:
        check("imaptest builds", False, e)
        expected = EXPECTED
    out = tempfile.mktemp(prefix="petrel-bench-smoke-", suffix=".json")
    try:
        p = subprocess.run([sys.executable, "bench/run.py", "--smoke", "--quiet",
                            "--petrel", petrel_server.petrel_binary(), "--loadgen", loadgen,
                            "--out", out], cwd=REPO, capture_output=True, text=True,
                           timeout=RUN_TIMEOUT)
        check("bench/run.py --smoke exits 0", p.returncode == 0,
              (p.stdout[-1500:] + p.stderr[-500:]))
        with open(out) as f:
            doc = json.load(f)
    except (OSError, ValueError, subprocess.TimeoutExpired) as e:
        check("bench/run.py --smoke ran", False, e)
        return SUITE.finish()
    finally:
        if os.path.exists(out):
            os.unlink(out)
    results = dict((r["server"], r) for r in doc["results"])
    servers = ["petrel"]
    ok, why = dovecot_server.available()
    if ok:
        servers.append("dovecot")
    else:
        check("without Dovecot the run says it skipped it",
              "SKIP dovecot" in p.stdout and "dovecot" in doc.get("skipped", {}), p.stdout[-300:])
    for server in servers:
        r = results.get(server)
        if not check("%s measured" % server, r is not None, list(results)):
            continue
        check("%s: no step failed" % server, not r["errors"], r["errors"])
        ids = dict((f["id"], f) for f in r["figures"])
        missing = [i for i in expected + EXPECTED_DISK[server] if i not in ids]
        check("%s: every expected figure is there" % server, not missing, missing)
        for fid, positive in MEASURED.items():
            f = ids.get(fid)
            check("%s: %s is a %snumber" % (server, fid, "positive " if positive else ""),
                  f is not None and isinstance(f["value"], (int, float))
                  and (f["value"] > 0 or not positive), f and (f["value"], f["detail"]))
        f = ids.get("users.tls_memory")
        check("%s: the users step held one session for each of its users" % server,
              f is not None and f["detail"]["users"] == doc["sizes"]["user_count"]
              and f["detail"]["messages_per_user"] == doc["sizes"]["user_messages"],
              f and f["detail"])
        for lvl in ("mix.c1.ops", "mix.c10.ops"):
            f = ids.get(lvl)
            check("%s: %s has a rate and no client error" % (server, lvl),
                  f is not None and f["value"] and f["detail"]["error_count"] == 0,
                  f and f["detail"])
        want = doc["sizes"]["shared_owners"] * doc["sizes"]["shared_per_owner"]
        for fid in ("shared.list_all_count", "shared.list_other_count"):
            f = ids.get(fid)
            check("%s: %s is every mailbox shared with the reader (%d)" % (server, fid, want),
                  f is not None and f["value"] == want, f and (f["value"], f["detail"]))
        f = ids.get("imaptest.sessions")
        if "imaptest.sessions" in expected:
            check("%s: imaptest's stress ran sessions and its state checker found no error"
                  % server, f is not None and f["value"] and f["detail"]["error_count"] == 0,
                  f and f["detail"])
    check("the table has the petrel/dovecot column when both ran",
          ("petrel/dovecot" in p.stdout) == (len(servers) == 2), p.stdout[:400])
    return SUITE.finish()


if __name__ == "__main__":
    sys.exit(main())
