#!/usr/bin/env python3
"""Dovecot's imaptest against petrel (tests/imaptest/README.md).

1. The compliance scripts: each of imaptest's script groups (append,
   fetch-body, search-sets, sort-*, thread, ...) run as users testuser1
   and testuser2, one imaptest run per group, so each group is one check
   with imaptest's own verdict. A group that needs a capability petrel
   does not announce (imaptest skips it) is listed by name with the
   capabilities it needs, and counted as skipped, not passed.
2. The stress mix: imaptest's default mix of commands (LOGIN, LIST,
   STATUS, SELECT, FETCH, STORE, EXPUNGE, APPEND, LOGOUT, ...) from 50
   clients over users u1..u100 for 30 s (see STRESS), with its state
   checker (on by default) comparing every answer with what the other
   sessions did. It passes when imaptest reports no error at all.

imaptest is built by ../shared/imaptest/build into build/imaptest once.
Where it cannot be built (not root and its packages missing) this prints
a visible SKIP with the reason.
"""

import concurrent.futures
import imaplib
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "lib"))
sys.path.insert(0, HERE)

import imaptest_tool  # noqa: E402
import petrel_server  # noqa: E402
from suite import Suite  # noqa: E402

SUITE = Suite("imaptest")
check = SUITE.check

PASSWORD = "imaptest-pw-1"
GROUP_TIMEOUT = 60       # seconds per script group (they take ~0.1 s; ASan ~1 s)
# The stress run, (users, clients, seconds): 100 users, 50 clients, 30 s
# as the issue asks. Under the sanitizers (`make test-asan`,
# PETREL_BUILD=build-asan) 20 users, 20 clients, 15 s: each user's first
# LOGIN and its creation cost a yescrypt hash (~0.1 s of CPU each), which
# with 100 users took most of a short run, and .ci/run's passes must stay
# bounded; 20 clients on 20 users share mailboxes more, which is what the
# state checker looks at. PETREL_IMAPTEST_SECS overrides the seconds.
STRESS = (100, 50, 30)
STRESS_SANITIZED = (20, 20, 15)
USER_ADD_THREADS = 4     # `petrel user add` is mostly the password hash: CPU


def stress_size():
    """(users, clients, seconds) for this build."""
    build = os.path.basename(os.path.normpath(os.environ.get("PETREL_BUILD", "build")))
    users, clients, secs = STRESS_SANITIZED if "asan" in build else STRESS
    if os.environ.get("PETREL_IMAPTEST_SECS"):
        secs = int(os.environ["PETREL_IMAPTEST_SECS"])
    return users, clients, secs


def capabilities_after_login(port, user):
    c = imaplib.IMAP4("127.0.0.1", port, timeout=30)
    try:
        c.login(user, PASSWORD)
        typ, data = c.capability()
        return set(data[0].decode().upper().split()) if typ == "OK" else set()
    finally:
        c.logout()


def compliance(server, binary, tests_dir):
    caps = capabilities_after_login(server.imap_port, "testuser1")
    skipped = []
    t0 = time.monotonic()
    for name in imaptest_tool.groups(tests_dir):
        r = imaptest_tool.run_group(binary, tests_dir, name, server.imap_port,
                                    "testuser1", "testuser2", PASSWORD, GROUP_TIMEOUT)
        if r.verdict == "skip":
            need = imaptest_tool.required_capabilities(os.path.join(tests_dir, name))
            missing = [c for c in need if c not in caps]
            skipped.append("%s (needs %s)" % (name, " ".join(missing) or " ".join(need) or "?"))
            print("skip group %s: petrel does not announce %s"
                  % (name, " ".join(missing) or "(imaptest's reason)"))
            continue
        check("group %s" % name, r.verdict == "pass", r.detail)
        if server.proc.poll() is not None:
            check("server still running after group %s" % name, False, server.stderr_tail())
            break
    print("compliance: %d groups in %.1f s" % (len(imaptest_tool.groups(tests_dir)),
                                               time.monotonic() - t0))
    print("skipped groups (missing capability): %s" % (", ".join(skipped) or "none"))
    return len(skipped)


def add_users(pool, server, names):
    """Futures of `petrel user add` for each name (run beside the
    compliance scripts: each is mostly a password hash)."""
    return [pool.submit(server.user, "add", n, PASSWORD) for n in names]


def stress(server, binary, tests_dir, made):
    n_users, n_clients, secs = stress_size()
    t0 = time.monotonic()
    for f in made:
        f.result()
    print("the %d users were there %.1f s after the compliance scripts" % (
        n_users, time.monotonic() - t0))
    r = imaptest_tool.stress(binary, server.imap_port, "u%d", n_users, n_clients,
                             PASSWORD, os.path.join(tests_dir, "default.mbox"), secs,
                             timeout=secs + 120)
    logins = r["totals"].get("Logi", 0)
    print("stress: %d s, %d clients, %d users: %s" % (
        secs, n_clients, n_users,
        ", ".join("%s %d" % kv for kv in r["totals"].items()) or "no totals"))
    check("stress: imaptest ran to its totals", r["totals"] != {}, r["output"][-600:])
    check("stress: sessions logged in and ran commands",
          logins > 0 and r["totals"].get("Fetc", 0) > 0, r["totals"])
    check("stress: the state checker found no error (%d Error lines)" % len(r["problems"]),
          not r["problems"], r["problems"][:5])
    check("stress: imaptest exited 0", r["exit"] == 0, r["output"][-400:])


def main():
    try:
        binary, tests_dir = imaptest_tool.build()
    except imaptest_tool.Unavailable as e:
        return SUITE.skip("imaptest cannot be built here: %s" % e)
    except (RuntimeError, OSError) as e:
        check("imaptest builds", False, e)
        return SUITE.finish()
    server = petrel_server.PetrelServer(
        users={"testuser1": PASSWORD, "testuser2": PASSWORD}, tls=False)
    skipped = 0
    pool = concurrent.futures.ThreadPoolExecutor(USER_ADD_THREADS)
    try:
        server.start()
        made = add_users(pool, server, ["u%d" % i for i in range(1, stress_size()[0] + 1)])
        skipped = compliance(server, binary, tests_dir)
        if server.proc.poll() is None:
            stress(server, binary, tests_dir, made)
    except (petrel_server.ServerError, imaplib.IMAP4.error, OSError) as e:
        check("imaptest run", False, e)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        problems = server.stop()
        server.cleanup()
    check("server stops cleanly, no sanitizer report", not problems, problems)
    print("imaptest: %d passed, %d failed, %d skipped" % (SUITE.passed, SUITE.failed, skipped))
    return 1 if SUITE.failed else 0


if __name__ == "__main__":
    sys.exit(main())
