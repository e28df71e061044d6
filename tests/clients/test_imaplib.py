#!/usr/bin/env python3
"""Python's imaplib as a second, independent client of petrel.

The transcripts say what the server sends; this says a real client library
can use it: greeting and capabilities, STARTTLS, implicit TLS, LOGIN,
AUTHENTICATE PLAIN and SCRAM-SHA-256. Loopback only. Last line:
`imaplib: N passed, N failed`.
"""

import base64
import hashlib
import hmac
import imaplib
import os
import sqlite3
import ssl
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import petrel_server  # noqa: E402

HOST = "127.0.0.1"
TIMEOUT = 10
FAST_FAILURES = {"auth_failure_delay_ms": "200"}


def scram_sha256(user, password):
    """An imaplib authobject doing the client side of SCRAM-SHA-256
    (RFC 5802, RFC 7677), and a dict telling whether the server proved it
    knows the password too."""
    cnonce = base64.b64encode(os.urandom(18)).decode()
    first_bare = "n=%s,r=%s" % (user, cnonce)
    state = {"step": 0, "server_verified": False}

    def step(challenge):
        state["step"] += 1
        if state["step"] == 1:               # empty initial challenge: no SASL-IR in imaplib
            return ("n,," + first_bare).encode()
        if state["step"] == 2:               # server-first: r=, s=, i=
            server_first = challenge.decode()
            attrs = dict(kv.split("=", 1) for kv in server_first.split(","))
            if not attrs["r"].startswith(cnonce):
                return None                  # imaplib sends "*" to cancel
            salted = hashlib.pbkdf2_hmac("sha256", password.encode(),
                                         base64.b64decode(attrs["s"]), int(attrs["i"]))
            client_key = hmac.new(salted, b"Client Key", "sha256").digest()
            without_proof = "c=biws,r=" + attrs["r"]
            auth_message = ",".join((first_bare, server_first, without_proof)).encode()
            signature = hmac.new(hashlib.sha256(client_key).digest(), auth_message, "sha256").digest()
            proof = bytes(a ^ b for a, b in zip(client_key, signature))
            server_key = hmac.new(salted, b"Server Key", "sha256").digest()
            state["expected_v"] = "v=" + base64.b64encode(
                hmac.new(server_key, auth_message, "sha256").digest()).decode()
            return (without_proof + ",p=" + base64.b64encode(proof).decode()).encode()
        if challenge.decode() != state.get("expected_v"):   # server-final
            return None
        state["server_verified"] = True
        return b""

    return step, state


class ServerTestCase(unittest.TestCase):
    """One server per class; its clean shutdown is checked in tearDownClass."""
    config = FAST_FAILURES
    users = None

    @classmethod
    def setUpClass(cls):
        cls.server = petrel_server.PetrelServer(config=cls.config, users=cls.users)
        try:
            cls.server.start()
        except BaseException:
            cls.server.cleanup()
            raise
        cls.ctx = ssl.create_default_context(cafile=cls.server.cert)

    @classmethod
    def tearDownClass(cls):
        problems = cls.server.stop()
        cls.server.cleanup()
        if problems:
            raise AssertionError("; ".join(problems))

    def imap(self):
        conn = imaplib.IMAP4(HOST, self.server.imap_port, timeout=TIMEOUT)
        self.addCleanup(self.shutdown, conn)
        return conn

    def imap_ssl(self):
        conn = imaplib.IMAP4_SSL(HOST, self.server.imaps_port, ssl_context=self.ctx, timeout=TIMEOUT)
        self.addCleanup(self.shutdown, conn)
        return conn

    @staticmethod
    def shutdown(conn):
        try:
            conn.shutdown()
        except OSError:
            pass


