"""A minimal IMAP client for benchmarks: raw sockets, no imaplib.

imaplib adds its own parsing and locking per line, which would be measured
along with the server. This client sends exact bytes, reads responses into
one buffer and times from just before the send to just after the tagged
line is read. It knows only what the benchmarks need: tagged commands,
untagged lines (with literals), synchronizing and LITERAL+ APPEND, and a
pipelined APPEND loader with a bounded number of commands in flight.
"""

import re
import socket
import time

TIMEOUT = 120.0          # seconds for any single read; bounds every loop
_LITERAL_RE = re.compile(rb"\{(\d+)\+?\}$")


class IMAPError(Exception):
    pass


class Conn:
    def __init__(self, host, port, timeout=TIMEOUT):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()
        self.pos = 0
        self.next_tag = 1
        greeting = self.readline()
        if not greeting.startswith(b"* OK"):
            raise IMAPError("greeting: %r" % greeting)

    # -- reading --------------------------------------------------------------
    def _fill(self):
        data = self.sock.recv(1 << 18)
        if not data:
            raise IMAPError("server closed the connection")
        if self.pos > 1 << 20:
            del self.buf[:self.pos]
            self.pos = 0
        self.buf += data

    def readline(self):
        """One line without CRLF, literals included inline (as bytes)."""
        out = bytearray()
        while True:
            i = self.buf.find(b"\r\n", self.pos)
            while i < 0:
                self._fill()
                i = self.buf.find(b"\r\n", self.pos)
            line = bytes(self.buf[self.pos:i])
            self.pos = i + 2
            out += line
            m = _LITERAL_RE.search(line)
            if not m:
                return bytes(out)
            n = int(m.group(1))
            while len(self.buf) - self.pos < n:
                self._fill()
            out += b"\r\n" + bytes(self.buf[self.pos:self.pos + n])
            self.pos += n

    # -- commands ---------------------------------------------------------------
    def tag(self):
        t = b"b%d" % self.next_tag
        self.next_tag += 1
        return t

    def read_tagged(self, tag):
        """Untagged lines until the tagged one: (tagged_line, untagged)."""
        untagged = []
        prefix = tag + b" "
        while True:
            line = self.readline()
            if line.startswith(prefix):
                return line, untagged
            untagged.append(line)

    def command(self, text, expect_ok=True):
        """Send one command line; return (seconds, tagged line, untagged)."""
        tag = self.tag()
        data = tag + b" " + (text.encode() if isinstance(text, str) else text) + b"\r\n"
        t0 = time.perf_counter()
        self.sock.sendall(data)
        tagged, untagged = self.read_tagged(tag)
        elapsed = time.perf_counter() - t0
        if expect_ok and not tagged.startswith(tag + b" OK"):
            raise IMAPError("%s -> %r" % (data[:80], tagged[:200]))
        return elapsed, tagged, untagged

    def commands_pipelined(self, texts):
        """Send several command lines at once; seconds until the last
        tagged OK (all must be OK)."""
        tags = [self.tag() for _ in texts]
        data = b"".join(t + b" " + x.encode() + b"\r\n" for t, x in zip(tags, texts))
        t0 = time.perf_counter()
        self.sock.sendall(data)
        for t in tags:
            tagged, _ = self.read_tagged(t)
            if not tagged.startswith(t + b" OK"):
                raise IMAPError("%r" % tagged[:200])
        return time.perf_counter() - t0

    def login(self, user, password):
        self.command('LOGIN "%s" "%s"' % (user, password))

    def logout(self):
        try:
            self.command("LOGOUT", expect_ok=False)
        except (OSError, IMAPError):
            pass
        self.sock.close()

    def append_sync(self, mailbox, message):
        """One APPEND with a synchronizing literal, waiting for '+' and then
        the tagged OK: the way a simple client saves one message."""
        tag = self.tag()
        self.sock.sendall(b"%s APPEND %s {%d}\r\n" % (tag, mailbox.encode(), len(message)))
        line = self.readline()
        if not line.startswith(b"+"):
            raise IMAPError("APPEND: no continuation: %r" % line[:200])
        self.sock.sendall(message + b"\r\n")
        tagged, _ = self.read_tagged(tag)
        if not tagged.startswith(tag + b" OK"):
            raise IMAPError("APPEND: %r" % tagged[:200])

    def append_plus(self, mailbox, message):
        """One APPEND with a LITERAL+ literal, waiting for its OK."""
        tag = self.tag()
        self.sock.sendall(b"%s APPEND %s {%d+}\r\n%s\r\n"
                          % (tag, mailbox.encode(), len(message), message))
        tagged, _ = self.read_tagged(tag)
        if not tagged.startswith(tag + b" OK"):
            raise IMAPError("APPEND: %r" % tagged[:200])

    def append_pipelined(self, mailbox, messages, window=128, batch=32):
        """APPEND every message of the iterable with LITERAL+ literals,
        keeping at most `window` commands unanswered; commands are sent
        `batch` at a time in one write. Returns the number appended.

        The server reads at most 64 KiB of unconsumed input and stops
        reading commands while more than 256 KiB of its output is queued;
        a window of 128 answers (~70 bytes each) stays far below that, so a
        blocking sendall cannot deadlock against unread responses."""
        mbox = mailbox.encode()
        inflight = 0
        done = 0
        it = iter(messages)
        exhausted = False
        prefix = b"p"
        seq = 0
        while True:
            if not exhausted and inflight + batch <= window:
                parts = []
                for _ in range(batch):
                    msg = next(it, None)
                    if msg is None:
                        exhausted = True
                        break
                    seq += 1
                    parts.append(b"%s%d APPEND %s {%d+}\r\n%s\r\n"
                                 % (prefix, seq, mbox, len(msg), msg))
                if parts:
                    self.sock.sendall(b"".join(parts))
                    inflight += len(parts)
                continue
            if inflight == 0:
                return done
            line = self.readline()
            if line.startswith(prefix):
                if b" OK " not in line[:24]:
                    raise IMAPError("pipelined APPEND: %r" % line[:200])
                inflight -= 1
                done += 1
            elif not line.startswith(b"*"):
                raise IMAPError("pipelined APPEND: unexpected %r" % line[:200])

    def multiappend(self, mailbox, messages):
        """One MULTIAPPEND (RFC 3502) command with LITERAL+ literals."""
        tag = self.tag()
        parts = [b"%s APPEND %s" % (tag, mailbox.encode())]
        for msg in messages:
            parts.append(b" {%d+}\r\n%s" % (len(msg), msg))
        parts.append(b"\r\n")
        self.sock.sendall(b"".join(parts))
        tagged, _ = self.read_tagged(tag)
        if not tagged.startswith(tag + b" OK"):
            raise IMAPError("MULTIAPPEND: %r" % tagged[:200])


def connect(target):
    """A logged-in connection to target (see targets.py)."""
    c = Conn(target.host, target.port)
    c.login(target.user, target.password)
    return c
