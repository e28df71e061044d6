#!/usr/bin/env python3
"""Play IMAP transcripts (tests/proto/*.t) against a real petrel server.

Each file is played twice: whole lines per write, then one byte per write
(TCP_NODELAY), each time against a fresh server with its own data
directory. The notation is described in tests/proto/README.md. Only ever
connects to 127.0.0.1; every wait is bounded.
"""

import argparse
import concurrent.futures
import glob
import os
import re
import socket
import ssl
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import petrel_server  # noqa: E402

MODES = ("lines", "bytes")
DEFAULT_WAIT_MS = 5000      # how long an S: line may take unless expect-within says otherwise
LEFTOVER_WAIT_S = 0.1       # at the end, how long to look for responses nobody expected
NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
REPEAT_RE = re.compile(r"\$\((.*?)\*(\d+)\)")
# What a $name binds to: one token, i.e. no space, parenthesis, bracket, brace or quote.
TOKEN_RE = r'[^\s()\[\]{}"]+'
HEADER_DIRECTIVES = ("config", "user", "notls", "modes")


class Mismatch(Exception):
    """The server did something the transcript did not expect."""

    def __init__(self, lineno, message):
        super().__init__(message)
        self.lineno = lineno
        self.message = message


class ScriptError(Exception):
    """The transcript itself is malformed."""

    def __init__(self, lineno, message):
        super().__init__(message)
        self.lineno = lineno
        self.message = message


# -- parsing ------------------------------------------------------------------

INCLUDE_DEPTH_MAX = 4   # include files may include others, not endlessly


