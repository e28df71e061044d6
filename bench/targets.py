"""Servers to benchmark. A target starts a throw-away server on 127.0.0.1
with one user and an empty temporary data directory, and tells the figure
modules what they need besides IMAP: the process id (for CPU time and RSS
from /proc) and the data directory (for disk use).

PetrelTarget runs build/petrel; DovecotTarget runs Debian's dovecot-imapd
(Maildir, its default process model: a login process and an imap process
per session) on the same users with the same password hashes: both verify
the very yescrypt string petrel's `user add` made, so a LOGIN costs both
the same hashing. The figure modules use only the attributes and methods
of Target.
"""

import os
import pwd
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "lib"))

import dovecot_server  # noqa: E402
import petrel_server  # noqa: E402  (the test suite's throw-away server)

CLK_TCK = os.sysconf("SC_CLK_TCK")
# Target.wait_quiet(): a server using less than this share of one core over
# the window is at rest; the wait is bounded.
QUIET_SHARE = 0.05
QUIET_WINDOW_S = 1.0
QUIET_LIMIT_S = 120


class Target:
    """Interface: name, host, port, user, password, pid, data_dir,
    scratch_dir (a directory of ours on the data directory's file system);
    start(), stop() (removes the data directory), version()."""

    name = "?"
    host = "127.0.0.1"
    # How the idle step logs its many sessions in: "scram" (the client's
    # PBKDF2 cached, so opening 10,000 sessions is not a benchmark of
    # password hashing) or "login" (a cheap scheme for that step's users).
    idle_login = "scram"

    def pids(self):
        """Every process of the server (petrel: one)."""
        return [self.pid]

    def pss(self):
        """Proportional set size of all the server's processes, bytes: a
        process's private pages plus its share of pages it shares (the
        measure of many forked processes, and for one process about its
        RSS less the shared libraries' shares)."""
        total = 0
        for pid in self.pids():
            try:
                with open("/proc/%d/smaps_rollup" % pid) as f:
                    for line in f:
                        if line.startswith("Pss:"):
                            total += int(line.split()[1]) * 1024
                            break
            except OSError:
                pass            # a process that ended meanwhile
        return total

    def stop(self):
        """Stops the server (self.server: a tests/lib server object) and
        removes its directory; returns a list of problems. self.stop_times
        says how long each took (seconds; where QUICK's time goes)."""
        problems = []
        if self.server is not None:
            t0 = time.perf_counter()
            try:
                problems = self.server.stop()
            finally:
                t1 = time.perf_counter()
                self.server.cleanup()
                self.server = None
                self.stop_times = {"stop": t1 - t0, "cleanup": time.perf_counter() - t1}
        return problems

    # -- /proc figures, common to every server process ---------------------
    def cpu_seconds(self):
        """utime + stime of the server process (all its threads)."""
        with open("/proc/%d/stat" % self.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        # fields[0] is field 3 (state); utime and stime are fields 14, 15
        return (int(fields[11]) + int(fields[12])) / CLK_TCK

    def wait_quiet(self, limit_s=QUIET_LIMIT_S):
        """Waits (bounded) until the server's processes use less than
        QUIET_SHARE of a core over QUIET_WINDOW_S: a step's CPU figure must
        not carry work an earlier step left behind (petrel's indexer
        catching up with the mix step's mail made imaptest's CPU per
        session 4.3 ms in a full run against 1.9 ms alone). Returns the
        seconds waited."""
        start = time.perf_counter()
        while time.perf_counter() - start < limit_s:
            c0 = self.cpu_seconds()
            time.sleep(QUIET_WINDOW_S)
            if (self.cpu_seconds() - c0) / QUIET_WINDOW_S < QUIET_SHARE:
                break
        return time.perf_counter() - start

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

    def _data_files(self):
        """(path relative to the data directory, lstat) of every file in it."""
        for root, _, names in os.walk(self.data_dir):
            for n in names:
                p = os.path.join(root, n)
                try:
                    st = os.lstat(p)
                except OSError:
                    continue
                yield os.path.relpath(p, self.data_dir), st

    def disk_usage(self):
        """{'allocated': bytes on disk (st_blocks), 'apparent': bytes,
        'files': {relative path: allocated}} of the data directory."""
        total = apparent = 0
        files = {}
        for rel, st in self._data_files():
            total += st.st_blocks * 512
            apparent += st.st_size
            top = rel if os.sep not in os.path.dirname(rel) else rel.split(os.sep)[0] + "/..."
            files[top] = files.get(top, 0) + st.st_blocks * 512
        return {"allocated": total, "apparent": apparent, "files": files}

    def disk_parts(self):
        """{part name: allocated bytes} of the data directory, each file
        filed by self.disk_part(relative path)."""
        parts = {}
        for rel, st in self._data_files():
            part = self.disk_part(rel)
            parts[part] = parts.get(part, 0) + st.st_blocks * 512
        return parts

    def disk_part(self, rel):
        return "other"

    def enable_sharing(self):
        """Makes other users' mailboxes reachable as "Other Users/OWNER/NAME"
        under RFC 4314 ACL (fig_shared); returns what it configured."""
        return "built in"


def _session_pids(sid):
    """Processes whose session id is sid (a server started in a session of
    its own: every process it forks)."""
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid:          # field 6: session
            out.append(int(name))
    return out


def _proc_cpu(pid, children=False):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])
    if children:                               # cutime + cstime: reaped children
        ticks += int(fields[13]) + int(fields[14])
    return ticks


