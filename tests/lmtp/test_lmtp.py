#!/usr/bin/env python3
"""LMTP (RFC 2033) delivery: `petrel serve --lmtp ADDR:PORT` (here through
the `lmtp` config key) and its unix-socket form, driven by a raw socket for
exact replies and by Python's smtplib.LMTP (a client nobody here wrote).

Checks the greeting and LHLO's extensions, the command order rules, MAIL
parameters (SIZE, BODY), a reply per recipient with unknown users refused
(550 5.1.1) while the others get the mail, PIPELINING, dot-stuffing and
bare-LF lines, the stored bytes (Return-Path added), 100 recipients at most,
an over-long line, a session in IDLE woken by a delivery, QUIT, the
421 a connected client gets at shutdown, and user+detail addresses
delivered into the mailbox named detail.
"""

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

import petrel_server  # noqa: E402
from suite import Suite  # noqa: E402

TIMEOUT = 10
SUITE = Suite("lmtp")
check = SUITE.check
LHLO_REPLY = ["250-petrel", "250-PIPELINING", "250-ENHANCEDSTATUSCODES", "250-8BITMIME",
              "250 SIZE 67108864"]


class Raw:
    """A raw client: send bytes, read CRLF lines."""

    def __init__(self, where):
        if isinstance(where, str):
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.settimeout(TIMEOUT)
            self.sock.connect(where)
        else:
            self.sock = socket.create_connection(("127.0.0.1", where), timeout=TIMEOUT)
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data)

    def line(self):
        while b"\r\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                return None
            self.buf += data
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line.decode(errors="replace")

    def lines(self, n):
        return [self.line() for _ in range(n)]

    def eof(self):
        try:
            while True:
                data = self.sock.recv(65536)
                if not data:
                    return True
                self.buf += data
        except OSError:
            return True

    def close(self):
        self.sock.close()


def imap_fetch_all(port, mailbox="INBOX"):
    """[(uid, bytes)] of a mailbox, by a raw IMAP session."""
    s = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    f = s.makefile("rb")
    f.readline()
    s.sendall(b"a LOGIN alice alice-secret\r\nb EXAMINE %s\r\nc UID FETCH 1:* BODY.PEEK[]\r\n"
              % mailbox.encode())
    out = []
    while True:
        line = f.readline()
        if not line or line.startswith(b"c "):
            break
        m = re.match(rb"\* \d+ FETCH \(UID (\d+) BODY\[\] \{(\d+)\}\r\n", line)
        if m:
            out.append((int(m.group(1)), f.read(int(m.group(2)))))
    s.sendall(b"d LOGOUT\r\n")
    s.close()
    return out


