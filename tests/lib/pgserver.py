"""A private PostgreSQL server for one test (issue 15 "Tests start their
own PostgreSQL"): initdb into a fresh temporary directory as the
unprivileged user postgres, no TCP at all (listen_addresses=''), its unix
socket in that directory, fsync on (the durability tests must mean what
they say). Stopped and removed at the end, also when the test fails:

    with pgserver.PgServer() as pg:
        run(binary, pg.conninfo)

Needs root (to run the server as postgres; CI runs as root) and Debian's
postgresql package; otherwise raises Skip with the reason. Every wait is
bounded."""

import atexit
import glob
import os
import pwd
import shutil
import subprocess
import tempfile

PG_USER = "postgres"
DATABASE = "petrel"
START_TIMEOUT = 30      # seconds for pg_ctl -w start (initdb'd cluster, first start)
STOP_TIMEOUT = 15       # seconds for pg_ctl stop -m fast
INITDB_TIMEOUT = 60     # seconds: initdb writes and fsyncs a whole cluster
SQL_TIMEOUT = 15        # seconds for one psql run


class Skip(Exception):
    """This machine cannot run a private PostgreSQL (the test says SKIP)."""


def bin_dir():
    """Debian's newest /usr/lib/postgresql/N/bin that has initdb."""
    found = []
    for d in glob.glob("/usr/lib/postgresql/*/bin"):
        version = os.path.basename(os.path.dirname(d))
        if os.path.exists(os.path.join(d, "initdb")) and version.isdigit():
            found.append((int(version), d))
    if not found:
        raise Skip("no PostgreSQL server (/usr/lib/postgresql/*/bin/initdb):"
                   " scripts/install-deps --test installs it")
    return max(found)[1]


_live = []


def _stop_all():
    for server in list(_live):
        server.stop()


atexit.register(_stop_all)


class PgServer:
    def __init__(self, icu_locale=None):
        """icu_locale: the database's default collation, an ICU locale such
        as "en-US" (else the cluster's, C.UTF-8): a test of byte order
        that must not pass by the locale's grace."""
        self.icu_locale = icu_locale
        if os.geteuid() != 0:
            raise Skip("not root: the private PostgreSQL runs as user %s" % PG_USER)
        try:
            self.pw = pwd.getpwnam(PG_USER)
        except KeyError:
            raise Skip("no user %s (Debian's postgresql package makes it)" % PG_USER)
        self.bin = bin_dir()
        self.dir = None
        self.running = False

    # ---- lifetime ----

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def start(self):
        """initdb (first time only), start, create the database."""
        if self.dir is None:
            self.dir = tempfile.mkdtemp(prefix="petrel-pg-")
            os.chown(self.dir, self.pw.pw_uid, self.pw.pw_gid)
            os.chmod(self.dir, 0o700)
            _live.append(self)
            self._as_pg([os.path.join(self.bin, "initdb"), "-D", self.data, "-A", "trust",
                         "-U", PG_USER, "-E", "UTF8", "--locale=C.UTF-8", "--no-instructions"],
                        INITDB_TIMEOUT)
            with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
                f.write("\n# tests/lib/pgserver.py: a private test server\n"
                        "listen_addresses = ''\n"
                        "unix_socket_directories = '%s'\n"
                        "fsync = on\n"
                        "max_connections = 50\n" % self.dir)
            self._pg_ctl_start()
            create = "CREATE DATABASE %s" % DATABASE
            if self.icu_locale is not None:
                create += (" TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE '%s'"
                           % self.icu_locale)
            self.psql(create, db="postgres")
        else:
            self._pg_ctl_start()

    def _pg_ctl_start(self):
        self._as_pg([os.path.join(self.bin, "pg_ctl"), "-D", self.data, "-w",
                     "-t", str(START_TIMEOUT), "-l", os.path.join(self.dir, "server.log"),
                     "start"], START_TIMEOUT + 5)
        self.running = True

    def halt(self):
        """Stops the server but keeps its files (start() brings it back)."""
        if self.running:
            self.running = False
            self._as_pg([os.path.join(self.bin, "pg_ctl"), "-D", self.data, "-w",
                         "-t", str(STOP_TIMEOUT), "stop", "-m", "fast"], STOP_TIMEOUT + 5,
                        check=False)

    def stop(self):
        """Stops the server and removes its directory; safe to call twice."""
        if self.dir is None:
            return
        try:
            self.halt()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None
            if self in _live:
                _live.remove(self)

    # ---- use ----

    @property
    def data(self):
        return os.path.join(self.dir, "data")

    @property
    def conninfo(self):
        return "host=%s dbname=%s user=%s" % (self.dir, DATABASE, PG_USER)

    def log(self):
        try:
            with open(os.path.join(self.dir, "server.log")) as f:
                return f.read()
        except OSError:
            return ""

    def psql_cmd(self, db=DATABASE):
        """The argv of a psql on this server (unaligned, tuples only, stop on error)."""
        return [os.path.join(self.bin, "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                "-h", self.dir, "-U", PG_USER, "-d", db]

    def psql(self, sql, db=DATABASE, timeout=SQL_TIMEOUT):
        """Runs sql; returns its output (rows '|'-separated, one a line)."""
        r = subprocess.run(self.psql_cmd(db) + ["-c", sql], capture_output=True, text=True,
                           timeout=timeout, stdin=subprocess.DEVNULL)
        if r.returncode != 0:
            raise RuntimeError("psql %r: %s" % (sql, r.stderr.strip()))
        return r.stdout.strip()

    def _as_pg(self, argv, timeout, check=True):
        r = subprocess.run(["runuser", "-u", PG_USER, "--"] + argv, capture_output=True,
                           text=True, timeout=timeout, stdin=subprocess.DEVNULL,
                           cwd=self.dir)
        if check and r.returncode != 0:
            raise RuntimeError("%s: %s%s" % (os.path.basename(argv[0]), r.stdout, r.stderr))
        return r
