#!/usr/bin/env python3
"""The store contract suite (tests/store-contract/) against the PostgreSQL
backend (issue 15), on a private server (tests/lib/pgserver.py) and a
database made fresh for the run: `store-contract --backend postgres --only
G` for each group the backend passes fully (PASSING_GROUPS; a group joins
the list once it does). Also the PostgreSQL-only checks of a user's store
(pg-base-test store*). Runs the binaries of $PETREL_BUILD (make
test-asan): the race of two processes creating one user's store, and
the per-user lock of writing transactions. Last line: `pg-contract: N passed, N failed`.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "lib"))
import pgserver  # noqa: E402
from suite import Suite  # noqa: E402

BUILD = os.environ.get("PETREL_BUILD") or os.environ.get("BUILD", "build")
CONTRACT = os.path.join(REPO, BUILD, "store-contract")
BASE = os.path.join(REPO, BUILD, "pg-base-test")
RUN_TIMEOUT = 300       # seconds for one group (ASan is slow)
LOCK_WAIT = 15          # seconds for the processes to be waiting on a lock
DEFAULT_LIST = "Archive:2s Drafts:4s INBOX:0s Junk:16s Sent:32s Trash:64s"
DATABASE = "petrel_contract"
# The contract groups the PostgreSQL backend passes fully, in the suite's
# order: every group now (a new group joins once the backend passes it).
PASSING_GROUPS = ["durability", "modseq", "uids", "mailboxes", "messages", "concurrency",
                  "search", "quota", "metadata", "acl", "users"]
SUMMARY_RE = re.compile(r"^store-contract postgres: (\d+) passed, (\d+) failed$")
SANITIZER_RE = re.compile(r"AddressSanitizer|LeakSanitizer|runtime error:")


def run_group(s, conninfo, group):
    env = dict(os.environ, PETREL_PG_CONNINFO=conninfo)
    r = subprocess.run([CONTRACT, "--backend", "postgres", "--only", group],
                       capture_output=True, text=True, timeout=RUN_TIMEOUT, env=env,
                       stdin=subprocess.DEVNULL)
    lines = r.stdout.strip().splitlines()
    m = SUMMARY_RE.match(lines[-1]) if lines else None
    fails = [l for l in lines if l.startswith("FAIL")]
    s.check("contract %s: every check passes (%s)" % (group, m.group(1) if m else "?"),
            m is not None and int(m.group(1)) > 0 and m.group(2) == "0" and
            r.returncode == 0 and not SANITIZER_RE.search(r.stderr),
            "exit %d: %s %s" % (r.returncode, " | ".join(fails[:10]) or r.stdout[-800:],
                                r.stderr[-800:]))


def relay(s, what, r, prefix=""):
    """pg-base-test's own ok/FAIL lines as checks of this suite."""
    lines = 0
    for line in r.stdout.splitlines():
        if line.startswith("ok "):
            s.check(prefix + line[3:], True)
            lines += 1
        elif line.startswith("FAIL "):
            s.check(prefix + line[5:].partition(": ")[0], False, line)
            lines += 1
    s.check("%s: ran its checks, exit 0, no sanitizer report" % what,
            lines > 0 and r.returncode == 0 and not SANITIZER_RE.search(r.stderr),
            "exit %d: %s" % (r.returncode, r.stderr[-1500:]))


def test_no_conninfo(s):
    env = dict(os.environ)
    env.pop("PETREL_PG_CONNINFO", None)
    r = subprocess.run([CONTRACT, "--backend", "postgres", "--only", "users"],
                       capture_output=True, text=True, timeout=RUN_TIMEOUT, env=env,
                       stdin=subprocess.DEVNULL)
    s.check("without PETREL_PG_CONNINFO setup says so and fails",
            r.stdout == "postgres: PETREL_PG_CONNINFO is not set (the database to run"
            " against)\nstore-contract postgres: 0 passed, 1 failed\n" and r.returncode == 1,
            (r.returncode, r.stdout, r.stderr[-500:]))


def wait_for(pg, db, sql, want, timeout):
    deadline = time.monotonic() + timeout
    got = None
    while time.monotonic() < deadline:
        got = pg.psql(sql, db=db)
        if got == want:
            return got
        time.sleep(0.05)
    return got


def finish(s, what, procs):
    outs = []
    for p in procs:
        out, err = p.communicate(timeout=RUN_TIMEOUT)
        outs.append(out)
        s.check("%s: exit 0, no sanitizer report" % what,
                p.returncode == 0 and not SANITIZER_RE.search(err),
                "exit %d: %s %s" % (p.returncode, out, err[-1500:]))
    return outs


def spawn(conninfo, *args):
    return subprocess.Popen([BASE, conninfo] + list(args), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)


def waiting_sql(what):
    return ("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
            " AND query LIKE '%s%%'" % what)


