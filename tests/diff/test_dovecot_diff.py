#!/usr/bin/env python3
"""Differential test: petrel's message parsing, SEARCH, SORT and THREAD
against Debian's Dovecot 2.3 on the same messages.

Both servers get the same messages by APPEND (same order, same
INTERNALDATE), the same flags by STORE, then the same FETCH, SEARCH, SORT
and THREAD commands; their answers are parsed into Python structures
(strings as bytes, literals kept whole) and compared item by item after the
normalizations listed in NORMALIZATIONS, each of which is something RFC 9051
(or the extension's RFC) leaves to the server. Differences listed in
KNOWN_DIFFERENCES are printed as "differs deliberately" and do not fail.

    tests/diff/test_dovecot_diff.py                  petrel vs Dovecot, every message
    tests/diff/test_dovecot_diff.py --quick          20 messages per corpus, fewer queries
    tests/diff/test_dovecot_diff.py --against dovecot   Dovecot vs Dovecot (must be 0 diffs)

Loopback only; Dovecot and petrel run in temporary directories. Without
Dovecot installed this prints a SKIP line. Last line:
`dovecot-diff: N passed, N failed[, N skipped]`, counting item kinds.
"""

import argparse
import collections
import datetime
import difflib
import email
import email.header
import email.utils
import fnmatch
import os
import random
import re
import socket
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "lib"))
import dovecot_server  # noqa: E402
import petrel_server  # noqa: E402

SUITE = "dovecot-diff"
USER, PASSWORD = "alice", "alice-secret"
MAILBOX = "INBOX"
IO_TIMEOUT = 60.0          # seconds for one response (Dovecot needs 0.3 s for a 10,000-part BODYSTRUCTURE)
DEFAULT_DEADLINE = 480.0   # seconds for the whole run: stay well under run-all's 600 s per suite
MAX_PARTS = 60             # sections fetched per message: the first 40 and the last 20 parts
SECTION_CHUNK = 24         # FETCH items per command when fetching sections
BAD_UNKNOWN_STREAK = 3     # "BAD Unknown command" answers before a command is taken as missing
sys.setrecursionlimit(20000)

# ---------------------------------------------------------------------------
# What may differ.

# Each normalization applied before comparing, and why it is the server's
# choice. Nothing else is normalized: any other difference is reported.
NORMALIZATIONS = [
    ("string forms", "quoted, literal and literal8 forms of the same bytes are one string "
     "(RFC 9051 §4.3; RFC 3516 §4.2 lets literal8 carry any string)"),
    ("atom case", "atoms such as NIL and FETCH item names compare case-insensitively, and so "
     "do header field names inside BODY[HEADER.FIELDS (...)] (RFC 9051 §9: ABNF strings are "
     "case-insensitive; RFC 5322 §1.2.2 field names)"),
    ("FETCH item order", "the order of items in a FETCH response and their spread over several "
     "FETCH responses for one message are free (RFC 9051 §7.5.2); items are gathered per message"),
    ("unsolicited items", "FLAGS, UID and MODSEQ the command did not ask for may be sent at any "
     "time (RFC 9051 §7.5.2, §5.2) and are ignored"),
    ("MIME tokens", "in BODY/BODYSTRUCTURE, media type and subtype, parameter names, the "
     "transfer encoding, the disposition type and its parameter names, and the value of the "
     "charset parameter compare case-insensitively (RFC 2045 §5.1, §6.1; RFC 2046 §4.1.2; "
     "RFC 2183 §2.8); the RFC 9051 ABNF spells the defaults in capitals, Dovecot in lower case"),
    ("SEARCH order", "the numbers of a SEARCH response are a set: RFC 9051 §7.3.4 sets no order"),
    ("response text", "only the status and the response code's atom of a tagged answer are "
     "compared; the human-readable text is free (RFC 9051 §7.1)"),
    ("INTERNALDATE zone", "INTERNALDATE compares as the instant it names: the zone it is shown "
     "in is the server's (RFC 9051 §2.3.3)"),
    ("PREVIEW text", "RFC 8970 §3 leaves the preview algorithm to the server: compared are "
     "NIL-ness and the RFC's limits (at most 256 characters, UTF-8, no CR or LF), not the text"),
]

# Deliberate differences from Dovecot: (message glob, item glob, reason).
# The message is "corpus/file"; the item is the name printed in a
# difference, e.g. "BODYSTRUCTURE", "BODY[1.2.MIME]", 'SEARCH BODY "mailing"'.
# Matched with fnmatch. A message glob "@no-date" names the messages whose
# first Date: field is missing or unreadable (email.utils.parsedate_tz),
# whatever their name. SORT results are whole lists: their entries name the
# exact SORT and, as Moved(...), the messages allowed to sit elsewhere; with
# those taken out of both lists the rest must be in the same order, so any
# other message sorted differently is a new difference and fails.


class Moved(tuple):
    """The messages a known SORT difference may place differently."""

    def __new__(cls, *names):
        return tuple.__new__(cls, names)

    def __str__(self):
        return "moved " + ", ".join(self)

    def explains(self, a, b):
        """a and b (lists of message names) agree once these are taken out."""
        if not isinstance(a, list) or not isinstance(b, list):
            return False
        return [x for x in a if x not in self] == [x for x in b if x not in self]


BOUNDARY_2231_REASON = (
    "the boundary is given only in RFC 2231 form (boundary*=...''EeQf...): petrel decodes it "
    "and finds the two parts; Dovecot ignores it and sees a multipart without parts")
BINARY_REASON = (
    "BINARY is answered per part (RFC 3516 §4.2: the part's own encoding); Dovecot fails "
    "every part of a message with NO [PARSE] or [UNKNOWN-CTE] when one part cannot be decoded")
DOVECOT_SIZE_REASON = (
    "Dovecot's BINARY.SIZE is not the length of its own BINARY[1] for this message (in one "
    "case a negative number printed unsigned); petrel's is the decoded length it sends")
PREVIEW_REASON = (
    "RFC 8970 leaves the preview to the server (mail/mail-text.h): petrel previews an "
    "HTML-only message, a text part with a broken Content-Type or transfer encoding, and "
    "does not read a digest's default-typed part as text; Dovecot gives \"\" or the reverse")
GRUSSE_REASON = (
    "full Unicode case folding: \"GRÜSSE\" matches \"Grüße\" (ß folds to ss, as the issue "
    "asks); Dovecot's simple titlecase mapping keeps ß")
SORT_FROM_MOVED = Moved("python-email/msg_43.txt", "hostile/addresses-odd")
SORT_FROM_REASON = (
    "python-email/msg_43 (\"MAILER DAEMON <>\") and hostile/addresses-odd (a group first): "
    "their first address has an empty addr-mailbox, which sorts first (RFC 5256 §2.2); "
    "Dovecot sorts them by other text")
SORT_DISPLAY_MOVED = Moved("python-email/msg_05.txt")
SORT_DISPLAY_REASON = (
    "python-email/msg_05 (\"From: foo\", no domain): its display key is \"foo\" (RFC 5957 "
    "§3: the addr-spec as written); Dovecot adds a missing domain")
SORT_SUBJECT_MOVED = Moved("hostile/nul-in-header")
SORT_SUBJECT_REASON = (
    "hostile/nul-in-header: a NUL in the Subject is U+FFFD in the sort key; Dovecot drops it")
KNOWN_DIFFERENCES = [(name, item, GRUSSE_REASON) for name, item in (
    ("hostile/encoded-words", 'SEARCH SUBJECT "GRÜSSEKÖLN"'),
    ("hostile/encoded-words", 'SEARCH SUBJECT "GRÜSSE"'),
    ("hostile/8bit-header-utf8", 'SEARCH SUBJECT "GRÜSSE"'),
    ("hostile/8bit-header-with-charset", 'SEARCH SUBJECT "GRÜSSE"'),
)] + [(SORT_FROM_MOVED, "SORT %s UTF-8 ALL" % keys, SORT_FROM_REASON)
       for keys in ("(FROM)", "(REVERSE FROM)", "(FROM SIZE)")] + [
    (SORT_DISPLAY_MOVED, "SORT %s UTF-8 ALL" % keys, SORT_DISPLAY_REASON)
    for keys in ("(DISPLAYFROM)", "(REVERSE DISPLAYFROM)", "(DISPLAYTO)", "(REVERSE DISPLAYTO)")
] + [(SORT_SUBJECT_MOVED, "SORT %s UTF-8 ALL" % keys, SORT_SUBJECT_REASON)
     for keys in ("(SUBJECT)", "(REVERSE SUBJECT)", "(SUBJECT REVERSE DATE)")] + [
    ("hostile/huge-header-many-fields", "BODY[HEADER.FIELDS*",
     "HEADER.FIELDS[.NOT] reads at most 1 MiB of a header (memory per FETCH stays bounded); "
     "this header is 1.1 MB"),
] + [(name, "PREVIEW", PREVIEW_REASON) for name in (
    "enmime/low-quality/html-only-inline.raw", "enmime/mail/html-only-inline.raw",
    "enmime/parts/empty-ctype-bad-content.raw", "python-email/msg_14.txt",
    "python-email/msg_30.txt", "python-email/msg_33.txt", "hostile/unknown-cte",
    "hostile/content-type-garbage")] + [
] + [(name, "BINARY*", BINARY_REASON) for name in (
    "enmime/low-quality/malformed-base64-attach.raw", "enmime/low-quality/unk-encoding-part.raw",
    "python-email/msg_15.txt", "hostile/unknown-cte")] + [
    ("jwz-ham/0093.*", "BINARY.SIZE[[]1]", DOVECOT_SIZE_REASON),
    ("jwz-ham/0097.*", "BINARY.SIZE[[]1]", DOVECOT_SIZE_REASON),
    ("jwz-ham/1660.*", "BINARY.SIZE[[]1]", DOVECOT_SIZE_REASON),
    ("python-email/msg_33.txt", "BODY*", BOUNDARY_2231_REASON),
    ("python-email/msg_33.txt", "BINARY*", BOUNDARY_2231_REASON),
    ("python-email/msg_38.txt", "BODY[[]1.2.MIME]",
     "a header the outer delimiter cuts (\"and \" after a delimiter lookalike) keeps its "
     "line break; Dovecot drops it from .MIME but keeps it in the part (BODY[1] agrees)"),
    ("hostile/nested-1[02]0-multipart", "BODY[*",
     "past 20 levels the empty epilogue line before an outer delimiter is counted by Dovecot "
     "differently than at lower levels (html-mime-inline.raw); petrel counts every level alike"),
    ("hostile/message-rfc822-empty", "BODY[1*",
     "an attached message that is one empty line: its header is that line; Dovecot gives "
     "the line to the delimiter for the header but not for the part"),
    ("hostile/empty-message", "APPEND",
     "an empty message is refused with NO [CANNOT] (a response code says why); Dovecot "
     "answers a bare NO"),
]
NO_DATE = set()

