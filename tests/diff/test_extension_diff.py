#!/usr/bin/env python3
"""Differential test: petrel's QUOTA (RFC 9208) and METADATA (RFC 5464)
against Debian's Dovecot 2.3, on the same commands.

QUOTA: Dovecot with its quota and imap_quota plugins (count backend,
quota_vsizes), both servers given the limits STORAGE 10 KiB and MESSAGE 3.
METADATA: Dovecot with imap_metadata and a file attribute dictionary.

Compared, after the normalizations below (what the RFCs leave to each
server): the QUOTAROOT, QUOTA and METADATA responses, and the status and
response code of each tagged reply.
- The quota root's name: petrel's is "", Dovecot's the configured "User
  quota"; both are replaced by ROOT.
- The text after a tagged reply's response code.
- Known differences, printed and not failing (KNOWN): GETQUOTAROOT of a
  mailbox that does not exist is NO [NONEXISTENT] in petrel, as RFC 9208
  §4.1.2 lists ("no such mailbox"), where Dovecot answers OK with its
  root; GETQUOTA of an unknown root is NO in both, petrel adding
  [NONEXISTENT] (RFC 5530). The rest is listed in KNOWN with its reason.
- The order of the entries DEPTH adds (each server's own); the names asked
  for come in the order asked in both.
- A string's form (quoted or literal, RFC 9051 §4.3): Dovecot sends every
  METADATA value as a literal; both are read and compared as their bytes.
- CAPABILITY is not compared: Dovecot 2.3 speaks RFC 2087 (no
  QUOTA=RES-*, no MAILBOX resource, no STATUS DELETED-STORAGE), so only
  STORAGE and MESSAGE are limited here and SETQUOTA is not sent (Dovecot
  lets no one set quota over IMAP without an admin user either).

Loopback only. Without Dovecot this prints a SKIP line. Last line:
`extension-diff: N passed, N failed[, N skipped]`.
"""

import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import dovecot_server  # noqa: E402
from line_client import LineClient as Conn  # noqa: E402
import petrel_server  # noqa: E402

USER, PASSWORD = "alice", "alice-secret"
BODY = b"Subject: q%d\r\n\r\n" + b"x" * 3000      # 3,015 bytes: 3 fit in 10 KiB

# command -> (Dovecot's tagged status, petrel's): see the docstring.
KNOWN = {
    "GETQUOTAROOT Nope": ("OK", "NO [NONEXISTENT"),
    'GETQUOTA "no such root"': ("NO", "NO [NONEXISTENT"),
    # A mailbox that does not exist: petrel adds RFC 5530's code.
    "GETMETADATA Nope /shared/comment": ("NO", "NO [NONEXISTENT"),
    'SETMETADATA Nope (/shared/comment "x")': ("NO", "NO [NONEXISTENT"),
}

# (command, literal or None): the same session on both servers.
QUOTA_SCRIPT = [
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


METADATA_SCRIPT = [
    ("CREATE Notes", None),
    ('SETMETADATA Notes (/shared/comment "Team notes" /Private/Comment "mine")', None),
    ("GETMETADATA Notes (/SHARED/COMMENT /private/comment)", None),
    ("GETMETADATA Notes /shared/missing", None),
    ('SETMETADATA Notes (/shared/vendor/x/a "1" /shared/vendor/x/a/b "2"'
     ' /shared/vendor/x/a/b/c "3" /shared/vendor/x/ab "sibling")', None),
    ("GETMETADATA (DEPTH 1) Notes /shared/vendor/x/a", None),
    ("GETMETADATA (DEPTH infinity) Notes /shared/vendor/x/a", None),
    ("GETMETADATA (MAXSIZE 3 DEPTH infinity) Notes /shared/vendor/x/a", None),
    ("SETMETADATA Notes (/shared/vendor/x/a NIL /shared/vendor/x/never NIL)", None),
    ("GETMETADATA Notes /shared/vendor/x/a", None),
    ('SETMETADATA "" (/private/vendor/x/theme "dark")', None),
    ('GETMETADATA "" /private/vendor/x/theme', None),
    ("GETMETADATA Notes /foo/bar", None),
    ('SETMETADATA Notes (/shared//x "x")', None),
    ("GETMETADATA Notes /shared/x/", None),
    ("GETMETADATA (DEPTH 2) Notes /shared/comment", None),
    ("GETMETADATA Nope /shared/comment", None),
    ('SETMETADATA Nope (/shared/comment "x")', None),
    ("RENAME Notes Kept", None),
    ("GETMETADATA Kept /shared/comment", None),
    ("DELETE Kept", None),
    ("CREATE Kept", None),
    ("GETMETADATA Kept /shared/comment", None),
]


def entries_sorted(line):
    """A METADATA response with its entries in name order: the order of
    the descendants DEPTH adds is the server's (Dovecot's follows its
    dictionary)."""
    m = re.match(r"(\* METADATA \S+ \()(.*)\)$", line)
    if not m:
        return line
    pairs = re.findall(r'(\S+) ("(?:[^"\\]|\\.)*"|NIL)', m.group(2))
    return m.group(1) + " ".join("%s %s" % p for p in sorted(pairs)) + ")"


def session(port, root, script):
    c = Conn(port)
    _, reply = c.command('LOGIN %s %s' % (USER, PASSWORD))
    assert reply.startswith("OK"), reply
    out = []
    for text, literal in script:
        if "%s" in text:
            text = text % root
        untagged, tagged = c.command(text, literal)
        quota = [entries_sorted(re.sub(r'"(User quota|)"', "ROOT", u)) for u in untagged
                 if u.startswith(("* QUOTA ", "* QUOTAROOT ", "* METADATA "))]
        m = re.match(r"(OK|NO|BAD)( \[[A-Z-]+)?", tagged)
        out.append((text.split(" {")[0], quota, m.group(0) if m else tagged))
    c.sock.close()
    return out


def compare(theirs, ours):
    """(passed, failed) of one script's answers, printed."""
    passed = failed = 0
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
    return passed, failed


def main():
    ok, why = dovecot_server.available()
    if not ok:
        print("SKIP extension-diff: %s" % why)
        print("extension-diff: 0 passed, 0 failed, 1 skipped")
        return 0
    dovecot = dovecot_server.DovecotServer(users={USER: PASSWORD}, name="ext", settings={
        "mail_plugins": "$mail_plugins quota",
        "imap_metadata": "yes",
        "mail_attribute_dict": "file:%h/dovecot-attributes",
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
        for script in (QUOTA_SCRIPT, METADATA_SCRIPT):
            p, f = compare(session(dovecot.imap_port, "User quota", script),
                           session(petrel.imap_port, "", script))
            passed, failed = passed + p, failed + f
    finally:
        problems = petrel.stop()
        if problems:
            failed += 1
            print("FAIL petrel stop: %s" % problems)
        petrel.cleanup()
        dovecot.stop()
        dovecot.cleanup()
    print("extension-diff: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