def test_protocol(srv, port):
    c = Raw(port)
    check("greeting", c.line() == "220 petrel LMTP ready")
    c.send(b"MAIL FROM:<a@b>\r\n")
    check("MAIL before LHLO: 503 5.5.1", c.line() == "503 5.5.1 LHLO first")
    c.send(b"EHLO x\r\n")
    check("EHLO: 500 5.5.1 (this is LMTP)", c.line() == "500 5.5.1 This is LMTP: use LHLO")
    c.send(b"LHLO client.example\r\n")
    check("LHLO: the extensions", c.lines(5) == LHLO_REPLY)
    c.send(b"RCPT TO:<alice@x>\r\n")
    check("RCPT before MAIL: 503", c.line() == "503 5.5.1 MAIL first")
    c.send(b"DATA\r\n")
    check("DATA before MAIL: 503", c.line() == "503 5.5.1 MAIL first")
    c.send(b"MAIL FROM:<a@b> SIZE=67108865\r\n")
    check("MAIL SIZE over the limit: 552 5.3.4",
          c.line() == "552 5.3.4 Message too big (limit 67108864)")
    c.send(b"MAIL FROM:<a@b> FOO=1\r\n")
    check("MAIL with an unknown parameter: 555", c.line() == "555 5.5.4 Unsupported parameter")
    c.send(b"MAIL FROM:a@b\r\n")
    check("MAIL without <>: 501", c.line() == "501 5.5.4 Syntax: MAIL FROM:<address>")
    c.send(b"MAIL FROM:<> BODY=8BITMIME SIZE=100\r\n")
    check("MAIL FROM:<> (bounce) with BODY and SIZE: 250", c.line() == "250 2.1.0 OK")
    c.send(b"MAIL FROM:<a@b>\r\n")
    check("a second MAIL: 503", c.line() == "503 5.5.1 MAIL already given")
    c.send(b"DATA\r\n")
    check("DATA without a recipient: 503", c.line() == "503 5.5.1 No valid recipients")
    c.send(b"RCPT TO:<nobody@example.com>\r\n")
    check("RCPT of an unknown user: 550 5.1.1",
          c.line() == "550 5.1.1 <nobody@example.com> User doesn't exist")
    c.send(b"RSET\r\n")
    check("RSET", c.line() == "250 2.0.0 OK")
    c.send(b"NOOP\r\nVRFY alice\r\nBDAT 10\r\n")
    check("NOOP, VRFY, an unknown command",
          c.lines(3) == ["250 2.0.0 OK", "252 2.5.2 Cannot verify, send some mail",
                         "500 5.5.2 Unknown command"])
    # PIPELINING: a whole transaction in one write, replies in order; one
    # recipient unknown, the others (two spellings of alice) get the mail.
    body = (b"Subject: pipelined\r\nX-Test: 1\n"          # a bare-LF line
            b"..starts with a dot\r\n"
            b"." + b"x" * 100000 + b"\r\n"                 # long, dot-stuffed
            b"last line\r\n")
    c.send(b"MAIL FROM:<sender@example.org>\r\nRCPT TO:<alice@example.com>\r\n"
           b"RCPT TO:<ghost@example.com>\r\nRCPT TO:<alice>\r\nDATA\r\n" + body + b".\r\n"
           b"NOOP\r\n")
    got = c.lines(8)
    check("pipelined transaction: a reply per command, then one per recipient",
          got == ["250 2.1.0 OK", "250 2.1.5 OK",
                  "550 5.1.1 <ghost@example.com> User doesn't exist", "250 2.1.5 OK",
                  "354 Go ahead, end with <CR><LF>.<CR><LF>",
                  "250 2.0.0 <alice@example.com> Saved", "250 2.0.0 <alice> Saved",
                  "250 2.0.0 OK"], got)
    msgs = imap_fetch_all(srv.imap_port)
    want = (b"Return-Path: <sender@example.org>\r\nSubject: pipelined\r\nX-Test: 1\r\n"
            b".starts with a dot\r\n" + b"x" * 100000 + b"\r\nlast line\r\n")
    check("stored: Return-Path added, dots unstuffed, CRLF lines",
          [m for _, m in msgs] == [want, want], [(u, len(m), m[:120]) for u, m in msgs])
    # 100 recipients at most.
    c.send(b"MAIL FROM:<s@x>\r\n" + b"RCPT TO:<alice>\r\n" * 101)
    got = c.lines(102)
    check("101st recipient: 452 4.5.3",
          got[0] == "250 2.1.0 OK" and got[1:101] == ["250 2.1.5 OK"] * 100 and
          got[101] == "452 4.5.3 Too many recipients", got[-3:])
    c.send(b"RSET\r\nQUIT\r\n")
    check("QUIT: 221, then the server closes",
          c.lines(2) == ["250 2.0.0 OK", "221 2.0.0 Bye"] and c.eof())
    c.close()
    # Clients that vanish mid-DATA and right after the final dot: the
    # server goes on serving.
    for cut in (b"half a mess", b"whole\r\n.\r\n"):
        c = Raw(port)
        c.line()
        c.send(b"LHLO x\r\nMAIL FROM:<s@x>\r\nRCPT TO:<alice>\r\nDATA\r\nSubject: cut\r\n\r\n" + cut)
        c.close()
    c = Raw(port)
    check("after clients vanished mid-DATA: still serving", c.line() == "220 petrel LMTP ready")
    c.close()
    c = Raw(port)
    c.line()
    c.send(b"LHLO " + b"x" * 5000 + b"\r\n")
    check("a command line over 4096 bytes: 500 and close",
          c.line() == "500 5.5.2 Line too long, closing" and c.eof())
    c.close()


