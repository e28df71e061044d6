"""Dovecot's imaptest, as petrel's tests and benchmark use it: build it
(../shared/imaptest/build beside the repository, into build/imaptest), run
one compliance script group, run the stress mix, and read their output.

imaptest prints, at the end of a compliance run,
    N test groups: F failed, S skipped due to missing capabilities
and, per failed command, a block starting `*** Test GROUP command ...`
(stderr). The stress mix prints a counter table every second and
`Totals:` with one column per command (LOGIN is `Logi`); the state checker
(on unless `no_tracking`) reports what it finds as `Error: ...` lines.
"""

import os
import re
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
BUILD_SCRIPT = os.path.join(os.path.dirname(REPO), "shared", "imaptest", "build")
OUT_DIR = os.path.join(REPO, "build", "imaptest")
BUILD_TIMEOUT = 900      # seconds: apt-get of dovecot-dev plus autotools on a cold machine

_GROUPS_RE = re.compile(r"^(\d+) test groups: (\d+) failed, (\d+) skipped", re.M)
# The lines imaptest writes through Dovecot's log functions on problems.
_PROBLEM_RE = re.compile(r"^(Error|Panic|Fatal): .*$", re.M)


class Unavailable(Exception):
    """imaptest cannot be built here (no script, not root, missing packages)."""


def build():
    """Build imaptest once into build/imaptest; return (binary, tests dir).
    Raises Unavailable when this machine cannot build it, RuntimeError when
    the build itself failed."""
    binary, tests = os.path.join(OUT_DIR, "imaptest"), os.path.join(OUT_DIR, "tests")
    if os.access(binary, os.X_OK) and os.path.isdir(tests):
        return binary, tests
    if not os.access(BUILD_SCRIPT, os.X_OK):
        raise Unavailable("no build script at %s (shared/ beside the repository)" % BUILD_SCRIPT)
    p = subprocess.run([BUILD_SCRIPT, OUT_DIR], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       stdin=subprocess.DEVNULL, timeout=BUILD_TIMEOUT)
    text = p.stdout.decode(errors="replace").strip()
    if p.returncode != 0:
        if "missing packages" in text:
            raise Unavailable(text.splitlines()[-1])
        raise RuntimeError("%s exited %d: %s" % (BUILD_SCRIPT, p.returncode, text[-800:]))
    return binary, tests


def groups(tests_dir):
    """The script groups (file names, as imaptest sorts them), without the
    .mbox files some of them come with."""
    return sorted(n for n in os.listdir(tests_dir)
                  if not n.startswith(".") and not n.endswith(".mbox")
                  and os.path.isfile(os.path.join(tests_dir, n)))


def required_capabilities(path):
    """The `capabilities:` line of a script's header (before its first
    blank line), upper-cased."""
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if not line.strip():
                break
            key, _, value = line.partition(":")
            if key.strip().lower() == "capabilities":
                return value.upper().split()
    return []


class GroupResult:
    """verdict: "pass", "fail" or "skip"; detail: what imaptest said."""

    def __init__(self, name, verdict, detail=""):
        self.name, self.verdict, self.detail = name, verdict, detail


def run_group(binary, tests_dir, name, port, user, user2, password, timeout):
    """One compliance group against 127.0.0.1:port; imaptest's own verdict."""
    argv = [binary, "host=127.0.0.1", "port=%d" % port, "user=%s" % user,
            "user2=%s" % user2, "pass=%s" % password,
            "test=%s" % os.path.join(tests_dir, name)]
    try:
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           stdin=subprocess.DEVNULL, timeout=timeout)
    except subprocess.TimeoutExpired:
        return GroupResult(name, "fail", "imaptest did not finish in %d s" % timeout)
    text = p.stdout.decode(errors="replace")
    m = _GROUPS_RE.search(text)
    if m is None or int(m.group(1)) != 1:
        return GroupResult(name, "fail", "imaptest exited %d without its summary: %s"
                           % (p.returncode, _short(text)))
    if int(m.group(2)):
        return GroupResult(name, "fail", _failures(text))
    if int(m.group(3)):
        return GroupResult(name, "skip")
    if p.returncode != 0:
        return GroupResult(name, "fail", "imaptest exited %d: %s" % (p.returncode, _short(text)))
    return GroupResult(name, "pass")


def _short(text, width=300):
    return " | ".join(l[:width] for l in text.strip().splitlines()[-6:])


def _failures(text):
    """The ` - failed:` and ` - Command:` lines of each failed command,
    each cut to a readable width (the `id` group sends 30 KB commands)."""
    out = []
    for line in text.splitlines():
        if line.startswith("*** Test ") or line.startswith(" - failed") \
                or line.startswith(" - Command") or line.startswith(" - best match"):
            out.append(line.strip()[:160])
    return " | ".join(out) or _short(text)


def stress(binary, port, user_template, users, clients, password, mbox, seconds, timeout):
    """The default command mix with the state checker for `seconds`.
    Returns {"totals": {column: n}, "problems": [lines],
    "exit": code, "output": text}."""
    argv = [binary, "host=127.0.0.1", "port=%d" % port, "user=%s" % user_template,
            "users=%d" % users, "clients=%d" % clients, "pass=%s" % password,
            "mbox=%s" % mbox, "secs=%d" % seconds]
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       stdin=subprocess.DEVNULL, timeout=timeout)
    text = p.stdout.decode(errors="replace")
    return {"totals": parse_totals(text),
            "problems": [m.group(0)[:300] for m in _PROBLEM_RE.finditer(text)],
            "exit": p.returncode, "output": text}


def parse_totals(text):
    """{column: count} from the row under `Totals:` (header, two rows of
    probabilities, then the counts)."""
    lines = [l.rstrip() for l in text.splitlines()]
    try:
        at = lines.index("Totals:")
    except ValueError:
        return {}
    if at + 4 >= len(lines):
        return {}
    names = lines[at + 1].split()
    counts = lines[at + 4].split()
    if len(counts) != len(names) or not all(c.isdigit() for c in counts):
        return {}
    return dict(zip(names, (int(c) for c in counts)))
