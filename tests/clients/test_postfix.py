#!/usr/bin/env python3
"""Postfix (Debian package) delivering into petrel over LMTP, as a mail
administrator sets it up: a private Postfix instance made by this test
(its own config and queue under a temporary directory, SMTP on a loopback
port, `virtual_transport = lmtp:inet:127.0.0.1:PORT` for example.com)
takes a message by SMTP, hands it to `petrel serve --lmtp`, and an
imapflow session in IDLE sees it arrive.

Postfix's master runs as root: without root, without postfix
(scripts/install-deps --test installs it) or without imapflow (see
test_imapflow.py) this prints a visible SKIP.
"""

import imaplib
import os
import re
import shutil
import smtplib
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "lib"))
sys.path.insert(0, HERE)

import petrel_server  # noqa: E402
from suite import Suite  # noqa: E402
import test_imapflow  # noqa: E402

SUITE = Suite("postfix")
# Postfix's delivery line can follow the delivery by a moment (lmtp reports
# to the queue manager, postlogd writes the file); seconds, for a loaded
# `make test`.
LOG_WAIT_S = 15
LOG_POLL_S = 0.1
check = SUITE.check
skip = SUITE.skip


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def postfix(conf, *args):
    """`postfix -c CONF ARGS` under a pseudo-terminal: Postfix's commands
    report errors to stderr only when it is a terminal (else to syslog)."""
    cmd = " ".join(["postfix", "-c", conf] + list(args))
    p = subprocess.run(["script", "-q", "-e", "-c", cmd, "/dev/null"], capture_output=True,
                       text=True, timeout=60)
    return p.returncode, p.stdout.strip()