def test_smtplib_and_idle(srv, port):
    imap = socket.create_connection(("127.0.0.1", srv.imap_port), timeout=TIMEOUT)
    f = imap.makefile("rb")
    f.readline()
    imap.sendall(b"a LOGIN alice alice-secret\r\nb SELECT INBOX\r\nc IDLE\r\n")
    while True:
        line = f.readline()
        if not line or line.startswith(b"+"):
            break
    with smtplib.LMTP("127.0.0.1", port, timeout=TIMEOUT) as l:
        l.ehlo("client.example")
        check("smtplib: LHLO features", l.esmtp_features.get("size") == "67108864" and
              "pipelining" in l.esmtp_features, l.esmtp_features)
        refused = l.sendmail("ann@example.org", ["alice@example.com", "bob@example.com"],
                             b"Subject: from smtplib\r\n\r\nhi\r\n")
        check("smtplib: bob refused, alice accepted",
              refused == {"bob@example.com": (550, b"5.1.1 <bob@example.com> User doesn't exist")},
              refused)
    t0 = time.monotonic()
    line = f.readline()
    check("a session in IDLE sees the delivery", re.match(rb"\* \d+ EXISTS\r\n", line or b""),
          (line, time.monotonic() - t0))
    imap.sendall(b"DONE\r\n")
    imap.close()


def test_unix_socket(tmp):
    sock = os.path.join(tmp, "lmtp.sock")
    srv = petrel_server.PetrelServer(tls=False, config={"lmtp": sock})
    try:
        srv.start()
        check("unix socket: listening line", ("listening lmtp %s" % sock) in srv.stderr(),
              srv.stderr_tail())
        check("unix socket: mode 0666", (os.stat(sock).st_mode & 0o777) == 0o666)
        with smtplib.LMTP(sock, timeout=TIMEOUT) as l:
            refused = l.sendmail("ann@example.org", ["alice"], b"Subject: via unix\r\n\r\nx\r\n")
        check("unix socket: delivered", refused == {} and
              [m for _, m in imap_fetch_all(srv.imap_port)] ==
              [b"Return-Path: <ann@example.org>\r\nSubject: via unix\r\n\r\nx\r\n"])
        c = Raw(sock)
        c.line()
        srv.terminate()
        check("shutdown: a connected client gets 421 4.3.2 and EOF",
              c.line() == "421 4.3.2 Server shutting down" and c.eof())
        c.close()
    finally:
        problems = srv.stop()
        srv.cleanup()
        check("unix socket: SIGTERM, exit 0, clean stderr", not problems, problems)
    check("unix socket: the socket file is removed at exit", not os.path.exists(sock))


def imap_commands(port, commands):
    """Runs IMAP commands as alice; the tagged replies, in order."""
    s = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    f = s.makefile("rb")
    f.readline()
    out = []
    for n, command in enumerate(["LOGIN alice alice-secret"] + commands + ["LOGOUT"]):
        tag = b"t%d" % n
        s.sendall(tag + b" " + command.encode() + b"\r\n")
        while True:
            line = f.readline()
            if not line or line.startswith(tag + b" "):
                out.append(line.decode().rstrip())
                break
    s.close()
    return out[1:-1]


def lmtp_send(port, rcpts, subject):
    """One pipelined transaction; the RCPT replies and the DATA replies."""
    c = Raw(port)
    c.line()
    c.send(b"LHLO x\r\n")
    while not c.line().startswith("250 "):
        pass
    c.send(b"MAIL FROM:<s@example.org>\r\n" +
           b"".join(b"RCPT TO:<%s>\r\n" % r.encode() for r in rcpts) +
           b"DATA\r\n")
    got = c.lines(len(rcpts) + 2)
    accepted = sum(1 for line in got[1:-1] if line.startswith("250 "))
    c.send(b"Subject: %s\r\n\r\nbody\r\n.\r\n" % subject.encode())
    got += c.lines(accepted)
    c.send(b"QUIT\r\n")
    c.line()
    c.close()
    return got[1:1 + len(rcpts)], got[2 + len(rcpts):]


