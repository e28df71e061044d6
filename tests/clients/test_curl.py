#!/usr/bin/env python3
"""petrel driven by curl's imap:// and imaps:// (libcurl's own IMAP client):
LIST, a whole message and a section by UID, a custom SEARCH, an upload
(APPEND), STARTTLS on the plain port, and a wrong password refused.
Without curl it prints a visible SKIP.
"""

import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "lib"))

import petrel_server  # noqa: E402
from suite import Suite  # noqa: E402

RUN_TIMEOUT = 30
SUITE = Suite("curl")
check = SUITE.check


def main():
    if not shutil.which("curl"):
        return SUITE.skip("not installed")
    tmp = tempfile.mkdtemp(prefix="petrel-curl-")
    srv = petrel_server.PetrelServer()
    try:
        srv.start()
        one = b"Subject: first\r\nFrom: ann@example.org\r\n\r\nhello one\r\n"
        two = b"Subject: second one\r\n\r\nhello two\r\n"
        for msg in (one, two):
            subprocess.run([srv.binary, "deliver", "alice", "--data", srv.data], input=msg,
                           check=True)
        base = "imaps://localhost:%d" % srv.imaps_port

        def curl(*args, user="alice:alice-secret", stdin=None):
            p = subprocess.run(["curl", "--silent", "--show-error", "--cacert", srv.cert,
                                "--user", user] + list(args), input=stdin,
                               capture_output=True, timeout=RUN_TIMEOUT)
            return p.returncode, p.stdout, p.stderr.decode(errors="replace")

        code, out, err = curl(base + "/")
        check("LIST over imaps", code == 0 and b'"/" INBOX' in out and b'"/" Archive' in out,
              (code, out, err))
        code, out, err = curl(base + "/INBOX;UID=1")
        check("a whole message by UID, byte for byte", code == 0 and out == one, (code, out, err))
        code, out, err = curl(base + "/INBOX;UID=2;SECTION=TEXT")
        check("a section (TEXT) by UID", code == 0 and out == b"hello two\r\n", (code, out, err))
        code, out, err = curl(base + "/INBOX?SUBJECT%20second")
        check("SEARCH from the URL", code == 0 and out.strip() == b"* SEARCH 2", (code, out, err))
        code, out, err = curl("-X", "STATUS INBOX (MESSAGES UNSEEN)", base + "/")
        check("a custom command (STATUS)",
              code == 0 and out.strip() == b"* STATUS INBOX (MESSAGES 2 UNSEEN 0)",
              (code, out, err))
        upload = os.path.join(tmp, "up.eml")
        with open(upload, "wb") as f:
            f.write(b"Subject: uploaded\r\n\r\nby curl\r\n")
        code, out, err = curl("-T", upload, base + "/Archive")
        check("upload (APPEND) to Archive", code == 0, (code, out, err))
        code, out, err = curl(base + "/Archive;UID=1")
        check("... and it reads back", code == 0 and out == b"Subject: uploaded\r\n\r\nby curl\r\n",
              (code, out, err))
        code, out, err = curl("--ssl-reqd", "imap://localhost:%d/INBOX;UID=1" % srv.imap_port)
        check("STARTTLS on the plain port (--ssl-reqd)", code == 0 and out == one, (code, out, err))
        code, out, err = curl(base + "/", user="alice:wrong")
        check("a wrong password: curl's login-denied exit (67)", code == 67, (code, out, err))
    except (petrel_server.ServerError, OSError, subprocess.SubprocessError) as e:
        check("ran to the end", False, repr(e))
    finally:
        problems = srv.stop()
        srv.cleanup()
        check("server shutdown: SIGTERM, exit 0, clean stderr", not problems, problems)
        shutil.rmtree(tmp, ignore_errors=True)
    return SUITE.finish()


if __name__ == "__main__":
    sys.exit(main())
