#!/usr/bin/env python3
"""Differential test: petrel's ACL (RFC 4314) and QUOTA (RFC 9208)
answers against Debian's Dovecot 2.3 with its acl, imap_acl, quota and
imap_quota plugins, on the same sessions of three users.

Dovecot is configured by this test (dovecot_config()): vfile ACLs with
`acl_anyone = allow` (else it refuses the identifiers anyone and
authenticated), a shared namespace "Other Users/%%u/" whose users are
listed through acl_shared_dict, and a count quota of STORAGE 10 MiB and
MESSAGE 5 per user; petrel gets the same users and the same limits
(quota_storage, quota_messages). Both speak NAMESPACE (("" "/"))
(("Other Users/" "/")) NIL.

Every step of SCRIPT is sent to both servers in the same session; the
tagged status and response code and the untagged ACL, MYRIGHTS,
LISTRIGHTS, QUOTA, QUOTAROOT, LIST, STATUS, EXISTS, EXPUNGE, FETCH and
PERMANENTFLAGS data are compared after these normalizations, each a
point the RFCs leave to the server (the code cites the section):
- the text after the response code, and the arguments of APPENDUID;
- the order of rights letters, of ACL pairs, of LISTRIGHTS groups, of
  QUOTA resources, STATUS and FETCH items, LIST attributes and flags, and
  of the untagged responses of one command;
- a string's form (quoted, literal or atom) and the case of flags;
- the quota root's name (petrel "", Dovecot "User quota"): ROOT;
- \Recent in FLAGS (RFC 3501 leaves which session sees it open).
Dovecot's GETACL lists the owner as an ordinary entry; petrel's owner has
every right implicitly (OWNER_RIGHTS): that entry is taken out of
Dovecot's answer. Other differences are in KNOWN, with the exact answers
of both sides and the reason; they print as "differs deliberately" and
do not fail. Any other difference fails, and so does a KNOWN entry no
step produced any more (stale), so that the list stays true.

Loopback only. Without Dovecot (or root) this prints a SKIP line. Last
line: `acl-diff: N passed, N failed[, N skipped]`.
"""

import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import dovecot_server  # noqa: E402
import petrel_server  # noqa: E402
from line_client import LineClient  # noqa: E402

SUITE = "acl-diff"
USERS = {"alice": "alice-secret", "bob": "bob-secret", "carol": "carol-secret"}
QUOTA_MESSAGES = 5        # small, so that the sixth APPEND is over quota in a few steps
QUOTA_STORAGE_KIB = 10240  # 10 MiB: never reached, only reported
DEADLINE = 50.0           # seconds for the whole script on both servers (run-all: ~60 s budget)

TEAM = '"Other Users/alice/Team"'
PRIVATE = '"Other Users/alice/Private"'
MSG = b"From: alice@example.org\r\nSubject: shared %d\r\n\r\nbody %d\r\n"