def test_store_race(s, pg, conninfo):
    """Two processes create one user's store at once: one stores row, one
    set of default mailboxes, and both open it."""
    holder = subprocess.Popen(pg.psql_cmd(DATABASE), stdin=subprocess.PIPE,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)
    procs = []
    try:
        # A row for the same owner, not committed: both INSERTs queue on it.
        holder.stdin.write("BEGIN; INSERT INTO stores (owner, created) VALUES ('racer', 0);\n")
        holder.stdin.flush()
        held = wait_for(pg, DATABASE, "SELECT count(*) FROM pg_stat_activity WHERE"
                        " state = 'idle in transaction'", "1", LOCK_WAIT)
        s.check("race: the test holds the owner's row", held == "1", held)
        procs = [spawn(conninfo, "store-open", "racer") for _ in range(2)]
        waiting = wait_for(pg, DATABASE, waiting_sql("INSERT INTO stores"), "2", LOCK_WAIT)
        s.check("race: both creators wait on it", waiting == "2", waiting)
        holder.stdin.write("ROLLBACK;\n\\q\n")
        holder.stdin.close()
        outs = finish(s, "race: creator", procs)
        s.check("race: both open the store with the default mailboxes",
                outs == ["open: ok %s\n" % DEFAULT_LIST] * 2, outs)
    finally:
        for p in procs + [holder]:
            if p.poll() is None:
                p.kill()
                p.wait()
    s.check("race: one stores row", pg.psql("SELECT count(*) FROM stores WHERE"
                                            " owner = 'racer'", db=DATABASE) == "1")
    s.check("race: one set of mailboxes", pg.psql(
        "SELECT count(*) FROM mailboxes m JOIN stores s ON s.id = m.store_id"
        " WHERE s.owner = 'racer'", db=DATABASE) == "6")


def test_user_lock(s, pg, conninfo):
    """A writing transaction waits for the user's stores row; another
    user's does not."""
    for user in ("locked", "free"):
        r = subprocess.run([BASE, conninfo, "store-open", user], capture_output=True,
                           text=True, timeout=RUN_TIMEOUT, stdin=subprocess.DEVNULL)
        s.check("lock: %s's store made" % user, r.returncode == 0, r.stdout + r.stderr)
    holder = subprocess.Popen(pg.psql_cmd(DATABASE), stdin=subprocess.PIPE,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)
    procs = []
    try:
        holder.stdin.write("BEGIN; SELECT 1 FROM stores WHERE owner = 'locked' FOR UPDATE;\n")
        holder.stdin.flush()
        held = wait_for(pg, DATABASE, "SELECT count(*) FROM pg_stat_activity WHERE"
                        " state = 'idle in transaction'", "1", LOCK_WAIT)
        s.check("lock: the test holds locked's stores row", held == "1", held)
        locked = spawn(conninfo, "store-mkbox", "locked")
        procs.append(locked)
        waiting = wait_for(pg, DATABASE, waiting_sql("SELECT 1 FROM stores"), "1", LOCK_WAIT)
        s.check("lock: locked's CREATE waits for the row", waiting == "1", waiting)
        free = spawn(conninfo, "store-mkbox", "free")
        procs.append(free)
        out = finish(s, "lock: free's CREATE", [free])
        s.check("lock: free's CREATE does not wait", out == ["mkbox: ok\n"], out)
        s.check("lock: locked's still waits", locked.poll() is None and
                pg.psql("SELECT count(*) FROM mailboxes WHERE name = 'Made'",
                        db=DATABASE) == "1")
        holder.stdin.write("COMMIT;\n\\q\n")
        holder.stdin.close()
        out = finish(s, "lock: locked's CREATE", [locked])
        s.check("lock: it completes once the row is free", out == ["mkbox: ok\n"], out)
    finally:
        for p in procs + [holder]:
            if p.poll() is None:
                p.kill()
                p.wait()


def main():
    s = Suite("pg-contract")
    if not os.path.exists(CONTRACT):
        s.check("the contract binary is built", False, CONTRACT + " missing (make all)")
        return s.finish()
    test_no_conninfo(s)
    ref = tempfile.mkdtemp(prefix="petrel-pg-quota-")
    try:
        # The quota checks' values are SQLite's: both backends give them.
        relay(s, "quota on sqlite", subprocess.run(
            [BASE, ref, "quota-sqlite"], capture_output=True, text=True, timeout=RUN_TIMEOUT,
            stdin=subprocess.DEVNULL), prefix="sqlite: ")
    finally:
        shutil.rmtree(ref, ignore_errors=True)
    try:
        with pgserver.PgServer() as pg:
            pg.psql("CREATE DATABASE %s" % DATABASE, db="postgres")
            conninfo = "host=%s dbname=%s user=%s" % (pg.dir, DATABASE, pgserver.PG_USER)
            for group in PASSING_GROUPS:
                run_group(s, conninfo, group)
            # A database of their own: the contract's users (e.g. "quota")
            # would otherwise meet theirs.
            pg.psql("CREATE DATABASE %s_base" % DATABASE, db="postgres")
            base = "host=%s dbname=%s_base user=%s" % (pg.dir, DATABASE, pgserver.PG_USER)
            for command in ("store", "snapshot", "flags", "quota", "bodies"):
                relay(s, command, subprocess.run(
                    [BASE, base, command], capture_output=True, text=True,
                    timeout=RUN_TIMEOUT, stdin=subprocess.DEVNULL))
            test_store_race(s, pg, conninfo)
            test_user_lock(s, pg, conninfo)
    except pgserver.Skip as e:
        return s.skip(str(e))
    return s.finish()


if __name__ == "__main__":
    sys.exit(main())
