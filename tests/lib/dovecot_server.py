"""Start and stop a throw-away Dovecot (Debian's dovecot-imapd 2.3) for the
differential tests in tests/diff/.

Each instance gets its own temporary directory holding its configuration,
base_dir, state_dir, log file, passwd-file and Maildir homes, and listens on
one free port of 127.0.0.1 only, so several can run side by side and none
touches the system's Dovecot. It must never listen beyond loopback, and its
users must never be sent a wrong password: Dovecot delays every later login
from an address after a failure.

    with DovecotServer(users={"alice": "secret"}) as dc:
        connect to 127.0.0.1:dc.imap_port

available() says whether Dovecot can be run here and, if not, why: callers
print a visible SKIP with that reason.
"""

import atexit
import errno
import grp
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time

DOVECOT = os.environ.get("DOVECOT", "/usr/sbin/dovecot")
DEFAULT_USERS = {"alice": "alice-secret"}
START_TIMEOUT = 20.0     # seconds for the greeting to appear (config parse + forks)
STOP_TIMEOUT = 10.0      # seconds for the master to go after SIGTERM
START_TRIES = 3          # a port picked free can be taken before Dovecot binds it

_live = set()


def available():
    """(True, version) when Dovecot can be started here, else (False, reason)."""
    if not os.access(DOVECOT, os.X_OK):
        return False, "%s not found (Debian package dovecot-imapd)" % DOVECOT
    if not os.path.exists("/usr/lib/dovecot/imap"):
        return False, "dovecot-imapd is not installed (no /usr/lib/dovecot/imap)"
    if os.geteuid() != 0:
        # Dovecot can run rootless, but only with a configuration shaped for
        # it (no chroots, no user switching); the tests run as root in CI.
        return False, "Dovecot needs root to switch to its unprivileged users (running as uid %d)" % os.geteuid()
    for user in ("dovecot", "dovenull", "nobody"):
        try:
            pwd.getpwnam(user)
        except KeyError:
            return False, "system user %r is missing (is dovecot-core installed properly?)" % user
    try:
        out = subprocess.run([DOVECOT, "--version"], stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, timeout=10).stdout.decode(errors="replace").strip()
    except (OSError, subprocess.TimeoutExpired) as e:
        return False, "%s --version failed: %s" % (DOVECOT, e)
    return True, out