# (session, command): the same on both servers. A session is a user's
# name, with "#N" for another connection of that user. Dovecot's session
# keeps what it read of the other users' mailboxes: a bob session that had
# listed Other Users/ before alice's SETACL still listed none of her
# mailboxes after it (seen while writing this test), so a command that
# must see another session's SETACL runs in a session opened after it;
# petrel's sessions see it at once (tests/proto/acl-*.t test that). A
# command with APPEND's literal carries {%d+}; %(root)s is the side's
# quota root.
SCRIPT = [
    # -- alice on her own mailboxes --------------------------------------
    ("alice", "CREATE Team"),
    ("alice", "CREATE Private"),
    ("alice", "APPEND Team {%d+}"),
    ("alice", "APPEND Team {%d+}"),
    ("alice", "MYRIGHTS INBOX"),
    ("alice", "MYRIGHTS Team"),
    ("alice", "GETACL INBOX"),
    ("alice", "GETACL Team"),
    ("alice", "LISTRIGHTS Team bob"),
    ("alice", "LISTRIGHTS Team anyone"),
    ("alice", "LISTRIGHTS Team alice"),
    ("alice", "SETACL Team bob lr"),
    ("alice", "GETACL Team"),
    ("alice", "SETACL Team bob +wi"),
    ("alice", "GETACL Team"),
    ("alice", "SETACL Team bob -w"),
    ("alice", "GETACL Team"),
    ("alice", "SETACL Team anyone l"),
    ("alice", "SETACL Team authenticated r"),
    ("alice", "SETACL Team -bob r"),
    ("alice", "GETACL Team"),
    ("alice", "SETACL Team bob +c"),              # RFC 4314 §2.1.1: c is k and x
    ("alice", "GETACL Team"),
    ("alice", "SETACL Team bob -d"),              # ... and d is t and e
    ("alice", "GETACL Team"),
    ("alice", "SETACL Team bob lrz"),             # §3.1: unknown right -> BAD
    ("alice", "SETACL Team bob ++l"),
    ("alice", 'SETACL Team "" lr'),
    ("alice", "SETACL Nope bob lr"),
    ("alice", 'SETACL Team bob ""'),
    ("alice", "GETACL Team"),
    ("alice", "SETACL Team nosuchuser lr"),
    ("alice", "DELETEACL Team nosuchuser"),
    ("alice", "DELETEACL Team -bob"),
    ("alice", "DELETEACL Team bob"),
    ("alice", "DELETEACL Team nosuch"),
    ("alice", "DELETEACL Nope bob"),
    ("alice", "DELETEACL Team anyone"),
    ("alice", "DELETEACL Team authenticated"),
    ("alice", "GETACL Team"),
    ("alice", "GETACL Nope"),
    ("alice", "MYRIGHTS Nope"),
    ("alice", "LISTRIGHTS Nope bob"),
    # -- bob on alice's mailboxes, no rights yet ----------------------------
    ("bob", 'LIST "" "Other Users/*"'),
    ("bob", "MYRIGHTS " + TEAM),
    ("bob", "STATUS %s (MESSAGES)" % TEAM),
    ("bob", "SELECT " + TEAM),
    ("bob", "APPEND %s {%%d+}" % TEAM),
    ("bob", "GETACL " + TEAM),
    ("bob", 'MYRIGHTS "Other Users/alice/Nope"'),
    ("bob", 'MYRIGHTS "Other Users/nosuchuser/INBOX"'),
    # -- lr on Team, l on Private ------------------------------------------
    ("alice", "SETACL Team bob lr"),
    ("alice", "SETACL Private bob l"),
    ("bob#2", 'LIST "" "Other Users/*"'),
    ("bob#2", 'LIST "" "Other Users/%"'),
    ("bob#2", 'LIST "" "Other Users/alice/%"'),
    ("bob#2", "MYRIGHTS " + TEAM),
    ("bob#2", "MYRIGHTS " + PRIVATE),
    ("bob#2", "MYRIGHTS \"Other Users/alice/INBOX\""),
    ("bob#2", "GETACL " + TEAM),                  # needs a
    ("bob#2", "LISTRIGHTS %s bob" % TEAM),        # needs a
    ("bob#2", "SETACL %s bob lrswi" % TEAM),      # needs a
    ("bob#2", "DELETEACL %s bob" % TEAM),         # needs a
    ("bob#2", "STATUS %s (MESSAGES UNSEEN)" % TEAM),
    ("bob#2", "STATUS %s (MESSAGES)" % PRIVATE),  # l without r
    ("bob#2", "SELECT " + PRIVATE),
    ("bob#2", "APPEND %s {%%d+}" % PRIVATE),
    ("bob#2", "SELECT " + TEAM),                  # lr: read-only
    ("bob#2", "FETCH 1 (FLAGS)"),
    ("bob#2", "FETCH 1 (BODY[HEADER.FIELDS (SUBJECT)])"),   # no s: \Seen stays unset
    ("bob#2", "FETCH 1 (FLAGS)"),
    ("bob#2", "STORE 1 +FLAGS (\\Flagged)"),
    ("bob#2", "EXPUNGE"),
    ("bob#2", "APPEND %s {%%d+}" % TEAM),          # no i
    ("bob#2", "COPY 1 " + TEAM),
    ("bob#2", "UNSELECT"),
    # -- lrswite on Team ---------------------------------------------------
    ("alice", "SETACL Team bob lrswite"),
    ("bob#3", "MYRIGHTS " + TEAM),
    ("bob#3", "SELECT " + TEAM),                  # read-write now
    ("bob#3", "STORE 1 +FLAGS (\\Flagged)"),
    ("bob#3", "FETCH 1 (BODY[HEADER.FIELDS (SUBJECT)])"),   # s: sets \Seen
    ("bob#3", "FETCH 1 (FLAGS)"),
    ("bob#3", "APPEND %s {%%d+}" % TEAM),
    ("bob#3", "NOOP"),
    ("bob#3", "STORE 3 +FLAGS (\\Deleted)"),
    ("bob#3", "EXPUNGE"),
    ("alice", "STATUS Team (MESSAGES UNSEEN)"),   # bob's \Seen is his own
    # -- a negative right takes w away (RFC 4314 §2) -----------------------
    ("alice", "SETACL Team -bob w"),
    ("bob#4", "MYRIGHTS " + TEAM),
    ("bob#4", "SELECT " + TEAM),
    ("bob#4", "STORE 2 +FLAGS (\\Answered)"),      # needs w
    ("bob#4", "STORE 2 +FLAGS (\\Seen)"),          # s is enough
    ("bob#4", "STORE 2 FLAGS (\\Seen)"),           # replacing all flags needs w too
    ("bob#4", "FETCH 2 (FLAGS)"),
    # -- lr again: a read-only SELECT --------------------------------------
    ("alice", "DELETEACL Team -bob"),
    ("alice", "SETACL Team bob lr"),
    ("alice", 'SETACL Private bob ""'),
    ("bob#5", "SELECT " + TEAM),
    ("bob#5", "STORE 1 +FLAGS (\\Deleted)"),
    ("bob#5", "UNSELECT"),
    ("bob#5", "MYRIGHTS " + PRIVATE),
    ("bob#5", "STATUS %s (MESSAGES)" % PRIVATE),
    ("bob#5", "SELECT " + PRIVATE),
    # -- anyone r: usable without l, never listed ---------------------------
    ("alice", "SETACL Team anyone r"),
    ("carol", 'LIST "" "Other Users/*"'),
    ("carol", "MYRIGHTS " + TEAM),
    ("carol", "STATUS %s (MESSAGES)" % TEAM),
    ("alice", "DELETEACL Team anyone"),
    ("carol#2", "MYRIGHTS " + TEAM),
    # -- quota (RFC 9208) --------------------------------------------------
    ("carol", "GETQUOTAROOT INBOX"),
    ("carol", 'GETQUOTA "%(root)s"'),
    ("carol", "APPEND INBOX {%d+}"),
    ("carol", "APPEND INBOX {%d+}"),
    ("carol", "APPEND INBOX {%d+}"),
    ("carol", "APPEND INBOX {%d+}"),
    ("carol", "APPEND INBOX {%d+}"),
    ("carol", "APPEND INBOX {%d+}"),              # the sixth: MESSAGE 5 is full
    ("carol", "GETQUOTAROOT INBOX"),
    ("carol", 'SETQUOTA "%(root)s" (STORAGE 100)'),
    ("alice", "GETQUOTAROOT Team"),
    ("alice", "SETACL Team bob lri"),
    ("bob#6", "GETQUOTAROOT " + TEAM),
    ("bob#6", "APPEND %s {%%d+}" % TEAM),          # counts on alice's quota
    ("bob#6", "APPEND %s {%%d+}" % TEAM),
    ("bob#6", "APPEND %s {%%d+}" % TEAM),          # alice's fifth
    ("bob#6", "APPEND %s {%%d+}" % TEAM),          # alice's sixth: over quota
    ("alice", "GETQUOTAROOT INBOX"),
]