def wait_for_log(path, pattern, seconds):
    """The text of the log at path once pattern is in it, or as it is
    after `seconds` (polling; postlogd appends to it)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with open(path, errors="replace") as f:
                text = f.read()
        except FileNotFoundError:
            text = ""
        if pattern.search(text) or time.monotonic() >= deadline:
            return text
        time.sleep(LOG_POLL_S)


def make_instance(tmp, smtp_port, lmtp_port):
    conf = os.path.join(tmp, "conf")
    os.makedirs(conf)
    for d in ("queue", "data"):
        os.makedirs(os.path.join(tmp, d))
    shutil.chown(os.path.join(tmp, "data"), "postfix")
    shutil.copy("/etc/postfix/master.cf", conf)
    with open(os.path.join(conf, "main.cf"), "w") as f:
        f.write("\n".join([
            "compatibility_level = 3.6",
            "queue_directory = %s/queue" % tmp,
            "data_directory = %s/data" % tmp,
            "mail_owner = postfix",
            "setgid_group = postdrop",
            "myhostname = mx.example.com",
            "mydomain = example.com",
            "mydestination =",
            "inet_interfaces = 127.0.0.1",
            "inet_protocols = ipv4",
            "mynetworks = 127.0.0.0/8",
            "virtual_mailbox_domains = example.com",
            "virtual_transport = lmtp:inet:127.0.0.1:%d" % lmtp_port,
            "maillog_file = %s/maillog" % tmp,
            "maillog_file_prefixes = %s" % tmp,
            "alias_maps =",
            "alias_database =",
            "smtputf8_enable = no",
            ""]))
    # No chroot (it needs a copy of system files), SMTP on our port only,
    # the log written by postlogd to maillog_file.
    for args in (["-F", "*/*/chroot=n"], ["-MX", "smtp/inet"],
                 ["-M", "127.0.0.1:%d/inet=127.0.0.1:%d inet n - n - - smtpd"
                  % (smtp_port, smtp_port)],
                 ["-M", "postlog/unix-dgram=postlog unix-dgram n - n - 1 postlogd"]):
        subprocess.run(["postconf", "-c", conf] + args, check=True, timeout=30)
    return conf


def main():
    if os.geteuid() != 0:
        return skip("not root (Postfix's master runs as root)")
    if not shutil.which("postfix") or not os.path.exists("/etc/postfix/master.cf"):
        return skip("postfix is not installed (scripts/install-deps --test installs it)")
    reason = test_imapflow.install()
    if reason:
        return skip("imapflow: %s" % reason)
    shutil.copy(os.path.join(test_imapflow.SRC, "idle-wait.mjs"),
                os.path.join(test_imapflow.WORK, "idle-wait.mjs"))
    tmp = tempfile.mkdtemp(prefix="petrel-postfix-")
    os.chmod(tmp, 0o755)                 # the postfix user walks into it
    srv = petrel_server.PetrelServer(config={"lmtp": "127.0.0.1:0"})
    conf = None
    watcher = None
    try:
        srv.start()
        lmtp_port = int(re.search(r"listening lmtp 127\.0\.0\.1:(\d+)", srv.stderr()).group(1))
        smtp_port = free_port()
        conf = make_instance(tmp, smtp_port, lmtp_port)
        code, out = postfix(conf, "check")
        check("postfix check of the private instance", code == 0, out)
        code, out = postfix(conf, "start")
        if not check("postfix starts", code == 0, out):
            return 1
        env = dict(os.environ, PETREL_PORT=str(srv.imaps_port), PETREL_CA=srv.cert,
                   PETREL_USER="alice", PETREL_PASS="alice-secret")
        watcher = subprocess.Popen(["node", "idle-wait.mjs"], cwd=test_imapflow.WORK, env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        first = watcher.stdout.readline().strip()
        check("imapflow session in IDLE", first == "IDLING", first)
        deadline = time.monotonic() + 20
        while True:
            try:
                with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as s:
                    refused = s.sendmail("ann@example.org", ["alice@example.com"],
                                         b"From: ann@example.org\r\nTo: alice@example.com\r\n"
                                         b"Subject: through postfix\r\n\r\nhello\r\n")
                break
            except (ConnectionRefusedError, smtplib.SMTPServerDisconnected):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)       # smtpd not listening yet
        check("postfix takes the message by SMTP", refused == {}, refused)
        try:
            out, _ = watcher.communicate(timeout=40)
        except subprocess.TimeoutExpired:
            watcher.kill()
            out, _ = watcher.communicate()
        check("the IDLE session sees it arrive (imapflow)",
              out.strip() == "EXISTS 1 through postfix" and watcher.returncode == 0,
              (watcher.returncode, out))
        # The IDLE session can see the message before Postfix's lmtp has
        # read petrel's reply and before postlogd has written the line.
        sent = re.compile(r"postfix/lmtp\[\d+\]: \w+: to=<alice@example.com>, "
                          r"relay=127\.0\.0\.1\[127\.0\.0\.1\]:%d, .*status=sent "
                          r"\(250 2\.0\.0 <alice@example\.com> Saved\)" % lmtp_port)
        log = wait_for_log(os.path.join(tmp, "maillog"), sent, LOG_WAIT_S)
        check("postfix logs the LMTP reply: 250 2.0.0 <alice@example.com> Saved",
              sent.search(log), log[-1500:])
        imap = imaplib.IMAP4("127.0.0.1", srv.imap_port, timeout=10)
        imap.login("alice", "alice-secret")
        imap.select("INBOX", readonly=True)
        typ, data = imap.fetch("1", "(BODY.PEEK[])")
        imap.logout()
        stored = data[0][1] if typ == "OK" and data and isinstance(data[0], tuple) else b""
        check("stored: our Return-Path first, then Postfix's Received, then the message",
              stored.startswith(b"Return-Path: <ann@example.org>\r\nReceived: from ") and
              b"\r\nSubject: through postfix\r\n" in stored and
              stored.endswith(b"\r\n\r\nhello\r\n") and
              b"\n" not in stored.replace(b"\r\n", b""), stored[:600])
    except (petrel_server.ServerError, OSError, smtplib.SMTPException,
            subprocess.SubprocessError, AttributeError, imaplib.IMAP4.error) as e:
        check("ran to the end", False, repr(e))
    finally:
        if watcher is not None and watcher.poll() is None:
            watcher.kill()
        if conf is not None:
            postfix(conf, "stop")
        problems = srv.stop()
        srv.cleanup()
        check("petrel: SIGTERM, exit 0, clean stderr", not problems, problems)
        shutil.rmtree(tmp, ignore_errors=True)
    return SUITE.finish()


if __name__ == "__main__":
    sys.exit(main())