def parse(path, depth=0, seen_session=False):
    """A .t file as a list of (lineno, verb, argument). `include NAME` reads
    tests/proto/include/NAME in its place (shared set-up such as a mailbox
    with messages); its steps report the including line's number."""
    steps = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.rstrip("\r\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            if line.startswith("include "):
                name = line[len("include "):].strip()
                inc = os.path.join(os.path.dirname(os.path.abspath(__file__)), "include", name)
                if depth >= INCLUDE_DEPTH_MAX or "/" in name or not os.path.isfile(inc):
                    raise ScriptError(lineno, "cannot include %r" % name)
                for _, verb, arg in parse(inc, depth + 1, True):
                    steps.append((lineno, verb, arg))
                seen_session = True
                continue
            if line.startswith(("C:", "S:")):
                verb, arg = line[0], line[2:]
                if arg.startswith(" "):
                    arg = arg[1:]
            elif line.startswith("raw:"):
                verb, arg = "raw", line[4:].lstrip(" ")
            else:
                verb, _, arg = line.strip().partition(" ")
                arg = arg.strip()
                if verb not in HEADER_DIRECTIVES + (
                        "connect", "use", "login", "starttls", "expect-within", "expect-after",
                        "sleep", "close", "shutdown"):
                    raise ScriptError(lineno, "unknown directive %r" % verb)
                if verb in ("expect-within", "expect-after", "sleep") and not arg.isdigit():
                    raise ScriptError(lineno, "%s wants milliseconds" % verb)
                if verb == "config" and "=" not in arg:
                    raise ScriptError(lineno, "config wants key=value")
                if verb == "modes" and not (arg.split() and set(arg.split()) <= set(MODES)):
                    raise ScriptError(lineno, "modes wants lines and/or bytes")
                if verb == "user" and len(arg.split(None, 1)) != 2:
                    raise ScriptError(lineno, "user wants NAME PASSWORD (the rest of the line)")
            if verb in HEADER_DIRECTIVES:
                if seen_session:
                    raise ScriptError(lineno, "%s must come before the session starts" % verb)
            else:
                seen_session = True
            steps.append((lineno, verb, arg))
    return steps


def expand(text, bindings, lineno):
    """Client text: $(TEXT*N) repeats TEXT N times, $name is a bound value,
    $$ is a dollar sign."""
    text = REPEAT_RE.sub(lambda m: m.group(1) * int(m.group(2)), text)
    out, i = [], 0
    while i < len(text):
        c = text[i]
        if c != "$":
            out.append(c)
            i += 1
            continue
        if text[i + 1:i + 2] == "$":
            out.append("$")
            i += 2
            continue
        m = NAME_RE.match(text, i + 1)
        if not m or m.group(0) not in bindings:
            raise ScriptError(lineno, "unbound variable in client line: %r" % text[i:i + 20])
        out.append(bindings[m.group(0)])
        i = m.end()
    return "".join(out)


def unescape_raw(text):
    """raw: escapes \\r \\n \\t \\xNN \\\\; the result is bytes (text as UTF-8)."""
    out = bytearray()
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            n = text[i + 1]
            if n in "rnt\\":
                out += {"r": b"\r", "n": b"\n", "t": b"\t", "\\": b"\\"}[n]
                i += 2
                continue
            if n == "x" and re.match(r"[0-9a-fA-F]{2}", text[i + 2:i + 4]):
                out.append(int(text[i + 2:i + 4], 16))
                i += 4
                continue
        out += c.encode("utf-8")
        i += 1
    return bytes(out)


def compile_pattern(pattern, bindings, lineno):
    """Server pattern -> (regex, names it binds). See README.md."""
    regex, new = [], []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "$":
            nxt = pattern[i + 1:i + 2]
            if nxt in ("$", "*"):
                regex.append(re.escape(nxt))
                i += 2
                continue
            m = NAME_RE.match(pattern, i + 1)
            if not m:
                raise ScriptError(lineno, "lone $ in pattern (write $$ for a dollar sign)")
            name = m.group(0)
            if name in bindings:
                regex.append(re.escape(bindings[name]))
            elif name in new:
                regex.append("(?P=%s)" % name)
            else:
                regex.append("(?P<%s>%s)" % (name, TOKEN_RE))
                new.append(name)
            i = m.end()
            continue
        if c == "*" and i == len(pattern) - 1:
            regex.append(".*")
        else:
            regex.append(re.escape(c))
        i += 1
    return re.compile("".join(regex), re.S), new


# -- connections --------------------------------------------------------------

class Conn:
    def __init__(self, name, kind, port, mode, tls_ctx):
        self.name = name
        self.mode = mode
        self.tls_ctx = tls_ctx
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if kind == "imaps":
            self.sock = tls_ctx.wrap_socket(self.sock, server_hostname="localhost")
        self.buf = b""
        self.lines = []          # complete lines received: (bytes without CRLF, arrival time, had CR)
        self.eof = False
        self.lines_read = 0
        self.last_send = time.monotonic()
        self.send_error = None

    def send(self, data):
        if self.send_error:
            return
        try:
            if self.mode == "lines":
                self.sock.sendall(data)
            else:
                for i in range(len(data)):
                    self.sock.sendall(data[i:i + 1])
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError) as e:
            # The server may close first (BYE on a too-long line); what it
            # sent before that is still read and checked by the S: lines.
            self.send_error = e
        self.last_send = time.monotonic()

    def _fill(self, deadline):
        """Read once, waiting until deadline. False on timeout."""
        remaining = deadline - time.monotonic()
        if remaining <= 0 and not (isinstance(self.sock, ssl.SSLSocket) and self.sock.pending()):
            return False
        self.sock.settimeout(max(remaining, 0.001))
        try:
            chunk = self.sock.recv(65536)
        except (socket.timeout, TimeoutError):
            return False
        except (ConnectionResetError, ssl.SSLError, OSError):
            chunk = b""
        if not chunk:
            self.eof = True
            return True
        now = time.monotonic()
        self.buf += chunk
        while b"\n" in self.buf:
            line, self.buf = self.buf.split(b"\n", 1)
            had_cr = line.endswith(b"\r")
            self.lines.append((line[:-1] if had_cr else line, now, had_cr))
        return True

    def next_line(self, deadline):
        """(line bytes, arrival time, had CR), or None at end of stream, or
        raises TimeoutError."""
        while not self.lines:
            if self.eof:
                return None
            if not self._fill(deadline):
                raise TimeoutError
        self.lines_read += 1
        return self.lines.pop(0)

    def pending(self, wait):
        """Bytes received that no S: line has consumed (waiting up to `wait`)."""
        if not self.lines and not self.buf and not self.eof:
            self._fill(time.monotonic() + wait)
        return b"\r\n".join(l for l, _, _ in self.lines) + (b"\r\n" if self.lines else b"") + self.buf

    def starttls(self):
        self.sock.settimeout(5)
        self.sock = self.tls_ctx.wrap_socket(self.sock, server_hostname="localhost")

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


# -- playing one file ---------------------------------------------------------

def show(b):
    return b.decode("utf-8", "backslashreplace")


