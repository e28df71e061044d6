#!/usr/bin/env python3
"""petrel driven by Thunderbird (Debian package), run headless on a private
profile and driven over its Marionette remote protocol (tests/lib/
marionette.py) with scripts in its chrome context, the same calls its own
account wizard and folder pane make:

- add an IMAP account on implicit TLS (port 993 style), password auth,
  trusting the test certificate the way a user's "confirm security
  exception" does;
- discover the folders (LIST) and find the ones the server has;
- sync INBOX's headers and read the subjects and senders it shows;
- flag a message; the flag is on the server (checked with imaplib);
- mark one read; \\Seen is on the server;
- a message delivered while it runs appears after the next sync.

Without the thunderbird package (scripts/install-deps --test installs it)
the suite prints a visible SKIP.
"""

import base64
import imaplib
import os
import shutil
import ssl
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "lib"))

import petrel_server  # noqa: E402
from marionette import MarionetteError, Thunderbird  # noqa: E402
from suite import Suite  # noqa: E402

SUITE = Suite("thunderbird")
check = SUITE.check
SERVER_WAIT_S = 20

# Every script runs async: `done` (the last argument) gets the result; a
# failure is returned as {"error": text} so the test can show it.
PRELUDE = """
const done = arguments[arguments.length - 1];
const { MailServices } = ChromeUtils.importESModule("resource:///modules/MailServices.sys.mjs");
function fail(e) { done({ error: String(e) + (e && e.stack ? " @ " + e.stack.split("\\n")[0] : "") }); }
function listener(resolve, reject) {
  return {
    QueryInterface: ChromeUtils.generateQI(["nsIUrlListener"]),
    OnStartRunningUrl() {},
    OnStopRunningUrl(url, status) {
      if (Components.isSuccessCode(status)) resolve(); else reject("status 0x" + (status >>> 0).toString(16));
    },
  };
}
function account() {
  for (const a of MailServices.accounts.accounts)
    if (a.incomingServer && a.incomingServer.type == "imap") return a;
  throw new Error("no IMAP account");
}
function inbox() {
  return account().incomingServer.rootFolder.getFolderWithFlags(Ci.nsMsgFolderFlags.Inbox);
}
function sync(folder) {
  return new Promise((res, rej) => folder.QueryInterface(Ci.nsIMsgImapMailFolder)
                                          .updateFolderWithListener(null, listener(res, rej)));
}
function headers(folder) {
  const out = [];
  for (const h of folder.msgDatabase.enumerateMessages())
    out.push({ key: h.messageKey, subject: h.mime2DecodedSubject, author: h.mime2DecodedAuthor,
               flagged: h.isFlagged, read: h.isRead, id: h.messageId });
  out.sort((a, b) => a.key - b.key);
  return out;
}
"""

ADD_ACCOUNT = PRELUDE + """
const [port, certB64, user, pass] = arguments;
try {
  const certdb = Cc["@mozilla.org/security/x509certdb;1"].getService(Ci.nsIX509CertDB);
  const cert = certdb.constructX509FromBase64(certB64);
  const overrides = Cc["@mozilla.org/security/certoverride;1"].getService(Ci.nsICertOverrideService);
  overrides.rememberValidityOverride("127.0.0.1", port, {}, cert, false);
  const am = MailServices.accounts;
  const server = am.createIncomingServer(user, "127.0.0.1", "imap");
  server.port = port;
  server.socketType = Ci.nsMsgSocketType.SSL;
  server.authMethod = Ci.nsMsgAuthMethod.passwordCleartext;
  server.password = pass;
  server.QueryInterface(Ci.nsIImapIncomingServer).useIdle = true;
  const id = am.createIdentity();
  id.email = user + "@example.org";
  id.fullName = "Alice";
  const acct = am.createAccount();
  acct.addIdentity(id);
  acct.incomingServer = server;
  done({ key: acct.key, server: server.hostname + ":" + server.port });
} catch (e) { fail(e); }
"""

DISCOVER = PRELUDE + """
(async () => {
  const root = account().incomingServer.rootFolder;
  await new Promise((res, rej) => MailServices.imap.discoverAllFolders(root, listener(res, rej), null));
  // discovery reports folders as they arrive: wait for the expected count
  const want = arguments[0];
  for (let i = 0; i < 100 && root.descendants.length < want; i++)
    await new Promise(r => setTimeout(r, 100));
  done(root.descendants.map(f => f.URI.replace(/^imap:\\/\\/[^/]+\\//, "")).sort());
})().catch(fail);
"""

SHOW_INBOX = PRELUDE + """
done(headers(inbox()));
"""

SYNC_INBOX = PRELUDE + """
(async () => {
  const f = inbox();
  await sync(f);
  done(headers(f));
})().catch(fail);
"""

MARK = PRELUDE + """
(async () => {
  const [key, what] = arguments;
  const f = inbox();
  const h = f.msgDatabase.getMsgHdrForKey(key);
  if (what == "flag") f.markMessagesFlagged([h], true);
  else f.markMessagesRead([h], true);
  done(headers(f));
})().catch(fail);
"""


def run(m, script, *args):
    out = m.script(script, args, timeout_ms=SERVER_WAIT_S * 1000)
    if isinstance(out, dict) and "error" in out:
        raise MarionetteError(out["error"])
    return out


def pem_base64(path):
    with open(path) as f:
        lines = f.read().splitlines()
    body = "".join(l for l in lines if l and not l.startswith("-----"))
    base64.b64decode(body)          # it must be one certificate in base64
    return body


