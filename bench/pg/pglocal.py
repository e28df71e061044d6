"""A throw-away PostgreSQL 15 for the measurements in bench/pg/: initdb
into a fresh temporary directory owned by the `postgres` system user (the
server refuses to run as root), no TCP at all (listen_addresses = ''),
its unix socket in that directory, trust authentication (nothing but
root and postgres can enter the directory). Stopped and removed on exit,
on SIGINT/SIGTERM, and by a SIGALRM deadline, whichever comes first.

    with pglocal.Server(settings) as pg:
        conn = pg.connect()          # psycopg2, user postgres
        pg.dsn                       # "host=/tmp/... dbname=postgres user=postgres"

psycopg2 comes from Debian's python3-psycopg2; when the running python3
(e.g. a pyenv one) cannot import it, need_psycopg2() re-runs the script
with /usr/bin/python3, which can.
"""

import atexit
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile

PG_BIN = "/usr/lib/postgresql/15/bin"
PG_USER = "postgres"
# Settings every measurement shares: a cache big enough that "warm" means
# warm for 100,000 messages (about 0.5 GB of text), no parallel workers
# (2 shared cores: a query's cost on one core is the figure that scales),
# and nothing that makes a commit cheaper than on a real server.
BASE_SETTINGS = {
    "listen_addresses": "''",
    "shared_buffers": "'1GB'",
    "max_parallel_workers_per_gather": "0",
    "max_parallel_maintenance_workers": "0",
    "maintenance_work_mem": "'512MB'",
    "work_mem": "'64MB'",
    "fsync": "on",
    "synchronous_commit": "on",
    "max_wal_size": "'4GB'",
    "checkpoint_timeout": "'30min'",
    "log_min_messages": "warning",
}


def need_psycopg2():
    try:
        import psycopg2  # noqa: F401
    except ImportError:
        system = "/usr/bin/python3"
        if os.path.realpath(sys.executable) != os.path.realpath(system) and \
                os.path.exists(system):
            os.execv(system, [system] + sys.argv)
        sys.exit("need python3-psycopg2 (apt-get install python3-psycopg2)")


def ensure_installed():
    if not os.path.exists(os.path.join(PG_BIN, "initdb")):
        sys.exit("need PostgreSQL 15: apt-get install postgresql")
    try:
        pwd.getpwnam(PG_USER)
    except KeyError:
        sys.exit("need the postgres system user (apt-get install postgresql)")


def _as_postgres(args, **kw):
    if os.getuid() == 0:
        args = ["runuser", "-u", PG_USER, "--"] + args
    return subprocess.run(args, check=True, **kw)


class Server:
    def __init__(self, settings=None, deadline_s=1800):
        self.settings = dict(BASE_SETTINGS)
        self.settings.update(settings or {})
        self.deadline_s = deadline_s
        self.dir = None
        self.running = False

    @property
    def dsn(self):
        return "host=%s dbname=postgres user=%s" % (self.dir, PG_USER)

    def __enter__(self):
        ensure_installed()
        self.dir = tempfile.mkdtemp(prefix="petrel-pg-")
        pw = pwd.getpwnam(PG_USER)
        os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        os.chmod(self.dir, 0o700)
        atexit.register(self.stop)
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGALRM):
            signal.signal(sig, self._on_signal)
        signal.alarm(self.deadline_s)
        data = os.path.join(self.dir, "data")
        _as_postgres([os.path.join(PG_BIN, "initdb"), "-D", data, "-U", PG_USER,
                      "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"],
                     stdout=subprocess.DEVNULL)
        with open(os.path.join(data, "postgresql.auto.conf"), "a") as f:
            for k, v in self.settings.items():
                f.write("%s = %s\n" % (k, v))
            f.write("unix_socket_directories = '%s'\n" % self.dir)
        _as_postgres([os.path.join(PG_BIN, "pg_ctl"), "-D", data, "-w", "-l",
                      os.path.join(self.dir, "log"), "start"], stdout=subprocess.DEVNULL)
        self.running = True
        return self

    def _on_signal(self, signum, frame):
        self.stop()
        sys.exit("stopped by signal %d" % signum)

    def connect(self, autocommit=True):
        import psycopg2
        import psycopg2.extensions
        import psycopg2.extras
        # Waits in Python's select(), so a signal (SIGINT, the deadline)
        # is handled during a long statement instead of after it.
        psycopg2.extensions.set_wait_callback(psycopg2.extras.wait_select)
        conn = psycopg2.connect(self.dsn)
        conn.autocommit = autocommit
        return conn

    def stop(self):
        if self.running:
            self.running = False
            try:
                _as_postgres([os.path.join(PG_BIN, "pg_ctl"), "-D",
                              os.path.join(self.dir, "data"), "-m", "fast", "-w", "stop"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            except subprocess.CalledProcessError:
                pass
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None
        signal.alarm(0)

    def __exit__(self, *exc):
        self.stop()
        return False
