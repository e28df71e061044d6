#!/usr/bin/env python3
"""petrel driven by neomutt (Debian package), a terminal mail client nobody
here wrote, run in a tmux session whose screen the test reads: it opens
INBOX over IMAPS, shows the index, opens a message (its body on screen,
\\Seen on the server), flags it and syncs (\\Flagged on the server), sees a
message delivered meanwhile (it idles: imap_idle), and quits.

Without neomutt or tmux (scripts/install-deps --test installs them) it
prints a visible SKIP.
"""

import imaplib
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "lib"))

import petrel_server  # noqa: E402
from suite import Suite  # noqa: E402

SCREEN_WAIT_S = 15
SUITE = Suite("neomutt")
check = SUITE.check


class Tmux:
    """A private tmux server (its own socket name) running one program."""

    def __init__(self, env):
        self.env = env
        self.sock = "petrel-test-%d" % os.getpid()

    def run(self, *args):
        return subprocess.run(["tmux", "-L", self.sock] + list(args), capture_output=True,
                              text=True, env=self.env, timeout=10)

    def start(self, command):
        self.run("new-session", "-d", "-s", "t", "-x", "160", "-y", "40", command)

    def screen(self):
        return self.run("capture-pane", "-p", "-t", "t").stdout

    def keys(self, *keys):
        self.run("send-keys", "-t", "t", *keys)

    def wait_for(self, text, timeout=SCREEN_WAIT_S):
        """The screen once it shows text, or None (after timeout)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            s = self.screen()
            if text in s:
                return s
            time.sleep(0.1)
        return None

    def kill(self):
        self.run("kill-server")


def flags_of(imap, subject):
    imap.select("INBOX", readonly=True)
    typ, data = imap.search(None, "SUBJECT", '"%s"' % subject)
    num = data[0].split()[0]
    typ, data = imap.fetch(num, "(FLAGS)")
    imap.close()
    return data[0].decode()


def main():
    if not shutil.which("neomutt") or not shutil.which("tmux"):
        return SUITE.skip("neomutt or tmux not installed (scripts/install-deps --test)")
    tmp = tempfile.mkdtemp(prefix="petrel-neomutt-")
    srv = petrel_server.PetrelServer()
    tmux = None
    try:
        srv.start()
        for i, subject in enumerate((b"first hello", b"second news")):
            subprocess.run([srv.binary, "deliver", "alice", "--data", srv.data], check=True,
                           input=b"From: Ann <ann@example.org>\nSubject: %s\n"
                                 b"Date: Mon, 7 Feb 1994 21:52:2%d -0800\n\nbody of %s\n"
                                 % (subject, i, subject))
        with open(os.path.join(tmp, "muttrc"), "w") as f:
            f.write('set folder = "imaps://alice@localhost:%d/"\n' % srv.imaps_port)
            f.write('set spoolfile = "+INBOX"\nset imap_pass = "alice-secret"\n')
            # Trust the test certificate (GnuTLS and OpenSSL builds).
            f.write('set certificate_file = "%s"\nset ssl_ca_certificates_file = "%s"\n'
                    % (srv.cert, srv.cert))
            f.write('set header_cache = ""\nset message_cachedir = ""\nset mark_old = no\n'
                    'set wait_key = no\nset quit = yes\nset sort = date\n'
                    'set imap_idle = yes\nset mail_check = 1\nset timeout = 1\n')
        env = dict(os.environ, HOME=tmp, TERM="xterm-256color")
        env.pop("TMUX", None)
        tmux = Tmux(env)
        tmux.start("neomutt -n -F %s/muttrc" % tmp)
        s = tmux.wait_for("second news")
        check("index: both messages listed, new",
              s is not None and "first hello" in s and "Msgs:2 New:2" in s, s)
        tmux.keys("Enter")
        s = tmux.wait_for("body of first hello")
        check("pager: the first message's body", s is not None, tmux.screen())
        tmux.keys("q")
        tmux.wait_for("Msgs:2")
        tmux.keys("F", "$")
        deadline = time.monotonic() + SCREEN_WAIT_S
        ctx = ssl.create_default_context(cafile=srv.cert)
        imap = imaplib.IMAP4_SSL("127.0.0.1", srv.imaps_port, ssl_context=ctx, timeout=10)
        imap.login("alice", "alice-secret")
        flags = ""
        while time.monotonic() < deadline:
            flags = flags_of(imap, "first hello")
            if "\\Flagged" in flags:
                break
            time.sleep(0.2)
        check("server: the read and flagged message has \\Seen and \\Flagged",
              "\\Seen" in flags and "\\Flagged" in flags, flags)
        check("server: the other one is untouched",
              "\\Seen" not in flags_of(imap, "second news") and
              "\\Flagged" not in flags_of(imap, "second news"))
        imap.logout()
        subprocess.run([srv.binary, "deliver", "alice", "--data", srv.data], check=True,
                       input=b"From: Bob <bob@example.org>\nSubject: third arrives\n"
                             b"Date: Tue, 8 Feb 1994 10:00:00 +0000\n\nlate\n")
        s = tmux.wait_for("third arrives")
        check("index: a message delivered meanwhile appears", s is not None, tmux.screen())
        tmux.keys("q")
        deadline = time.monotonic() + SCREEN_WAIT_S
        while time.monotonic() < deadline and tmux.run("has-session", "-t", "t").returncode == 0:
            time.sleep(0.1)
        check("neomutt quits", tmux.run("has-session", "-t", "t").returncode != 0, tmux.screen())
    except (petrel_server.ServerError, OSError, subprocess.SubprocessError,
            imaplib.IMAP4.error) as e:
        check("ran to the end", False, repr(e))
    finally:
        if tmux is not None:
            tmux.kill()
        problems = srv.stop()
        srv.cleanup()
        check("server shutdown: SIGTERM, exit 0, clean stderr", not problems, problems)
        shutil.rmtree(tmp, ignore_errors=True)
    return SUITE.finish()


if __name__ == "__main__":
    sys.exit(main())
