#!/usr/bin/env python3
"""The command-line contract of `petrel` (README "Command line"): exit
statuses, exact output, one `petrel: ` line on stderr for start-up errors,
user management on DIR/users.db, the config file against flags, the
`listening` lines, and the signals (TERM/INT say BYE and exit 0, HUP
reloads the certificate). Loopback only; every subprocess has a timeout.
Last line: `cli: N passed, N failed`.
"""

import imaplib
import os
import re
import select
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import traceback

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import petrel_server  # noqa: E402

PETREL = petrel_server.petrel_binary()
RUN_TIMEOUT = 15         # seconds for one short petrel or openssl run
START_TIMEOUT = 10       # seconds for the listening lines
REPEAT_SIGTERM_RUNS = 10  # shutdowns spammed with SIGTERM: the race needs a few tries
STOP_TIMEOUT = 5         # contract: exit 0 within a few seconds of SIGTERM/SIGINT
SERVE_FAIL_TIMEOUT = 5   # seconds for serve to fail at start-up (a server that runs is killed)
IO_TIMEOUT = 5           # seconds for one answer on a socket
VERSION = "petrel 0.1.0\n"
USER_USAGE = "usage: petrel user {add|passwd|del} NAME --data DIR | petrel user list --data DIR\n"
LISTEN_RE = re.compile(r"listening (imaps?) 127\.0\.0\.1:(\d+)$", re.M)
BYE = b"* BYE Server shutting down\r\n"

results = {"passed": 0, "failed": 0}


def check(name, ok, detail=""):
    if ok:
        results["passed"] += 1
        print("ok   %s" % name)
    else:
        results["failed"] += 1
        detail = str(detail).strip().replace("\n", " | ")[:600]
        print("FAIL %s%s" % (name, ": " + detail if detail else ""))
    return ok


def run(args, stdin=b"", timeout=RUN_TIMEOUT):
    """(exit status, stdout, stderr) of `petrel ARGS`; status None on a timeout."""
    try:
        p = subprocess.run([PETREL] + args, input=stdin, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=timeout)
        return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")
    except subprocess.TimeoutExpired as e:
        return None, (e.stdout or b"").decode(errors="replace"), (e.stderr or b"").decode(errors="replace")


def one_error_line(err, prefix="petrel: "):
    return err.endswith("\n") and err.count("\n") == 1 and err.startswith(prefix)


def expect(name, args, code, stdout="", stdin=b"", err_prefix="petrel: ", stderr=None,
           timeout=RUN_TIMEOUT):
    """Exit status `code`, exactly `stdout`, and either exactly `stderr` or one
    line starting with err_prefix (err_prefix None: stderr empty)."""
    rc, out, err = run(args, stdin, timeout)
    if stderr is not None:
        err_ok = err == stderr
    elif err_prefix is None:
        err_ok = err == ""
    else:
        err_ok = one_error_line(err, err_prefix)
    return check(name, rc == code and out == stdout and err_ok,
                 "argv %r: exit %r (want %d), stdout %r, stderr %r" % (args, rc, code, out, err))


def openssl(args):
    subprocess.run(["openssl"] + args, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=RUN_TIMEOUT)


def make_cert(directory, cn):
    """cert and key files named after cn: P-256, for localhost and 127.0.0.1."""
    cert, key = os.path.join(directory, cn + ".crt"), os.path.join(directory, cn + ".key")
    openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-days", "2", "-subj", "/CN=" + cn,
             "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
             "-keyout", key, "-out", cert])
    return cert, key


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def add_user(data, name, password):
    rc, out, err = run(["user", "add", name, "--data", data], (password + "\n").encode())
    if rc != 0:
        raise RuntimeError("user add %s: exit %r: %s" % (name, rc, err.strip()))


class Serve:
    """One `petrel serve ARGS` started by a test, stderr kept in a file."""

    def __init__(self, tmp, args):
        fd, self.stderr_path = tempfile.mkstemp(prefix="serve-", suffix=".log", dir=tmp)
        with os.fdopen(fd, "wb") as err:
            self.proc = subprocess.Popen([PETREL, "serve"] + args, stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, stderr=err)
        self.ports = {}

    def stderr(self):
        with open(self.stderr_path, "rb") as f:
            return f.read().decode(errors="replace")

    def wait_listening(self, want=("imap",)):
        """The ports of the listening lines; raises if they do not appear."""
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            self.ports = dict((k, int(p)) for k, p in LISTEN_RE.findall(self.stderr()))
            if set(want) <= set(self.ports):
                return self.ports
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)
        raise RuntimeError("no listening %s lines (exit %r): %s"
                           % ("/".join(want), self.proc.poll(), self.stderr().strip()[-400:]))

    def wait_log(self, pattern, start=0, timeout=IO_TIMEOUT):
        """True once stderr (from offset start) has a line matching pattern."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if re.search(pattern, self.stderr()[start:], re.M):
                return True
            time.sleep(0.02)
        return False

    def stop(self, sig=signal.SIGTERM):
        """Exit status after sig, or None if still running after STOP_TIMEOUT."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            return None

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def imap_login_ok(port, user, password):
    """True when imaplib's LOGIN succeeds on plain loopback IMAP, False on NO."""
    conn = imaplib.IMAP4("127.0.0.1", port, timeout=IO_TIMEOUT)
    try:
        conn.login(user, password)
        return True
    except imaplib.IMAP4.error:
        return False
    finally:
        try:
            conn.logout()
        except (imaplib.IMAP4.error, OSError):
            pass


class Client:
    """A raw IMAP client on a socket (plain or TLS), line by line."""

    def __init__(self, port, tls_ctx=None):
        sock = socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT)
        self.sock = tls_ctx.wrap_socket(sock, server_hostname="localhost") if tls_ctx else sock
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data)

    def _recv(self):
        try:
            return self.sock.recv(4096)
        except (ssl.SSLZeroReturnError, ssl.SSLEOFError, ConnectionResetError):
            return b""

    def line(self):
        while b"\r\n" not in self.buf:
            data = self._recv()
            if not data:
                raise EOFError("EOF after %r" % self.buf)
            self.buf += data
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line.decode(errors="replace")

    def until_tagged(self, tag):
        while True:
            line = self.line()
            if line.startswith(tag + " "):
                return line

    def rest(self):
        """Everything until EOF (socket.timeout if the server never closes)."""
        data, self.buf = self.buf, b""
        while True:
            chunk = self._recv()
            if not chunk:
                return data
            data += chunk

    def peer_cn(self):
        subject = self.sock.getpeercert()["subject"]
        return dict(pair for rdn in subject for pair in rdn).get("commonName")

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def tls_context(*cafiles):
    ctx = ssl.create_default_context(cafile=cafiles[0])
    for ca in cafiles[1:]:
        ctx.load_verify_locations(ca)
    return ctx


