#!/usr/bin/env python3
"""petrel driven by Node's imapflow, a client nobody here wrote
(tests/clients/imapflow/drive.mjs): TLS, LIST, APPEND, FETCH, flags,
SEARCH, MOVE, STATUS, and IDLE seeing a `petrel deliver` from another
process.

imapflow is installed from the npm registry with `npm ci` (the version and
its dependencies pinned by tests/clients/imapflow/package-lock.json) into
build/clients/imapflow, once. Without node/npm or the registry the suite
prints a visible SKIP with the reason; it never passes silently.
"""

import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "lib"))

import petrel_server  # noqa: E402

SRC = os.path.join(HERE, "imapflow")
WORK = os.path.join(REPO, "build", "clients", "imapflow")
NODE_MAJOR_MIN = 20          # imapflow 2.x: engines node >= 20
RUN_TIMEOUT = 120


def skip(reason):
    print("SKIP imapflow: %s" % reason)
    print("imapflow: 0 passed, 0 failed, 1 skipped")
    return 0


def install():
    """None when imapflow is ready, else why not."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        return "node and npm are not installed (scripts/install-deps --test installs them)"
    try:
        out = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30)
        major = int(out.stdout.strip().lstrip("v").split(".")[0])
    except (OSError, ValueError, subprocess.TimeoutExpired) as e:
        return "node --version failed: %s" % e
    if major < NODE_MAJOR_MIN:
        return "node %s is older than imapflow 2.1.2 needs (%d)" % (out.stdout.strip(),
                                                                    NODE_MAJOR_MIN)
    os.makedirs(WORK, exist_ok=True)
    lock_src = os.path.join(SRC, "package-lock.json")
    lock_dst = os.path.join(WORK, "package-lock.json")
    ready = os.path.isdir(os.path.join(WORK, "node_modules", "imapflow"))
    if ready and os.path.exists(lock_dst):
        with open(lock_src, "rb") as a, open(lock_dst, "rb") as b:
            ready = a.read() == b.read()
    if ready:
        return None
    for name in ("package.json", "package-lock.json"):
        shutil.copy(os.path.join(SRC, name), os.path.join(WORK, name))
    try:
        p = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                           cwd=WORK, capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired:
        return "npm ci timed out (is the npm registry reachable?)"
    if p.returncode != 0:
        return "npm ci failed: %s" % (p.stderr.strip().splitlines() or ["?"])[-1]
    return None


def main():
    reason = install()
    if reason:
        return skip(reason)
    shutil.copy(os.path.join(SRC, "drive.mjs"), os.path.join(WORK, "drive.mjs"))
    srv = petrel_server.PetrelServer()
    passed = failed = 0
    try:
        srv.start()
        env = dict(os.environ, PETREL_PORT=str(srv.imaps_port), PETREL_CA=srv.cert,
                   PETREL_USER="alice", PETREL_PASS="alice-secret", PETREL_BIN=srv.binary,
                   PETREL_DATA=srv.data)
        try:
            p = subprocess.run(["node", "drive.mjs"], cwd=WORK, env=env, capture_output=True,
                               text=True, timeout=RUN_TIMEOUT)
            out, code = p.stdout, p.returncode
            if p.stderr.strip():
                out += "\n" + "\n".join("  node: " + l for l in p.stderr.strip().splitlines()[-10:])
        except subprocess.TimeoutExpired as e:
            out, code = (e.stdout or b"").decode(errors="replace"), None
            out += "\nFAIL drive.mjs timed out after %d s" % RUN_TIMEOUT
        for line in out.splitlines():
            print(line)
            if line.startswith("ok "):
                passed += 1
            elif line.startswith("FAIL "):
                failed += 1
        if code != 0 and failed == 0:
            print("FAIL drive.mjs exited %r" % code)
            failed += 1
    except petrel_server.ServerError as e:
        print("FAIL server start: %s" % e)
        failed += 1
    finally:
        problems = srv.stop()
        srv.cleanup()
        if problems:
            print("FAIL server shutdown: %s" % "; ".join(problems))
            failed += 1
        else:
            print("ok   server shutdown: SIGTERM, exit 0, clean stderr")
            passed += 1
    print("imapflow: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