def test_detail(srv, port):
    """user+detail@domain (recipient_delimiter, "+" by default) delivers into
    the user's mailbox named detail when it exists (hierarchy too), INBOX
    when it does not or cannot; the user part is still a user that must
    exist."""
    check("detail: CREATE Lists and Lists/petrel",
          imap_commands(srv.imap_port, ["CREATE Lists", "CREATE Lists/petrel"]) ==
          ["t1 OK CREATE completed", "t2 OK CREATE completed"])
    before = len(imap_fetch_all(srv.imap_port))
    rcpts = ["alice+Lists@example.org", "alice+Nope@example.org", "alice+Lists/petrel@x",
             "alice+inbox@x", "alice+lists@x", "alice+@x", "alice+Lists", "ghost+Lists@x",
             "alice+&Jjo-@x"]
    rcpt_replies, data_replies = lmtp_send(port, rcpts, "detail")
    check("detail: RCPT replies", rcpt_replies == ["250 2.1.5 OK"] * 7 + [
        "550 5.1.1 <ghost+Lists@x> User doesn't exist", "250 2.1.5 OK"], rcpt_replies)
    accepted = [r for r in rcpts if not r.startswith("ghost")]
    check("detail: one 250 Saved per accepted recipient",
          data_replies == ["250 2.0.0 <%s> Saved" % r for r in accepted], data_replies)
    lists = imap_fetch_all(srv.imap_port, "Lists")
    check("detail: Lists holds the two for alice+Lists",
          [uid for uid, _ in lists] == [1, 2] and all(b"Subject: detail" in m for _, m in lists),
          lists)
    check("detail: Lists/petrel holds one",
          [uid for uid, _ in imap_fetch_all(srv.imap_port, "Lists/petrel")] == [1])
    inbox = imap_fetch_all(srv.imap_port)[before:]
    check("detail: the rest (no such mailbox, other case, empty, not mUTF-7 of a mailbox,"
          " INBOX) in INBOX", len(inbox) == 5, len(inbox))


def check_refused(config, label, message):
    """A server with this config (and LMTP) must refuse to start, saying so."""
    srv = petrel_server.PetrelServer(tls=False, config=dict(config, lmtp="127.0.0.1:0"))
    try:
        srv.start()
        check("%s: refused at start" % label, False, "it started")
    except petrel_server.ServerError:
        check("%s: refused at start" % label, message in srv.stderr(), srv.stderr_tail())
    finally:
        srv.stop()
        srv.cleanup()


def test_detail_config():
    """recipient_delimiter = "-": alice-Lists is alice's Lists and "+" is no
    longer special; empty: off."""
    for delim in ("-", ""):
        srv = petrel_server.PetrelServer(tls=False, config={"lmtp": "127.0.0.1:0",
                                                            "recipient_delimiter": delim})
        label = "recipient_delimiter = %r" % delim
        try:
            srv.start()
            port = int(re.search(r"listening lmtp 127\.0\.0\.1:(\d+)", srv.stderr()).group(1))
            imap_commands(srv.imap_port, ["CREATE Lists"])
            rcpt_replies, data_replies = lmtp_send(port, ["alice-Lists@x", "alice+Lists@x"], "d")
            if delim == "-":
                want = ["250 2.1.5 OK", "550 5.1.1 <alice+Lists@x> User doesn't exist"]
            else:
                want = ["550 5.1.1 <alice-Lists@x> User doesn't exist",
                        "550 5.1.1 <alice+Lists@x> User doesn't exist"]
            check("%s: RCPT replies" % label, rcpt_replies == want, rcpt_replies)
            check("%s: Lists holds %d" % (label, 1 if delim else 0),
                  len(imap_fetch_all(srv.imap_port, "Lists")) == (1 if delim else 0))
        finally:
            problems = srv.stop()
            check("%s: SIGTERM, exit 0, clean stderr" % label, not problems, problems)
            srv.cleanup()
    check_refused({"recipient_delimiter": "+@"}, "recipient_delimiter with '@'",
                  "recipient_delimiter: at most 8 printable characters")


