"""A blocking IMAP client that sends exact bytes, for the suites that
probe the server with hostile or precisely timed input (abuse, output
bounds, login flood). Every read has a deadline; nothing here retries."""

import socket
import time


class RawClient:
    """One connection; the greeting is read at once (self.greeting).
    rcvbuf shrinks the socket's receive buffer (a client that does not
    read then stops the server's sends early); source binds a loopback
    source address; users maps names to passwords for login()."""

    def __init__(self, port, wait_s=10, rcvbuf=None, source=None, users=None):
        self.wait_s = wait_s
        self.users = users or {}
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf is not None:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        if source is not None:
            self.sock.bind((source, 0))
        self.sock.settimeout(wait_s)
        try:
            self.sock.connect(("127.0.0.1", port))
        except OSError:
            self.sock.close()
            raise
        self.buf = b""
        self.greeting = self.line()

    def send(self, data):
        self.sock.sendall(data)

    def line(self, timeout=None):
        """One line without CRLF, or None at EOF or after the deadline."""
        deadline = time.monotonic() + (self.wait_s if timeout is None else timeout)
        while b"\r\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(1 << 20)
            except (socket.timeout, OSError):
                return None
            if not data:
                return None
            self.buf += data
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def tagged(self, tag, timeout=None):
        """(tagged line, untagged lines before it); tagged is None at EOF
        or after the deadline."""
        deadline = time.monotonic() + (self.wait_s if timeout is None else timeout)
        untagged = []
        while True:
            line = self.line(max(0.0, deadline - time.monotonic()))
            if line is None or line.startswith(tag + b" "):
                return line, untagged
            untagged.append(line)

    def cmd(self, tag, text):
        self.send(tag + b" " + text + b"\r\n")
        return self.tagged(tag)

    def login(self, user):
        t, _ = self.cmd(b"L", b'LOGIN %s "%s"' % (user.encode(), self.users[user].encode()))
        if t is None or not t.startswith(b"L OK"):
            raise AssertionError("login %s: %r" % (user, t))

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def tls_client_hello():
    """The bytes of a real TLS ClientHello (from an in-memory handshake):
    what a client sends first on an implicit-TLS port or after STARTTLS."""
    import ssl

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(incoming, outgoing, server_hostname="localhost")
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()
