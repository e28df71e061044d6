"""A blocking IMAP client for the ACL suites: exact bytes out, whole
responses in (a line with its literals), every read under a deadline.

Responses come back as lists of byte strings, one per response; a literal
is kept inline after its `{n}` CRLF, so FETCH BODY[] returns the exact
stored bytes. Tagged lines have their tag replaced by `T`, so two runs of
one command compare byte for byte."""

import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import raw_imap  # noqa: E402

WAIT_S = 20          # seconds for one response; ASan builds answer a loaded machine slowly
LITERAL_RE = re.compile(rb"~?\{(\d+)\+?\}$")


class Conn:
    """One logged-in session. run() sends a command and returns its
    responses (untagged ones, then the tagged line as `T ...`)."""

    def __init__(self, port, user, password, wait_s=WAIT_S):
        self.raw = raw_imap.RawClient(port, wait_s=wait_s)
        self.user = user
        self.count = 0
        tagged = self.run(b'LOGIN %s "%s"' % (user.encode(), password.encode()))
        if not tagged or not tagged[-1].startswith(b"T OK"):
            raise AssertionError("login %s: %r" % (user, tagged))

    def next_tag(self):
        self.count += 1
        return b"W%d" % self.count

    def send(self, data):
        """A closed connection shows as `<no answer>` in the response."""
        try:
            self.raw.send(data)
        except OSError:
            pass

    def response(self, timeout=None):
        """One response: a line, with any literal it announces and the
        rest of the line after it; None at EOF or after the deadline."""
        line = self.raw.line(timeout)
        if line is None:
            return None
        whole = line
        while True:
            m = LITERAL_RE.search(line)
            if m is None:
                return whole
            size = int(m.group(1))
            data = self.read_exact(size, timeout)
            if data is None:
                return None
            line = self.raw.line(timeout)
            if line is None:
                return None
            whole += b"\r\n" + data + line

    def read_exact(self, size, timeout=None):
        deadline = time.monotonic() + (self.raw.wait_s if timeout is None else timeout)
        while len(self.raw.buf) < size:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.raw.sock.settimeout(left)
            try:
                data = self.raw.sock.recv(1 << 20)
            except OSError:
                return None
            if not data:
                return None
            self.raw.buf += data
        data, self.raw.buf = self.raw.buf[:size], self.raw.buf[size:]
        return data

    def _step(self, tag, got):
        """One response appended to got (the tagged one as "T ..."); returns
        (whether the command is over, the response)."""
        r = self.response()
        if r is None:
            got.append(b"<no answer>")
            return True, r
        if r.startswith(tag + b" "):
            got.append(b"T" + r[len(tag):])
            return True, r
        got.append(r)
        return False, r

    def finish(self, tag, got):
        """Read responses up to the tagged one for tag, appended to got."""
        while not self._step(tag, got)[0]:
            pass
        return got

    def run(self, command):
        """Send one command (its literals must be LITERAL+ ones)."""
        tag = self.next_tag()
        self.send(tag + b" " + command + b"\r\n")
        return self.finish(tag, [])

    def run_sync_literal(self, before, literal, after=b""):
        """`before {n}`: wait for the continuation before sending the
        literal; a tagged answer instead ends the command there (RFC 9051
        section 4.3: the server may refuse a literal it was announced)."""
        tag = self.next_tag()
        self.send(tag + b" " + before + b" {%d}\r\n" % len(literal))
        got = []
        while True:
            over, r = self._step(tag, got)
            if over:
                return got
            if r.startswith(b"+"):
                self.send(literal + after + b"\r\n")
                return self.finish(tag, got)

    def close(self):
        self.raw.close()


def quote(name):
    """name as an IMAP quoted string (the test's names need no escapes)."""
    return b'"' + (name.encode() if isinstance(name, str) else name) + b'"'


def ok(responses):
    return bool(responses) and responses[-1].startswith(b"T OK")