def free_port():
    """A port of 127.0.0.1 free right now (Dovecot cannot take port 0 and report it)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


class ServerError(Exception):
    pass


class DovecotServer:
    """One Dovecot master (run in the foreground with -F, so it is our child
    and no daemon outlives the test). start() raises ServerError with the log
    tail when it cannot start; stop() returns a list of problems."""

    def __init__(self, users=None, settings=None, name="diff", tls=None, extra=None,
                 userdb_lookups=False):
        """users: name -> password, or a "{SCHEME}..." hash as Dovecot's
        passwd-file takes it (e.g. "{CRYPT}$y$..."). settings: top-level
        key = value lines over the defaults below. tls: (cert, key) paths
        to also listen with implicit TLS on imaps_port. extra: more
        configuration lines (service blocks); "%(home_root)s" and
        "%(shared_dir)s" in them name the homes' directory and a directory
        the mail processes may write. userdb_lookups: the userdb reads the
        passwd-file too, so that a lookup without a login (a shared
        namespace opening another user's mailboxes) finds exactly the
        users given; a static userdb answers those only with
        allow_all_users, which would make every name a user."""
        self.users = dict(users or DEFAULT_USERS)
        self.userdb_lookups = userdb_lookups
        self.settings = dict(settings or {})
        self.tls = tls
        self.extra = list(extra or [])
        self.imaps_port = None
        self.dir = tempfile.mkdtemp(prefix="petrel-dovecot-")
        # The dovecot user (auth, config readers) and nobody (mail processes)
        # must reach the configuration and the homes.
        os.chmod(self.dir, 0o755)
        self.conf_dir = os.path.join(self.dir, "conf")
        self.base_dir = os.path.join(self.dir, "run")
        self.state_dir = os.path.join(self.dir, "state")
        self.home_root = os.path.join(self.dir, "home")
        self.shared_dir = os.path.join(self.dir, "shared")
        self.log_path = os.path.join(self.dir, "dovecot.log")
        self.conf_path = os.path.join(self.conf_dir, "dovecot.conf")
        self.instance = "petrel-%s-%s" % (name, os.path.basename(self.dir).split("-")[-1])
        self.proc = None
        self.imap_port = None
        self.greeting = None
        _live.add(self)

    # -- configuration -------------------------------------------------------
    def _write_config(self, port):
        nobody = pwd.getpwnam("nobody")
        mail_group = grp.getgrgid(nobody.pw_gid).gr_name
        for d in (self.conf_dir, self.state_dir, self.home_root, self.shared_dir):
            os.makedirs(d, exist_ok=True)
            os.chmod(d, 0o755)
        os.chown(self.shared_dir, nobody.pw_uid, nobody.pw_gid)
        self._write_passwd()
        passwd = os.path.join(self.conf_dir, "passwd")
        settings = {
            "protocols": "imap",
            "listen": "127.0.0.1",
            "instance_name": self.instance,
            "base_dir": self.base_dir,
            "state_dir": self.state_dir,
            # A file, never a pipe: Dovecot's processes keep the descriptors
            # they inherit, and a pipe would keep our reader waiting.
            "log_path": self.log_path,
            "info_log_path": self.log_path,
            "ssl": "yes" if self.tls else "no",
            "disable_plaintext_auth": "no",
            "auth_mechanisms": "plain login",
            "mail_location": "maildir:~/Maildir",
            "mail_uid": "nobody",
            "mail_gid": mail_group,
            "first_valid_uid": str(min(nobody.pw_uid, 500)),
            "first_valid_gid": "0",
            "default_internal_user": "dovecot",
            "default_login_user": "dovenull",
            # Tests append thousands of messages: durability is not tested here.
            "mail_fsync": "never",
            "auth_failure_delay": "0",
            "mail_max_userip_connections": "100",
        }
        if self.tls:
            settings["ssl_cert"] = "<" + self.tls[0]
            settings["ssl_key"] = "<" + self.tls[1]
        settings.update(self.settings)
        lines = ["# written by tests/lib/dovecot_server.py"]
        lines += ["%s = %s" % kv for kv in settings.items()]
        lines += [
            "service imap-login {",
            "  inet_listener imap {",
            "    address = 127.0.0.1",
            "    port = %d" % port,
            "  }",
            "  inet_listener imaps {",
            "    address = 127.0.0.1",
            "    port = %d" % (self.imaps_port or 0),
        ] + (["    ssl = yes"] if self.tls else []) + [
            "  }",
            "}",
            "service pop3-login {",
            "  inet_listener pop3 {",
            "    port = 0",
            "  }",
            "}",
            "passdb {",
            "  driver = passwd-file",
            "  args = scheme=PLAIN username_format=%%u %s" % passwd,
            "}",
            "userdb {",
        ] + ([
            "  driver = passwd-file",
            "  args = username_format=%%u %s" % passwd,
            "  default_fields = uid=nobody gid=%s home=%s/%%u" % (mail_group, self.home_root),
        ] if self.userdb_lookups else [
            "  driver = static",
            "  args = uid=nobody gid=%s home=%s/%%u" % (mail_group, self.home_root),
        ]) + [
            "}",
        ]
        for line in self.extra:
            # Plain replacement, not %-formatting: Dovecot's own %%u stays.
            lines.append(line.replace("%(home_root)s", self.home_root)
                         .replace("%(shared_dir)s", self.shared_dir))
        lines.append("")
        with open(self.conf_path, "w") as f:
            f.write("\n".join(lines))
        os.chmod(self.conf_path, 0o644)

    def _write_passwd(self):
        """Homes of every user and the passwd-file, replaced by rename
        (Dovecot rereads a passwd-file whose mtime changed)."""
        nobody = pwd.getpwnam("nobody")
        for user in self.users:
            home = os.path.join(self.home_root, user)
            os.makedirs(home, exist_ok=True)
            os.chown(home, nobody.pw_uid, nobody.pw_gid)
            os.chmod(home, 0o700)
        passwd = os.path.join(self.conf_dir, "passwd")
        with open(passwd + ".tmp", "w") as f:
            for user, password in self.users.items():
                if ":" in user or ":" in password or "\n" in user + password:
                    raise ServerError("user or password not storable in a passwd-file: %r" % user)
                secret = password if password.startswith("{") else "{PLAIN}" + password
                f.write("%s:%s::::::\n" % (user, secret))
        os.chmod(passwd + ".tmp", 0o644)   # test passwords only; read by auth as dovecot
        os.replace(passwd + ".tmp", passwd)

    def add_users(self, users):
        """users: name -> password or hash, as in the constructor."""
        self.users.update(users)
        self._write_passwd()

    # -- life cycle ------------------------------------------------------------
    def start(self):
        ok, why = available()
        if not ok:
            raise ServerError(why)
        last = ""
        for _ in range(START_TRIES):
            port = free_port()
            if self.tls:
                self.imaps_port = free_port()
            self._write_config(port)
            try:
                os.unlink(self.log_path)
            except FileNotFoundError:
                pass
            log = open(os.path.join(self.dir, "stdout.log"), "ab")
            self.proc = subprocess.Popen([DOVECOT, "-F", "-c", self.conf_path],
                                         stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                         start_new_session=True)
            log.close()
            greeting, last = self._wait_greeting(port)
            if greeting is not None:
                self.imap_port = port
                self.greeting = greeting
                return self
            self._stop_master()
            if "in use" not in last:
                break
        raise ServerError("Dovecot did not start: %s" % last)

    def _wait_greeting(self, port):
        """(greeting line, "") once the server answers, else (None, reason)."""
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return None, "master exited %d: %s" % (self.proc.returncode, self.log_tail())
            if "Address already in use" in self.log():
                return None, "port %d in use" % port
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
                    data = b""
                    while not data.endswith(b"\r\n"):
                        chunk = s.recv(4096)
                        if not chunk:
                            break
                        data += chunk
                    if data.startswith(b"* OK"):
                        s.sendall(b"z LOGOUT\r\n")
                        return data.decode(errors="replace").strip(), ""
            except OSError as e:
                if e.errno not in (errno.ECONNREFUSED, errno.ECONNRESET, None) and not isinstance(e, socket.timeout):
                    return None, "connecting: %s" % e
            time.sleep(0.05)
        return None, "no greeting after %.0f s: %s" % (START_TIMEOUT, self.log_tail())

    def master_pid(self):
        try:
            with open(os.path.join(self.base_dir, "master.pid")) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def _stop_master(self):
        """SIGTERM the master (it stops its children), SIGKILL its process
        group if it lingers. Returns a list of problems."""
        problems = []
        if self.proc is None:
            return problems
        pid = self.master_pid() or self.proc.pid
        if self.proc.poll() is None:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                problems.append("dovecot master still running %.0f s after SIGTERM" % STOP_TIMEOUT)
        # The master ran in its own session: anything left in that group is ours.
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            problems.append("dovecot master %d did not die" % self.proc.pid)
        self.proc = None
        return problems

    def stop(self):
        problems = self._stop_master()
        for line in self.log().splitlines():
            if " Panic: " in line or " Fatal: " in line:
                problems.append("dovecot log: %s" % line.strip())
                break
        return problems

    def cleanup(self):
        self._stop_master()
        shutil.rmtree(self.dir, ignore_errors=True)
        _live.discard(self)

    # -- log ---------------------------------------------------------------------
    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def log_tail(self, lines=5):
        text = self.log().strip()
        if not text:
            try:
                with open(os.path.join(self.dir, "stdout.log"), "rb") as f:
                    text = f.read().decode(errors="replace").strip()
            except OSError:
                pass
        return " | ".join(text.splitlines()[-lines:]) or "(log empty)"

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.cleanup()
            raise

    def __exit__(self, *exc):
        self.stop()
        self.cleanup()


@atexit.register
def _cleanup_all():
    for server in list(_live):
        server.cleanup()