def deliver(srv, subject, sender, n):
    subprocess.run([srv.binary, "deliver", "alice", "--data", srv.data], check=True, timeout=30,
                   input=("From: %s\r\nTo: alice@example.org\r\nSubject: %s\r\n"
                          "Date: Mon, 7 Feb 1994 21:52:2%d -0800\r\n"
                          "Message-ID: <tb-%d@example.org>\r\n\r\nbody %d\r\n"
                          % (sender, subject, n, n, n)).encode())


def server_flags(srv, message_id):
    """FLAGS of the message with that Message-ID, seen from another client."""
    ctx = ssl.create_default_context(cafile=srv.cert)
    imap = imaplib.IMAP4_SSL("127.0.0.1", srv.imaps_port, ssl_context=ctx, timeout=10)
    try:
        imap.login("alice", "alice-secret")
        imap.select("INBOX", readonly=True)
        typ, data = imap.uid("SEARCH", "HEADER", "Message-ID", message_id)
        uids = data[0].split()
        if len(uids) != 1:
            return "no single message %s: %r" % (message_id, data)
        typ, data = imap.uid("FETCH", uids[0], "(FLAGS)")
        return data[0].decode()
    finally:
        imap.logout()


def wait_flag(srv, message_id, flag):
    deadline = time.monotonic() + SERVER_WAIT_S
    while True:
        flags = server_flags(srv, message_id)
        if flag in flags or time.monotonic() > deadline:
            return flags
        time.sleep(0.2)


def main():
    if not shutil.which("thunderbird"):
        return SUITE.skip("thunderbird not installed (scripts/install-deps --test)")
    srv = petrel_server.PetrelServer()
    tb = Thunderbird()
    m = None
    try:
        srv.start()
        deliver(srv, "Quarterly report", "Bob Builder <bob@example.org>", 0)
        deliver(srv, "=?UTF-8?Q?Caf=C3=A9_on_Friday?=", "=?UTF-8?Q?Ren=C3=A9e?= <renee@example.org>", 1)
        ctx = ssl.create_default_context(cafile=srv.cert)
        imap = imaplib.IMAP4_SSL("127.0.0.1", srv.imaps_port, ssl_context=ctx, timeout=10)
        imap.login("alice", "alice-secret")
        for name in ("Archive", "Work", "Work/Reports"):
            imap.create(name)
            imap.subscribe(name)     # Thunderbird lists subscribed folders
        imap.logout()

        m = tb.start()
        caps = m.start_session().get("capabilities", {})
        check("thunderbird %s started headless with Marionette" % caps.get("browserVersion"),
              bool(caps.get("browserVersion")), caps)
        m.chrome()

        acct = run(m, ADD_ACCOUNT, srv.imaps_port, pem_base64(srv.cert), "alice", "alice-secret")
        check("account added (imap, SSL, password)", acct.get("server") == "127.0.0.1:%d"
              % srv.imaps_port, acct)

        # the four special-use folders petrel creates, and the three above
        want = ["Archive", "Drafts", "INBOX", "Junk", "Sent", "Trash", "Work", "Work/Reports"]
        folders = run(m, DISCOVER, len(want))
        check("folders discovered: %s" % ", ".join(want), folders == want, folders)

        hdrs = run(m, SYNC_INBOX)
        subjects = [h["subject"] for h in hdrs]
        check("INBOX headers synced: both subjects, RFC 2047 decoded",
              subjects == ["Quarterly report", "Caf\u00e9 on Friday"], hdrs)
        check("senders shown as Thunderbird shows them",
              [h["author"] for h in hdrs] == ["Bob Builder <bob@example.org>",
                                              "Ren\u00e9e <renee@example.org>"], hdrs)
        check("nothing flagged or read yet",
              not any(h["flagged"] or h["read"] for h in hdrs), hdrs)

        if len(hdrs) == 2:
            run(m, MARK, hdrs[0]["key"], "flag")
            flags = wait_flag(srv, "<tb-0@example.org>", "\\Flagged")
            check("flagged in Thunderbird: \\Flagged on the server", "\\Flagged" in flags, flags)
            run(m, MARK, hdrs[1]["key"], "read")
            flags = wait_flag(srv, "<tb-1@example.org>", "\\Seen")
            check("read in Thunderbird: \\Seen on the server", "\\Seen" in flags, flags)
            flags = server_flags(srv, "<tb-1@example.org>")
            check("the other flag untouched", "\\Flagged" not in flags, flags)

        # Thunderbird sits in IDLE on INBOX: the delivery must reach it
        # without a sync of ours.
        deliver(srv, "Late arrival", "Carol <carol@example.org>", 2)
        deadline = time.monotonic() + SERVER_WAIT_S
        while True:
            hdrs = run(m, SHOW_INBOX)
            if len(hdrs) >= 3 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        check("a delivered message appears by itself (IDLE push)",
              [h["subject"] for h in hdrs][-1:] == ["Late arrival"], hdrs)
        check("flags Thunderbird set are still shown",
              len(hdrs) == 3 and hdrs[0]["flagged"] and hdrs[1]["read"], hdrs)
    except (MarionetteError, OSError, imaplib.IMAP4.error, subprocess.SubprocessError,
            petrel_server.ServerError) as e:
        check("thunderbird run", False, "%s; thunderbird log: %s; server: %s"
              % (e, tb.log_tail(5), srv.stderr_tail()))
    finally:
        if m:
            m.close()
        tb.stop()
        tb.cleanup()
        problems = srv.stop()
        srv.cleanup()
        check("server shutdown: SIGTERM, exit 0, clean stderr", not problems, problems)
    return SUITE.finish()


if __name__ == "__main__":
    sys.exit(main())