def test_public():
    """public_recipient = public: public+NAME@domain delivers into the public
    mailbox Shared/NAME when "anyone" holds p on it (an LMTP sender is not
    authenticated: rights given to "authenticated" or a user do not count);
    one anyone may see but not post to is 550 5.7.1, one anyone may not see
    is answered as a mailbox that does not exist (550 5.1.1), and there is
    no INBOX to fall back to. A mailbox deleted between RCPT and DATA is a
    550 at DATA. A public_recipient holding the delimiter is refused."""
    srv = petrel_server.PetrelServer(tls=False, config={"lmtp": "127.0.0.1:0",
                                                        "public_recipient": "public"})
    try:
        srv.start()
        port = int(re.search(r"listening lmtp 127\.0\.0\.1:(\d+)", srv.stderr()).group(1))

        def cli(*args):
            r = subprocess.run([srv.binary] + list(args) + ["--data", srv.data],
                               capture_output=True, timeout=TIMEOUT)
            check("public: petrel %s" % " ".join(args), r.returncode == 0, r.stderr)
        for name in ("Lists", "Announce", "Hidden", "Closed", "Gone"):
            cli("mailbox", "create", "--public", name)
        cli("acl", "set", "--public", "Lists", "anyone", "lrp")
        cli("mailbox", "create", "--public", "Lists/Sub")     # inherits anyone lrp
        cli("acl", "set", "--public", "Lists/Sub", "-anyone", "p")
        cli("acl", "set", "--public", "Announce", "anyone", "lr")
        cli("acl", "set", "--public", "Closed", "authenticated", "lrp")
        cli("acl", "set", "--public", "Closed", "alice", "lrp")
        cli("acl", "set", "--public", "Gone", "anyone", "p")
        rcpts = ["public+Lists@example.org", "public+Announce@x", "public+Hidden@x",
                 "public+Nope@x", "public+Closed@x", "public+Lists/Sub@x", "PUBLIC+Lists@x",
                 "public@x", "alice+Lists@x"]
        rcpt_replies, data_replies = lmtp_send(port, rcpts, "public")
        check("public: RCPT replies", rcpt_replies == [
            "250 2.1.5 OK",
            "550 5.7.1 <public+Announce@x> Delivery to this mailbox is not permitted",
            "550 5.1.1 <public+Hidden@x> No such mailbox",
            "550 5.1.1 <public+Nope@x> No such mailbox",
            "550 5.1.1 <public+Closed@x> No such mailbox",
            "550 5.7.1 <public+Lists/Sub@x> Delivery to this mailbox is not permitted",
            "250 2.1.5 OK",
            "550 5.1.1 <public@x> User doesn't exist",
            "250 2.1.5 OK"], rcpt_replies)
        check("public: DATA replies", data_replies == [
            "250 2.0.0 <public+Lists@example.org> Saved", "250 2.0.0 <PUBLIC+Lists@x> Saved",
            "250 2.0.0 <alice+Lists@x> Saved"], data_replies)
        lists = imap_fetch_all(srv.imap_port, "Shared/Lists")
        check("public: Shared/Lists holds the two, as alice reads it",
              [uid for uid, _ in lists] == [1, 2] and
              all(b"Subject: public" in m for _, m in lists), lists)
        # p alone: "Gone" is postable though nobody sees it; deleted
        # between RCPT and DATA, the DATA reply says so.
        c = Raw(port)
        c.line()
        c.send(b"LHLO x\r\n")
        while not c.line().startswith("250 "):
            pass
        c.send(b"MAIL FROM:<s@example.org>\r\nRCPT TO:<public+Gone@x>\r\n")
        got = c.lines(2)
        cli("mailbox", "delete", "--public", "Gone")
        c.send(b"DATA\r\n")
        got.append(c.line())
        c.send(b"Subject: late\r\n\r\nx\r\n.\r\n")
        got.append(c.line())
        c.close()
        check("public: a mailbox deleted after RCPT: 550 at DATA", got == [
            "250 2.1.0 OK", "250 2.1.5 OK", "354 Go ahead, end with <CR><LF>.<CR><LF>",
            "550 5.1.1 <public+Gone@x> No such mailbox"], got)
    finally:
        problems = srv.stop()
        check("public: SIGTERM, exit 0, clean stderr", not problems, problems)
        out = os.popen("%s check --data %s" % (srv.binary, srv.data)).read()
        check("public: petrel check clean", out == "alice: ok\n#public: ok\n", out)
        srv.cleanup()
    check_refused({"public_recipient": "pub+lic"}, "public_recipient with the delimiter",
                  "public_recipient: at most 64 of A-Z a-z 0-9 . _ -, none of"
                  " recipient_delimiter")