class Player:
    def __init__(self, path, mode, verbose=False):
        self.path = path
        self.mode = mode
        self.verbose = verbose
        self.log = []
        self.conns = {}
        self.current = None
        self.bindings = {}
        self.within_ms = None
        self.after_ms = None
        self.server = None
        self.opened_any = False

    def note(self, text):
        self.log.append(text if len(text) <= 200 else text[:160] + "... (%d chars)" % len(text))

    def conn(self, lineno):
        if self.current is None:
            if self.opened_any:
                raise ScriptError(lineno, "no current connection (closed; use connect or use)")
            self.connect(lineno, "")
        return self.conns[self.current]

    def connect(self, lineno, arg):
        words = arg.split()
        kind, name = "imap", None
        if words and words[0] in ("imap", "imaps"):
            kind = words.pop(0)
        if len(words) == 2 and words[0] == "as":
            name = words[1]
        elif words:
            raise ScriptError(lineno, "connect [imap|imaps] [as NAME]")
        name = name or "c%d" % (len(self.conns) + 1)
        if name in self.conns:
            raise ScriptError(lineno, "connection %s already exists" % name)
        port = self.server.imap_port if kind == "imap" else self.server.imaps_port
        if port is None:
            raise ScriptError(lineno, "no %s listener (notls)" % kind)
        try:
            self.conns[name] = Conn(name, kind, port, self.mode, self.tls_ctx)
        except (OSError, ssl.SSLError) as e:
            raise Mismatch(lineno, "connect %s failed: %s" % (kind, e))
        self.current = name
        self.opened_any = True
        self.note("-- connect %s as %s" % (kind, name))

    def send(self, lineno, data):
        c = self.conn(lineno)
        self.note("C(%s): %s" % (c.name, show(data).rstrip("\r\n")))
        c.send(data)

    def expect(self, lineno, pattern):
        c = self.conn(lineno)
        within, after = self.within_ms, self.after_ms
        self.within_ms = self.after_ms = None
        start = time.monotonic()
        if within is not None:
            deadline = c.last_send + within / 1000.0
        else:
            deadline = start + DEFAULT_WAIT_MS / 1000.0
        try:
            got = c.next_line(deadline)
        except TimeoutError:
            waited = (time.monotonic() - (c.last_send if within is not None else start)) * 1000
            raise Mismatch(lineno, "expected %r, got nothing within %d ms" % (pattern, waited))
        if pattern == "<eof>":
            if got is None:
                self.note("S(%s): <eof>" % c.name)
                return
            raise Mismatch(lineno, "expected <eof>, got %r" % show(got[0]))
        if got is None:
            raise Mismatch(lineno, "expected %r, got <eof>%s" % (
                pattern, " (send failed: %s)" % c.send_error if c.send_error else ""))
        line, arrived, had_cr = got
        text = show(line)
        self.note("S(%s): %s" % (c.name, text))
        if not had_cr:
            raise Mismatch(lineno, "line ends in a bare LF, not CRLF: %r" % text)
        regex, names = compile_pattern(pattern, self.bindings, lineno)
        m = regex.fullmatch(text)
        if not m:
            raise Mismatch(lineno, "expected %r, got %r" % (pattern, text))
        for name in names:
            self.bindings[name] = m.group(name)
        if after is not None and (arrived - c.last_send) * 1000 < after:
            raise Mismatch(lineno, "%r arrived after %d ms, expected no sooner than %d ms"
                           % (text, (arrived - c.last_send) * 1000, after))

    def login(self, lineno, name):
        if name not in self.users:
            raise ScriptError(lineno, "login of unknown user %r" % name)
        c = self.conn(lineno)
        if c.lines_read == 0:
            self.expect(lineno, "* OK *")
        q = lambda s: '"%s"' % s.replace("\\", "\\\\").replace('"', '\\"')
        self.send(lineno, (". LOGIN %s %s\r\n" % (q(name), q(self.users[name]))).encode())
        self.expect(lineno, ". OK *")

    def starttls(self, lineno):
        c = self.conn(lineno)
        left = c.pending(0)
        if left:
            raise Mismatch(lineno, "cleartext bytes before the TLS handshake: %r" % show(left))
        try:
            c.starttls()
        except (OSError, ssl.SSLError) as e:
            raise Mismatch(lineno, "TLS handshake failed: %s" % e)
        self.note("-- TLS %s on %s" % (c.sock.version(), c.name))

    def run(self, steps):
        config = dict(kv.split("=", 1) for _, v, kv in steps if v == "config")
        config = {k.strip(): v.strip() for k, v in config.items()}
        self.users = dict(petrel_server.DEFAULT_USERS)
        self.users.update(dict(a.split(None, 1) for _, v, a in steps if v == "user"))
        tls = not any(v == "notls" for _, v, _ in steps)
        self.server = petrel_server.PetrelServer(config=config, users=self.users, tls=tls)
        try:
            try:
                self.server.start()
            except petrel_server.ServerError as e:
                raise Mismatch(0, str(e))
            if tls:
                self.tls_ctx = ssl.create_default_context(cafile=self.server.cert)
            else:
                self.tls_ctx = None
            for lineno, verb, arg in steps:
                self.step(lineno, verb, arg)
            last = steps[-1][0] if steps else 0
            for c in self.conns.values():
                left = c.pending(LEFTOVER_WAIT_S)
                if left:
                    raise Mismatch(last, "unexpected data on %s after the last S: line: %r"
                                   % (c.name, show(left)[:200]))
        finally:
            for c in self.conns.values():
                c.close()
            problems = self.server.stop()
            self.stderr_tail = self.server.stderr_tail(10)
            self.server.cleanup()
        if problems:
            raise Mismatch(0, "; ".join(problems))

    def step(self, lineno, verb, arg):
        if verb in HEADER_DIRECTIVES:
            return
        if verb == "C":
            self.send(lineno, expand(arg, self.bindings, lineno).encode("utf-8") + b"\r\n")
        elif verb == "raw":
            self.send(lineno, unescape_raw(expand(arg, self.bindings, lineno)))
        elif verb == "S":
            self.expect(lineno, arg)
        elif verb == "connect":
            self.connect(lineno, arg)
        elif verb == "use":
            if arg not in self.conns:
                raise ScriptError(lineno, "no connection named %r" % arg)
            self.current = arg
        elif verb == "login":
            self.login(lineno, arg)
        elif verb == "starttls":
            self.starttls(lineno)
        elif verb == "expect-within":
            self.within_ms = int(arg)
        elif verb == "expect-after":
            self.after_ms = int(arg)
        elif verb == "sleep":
            time.sleep(int(arg) / 1000.0)
        elif verb == "close":
            c = self.conn(lineno)
            c.close()
            del self.conns[c.name]
            self.current = None
            self.note("-- close %s" % c.name)
        elif verb == "shutdown":
            self.note("-- SIGTERM to the server")
            self.server.terminate()