# ---------------------------------------------------------------------------
# Messages.

CORPORA = ("enmime", "jwz-ham", "python-email", "hostile")


class Message:
    __slots__ = ("index", "name", "data", "date")

    def __init__(self, index, name, data):
        self.index = index
        self.name = name
        self.data = data
        head = email.message_from_bytes(data.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n")
        try:
            date = head.get_all("Date")
            readable = bool(date) and email.utils.parsedate_tz(str(date[0])) is not None
        except Exception:
            readable = False
        if not readable:
            NO_DATE.add(name)
        # INTERNALDATE: noon UTC so that no time zone moves the day; several
        # messages share each day so that ARRIVAL and date searches see ties.
        day = (index * 37) % 400
        t = time.gmtime(1577880000 + day * 86400)          # 2020-01-01 12:00:00 UTC + days
        self.date = time.strftime("%d-%b-%Y %H:%M:%S +0000", t)


def crlf(data):
    """The corpora are stored with LF line ends; APPEND wants CRLF (RFC 9051 §6.3.12).
    Bare CRs are kept as they are. Line ends are tested by the hostile set."""
    return re.sub(rb"(?<!\r)\n", b"\r\n", data)


def corpus_files(root, name):
    base = os.path.join(root, name)
    out = []
    for dirpath, dirnames, filenames in os.walk(base, followlinks=True):
        dirnames.sort()
        for f in sorted(filenames):
            path = os.path.join(dirpath, f)
            rel = os.path.relpath(path, base)
            if name == "enmime" and not f.endswith(".raw"):
                continue
            if name == "python-email" and not re.match(r"msg_\d+[a-z]?\.txt$", f):
                continue
            out.append((rel, path))
    return out


def hostile_messages():
    """Generated messages that parsers get wrong: (name, bytes), CRLF unless the point is otherwise."""
    h = b"From: Hostile <hostile@example.org>\r\nTo: victim@example.com\r\nDate: Mon, 7 Mar 2022 10:00:00 +0100\r\n"
    out = []

    def add(name, data):
        out.append((name, data))

    filler = b"".join(b"X-Filler-%d: %s\r\n" % (i, b"v" * 40) for i in range(20000))
    add("huge-header-many-fields", h + b"Subject: many fields\r\n" + filler + b"\r\nbody\r\n")
    add("huge-header-one-line", h + b"Subject: one long line\r\nX-Long: " + b"y" * 300000 + b"\r\n\r\nbody\r\n")
    add("huge-header-folded", h + b"Subject: folded\r\nX-Folded: start" + b"\r\n\tcontinued word" * 20000 + b"\r\n\r\nbody\r\n")
    add("nul-in-body", h + b"Subject: nul in body\r\n\r\nbefore\x00after\r\n\x00\x00\r\n")
    add("nul-in-header", h + b"Subject: nul\x00 in header\r\nX-Nul: a\x00b\r\n\r\nbody\r\n")
    add("nul-in-base64-part", h + b"Subject: nul in binary part\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\ntext\r\n"
        b"--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        b"AAECAwAAAP8=\r\n--b--\r\n")
    add("8bit-header-utf8", h.replace(b"Hostile", "Jörg Ünïcödé".encode()) +
        "Subject: Grüße aus Köln – ünïcödé 日本語\r\nX-Note: naïve café\r\n\r\nbody Grüße\r\n".encode())
    add("8bit-header-latin1", h.replace(b"Hostile", "Jörg Müller".encode("latin-1")) +
        "Subject: Grüße Müller\r\n\r\nLatin-1 body: Grüße\r\n".encode("latin-1"))
    add("8bit-header-with-charset", h + "Subject: Grüße\r\nMIME-Version: 1.0\r\n".encode() +
        b"Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" +
        "Grüße aus Köln\r\n".encode("latin-1"))
    parts = b"".join(b"--p\r\nContent-Type: text/plain\r\n\r\npart %d\r\n" % i for i in range(10000))
    add("parts-10000", h + b"Subject: ten thousand parts\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed; boundary=p\r\n\r\n" + parts + b"--p--\r\n")
    parts = b"".join(b"--p\r\nContent-Type: text/plain\r\n\r\npart %d\r\n" % i for i in range(10010))
    add("parts-10010", h + b"Subject: over ten thousand parts\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed; boundary=p\r\n\r\n" + parts + b"--p--\r\n")
    for depth in (100, 120):
        body = b"Content-Type: text/plain\r\n\r\ndeepest\r\n"
        for i in reversed(range(1, depth + 1)):
            body = (b"Content-Type: multipart/mixed; boundary=n%d\r\n\r\n--n%d\r\n" % (i, i) + body +
                    b"\r\n--n%d--\r\n" % i)
        add("nested-%d-multipart" % depth, h + b"Subject: nested %d\r\nMIME-Version: 1.0\r\n" % depth + body)
    msg = b"Subject: innermost\r\n\r\ninnermost body\r\n"
    for i in range(100):
        msg = b"Subject: level %d\r\nContent-Type: message/rfc822\r\n\r\n" % i + msg
    add("nested-100-rfc822", h + b"MIME-Version: 1.0\r\n" + msg)
    add("multipart-no-boundary-param", h + b"Subject: no boundary\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\nx\r\n--x--\r\n")
    add("multipart-boundary-never-used", h + b"Subject: unused boundary\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed; boundary=absent\r\n\r\njust text\r\nmore text\r\n")
    add("multipart-no-close", h + b"Subject: no closing boundary\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed; boundary=b\r\n\r\npreamble\r\n--b\r\nContent-Type: text/plain\r\n\r\none\r\n"
        b"--b\r\nContent-Type: text/html\r\n\r\n<p>two</p>\r\n")
    add("multipart-misnested", h + b"Subject: misnested boundaries\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed; boundary=outer\r\n\r\n--outer\r\n"
        b"Content-Type: multipart/alternative; boundary=inner\r\n\r\n--inner\r\nContent-Type: text/plain\r\n\r\n"
        b"inner one\r\n--outer\r\nContent-Type: text/plain\r\n\r\nouter two\r\n--inner--\r\nafter inner close\r\n"
        b"--outer--\r\nepilogue\r\n")
    add("multipart-prefix-boundary", h + b"Subject: boundary is a prefix of another\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed; boundary=ab\r\n\r\n--ab\r\nContent-Type: multipart/mixed; boundary=abc\r\n\r\n"
        b"--abc\r\nContent-Type: text/plain\r\n\r\ninner\r\n--abc--\r\n--ab\r\nContent-Type: text/plain\r\n\r\n"
        b"outer\r\n--ab--\r\n")
    add("multipart-boundary-whitespace", h + b"Subject: boundary line with trailing space\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed; boundary=\"b b\"\r\n\r\n--b b  \r\nContent-Type: text/plain\r\n\r\none\r\n"
        b"--b b\t\r\n\r\ntwo, no header\r\n--b b--  \r\n")
    add("multipart-empty", h + b"Subject: no parts at all\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b--\r\n")
    add("multipart-digest", h + b"Subject: digest\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/digest; boundary=d\r\n\r\n--d\r\n\r\nSubject: in digest\r\n\r\ndigest one\r\n"
        b"--d\r\nContent-Type: text/plain\r\n\r\nplain in digest\r\n--d--\r\n")
    lf = h.replace(b"\r\n", b"\n")
    add("bare-lf", lf + b"Subject: bare LF\n\nline one\nline two\n")
    add("bare-lf-multipart", lf + b"Subject: bare LF multipart\nMIME-Version: 1.0\n"
        b"Content-Type: multipart/alternative; boundary=b\n\n--b\nContent-Type: text/plain\n\nplain\n"
        b"--b\nContent-Type: text/html\n\n<b>html</b>\n--b--\n")
    add("bare-cr", h + b"Subject: bare CR\r\n\r\nline one\rline two\r\n")
    add("mixed-line-ends", h + b"Subject: mixed\nX-A: b\r\n\nbody\r\nmore\n")
    add("no-body-no-blank-line", h + b"Subject: header only")
    add("no-final-newline", h + b"Subject: no final newline\r\n\r\nlast line")
    add("empty-body", h + b"Subject: empty body\r\n\r\n")
    add("only-body", b"\r\nthere is no header\r\n")
    add("continuation-first-line", b" folded: first line\r\n" + h + b"Subject: odd start\r\n\r\nbody\r\n")
    add("header-no-colon", h + b"This is not a header\r\nSubject: after junk\r\n\r\nbody\r\n")
    add("header-space-before-colon", h + b"Subject : spaced colon\r\nX-Tab\t: tab\r\n\r\nbody\r\n")
    add("duplicate-headers", h + b"Subject: first\r\nSubject: second\r\nDate: Tue, 8 Mar 2022 10:00:00 +0000\r\n"
        b"Message-ID: <one@x>\r\nMessage-ID: <two@x>\r\n\r\nbody\r\n")
    add("encoded-words", h + b"Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?= =?iso-8859-1?b?S/ZsbiBt/GxsZXI=?=\r\n"
        b"X-Bad-B64: =?utf-8?b?!!!notbase64?=\r\nX-Unknown-Charset: =?x-unknown?q?abc?=\r\n"
        b"Cc: =?utf-8?q?Andr=C3=A9?= <andre@example.net>, \"Quoted, Name\" <q@example.net>\r\n\r\nbody\r\n")
    add("encoded-word-in-quoted", b"From: \"=?utf-8?q?J=C3=B6rg?=\" <j@example.org>\r\nTo: a@b\r\n"
        b"Subject: =?utf-8?q?split?==?utf-8?q?_adjacent?=\r\n\r\nbody\r\n")
    add("rfc2231-params", h + b"Subject: RFC 2231\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
        b"Content-Type: application/pdf; name*0*=utf-8''Gr%C3%BC%C3%9F; name*1*=e.pdf\r\n"
        b"Content-Disposition: attachment; filename*=iso-8859-1'de'K%F6ln.pdf; size=12\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\nSGVsbG8gd29ybGQ=\r\n--b--\r\n")
    add("unknown-cte", h + b"Subject: unknown CTE\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n"
        b"Content-Transfer-Encoding: x-uuencode\r\n\r\nbegin 644 x\r\nend\r\n--b\r\n"
        b"Content-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
        b"soft=\r\nbreak =3D and bad =ZZ\r\n--b--\r\n")
    add("base64-garbage", h + b"Subject: broken base64\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        b"R3L8w59l***not base64***\r\nSGVsbG8=\r\nextra==data\r\n")
    add("binary-cte", h + b"Subject: binary CTE\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n"
        + bytes(range(1, 256)) + b"\r\n")
    add("message-rfc822-empty", h + b"Subject: empty attached message\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: message/rfc822\r\n\r\n\r\n--b--\r\n")
    add("message-rfc822-multipart", h + b"Subject: forwarded\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nsee below\r\n"
        b"--b\r\nContent-Type: message/rfc822\r\nContent-Disposition: inline\r\n\r\n"
        b"From: Inner <inner@example.org>\r\nSubject: inner subject\r\nMessage-ID: <inner@example.org>\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=c\r\n\r\n"
        b"--c\r\nContent-Type: text/plain\r\n\r\ninner plain\r\n--c\r\nContent-Type: text/html\r\n\r\n"
        b"<i>inner</i>\r\n--c--\r\n--b--\r\n")
    add("message-global", h + b"Subject: message/global\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: message/global\r\n\r\n" + "Subject: Grüße\r\n\r\nbody\r\n".encode())
    add("content-type-garbage", h + b"Subject: bad content type\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: ;;;=\"\r\nContent-Disposition: \r\n\r\nbody\r\n")
    add("long-line-body", h + b"Subject: long body line\r\n\r\n" + b"z" * 200000 + b"\r\n")
    add("addresses-odd", b"From: undisclosed-recipients:;\r\nTo: Group: a@b, \"c d\" <c@d>;, (comment) e@f\r\n"
        b"Cc: <@route.example:user@example.org>, @@@, \"unterminated\r\nReply-To: \r\n"
        b"Sender: <>\r\nSubject: odd addresses\r\nIn-Reply-To: <a@b> (comment) <c@d>\r\n\r\nbody\r\n")
    add("empty-header-fields", b"From:\r\nTo:\r\nSubject:\r\nDate:\r\nMessage-ID:\r\n\r\nbody\r\n")
    add("date-near-midnight", b"From: a@example.org\r\nDate: Tue, 8 Mar 2022 00:30:00 +0200\r\n"
        b"Subject: sent just after midnight, in UTC the day before\r\n\r\nbody\r\n")
    add("date-odd", b"From: a@example.org\r\nDate: 8 Mar 22 25:61:00 EST\r\nSubject: odd date\r\n\r\nbody\r\n")
    add("date-missing-zone", b"From: a@example.org\r\nDate: Tue, 8 Mar 2022 10:00\r\nSubject: no zone\r\n\r\nbody\r\n")
    add("empty-message", b"")
    return out


def load_messages(args):
    msgs = []
    for corpus in args.corpus:
        if corpus == "hostile":
            items = hostile_messages()
        else:
            items = []
            for rel, path in corpus_files(args.corpora, corpus):
                with open(path, "rb") as f:
                    items.append((rel, crlf(f.read())))
        if args.limit is not None:
            items = items[:args.limit]
        for rel, data in items:
            msgs.append(Message(len(msgs), "%s/%s" % (corpus, rel), data))
    return msgs


# ---------------------------------------------------------------------------
# The IMAP client: raw socket, responses parsed with literals kept as bytes.

class Atom(str):
    """An IMAP atom (as opposed to a string, which is bytes)."""

    def __repr__(self):
        return "Atom(%s)" % str.__repr__(self)


class Literal8(bytes):
    """A string sent as literal8 (~{n}); equal to the same bytes otherwise."""


class ProtocolError(Exception):
    pass


class ConnectionLost(Exception):
    pass


_LITERAL_END = re.compile(rb"~?\{(\d+)\+?\}\r\n$")
_LITERAL_AT = re.compile(rb"(~?)\{(\d+)\+?\}\r\n")
_ATOM_STOP = re.compile(rb"[ ()\[\r\n]")


def parse_values(buf, pos=0, notes=None):
    """Parse IMAP data from buf[pos:] up to CRLF into a list of values: None
    for NIL, int, Atom, bytes (quoted or literal), lists. Iterative, so a
    100-deep BODYSTRUCTURE cannot exhaust the stack."""
    stack = [[]]
    n = len(buf)
    while pos < n:
        c = buf[pos]
        if c == 0x20:
            pos += 1
        elif c == 0x28:                                  # (
            stack.append([])
            pos += 1
        elif c == 0x29:                                  # )
            if len(stack) == 1:
                raise ProtocolError("unbalanced ')' at %d" % pos)
            done = stack.pop()
            stack[-1].append(done)
            pos += 1
        elif c == 0x22:                                  # "
            out = bytearray()
            pos += 1
            while True:
                if pos >= n:
                    raise ProtocolError("unterminated quoted string")
                ch = buf[pos]
                if ch == 0x5c:
                    out.append(buf[pos + 1])
                    pos += 2
                elif ch == 0x22:
                    pos += 1
                    break
                elif ch in (0x0d, 0x0a):
                    raise ProtocolError("CR or LF in a quoted string")
                else:
                    out.append(ch)
                    pos += 1
            if notes is not None and 0 in out:
                notes["NUL in a quoted string"] += 1
            stack[-1].append(bytes(out))
        elif c in (0x7b, 0x7e):                          # { or ~{
            m = _LITERAL_AT.match(buf, pos)
            if not m:
                raise ProtocolError("bad literal at %d: %r" % (pos, bytes(buf[pos:pos + 20])))
            size = int(m.group(2))
            start = m.end()
            data = bytes(buf[start:start + size])
            if m.group(1):
                data = Literal8(data)
            elif notes is not None and 0 in data:
                notes["NUL in a literal (not literal8)"] += 1
            stack[-1].append(data)
            pos = start + size
        elif c == 0x0d:
            break
        else:                                            # atom, maybe with [section]<origin>
            start = pos
            while True:
                m = _ATOM_STOP.search(buf, pos)
                end = m.start() if m else n
                if m and buf[end] == 0x5b:               # [ ... ] may hold spaces and parens
                    close = buf.find(b"]", end)
                    if close < 0:
                        raise ProtocolError("unterminated [ in atom")
                    pos = close + 1
                    continue
                pos = end
                break
            text = bytes(buf[start:pos]).decode("latin-1")
            if text.isdigit():
                stack[-1].append(int(text))
            elif text.upper() == "NIL":
                stack[-1].append(None)
            else:
                stack[-1].append(Atom(text))
    if len(stack) != 1:
        raise ProtocolError("unbalanced '('")
    return stack[0]


class Response:
    """One server response: kind is "+", "*" or "tagged"."""
    __slots__ = ("kind", "tag", "num", "name", "data", "text", "raw")

    def __init__(self, raw, notes=None):
        self.raw = raw
        self.num = None
        self.data = None
        self.text = None
        if raw.startswith(b"+"):
            self.kind, self.tag, self.name = "+", None, "+"
            return
        sp = raw.find(b" ")
        if sp < 0:
            raise ProtocolError("response without a space: %r" % raw[:80])
        self.tag = raw[:sp].decode("latin-1")
        self.kind = "*" if self.tag == "*" else "tagged"
        rest_at = sp + 1
        m = re.match(rb"(\d+) ([A-Za-z]+)", raw[rest_at:rest_at + 40])
        if self.kind == "*" and m:
            self.num = int(m.group(1))
            self.name = m.group(2).decode().upper()
            rest_at += m.end()
        else:
            m = re.match(rb"([A-Za-z0-9.=-]+)", raw[rest_at:rest_at + 40])
            if not m:
                raise ProtocolError("no response name: %r" % raw[:80])
            self.name = m.group(1).decode().upper()
            rest_at += m.end()
        if self.kind == "tagged" or self.name in ("OK", "NO", "BAD", "BYE", "PREAUTH"):
            self.text = raw[rest_at:].strip()
        elif self.name in ("CAPABILITY", "ENABLED"):
            self.data = [Atom(a) for a in raw[rest_at:].decode("latin-1").split()]
        else:
            self.data = parse_values(raw, rest_at, notes)

    def code(self):
        """The response code's atom ("UNKNOWN-CTE") or None."""
        m = re.match(rb"\[([^\] ]+)", self.text or b"")
        return m.group(1).decode("latin-1").upper() if m else None


class Result:
    """A command's outcome: tagged status and code, and its untagged responses."""
    __slots__ = ("status", "code", "text", "untagged")

    def __init__(self, status, code, text, untagged):
        self.status, self.code, self.text, self.untagged = status, code, text, untagged

    def failure(self):
        """The normalized failure ("NO [UNKNOWN-CTE]"), or None when OK."""
        if self.status == "OK":
            return None
        return self.status + (" [%s]" % self.code if self.code else "")


class Lit:
    """A command argument sent as a synchronizing literal; prefix (such as
    "(") goes right before its {n}."""

    def __init__(self, data, prefix=b""):
        self.data = data
        self.prefix = prefix


class Glue(bytes):
    """Command text attached to the previous argument without a space (the
    ")" closing a search-key list: RFC 9051 §9 allows no space before it)."""


def astring(value):
    """A search string as a command argument: quoted when it can be, else a literal."""
    data = value.encode() if isinstance(value, str) else value
    if re.fullmatch(rb"[\x20-\x7e]*", data):
        return b'"' + data.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'
    return Lit(data)


class ImapConn:
    def __init__(self, port, label):
        self.label = label
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT)
        self.buf = bytearray()
        self.seq = 0
        self.notes = collections.Counter()
        greeting = self.read_response()
        if greeting.name not in ("OK", "PREAUTH"):
            raise ProtocolError("%s greeting: %r" % (label, greeting.raw[:200]))
        self.greeting = greeting

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def _fill(self):
        try:
            chunk = self.sock.recv(1 << 20)
        except socket.timeout:
            raise ConnectionLost("%s: no answer within %.0f s" % (self.label, IO_TIMEOUT))
        except OSError as e:
            raise ConnectionLost("%s: %s" % (self.label, e))
        if not chunk:
            raise ConnectionLost("%s closed the connection" % self.label)
        self.buf += chunk

    def read_response(self):
        parts = []
        while True:
            while True:
                i = self.buf.find(b"\r\n")
                if i >= 0:
                    break
                self._fill()
            line = bytes(self.buf[:i + 2])
            del self.buf[:i + 2]
            parts.append(line)
            m = _LITERAL_END.search(line)
            if not m:
                break
            size = int(m.group(1))
            while len(self.buf) < size:
                self._fill()
            parts.append(bytes(self.buf[:size]))
            del self.buf[:size]
        return Response(b"".join(parts), self.notes)

    def command(self, *args):
        """Send one command (args: str, bytes or Lit) and return its Result."""
        self.seq += 1
        tag = "c%d" % self.seq
        chunks = [[tag.encode()]]
        for a in args:
            if isinstance(a, Lit):
                chunks[-1].append(a.prefix + b"{%d}" % len(a.data))
                chunks.append([a.data])
            elif isinstance(a, Glue):
                chunks[-1][-1] = chunks[-1][-1] + bytes(a)
            else:
                chunks[-1].append(a.encode() if isinstance(a, str) else a)
        untagged = []
        try:
            for k, chunk in enumerate(chunks):
                if k == 0:
                    out = b" ".join(chunk)
                else:                                    # literal data, then the rest of the line
                    out = chunk[0] + (b" " + b" ".join(chunk[1:]) if len(chunk) > 1 else b"")
                last = k == len(chunks) - 1
                self.sock.sendall(out + b"\r\n")
                if last:
                    break
                while True:                              # wait for "+" before the literal
                    r = self.read_response()
                    if r.kind == "+":
                        break
                    if r.kind == "tagged" and r.tag == tag:
                        return Result(r.name, r.code(), r.text, untagged)
                    untagged.append(r)
            while True:
                r = self.read_response()
                if r.kind == "tagged" and r.tag == tag:
                    return Result(r.name, r.code(), r.text, untagged)
                if r.kind == "*" and r.name == "BYE":
                    untagged.append(r)
                    # The server is leaving; the tagged answer may still come.
                    continue
                untagged.append(r)
        except OSError as e:
            raise ConnectionLost("%s: %s" % (self.label, e))


# ---------------------------------------------------------------------------
# One server under test.

class Side:
    """One server and its connections: "main" for APPEND and FETCH, "search"
    for STORE, SEARCH, SORT and THREAD. The search connection selects the
    mailbox first after the APPENDs, so it alone sees the messages as
    \\Recent however often the main one had to reconnect."""

    MAX_RECONNECTS = 200

    def __init__(self, label, kind, server):
        self.label = label           # "A" or "B"
        self.kind = kind             # "dovecot" or "petrel"
        self.server = server
        self.port = server.imap_port
        self.conns = {}
        self.caps = set()
        self.seq_of = {}             # message index -> sequence number
        self.append_outcome = {}     # message index -> "OK" or the failure
        self.exists_check = []
        self.index_of = {}           # sequence number -> message index
        self.unsupported = {}        # command name -> the BAD answer that showed it is missing
        self.bad_streak = collections.Counter()
        self.dead = None             # why the side can no longer answer
        self.reconnects = 0
        self.lost = collections.Counter()   # why connections were lost
        self.notes = collections.Counter()

    def name(self):
        return "%s (%s)" % (self.label, self.kind)

    def connect(self, role="main", select=True):
        """(Re)open the connection of a role; ConnectionLost (and the side
        given up) when the server cannot be reached."""
        try:
            self._connect(role, select)
        except (OSError, ConnectionLost, ProtocolError) as e:
            self.dead = "%s: cannot connect: %s" % (self.name(), e)
            raise ConnectionLost(self.dead)

    def _connect(self, role, select):
        old = self.conns.pop(role, None)
        if old:
            self.notes.update(old.notes)
            old.close()
        conn = ImapConn(self.port, self.name())
        r = conn.command("LOGIN", USER, PASSWORD)
        if r.status != "OK":
            raise ProtocolError("%s: LOGIN failed: %s %r" % (self.name(), r.status, r.text))
        r = conn.command("CAPABILITY")
        for u in r.untagged:
            if u.name == "CAPABILITY":
                self.caps = set(a.upper() for a in u.data)
        if select:
            r = conn.command("SELECT", MAILBOX)
            if r.status != "OK":
                raise ProtocolError("%s: SELECT failed: %s %r" % (self.name(), r.status, r.text))
        conn.selected = select
        self.conns[role] = conn

    def close(self):
        for conn in self.conns.values():
            self.notes.update(conn.notes)
            conn.close()
        self.conns = {}

    deadline = None                  # time.monotonic() after which no command is sent

    def run(self, *args, role="main"):
        """A command's Result. A lost connection is reopened (and the command
        tried once more); if it is lost again the command raises
        ConnectionLost and the next one reconnects. The side is given up only
        when it cannot be reached at all, or when the run's deadline passed."""
        if not self.dead and Side.deadline is not None and time.monotonic() > Side.deadline:
            self.dead = "%s: the run's deadline passed; later commands were not sent" % self.name()
        if self.dead:
            raise ConnectionLost(self.dead)
        name = args[1].upper() if args[0].upper() == "UID" else args[0].upper()
        if name in self.unsupported:
            return self.unsupported[name]
        for attempt in (0, 1):
            conn = self.conns.get(role)
            try:
                if conn is None:
                    raise ConnectionLost("not connected")
                r = conn.command(*args)
                break
            except (ConnectionLost, ProtocolError) as e:
                self.lost[re.sub(r"\d+", "N", str(e).replace(self.name() + ": ", ""))] += 1
                self.reconnects += 1
                if self.reconnects > self.MAX_RECONNECTS:
                    self.dead = "%s: more than %d reconnections" % (self.name(), self.MAX_RECONNECTS)
                    raise ConnectionLost(self.dead)
                self.connect(role, select=getattr(conn, "selected", True))
                if attempt:
                    raise ConnectionLost("connection closed")
        if r.status == "BAD" and r.text and b"unknown command" in r.text.lower():
            self.bad_streak[name] += 1
            if self.bad_streak[name] >= BAD_UNKNOWN_STREAK:
                self.unsupported[name] = r
        else:
            self.bad_streak[name] = 0
        return r


# ---------------------------------------------------------------------------
# Normalization and rendering.

MISSING = "<no answer>"


class Failed(tuple):
    """A tagged NO/BAD in place of an item's value."""

    def __new__(cls, text):
        return tuple.__new__(cls, (text,))


def upper_bytes(v):
    return v.upper() if isinstance(v, bytes) else v


def norm_params(p):
    if not isinstance(p, list):
        return p
    out = []
    for i, v in enumerate(p):
        if i % 2 == 0:
            out.append(upper_bytes(v))
        elif isinstance(v, bytes) and i and isinstance(p[i - 1], bytes) and p[i - 1].lower() == b"charset":
            out.append(v.upper())
        else:
            out.append(v)
    return out


def norm_disposition(d):
    if isinstance(d, list) and len(d) >= 1:
        d = list(d)
        d[0] = upper_bytes(d[0])
        if len(d) > 1:
            d[1] = norm_params(d[1])
    return d


def norm_body(b):
    """Case-fold the MIME tokens of a BODY or BODYSTRUCTURE (see NORMALIZATIONS).
    Iterative over message/rfc822 and multipart nesting."""
    if not isinstance(b, list):
        return b
    root = list(b)
    work = [root]
    while work:
        node = work.pop()
        if node and isinstance(node[0], list):        # multipart: parts..., subtype, ext
            k = 0
            while k < len(node) and isinstance(node[k], list):
                node[k] = list(node[k])
                work.append(node[k])
                k += 1
            if k < len(node):
                node[k] = upper_bytes(node[k])        # subtype
            if k + 1 < len(node):
                node[k + 1] = norm_params(node[k + 1])
            if k + 2 < len(node):
                node[k + 2] = norm_disposition(node[k + 2])
            continue
        if len(node) >= 2:
            is_msg = (isinstance(node[0], bytes) and node[0].lower() == b"message" and
                      isinstance(node[1], bytes) and node[1].lower() in (b"rfc822", b"global"))
            is_text = isinstance(node[0], bytes) and node[0].lower() == b"text"
            node[0] = upper_bytes(node[0])
            node[1] = upper_bytes(node[1])
            if len(node) > 2:
                node[2] = norm_params(node[2])
            if len(node) > 5:
                node[5] = upper_bytes(node[5])
            # Disposition index: text 9 (after lines, md5), message 11 (after
            # envelope, body, lines, md5), other 8 (after md5). RFC 9051 §7.5.2.
            disp = 9 if is_text else 8
            if is_msg and len(node) > 8 and isinstance(node[8], list):
                node[8] = list(node[8])
                work.append(node[8])
                disp = 11
            if len(node) > disp:
                node[disp] = norm_disposition(node[disp])
    return root


def norm_key(key):
    """FETCH item name as the response spells it, normalized: upper case
    (atoms and header field names are case-insensitive), single spaces, and
    header field names unquoted (they are astrings: "FROM" is FROM)."""
    key = re.sub(r"\s+", " ", key.upper())
    if '"' in key:
        key = re.sub(r'"((?:[^"\\]|\\.)*)"', lambda m: re.sub(r"\\(.)", r"\1", m.group(1)), key)
    return key


def response_key(item):
    """The FETCH response item that answers a requested item."""
    k = norm_key(item)
    k = k.replace("BODY.PEEK[", "BODY[").replace("BINARY.PEEK[", "BINARY[")
    m = re.match(r"^(.*\])<(\d+)\.\d+>$", k)
    if m:
        k = "%s<%s>" % (m.group(1), m.group(2))
    return k


class Loose:
    """A value compared by what the RFC fixes (key) but shown whole, so a
    difference can be judged: the PREVIEW text, INTERNALDATE as sent."""
    __slots__ = ("key", "shown")

    def __init__(self, key, shown):
        self.key, self.shown = key, shown

    def __eq__(self, other):
        return isinstance(other, Loose) and self.key == other.key

    def __ne__(self, other):
        return not self == other

    __hash__ = None


def preview_check(v):
    """RFC 8970 limits of a PREVIEW value; the text itself is the server's choice."""
    if v is None:
        return "NIL"
    if not isinstance(v, bytes):
        return "not a string: %r" % (v,)
    try:
        text = v.decode("utf-8")
    except UnicodeDecodeError:
        return "not UTF-8"
    if len(text) > 256:
        return "longer than 256 characters"
    if "\r" in text or "\n" in text:
        return "contains CR or LF"
    return "text" if text else "empty"


def normalize_item(item, value):
    if isinstance(value, (Failed, str)) and not isinstance(value, Atom):
        return value
    k = response_key(item)
    if k in ("BODY", "BODYSTRUCTURE"):
        return norm_body(value)
    if k == "PREVIEW":
        return Loose(preview_check(value), value)
    if k == "INTERNALDATE" and isinstance(value, bytes):
        return Loose(internaldate_instant(value), value)
    return value


def internaldate_instant(value):
    """INTERNALDATE as the instant it names (UTC): the zone it is shown in is
    the server's choice (RFC 9051 §2.3.3 does not require the APPEND's zone)."""
    try:
        t = email.utils.parsedate_to_datetime(value.decode("ascii").replace("-", " ", 2))
        return t.astimezone(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    except (ValueError, TypeError, UnicodeDecodeError):
        return value


def render(v, width=96):
    """IMAP-like text of a value, one line per element once it gets long, so
    that unified diffs of big structures stay readable."""
    out = []

    def flat(x):
        if x is None:
            return "NIL"
        if isinstance(x, Failed):
            return "<tagged %s>" % x[0]
        if isinstance(x, Loose):
            return "%s, as sent: %s" % (x.key, flat(x.shown))
        if isinstance(x, (int, Atom)):
            return str(x)
        if isinstance(x, str):
            return x
        if isinstance(x, bytes):
            s = repr(bytes(x))[1:]
            return ("~" if isinstance(x, Literal8) else "") + '"' + s[1:-1].replace('"', '\\"') + '"'
        return "(" + " ".join(flat(e) for e in x) + ")"

    def block(x, ind):
        if isinstance(x, bytes) and (len(x) > width or b"\n" in x):
            out.append("%s{%d bytes}" % (ind, len(x)))
            for line in bytes(x).splitlines(True):
                out.append(ind + "| " + repr(line)[2:-1])
            return
        if isinstance(x, list):
            f = flat(x)
            if len(f) + len(ind) <= width:
                out.append(ind + f)
                return
            out.append(ind + "(")
            for e in x:
                block(e, ind + "  ")
            out.append(ind + ")")
            return
        out.append(ind + flat(x))

    block(v, "")
    return out


# ---------------------------------------------------------------------------
# Comparison bookkeeping.

class Tally:
    def __init__(self, show, per_item, report):
        self.counts = collections.OrderedDict()
        self.show = show
        self.per_item = per_item
        self.report = report
        self.shown = collections.Counter()
        self.details = []
        self.known_used = collections.Counter()
        self.known_lines = []
        self.unexplained = 0

    def category(self, cat):
        return self.counts.setdefault(cat, collections.Counter())

    def compare(self, cat, msg_name, item, a, b, labels):
        c = self.category(cat)
        c["compared"] += 1
        if a is MISSING or isinstance(a, Failed):
            c["A failed"] += 1
        if a == b:
            c["equal"] += 1
            return True
        if isinstance(a, Failed) and "SERVERBUG" in a[0] and not isinstance(b, Failed):
            # Dovecot's internal error is no reference answer.
            reason = "Dovecot answered NO [SERVERBUG] (its own failure): nothing to compare"
            c["known"] += 1
            self.known_used[-1] += 1
            if self.known_used[-1] <= 3:
                self.known_lines.append("differs deliberately: %s %s: %s" % (msg_name, item, reason))
            return False
        if isinstance(a, Failed) and "SERVERBUG" in a[0] and isinstance(b, Failed) \
                and b[0].split()[:2] == ["NO", "[PARSE]"]:
            c["known"] += 1
            self.known_used[-1] += 1
            return False
        for k, (mglob, iglob, reason) in enumerate(KNOWN_DIFFERENCES):
            if isinstance(mglob, Moved):
                name_ok = cat == "SORT" and mglob.explains(a, b)
            elif cat in ("SORT", "THREAD"):
                name_ok = False         # whole lists: only an exact Moved(...) explains them
            elif mglob == "@no-date":
                name_ok = msg_name in NO_DATE
            else:
                name_ok = fnmatch.fnmatchcase(msg_name, mglob)
            if name_ok and fnmatch.fnmatchcase(item, iglob):
                c["known"] += 1
                self.known_used[k] += 1
                if self.known_used[k] <= 3:
                    self.known_lines.append("differs deliberately: %s %s: %s" % (msg_name, item, reason))
                return False
        c["different"] += 1
        self.unexplained += 1
        want = len(self.details) < self.show and self.shown[cat] < self.per_item
        if want or self.report:
            la, lb = render(a), render(b)
            diff = list(difflib.unified_diff(la, lb, labels[0], labels[1], n=2, lineterm=""))
            text = ["DIFF %s  %s" % (msg_name, item)]
            text += ["  " + line for line in diff[:80]]
            if len(diff) > 80:
                text.append("  ... %d more diff lines" % (len(diff) - 80))
            if want:
                self.shown[cat] += 1
                self.details.append("\n".join(text))
            if self.report:
                self.report.write("\n".join(text) + "\n\n")
        return False


def fetch_category(key):
    """Counting bucket of a FETCH response key: section numbers replaced by n."""
    k = re.sub(r"\[(\d+(\.\d+)*)", "[n", key)
    k = re.sub(r"\(.*\)", "(...)", k)
    k = re.sub(r"<\d+>", "<partial>", k)
    return k


# ---------------------------------------------------------------------------
# The phases. Each runs on both sides at once (one thread per side) and
# records answers; the comparison happens after.

def both(sides, fn):
    """Run fn(side) for each side in parallel; re-raise the first exception."""
    errors = []

    def run(side):
        try:
            fn(side)
        except ConnectionLost as e:
            if not side.dead:
                errors.append((side, e))
            # else: the side is gone for good; its missing answers count as
            # differences and the report says why.
        except BaseException as e:            # noqa: B902 - reported below
            errors.append((side, e))

    threads = [threading.Thread(target=run, args=(s,)) for s in sides]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        side, e = errors[0]
        raise RuntimeError("%s: %s: %s" % (side.name(), type(e).__name__, e)) from e


def phase_append(side, msgs, inject):
    """APPEND every message in order; remember which were taken and their numbers."""
    side.connect("main", select=False)
    outcome = {}
    for m in msgs:
        data = m.data
        if inject and side.label == "B" and m.index == inject:
            data = b"X-Injected: difference\r\n" + data
        try:
            r = side.run("APPEND", MAILBOX, '"%s"' % m.date, Lit(data))
            outcome[m.index] = r.failure() or "OK"
        except ConnectionLost as e:
            outcome[m.index] = Failed(str(e))
    side.connect("search", select=True)       # first to select: sees every message as \Recent
    side.connect("main", select=True)
    taken = [m.index for m in msgs if outcome[m.index] == "OK"]
    side.seq_of = dict((idx, seq) for seq, idx in enumerate(taken, 1))
    side.index_of = dict((seq, idx) for idx, seq in side.seq_of.items())
    side.append_outcome = outcome
    r = side.run("NOOP")
    side.exists_check = [u.num for u in r.untagged if u.name == "EXISTS"]
    r = side.run("STATUS", MAILBOX, "(MESSAGES)", role="search")
    side.messages = None
    for u in r.untagged:
        if u.name == "STATUS" and len(u.data) >= 2 and isinstance(u.data[1], list):
            st = u.data[1]
            for k in range(0, len(st) - 1, 2):
                if str(st[k]).upper() == "MESSAGES":
                    side.messages = st[k + 1]


def fetch_items(side, idx, items, answers):
    """FETCH items of one message; answers[(idx, item)] gets the normalized
    value, a Failed, or MISSING."""
    seq = side.seq_of.get(idx)
    if seq is None:
        for it in items:
            answers[(idx, it)] = Failed("not appended")
        return None
    try:
        r = side.run("FETCH", str(seq), "(" + " ".join(items) + ")")
    except ConnectionLost as e:
        for it in items:
            answers[(idx, it)] = Failed(str(e) if side.dead else "connection closed")
        return None
    got = {}
    for u in r.untagged:
        if u.name == "FETCH" and u.num == seq and isinstance(u.data, list) and u.data and isinstance(u.data[0], list):
            lst = u.data[0]
            for k in range(0, len(lst) - 1, 2):
                if isinstance(lst[k], Atom):
                    got[norm_key(lst[k])] = lst[k + 1]
    fail = r.failure()
    for it in items:
        key = response_key(it)
        if key in got:
            answers[(idx, it)] = normalize_item(it, got[key])
        else:
            answers[(idx, it)] = Failed(fail) if fail else MISSING
    return r


def parts_of(bs):
    """(part number, kind) of every numbered part of a BODYSTRUCTURE, depth
    first; kind is "multipart", "message" or "leaf" (RFC 9051 §6.4.5: a
    non-multipart message body is part 1; a message/rfc822 part N has the
    parts N.1... of its encapsulated body)."""
    def join(num, k):
        return "%s.%d" % (num, k) if num else str(k)
    out = []
    work = [("body", bs, "")]
    while work:
        what, node, num = work.pop()
        if not isinstance(node, list) or not node:
            continue
        multipart = isinstance(node[0], list)
        if what == "body" and not multipart:
            what, num = "part", join(num, 1)
        is_msg = (not multipart and len(node) > 8 and isinstance(node[0], bytes)
                  and node[0].lower() == b"message" and isinstance(node[1], bytes)
                  and node[1].lower() in (b"rfc822", b"global"))
        if what == "part":
            out.append((num, "multipart" if multipart else "message" if is_msg else "leaf"))
        if multipart:
            kids = []
            for child in node:
                if not isinstance(child, list):
                    break
                kids.append(child)
            for k in reversed(range(len(kids))):
                work.append(("part", kids[k], join(num, k + 1)))
        elif is_msg and isinstance(node[8], list):
            work.append(("body", node[8], num))
    return out


def section_items(parts):
    """FETCH items for the parts: every part's content and MIME header, the
    header and text of message/rfc822 parts, a partial of part 1."""
    huge = len(parts) > MAX_PARTS
    if huge:
        parts = parts[:40] + parts[-20:]
    body, binary = [], []
    for num, kind in parts:
        body.append("BODY.PEEK[%s]" % num)
        body.append("BODY.PEEK[%s.MIME]" % num)
        if kind == "message":
            body.append("BODY.PEEK[%s.HEADER]" % num)
            body.append("BODY.PEEK[%s.TEXT]" % num)
            body.append("BODY.PEEK[%s.HEADER.FIELDS (FROM SUBJECT)]" % num)
        if kind == "leaf":
            binary.append("BINARY.SIZE[%s]" % num)
            binary.append("BINARY.PEEK[%s]" % num)
    if parts:
        body.append("BODY.PEEK[1]<0.100>")
    if huge:
        # Dovecot decodes the whole message again for each BINARY.SIZE
        # (0.25 s each on a 10,000-part message): a few are enough there.
        binary = binary[:6] + binary[-4:]
    return body, binary


STRUCT_ITEMS = ["ENVELOPE", "BODY", "BODYSTRUCTURE", "RFC822.SIZE", "INTERNALDATE"]
CONTENT_ITEMS = ["BODY.PEEK[HEADER]", "BODY.PEEK[TEXT]", "BODY.PEEK[HEADER.FIELDS (FROM SUBJECT)]",
                 "BODY.PEEK[HEADER.FIELDS.NOT (FROM SUBJECT RECEIVED)]",
                 "BODY.PEEK[]<0.100>", "BODY.PEEK[]<50.100>", "BODY.PEEK[TEXT]<0.100>",
                 "BODY.PEEK[]<100000000.10>"]


def fetch_each(side, idx, items, answers):
    """FETCH items together; if the command fails (one unknown transfer
    encoding fails them all, RFC 3516 §4.3 NO [UNKNOWN-CTE]; one item the
    server does not know makes it BAD), ask for each item alone so that
    every item gets its own answer."""
    r = fetch_items(side, idx, items, answers)
    if r is not None and r.status != "OK" and len(items) > 1 and not side.unsupported.get("FETCH"):
        for it in items:
            fetch_items(side, idx, [it], answers)


def phase_fetch_structure(side, msgs, items, answers):
    for m in msgs:
        fetch_each(side, m.index, items, answers)


def phase_fetch_sections(side, plan, answers):
    """plan: (idx, body items, binary items) per message."""
    for idx, body, binary in plan:
        for k in range(0, len(body), SECTION_CHUNK):
            fetch_each(side, idx, body[k:k + SECTION_CHUNK], answers)
        if binary:
            fetch_each(side, idx, binary, answers)


FLAG_PLAN = [("\\Seen", 3, 0), ("\\Flagged", 5, 0), ("\\Answered", 7, 0), ("\\Draft", 11, 0),
             ("\\Deleted", 13, 0), ("$Label1", 4, 0), ("Petrel_Test", 6, 1)]


def seqset(nums):
    nums = sorted(nums)
    out = []
    k = 0
    while k < len(nums):
        j = k
        while j + 1 < len(nums) and nums[j + 1] == nums[j] + 1:
            j += 1
        out.append(str(nums[k]) if j == k else "%d:%d" % (nums[k], nums[j]))
        k = j + 1
    return ",".join(out)


def phase_flags(side, msgs, answers):
    for flag, mod, rem in FLAG_PLAN:
        seqs = [side.seq_of[m.index] for m in msgs if m.index % mod == rem and m.index in side.seq_of]
        if seqs:
            r = side.run("STORE", seqset(seqs), "+FLAGS.SILENT", "(%s)" % flag, role="search")
            answers[("store", flag)] = r.failure() or "OK"
    if side.seq_of:
        r = side.run("FETCH", "1:*", "(FLAGS)", role="search")
        for u in r.untagged:
            if u.name == "FETCH" and isinstance(u.data, list) and u.data and isinstance(u.data[0], list):
                lst = u.data[0]
                for k in range(0, len(lst) - 1, 2):
                    if isinstance(lst[k], Atom) and lst[k].upper() == "FLAGS" and u.num in side.index_of:
                        answers[(side.index_of[u.num], "FLAGS")] = sorted(
                            str(f).upper() if str(f).startswith("\\") else str(f) for f in lst[k + 1])


# ---------------------------------------------------------------------------
# SEARCH, SORT, THREAD.

class S:
    """A search string argument (sent quoted or as a literal)."""

    def __init__(self, text):
        self.text = text


def query_args(q):
    """(command arguments, charset needed) of a query given as tokens, "("
    and ")" as tokens of their own; on the wire they touch their neighbours
    (RFC 9051 §9: "(" search-key *(SP search-key) ")")."""
    args, utf8, opening = [], False, b""
    for t in q:
        if t == "(":
            opening += b"("
            continue
        if t == ")":
            args.append(Glue(b")"))
            continue
        a = astring(t.text) if isinstance(t, S) else t.encode()
        if isinstance(a, Lit):
            utf8 = True
            a.prefix = opening
        else:
            a = opening + a
        opening = b""
        args.append(a)
    return args, utf8


def query_name(q):
    text = " ".join('"%s"' % t.text if isinstance(t, S) else t for t in q)
    return text.replace("( ", "(").replace(" )", ")")


WORD_RE = re.compile(r"[^\W\d_]{5,20}", re.UNICODE)


def decoded(value):
    try:
        return str(email.header.make_header(email.header.decode_header(value)))
    except Exception:
        return str(value)


def corpus_words(msgs):
    """Words for SEARCH: from decoded subjects, addresses and text parts, as
    found by Python's own email package (an independent parser)."""
    subj, addr, body, nonascii, nonascii_subj, encoded = (collections.Counter() for _ in range(6))
    for m in msgs:
        if len(m.data) > 400000 or not m.data:
            continue
        try:
            e = email.message_from_bytes(m.data)
        except Exception:
            continue
        s = e.get("Subject")
        if s is not None:
            raw = str(s)
            text = decoded(raw)
            for w in set(WORD_RE.findall(text)):
                subj[w] += 1
                if not w.isascii():
                    nonascii_subj[w] += 1
                if "=?" in raw and w not in raw:
                    encoded[w] += 1
        for h in ("From", "To", "Cc"):
            for name, a in email.utils.getaddresses([str(v) for v in e.get_all(h, [])]):
                for w in set(WORD_RE.findall(decoded(name)) + re.findall(r"[a-z0-9]{5,}", a.lower())):
                    addr[(h, w)] += 1
        n = 0
        for part in e.walk():
            if part.get_content_maintype() != "text" or n > 2:
                continue
            n += 1
            try:
                payload = part.get_payload(decode=True) or b""
                text = payload.decode(part.get_content_charset() or "us-ascii", "strict")
            except Exception:
                continue
            for w in set(WORD_RE.findall(text[:20000])):
                body[w] += 1
                if not w.isascii():
                    nonascii[w] += 1
    return subj, addr, body, nonascii, nonascii_subj, encoded


def pick(counter, k, rnd, lo=2, hi=None):
    """k keys that occur in lo..hi messages, chosen reproducibly."""
    hi = hi or 10 ** 9
    keys = sorted(key for key, c in counter.items() if lo <= c <= hi)
    if len(keys) <= k:
        return keys
    return rnd.sample(keys, k)


def build_queries(msgs, quick):
    rnd = random.Random(20240605)
    subj, addr, body, nonascii, nonascii_subj, encoded = corpus_words(msgs)
    total = len(msgs)
    hi = max(3, total // 3)
    q = [["ALL"], ["ANSWERED"], ["UNANSWERED"], ["DELETED"], ["UNDELETED"], ["DRAFT"], ["UNDRAFT"],
         ["FLAGGED"], ["UNFLAGGED"], ["SEEN"], ["UNSEEN"], ["RECENT"], ["NEW"], ["OLD"],
         ["KEYWORD", "$Label1"], ["UNKEYWORD", "$Label1"], ["KEYWORD", "Petrel_Test"],
         ["KEYWORD", "Never_Set"], ["UNKEYWORD", "Never_Set"],
         ["1:10"], ["*"], ["5,7,9:12"], ["10:5"], ["NOT", "1:20"], ["UID", "1:20"], ["UID", "*"],
         ["UID", "3,5:7"], ["1:*"],
         ["LARGER", "2000"], ["SMALLER", "2000"], ["LARGER", "100000"], ["SMALLER", "500"],
         ["LARGER", "0"],
         ["BEFORE", "1-Feb-2020"], ["SINCE", "1-Jan-2021"], ["ON", "15-Mar-2020"],
         ["SINCE", "1-Feb-2020", "BEFORE", "1-Mar-2020"],
         ["SENTBEFORE", "1-Jan-2000"], ["SENTSINCE", "1-Jan-2002"], ["SENTON", "26-Aug-2002"],
         ["SENTSINCE", "1-Aug-2002", "SENTBEFORE", "1-Sep-2002"], ["SENTON", "7-Mar-2022"],
         # date-near-midnight: 8 Mar 00:30 +0200 is 7 Mar in UTC (RFC 9051 §6.4.4:
         # "disregarding time and timezone").
         ["SENTON", "8-Mar-2022"], ["SENTBEFORE", "8-Mar-2022"], ["SENTSINCE", "8-Mar-2022"],
         ["HEADER", S("Message-ID"), S("")], ["HEADER", S("References"), S("")],
         ["HEADER", S("In-Reply-To"), S("")], ["HEADER", S("List-Id"), S("")],
         ["HEADER", S("X-Mailer"), S("Microsoft")], ["HEADER", S("Content-Type"), S("multipart")],
         ["HEADER", S("Content-Type"), S("boundary")], ["HEADER", S("X-Nonexistent-Field"), S("")],
         ["HEADER", S("MIME-Version"), S("1.0")], ["HEADER", S("X-Injected"), S("")],
         ["SUBJECT", S("")], ["SUBJECT", S("re:")], ["SUBJECT", S("[")],
         ["FROM", S("@")], ["TO", S("example")], ["BCC", S("")],
         ["BODY", S("")], ["TEXT", S("subject")],
         ["NOT", "SEEN", "FLAGGED"], ["OR", "SEEN", "FLAGGED"], ["OR", "OR", "SEEN", "DRAFT", "DELETED"],
         ["(", "SEEN", "FLAGGED", ")"], ["NOT", "(", "SEEN", "OR", "FLAGGED", "ANSWERED", ")"],
         ["(", "(", "NOT", "DELETED", ")", ")"], ["OR", "(", "SEEN", "LARGER", "3000", ")", "UID", "1:5"],
         ["NOT", "NOT", "SEEN"], ["SEEN", "NOT", "SEEN"]]
    n = 3 if quick else 8
    for w in pick(subj, n, rnd, 2, hi):
        q.append(["SUBJECT", S(w)])
    for w in pick(subj, 2, rnd, 2, hi):
        q.append(["SUBJECT", S(w.upper())])                  # case-insensitive match
    for (h, w) in pick(addr, n * 2, rnd, 2, hi):
        q.append([h.upper(), S(w)])
    for w in pick(body, n, rnd, 2, hi):
        q.append(["BODY", S(w)])
    for w in pick(body, n, rnd, 2, hi):
        q.append(["TEXT", S(w)])
    for w in pick(body, 2, rnd, 2, hi):
        q.append(["BODY", S(w.upper())])
    for w in pick(nonascii, n, rnd, 1):
        q.append(["TEXT", S(w)])
    for w in pick(nonascii_subj, n, rnd, 1):
        q.append(["SUBJECT", S(w)])
        q.append(["SUBJECT", S(w.upper())])
    for w in pick(nonascii, 2, rnd, 1):
        q.append(["BODY", S(w.upper())])
    for w in pick(encoded, n, rnd, 1):
        q.append(["SUBJECT", S(w)])
    q += [["SUBJECT", S("Grüße")], ["SUBJECT", S("GRÜSSE")], ["SUBJECT", S("grüße")],
          ["BODY", S("Grüße")], ["FROM", S("Jörg")], ["TEXT", S("日本語")], ["SUBJECT", S("Köln")],
          ["HEADER", S("X-Note"), S("café")], ["CC", S("André")]]
    words = pick(subj, 2, rnd, 2, hi) + pick(body, 2, rnd, 2, hi)
    if len(words) >= 4:
        q += [["OR", "SUBJECT", S(words[0]), "BODY", S(words[2])],
              ["NOT", "TEXT", S(words[3])],
              ["(", "SUBJECT", S(words[1]), "OR", "FLAGGED", "SEEN", ")"],
              ["OR", "(", "SUBJECT", S(words[0]), "NOT", "SEEN", ")", "(", "BODY", S(words[3]), "1:50", ")"]]
    if quick:
        q = q[::2]
    return q


SORT_KEYS = ["ARRIVAL", "CC", "DATE", "FROM", "SIZE", "SUBJECT", "TO", "DISPLAYFROM", "DISPLAYTO"]


def sort_queries():
    out = []
    for k in SORT_KEYS:
        out.append(["(%s)" % k, "UTF-8", "ALL"])
        out.append(["(REVERSE %s)" % k, "UTF-8", "ALL"])
    out += [["(SUBJECT REVERSE DATE)", "UTF-8", "ALL"], ["(FROM SIZE)", "UTF-8", "ALL"],
            ["(DATE)", "US-ASCII", "FLAGGED"], ["(REVERSE ARRIVAL)", "UTF-8", "NOT", "SEEN"]]
    return out


THREAD_QUERIES = [["ORDEREDSUBJECT", "UTF-8", "ALL"], ["REFERENCES", "UTF-8", "ALL"],
                  ["REFERENCES", "UTF-8", "UNSEEN"], ["ORDEREDSUBJECT", "US-ASCII", "1:100"]]


def thread_tree(lst):
    """RFC 5256 §4 thread-list to nodes (message or None, [children]):
    "(1 2 (3)(4))" is 1 parent of 2, whose children are 3 and 4."""
    def conv(t):
        if not isinstance(t, list):
            return (t, [])
        nums = []
        k = 0
        while k < len(t) and not isinstance(t[k], list):
            nums.append(t[k])
            k += 1
        children = [conv(x) for x in t[k:]]
        if not nums:
            return (None, children)
        node = (nums[-1], children)
        for n in reversed(nums[:-1]):
            node = (n, [node])
        return node
    return [conv(t) for t in lst]


def map_tree(nodes, index_of, names):
    def m(node):
        msg, kids = node
        label = "(dummy)" if msg is None else names.get(index_of.get(msg), "seq %s?" % msg)
        return [label, [m(k) for k in kids]]
    return [m(n) for n in nodes]


def tree_lines(nodes):
    out = []
    work = [(n, 0) for n in reversed(nodes)]
    while work:
        (label, kids), depth = work.pop()
        out.append("  " * depth + label)
        for k in reversed(kids):
            work.append((k, depth + 1))
    return out


def phase_search(side, queries, sorts, threads, names, answers):
    for q in queries:
        args, utf8 = query_args(q)
        cmd = (["CHARSET", "UTF-8"] if utf8 else []) + args
        try:
            r = side.run(role="search", *(["SEARCH"] + cmd))
        except ConnectionLost as e:
            answers[("SEARCH", query_name(q))] = Failed(str(e))
            continue
        if r.failure():
            answers[("SEARCH", query_name(q))] = Failed(r.failure())
            continue
        found = set()
        for u in r.untagged:
            if u.name == "SEARCH":
                found.update(x for x in u.data if isinstance(x, int))
        answers[("SEARCH", query_name(q))] = set(side.index_of.get(s, -s) for s in found)
    for q in sorts:
        name = " ".join(q)
        try:
            r = side.run(role="search", *(["SORT"] + q))
        except ConnectionLost as e:
            answers[("SORT", name)] = Failed(str(e))
            continue
        if r.failure():
            answers[("SORT", name)] = Failed(r.failure())
            continue
        seqs = []
        for u in r.untagged:
            if u.name == "SORT":
                seqs += [x for x in u.data if isinstance(x, int)]
        answers[("SORT", name)] = [names.get(side.index_of.get(s), "seq %d?" % s) for s in seqs]
    for q in threads:
        name = " ".join(q)
        try:
            r = side.run(role="search", *(["THREAD"] + q))
        except ConnectionLost as e:
            answers[("THREAD", name)] = Failed(str(e))
            continue
        if r.failure():
            answers[("THREAD", name)] = Failed(r.failure())
            continue
        data = []
        for u in r.untagged:
            if u.name == "THREAD":
                data += u.data
        answers[("THREAD", name)] = map_tree(thread_tree(data), side.index_of, names)


# ---------------------------------------------------------------------------

def ensure_corpora(args):
    need = [c for c in args.corpus if c != "hostile"]
    if not need:
        return None
    missing = [c for c in need if not os.path.isdir(os.path.join(args.corpora, c))]
    if missing:
        run = subprocess.run([os.path.join(REPO, "scripts", "fetch-corpora"), args.corpora],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=600)
        if run.returncode != 0:
            return "scripts/fetch-corpora failed: %s" % run.stdout.decode(errors="replace").strip()[-500:]
    return None


def start_side(label, kind, stack):
    if kind == "dovecot":
        # imap_fetch_failure: answer NO [SERVERBUG] for a message Dovecot
        # cannot decode (a broken base64 part under BINARY) instead of
        # dropping the connection, so the difference shows as an answer.
        server = dovecot_server.DovecotServer(users={USER: PASSWORD}, name=label.lower(),
                                              settings={"imap_fetch_failure": "no-after"})
    else:
        server = petrel_server.PetrelServer(config={"max_bad_commands": "1000", "log_level": "warn"},
                                            users={USER: PASSWORD}, tls=False)
    server.__enter__()
    stack.append(server)
    return Side(label, kind, server)


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--against", choices=["petrel", "dovecot"], default="petrel",
                    help="side B: petrel (default) or a second Dovecot (self-test: must show no difference)")
    ap.add_argument("--corpora", default=os.path.join(REPO, "build", "corpora"),
                    help="cache of scripts/fetch-corpora (fetched there when missing)")
    ap.add_argument("--corpus", action="append", choices=CORPORA,
                    help="only this corpus (repeatable; default all)")
    ap.add_argument("--limit", type=int, help="at most N messages per corpus")
    ap.add_argument("--quick", action="store_true",
                    help="a quick subset: 20 messages per corpus (unless --limit) and half the queries")
    ap.add_argument("--items", default="fetch,sections,flags,search,sort,thread",
                    help="what to compare (comma list of fetch, sections, flags, search, sort, thread)")
    ap.add_argument("--show", type=int, default=30, help="differences shown in detail (default 30)")
    ap.add_argument("--per-item", type=int, default=3, help="of which at most this many per item kind")
    ap.add_argument("--report", help="write every difference in detail to this file")
    ap.add_argument("--deadline", type=float, default=DEFAULT_DEADLINE,
                    help="seconds after which no more commands are sent (default %.0f)" % DEFAULT_DEADLINE)
    ap.add_argument("--inject-diff", action="store_true",
                    help="self-test: side B gets one message with an extra header line")
    args = ap.parse_args(argv)
    args.corpus = args.corpus or list(CORPORA)
    if args.quick and args.limit is None:
        args.limit = 20
    args.wanted = set(x.strip() for x in args.items.split(",") if x.strip())
    bad = args.wanted - {"fetch", "sections", "flags", "search", "sort", "thread"}
    if bad:
        ap.error("unknown --items: %s" % ", ".join(sorted(bad)))
    return args


def compare_all(args, msgs, names, sides, tally, inject):
    """Run the phases on both sides and feed every comparison to tally."""
    a, b = sides
    labels = ("A: %s" % a.kind, "B: %s" % b.kind)
    ans = {"A": {}, "B": {}}
    wanted = args.wanted

    def timed(what, fn):
        t = time.monotonic()
        both(sides, fn)
        print("  %-22s %6.1f s" % (what, time.monotonic() - t), flush=True)

    timed("append", lambda s: phase_append(s, msgs, inject))
    for m in msgs:
        tally.compare("APPEND", m.name, "APPEND", a.append_outcome.get(m.index, MISSING),
                      b.append_outcome.get(m.index, MISSING), labels)
    problems = []
    for s in sides:
        if s.exists_check and s.exists_check[-1] != len(s.seq_of):
            problems.append("%s: %d APPENDs answered OK but the mailbox has %d messages"
                            % (s.name(), len(s.seq_of), s.exists_check[-1]))
    common = [m for m in msgs if m.index in a.seq_of and m.index in b.seq_of]

    struct_items = list(STRUCT_ITEMS)
    content_items = list(CONTENT_ITEMS)
    if "PREVIEW" in a.caps and "PREVIEW" in b.caps:
        content_items.append("PREVIEW")
    elif "PREVIEW" in a.caps:
        print("  PREVIEW: not compared, side B does not advertise it")

    def compare_fetch(items_for):
        for m in common:
            for it in items_for(m):
                key = response_key(it)
                va = ans["A"].get((m.index, it), MISSING)
                vb = ans["B"].get((m.index, it), MISSING)
                tally.compare(fetch_category(key), m.name, key, va, vb, labels)

    if wanted & {"fetch", "sections"}:
        timed("fetch structure", lambda s: phase_fetch_structure(s, common, struct_items + content_items,
                                                                 ans[s.label]))
        compare_fetch(lambda m: struct_items + (content_items if "fetch" in wanted else []))
    if "sections" in wanted:
        # The same sections are asked of both: every part either side's
        # BODYSTRUCTURE shows.
        plan = []
        for m in common:
            parts, seen = [], set()
            for side in "AB":
                bs = ans[side].get((m.index, "BODYSTRUCTURE"))
                if isinstance(bs, list):
                    for p in parts_of(bs):
                        if p[0] not in seen:
                            seen.add(p[0])
                            parts.append(p)
            body, binary = section_items(parts)
            plan.append((m.index, body, binary))
        items_of = dict((idx, body + binary) for idx, body, binary in plan)
        timed("fetch sections", lambda s: phase_fetch_sections(s, plan, ans[s.label]))
        compare_fetch(lambda m: items_of[m.index])
    if wanted & {"flags", "search", "sort", "thread"}:
        timed("store flags", lambda s: phase_flags(s, msgs, ans[s.label]))
        for flag, _, _ in FLAG_PLAN:
            va, vb = ans["A"].get(("store", flag), MISSING), ans["B"].get(("store", flag), MISSING)
            tally.compare("STORE", "*", "STORE +FLAGS (%s)" % flag, va, vb, labels)
        if "flags" in wanted:
            for m in common:
                tally.compare("FLAGS", m.name, "FLAGS", ans["A"].get((m.index, "FLAGS"), MISSING),
                              ans["B"].get((m.index, "FLAGS"), MISSING), labels)
    if wanted & {"search", "sort", "thread"}:
        queries = build_queries(msgs, args.quick) if "search" in wanted else []
        sorts = sort_queries() if "sort" in wanted else []
        threads = THREAD_QUERIES if "thread" in wanted else []
        timed("search/sort/thread", lambda s: phase_search(s, queries, sorts, threads, names, ans[s.label]))
        only_common = set(m.index for m in common)
        for q in queries:
            item = "SEARCH " + query_name(q)
            va, vb = ans["A"].get(("SEARCH", query_name(q)), MISSING), ans["B"].get(("SEARCH", query_name(q)), MISSING)
            if isinstance(va, set) and isinstance(vb, set):
                va, vb = va & only_common, vb & only_common
                if va == vb:
                    tally.compare("SEARCH", "*", item, 0, 0, labels)
                    continue
                # Attribute the difference to each message found by one side only.
                for idx in sorted(va ^ vb):
                    tally.compare("SEARCH", names.get(idx, "?"), item,
                                  "found" if idx in va else "not found",
                                  "found" if idx in vb else "not found", labels)
            else:
                tally.compare("SEARCH", "*", item, va if not isinstance(va, set) else "(%d found)" % len(va),
                              vb if not isinstance(vb, set) else "(%d found)" % len(vb), labels)
        keep = set(names[i] for i in only_common)
        for q in sorts:
            name = " ".join(q)
            va, vb = ans["A"].get(("SORT", name), MISSING), ans["B"].get(("SORT", name), MISSING)
            va = [x for x in va if x in keep] if isinstance(va, list) else va
            vb = [x for x in vb if x in keep] if isinstance(vb, list) else vb
            tally.compare("SORT", "*", "SORT " + name, va, vb, labels)
        for q in threads:
            name = " ".join(q)
            va, vb = ans["A"].get(("THREAD", name), MISSING), ans["B"].get(("THREAD", name), MISSING)
            va = tree_lines(va) if isinstance(va, list) else va
            vb = tree_lines(vb) if isinstance(vb, list) else vb
            tally.compare("THREAD", "*", "THREAD " + name, va, vb, labels)
    # Protocol slips the parser noticed (a NUL outside literal8): compared
    # as counts, after every connection's notes are in.
    for s in sides:
        s.close()
    for note in sorted(set(a.notes) | set(b.notes)):
        tally.compare("protocol", "*", note, a.notes[note], b.notes[note], labels)
    return problems


def main(argv=None):
    args = parse_args(argv)
    ok, why = dovecot_server.available()
    if not ok:
        print("SKIP: %s: %s" % (SUITE, why))
        print("%s: 0 passed, 0 failed, 1 skipped" % SUITE)
        return 0
    err = ensure_corpora(args)
    if err:
        print("%s: cannot get the corpora: %s" % (SUITE, err))
        print("%s: 0 passed, 1 failed" % SUITE)
        return 1

    t0 = time.monotonic()
    Side.deadline = t0 + args.deadline
    msgs = load_messages(args)
    names = dict((m.index, m.name) for m in msgs)
    per_corpus = collections.Counter(m.name.split("/", 1)[0] for m in msgs)
    print("%s: %d messages (%s); A: Dovecot %s, B: %s" % (
        SUITE, len(msgs), ", ".join("%s %d" % kv for kv in per_corpus.items()), why.split()[0], args.against))
    print("normalized: %s (see NORMALIZATIONS); %d known differences listed"
          % (", ".join(n for n, _ in NORMALIZATIONS), len(KNOWN_DIFFERENCES)))
    inject = None
    if args.inject_diff:
        inject = min(len(msgs) - 1, 3)
        print("injected difference: side B gets an extra header line in %s" % names[inject])

    report = open(args.report, "w") if args.report else None
    tally = Tally(args.show, args.per_item, report)
    servers, sides, failures = [], [], []
    try:
        try:
            sides.append(start_side("A", "dovecot", servers))
            sides.append(start_side("B", args.against, servers))
        except (dovecot_server.ServerError, petrel_server.ServerError) as e:
            failures.append("cannot start a server: %s" % e)
        if len(sides) == 2:
            failures += compare_all(args, msgs, names, sides, tally, inject)
    except RuntimeError as e:
        failures.append("harness stopped: %s" % e)
    except Exception:                         # a bug here must still end with a summary line
        import traceback
        traceback.print_exc(file=sys.stdout)
        failures.append("harness error (traceback above)")
    finally:
        for s in sides:
            s.close()
        for server in reversed(servers):
            problems = server.stop()
            server.cleanup()
            failures += ["%s: %s" % (type(server).__name__, p) for p in problems]
        if report:
            report.close()

    # -- report -----------------------------------------------------------------
    elapsed = time.monotonic() - t0
    for s in sides:
        for cmd, r in s.unsupported.items():
            print("%s: answers %s to %s (%s): every %s item counts as different"
                  % (s.name(), r.status, cmd, (r.text or b"").decode(errors="replace"), cmd))
        if s.dead:
            print("%s: gave up: %s" % (s.name(), s.dead))
            failures.append("%s stopped answering: %s" % (s.name(), s.dead))
        if s.reconnects:
            print("%s: reconnected %d times; connections lost: %s" % (
                s.name(), s.reconnects, "; ".join("%s (%d)" % kv for kv in s.lost.most_common(5))))
    if tally.details:
        print()
        print("First differences (A: Dovecot; B: %s)%s:" % (
            args.against, "" if not args.report else "; all of them in %s" % args.report))
        for d in tally.details:
            print(d)
    if tally.known_lines:
        print()
        for line in tally.known_lines:
            print(line)
        for k, n in sorted(tally.known_used.items()):
            if n > 3:
                print("differs deliberately: %d differences in all for %s %s" % ((n,) + KNOWN_DIFFERENCES[k][:2]))
    stale = [k for k in range(len(KNOWN_DIFFERENCES)) if not tally.known_used[k]]
    if stale and not args.limit and args.corpus == list(CORPORA):
        print()
        for k in stale:
            print("known difference not seen in this run (stale?): %s %s" % KNOWN_DIFFERENCES[k][:2])
    print()
    # "A failed": Dovecot gave no value (a NO, BAD, lost connection or no
    # such item), so the comparison is of failures only.
    print("%-30s %9s %9s %9s %9s %9s" % ("item", "compared", "equal", "different", "known", "A failed"))
    passed = failed = 0
    for cat, c in tally.counts.items():
        print("%-30s %9d %9d %9d %9d %9d" % (cat, c["compared"], c["equal"], c["different"], c["known"],
                                             c["A failed"]))
        if c["different"]:
            failed += 1
        else:
            passed += 1
    for f in failures:
        print("FAIL: %s" % f)
    failed += len(failures)
    print("%d unexplained differences; %.0f s" % (tally.unexplained, elapsed))
    print("%s: %d passed, %d failed" % (SUITE, passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
