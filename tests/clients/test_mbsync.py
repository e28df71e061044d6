#!/usr/bin/env python3
"""petrel driven by isync's mbsync (Debian package isync), a client nobody
here wrote: a two-way sync of every folder with a local Maildir over TLS
(mbsync checks the certificate's host name, so it connects to
"localhost"), with changes on both sides between runs:

  run 1   the server's INBOX, Archive and Work come down; a folder made
          locally (Notes) goes up;
  then    locally: a message marked seen, one deleted, one added;
          on the server: one flagged, one appended, one expunged;
  run 2   each side gets the other's changes;
  run 3   finds nothing to do: neither side changes.

Without mbsync (scripts/install-deps --test installs isync) it prints a
visible SKIP.
"""

import imaplib
import os
import re
import shutil
import ssl
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "lib"))

import petrel_server  # noqa: E402
from suite import Suite  # noqa: E402

RUN_TIMEOUT = 60
SUITE = Suite("mbsync")
check = SUITE.check


def mbsync(rc, name):
    p = subprocess.run(["mbsync", "-c", rc, "-a"], capture_output=True, text=True,
                       timeout=RUN_TIMEOUT)
    check("%s: mbsync exits 0" % name, p.returncode == 0,
          "exit %d: %s %s" % (p.returncode, p.stdout[-600:], p.stderr[-600:]))
    return p


def maildir(root):
    """{folder: sorted [(U= uid or None, flags)]} of the local Maildir."""
    out = {}
    for folder in sorted(os.listdir(root)):
        path = os.path.join(root, folder)
        if not os.path.isdir(path):
            continue
        msgs = []
        for sub in ("new", "cur"):
            for name in os.listdir(os.path.join(path, sub)) if os.path.isdir(
                    os.path.join(path, sub)) else []:
                m = re.search(r",U=(\d+)", name)
                flags = name.split(":2,", 1)[1] if ":2," in name else ""
                msgs.append((int(m.group(1)) if m else None, flags))
        out[folder] = sorted(msgs, key=lambda x: (x[0] is None, x[0] or 0, x[1]))
    return out


def local_file(root, folder, uid):
    for sub in ("new", "cur"):
        d = os.path.join(root, folder, sub)
        for name in os.listdir(d):
            if re.search(r",U=%d(?:[,:]|$)" % uid, name):
                return os.path.join(d, name)
    return None


def server_state(imap):
    """{mailbox: [(uid, sorted flags without \\Recent)]} on the server."""
    out = {}
    typ, boxes = imap.list()
    for line in boxes:
        name = line.decode().rsplit(' "/" ', 1)[1].strip('"')
        typ, _ = imap.select('"%s"' % name, readonly=True)
        typ, data = imap.uid("FETCH", "1:*", "(FLAGS)")
        msgs = []
        for item in data:
            if not item:
                continue
            text = item.decode() if isinstance(item, bytes) else item[0].decode()
            m = re.search(r"UID (\d+)", text)
            f = re.search(r"FLAGS \(([^)]*)\)", text)
            if m:
                flags = sorted(x for x in (f.group(1).split() if f else []) if x != "\\Recent")
                msgs.append((int(m.group(1)), flags))
        out[name] = sorted(msgs)
        imap.close()
    return out