class LoopbackTest(ServerTestCase):
    def test_capability_login_noop_logout(self):
        m = self.imap()
        for cap in ("IMAP4REV2", "IMAP4REV1", "STARTTLS", "AUTH=PLAIN", "AUTH=SCRAM-SHA-256"):
            self.assertIn(cap, m.capabilities)
        self.assertNotIn("LOGINDISABLED", m.capabilities)
        self.assertTrue(m.welcome.startswith(b"* OK [CAPABILITY IMAP4rev2 "), m.welcome)
        typ, data = m.login("alice", "alice-secret")
        self.assertEqual(typ, "OK")
        typ, data = m.capability()
        self.assertEqual(typ, "OK")
        self.assertEqual(data[0].split(), [
            b"IMAP4rev2", b"IMAP4rev1", b"LITERAL+", b"ID", b"ENABLE", b"IDLE", b"UIDPLUS",
            b"MOVE", b"UNSELECT", b"NAMESPACE", b"CHILDREN", b"LIST-EXTENDED", b"LIST-STATUS",
            b"SPECIAL-USE", b"CREATE-SPECIAL-USE", b"MULTIAPPEND", b"APPENDLIMIT=67108864",
            b"STATUS=SIZE", b"BINARY", b"ESEARCH", b"SEARCHRES", b"SORT", b"SORT=DISPLAY",
            b"ESORT", b"THREAD=ORDEREDSUBJECT", b"THREAD=REFERENCES", b"WITHIN", b"PREVIEW",
            b"SAVEDATE", b"OBJECTID", b"CONDSTORE", b"QRESYNC", b"QUOTA", b"QUOTA=RES-STORAGE",
            b"QUOTA=RES-MESSAGE", b"QUOTA=RES-MAILBOX", b"METADATA", b"ACL", b"RIGHTS=texk",
            b"LIST-MYRIGHTS"])
        self.assertEqual(m.noop()[0], "OK")
        typ, data = m.logout()
        self.assertEqual(typ, "BYE")

    def test_starttls(self):
        m = self.imap()
        typ, _ = m.starttls(ssl_context=self.ctx)
        self.assertEqual(typ, "OK")
        self.assertEqual(m.sock.version(), "TLSv1.3")
        self.assertNotIn("STARTTLS", m.capabilities)   # imaplib asked again after the handshake
        self.assertEqual(m.login("alice", "alice-secret")[0], "OK")
        self.assertEqual(m.logout()[0], "BYE")

    def test_imaps(self):
        m = self.imap_ssl()
        self.assertNotIn("STARTTLS", m.capabilities)
        self.assertEqual(m.login("alice", "alice-secret")[0], "OK")
        self.assertEqual(m.noop()[0], "OK")
        self.assertEqual(m.logout()[0], "BYE")

    def test_authenticate_plain(self):
        m = self.imap()
        typ, _ = m.authenticate("PLAIN", lambda challenge: b"\0alice\0alice-secret")
        self.assertEqual(typ, "OK")
        self.assertEqual(m.state, "AUTH")
        self.assertEqual(m.logout()[0], "BYE")

    def test_authenticate_scram(self):
        m = self.imap()
        step, state = scram_sha256("alice", "alice-secret")
        self.assertEqual(m.authenticate("SCRAM-SHA-256", step)[0], "OK")
        self.assertTrue(state["server_verified"], "server signature not checked")

    def test_wrong_password(self):
        m = self.imap()
        with self.assertRaises(imaplib.IMAP4.error) as cm:
            m.login("alice", "not-the-secret")
        self.assertIn("AUTHENTICATIONFAILED", str(cm.exception))
        # The connection is still usable.
        self.assertEqual(m.login("alice", "alice-secret")[0], "OK")

    def test_wrong_password_plain(self):
        m = self.imap()
        with self.assertRaises(imaplib.IMAP4.error):
            m.authenticate("PLAIN", lambda challenge: b"\0alice\0wrong")

    def test_wrong_password_scram(self):
        m = self.imap()
        step, state = scram_sha256("alice", "wrong")
        with self.assertRaises(imaplib.IMAP4.error):
            m.authenticate("SCRAM-SHA-256", step)
        self.assertFalse(state["server_verified"])


class InsecureLoopbackTest(ServerTestCase):
    """treat_loopback_as_insecure: the client sees what a remote one would."""
    config = dict(FAST_FAILURES, treat_loopback_as_insecure="yes")

    def test_login_refused_until_starttls(self):
        m = self.imap()
        self.assertIn("LOGINDISABLED", m.capabilities)
        self.assertNotIn("AUTH=PLAIN", m.capabilities)
        with self.assertRaises(imaplib.IMAP4.error) as cm:
            m.login("alice", "alice-secret")
        self.assertIn("PRIVACYREQUIRED", str(cm.exception))
        m.starttls(ssl_context=self.ctx)
        self.assertNotIn("LOGINDISABLED", m.capabilities)
        self.assertIn("AUTH=PLAIN", m.capabilities)
        self.assertEqual(m.login("alice", "alice-secret")[0], "OK")

    def test_scram_without_tls(self):
        m = self.imap()
        step, state = scram_sha256("alice", "alice-secret")
        self.assertEqual(m.authenticate("SCRAM-SHA-256", step)[0], "OK")
        self.assertTrue(state["server_verified"])


