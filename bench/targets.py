"""Servers to benchmark. A target starts a throw-away server on 127.0.0.1
with one user and an empty temporary data directory, and tells the figure
modules what they need besides IMAP: the process id (for CPU time and RSS
from /proc) and the data directory (for disk use).

Only PetrelTarget exists now. A DovecotTarget (the later side-by-side
comparison) implements the same attributes and methods; the figure modules
use nothing else.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "lib"))

import petrel_server  # noqa: E402  (the test suite's throw-away server)

CLK_TCK = os.sysconf("SC_CLK_TCK")


class Target:
    """Interface: name, host, port, user, password, pid, data_dir,
    scratch_dir (a directory of ours on the data directory's file system);
    start(), stop() (removes the data directory), version()."""

    name = "?"
    host = "127.0.0.1"

    # -- /proc figures, common to every server process ---------------------
    def cpu_seconds(self):
        """utime + stime of the server process (all its threads)."""
        with open("/proc/%d/stat" % self.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        # fields[0] is field 3 (state); utime and stime are fields 14, 15
        return (int(fields[11]) + int(fields[12])) / CLK_TCK

    def memory(self):
        """{'rss': bytes, 'hwm': bytes} from /proc/PID/status."""
        out = {}
        with open("/proc/%d/status" % self.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    out["rss"] = int(line.split()[1]) * 1024
                elif line.startswith("VmHWM:"):
                    out["hwm"] = int(line.split()[1]) * 1024
        return out

    def disk_usage(self):
        """{'allocated': bytes on disk (st_blocks), 'apparent': bytes,
        'files': {relative path: allocated}} of the data directory."""
        total = apparent = 0
        files = {}
        for root, _, names in os.walk(self.data_dir):
            for n in names:
                p = os.path.join(root, n)
                try:
                    st = os.lstat(p)
                except OSError:
                    continue
                total += st.st_blocks * 512
                apparent += st.st_size
                rel = os.path.relpath(p, self.data_dir)
                top = rel if os.sep not in os.path.dirname(rel) else rel.split(os.sep)[0] + "/..."
                files[top] = files.get(top, 0) + st.st_blocks * 512
        return {"allocated": total, "apparent": apparent, "files": files}


class PetrelTarget(Target):
    name = "petrel"

    def __init__(self, binary, config=None):
        self.binary = os.path.abspath(binary)
        self.config = dict(config or {})
        self.user = "bench"
        self.password = "bench-secret-1"
        self.server = None

    def start(self):
        # The idle step opens 10,000 sessions from 127.0.0.1.
        config = {"max_connections": "30000", "max_connections_per_ip": "30000"}
        config.update(self.config)
        self.server = petrel_server.PetrelServer(
            config=config, users={self.user: self.password}, tls=True)
        self.server.binary = self.binary
        self.server.start()
        self.port = self.server.imap_port
        self.tls_port = self.server.imaps_port
        self.cert = self.server.cert
        self.pid = self.server.proc.pid
        self.data_dir = self.server.data
        self.scratch_dir = self.server.dir     # same file system, not the data
        return self

    def add_user(self, name, password):
        self.server.user("add", name, password)

    def version(self):
        import subprocess
        try:
            return subprocess.run([self.binary, "--version"], stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, timeout=10).stdout.decode().strip()
        except OSError:
            return "?"

    def stderr_tail(self, lines=5):
        return self.server.stderr_tail(lines) if self.server else ""

    def alive(self):
        return self.server is not None and self.server.proc.poll() is None

    def stop(self):
        problems = []
        if self.server is not None:
            try:
                problems = self.server.stop()
            finally:
                self.server.cleanup()
                self.server = None
        return problems