# Kinds of untagged data compared; the rest (CAPABILITY, FLAGS, RECENT,
# UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ, ...) is out of this test's scope
# and covered by tests/diff/test_dovecot_diff.py where both speak it.
COMPARED = ("ACL", "MYRIGHTS", "LISTRIGHTS", "QUOTA", "QUOTAROOT", "LIST", "STATUS",
            "EXISTS", "EXPUNGE", "FETCH", "PERMANENTFLAGS")

# Dovecot keeps the owner's rights as an ordinary entry of every ACL
# ("alice lrwstipekxacd", from its default ACL) and shows it in GETACL;
# petrel's owner has every right on their own mailboxes whatever the ACL
# says (no lockout; docs/ARCHITECTURE.md "ACL and shared mailboxes"), so it
# is no entry and GETACL lists only what was granted. RFC 4314 §2 lets a
# server grant rights implicitly. owner_entry_removed() takes that one
# entry out of Dovecot's ACL responses before comparing; a step that
# passes only so is printed as differing deliberately.
OWNER_RIGHTS = "acdeiklprstwx"

# Other differences, each with the exact answers of both sides as
# render() prints them: (session, command, Dovecot's, petrel's, why).
PETREL_OWNER = "petrel's owner always has every right (see OWNER_RIGHTS)"
DOVECOT_NO_CODE = ("Dovecot answers NO without RFC 5530's [NONEXISTENT] here (it sends the "
                   "code for MYRIGHTS and GETACL); both hide the mailbox as RFC 4314 §4 asks")
