"""Start and stop a throw-away petrel server for one test (transcripts, imaplib).

Each server gets its own temporary data directory, config file and
loopback ports (port 0, read back from the `listening` lines on stderr).
It must never touch a developer's var/ nor listen beyond 127.0.0.1.
"""

import atexit
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_USERS = {"alice": "alice-secret"}
START_TIMEOUT = 10.0     # seconds for the listening lines to appear
STOP_TIMEOUT = 5.0       # contract: exit 0 within a few seconds of SIGTERM
SANITIZER_MARKS = ("AddressSanitizer", "LeakSanitizer", "runtime error")
_LISTEN_RE = re.compile(r"listening (imaps?) 127\.0\.0\.1:(\d+)")

_cert_dir = None


def petrel_binary():
    """$PETREL, else $PETREL_BUILD/petrel (make test-asan), else build/petrel."""
    path = os.environ.get("PETREL") or os.path.join(
        os.environ.get("PETREL_BUILD") or os.environ.get("BUILD", "build"), "petrel")
    return path if os.path.isabs(path) else os.path.join(REPO, path)


_cert_lock = threading.Lock()


def test_cert():
    """(cert, key) of a self-signed P-256 certificate for localhost and
    127.0.0.1, made once per run. PETREL_TEST_CERT_DIR (set by tests/run-all)
    shares one between suites; otherwise it lives in a temp dir removed at exit.
    Runner threads share it: a lock makes one of them create it, and the files
    appear by rename (key first, then cert), so a reader that sees cert.pem
    never reads a half-written key."""
    global _cert_dir
    with _cert_lock:
        shared = os.environ.get("PETREL_TEST_CERT_DIR")
        if shared and os.path.exists(os.path.join(shared, "cert.pem")):
            return os.path.join(shared, "cert.pem"), os.path.join(shared, "key.pem")
        if _cert_dir is None:
            directory = shared or tempfile.mkdtemp(prefix="petrel-cert-")
            os.makedirs(directory, exist_ok=True)
            if not shared:
                atexit.register(shutil.rmtree, directory, True)
            make_cert(directory)
            _cert_dir = directory
        return os.path.join(_cert_dir, "cert.pem"), os.path.join(_cert_dir, "key.pem")


def make_cert(directory):
    work = tempfile.mkdtemp(prefix="petrel-cert-tmp-", dir=directory)
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
         "-keyout", os.path.join(work, "key.pem"),
         "-out", os.path.join(work, "cert.pem")],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)
    os.replace(os.path.join(work, "key.pem"), os.path.join(directory, "key.pem"))
    os.replace(os.path.join(work, "cert.pem"), os.path.join(directory, "cert.pem"))
    os.rmdir(work)


class ServerError(Exception):
    pass


class PetrelServer:
    """One `petrel serve` process. start() raises ServerError with the
    server's stderr when it cannot be started; stop() returns a list of
    problems (empty when the shutdown was clean)."""

    def __init__(self, config=None, users=None, tls=True):
        self.config = dict(config or {})
        self.users = dict(DEFAULT_USERS)
        self.users.update(users or {})
        self.tls = tls
        self.binary = petrel_binary()
        self.dir = tempfile.mkdtemp(prefix="petrel-test-")
        self.data = os.path.join(self.dir, "data")
        self.stderr_path = os.path.join(self.dir, "stderr.log")
        self.proc = None
        self.imap_port = None
        self.imaps_port = None
        self.cert, self.key = test_cert() if tls else (None, None)

    # -- life cycle ---------------------------------------------------------
    def start(self):
        if not os.access(self.binary, os.X_OK):
            raise ServerError("no server binary at %s (run make)" % self.binary)
        with open(os.path.join(self.dir, "petrel.conf"), "w") as f:
            for key, value in self.config.items():
                f.write("%s = %s\n" % (key, value))
        for name, password in self.users.items():
            self.user("add", name, password)
        argv = [self.binary, "serve", "--data", self.data, "--imap", "127.0.0.1:0",
                "--config", os.path.join(self.dir, "petrel.conf")]
        if self.tls:
            argv += ["--imaps", "127.0.0.1:0", "--tls-cert", self.cert, "--tls-key", self.key]
        err = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=err)
        err.close()
        deadline = time.monotonic() + START_TIMEOUT
        want = {"imap", "imaps"} if self.tls else {"imap"}
        while time.monotonic() < deadline:
            ports = dict((kind, int(port)) for kind, port in _LISTEN_RE.findall(self.stderr()))
            if want <= set(ports):
                self.imap_port = ports["imap"]
                self.imaps_port = ports.get("imaps")
                return self
            if self.proc.poll() is not None:
                raise ServerError("server exited %d at start: %s"
                                  % (self.proc.returncode, self.stderr_tail()))
            time.sleep(0.02)
        self.kill()
        raise ServerError("no listening lines after %.0f s: %s" % (START_TIMEOUT, self.stderr_tail()))

    def user(self, action, name, password=None):
        """Run `petrel user ACTION NAME --data DIR` (password on stdin)."""
        run = subprocess.run([self.binary, "user", action, name, "--data", self.data],
                             input=(password + "\n").encode() if password is not None else b"",
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
        if run.returncode != 0:
            raise ServerError("petrel user %s %s exited %d: %s"
                              % (action, name, run.returncode, run.stdout.decode(errors="replace").strip()))

    def terminate(self):
        """Send SIGTERM now (the shutdown itself is checked by stop())."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)

    def stop(self):
        problems = []
        if self.proc is None:
            return problems
        self.terminate()
        try:
            code = self.proc.wait(STOP_TIMEOUT)
            if code != 0:
                problems.append("server exited %d after SIGTERM" % code)
        except subprocess.TimeoutExpired:
            self.kill()
            problems.append("server still running %.0f s after SIGTERM" % STOP_TIMEOUT)
        text = self.stderr()
        for mark in SANITIZER_MARKS:
            if mark in text:
                line = next(l for l in text.splitlines() if mark in l)
                problems.append("server stderr: %s" % line.strip())
                break
        return problems

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def cleanup(self):
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)

    # -- stderr ---------------------------------------------------------------
    def stderr(self):
        try:
            with open(self.stderr_path, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def stderr_tail(self, lines=5):
        return " | ".join(self.stderr().strip().splitlines()[-lines:]) or "(stderr empty)"

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.cleanup()
            raise

    def __exit__(self, *exc):
        self.stop()
        self.cleanup()