def test_over_quota(tempfail):
    """A delivery over quota (RFC 9208's limits, here one message) is refused
    with 552 5.2.2 (mailbox full), or 452 4.2.2 when the config says a full
    mailbox is temporary; the recipient under quota still gets it, and
    nothing is stored for the one over it."""
    config = {"lmtp": "127.0.0.1:0", "quota_messages": "1"}
    if tempfail:
        config["quota_full_tempfail"] = "yes"
    srv = petrel_server.PetrelServer(tls=False, config=config)
    label = "over quota (%s)" % ("quota_full_tempfail" if tempfail else "default")
    try:
        srv.start()
        port = int(re.search(r"listening lmtp 127\.0\.0\.1:(\d+)", srv.stderr()).group(1))
        c = Raw(port)
        c.line()
        c.send(b"LHLO x\r\n")
        while not c.line().startswith("250 "):
            pass
        for n, want in ((1, "250 2.0.0 <alice@example.org> Saved"),
                        (2, "452 4.2.2 <alice@example.org> Mailbox full: over quota" if tempfail
                         else "552 5.2.2 <alice@example.org> Mailbox full: over quota")):
            c.send(b"MAIL FROM:<s@example.org>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\n")
            got = c.lines(3)
            c.send(b"Subject: quota %d\r\n\r\nbody\r\n.\r\n" % n)
            got.append(c.line())
            check("%s: delivery %d answered %s" % (label, n, want.split()[0]),
                  got[:2] == ["250 2.1.0 OK", "250 2.1.5 OK"] and got[3] == want, got)
        c.send(b"QUIT\r\n")
        c.line()
        c.close()
        stored = imap_fetch_all(srv.imap_port)
        check("%s: only the first is stored" % label,
              [uid for uid, _ in stored] == [1] and b"quota 1" in stored[0][1], stored)
    finally:
        problems = srv.stop()
        check("%s: SIGTERM, exit 0, clean stderr" % label, not problems, problems)
        srv.cleanup()


def main():
    tmp = tempfile.mkdtemp(prefix="petrel-lmtp-")
    srv = petrel_server.PetrelServer(tls=False, config={"lmtp": "127.0.0.1:0"})
    try:
        srv.start()
        m = re.search(r"listening lmtp 127\.0\.0\.1:(\d+)", srv.stderr())
        if check("listening lmtp line with the port", m, srv.stderr_tail()):
            port = int(m.group(1))
            test_protocol(srv, port)
            test_smtplib_and_idle(srv, port)
            test_detail(srv, port)
        test_unix_socket(tmp)
        test_over_quota(False)
        test_over_quota(True)
        test_detail_config()
        test_public()
    except (petrel_server.ServerError, OSError, smtplib.SMTPException) as e:
        check("ran to the end", False, repr(e))
    finally:
        problems = srv.stop()
        check("SIGTERM, exit 0, clean stderr", not problems, problems)
        check("petrel check clean",
              os.popen("%s check --data %s" % (srv.binary, srv.data)).read() == "alice: ok\n")
        srv.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)
    return SUITE.finish()


if __name__ == "__main__":
    sys.exit(main())
