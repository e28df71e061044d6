"""A minimal client of Mozilla's Marionette remote protocol, enough to drive
Thunderbird from a test: start a headless instance on a private profile,
open a session, switch to the chrome context and run scripts there.

The protocol (https://firefox-source-docs.mozilla.org/testing/marionette/
Protocol.html): TCP, each packet `LENGTH:JSON`; the server speaks first
with {"applicationType", "marionetteProtocol"}; a command is
[0, id, name, params] and its answer [1, id, error, result]. No pip
registry is reachable here, so the client is these few lines instead of
the marionette_driver package.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

START_WAIT_S = 60
READ_LIMIT = 64 << 20          # one answer larger than this is an error


class MarionetteError(Exception):
    pass


class Marionette:
    def __init__(self, host, port, timeout=60):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""
        self.next_id = 1
        hello = self._read()
        if hello.get("marionetteProtocol") != 3:
            raise MarionetteError("unexpected hello %r" % hello)

    def _read(self):
        while b":" not in self.buf:
            self._fill()
        head, rest = self.buf.split(b":", 1)
        if not head.isdigit() or int(head) > READ_LIMIT:
            raise MarionetteError("bad packet length %r" % head[:20])
        n = int(head)
        self.buf = rest
        while len(self.buf) < n:
            self._fill()
        body, self.buf = self.buf[:n], self.buf[n:]
        return json.loads(body)

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise MarionetteError("connection closed")
        self.buf += data

    def command(self, name, params=None):
        mid = self.next_id
        self.next_id += 1
        body = json.dumps([0, mid, name, params or {}]).encode()
        self.sock.sendall(b"%d:%s" % (len(body), body))
        while True:
            msg = self._read()
            if isinstance(msg, list) and len(msg) == 4 and msg[0] == 1 and msg[1] == mid:
                break
        if msg[2]:
            err = msg[2]
            raise MarionetteError("%s: %s" % (err.get("error"), err.get("message")))
        return msg[3]

    def start_session(self):
        return self.command("WebDriver:NewSession", {"capabilities": {}})

    def chrome(self):
        self.command("Marionette:SetContext", {"value": "chrome"})

    def script(self, source, args=None, timeout_ms=30000):
        """Runs an async script in the current context: its last argument
        is the function to call with the result. Returns that result."""
        self.command("WebDriver:SetTimeouts", {"script": timeout_ms})
        out = self.command("WebDriver:ExecuteAsyncScript",
                           {"script": source, "args": list(args or []),
                            "newSandbox": False})
        return out.get("value") if isinstance(out, dict) else out

    def close(self):
        try:
            self.command("Marionette:Quit", {"flags": ["eForceQuit"]})
        except (OSError, MarionetteError):
            pass
        self.sock.close()


class Thunderbird:
    """A headless Thunderbird on a fresh profile in a temporary directory,
    with Marionette on a port it picks itself (marionette.port 0; the port
    is read back from the profile's MarionetteActivePort)."""

    PREFS = {
        "marionette.port": 0,
        "network.manage-offline-status": False,   # else it starts offline
        "offline.autoDetect": False,
        "mail.shell.checkDefaultClient": False,
        "mailnews.start_page.enabled": False,
        "mail.provider.enabled": False,
        "mail.spotlight.firstRunDone": True,
        "mail.winsearch.firstRunDone": True,
        "app.update.disabledForTesting": True,
        "app.update.auto": False,
        "datareporting.policy.dataSubmissionEnabled": False,
        "toolkit.telemetry.reportingpolicy.firstRun": False,
        "mail.rights.version": 1,
        "mailnews.auto_config_url": "",
        "mail.biff.show_alert": False,
        "mail.biff.play_sound": False,
        "extensions.update.enabled": False,
        "browser.dom.window.dump.enabled": True,
    }

    def __init__(self, binary="thunderbird"):
        self.binary = shutil.which(binary) or binary
        self.dir = tempfile.mkdtemp(prefix="petrel-tb-")
        self.profile = os.path.join(self.dir, "profile")
        os.makedirs(self.profile)
        self.proc = None
        self.log = os.path.join(self.dir, "thunderbird.log")

    def start(self):
        with open(os.path.join(self.profile, "user.js"), "w") as f:
            for k, v in self.PREFS.items():
                f.write("user_pref(%s, %s);\n" % (json.dumps(k), json.dumps(v)))
        env = dict(os.environ, HOME=self.dir, MOZ_HEADLESS="1", MOZ_CRASHREPORTER_DISABLE="1",
                   XDG_RUNTIME_DIR=self.dir)
        env.pop("DISPLAY", None)
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                [self.binary, "--headless", "--marionette", "--remote-allow-system-access",
                 "--no-remote",
                 "--profile", self.profile],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env,
                start_new_session=True)
        port_file = os.path.join(self.profile, "MarionetteActivePort")
        deadline = time.monotonic() + START_WAIT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise MarionetteError("thunderbird exited %s: %s" % (self.proc.returncode,
                                                                    self.log_tail()))
            try:
                with open(port_file) as f:
                    port = int(f.read().strip())
                return Marionette("127.0.0.1", port)
            except (OSError, ValueError):
                time.sleep(0.2)
        raise MarionetteError("no Marionette port after %d s: %s" % (START_WAIT_S,
                                                                     self.log_tail()))

    def log_tail(self, lines=15):
        try:
            with open(self.log, errors="replace") as f:
                return " | ".join(f.read().splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self):
        if self.proc and self.proc.poll() is None:
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)