def main():
    if not shutil.which("mbsync"):
        return SUITE.skip("not installed (scripts/install-deps --test installs isync)")
    tmp = tempfile.mkdtemp(prefix="petrel-mbsync-")
    srv = petrel_server.PetrelServer()
    try:
        srv.start()
        root = os.path.join(tmp, "mail")
        os.makedirs(root)
        rc = os.path.join(tmp, "mbsyncrc")
        with open(rc, "w") as f:
            f.write("IMAPAccount petrel\nHost localhost\nPort %d\nUser alice\n"
                    "Pass alice-secret\nSSLType IMAPS\nCertificateFile %s\n\n"
                    "IMAPStore remote\nAccount petrel\n\n"
                    "MaildirStore local\nPath %s/\nInbox %s/INBOX\nSubFolders Verbatim\n\n"
                    "Channel sync\nFar :remote:\nNear :local:\nPatterns *\n"
                    "Create Both\nExpunge Both\nSyncState *\n"
                    % (srv.imaps_port, srv.cert, root, root))
        for i in range(3):
            subprocess.run([srv.binary, "deliver", "alice", "--data", srv.data],
                           input=b"Subject: inbox %d\n\nbody %d\n" % (i, i), check=True)
        for i in range(2):
            subprocess.run([srv.binary, "deliver", "alice", "--mailbox", "Archive", "--data",
                            srv.data], input=b"Subject: archived %d\n\nx\n" % i, check=True)
        ctx = ssl.create_default_context(cafile=srv.cert)
        imap = imaplib.IMAP4_SSL("127.0.0.1", srv.imaps_port, ssl_context=ctx, timeout=10)
        imap.login("alice", "alice-secret")
        imap.create("Work")
        imap.append("Work", None, None, b"Subject: work 0\r\n\r\nw\r\n")
        # A folder made on this side, with one message.
        for sub in ("cur", "new", "tmp"):
            os.makedirs(os.path.join(root, "Notes", sub))
        with open(os.path.join(root, "Notes", "new", "100.local.petrel"), "wb") as f:
            f.write(b"Subject: a local note\n\nnote\n")

        mbsync(rc, "run 1")
        local = maildir(root)
        check("run 1: INBOX came down (3)", len(local.get("INBOX", [])) == 3, local)
        check("run 1: Archive came down (2)", len(local.get("Archive", [])) == 2, local)
        check("run 1: Work came down (1)", len(local.get("Work", [])) == 1, local)
        check("run 1: Sent, Drafts, Trash, Junk made locally",
              all(k in local for k in ("Sent", "Drafts", "Trash", "Junk")), sorted(local))
        state = server_state(imap)
        check("run 1: Notes went up with its message", len(state.get("Notes", [])) == 1, state)
        imap.select("Notes", readonly=True)
        typ, data = imap.fetch("1", "(BODY.PEEK[])")
        # mbsync adds its own X-TUID header to what it uploads.
        check("run 1: the note's bytes on the server (CRLF lines, mbsync's X-TUID)",
              re.fullmatch(rb"Subject: a local note\r\nX-TUID: [A-Za-z0-9+/]{12}\r\n\r\n"
                           rb"note\r\n", data[0][1]) is not None, data)
        imap.close()

        # Changes on both sides.
        seen = local_file(root, "INBOX", 1)
        os.rename(seen, os.path.join(root, "INBOX", "cur",
                                     os.path.basename(seen).split(":2,")[0] + ":2,S"))
        os.unlink(local_file(root, "Archive", 1))
        with open(os.path.join(root, "Work", "new", "200.local.petrel"), "wb") as f:
            f.write(b"Subject: work from here\n\nlocal work\n")
        imap.select("INBOX")
        imap.uid("STORE", "2", "+FLAGS", "(\\Flagged)")
        imap.close()
        imap.append("Archive", None, None, b"Subject: archived later\r\n\r\ny\r\n")
        imap.select("Work")
        imap.uid("STORE", "1", "+FLAGS", "(\\Deleted)")
        imap.expunge()
        imap.close()

        mbsync(rc, "run 2")
        state = server_state(imap)
        local = maildir(root)
        inbox = dict(state.get("INBOX", []))
        check("run 2: seen locally -> \\Seen on the server", inbox.get(1) == ["\\Seen"], state)
        check("run 2: flagged on the server -> F locally",
              ("F" in (os.path.basename(local_file(root, "INBOX", 2) or "").split(":2,")
                       + [""])[1]), local.get("INBOX"))
        check("run 2: deleted locally -> gone from the server's Archive",
              [u for u, _ in state.get("Archive", [])] == [2, 3], state.get("Archive"))
        check("run 2: appended on the server -> in the local Archive",
              len(local.get("Archive", [])) == 2 and local_file(root, "Archive", 3) is not None,
              local.get("Archive"))
        check("run 2: expunged on the server -> gone locally, the local one up",
              [u for u, _ in local.get("Work", [])] == [2] and
              [u for u, _ in state.get("Work", [])] == [2], (local.get("Work"), state.get("Work")))
        imap.select("Work", readonly=True)
        typ, data = imap.uid("FETCH", "2", "(BODY.PEEK[])")
        check("run 2: the local Work message's bytes on the server",
              re.fullmatch(rb"Subject: work from here\r\nX-TUID: [A-Za-z0-9+/]{12}\r\n\r\n"
                           rb"local work\r\n", data[0][1]) is not None, data)
        imap.close()

        before_local, before_server = maildir(root), server_state(imap)
        mbsync(rc, "run 3")
        check("run 3: nothing to do locally", maildir(root) == before_local)
        check("run 3: nothing to do on the server", server_state(imap) == before_server)
        imap.logout()
        check("petrel check is clean afterwards",
              subprocess.run([srv.binary, "check", "--data", srv.data],
                             capture_output=True, text=True).stdout == "alice: ok\n")
    except (petrel_server.ServerError, OSError, imaplib.IMAP4.error,
            subprocess.SubprocessError) as e:
        check("ran to the end", False, repr(e))
    finally:
        problems = srv.stop()
        srv.cleanup()
        check("server shutdown: SIGTERM, exit 0, clean stderr", not problems, problems)
        shutil.rmtree(tmp, ignore_errors=True)
    return SUITE.finish()


if __name__ == "__main__":
    sys.exit(main())