STORE_IGNORED = ("Dovecot drops the flag changes the ACL forbids and answers OK with "
                 "nothing changed; petrel refuses the STORE and changes nothing")
READ_ONLY = ("a mailbox SELECTed read-only (no s, w, t, i, e): Dovecot answers OK and "
             "changes nothing, petrel NO [READ-ONLY], as for EXAMINE (RFC 9051 §6.3.3: "
             "no change to the mailbox's permanent state is permitted)")
KNOWN = [
    ("alice", "LISTRIGHTS Team alice",
     'OK | LISTRIGHTS Team alice "" a c d e i k l p r s t w x',
     "OK | LISTRIGHTS Team alice acdeiklprstwx",
     PETREL_OWNER + ": RFC 4314 §3.7's first string, the rights always granted, is "
     "all of them; Dovecot's owner entry can be changed, so it lists none"),
    ("alice", "GETACL Team",       # the owner's entry taken out as above
     'OK | ACL Team -bob r anyone l authenticated r bob ""',
     "OK | ACL Team -bob r anyone l authenticated r",
     'SETACL bob "": Dovecot keeps an entry with no rights, petrel drops it; either '
     "way the entry grants nothing"),
    ("alice", "SETACL Team nosuchuser lr", "OK", "NO [CANNOT]",
     "petrel grants rights only to users that exist, anyone and authenticated "
     "(cmd-acl.c: names of no one would grow its shares index without bound); "
     "Dovecot stores any name"),
    ("alice", "MYRIGHTS Nope", "OK | MYRIGHTS Nope acdeiklprstwx", "NO [NONEXISTENT]",
     "Dovecot answers its owner's rights for a mailbox that does not exist; petrel "
     "answers as GETACL does on both servers (RFC 5530 NONEXISTENT)"),
    ("alice", "LISTRIGHTS Nope bob",
     'OK | LISTRIGHTS Nope bob "" a c d e i k l p r s t w x', "NO [NONEXISTENT]",
     "as MYRIGHTS Nope"),
    ("bob", 'STATUS "Other Users/alice/Team" (MESSAGES)', "NO", "NO [NONEXISTENT]",
     DOVECOT_NO_CODE),
    ("bob", 'SELECT "Other Users/alice/Team"', "NO", "NO [NONEXISTENT]", DOVECOT_NO_CODE),
    ("bob#5", 'STATUS "Other Users/alice/Private" (MESSAGES)', "NO", "NO [NONEXISTENT]",
     DOVECOT_NO_CODE),
    ("bob#5", 'SELECT "Other Users/alice/Private"', "NO", "NO [NONEXISTENT]",
     DOVECOT_NO_CODE),
    ("bob", 'APPEND "Other Users/alice/Team" {%d+}', "NO [TRYCREATE]", "NO [NONEXISTENT]",
     "RFC 9051 §6.3.12 asks for TRYCREATE unless the mailbox certainly cannot be "
     "created; bob cannot create in alice's namespace, so petrel does not invite a "
     "CREATE that would fail"),
    ("bob#2", 'LISTRIGHTS "Other Users/alice/Team" bob',
     'OK | LISTRIGHTS Other Users/alice/Team bob "" a c d e i k l p r s t w x',
     "NO [NOPERM]",
     "petrel asks for a, as for GETACL (its reading of RFC 4314 §4); Dovecot answers "
     "anyone who may see the mailbox"),
    ("bob#2", "STORE 1 +FLAGS (\\Flagged)", "OK", "NO [READ-ONLY]", READ_ONLY),
    ("bob#2", "EXPUNGE", "OK", "NO [READ-ONLY]", READ_ONLY),
    ("bob#5", "STORE 1 +FLAGS (\\Deleted)", "OK", "NO [READ-ONLY]", READ_ONLY),
    ("bob#4", "STORE 2 +FLAGS (\\Answered)", "OK", "NO [NOPERM]", STORE_IGNORED),
    ("bob#4", "STORE 2 FLAGS (\\Seen)", "OK", "NO [NOPERM]",
     STORE_IGNORED + " (replacing all flags needs w and t as well as s)"),
    ("carol", 'SETQUOTA "%(root)s" (STORAGE 100)', "NO", "NO [NOPERM]",
     "only an administrator sets quota on both (RFC 9208 §4.1.3 leaves who to the "
     "server); petrel adds RFC 5530's NOPERM, Dovecot no code"),
    ("bob#6", 'GETQUOTAROOT "Other Users/alice/Team"',
     "NO", "OK | QUOTAROOT Other Users/alice/Team",
     "neither shows bob alice's quota: Dovecot refuses (\"Not showing other users' "
     "quota\"), petrel names no root (RFC 9208 §4.1.2); APPEND there is still "
     "limited by alice's quota on both (the steps after)"),
]


