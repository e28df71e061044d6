"""A blocking IMAP client for the differential tests in tests/diff/: each
response comes back as one text line, its literals read and written in
as quoted strings (a string's form is the server's choice, RFC 9051
§4.3, so the tests compare what it says, not how). Every read has the
socket's timeout; nothing here retries."""

import re
import socket

TIMEOUT = 10          # seconds for one read: both servers answer these scripts in milliseconds


class LineClient:
    """One connection; the greeting is read at once (self.greeting)."""

    def __init__(self, port, timeout=TIMEOUT):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""
        self.n = 0
        self.greeting = self.line()

    def raw_line(self):
        while b"\r\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("closed")
            self.buf += data
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def take(self, n):
        while len(self.buf) < n:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("closed")
            self.buf += data
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def line(self):
        """One response, its literals written as quoted strings."""
        out = b""
        line = self.raw_line()
        while True:
            m = re.search(rb"~?\{(\d+)\}$", line)
            if not m:
                return (out + line).decode(errors="replace")
            data = self.take(int(m.group(1)))
            out += line[:m.start()] + b'"' + data.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'
            line = self.raw_line()

    def command(self, text, literal=None):
        """([untagged lines], tagged line without its tag). With a
        literal, text holds one %d for its length (sent as {N+})."""
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

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
