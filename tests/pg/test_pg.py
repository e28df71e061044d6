#!/usr/bin/env python3
"""The PostgreSQL backend's base (issue 15) against a private server
(tests/lib/pgserver.py): the schema made once by two racing processes, a
newer schema refused with its exact error, every user database operation
(build/pg-base-test users), the secret the same across processes, the
SQLSTATE map, retries and transactions (exec), the pool's bound, connections killed by the server and the server stopped and
restarted under a running process. Also: nothing outside src/store/
includes libpq-fe.h. Runs the binary of $PETREL_BUILD (make test-asan).
Last line: `pg-base: N passed, N failed`.
"""

import os
import re
import select
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
BINARY = os.path.join(REPO, BUILD, "pg-base-test")
RUN_TIMEOUT = 60        # seconds for one pg-base-test run (ASan is slow)
LOCK_WAIT = 15          # seconds for both racers to be waiting on the lock
LINE_TIMEOUT = 30       # seconds for one line of the outage conversation
SCHEMA_LOCK_KEY = "8099007539572375553"    # src/store/pg/pg-schema.h
KNOWN_VERSION = 1                          # src/store/pg/pg-schema.h PG_SCHEMA_VERSION
SANITIZER_RE = re.compile(r"AddressSanitizer|LeakSanitizer|runtime error:")


def run(pg, command):
    return subprocess.run([BINARY, pg.conninfo, command], capture_output=True, text=True,
                          timeout=RUN_TIMEOUT, stdin=subprocess.DEVNULL)


def clean_exit(s, what, returncode, stderr, want=0):
    s.check("%s: exit %d, no sanitizer report" % (what, want),
            returncode == want and not SANITIZER_RE.search(stderr),
            "exit %d: %s" % (returncode, stderr[-1500:]))


def relay(s, what, r):
    """The binary's own ok/FAIL lines as checks of this suite."""
    lines = 0
    for line in r.stdout.splitlines():
        if line.startswith("ok "):
            s.check("%s: %s" % (what, line[3:]), True)
            lines += 1
        elif line.startswith("FAIL "):
            name, _, detail = line[5:].partition(": ")
            s.check("%s: %s" % (what, name), False, detail)
            lines += 1
    s.check("%s: ran its checks" % what, lines > 0, r.stdout + r.stderr)
    clean_exit(s, what, r.returncode, r.stderr)


def wait_for(pg, sql, want, timeout):
    deadline = time.monotonic() + timeout
    got = None
    while time.monotonic() < deadline:
        got = pg.psql(sql)
        if got == want:
            return got
        time.sleep(0.05)
    return got