def readme_config_keys():
    """The keys of the README's configuration table."""
    with open(os.path.join(petrel_server.REPO, "README.md")) as f:
        text = f.read()
    section = text.split("## Configuration file", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `([a-z_]+)` \|", section, re.M)


# -- version and help ----------------------------------------------------------

def test_version_help(tmp):
    expect("--version", ["--version"], 0, VERSION, err_prefix=None)
    rc, out, err = run(["help"])
    check("help", rc == 0 and out.startswith("usage: petrel") and err == "", (rc, out, err))
    rc, out, err = run(["help", "serve"])
    check("help serve exits 0", rc == 0 and out and err == "", (rc, out, err))
    keys = readme_config_keys()
    check("README lists config keys", len(keys) >= 19, keys)
    missing = [k for k in keys if not re.search(r"(?<![\w])%s(?![\w])" % k, out)]
    check("help serve lists every README config key", not missing, "missing %s" % missing)
    rc, out, err = run(["help", "user"])
    check("help user", rc == 0 and "user add" in out and err == "", (rc, out, err))
    expect("help nosuch exits 2", ["help", "nosuch"], 2)
    rc, out, err = run([])
    # The full usage goes to stderr: several lines, by design (not "petrel: ").
    check("no arguments exits 2 with usage on stderr",
          rc == 2 and out == "" and err.startswith("usage: petrel"), (rc, out, err))
    expect("unknown command exits 2", ["nosuch"], 2)


# -- user ----------------------------------------------------------------------

def test_user(tmp):
    data = os.path.join(tmp, "users", "data")   # created, parents too
    d = ["--data", data]
    names = ["zed", "bob", "Alice", "a.b@c+d-e_f", "x" * 64]
    for name in names:
        expect("user add %s" % name[:20], ["user", "add", name] + d, 0,
               stdin=b"pw-" + name.encode() + b"\n", err_prefix=None)
    expect("user list sorted", ["user", "list"] + d, 0,
           "".join(n + "\n" for n in sorted(names)), err_prefix=None)
    mode = os.stat(os.path.join(data, "users.db")).st_mode & 0o777
    check("users.db mode 0600", mode == 0o600, oct(mode))

    expect("user add existing exits 1", ["user", "add", "bob"] + d, 1, stdin=b"other\n")
    expect("user del missing exits 1", ["user", "del", "nobody"] + d, 1)
    expect("user passwd missing exits 1", ["user", "passwd", "nobody"] + d, 1, stdin=b"pw\n")
    for bad in ["../x", ".x", "a b", "x" * 65, "", "x/y", "a\tb"]:
        expect("user add invalid name %r exits 1" % bad[:20], ["user", "add", bad] + d, 1,
               stdin=b"pw\n")
    # Usage errors: the one usage line, exit 2.
    expect("user add without NAME exits 2", ["user", "add"] + d, 2, stdin=b"pw\n", stderr=USER_USAGE)
    expect("user add without --data exits 2", ["user", "add", "eve"], 2, stdin=b"pw\n",
           stderr=USER_USAGE)
    expect("user list without --data exits 2", ["user", "list"], 2, stderr=USER_USAGE)
    expect("user --data without value exits 2", ["user", "list", "--data"], 2, stderr=USER_USAGE)
    expect("user unknown action exits 2", ["user", "frob", "eve"] + d, 2, stderr=USER_USAGE)
    expect("user list with NAME exits 2", ["user", "list", "bob"] + d, 2, stderr=USER_USAGE)
    expect("user unknown option exits 2", ["user", "add", "eve", "--bogus"] + d, 2, stdin=b"pw\n",
           stderr=USER_USAGE)

    expect("user add empty password line exits 1", ["user", "add", "eve"] + d, 1, stdin=b"\n")
    expect("user add no stdin exits 1", ["user", "add", "eve"] + d, 1, stdin=b"")
    expect("user add --data=DIR, password without newline", ["user", "add", "eve", "--data=" + data],
           0, stdin=b"Eve-NoNewline-9x", err_prefix=None)
    expect("user list --data=DIR", ["user", "list", "--data=" + data], 0,
           "".join(n + "\n" for n in sorted(names + ["eve"])), err_prefix=None)

    expect("user del", ["user", "del", "zed"] + d, 0, err_prefix=None)
    expect("user del again exits 1", ["user", "del", "zed"] + d, 1)
    old, new = "Old-Plaintext-Qw7", "New-Plaintext-Zx3"
    expect("user add carol", ["user", "add", "carol"] + d, 0, stdin=(old + "\n").encode(),
           err_prefix=None)
    expect("user passwd carol", ["user", "passwd", "carol"] + d, 0, stdin=(new + "\r\n").encode(),
           err_prefix=None)
    expect("user passwd empty password exits 1", ["user", "passwd", "carol"] + d, 1, stdin=b"\n")
    expect("user list after del", ["user", "list"] + d, 0,
           "".join(n + "\n" for n in sorted([n for n in names if n != "zed"] + ["eve", "carol"])),
           err_prefix=None)

    conf = write(os.path.join(tmp, "user.conf"), "auth_failure_delay_ms = 0\n")
    srv = Serve(tmp, ["--data", data, "--imap", "127.0.0.1:0", "--config", conf])
    try:
        port = srv.wait_listening()["imap"]
        check("login with the new password", imap_login_ok(port, "carol", new))
        check("old password refused", not imap_login_ok(port, "carol", old))
        check("password read without trailing newline",
              imap_login_ok(port, "eve", "Eve-NoNewline-9x"))
        check("deleted user refused", not imap_login_ok(port, "zed", "pw-zed"))
        check("serve exits 0", srv.stop() == 0, srv.stderr()[-400:])
    finally:
        srv.kill()

    leaks = []
    for root, _, files in os.walk(data):
        for fn in files:
            with open(os.path.join(root, fn), "rb") as f:
                blob = f.read()
            for pw in (old, new, "Eve-NoNewline-9x", "pw-bob"):
                if pw.encode() in blob:
                    leaks.append("%s in %s" % (pw, fn))
    check("no plaintext password in the data directory", not leaks, leaks)


# -- serve start-up errors -----------------------------------------------------

def expect_serve_fail(name, args):
    """Exit 2, nothing on stdout, exactly one `petrel: ` line on stderr."""
    expect("serve: " + name, ["serve"] + args, 2, timeout=SERVE_FAIL_TIMEOUT)


def test_serve_errors(tmp):
    data = os.path.join(tmp, "serve-data")
    cert, key = make_cert(tmp, "petrel-a")
    _, other_key = make_cert(tmp, "petrel-other")
    d = ["--data", data]
    loop = ["--imap", "127.0.0.1:0"]
    expect_serve_fail("--bogus exits 2", d + loop + ["--bogus"])
    expect_serve_fail("stray argument exits 2", d + loop + ["extra"])
    expect_serve_fail("--imap without value exits 2", d + ["--imap"])
    expect_serve_fail("--data without value exits 2", loop + ["--data"])
    expect_serve_fail("--config without value exits 2", d + loop + ["--config"])
    expect_serve_fail("no --data exits 2", loop)
    expect_serve_fail("no listener exits 2", d)
    expect_serve_fail("--imaps without certificate exits 2", d + ["--imaps", "127.0.0.1:0"])
    expect_serve_fail("--tls-cert without --tls-key exits 2", d + loop + ["--tls-cert", cert])
    expect_serve_fail("bad listen address exits 2", d + ["--imap", "not-an-address"])
    missing = os.path.join(tmp, "no-such.crt")
    expect_serve_fail("missing certificate file exits 2",
                      d + ["--imaps", "127.0.0.1:0", "--tls-cert", missing, "--tls-key", key])
    if os.geteuid() != 0:
        unreadable = os.path.join(tmp, "unreadable.crt")
        shutil.copy(cert, unreadable)
        os.chmod(unreadable, 0)
        expect_serve_fail("unreadable certificate file exits 2",
                          d + ["--imaps", "127.0.0.1:0", "--tls-cert", unreadable, "--tls-key", key])
    expect_serve_fail("certificate is a directory exits 2",
                      d + ["--imaps", "127.0.0.1:0", "--tls-cert", tmp, "--tls-key", key])
    garbage = write(os.path.join(tmp, "garbage.crt"), "not a certificate\n")
    expect_serve_fail("garbage certificate exits 2",
                      d + ["--imaps", "127.0.0.1:0", "--tls-cert", garbage, "--tls-key", key])
    expect_serve_fail("certificate and key that do not match exit 2",
                      d + ["--imaps", "127.0.0.1:0", "--tls-cert", cert, "--tls-key", other_key])

    def conf(name, text):
        return ["--config", write(os.path.join(tmp, name), text)]
    expect_serve_fail("config unknown key exits 2", d + loop + conf("unknown.conf", "no_such_key = 1\n"))
    expect_serve_fail("config bad number exits 2", d + loop + conf("badnum.conf", "idle_timeout = abc\n"))
    expect_serve_fail("config number out of range exits 2",
                      d + loop + conf("range.conf", "idle_timeout = 0\n"))
    expect_serve_fail("config bad boolean exits 2",
                      d + loop + conf("badbool.conf", "allow_cleartext_auth = maybe\n"))
    expect_serve_fail("config bad log_level exits 2", d + loop + conf("badlevel.conf", "log_level = loud\n"))
    expect_serve_fail("config line without = exits 2", d + loop + conf("syntax.conf", "imap\n"))
    expect_serve_fail("config section exits 2", d + loop + conf("section.conf", "[server]\nloops = 1\n"))
    expect_serve_fail("missing config file exits 2", d + loop + ["--config", os.path.join(tmp, "nope.conf")])
    # The store backend is resolved once at start: an unknown one stops
    # the server before anything is opened or created.
    bad_store = os.path.join(tmp, "bad-store-data")
    expect("serve: config unknown store backend exits 2",
           ["serve", "--data", bad_store] + loop + conf("store.conf", "store = maildir\n"), 2,
           stderr='petrel: unknown store backend "maildir" (known: sqlite)\n',
           timeout=SERVE_FAIL_TIMEOUT)
    check("serve: unknown store backend made no data directory", not os.path.exists(bad_store))
    expect_serve_fail("port out of range exits 2", d + ["--imap", "127.0.0.1:99999"])

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        expect_serve_fail("imap port in use exits 2", d + ["--imap", "127.0.0.1:%d" % port])
        # The imap listener opens first and logs its line; the contract
        # still asks for one line on stderr when imaps then fails.
        expect_serve_fail("imaps port in use exits 2 (imap ok before it)",
                          d + loop + ["--imaps", "127.0.0.1:%d" % port, "--tls-cert", cert,
                                      "--tls-key", key])


# -- config file and flags -------------------------------------------------------

def test_config(tmp):
    data1, data2 = os.path.join(tmp, "conf-data1"), os.path.join(tmp, "conf-data2")
    add_user(data1, "fileuser", "file-secret")
    add_user(data2, "flaguser", "flag-secret")
    conf = write(os.path.join(tmp, "alone.conf"),
                 "# a comment\n; another\nimap = 127.0.0.1:0\ndata = %s\nstore = sqlite\n"
                 "auth_failure_delay_ms = 0\n" % data1)
    srv = Serve(tmp, ["--config", conf])
    try:
        port = srv.wait_listening()["imap"]
        check("serve --config alone: listening", True)
        check("serve --config alone: user of the file's data logs in",
              imap_login_ok(port, "fileuser", "file-secret"))
        check("serve --config alone exits 0", srv.stop() == 0, srv.stderr()[-400:])
    except RuntimeError as e:
        check("serve --config alone", False, e)
    finally:
        srv.kill()

    srv = Serve(tmp, ["--config", conf, "--data", data2])
    try:
        port = srv.wait_listening()["imap"]
        check("--data overrides the file: flag's user logs in",
              imap_login_ok(port, "flaguser", "flag-secret"))
        check("--data overrides the file: file's user refused",
              not imap_login_ok(port, "fileuser", "file-secret"))
        check("flag override exits 0", srv.stop() == 0, srv.stderr()[-400:])
    except RuntimeError as e:
        check("flag overrides the file", False, e)
    finally:
        srv.kill()


def test_listening_lines(tmp):
    cert, key = make_cert(tmp, "petrel-l")
    conf = write(os.path.join(tmp, "quiet.conf"), "log_level = error\n")
    srv = Serve(tmp, ["--data=" + os.path.join(tmp, "quiet-data"), "--imap=127.0.0.1:0",
                      "--imaps", "127.0.0.1:0", "--tls-cert", cert, "--tls-key", key,
                      "--config", conf])
    try:
        ports = srv.wait_listening(("imap", "imaps"))
        check("log_level=error: both listening lines", ports["imap"] > 0 and ports["imaps"] > 0, ports)
        c = Client(ports["imap"])
        greeting = c.line()
        c.close()
        check("log_level=error: the imap port answers", greeting.startswith("* OK"), greeting)
        check("log_level=error: info lines are not logged", "serving" not in srv.stderr(), srv.stderr())
        check("log_level=error: exits 0", srv.stop() == 0, srv.stderr()[-400:])
    except (RuntimeError, OSError, EOFError) as e:
        check("log_level=error listening lines", False, e)
    finally:
        srv.kill()


# -- signals ---------------------------------------------------------------------

def test_stop_signal(tmp, sig, signame):
    data = os.path.join(tmp, "sig-data-" + signame)
    add_user(data, "alice", "alice-secret")
    cert, key = petrel_server.test_cert()
    srv = Serve(tmp, ["--data", data, "--imap", "127.0.0.1:0", "--imaps", "127.0.0.1:0",
                      "--tls-cert", cert, "--tls-key", key])
    clients = []
    try:
        ports = srv.wait_listening(("imap", "imaps"))
        logged = Client(ports["imap"])
        clients.append(logged)
        logged.line()
        logged.send(b"a LOGIN alice alice-secret\r\n")
        ok = logged.until_tagged("a")
        mid = Client(ports["imap"])
        clients.append(mid)
        mid.line()
        mid.send(b"a NOOP")                    # no CRLF: mid-command
        tls = Client(ports["imaps"], tls_context(cert))
        clients.append(tls)
        tls.line()
        check("%s: set-up (login, partial command, TLS)" % signame, ok.startswith("a OK"), ok)
        time.sleep(0.2)                        # let the server read the partial command
        start = time.monotonic()
        srv.proc.send_signal(sig)
        for label, c in (("logged-in", logged), ("mid-command", mid), ("TLS", tls)):
            try:
                got = c.rest()
            except (socket.timeout, OSError) as e:
                got = "no EOF: %r" % e
            check("%s: %s client gets BYE then EOF" % (signame, label), got == BYE, repr(got))
        code = srv.stop(sig)
        elapsed = time.monotonic() - start
        check("%s: exits 0 within %d s" % (signame, STOP_TIMEOUT), code == 0 and elapsed < STOP_TIMEOUT,
              "exit %r after %.1f s: %s" % (code, elapsed, srv.stderr()[-400:]))
    except (RuntimeError, OSError, EOFError, ssl.SSLError) as e:
        check("%s shutdown" % signame, False, "%r %s" % (e, srv.stderr()[-400:]))
    finally:
        for c in clients:
            c.close()
        srv.kill()


def test_repeated_sigterm(tmp):
    """A supervisor that is kept waiting signals again (systemd does, and so
    does a test harness's stop()): every SIGTERM after the first, however
    late in the shutdown it comes, still ends in exit 0, never in death by
    the signal's default action."""
    data = os.path.join(tmp, "repeat-data")
    add_user(data, "alice", "secret-repeat")
    codes = []
    for attempt in range(REPEAT_SIGTERM_RUNS):
        srv = Serve(tmp, ["--data", data, "--imap", "127.0.0.1:0"])
        try:
            port = srv.wait_listening()["imap"]
            imap_login_ok(port, "alice", "secret-repeat")
            deadline = time.monotonic() + STOP_TIMEOUT
            while srv.proc.poll() is None and time.monotonic() < deadline:
                srv.proc.send_signal(signal.SIGTERM)
                time.sleep(0.0005)
            try:
                codes.append(srv.proc.wait(STOP_TIMEOUT))
            except subprocess.TimeoutExpired:
                codes.append(None)
        finally:
            srv.kill()
    check("SIGTERM every 0.5 ms through the shutdown: every run exits 0",
          codes == [0] * REPEAT_SIGTERM_RUNS, codes)


def test_early_sigterm(tmp):
    """A supervisor may signal as soon as it reads the listening line: the
    line is read from a pipe here, so the signal follows it at once."""
    proc = subprocess.Popen([PETREL, "serve", "--data", os.path.join(tmp, "early-data"),
                             "--imap", "127.0.0.1:0"], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        seen, deadline = b"", time.monotonic() + START_TIMEOUT
        while b"listening imap" not in seen and time.monotonic() < deadline:
            if select.select([proc.stderr], [], [], 0.5)[0]:
                chunk = os.read(proc.stderr.fileno(), 4096)
                if not chunk:
                    break
                seen += chunk
        if not check("listening line on a pipe", b"listening imap" in seen, seen):
            return
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            code = None
        check("SIGTERM right after the listening line exits 0", code == 0, "exit %r" % code)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()


def test_sighup(tmp):
    certs = os.path.join(tmp, "hup")
    os.mkdir(certs)
    a_cert, a_key = make_cert(certs, "petrel-a")
    b_cert, b_key = make_cert(certs, "petrel-b")
    cert, key = os.path.join(certs, "live.crt"), os.path.join(certs, "live.key")
    shutil.copy(a_cert, cert)
    shutil.copy(a_key, key)
    data = os.path.join(tmp, "hup-data")
    add_user(data, "alice", "alice-secret")
    ctx = tls_context(a_cert, b_cert)
    srv = Serve(tmp, ["--data", data, "--imap", "127.0.0.1:0", "--imaps", "127.0.0.1:0",
                      "--tls-cert", cert, "--tls-key", key])
    clients = []
    try:
        port = srv.wait_listening(("imap", "imaps"))["imaps"]
        old = Client(port, ctx)
        clients.append(old)
        old.line()
        check("SIGHUP: first certificate is CN=petrel-a", old.peer_cn() == "petrel-a", old.peer_cn())

        shutil.copy(b_key, key)
        shutil.copy(b_cert, cert)
        mark = len(srv.stderr())
        srv.proc.send_signal(signal.SIGHUP)
        check("SIGHUP: reload logged", srv.wait_log(r"certificate reloaded", mark), srv.stderr()[mark:])
        new = Client(port, ctx)
        clients.append(new)
        new.line()
        check("SIGHUP: new connection sees CN=petrel-b", new.peer_cn() == "petrel-b", new.peer_cn())
        old.send(b"n1 NOOP\r\n")
        reply = old.until_tagged("n1")
        check("SIGHUP: old connection still works", reply.startswith("n1 OK"), reply)

        write(cert, "garbage, not PEM\n")
        mark = len(srv.stderr())
        srv.proc.send_signal(signal.SIGHUP)
        check("SIGHUP with a bad certificate logs an error",
              srv.wait_log(r" error: .*certificate", mark), srv.stderr()[mark:])
        check("SIGHUP with a bad certificate: still running", srv.proc.poll() is None, srv.proc.poll())
        third = Client(port, ctx)
        clients.append(third)
        third.line()
        check("SIGHUP with a bad certificate: B still served", third.peer_cn() == "petrel-b",
              third.peer_cn())
        old.send(b"n2 NOOP\r\n")
        reply = old.until_tagged("n2")
        check("SIGHUP with a bad certificate: old connection still works", reply.startswith("n2 OK"), reply)
        for c in clients:
            c.close()
        check("SIGHUP: exits 0 on SIGTERM", srv.stop() == 0, srv.stderr()[-400:])
    except (RuntimeError, OSError, EOFError, ssl.SSLError) as e:
        check("SIGHUP reload", False, "%r %s" % (e, srv.stderr()[-400:]))
    finally:
        for c in clients:
            c.close()
        srv.kill()


def test_password_change_running(tmp):
    """A running server remembers verified passwords (auth_cache_ttl), but
    `petrel user passwd` and `user del` from another process take effect
    at the next login: the old password stops working at once."""
    data = os.path.join(tmp, "pwchange-data")
    add_user(data, "carol", "first-secret")
    conf = os.path.join(tmp, "pwchange.conf")
    write(conf, "auth_failure_delay_ms = 0\n")
    srv = Serve(tmp, ["--data", data, "--imap", "127.0.0.1:0", "--config", conf])
    try:
        port = srv.wait_listening()["imap"]
        check("running server: login, then again (remembered)",
              imap_login_ok(port, "carol", "first-secret")
              and imap_login_ok(port, "carol", "first-secret"))
        rc, _, err = run(["user", "passwd", "carol", "--data", data], b"second-secret\n")
        check("running server: user passwd exits 0", rc == 0, err)
        check("running server: the old password no longer works",
              not imap_login_ok(port, "carol", "first-secret"))
        check("running server: the new one does, twice",
              imap_login_ok(port, "carol", "second-secret")
              and imap_login_ok(port, "carol", "second-secret"))
        rc, _, err = run(["user", "del", "carol", "--data", data])
        check("running server: user del exits 0", rc == 0, err)
        check("running server: a deleted user cannot log in with a remembered password",
              not imap_login_ok(port, "carol", "second-secret"))
        check("running server: exits 0 on SIGTERM", srv.stop() == 0, srv.stderr()[-400:])
    finally:
        srv.kill()


# -- deliver ---------------------------------------------------------------------

def test_deliver(tmp):
    """`petrel deliver USER [--mailbox NAME] --data DIR`: sysexits codes, the
    message stored as given (LF lines as CRLF), a missing mailbox meaning
    INBOX, and a running server's session in IDLE told at once."""
    data = os.path.join(tmp, "deliver-data")
    add_user(data, "alice", "alice-secret")
    msg = b"From: Ann <ann@example.org>\nSubject: delivered\n\nhello there\n"
    for name, args in (("no arguments", ["deliver"]), ("no --data", ["deliver", "alice"]),
                       ("an unknown option", ["deliver", "alice", "--data", data, "--x"])):
        rc, out, err = run(args, msg)
        check("deliver: %s exits 64 (EX_USAGE) with the usage on stderr" % name,
              rc == 64 and out == "" and err.startswith("usage: petrel deliver USER"),
              (rc, out, err))
    expect("deliver: unknown user exits 67 (EX_NOUSER)", ["deliver", "bob", "--data", data], 67,
           stdin=msg, stderr="petrel: no such user\n")
    expect("deliver: invalid user name exits 67", ["deliver", "../x", "--data", data], 67,
           stdin=msg, stderr="petrel: no such user\n")
    expect("deliver: empty message exits 65 (EX_DATAERR)", ["deliver", "alice", "--data", data],
           65, stdin=b"", stderr="petrel: empty message\n")
    rc, out, err = run(["help", "deliver"])
    check("help deliver", rc == 0 and out.startswith("usage: petrel deliver") and err == "",
          (rc, out, err))

    srv = Serve(tmp, ["--data", data, "--imap", "127.0.0.1:0"])
    try:
        port = srv.wait_listening(("imap",))["imap"]
        c = Client(port)
        c.line()
        c.send(b"a LOGIN alice alice-secret\r\nb SELECT INBOX\r\n")
        c.until_tagged("b")
        c.send(b"c IDLE\r\n")
        check("deliver: IDLE starts", c.line() == "+ idling")
        expect("deliver: into INBOX exits 0, says nothing", ["deliver", "alice", "--data", data],
               0, stdin=msg, err_prefix=None)
        got = [c.line(), c.line()]
        check("deliver: the session in IDLE sees it at once (other process, inotify)",
              got == ["* 1 EXISTS", "* 1 RECENT"], got)
        expect("deliver: a missing mailbox means INBOX, said on stderr",
               ["deliver", "alice", "--mailbox", "No/Such", "--data", data], 0,
               stdin=b"Subject: 2\n\nx\n",
               stderr='petrel: no mailbox "No/Such": delivered to INBOX\n')
        got = [c.line(), c.line()]
        check("deliver: ... and IDLE sees that one too", got == ["* 2 EXISTS", "* 2 RECENT"], got)
        expect("deliver: --mailbox Archive", ["deliver", "alice", "--mailbox", "Archive",
                                              "--data", data], 0, stdin=b"Subject: 3\n\nx\n",
               err_prefix=None)
        c.send(b"DONE\r\n")
        check("deliver: DONE", c.until_tagged("c") == "c OK IDLE terminated")
        c.send(b"d FETCH 1 BODY.PEEK[]\r\n")
        body = msg.replace(b"\n", b"\r\n")
        first = c.line()
        while len(c.buf) < len(body):
            chunk = c._recv()
            if not chunk:
                break
            c.buf += chunk
        literal, c.buf = c.buf[:len(body)], c.buf[len(body):]
        check("deliver: stored exactly, lines ending in CRLF",
              first == "* 1 FETCH (BODY[] {%d}" % len(body) and literal == body,
              (first, literal))
        check("deliver: FETCH ends", c.line() == ")" and c.until_tagged("d").startswith("d OK"))
        c.send(b"e STATUS Archive (MESSAGES)\r\n")
        got = [c.line(), c.line()]
        check("deliver: Archive holds the third",
              got == ["* STATUS Archive (MESSAGES 1)", "e OK STATUS completed"], got)
        c.close()
        check("deliver: server exits 0", srv.stop() == 0, srv.stderr()[-400:])
    finally:
        srv.kill()
    expect("deliver: check clean afterwards", ["check", "--data", data], 0, "alice: ok\n",
           err_prefix=None)


# -- the store's safety (issue 12 "Silent data loss") -------------------------------

def test_quota(tmp):
    """`petrel quota get|set USER ... --data DIR [--config FILE]`: the exact
    lines (RESOURCE USAGE LIMIT SOURCE), the config's defaults, a user's own
    limits, usage errors; a change seen by a running server at its next
    delivery; `deliver` over quota exits 73, or 75 with quota_full_tempfail."""
    data = os.path.join(tmp, "quota-data")
    add_user(data, "alice", "alice-secret")
    conf = write(os.path.join(tmp, "quota.conf"),
                 "data = %s\nquota_storage = 1M\nquota_mailboxes = 10\n" % data)
    rc, out, err = run(["quota"])
    check("quota: no action exits 2 with the usage", rc == 2 and out == "" and
          err.startswith("usage: petrel quota get USER"), (rc, out, err))
    for name, args in (("set without a value", ["quota", "set", "alice", "--data", data]),
                       ("an unknown action", ["quota", "show", "alice", "--data", data]),
                       ("no user", ["quota", "get", "--data", data]),
                       ("no --data", ["quota", "get", "alice"])):
        rc, out, err = run(args)
        check("quota: %s exits 2" % name, rc == 2 and out == "" and err.startswith("usage:"),
              (rc, out, err))
    expect("quota: an unknown user exits 1", ["quota", "get", "bob", "--data", data], 1,
           stderr="petrel: no such user\n")
    expect("quota: get, no config: no limits", ["quota", "get", "alice", "--data", data], 0,
           "STORAGE 0 none default\nMESSAGE 0 none default\nMAILBOX 6 none default\n",
           err_prefix=None)
    expect("quota: get with --config: its defaults (and its data)",
           ["quota", "get", "alice", "--config", conf], 0,
           "STORAGE 0 1024 default\nMESSAGE 0 none default\nMAILBOX 6 10 default\n",
           err_prefix=None)
    expect("quota: set (names in any case, sizes with a suffix); the others kept",
           ["quota", "set", "alice", "storage=2M", "MESSAGE=1", "--config", conf], 0,
           "STORAGE 0 2048 own\nMESSAGE 0 1 own\nMAILBOX 6 10 default\n", err_prefix=None)
    expect("quota: set none and default", ["quota", "set", "alice", "STORAGE=none",
                                            "MAILBOX=default", "--config", conf], 0,
           "STORAGE 0 none own\nMESSAGE 0 1 own\nMAILBOX 6 10 default\n", err_prefix=None)
    expect("quota: an unknown resource exits 2", ["quota", "set", "alice", "FOO=1", "--data", data],
           2, stderr="petrel: 'FOO=1': expected STORAGE=, MESSAGE= or MAILBOX=\n")
    expect("quota: a bad value exits 2", ["quota", "set", "alice", "MESSAGE=1K", "--data", data],
           2, stderr="petrel: 'MESSAGE=1K': expected a limit, none or default\n")
    msg = b"Subject: q\n\nbody\n"
    expect("quota: deliver under the limit exits 0", ["deliver", "alice", "--data", data], 0,
           stdin=msg, err_prefix=None)
    expect("quota: deliver over it exits 73 (EX_CANTCREAT)", ["deliver", "alice", "--data", data],
           73, stdin=msg, stderr="petrel: cannot store the message: over quota\n")
    tempfail = write(os.path.join(tmp, "tempfail.conf"), "quota_full_tempfail = yes\n")
    expect("quota: with quota_full_tempfail, 75 (EX_TEMPFAIL)",
           ["deliver", "alice", "--data", data, "--config", tempfail], 75, stdin=msg,
           stderr="petrel: cannot store the message: over quota\n")
    srv = Serve(tmp, ["--data", data, "--imap", "127.0.0.1:0"])
    try:
        port = srv.wait_listening(("imap",))["imap"]
        append = "APPEND INBOX {2+}\r\nhi"
        got = _imap_replies(port, [append])[1:]
        check("quota: the server refuses an APPEND past the user's limit",
              got == ["t0 NO [OVERQUOTA] Quota exceeded"], got)
        expect("quota: set while the server runs", ["quota", "set", "alice", "MESSAGE=2",
                                                    "--data", data], 0,
               "STORAGE 1 none own\nMESSAGE 1 2 own\nMAILBOX 6 none default\n",
               err_prefix=None)
        got = _imap_replies(port, [append, append])[1:]
        check("quota: its next APPEND obeys the new limit at once",
              len(got) == 2 and got[0].startswith("t0 OK [APPENDUID ") and
              got[1] == "t1 NO [OVERQUOTA] Quota exceeded", got)
        check("quota: server exits 0", srv.stop() == 0, srv.stderr()[-400:])
    finally:
        srv.kill()


def _imap_replies(port, commands):
    """Log in as alice, send each command, return each one's tagged reply."""
    c = Client(port)
    c.line()
    c.send(b"a LOGIN alice alice-secret\r\n")
    replies = [c.until_tagged("a")]
    for i, cmd in enumerate(commands):
        tag = "t%d" % i
        c.send(("%s %s\r\n" % (tag, cmd)).encode())
        replies.append(c.until_tagged(tag))
    c.close()
    return replies


def expect_out(name, args, code, stdout, stdin=b""):
    """Exit status and exactly stdout; stderr may hold log lines (check logs
    each problem it reports as a warning)."""
    rc, out, err = run(args, stdin)
    return check(name, rc == code and out == stdout,
                 "argv %r: exit %r (want %d), stdout %r, stderr %r" % (args, rc, code, out, err))


def expect_tempfail(name, args, stdin):
    """Exit 75 and a last stderr line saying the store could not be opened."""
    rc, out, err = run(args, stdin)
    return check(name, rc == 75 and out == "" and
                 err.splitlines()[-1:] and err.splitlines()[-1].startswith(
                     "petrel: cannot open the store: "), (rc, out, err))


def _created(data):
    """users.db's store_created per user ({} without the column)."""
    import sqlite3
    try:
        with sqlite3.connect(os.path.join(data, "users.db")) as u:
            return dict(u.execute("SELECT name, store_created FROM users"))
    except sqlite3.OperationalError as e:
        return {"error": str(e)}


def _store_files(data, user):
    d = os.path.join(data, "users", user)
    return d, os.path.join(d, "store.db")


def test_store_missing(tmp):
    """A store users.db says was made, gone or emptied, is refused everywhere
    and reported by check; never re-created empty with new UIDVALIDITYs."""
    import sqlite3
    data = os.path.join(tmp, "missing-data")
    add_user(data, "alice", "alice-secret")
    add_user(data, "bob", "bob-secret")
    for i in range(3):
        expect("store missing: deliver %d" % i, ["deliver", "alice", "--data", data], 0,
               stdin=b"Subject: m%d\n\nbody\n" % i, err_prefix=None)
    udir, db = _store_files(data, "alice")
    rec = _created(data)
    check("store missing: users.db records alice's store, not bob's (never made)",
          rec == {"alice": 1, "bob": 0}, rec)
    expect("store missing: check clean first", ["check", "--data", data], 0,
           "alice: ok\nbob: no store yet\n", err_prefix=None)
    keep = os.path.join(tmp, "store.db.kept")
    shutil.copy(db, keep)
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.unlink(db + suffix)
    expect("store missing: check reports the missing store.db, exit 1", ["check", "--data", data],
           1, "alice: store missing: %s is missing, and users.db says this user had a store:"
           " not creating a new one (restore it)\nbob: no store yet\n" % db, err_prefix=None)
    expect("store missing: deliver exits 75 (EX_TEMPFAIL)", ["deliver", "alice", "--data", data],
           75, stdin=b"Subject: x\n\nx\n", err_prefix="petrel: cannot open the store: ")
    check("store missing: deliver made no store.db", not os.path.exists(db))
    srv = Serve(tmp, ["--data", data, "--imap", "127.0.0.1:0", "--lmtp", "127.0.0.1:0"])
    try:
        port = srv.wait_listening(("imap",))["imap"]
        m = None
        deadline = time.monotonic() + START_TIMEOUT
        while m is None and time.monotonic() < deadline:
            m = re.search(r"listening lmtp 127\.0\.0\.1:(\d+)", srv.stderr())
            time.sleep(0.02)
        lmtp = Client(int(m.group(1)))
        lmtp.line()
        lmtp.send(b"LHLO x\r\nMAIL FROM:<s@x>\r\nRCPT TO:<alice>\r\nDATA\r\n")
        got = [lmtp.line() for _ in range(8)][-3:]   # LHLO answers 5 lines
        lmtp.send(b"Subject: lmtp\r\n\r\nx\r\n.\r\n")
        got.append(lmtp.line())
        lmtp.close()
        check("store missing: LMTP answers 451 (try again later) for the message",
              got == ["250 2.1.0 OK", "250 2.1.5 OK", "354 Go ahead, end with <CR><LF>.<CR><LF>",
                      "451 4.3.0 <alice> Temporary failure, try again"], got)
        got = _imap_replies(port, ["SELECT INBOX", "STATUS INBOX (MESSAGES)"])
        check("store missing: login works, SELECT and STATUS answer NO [SERVERBUG]",
              got == ["a OK [CAPABILITY" + got[0][len("a OK [CAPABILITY"):],
                      "t0 NO [SERVERBUG] Mail store missing, see the server log",
                      "t1 NO [SERVERBUG] Mail store missing, see the server log"], got)
        check("store missing: the server logs why",
              "store.db is missing, and users.db says this user had a store" in srv.stderr(),
              srv.stderr()[-600:])
        check("store missing: serve made no store.db", not os.path.exists(db))
        check("store missing: server exits 0", srv.stop() == 0, srv.stderr()[-400:])
    finally:
        srv.kill()
    # Emptied to 0 bytes: the same, and it stays 0 bytes.
    open(db, "wb").close()
    expect("store empty: check reports it", ["check", "--data", data, "alice"], 1,
           "alice: store missing: %s is empty, and users.db says this user had a store:"
           " not creating a new one (restore it)\n" % db, err_prefix=None)
    expect("store empty: deliver exits 75", ["deliver", "alice", "--data", data], 75,
           stdin=b"Subject: x\n\nx\n", err_prefix="petrel: cannot open the store: ")
    check("store empty: still 0 bytes", os.path.getsize(db) == 0, os.path.getsize(db))
    # Not an SQLite database: never re-initialized.
    junk = b"this is not an SQLite database at all " * 200
    with open(db, "wb") as f:
        f.write(junk)
    rc, out, err = run(["check", "--data", data, "alice"])
    check("store not a database: check says it cannot open it, exit 1",
          rc == 1 and out.startswith("alice: cannot open store: ") and out.count("\n") == 1,
          (rc, out, err))
    expect_tempfail("store not a database: deliver exits 75", ["deliver", "alice", "--data", data],
                    b"Subject: x\n\nx\n")
    with open(db, "rb") as f:
        check("store not a database: file unchanged", f.read() == junk)
    # Restored: all is well again, with the same messages.
    for suffix in ("-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.unlink(db + suffix)
    shutil.copy(keep, db)
    expect("store restored: check ok", ["check", "--data", data, "alice"], 0, "alice: ok\n",
           err_prefix=None)
    # A users.db from before the record: migrated in place, a user with a
    # store's files counts as having had one.
    with sqlite3.connect(os.path.join(data, "users.db")) as u:
        u.execute("ALTER TABLE users DROP COLUMN store_created")
    os.unlink(db)
    rc, out, err = run(["check", "--data", data])
    check("store missing after a users.db upgrade: reported",
          rc == 1 and out.startswith("alice: store missing: ") and out.endswith(
              "bob: no store yet\n"), (rc, out, err))
    rec = _created(data)
    check("users.db upgrade: alice counted as created, bob not", rec == {"alice": 1, "bob": 0}, rec)
    shutil.copy(keep, db)
    # A user who never had a store gets one, recorded.
    expect("new user: deliver creates the store", ["deliver", "bob", "--data", data], 0,
           stdin=b"Subject: first\n\nhi\n", err_prefix=None)
    rec = _created(data)
    check("new user: recorded in users.db", rec == {"alice": 1, "bob": 1}, rec)
    expect("both clean", ["check", "--data", data], 0, "alice: ok\nbob: ok\n", err_prefix=None)


def test_store_damage(tmp):
    """Flipped bytes in a body (file or row) are found by check's SHA-256,
    and a body whose row is gone is a server error, not EXPUNGEISSUED."""
    import sqlite3
    data = os.path.join(tmp, "damage-data")
    add_user(data, "alice", "alice-secret")
    # > 64 KiB of bytes zstd cannot shrink (0x20-0xff): a file of the body's
    # own bytes (src/store/body-codec.h)
    import random
    rng = random.Random(5)
    big = b"Subject: big\n\n" + b"".join(bytes(0x20 + b % 224 for b in rng.randbytes(63)) + b"\n"
                                         for _ in range(1300))
    expect("damage: deliver a small message", ["deliver", "alice", "--data", data], 0,
           stdin=b"Subject: small\n\nsmall body\n", err_prefix=None)
    expect("damage: deliver a big message", ["deliver", "alice", "--data", data], 0,
           stdin=big, err_prefix=None)
    expect("damage: deliver a third", ["deliver", "alice", "--data", data], 0,
           stdin=b"Subject: third\n\nthird body\n", err_prefix=None)
    udir, db = _store_files(data, "alice")
    files = os.listdir(os.path.join(udir, "blobs"))
    check("damage: one body file", len(files) == 1, files)
    path = os.path.join(udir, "blobs", files[0])
    with open(path, "r+b") as f:
        f.seek(40000)
        byte = f.read(1)
        f.seek(40000)
        f.write(bytes([byte[0] ^ 0x20]))
    expect_out("damage: check finds the flipped byte in the body file", ["check", "--data", data],
               1, 'alice: body 2 of mailbox "INBOX": checksum mismatch\n')
    with open(path, "r+b") as f:
        f.seek(40000)
        f.write(byte)
    with sqlite3.connect(db) as c:
        bid, body = c.execute("SELECT b.id, b.data FROM blobs b JOIN messages m ON"
                              " m.blob_id = b.id WHERE m.uid = 1").fetchone()
        c.execute("UPDATE blobs SET data = ? WHERE id = ?",
                  (body.replace(b"small body", b"smalL body"), bid))
    expect_out("damage: check finds the changed byte in an inline body", ["check", "--data", data],
               1, 'alice: body 1 of mailbox "INBOX": checksum mismatch\n')
    with sqlite3.connect(db) as c:
        bid3 = c.execute("SELECT blob_id FROM messages WHERE uid = 3").fetchone()[0]
        c.execute("DELETE FROM blobs WHERE id = ?", (bid3,))
    srv = Serve(tmp, ["--data", data, "--imap", "127.0.0.1:0"])
    try:
        port = srv.wait_listening(("imap",))["imap"]
        # One session: a FETCH that fails before any of its response lines
        # is started leaves the session usable (only a cut line ends it).
        got = _imap_replies(port, ["SELECT INBOX", "FETCH 1 BODY.PEEK[]",
                                   "FETCH 3 BODY.PEEK[]", "FETCH 2 RFC822.SIZE",
                                   "FETCH 1:2 FLAGS"])[2:]
        check("damage: FETCH of a body failing its checksum, and of one whose row is gone,"
              " answer NO [SERVERBUG], not EXPUNGEISSUED; others still read",
              got == ["t1 NO [SERVERBUG] Internal error, see the server log",
                      "t2 NO [SERVERBUG] Internal error, see the server log",
                      "t3 OK FETCH completed", "t4 OK FETCH completed"], got)
        log = srv.stderr()
        check("damage: both logged", "body %d fails its checksum" % bid in log and
              "names body %d, which has no row" % bid3 in log, log[-800:])
        check("damage: server exits 0", srv.stop() == 0, srv.stderr()[-400:])
    finally:
        srv.kill()
    rc, out, err = run(["check", "--data", data])
    check("damage: check reports the missing body row too",
          rc == 1 and 'alice: body 3 of mailbox "INBOX": missing (blob %d has no row)\n' % bid3 in out,
          (rc, out, err))


def test_acl(tmp):
    """`petrel acl get|set|delete USER MAILBOX [IDENTIFIER [RIGHTS]] --data DIR`:
    the exact lines (IDENTIFIER RIGHTS), + and - and c/d, usage and lookup
    errors with their codes; `user del` takes the deleted user's rights
    away from others' mailboxes (a new user of that name inherits none)."""
    data = os.path.join(tmp, "acl-data")
    add_user(data, "alice", "alice-secret")
    add_user(data, "bob", "bob-secret")
    expect("acl: deliver makes alice's store", ["deliver", "alice", "--data", data], 0,
           stdin=b"Subject: a\n\nx\n", err_prefix=None)
    rc, out, err = run(["acl"])
    check("acl: no action exits 2 with the usage", rc == 2 and out == "" and
          err.startswith("usage: petrel acl get USER|--public MAILBOX"), (rc, out, err))
    for name, args in (("set without rights", ["acl", "set", "alice", "INBOX", "bob",
                                               "--data", data]),
                       ("get with an identifier", ["acl", "get", "alice", "INBOX", "bob",
                                                   "--data", data]),
                       ("an unknown action", ["acl", "show", "alice", "INBOX", "--data", data]),
                       ("no --data", ["acl", "get", "alice", "INBOX"])):
        rc, out, err = run(args)
        check("acl: %s exits 2" % name, rc == 2 and out == "" and err.startswith("usage:"),
              (rc, out, err))
    expect("acl: set", ["acl", "set", "alice", "INBOX", "bob", "lr", "--data", data], 0,
           "bob lr\n", err_prefix=None)
    expect("acl: set + (c stands for k x)", ["acl", "set", "alice", "INBOX", "bob", "+wc",
                                             "--data", data], 0, "bob lrwkx\n", err_prefix=None)
    expect("acl: set - on a negative identifier", ["acl", "set", "alice", "INBOX", "-bob", "sw",
                                                   "--data", data], 0, "-bob sw\n",
           err_prefix=None)
    expect("acl: set anyone", ["acl", "set", "alice", "INBOX", "anyone", "l", "--data", data], 0,
           "anyone l\n", err_prefix=None)
    expect("acl: get lists in identifier order",
           ["acl", "get", "alice", "INBOX", "--data", data], 0,
           "-bob sw\nanyone l\nbob lrwkx\n", err_prefix=None)
    expect("acl: delete", ["acl", "delete", "alice", "INBOX", "anyone", "--data", data], 0,
           "", err_prefix=None)
    expect("acl: a bad right exits 2", ["acl", "set", "alice", "INBOX", "bob", "lz",
                                        "--data", data], 2,
           stderr="petrel: 'lz': rights are letters of lrswipkxtea\n")
    expect("acl: a bad identifier exits 2", ["acl", "set", "alice", "INBOX", "b ob", "l",
                                             "--data", data], 2,
           stderr="petrel: 'b ob': not an identifier\n")
    expect("acl: no such mailbox exits 1", ["acl", "get", "alice", "Nope", "--data", data], 1,
           stderr="petrel: acl: no such mailbox\n")
    expect("acl: no such user exits 1", ["acl", "get", "carol", "INBOX", "--data", data], 1,
           stderr="petrel: no such user\n")
    expect("acl: user del bob", ["user", "del", "bob", "--data", data], 0, err_prefix=None)
    expect("acl: bob's entries went with him", ["acl", "get", "alice", "INBOX", "--data", data],
           0, "", err_prefix=None)


def _bob_list(port):
    """bob's LIST "" "Shared/*" reply, untagged lines and all."""
    c = Client(port)
    c.line()
    c.send(b"a LOGIN bob bob-secret\r\n")
    c.until_tagged("a")
    c.send(b'b LIST "" "Shared/*"\r\n')
    lines = []
    while not lines or not lines[-1].startswith("b "):
        lines.append(c.line())
    c.close()
    return lines


def test_mailbox_public(tmp):
    """`petrel mailbox list|create|delete|rename USER|--public ...` and the
    public mailboxes: the exact list lines, the exit codes of each refusal,
    the public store made only by the first create (INBOX alone, none of a
    user's special-use mailboxes), `acl`, `quota` and `check` with --public,
    and a running server's client seeing the change at once."""
    data = os.path.join(tmp, "mailbox-data")
    add_user(data, "alice", "alice-secret")
    add_user(data, "bob", "bob-secret")
    rc, out, err = run(["mailbox"])
    check("mailbox: no action exits 2 with the usage", rc == 2 and out == "" and
          err.startswith("usage: petrel mailbox list USER|--public"), (rc, out, err))
    for name, args in (("create without a name", ["mailbox", "create", "alice", "--data", data]),
                       ("rename with one name", ["mailbox", "rename", "alice", "A", "--data", data]),
                       ("list with a name", ["mailbox", "list", "alice", "X", "--data", data]),
                       ("an unknown flag", ["mailbox", "list", "--pub", "--data", data]),
                       ("no --data", ["mailbox", "list", "alice"])):
        rc, out, err = run(args)
        check("mailbox: %s exits 2" % name, rc == 2 and out == "" and err.startswith("usage:"),
              (rc, out, err))
    expect("mailbox: --public before any public mailbox", ["mailbox", "list", "--public",
                                                           "--data", data], 1,
           stderr="petrel: there are no public mailboxes\n")
    expect("acl: --public before any public mailbox", ["acl", "get", "--public", "Lists",
                                                       "--data", data], 1,
           stderr="petrel: there are no public mailboxes\n")
    check("mailbox: listing made no public store",
          not os.path.exists(os.path.join(data, "users", "#public")))
    expect("mailbox: create Lists/petrel (parent too)", ["mailbox", "create", "--public",
                                                         "Lists/petrel", "--data", data], 0, err_prefix=None)
    expect("mailbox: create Team for alice", ["mailbox", "create", "alice", "Team",
                                              "--data", data], 0, err_prefix=None)
    expect("mailbox: list --public (INBOX alone beside the admin's)",
           ["mailbox", "list", "--public", "--data", data], 0,
           "INBOX\nLists\nLists/petrel\n", err_prefix=None)
    expect("mailbox: create again exits 1", ["mailbox", "create", "--public", "Lists",
                                             "--data", data], 1,
           stderr="petrel: mailbox: the mailbox exists already\n")
    expect("mailbox: a wildcard name exits 2", ["mailbox", "create", "--public", "a*b",
                                                "--data", data], 2,
           stderr="petrel: 'a*b': Mailbox name has wildcards\n")
    expect("mailbox: delete of none exits 1", ["mailbox", "delete", "alice", "Nope",
                                               "--data", data], 1,
           stderr="petrel: mailbox: no such mailbox\n")
    expect("mailbox: delete INBOX exits 1", ["mailbox", "delete", "alice", "inbox",
                                             "--data", data], 1,
           stderr="petrel: mailbox: not allowed (INBOX, or a parent only that has children)\n")
    expect("mailbox: no such user exits 1", ["mailbox", "list", "carol", "--data", data], 1,
           stderr="petrel: no such user\n")
    expect("mailbox: rename into its own child exits 1",
           ["mailbox", "rename", "alice", "Team", "Team/2026", "--data", data], 1,
           stderr="petrel: mailbox: invalid\n")
    expect("mailbox: rename", ["mailbox", "rename", "alice", "Team", "Projects/Team",
                               "--data", data], 0, err_prefix=None)
    expect("mailbox: delete the parent of a child leaves it \\Noselect",
           ["mailbox", "delete", "alice", "Projects", "--data", data], 0, err_prefix=None)
    expect("mailbox: alice's list", ["mailbox", "list", "alice", "--data", data], 0,
           "Archive\nDrafts\nINBOX\nJunk\nProjects \\Noselect\nProjects/Team\nSent\n"
           "Trash\n", err_prefix=None)
    expect("acl: set --public", ["acl", "set", "--public", "Lists", "anyone", "lrp",
                                 "--data", data], 0, "anyone lrp\n", err_prefix=None)
    expect("acl: get --public", ["acl", "get", "--public", "Lists", "--data", data], 0,
           "anyone lrp\n", err_prefix=None)
    expect("quota: get --public", ["quota", "get", "--public", "--data", data], 0,
           "STORAGE 0 none default\nMESSAGE 0 none default\nMAILBOX 3 none default\n",
           err_prefix=None)
    rc, out, err = run(["check", "--data", data])
    check("check: the public store is checked as #public",
          rc == 0 and out == "alice: ok\nbob: no store yet\n#public: ok\n", (rc, out, err))
    expect("check --public", ["check", "--public", "--data", data], 0, "#public: ok\n",
           err_prefix=None)
    # A running server: bob sees the public mailbox, and one created now.
    srv = Serve(tmp, ["--data", data, "--imap", "127.0.0.1:0"])
    try:
        port = srv.wait_listening()["imap"]
        before = _bob_list(port)
        expect("mailbox: create while serving", ["mailbox", "create", "--public", "News",
                                                 "--data", data], 0, err_prefix=None)
        expect("acl: set while serving", ["acl", "set", "--public", "News", "bob", "lr",
                                          "--data", data], 0, "bob lr\n", err_prefix=None)
        after = _bob_list(port)
    finally:
        srv.stop()
    expect("acl: user del bob takes his rights on public mailboxes too",
           ["user", "del", "bob", "--data", data], 0, err_prefix=None)
    expect("acl: News has no entry of bob's left", ["acl", "get", "--public", "News",
                                                   "--data", data], 0, "", err_prefix=None)
    check("mailbox: bob lists Shared/Lists, nothing he may not see",
          before == ['* LIST (\\HasNoChildren) "/" Shared/Lists', "b OK LIST completed"], before)
    check("mailbox: and the new one at once",
          after == ['* LIST (\\HasNoChildren) "/" Shared/Lists',
                    '* LIST (\\HasNoChildren) "/" Shared/News', "b OK LIST completed"], after)


def main():
    if not os.access(PETREL, os.X_OK):
        print("FAIL no petrel binary at %s (run make)" % PETREL)
        print("cli: 0 passed, 1 failed")
        return 1
    tmp = tempfile.mkdtemp(prefix="petrel-cli-")
    tests = [test_version_help, test_user, test_serve_errors, test_config, test_listening_lines,
             lambda t: test_stop_signal(t, signal.SIGTERM, "SIGTERM"),
             lambda t: test_stop_signal(t, signal.SIGINT, "SIGINT"),
             test_early_sigterm, test_repeated_sigterm, test_sighup, test_deliver, test_password_change_running, test_mailbox_public,
             test_store_missing, test_store_damage, test_quota, test_acl]
    try:
        for test in tests:
            try:
                test(tmp)
            except Exception:
                check(getattr(test, "__name__", "test"), False, traceback.format_exc())
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("cli: %d passed, %d failed" % (results["passed"], results["failed"]))
    return 1 if results["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