def owner_entry_removed(answer, owner):
    """Dovecot's answer without the owner's full-rights entry in its ACL
    response (see OWNER_RIGHTS)."""
    tagged, data = answer
    entry = " %s %s" % (owner, OWNER_RIGHTS)
    out = []
    for d in data:
        if d.startswith("ACL ") and entry in d + " ":
            d = (d + " ").replace(entry + " ", " ", 1).rstrip()
        out.append(d)
    return (tagged, tuple(out))


# ---------------------------------------------------------------------------
# Parsing and normalizing.

# A FETCH item name keeps its section whole: BODY[HEADER.FIELDS (SUBJECT)].
TOKEN_RE = re.compile(r'\s*(?:(\()|(\))|"((?:[^"\\]|\\.)*)"|([^\s()"\[\]]+(?:\[[^\]]*\][^\s()"]*)?))')
KIND_RE = re.compile(r"(?:\d+ )?([A-Za-z]+)")


class Quoted(str):
    """A quoted string's value: "INBOX" and INBOX name the same mailbox,
    and a string's form is the server's choice (RFC 9051 §4.3)."""


def parse(text):
    """Tokens of one response line as nested lists: parentheses become
    lists, quoted strings their unescaped value (Quoted), the rest str."""
    stack = [[]]
    pos = 0
    while pos < len(text):
        m = TOKEN_RE.match(text, pos)
        if not m or m.end() == pos:
            if text[pos:].strip() == "":
                break
            raise ValueError("cannot parse %r at %d" % (text, pos))
        pos = m.end()
        if m.group(1):
            stack.append([])
        elif m.group(2):
            if len(stack) == 1:
                raise ValueError("unbalanced ) in %r" % text)
            inner = stack.pop()
            stack[-1].append(inner)
        elif m.group(3) is not None:
            stack[-1].append(Quoted(re.sub(r"\\(.)", r"\1", m.group(3))))
        else:
            stack[-1].append(m.group(4))
    if len(stack) != 1:
        raise ValueError("unbalanced ( in %r" % text)
    return stack[0]