def test_schema_race(s, pg):
    """Two processes start on an empty database at once; the schema is made once."""
    holder = subprocess.Popen(pg.psql_cmd(), stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, text=True)
    racers = []
    try:
        # Hold the schema lock so that both must queue behind it.
        holder.stdin.write("SELECT pg_advisory_lock(%s);\n" % SCHEMA_LOCK_KEY)
        holder.stdin.flush()
        held = wait_for(pg, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                        " AND granted", "1", LOCK_WAIT)
        s.check("the test holds the schema lock", held == "1", held)
        racers = [subprocess.Popen([BINARY, pg.conninfo, "schema"], stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
                  for _ in range(2)]
        waiting = wait_for(pg, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                           " AND NOT granted", "2", LOCK_WAIT)
        s.check("both racers wait on the schema lock", waiting == "2", waiting)
        holder.stdin.write("SELECT pg_advisory_unlock(%s);\n\\q\n" % SCHEMA_LOCK_KEY)
        holder.stdin.close()
        outs = []
        for p in racers:
            out, err = p.communicate(timeout=RUN_TIMEOUT)
            outs.append(out)
            clean_exit(s, "racer", p.returncode, err)
        s.check("one racer applied the schema, the other found it",
                sorted(outs) == ["applied 0\n", "applied 1\n"], outs)
    finally:
        for p in racers + [holder]:
            if p.poll() is None:
                p.kill()
                p.wait()
    s.check("schema_history has one step", pg.psql("SELECT version FROM schema_history")
            == str(KNOWN_VERSION), pg.psql("SELECT * FROM schema_history"))
    s.check("schema_version says %d" % KNOWN_VERSION,
            pg.psql("SELECT version FROM schema_version") == str(KNOWN_VERSION))
    r = run(pg, "schema")
    s.check("a later start applies nothing", r.stdout == "applied 0\n", r.stdout + r.stderr)


def test_version_refusal(s, pg):
    pg.psql("UPDATE schema_version SET version = 999")
    try:
        want = "store schema version 999 is newer than this petrel (knows %d)" % KNOWN_VERSION
        r = run(pg, "schema")
        s.check("a newer schema is refused", r.stdout == "refused: %s\n" % want,
                r.stdout + r.stderr)
        clean_exit(s, "refused schema", r.returncode, r.stderr, want=1)
        r = run(pg, "open")
        s.check("the user database refuses it too", r.stdout == "open: invalid %s\n" % want,
                r.stdout + r.stderr)
        s.check("and leaves it as it was", pg.psql("SELECT version FROM schema_version")
                == "999")
    finally:
        pg.psql("UPDATE schema_version SET version = %d" % KNOWN_VERSION)


def test_users(s, pg):
    relay(s, "users", run(pg, "users"))
    first, second = run(pg, "secret"), run(pg, "secret")
    stored = pg.psql("SELECT encode(value, 'hex') FROM cluster_meta WHERE key = 'secret'")
    s.check("the secret is the same in every process and is the stored one",
            re.fullmatch(r"[0-9a-f]{64}\n", first.stdout) is not None and
            first.stdout == second.stdout == stored + "\n",
            (first.stdout, second.stdout, stored, first.stderr))
    s.check("exactly one secret row", pg.psql("SELECT count(*) FROM cluster_meta"
                                               " WHERE key = 'secret'") == "1")


def readline(proc, timeout):
    """One line of proc's stdout (bytes, unbuffered), or None after timeout."""
    deadline = time.monotonic() + timeout
    line = b""
    while not line.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([proc.stdout], [], [], left)[0]:
            return None
        c = os.read(proc.stdout.fileno(), 1)
        if not c:
            return line.decode() if line else None
        line += c
    return line.decode()


def test_outage(s, pg):
    """The server stops under a running process: ERROR, no crash; it comes
    back: the process reconnects by itself."""
    p = subprocess.Popen([BINARY, pg.conninfo, "outage"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0)
    try:
        line = readline(p, LINE_TIMEOUT)
        s.check("outage: works before", line == "before: ok\n", line)
        pg.halt()
        p.stdin.write(b"stopped\n")
        line = readline(p, LINE_TIMEOUT)
        s.check("outage: every operation is ERROR while the server is down",
                line == "stopped: error error error\n", line)
        pg.start()
        p.stdin.write(b"started\n")
        line = readline(p, LINE_TIMEOUT)
        s.check("outage: reconnects when it is back", line == "restarted: ok $y$j9T$o$o\n",
                line)
        p.stdin.close()
        p.wait(timeout=RUN_TIMEOUT)
        clean_exit(s, "outage", p.returncode, p.stderr.read().decode("utf-8", "replace"))
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def test_libpq_confined(s):
    outside = []
    for top in ("src", "tests", "bench"):
        for dirpath, _, files in os.walk(os.path.join(REPO, top)):
            rel = os.path.relpath(dirpath, REPO)
            if rel == "src/store" or rel.startswith("src/store/"):
                continue
            for f in files:
                if f.endswith((".c", ".h")):
                    with open(os.path.join(dirpath, f), errors="replace") as fh:
                        if "libpq-fe.h" in fh.read():
                            outside.append(os.path.join(rel, f))
    s.check("nothing outside src/store/ includes libpq-fe.h", outside == [], outside)


def test_sqlite_reference(s):
    """The user database checks pass on SQLite too: the values they assert
    are sqlite-users.c's, so both backends give the same."""
    d = tempfile.mkdtemp(prefix="petrel-pg-ref-")
    try:
        relay(s, "users on sqlite", subprocess.run(
            [BINARY, d, "users-sqlite"], capture_output=True, text=True, timeout=RUN_TIMEOUT,
            stdin=subprocess.DEVNULL))
    finally:
        shutil.rmtree(d, ignore_errors=True)


def main():
    s = Suite("pg-base")
    test_libpq_confined(s)
    if not os.path.exists(BINARY):
        s.check("the test binary is built", False, BINARY + " missing (make all)")
        return s.finish()
    test_sqlite_reference(s)
    try:
        # An ICU collation where "Zed" sorts after "alice": the user list's
        # byte order must come from the schema, not the server's locale.
        with pgserver.PgServer(icu_locale="en-US") as pg:
            for test in (test_schema_race, test_version_refusal, test_users):
                test(s, pg)
            relay(s, "exec", run(pg, "exec"))
            relay(s, "pool", run(pg, "pool"))
            relay(s, "kill", run(pg, "kill"))
            relay(s, "watch", run(pg, "watch"))
            test_outage(s, pg)
    except pgserver.Skip as e:
        return s.skip(str(e))
    return s.finish()


if __name__ == "__main__":
    sys.exit(main())