def petrel_hashes(binary, users):
    """{name: yescrypt hash} as `petrel user add` stores them (made in a
    scratch data directory, then read from its users.db)."""
    scratch = tempfile.mkdtemp(prefix="petrel-bench-hash-")
    try:
        for name, password in users.items():
            subprocess.run([binary, "user", "add", name, "--data", scratch], check=True,
                           input=(password + "\n").encode(), stdout=subprocess.DEVNULL,
                           timeout=30)
        db = sqlite3.connect(os.path.join(scratch, "users.db"))
        try:
            return dict(db.execute("SELECT name, hash FROM users"))
        finally:
            db.close()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


class DovecotTarget(Target):
    """Debian's Dovecot 2.3 on loopback (tests/lib/dovecot_server.py), one
    instance of its own: Maildir, fsync as shipped (mail_fsync =
    optimized), no full-text search plugin (none is configured by
    default), the default process model with its limits raised for
    thousands of sessions, and implicit TLS with the petrel test
    certificate."""

    name = "dovecot"
    idle_login = "login"
    # One process per session (two over TLS): 10,000 idle sessions would
    # take 10-20 thousand processes. Memory per session is per process and
    # grows linearly, so the idle step opens fewer (run.py's
    # idle_process_cap, bench/README.md).
    process_per_session = True
    # One APPEND at a time into a growing Maildir slows Dovecot down with
    # the mailbox's size (203 msg/s for the first 10,000, 80 for the next;
    # 100,000 would take hours): past this many the load goes on with
    # MULTIAPPEND, and the APPEND figures are those of the first chunks.
    pipelined_load_max = 20000

    # Each imap process watches its mailbox with an inotify instance of its
    # own, all as the same user (nobody), and Linux allows 128 instances
    # per user by default; past that Dovecot falls back to looking every
    # mailbox_idle_check_interval (30 s). Sites with many sessions raise
    # the limit, so the benchmark does too, for its run, and puts it back.
    INOTIFY_PATH = "/proc/sys/fs/inotify/max_user_instances"
    INOTIFY_WANT = 8192

    def __init__(self, petrel_binary):
        self.petrel_binary = os.path.abspath(petrel_binary)
        self.user = "bench"
        self.password = "bench-secret-1"
        self.server = None
        self.inotify_was = None
        self.sharing = None

    def _raise_inotify(self):
        try:
            with open(self.INOTIFY_PATH) as f:
                was = int(f.read())
            if was < self.INOTIFY_WANT:
                with open(self.INOTIFY_PATH, "w") as f:
                    f.write(str(self.INOTIFY_WANT))
                self.inotify_was = was
        except (OSError, ValueError):
            pass        # not root: Dovecot's IDLE then polls past 128 sessions

    def _restore_inotify(self):
        if self.inotify_was is not None:
            try:
                with open(self.INOTIFY_PATH, "w") as f:
                    f.write(str(self.inotify_was))
            except OSError:
                pass
            self.inotify_was = None

    def start(self):
        ok, why = dovecot_server.available()
        if not ok:
            raise RuntimeError(why)
        self._raise_inotify()
        self.sharing = None
        cert, key = petrel_server.test_cert()
        hashes = petrel_hashes(self.petrel_binary, {self.user: self.password})
        self.server = dovecot_server.DovecotServer(
            users={self.user: "{CRYPT}" + hashes[self.user]}, name="bench", tls=(cert, key),
            settings={
                "mail_fsync": "optimized",            # Dovecot's default
                "mail_max_userip_connections": "30000",
                "default_process_limit": "25000",
                "default_client_limit": "30000",
                "default_vsz_limit": "1G",
                # petrel remembers verified passwords (auth_cache_ttl); so
                # does Dovecot here, with the same lifetime.
                "auth_cache_size": "10M",
                "auth_cache_ttl": "30 mins",
            })
        self.server.start()
        self.port = self.server.imap_port
        self.tls_port = self.server.imaps_port
        self.cert = cert
        self.pid = self.server.master_pid() or self.server.proc.pid
        self.data_dir = self.server.home_root
        self.scratch_dir = self.server.dir
        return self

    def pids(self):
        return _session_pids(self.server.proc.pid)

    def cpu_seconds(self):
        """All processes: the master with its reaped children (login and
        imap processes that ended) plus those alive now."""
        ticks = 0
        for pid in self.pids():
            try:
                ticks += _proc_cpu(pid, children=(pid == self.pid))
            except OSError:
                pass
        return ticks / CLK_TCK

    def memory(self):
        return {"rss": self.pss(), "hwm": None}

    def add_users(self, users, hashed=False):
        """users: name -> password. hashed: stored as the yescrypt hash
        petrel would store (the mix step, whose clients LOGIN, so both
        servers hash the same). Otherwise a cheap scheme ({PLAIN}): the
        idle step's users log in with LOGIN, as petrel's idle step uses
        SCRAM with the client's PBKDF2 cached."""
        if hashed:
            users = dict((name, "{CRYPT}" + h) for name, h in
                         petrel_hashes(self.petrel_binary, users).items())
        self.server.add_users(users)
        # Dovecot looks at its passwd-file's stamp at most once a second:
        # a login in the same second as the change can still miss it.
        time.sleep(1.1)

    def add_users_bulk(self, names, password, hashed=True):
        """Many users with one password. hashed: one yescrypt hash made as
        `petrel user add` makes it, given to every user (Dovecot verifies
        it at each LOGIN, so each login costs a hash as with distinct
        salts); else {PLAIN}, for cheap logins (see add_users). Called
        again for the same names it replaces their entries."""
        secret = password
        if hashed:
            secret = "{CRYPT}" + petrel_hashes(self.petrel_binary, {"h": password})["h"]
        self.server.add_users(dict((name, secret) for name in names))
        if self.alive():
            time.sleep(1.1)      # the passwd-file's stamp, as in add_users

    def restart(self, while_stopped=None):
        """Stops the master cleanly (SIGTERM: it stops every process and
        they close their indexes), calls while_stopped(), starts it again
        on the same homes (new ports: the figure modules read them at use)."""
        problems = self.server.stop()
        if problems:
            raise RuntimeError("dovecot stop: %s" % "; ".join(problems))
        if while_stopped is not None:
            while_stopped()
        self.server.start()
        self.port = self.server.imap_port
        self.tls_port = self.server.imaps_port
        self.pid = self.server.master_pid() or self.server.proc.pid

    def enable_sharing(self):
        """Dovecot's ACL and a shared namespace (its wiki's
        SharedMailboxes.Shared, for 2.3), after a restart: only for the
        step that measures sharing (run last), so no other figure pays the
        acl plugin's checks. Another user's mailboxes are at the same
        Maildir template as their INBOX (no userdb lookup for %%h), their
        index files shared with the owner (no INDEXPVT: per-user \\Seen,
        which petrel keeps, would give the reader an index of its own); the
        shared-mailboxes dict is what lets LIST find the owners."""
        if self.sharing:
            return self.sharing
        dict_dir = os.path.join(self.server.dir, "acl-dict")
        location = "maildir:%s/%%%%u/Maildir" % self.server.home_root

        def configure():
            os.makedirs(dict_dir, exist_ok=True)
            nobody = pwd.getpwnam("nobody")
            os.chown(dict_dir, nobody.pw_uid, nobody.pw_gid)   # mail_uid writes it
            self.server.settings["mail_plugins"] = "$mail_plugins acl"
            self.server.extra += [
                # With a namespace configured the private one must be too;
                # every listed namespace needs the same separator.
                "namespace inbox {", "  inbox = yes", "  separator = /", "  prefix =", "}",
                "namespace shared {", "  type = shared", "  separator = /",
                '  prefix = "Other Users/%%u/"', "  location = " + location,
                "  subscriptions = no", "  list = children", "}",
                "protocol imap {", "  mail_plugins = $mail_plugins imap_acl", "}",
                "plugin {", "  acl = vfile",
                "  acl_shared_dict = file:%s/shared-mailboxes" % dict_dir, "}",
            ]
        self.restart(configure)
        self.sharing = "acl vfile, shared namespace %s, acl_shared_dict file" % location
        return self.sharing

    def disk_part(self, rel):
        """Maildir: the message files (cur/, new/, tmp/) and Dovecot's
        index files (dovecot.index*, dovecot-uidlist, ...)."""
        parts = rel.split(os.sep)
        if len(parts) >= 2 and parts[-2] in ("cur", "new", "tmp"):
            return "maildir_messages"
        if parts[-1].startswith("dovecot"):
            return "maildir_index"
        return "other"

    def version(self):
        ok, out = dovecot_server.available()
        return out if ok else "?"

    def stderr_tail(self, lines=5):
        return self.server.log_tail(lines) if self.server else ""

    def alive(self):
        return self.server is not None and self.server.proc is not None \
            and self.server.proc.poll() is None

    def stop(self):
        try:
            return Target.stop(self)
        finally:
            self._restore_inotify()


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

    def add_users(self, users, hashed=True):
        """petrel always stores a yescrypt hash (and SCRAM keys)."""
        for name, password in users.items():
            self.server.user("add", name, password)

    def add_users_bulk(self, names, password, hashed=True):
        """Many users with one password: `petrel user add` for the first,
        whose users.db row is then copied under the other names in one
        transaction (store_created 0: the server makes each store at its
        first login, as for a user just added). `user add` commits with
        fsync once per user, ~0.25 s here: 2,000 users would take minutes.
        Every LOGIN still verifies the yescrypt hash (the auth cache is
        per user and password). petrel always stores the hash and SCRAM
        keys, so hashed (for Dovecot) changes nothing, and a second call
        for the same names does nothing."""
        names = list(names)
        db = sqlite3.connect(os.path.join(self.data_dir, "users.db"), timeout=30)
        try:
            if db.execute("SELECT 1 FROM users WHERE name = ?", (names[0],)).fetchall():
                return
            self.server.user("add", names[0], password)
            cols = [row[1] for row in db.execute("PRAGMA table_info(users)")]
            rest = [c for c in cols if c not in ("name", "store_created")]
            sql = "INSERT INTO users (name, %s%s) SELECT ?, %s%s FROM users WHERE name = ?" % (
                ", ".join(rest), ", store_created" if "store_created" in cols else "",
                ", ".join(rest), ", 0" if "store_created" in cols else "")
            with db:
                db.executemany(sql, [(name, names[0]) for name in names[1:]])
        finally:
            db.close()

    def restart(self, while_stopped=None):
        """Stops the server cleanly (SIGTERM: sessions end, stores close,
        SQLite checkpoints its WAL), calls while_stopped(), and starts it
        again on the same data directory (new ports, new pid)."""
        problems = self.server.stop()
        if problems:
            raise RuntimeError("petrel stop: %s" % "; ".join(problems))
        if while_stopped is not None:
            while_stopped()
        self.server.users = {}          # already in users.db
        self.server.start()
        self.port = self.server.imap_port
        self.tls_port = self.server.imaps_port
        self.pid = self.server.proc.pid

    def disk_part(self, rel):
        """A store's files (users/NAME/...): store.db, search.db (each with
        its -wal and -shm), the body files under blobs/; users.db and
        anything else is "other"."""
        parts = rel.split(os.sep)
        if "blobs" in parts[:-1]:
            return "blobs"
        base = parts[-1]
        for db in ("store.db", "search.db"):
            if base == db or base.startswith(db + "-"):
                return db.replace(".", "_")
        return "other"

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