def rights(r):
    """RFC 4314 §2: rights are a set of letters; their order means nothing."""
    return "".join(sorted(r))


def flag_set(flags):
    """RFC 9051 §7.2.6 / §7.5.2: a flag list is a set; flag names are
    case-insensitive (§2.3.2)."""
    return sorted(f.lower() for f in flags)


def norm_untagged(line, root):
    """The compared form of one untagged response as a string, or None
    when its kind is not compared."""
    m = re.match(r"OK \[PERMANENTFLAGS \(([^)]*)\)\]", line[2:])
    if m:
        return "PERMANENTFLAGS (%s)" % " ".join(flag_set(m.group(1).split()))
    m = KIND_RE.match(line[2:])
    if not m or m.group(1).upper() not in COMPARED:
        return None
    try:
        t = parse(line[2:])
    except ValueError:
        return "UNPARSED " + line
    kind = t[0].upper()
    if kind == "ACL" and len(t) >= 2:
        # RFC 4314 §3.6: pairs of identifier and rights; their order in
        # the response is not specified.
        pairs = sorted("%s %s" % (t[i], rights(t[i + 1]) or '""') for i in range(2, len(t) - 1, 2))
        return " ".join(["ACL", t[1]] + pairs)
    if kind == "MYRIGHTS" and len(t) == 3:
        return "MYRIGHTS %s %s" % (t[1], rights(t[2]))
    if kind == "LISTRIGHTS" and len(t) >= 4:
        # RFC 4314 §3.7: the required rights, then groups of optional
        # rights; neither the letters of a group nor the groups have an order.
        groups = sorted(rights(g) for g in t[4:])
        return " ".join(["LISTRIGHTS", t[1], t[2], rights(t[3]) or '""'] + groups)
    if kind == "QUOTAROOT":
        # RFC 9208 §3.2 / §4.1.2: a quota root's name is the server's
        # (petrel "", Dovecot the configured "User quota"): ROOT here.
        return " ".join(["QUOTAROOT", t[1]] + ["ROOT" for _ in t[2:]])
    if kind == "QUOTA" and len(t) == 3 and isinstance(t[2], list):
        res = t[2]
        triples = sorted("%s %s %s" % (res[i].upper(), res[i + 1], res[i + 2])
                         for i in range(0, len(res) - 2, 3))
        name = "ROOT" if t[1] == root else "OTHER-ROOT(%s)" % t[1]
        return "QUOTA %s (%s)" % (name, " ".join(triples))
    if kind == "LIST" and len(t) == 4:
        # RFC 9051 §7.3.1: attributes are a set, and RFC 5258 §3 lets a
        # server add \HasChildren/\HasNoChildren; both are compared.
        return "LIST (%s) %s %s" % (" ".join(flag_set(t[1])), t[2], t[3])
    if kind == "STATUS" and len(t) == 3:
        items = t[2]
        pairs = sorted("%s %s" % (items[i].upper(), items[i + 1]) for i in range(0, len(items) - 1, 2))
        return "STATUS %s (%s)" % (t[1], " ".join(pairs))
    if len(t) >= 2 and isinstance(t[1], str) and t[1].upper() in ("EXISTS", "EXPUNGE"):
        return "%s %s" % (t[0], t[1].upper())
    if len(t) == 3 and isinstance(t[1], str) and t[1].upper() == "FETCH":
        # RFC 9051 §7.5.2: the items of a FETCH response come in any order.
        items = t[2]
        out = []
        for i in range(0, len(items) - 1, 2):
            key, value = str(items[i]).upper(), items[i + 1]
            if key == "FLAGS":
                # \Recent: RFC 3501 §2.3.2 leaves undefined which session
                # sees it (Dovecot shows none in another user's mailbox),
                # and RFC 9051 dropped it.
                value = "(%s)" % " ".join(f for f in flag_set(value) if f != "\\recent")
            elif isinstance(value, list):
                value = "(%s)" % " ".join(map(str, value))
            elif isinstance(value, Quoted):
                value = '"%s"' % value.replace("\r", "\\r").replace("\n", "\\n")
            out.append("%s %s" % (key, value))
        return "%s FETCH (%s)" % (t[0], " ".join(sorted(out)))
    return "UNCOMPARED " + line