def play(path, mode, verbose):
    """(path, mode, None) on success or (path, mode, failure text)."""
    rel = os.path.relpath(path)
    try:
        steps = parse(path)
    except ScriptError as e:
        return rel, mode, "%s:%d: bad transcript: %s" % (rel, e.lineno, e.message)
    wanted = [m for _, v, a in steps if v == "modes" for m in a.split()]
    if wanted and mode not in wanted:
        return rel, mode, "skip"
    player = Player(path, mode, verbose)
    try:
        player.run(steps)
        return rel, mode, None
    except (Mismatch, ScriptError) as e:
        kind = "bad transcript: " if isinstance(e, ScriptError) else ""
        where = "%s:%d" % (rel, e.lineno) if e.lineno else rel
        text = "%s (%s): %s%s" % (where, mode, kind, e.message)
    except Exception as e:  # a runner bug must not hide the other files
        text = "%s (%s): runner error: %s: %s" % (rel, mode, type(e).__name__, e)
    if verbose:
        text += "\n    " + "\n    ".join(player.log[-15:] or ["(no exchange)"])
        text += "\n    server stderr: " + getattr(player, "stderr_tail", "")
    return rel, mode, text


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description="Play IMAP transcripts against build/petrel.")
    ap.add_argument("files", nargs="*", help=".t files (default: tests/proto/*.t)")
    ap.add_argument("-j", "--jobs", type=int, default=int(os.environ.get("PETREL_TEST_JOBS", "2")))
    ap.add_argument("-m", "--mode", choices=MODES, help="play only one mode")
    ap.add_argument("-v", "--verbose", action="store_true",
                    help="show the last exchanges and server stderr of each failure")
    args = ap.parse_args()
    files = args.files or sorted(glob.glob(os.path.join(here, "*.t")))
    modes = [args.mode] if args.mode else list(MODES)
    jobs = [(f, m) for f in files for m in modes]
    passed = failed = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for rel, mode, failure in pool.map(lambda j: play(j[0], j[1], args.verbose), jobs):
            if failure is None:
                passed += 1
            elif failure == "skip":
                continue
            else:
                failed += 1
                print("FAIL " + failure, flush=True)
    print("transcripts: %d passed, %d failed" % (passed, failed))
    return 1 if failed or not jobs else 0


if __name__ == "__main__":
    sys.exit(main())
