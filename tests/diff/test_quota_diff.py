#!/usr/bin/env python3
"""Differential test: petrel's QUOTA (RFC 9208) against Debian's Dovecot 2.3
with its quota and imap_quota plugins (count backend, quota_vsizes), both
given the limits STORAGE 10 KiB and MESSAGE 3, and the same commands.

Compared, after the normalizations below (what the RFC leaves to each
server): the QUOTAROOT and QUOTA responses, and the status and response
code of each tagged reply.
- The root's name: petrel's is "", Dovecot's the configured "User quota";
  both are replaced by ROOT.
- The text after a tagged reply's response code.
- Known differences, printed and not failing (KNOWN): GETQUOTAROOT of a
  mailbox that does not exist is NO [NONEXISTENT] in petrel, as RFC 9208
  §4.1.2 lists ("no such mailbox"), where Dovecot answers OK with its
  root; GETQUOTA of an unknown root is NO in both, petrel adding
  [NONEXISTENT] (RFC 5530).
- CAPABILITY is not compared: Dovecot 2.3 speaks RFC 2087 (no
  QUOTA=RES-*, no MAILBOX resource, no STATUS DELETED-STORAGE), so only
  STORAGE and MESSAGE are limited here and SETQUOTA is not sent (Dovecot
  lets no one set quota over IMAP without an admin user either).

Loopback only. Without Dovecot this prints a SKIP line. Last line:
`quota-diff: N passed, N failed[, N skipped]`.
"""

import os
import re
import socket
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import dovecot_server  # noqa: E402
import petrel_server  # noqa: E402

TIMEOUT = 10
USER, PASSWORD = "alice", "alice-secret"
BODY = b"Subject: q%d\r\n\r\n" + b"x" * 3000      # 3,015 bytes: 3 fit in 10 KiB

# command -> (Dovecot's tagged status, petrel's): see the docstring.
KNOWN = {
    "GETQUOTAROOT Nope": ("OK", "NO [NONEXISTENT"),
    'GETQUOTA "no such root"': ("NO", "NO [NONEXISTENT"),
}

# (command, literal or None): the same session on both servers.
SCRIPT = [
    ("GETQUOTAROOT INBOX", None),
    ("CREATE Work", None),
    ("APPEND INBOX {%d+}", BODY % 1),
    ("APPEND INBOX {%d+}", BODY % 2),
    ("GETQUOTAROOT INBOX", None),
    ("GETQUOTA \"%s\"", None),
    ("APPEND INBOX {%d+}", BODY % 3),
    ("APPEND INBOX {%d+}", BODY % 4),      # MESSAGE full
    ("GETQUOTA \"%s\"", None),
    ("SELECT INBOX", None),
    ("COPY 1 Work", None),                 # over quota
    ("MOVE 1 Work", None),                 # adds nothing
    ("STORE 1 +FLAGS.SILENT (\\Deleted)", None),
    ("EXPUNGE", None),
    ("GETQUOTAROOT Work", None),
    ("GETQUOTAROOT Nope", None),
    ("GETQUOTA \"no such root\"", None),
]


class Conn:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        self.buf = b""
        self.n = 0
        self.line()

    def line(self):
        while b"\r\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("closed")
            self.buf += data
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line.decode(errors="replace")

    def command(self, text, literal=None):
        """[untagged lines], tagged line."""
        self.n += 1
        tag = "q%d" % self.n
        data = (tag + " " + text).encode()
        if literal is not None:
            data = data % len(literal) + b"\r\n" + literal
        self.sock.sendall(data + b"\r\n")
        untagged = []
        while True:
            line = self.line()
            if line.startswith(tag + " "):
                return untagged, line[len(tag) + 1:]
            untagged.append(line)


def session(port, root):
    c = Conn(port)
    _, reply = c.command('LOGIN %s %s' % (USER, PASSWORD))
    assert reply.startswith("OK"), reply
    out = []
    for text, literal in SCRIPT:
        if "%s" in text:
            text = text % root
        untagged, tagged = c.command(text, literal)
        quota = [re.sub(r'"(User quota|)"', "ROOT", u) for u in untagged
                 if u.startswith(("* QUOTA ", "* QUOTAROOT "))]
        m = re.match(r"(OK|NO|BAD)( \[[A-Z-]+)?", tagged)
        out.append((text.split(" {")[0], quota, m.group(0) if m else tagged))
    c.sock.close()
    return out


def main():
    ok, why = dovecot_server.available()
    if not ok:
        print("SKIP quota-diff: %s" % why)
        print("quota-diff: 0 passed, 0 failed, 1 skipped")
        return 0
    dovecot = dovecot_server.DovecotServer(users={USER: PASSWORD}, name="quota", settings={
        "mail_plugins": "$mail_plugins quota",
    }, extra=[
        "protocol imap {",
        "  mail_plugins = $mail_plugins imap_quota",
        "}",
        "plugin {",
        "  quota = count:User quota",
        "  quota_rule = *:storage=10K:messages=3",
        "  quota_vsizes = yes",
        "}",
    ])
    petrel = petrel_server.PetrelServer(config={"quota_storage": "10K", "quota_messages": "3"})
    passed = failed = 0
    try:
        dovecot.start()
        petrel.start()
        theirs = session(dovecot.imap_port, "User quota")
        ours = session(petrel.imap_port, "")
        for (cmd, q_d, r_d), (_, q_p, r_p) in zip(theirs, ours):
            if cmd in KNOWN and KNOWN[cmd] == (r_d, r_p):
                passed += 1
                print("ok   %s: differs deliberately: Dovecot %s, petrel %s" % (cmd, r_d, r_p))
            elif (q_d, r_d) == (q_p, r_p):
                passed += 1
                print("ok   %s: %s %s" % (cmd, r_p, " | ".join(q_p)))
            else:
                failed += 1
                print("FAIL %s: Dovecot %r %r, petrel %r %r" % (cmd, r_d, q_d, r_p, q_p))
    finally:
        problems = petrel.stop()
        if problems:
            failed += 1
            print("FAIL petrel stop: %s" % problems)
        petrel.cleanup()
        dovecot.stop()
        dovecot.cleanup()
    print("quota-diff: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