def norm_tagged(line):
    """Status and response code, without the code's arguments when they
    are the server's own numbers (APPENDUID, COPYUID: RFC 4315 §3) and
    without the human-readable text (RFC 9051 §7.1: for people only)."""
    m = re.match(r"(OK|NO|BAD)(?: \[([A-Za-z-]+)[^\]]*\])?", line)
    if not m:
        return "UNPARSED " + line
    return m.group(1) + (" [%s]" % m.group(2).upper() if m.group(2) else "")


def normalize(untagged, tagged, root):
    """render()able answer: (tagged, sorted untagged). RFC 9051 §7: the
    server sends untagged data in any order; none compared here has an
    order that carries meaning (each command answers at most one EXPUNGE)."""
    data = []
    for u in untagged:
        if not u.startswith("* "):
            continue
        n = norm_untagged(u, root)
        if n is not None:
            data.append(n)
    return (norm_tagged(tagged), tuple(sorted(data)))


def render(answer):
    tagged, data = answer
    return " | ".join((tagged,) + data)


# ---------------------------------------------------------------------------
# Servers and sessions.

def dovecot_config():
    """settings and extra lines for DovecotServer (Dovecot 2.3 syntax:
    2.4 renamed the plugin settings and the namespace's location)."""
    settings = {
        "mail_plugins": "$mail_plugins acl quota",
    }
    extra = [
        "namespace inbox {",
        "  type = private",
        "  separator = /",
        "  prefix =",
        "  inbox = yes",
        "}",
        # Other users' mailboxes, named by their owner: the same prefix
        # petrel announces. INDEXPVT keeps \Seen per user (as petrel does).
        "namespace other {",
        "  type = shared",
        "  separator = /",
        '  prefix = "Other Users/%%u/"',
        "  location = maildir:%(home_root)s/%%u/Maildir:INDEXPVT=~/Maildir/shared/%%u",
        "  subscriptions = no",
        "  list = children",
        "}",
        "protocol imap {",
        "  mail_plugins = $mail_plugins imap_acl imap_quota",
        "}",
        "plugin {",
        # cache_secs=0: another session's SETACL counts at the next
        # command, as in petrel (Dovecot's default caches rights 30 s).
        "  acl = vfile::cache_secs=0",
        "  acl_anyone = allow",
        "  acl_shared_dict = file:%(shared_dir)s/shared-mailboxes.db",
        "  quota = count:User quota",
        "  quota_rule = *:storage=%dK:messages=%d" % (QUOTA_STORAGE_KIB, QUOTA_MESSAGES),
        "  quota_vsizes = yes",
        "}",
    ]
    return settings, extra