class MailboxTest(ServerTestCase):
    """The mailbox commands as Python's imaplib drives them: its own
    parsing of LIST, STATUS, APPENDUID/COPYUID and untagged responses."""

    def login(self):
        m = self.imap()
        self.assertEqual(m.login("alice", "alice-secret")[0], "OK")
        return m

    def multiappend(self, m, mailbox, messages):
        """One MULTIAPPEND (RFC 3502) with LITERAL+ literals; asserts OK."""
        tag = m._new_tag()
        parts = b"".join(b" {%d+}\r\n%s" % (len(msg), msg) for msg in messages)
        m.send(tag + b" APPEND " + mailbox + parts + b"\r\n")
        while True:
            line = m.readline()
            if line.startswith(tag):
                self.assertIn(b" OK ", line)
                return

    def test_default_mailboxes_and_create_rename_delete(self):
        m = self.login()
        typ, data = m.list()
        self.assertEqual(typ, "OK")
        # The class shares one server: leave out what the other test made.
        data = [line for line in data if not line.endswith(b' "/" Lab')]
        self.assertEqual(data, [
            b'(\\HasNoChildren) "/" INBOX',
            b'(\\HasNoChildren \\Archive) "/" Archive',
            b'(\\HasNoChildren \\Drafts) "/" Drafts',
            b'(\\HasNoChildren \\Junk) "/" Junk',
            b'(\\HasNoChildren \\Sent) "/" Sent',
            b'(\\HasNoChildren \\Trash) "/" Trash'])
        self.assertEqual(m.create("Projects/2026")[0], "OK")
        self.assertEqual(m.list('""', "Projects*")[1], [
            b'(\\HasChildren) "/" Projects', b'(\\HasNoChildren) "/" Projects/2026'])
        self.assertEqual(m.rename("Projects", "Work")[0], "OK")
        self.assertEqual(m.list('""', "Work/%")[1], [b'(\\HasNoChildren) "/" Work/2026'])
        self.assertEqual(m.create("Work")[0], "NO")
        self.assertEqual(m.delete("Work/2026")[0], "OK")
        self.assertEqual(m.delete("Work")[0], "OK")
        self.assertEqual(m.list('""', "Work*")[1], [None])
        self.assertEqual(m.select("Nonexistent")[0], "NO")
        m.logout()

    def test_append_select_store_copy_move_expunge(self):
        m = self.login()
        self.assertEqual(m.create("Lab")[0], "OK")
        msg = b"From: a@example.org\r\nSubject: test\r\n\r\nHello\r\n"
        typ, data = m.append("Lab", "(\\Seen)", None, msg)
        self.assertEqual(typ, "OK")
        self.assertRegex(data[0], rb"^\[APPENDUID \d+ 1\] APPEND completed$")
        big = b"Subject: big\r\n\r\n" + b"0123456789abcdef" * 65536 + b"\r\n"
        self.assertRegex(m.append("Lab", None, None, big)[1][0], rb"^\[APPENDUID \d+ 2\]")
        typ, data = m.status("Lab", "(MESSAGES UNSEEN SIZE UIDNEXT)")
        self.assertEqual(data, [b"Lab (MESSAGES 2 UNSEEN 1 SIZE %d UIDNEXT 3)" % (len(msg) + len(big))])
        typ, data = m.select("Lab")
        self.assertEqual((typ, data), ("OK", [b"2"]))
        self.assertEqual(m.response("UIDNEXT")[1], [b"3"])
        typ, data = m.store("1:2", "+FLAGS", "(\\Flagged)")
        self.assertEqual(data, [b"1 (FLAGS (\\Flagged \\Seen \\Recent))",
                                b"2 (FLAGS (\\Flagged \\Recent))"])
        typ, data = m.copy("1:2", "Archive")
        self.assertEqual(typ, "OK")
        self.assertRegex(data[0], rb"^\[COPYUID \d+ 1:2 1:2\] COPY completed$")
        self.assertEqual(m.store("1", "+FLAGS.SILENT", "(\\Deleted)")[0], "OK")
        typ, data = m.expunge()
        self.assertEqual((typ, data), ("OK", [b"1"]))
        typ, data = m._simple_command("MOVE", "1", "Trash")
        self.assertEqual(typ, "OK")
        self.assertEqual(m.status("Trash", "(MESSAGES)")[1], [b"Trash (MESSAGES 1)"])
        self.assertEqual(m.status("Archive", "(MESSAGES)")[1], [b"Archive (MESSAGES 2)"])
        self.assertEqual(m.close()[0], "OK")
        m.logout()

    def test_fetch_search_sort_thread(self):
        """What a client reads: whole messages (a 1 MiB one streamed in
        steps), sections, a NUL as literal8 in BINARY, SEARCH and SORT."""
        m = self.login()
        self.assertEqual(m.create("Reading")[0], "OK")
        one = (b"From: Ann <ann@example.org>\r\nSubject: first\r\n"
               b"Date: Mon, 7 Feb 1994 21:52:25 -0800\r\nMessage-ID: <a@x>\r\n"
               b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
               b"--b\r\nContent-Type: text/plain\r\n\r\nhello world\r\n--b\r\n"
               b"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n"
               b"\r\nAGhpAA==\r\n--b--\r\n")
        two = (b"From: Bob <bob@example.org>\r\nSubject: Re: first\r\n"
               b"Date: Tue, 8 Feb 1994 10:00:00 +0000\r\nIn-Reply-To: <a@x>\r\n\r\n"
               + b"line of text\r\n" * 80000)
        for msg in (one, two):
            self.assertEqual(m.append("Reading", None, None, msg)[0], "OK")
        self.assertEqual(m.select("Reading")[0], "OK")
        typ, data = m.fetch("1:2", "(BODY.PEEK[])")
        self.assertEqual(typ, "OK")
        self.assertEqual([data[0][1], data[2][1]], [one, two])
        typ, data = m.fetch("1", "(BODY.PEEK[1] BINARY.PEEK[2] BINARY.SIZE[2])")
        self.assertEqual(data[0][1], b"hello world")
        self.assertEqual(data[1][1], b"\x00hi\x00")
        self.assertIn(b"BINARY.SIZE[2] 4", data[-1])
        typ, data = m.fetch("1", "(ENVELOPE)")
        self.assertEqual(data, [b'1 (ENVELOPE ("Mon, 7 Feb 1994 21:52:25 -0800" "first" '
                                b'(("Ann" NIL "ann" "example.org")) (("Ann" NIL "ann" "example.org")) '
                                b'(("Ann" NIL "ann" "example.org")) NIL NIL NIL NIL "<a@x>"))'])
        self.assertEqual(m.search(None, "BODY", "WORLD"), ("OK", [b"1"]))
        self.assertEqual(m.search(None, "TEXT", '"line of text"'), ("OK", [b"2"]))
        self.assertEqual(m.search(None, "OR", "FROM", "ann", "SUBJECT", "re:"), ("OK", [b"1 2"]))
        self.assertEqual(m.search(None, "SENTBEFORE", "8-Feb-1994"), ("OK", [b"1"]))
        self.assertEqual(m.sort("(REVERSE DATE)", "UTF-8", "ALL"), ("OK", [b"2 1"]))
        self.assertEqual(m.thread("REFERENCES", "UTF-8", "ALL"), ("OK", [b"(1 2)"]))
        typ, data = m.fetch("2", "(FLAGS)")
        self.assertEqual(data, [b"2 (FLAGS (\\Recent))"])
        self.assertEqual(m.fetch("2", "(RFC822.TEXT)")[0], "OK")   # sets \Seen
        self.assertEqual(m.search(None, "SEEN"), ("OK", [b"2"]))
        self.assertEqual(m.close()[0], "OK")
        m.logout()

    def test_long_responses(self):
        """SEARCH, SORT and THREAD answers longer than any command line
        (12,000 numbers, ~70 KB) go out whole (a bench run once found them
        aborting the server)."""
        m = self.login()
        self.assertEqual(m.create("Many")[0], "OK")
        msg = b"Subject: s\r\n\r\nx\r\n"
        for start in range(0, 12000, 1000):
            self.multiappend(m, b"Many", [msg] * 1000)
        self.assertEqual(m.select("Many"), ("OK", [b"12000"]))
        typ, data = m.search(None, "ALL")
        self.assertEqual(data[0].split(), [b"%d" % i for i in range(1, 12001)])
        typ, data = m.sort("(SUBJECT)", "UTF-8", "BODY", "x")
        self.assertEqual(len(data[0].split()), 12000)
        typ, data = m.thread("ORDEREDSUBJECT", "UTF-8", "ALL")
        self.assertEqual(data[0].count(b"("), 12000)   # (1 (2)(3)...(12000))
        self.assertEqual(m.close()[0], "OK")
        m.logout()

    def test_search_index_catches_up(self):
        """Delivered text is indexed apart from delivery, on a worker of
        its own: after a burst of 3,000 messages the indexer brings
        text_pending under one batch (256) by itself, and SEARCH gives the
        same answer all along, from whichever table holds the text."""
        m = self.login()
        self.assertEqual(m.create("Burst")[0], "OK")
        for start in range(0, 3000, 500):
            self.multiappend(m, b"Burst", [
                b"Subject: burst %d\r\n\r\nbody %s\r\n" % (i, b"zanzibar" if i % 7 == 0 else b"plain")
                for i in range(start, start + 500)])
        self.assertEqual(m.select("Burst"), ("OK", [b"3000"]))
        want = [b" ".join(b"%d" % (i + 1) for i in range(0, 3000, 7))]
        user_dir = os.path.join(self.server.data, "users", "alice")
        seen_pending = []
        deadline = time.monotonic() + 60
        while True:
            self.assertEqual(m.search(None, "BODY", "zanzibar"), ("OK", want))
            self.assertEqual(m.search(None, "SUBJECT", '"burst 2999"'), ("OK", [b"3000"]))
            db = sqlite3.connect("file:%s/store.db?mode=ro" % user_dir, uri=True)
            pending = db.execute("SELECT count(*) FROM text_pending").fetchone()[0]
            db.close()
            seen_pending.append(pending)
            if pending < 256:
                break
            self.assertLess(time.monotonic(), deadline, "indexer stuck: %r" % seen_pending[-5:])
            time.sleep(0.1)
        db = sqlite3.connect("file:%s/search.db?mode=ro" % user_dir, uri=True)
        indexed = db.execute("SELECT count(*) FROM text_index WHERE text_index MATCH"
                             " '\"zan\" AND \"iba\"'").fetchone()[0]
        db.close()
        self.assertGreaterEqual(indexed, 428 - 256 // 7 - 1)
        self.assertEqual(m.close()[0], "OK")
        m.logout()


class QuotaTest(ServerTestCase):
    """QUOTA (RFC 9208) as imaplib drives it: getquotaroot() and getquota()
    parse petrel's answers; an APPEND past the limit raises nothing but
    returns NO with [OVERQUOTA]; setquota() is refused."""
    config = dict(FAST_FAILURES, quota_messages="2", quota_storage="1M")

    def test_quota(self):
        m = self.imap()
        self.assertEqual(m.login("alice", "alice-secret")[0], "OK")
        caps = m.capability()[1][0].split()
        self.assertIn(b"QUOTA", caps)
        self.assertNotIn(b"QUOTASET", caps)
        typ, data = m.getquotaroot("INBOX")
        self.assertEqual(typ, "OK")
        self.assertEqual(data, [[b'INBOX ""'], [b'"" (STORAGE 0 1024 MESSAGE 0 2)']])
        msg = b"Subject: q\r\n\r\n" + b"x" * 2048 + b"\r\n"
        self.assertEqual(m.append("INBOX", None, None, msg)[0], "OK")
        self.assertEqual(m.append("INBOX", None, None, msg)[0], "OK")
        typ, data = m.append("INBOX", None, None, msg)
        self.assertEqual((typ, data), ("NO", [b"[OVERQUOTA] Quota exceeded"]))
        self.assertEqual(m.getquota('""'), ("OK", [b'"" (STORAGE 5 1024 MESSAGE 2 2)']))
        typ, data = m.setquota('""', "(STORAGE 2048)")
        self.assertEqual(typ, "NO")
        self.assertTrue(data[0].startswith(b"[NOPERM]"), data)
        m.logout()


class MetadataTest(ServerTestCase):
    """METADATA (RFC 5464) with bytes imaplib sends as they are: a binary
    value set by literal8 comes back as a literal8, byte for byte; a value
    with CR LF as a literal; a session's /private entries are its user's."""

    def command(self, m, data):
        """Sends one command (bytes, CRLF added); [untagged lines], tagged line."""
        tag = m._new_tag()
        m.send(tag + b" " + data + b"\r\n")
        untagged = []
        while True:
            line = m.readline()
            if line.startswith(tag + b" "):
                return untagged, line.rstrip(b"\r\n")
            untagged.append(line)

    def test_values(self):
        m = self.imap()
        self.assertEqual(m.login("alice", "alice-secret")[0], "OK")
        binary = bytes(range(256))
        _, tagged = self.command(m, b"SETMETADATA INBOX (/private/vendor/t/bin ~{256+}\r\n" +
                                 binary + b" /shared/vendor/t/lines {8+}\r\none\r\ntwo)")
        self.assertIn(b" OK ", tagged)
        untagged, tagged = self.command(
            m, b"GETMETADATA INBOX (/private/vendor/t/bin /shared/vendor/t/lines)")
        self.assertIn(b" OK ", tagged)
        self.assertEqual(b"".join(untagged),
                         b"* METADATA INBOX (/private/vendor/t/bin ~{256}\r\n" + binary +
                         b" /shared/vendor/t/lines {8}\r\none\r\ntwo)\r\n")
        # ENABLE METADATA: nothing to enable (RFC 5464 defines no ENABLE).
        untagged, tagged = self.command(m, b"ENABLE METADATA")
        self.assertEqual(untagged, [b"* ENABLED\r\n"])
        self.assertIn(b" OK ", tagged)
        m.logout()


class SharingTest(ServerTestCase):
    """Shared mailboxes (RFC 4314 ACL, RFC 2342 NAMESPACE) through imaplib's
    own setacl(), getacl(), myrights() and namespace(): alice shares Team
    with bob, who finds it under "Other Users/alice/", reads it with his own
    \\Seen, is told of alice's new mail by NOOP, and copies from it into his
    INBOX; what he holds no rights on stays invisible."""
    users = {"bob": "bob-secret", "carol": "carol-secret"}

    def test_sharing(self):
        a = self.imap()
        self.assertEqual(a.login("alice", "alice-secret")[0], "OK")
        caps = a.capability()[1][0].split()
        for cap in (b"ACL", b"RIGHTS=texk", b"LIST-MYRIGHTS", b"NAMESPACE"):
            self.assertIn(cap, caps)
        self.assertEqual(a.create("Team")[0], "OK")
        self.assertEqual(a.create("Private")[0], "OK")
        msg = b"Subject: for the team\r\n\r\nhello\r\n"
        self.assertEqual(a.append("Team", None, None, msg)[0], "OK")
        self.assertEqual(a.setacl("Team", "bob", "lrswi"), ("OK", [b"SETACL completed"]))
        self.assertEqual(a.getacl("Team"), ("OK", [b"Team bob lrswi"]))
        self.assertEqual(a.myrights("Team"), ("OK", [b"Team lrswipkxteacd"]))

        b = self.imap()
        self.assertEqual(b.login("bob", "bob-secret")[0], "OK")
        self.assertEqual(b.namespace(), ("OK", [b'(("" "/")) (("Other Users/" "/")) (("Shared/" "/"))']))
        typ, data = b.list('""', '"Other Users/*"')
        self.assertEqual((typ, data), ("OK", [b'(\\Noselect \\HasChildren) "/" "Other Users/alice"',
                                              b'(\\HasNoChildren) "/" "Other Users/alice/Team"']))
        self.assertEqual(b.myrights('"Other Users/alice/Team"'),
                         ("OK", [b'"Other Users/alice/Team" lrswi']))
        typ, data = b.status('"Other Users/alice/Private"', "(MESSAGES)")
        self.assertEqual(typ, "NO")
        self.assertTrue(data[0].startswith(b"[NONEXISTENT]"), data)
        self.assertEqual(b.select('"Other Users/alice/Team"'), ("OK", [b"1"]))
        typ, data = b.fetch("1", "(FLAGS BODY[TEXT])")
        self.assertEqual(typ, "OK")
        self.assertIn(b"\\Seen", data[0][0])
        self.assertEqual(data[0][1], b"hello\r\n")
        # bob's \\Seen is his: alice still has the message unread.
        self.assertEqual(a.select("Team")[0], "OK")
        self.assertEqual(a.fetch("1", "FLAGS"), ("OK", [b"1 (FLAGS ())"]))
        # alice's new message reaches bob's session.
        self.assertEqual(a.append("Team", None, None, b"Subject: two\r\n\r\nx\r\n")[0], "OK")
        typ, data = b.noop()
        self.assertEqual(typ, "OK")
        self.assertIn(b"2", b.untagged_responses.get("EXISTS", [b""]))
        # Into bob's own INBOX, between the two stores.
        typ, data = b.copy("1:2", "INBOX")
        self.assertEqual(typ, "OK", data)
        self.assertTrue(data[0].startswith(b"[COPYUID "), data)
        self.assertEqual(b.status("INBOX", "(MESSAGES)"), ("OK", [b"INBOX (MESSAGES 2)"]))
        # Rights taken away take effect at the next command.
        self.assertEqual(a.deleteacl("Team", "bob")[0], "OK")
        typ, data = b.fetch("1", "BODY.PEEK[]")
        self.assertEqual(typ, "NO")
        self.assertTrue(data[0].startswith(b"[NONEXISTENT]"), data)
        # Probing users who share nothing (one unknown, one who never had
        # mail) says NONEXISTENT, makes no store and logs no error.
        for name in ('"Other Users/ghost/INBOX"', '"Other Users/carol/INBOX"'):
            typ, data = b.select(name)
            self.assertEqual(typ, "NO")
            self.assertTrue(data[0].startswith(b"[NONEXISTENT]"), data)
        self.assertFalse(os.path.exists(os.path.join(self.server.data, "users", "carol")))
        self.assertNotIn("cannot open store", self.server.stderr())
        b.logout()
        a.logout()


class PublicMailboxTest(ServerTestCase):
    """Public mailboxes (RFC 2342's shared namespace, "Shared/"), made by
    the administrator with `petrel mailbox create --public` and given rights
    with `petrel acl set --public`, used by three users through imaplib:
    alice administers Shared/Team (a), bob reads and writes it with his own
    \\Seen, carol only reads it; a top-level public mailbox is the
    administrator's to make, a child is anyone's holding k on the parent."""
    users = {"bob": "bob-secret", "carol": "carol-secret"}

    def cli(self, *args):
        run = subprocess.run([self.server.binary] + list(args) + ["--data", self.server.data],
                             capture_output=True, timeout=TIMEOUT)
        self.assertEqual(run.returncode, 0, run.stderr)
        return run.stdout.decode()

    def login(self, user):
        m = self.imap()
        self.assertEqual(m.login(user, user + "-secret")[0], "OK")
        return m

    def test_public(self):
        self.cli("mailbox", "create", "--public", "Team")
        self.cli("mailbox", "create", "--public", "Board")
        self.assertEqual(self.cli("acl", "set", "--public", "Team", "authenticated", "lr"),
                         "authenticated lr\n")
        self.cli("acl", "set", "--public", "Team", "alice", "lrswipkxtea")
        self.cli("acl", "set", "--public", "Team", "bob", "lrswite")
        a, b, c = self.login("alice"), self.login("bob"), self.login("carol")
        self.assertEqual(c.namespace(), ("OK", [b'(("" "/")) (("Other Users/" "/")) (("Shared/" "/"))']))
        self.assertEqual(c.list('""', '"Shared/*"'), ("OK", [b'(\\HasNoChildren) "/" Shared/Team']))
        self.assertEqual(c.list('""', '"%"')[1][-1], b'(\\Noselect \\HasChildren) "/" Shared')
        msg = b"Subject: minutes\r\n\r\nagreed\r\n"
        typ, data = a.append("Shared/Team", None, None, msg)
        self.assertEqual(typ, "OK")
        self.assertTrue(data[0].startswith(b"[APPENDUID "), data)
        # alice holds a: she shares further, and sees the whole list.
        self.assertEqual(a.setacl("Shared/Team", "carol", "+s")[0], "OK")
        self.assertEqual(a.getacl("Shared/Team"), ("OK", [
            b"Shared/Team alice lrswipkxteacd authenticated lr bob lrswited carol s"]))
        self.assertEqual(b.getacl("Shared/Team")[0], "NO")
        # k on the parent makes a child; nobody makes a top-level one.
        self.assertEqual(a.create("Shared/Team/2026")[0], "OK")
        typ, data = a.create("Shared/Other")
        self.assertEqual((typ, data[0][:8]), ("NO", b"[NOPERM]"))
        typ, data = b.create("Shared/Team/Bobs")
        self.assertEqual((typ, data[0][:8]), ("NO", b"[NOPERM]"))
        # Board has no entry: as if it did not exist, for everyone.
        for m in (a, b, c):
            typ, data = m.status("Shared/Board", "(MESSAGES)")
            self.assertEqual((typ, data[0][:13]), ("NO", b"[NONEXISTENT]"))
        # bob reads it (his \Seen), carol's view stays unread.
        self.assertEqual(b.select("Shared/Team"), ("OK", [b"1"]))
        self.assertEqual(b.fetch("1", "(FLAGS BODY[TEXT])")[1][0][0],
                         b"1 (FLAGS (\\Seen \\Recent) BODY[TEXT] {8}")
        self.assertEqual(c.status("Shared/Team", "(MESSAGES UNSEEN)"),
                         ("OK", [b"Shared/Team (MESSAGES 1 UNSEEN 1)"]))
        # carol: lr + s, no i: APPEND refused; s alone makes SELECT
        # read-write (RFC 4314 §4), and her \Seen is kept.
        self.assertEqual(c.select("Shared/Team"), ("OK", [b"1"]))
        self.assertEqual(c.response("READ-WRITE"), ("READ-WRITE", [b""]))
        typ, data = c.append("Shared/Team", None, None, msg)
        self.assertEqual((typ, data[0][:8]), ("NO", b"[NOPERM]"))
        self.assertEqual(c.fetch("1", "(BODY[TEXT])")[0], "OK")
        self.assertEqual(c.status("Shared/Team", "(UNSEEN)"), ("OK", [b"Shared/Team (UNSEEN 0)"]))
        self.assertEqual(a.status("Shared/Team", "(UNSEEN)"), ("OK", [b"Shared/Team (UNSEEN 1)"]))
        # alice's new message reaches bob's selected session.
        self.assertEqual(a.append("Shared/Team", None, None, b"Subject: two\r\n\r\nx\r\n")[0], "OK")
        self.assertEqual(b.noop()[0], "OK")
        self.assertIn(b"2", b.untagged_responses.get("EXISTS", [b""]))
        # bob subscribes; LIST (SUBSCRIBED) carries the public name.
        self.assertEqual(b.subscribe("Shared/Team")[0], "OK")
        typ, data = b._simple_command("LSUB", '""', '"Shared/*"')
        self.assertEqual(b._untagged_response(typ, data, "LSUB"),
                         ("OK", [b'() "/" Shared/Team']))
        for m in (a, b, c):
            m.logout()
        self.assertEqual(self.cli("mailbox", "list", "--public"),
                         "Board\nINBOX\nTeam\nTeam/2026\n")


class IndexStepsAsideTest(ServerTestCase):
    """The search indexer steps aside while a user's deliveries are under
    way (user-index.c), at most index_delay_max seconds, and catches up by
    itself once they end, with SEARCH exact all along. The flood is one
    session's pipelined LITERAL+ APPENDs, sent faster than the server
    stores them, for FLOOD_S seconds."""
    FLOOD_S = 3.0
    config = dict(FAST_FAILURES, index_delay_max="60")

    def login(self):
        m = self.imap()
        self.assertEqual(m.login("alice", "alice-secret")[0], "OK")
        return m

    def flood(self, m, mailbox):
        """Pipelined APPENDs for FLOOD_S seconds (a writer thread; this
        one reads the answers); returns how many, all answered OK, and the
        rows search.db's text_store held when the last OK came."""
        chunk = b"".join(b"%s APPEND %s {%d+}\r\n%s\r\n" % (
            b"F%d" % i, mailbox, len(msg), msg) for i, msg in enumerate(
                b"Subject: flood %d\r\n\r\nbody %s\r\n" % (
                    i, b"quokka" if i % 5 == 0 else b"plain") for i in range(100)))
        sent = []

        def writer():
            deadline = time.monotonic() + self.FLOOD_S
            while time.monotonic() < deadline:
                m.sock.sendall(chunk)
                sent.append(100)
        thread = threading.Thread(target=writer)
        thread.start()
        done = 0
        while thread.is_alive() or done < 100 * len(sent):
            line = m.readline()
            self.assertTrue(line, "connection closed")
            if line.startswith(b"F"):
                self.assertIn(b" OK ", line)
                done += 1
        thread.join()
        self.assertEqual(done, 100 * len(sent))
        return done, self.text_rows()

    def rows(self, db_file, table):
        path = os.path.join(self.server.data, "users", "alice", db_file)
        db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
        try:
            return db.execute("SELECT count(*) FROM %s" % table).fetchone()[0]
        finally:
            db.close()

    def text_rows(self):
        return self.rows("search.db", "text_store")

    def pending_rows(self):
        return self.rows("store.db", "text_pending")

    def catch_up(self, m, count):
        """SEARCH is exact while the text waits, and the indexer brings
        text_pending under one batch with no further command."""
        self.assertEqual(m.select("Flood"), ("OK", [b"%d" % count]))
        want = [b" ".join(b"%d" % (i + 1) for i in range(count) if i % 100 % 5 == 0)]
        self.assertEqual(m.search(None, "BODY", "quokka"), ("OK", want))
        self.assertEqual(m.close()[0], "OK")
        # Bounded by the work: under ASan (make test-asan) indexing one
        # message costs tens of ms, and a flood there left the indexer
        # more than 120 s of it.
        deadline = time.monotonic() + 120 + 0.1 * count
        while self.pending_rows() >= 256:
            self.assertLess(time.monotonic(), deadline, "indexer did not resume")
            time.sleep(0.2)
        self.assertEqual(m.select("Flood"), ("OK", [b"%d" % count]))
        self.assertEqual(m.search(None, "BODY", "quokka"), ("OK", want))

    def test_indexer_waits_for_the_flood_then_catches_up(self):
        m = self.login()
        self.assertEqual(m.create("Flood")[0], "OK")
        before = self.text_rows()
        count, indexed = self.flood(m, b"Flood")
        self.assertGreater(count, 1000)
        # At most a batch slipped in (a job queued before the first delivery).
        self.assertLessEqual(indexed - before, 256, "indexer ran beside the deliveries")
        # But the compression dictionaries were made (or found impossible)
        # once 1,000 messages were there, not after the flood.
        self.assertEqual(self.rows("store.db", "(SELECT kind FROM dicts UNION ALL SELECT key"
                                   " FROM meta WHERE key LIKE 'dict_untrainable_%')"), 2)
        self.catch_up(m, count)
        m.logout()


class IndexDelayBoundTest(IndexStepsAsideTest):
    """index_delay_max bounds the wait: past it, the indexer runs beside a
    flood that goes on."""
    config = dict(FAST_FAILURES, index_delay_max="1")

    def test_indexer_waits_for_the_flood_then_catches_up(self):
        m = self.login()
        self.assertEqual(m.create("Flood")[0], "OK")
        before = self.text_rows()
        count, indexed = self.flood(m, b"Flood")
        self.assertGreaterEqual(indexed - before, 256, "indexer waited past index_delay_max")
        self.catch_up(m, count)
        m.logout()


def main():
    suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules[__name__])
    result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)
    failed = len(result.failures) + len(result.errors)
    passed = result.testsRun - len(result.failures) - len(result.skipped) - sum(
        1 for t, _ in result.errors if isinstance(t, unittest.TestCase))
    print("imaplib: %d passed, %d failed" % (max(passed, 0), failed))
    return 1 if failed or result.testsRun == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