class Side:
    """One server's sessions, one per user, opened on first use."""

    def __init__(self, name, port, root):
        self.name = name
        self.port = port
        self.root = root
        self.conns = {}
        self.appended = 0
        self.last_reply = ""             # the tagged reply as sent, for FAIL lines

    def run(self, session, command):
        user = session.split("#")[0]
        conn = self.conns.get(session)
        if conn is None:
            conn = self.conns[session] = LineClient(port=self.port)
            _, reply = conn.command("LOGIN %s %s" % (user, USERS[user]))
            if not reply.startswith("OK"):
                raise RuntimeError("%s: LOGIN %s: %s" % (self.name, user, reply))
        text = command.replace("%(root)s", self.root)
        literal = None
        if "{%d+}" in text:
            self.appended += 1
            literal = MSG % (self.appended, self.appended)
        untagged, tagged = conn.command(text, literal)
        self.last_reply = tagged
        return normalize(untagged, tagged, self.root)

    def close(self):
        for conn in self.conns.values():
            conn.close()


def compare(dovecot, petrel):
    """Run SCRIPT on both; returns (passed, failed)."""
    passed = failed = 0
    used = set()
    owner_rule_used = 0
    started = time.monotonic()
    for session, command in SCRIPT:
        if time.monotonic() - started > DEADLINE:
            print("FAIL deadline: %.0f s passed before %s: %s" % (DEADLINE, session, command))
            failed += 1
            break
        label = "%s: %s" % (session, command.replace(" {%d+}", ""))
        d_answer = dovecot.run(session, command)
        d, p = render(d_answer), render(petrel.run(session, command))
        d_owner = render(owner_entry_removed(d_answer, session.split("#")[0]))
        known = [i for i, k in enumerate(KNOWN)
                 if k[:2] == (session, command) and k[2] in (d, d_owner) and k[3] == p]
        if d == p:
            passed += 1
            print("ok   %s -> %s" % (label, p))
        elif d_owner == p:
            passed += 1
            owner_rule_used += 1
            print("ok   %s -> %s (differs deliberately: Dovecot adds the owner's entry)" % (label, p))
        elif known:
            passed += 1
            used.add(known[0])
            print("ok   %s: differs deliberately: Dovecot %s; petrel %s (%s)"
                  % (label, d, p, KNOWN[known[0]][4]))
        else:
            failed += 1
            print("FAIL %s:\n       Dovecot %s\n       petrel  %s\n       (Dovecot said %r, petrel %r)"
                  % (label, d, p, dovecot.last_reply, petrel.last_reply))
    for i, k in enumerate(KNOWN):
        if i not in used:
            failed += 1
            print("FAIL stale KNOWN entry %s: %s (answers no longer as listed)" % k[:2])
    if owner_rule_used == 0:
        failed += 1
        print("FAIL stale owner-entry rule: no GETACL differed by Dovecot's owner entry")
    return passed, failed


def main():
    ok, why = dovecot_server.available()
    if not ok:
        print("SKIP %s: %s" % (SUITE, why))
        print("%s: 0 passed, 0 failed, 1 skipped" % SUITE)
        return 0
    settings, extra = dovecot_config()
    dovecot = dovecot_server.DovecotServer(users=USERS, name="acl", settings=settings,
                                           extra=extra, userdb_lookups=True)
    petrel = petrel_server.PetrelServer(users=USERS, tls=False, config={
        "quota_storage": "%dK" % QUOTA_STORAGE_KIB,
        "quota_messages": str(QUOTA_MESSAGES),
    })
    passed = failed = 0
    sides = []
    try:
        dovecot.start()
        petrel.start()
        sides = [Side("dovecot", dovecot.imap_port, "User quota"),
                 Side("petrel", petrel.imap_port, "")]
        passed, failed = compare(sides[0], sides[1])
    except (dovecot_server.ServerError, petrel_server.ServerError, OSError, RuntimeError) as e:
        # A server that does not start or a session that breaks: counted,
        # so the summary line still comes last.
        failed += 1
        print("FAIL %s: %s" % (type(e).__name__, e))
    finally:
        for side in sides:
            side.close()
        problems = petrel.stop() + dovecot.stop()
        for problem in problems:
            failed += 1
            print("FAIL stop: %s" % problem)
        petrel.cleanup()
        dovecot.cleanup()
    print("%s: %d passed, %d failed" % (SUITE, passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
