#!/usr/bin/env python3
"""TLS as OpenSSL's own client sees it: implicit TLS (RFC 8314) and STARTTLS
(RFC 9051 §6.2.1) negotiate TLS 1.3 with a verified certificate, TLS 1.2
still works, TLS 1.1 is refused. TLS 1.2 offers only ECDHE with AEAD
ciphers: static RSA, CBC with SHA-1 and DHE are refused, with an RSA
certificate (a second server) as well as the usual P-256 one. Loopback only;
every openssl run is under a timeout. Last line: `tls: N passed, N failed` (`, N skipped` when this
openssl cannot speak TLS 1.1 even to itself, so the refusal cannot be shown).
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import petrel_server  # noqa: E402

OPENSSL_TIMEOUT = 15
# OpenSSL 3 only offers TLS 1.0/1.1 at security level 0.
OLD_TLS = ["-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"]
results = {"passed": 0, "failed": 0, "skipped": 0}


def s_client(port, cert, extra, stdin, ign_eof=True):
    """Run s_client; with ign_eof it reads until the server closes (after LOGOUT)."""
    argv = ["openssl", "s_client", "-connect", "127.0.0.1:%d" % port, "-servername", "localhost",
            "-CAfile", cert, "-verify_return_error", "-brief", "-crlf",
            "-ign_eof" if ign_eof else "-no_ign_eof"] + extra
    try:
        run = subprocess.run(argv, input=stdin.encode(), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, timeout=OPENSSL_TIMEOUT)
        return run.returncode, run.stdout.decode(errors="replace"), run.stderr.decode(errors="replace")
    except subprocess.TimeoutExpired as e:
        return -1, (e.stdout or b"").decode(errors="replace"), (e.stderr or b"").decode(errors="replace") + " (timeout)"


def check(name, ok, detail=""):
    if ok:
        results["passed"] += 1
        print("ok   %s" % name)
    else:
        results["failed"] += 1
        print("FAIL %s%s" % (name, ": " + detail.strip().replace("\n", " | ")[:600] if detail else ""))


def protocol(stderr):
    m = re.search(r"Protocol version: (\S+)", stderr)
    return m.group(1) if m else None


def cipher(stderr):
    m = re.search(r"Ciphersuite: (\S+)", stderr)
    return m.group(1) if m else None


def make_rsa_cert(directory):
    """(cert, key): a self-signed RSA 2048 certificate for 127.0.0.1, so
    that the ECDHE-RSA and static-RSA suites can be asked for at all."""
    cert, key = os.path.join(directory, "rsa-cert.pem"), os.path.join(directory, "rsa-key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                    "-keyout", key, "-out", cert],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
    return cert, key


def check_tls12_suites(port, cert, starttls, kind, accepted, refused):
    """Each suite of `accepted` is negotiated as asked and serves LOGOUT;
    each of `refused` gets no TLS session and no IMAP byte."""
    extra = ["-starttls", "imap"] if starttls else []
    how = "starttls" if starttls else "imaps"
    for suite in accepted:
        code, out, err = s_client(port, cert, extra + ["-tls1_2", "-cipher", suite], "a LOGOUT\n")
        check("%s %s: TLSv1.2 %s accepted" % (how, kind, suite),
              protocol(err) == "TLSv1.2" and cipher(err) == suite and "a OK LOGOUT completed" in out,
              out + err)
    for suite in refused:
        code, out, err = s_client(port, cert, extra + ["-tls1_2", "-cipher", suite], "a LOGOUT\n")
        check("%s %s: TLSv1.2 %s refused" % (how, kind, suite),
              code != 0 and protocol(err) is None and "LOGOUT completed" not in out, out + err)


def rsa_server_checks(directory):
    """A server with an RSA certificate: static RSA (AES128-SHA,
    AES128-GCM-SHA256), ECDHE with CBC-SHA1 and DHE are refused; ECDHE-RSA
    with GCM or ChaCha20-Poly1305 and TLS 1.3 work."""
    cert, key = make_rsa_cert(directory)
    server = petrel_server.PetrelServer()
    server.cert, server.key = cert, key
    try:
        server.start()
    except petrel_server.ServerError as e:
        check("RSA server start", False, str(e))
        server.cleanup()
        return
    try:
        refused = ["AES128-SHA", "AES256-SHA", "AES128-GCM-SHA256", "ECDHE-RSA-AES128-SHA",
                   "ECDHE-RSA-AES256-SHA384", "DHE-RSA-AES128-GCM-SHA256"]
        check_tls12_suites(server.imaps_port, cert, False, "RSA certificate",
                           ["ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384",
                            "ECDHE-RSA-CHACHA20-POLY1305"], refused)
        check_tls12_suites(server.imap_port, cert, True, "RSA certificate",
                           ["ECDHE-RSA-AES128-GCM-SHA256"], ["AES128-SHA", "ECDHE-RSA-AES128-SHA"])
        code, out, err = s_client(server.imaps_port, cert, [], "a LOGOUT\n")
        check("imaps RSA certificate: TLSv1.3 works (%s)" % cipher(err),
              protocol(err) == "TLSv1.3" and "a OK LOGOUT completed" in out, out + err)
    finally:
        problems = server.stop()
        server.cleanup()
    check("RSA server exits cleanly on SIGTERM", not problems, "; ".join(problems))


def old_tls_possible(cert, key):
    """Can this openssl do TLS 1.1 with itself? Without that, a refusal by
    petrel would prove nothing."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(["openssl", "s_server", "-accept", "127.0.0.1:%d" % port,
                               "-cert", cert, "-key", key, "-quiet"] + OLD_TLS,
                              stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(50):                  # bounded: 5 s for s_server to listen
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        code, _, err = s_client(port, cert, OLD_TLS, "", ign_eof=False)
        return protocol(err) == "TLSv1.1"
    finally:
        server.kill()
        server.wait()


def main():
    server = petrel_server.PetrelServer(config={"auth_failure_delay_ms": "200"})
    try:
        server.start()
    except petrel_server.ServerError as e:
        print("FAIL server start: %s" % e)
        server.cleanup()
        print("tls: 0 passed, 1 failed")
        return 1
    cert, key = server.cert, server.key
    try:
        code, out, err = s_client(server.imaps_port, cert, [], "a LOGOUT\n")
        check("imaps greeting", re.search(r"^\* OK \[CAPABILITY IMAP4rev2 IMAP4rev1 SASL-IR [^]]*\] petrel ready\r?$",
                                          out, re.M) is not None, out + err)
        check("imaps negotiates TLSv1.3", protocol(err) == "TLSv1.3", err)
        check("imaps certificate verifies", "Verification: OK" in err, err)
        check("imaps LOGOUT", "a OK LOGOUT completed" in out, out)

        code, out, err = s_client(server.imap_port, cert, ["-starttls", "imap"], "a CAPABILITY\nb LOGOUT\n")
        check("starttls negotiates TLSv1.3", protocol(err) == "TLSv1.3", err)
        check("starttls capabilities drop STARTTLS",
              re.search(r"^\* CAPABILITY IMAP4rev2 IMAP4rev1 SASL-IR .*AUTH=PLAIN", out, re.M) is not None
              and "STARTTLS" not in out, out + err)
        check("starttls certificate verifies", "Verification: OK" in err, err)

        code, out, err = s_client(server.imaps_port, cert, ["-tls1_2"], "a LOGOUT\n")
        check("imaps TLSv1.2 works", protocol(err) == "TLSv1.2" and "a OK LOGOUT completed" in out, out + err)
        code, out, err = s_client(server.imap_port, cert, ["-starttls", "imap", "-tls1_2"], "a LOGOUT\n")
        check("starttls TLSv1.2 works", protocol(err) == "TLSv1.2" and "a OK LOGOUT completed" in out, out + err)

        check_tls12_suites(server.imaps_port, cert, False, "P-256 certificate",
                           ["ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384",
                            "ECDHE-ECDSA-CHACHA20-POLY1305"],
                           ["ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA",
                            "ECDHE-ECDSA-AES128-SHA256"])

        if old_tls_possible(cert, key):
            code, out, err = s_client(server.imaps_port, cert, OLD_TLS, "a LOGOUT\n")
            check("imaps refuses TLSv1.1", code != 0 and protocol(err) is None and "* OK" not in out, out + err)
            code, out, err = s_client(server.imap_port, cert, ["-starttls", "imap"] + OLD_TLS, "a LOGOUT\n")
            check("starttls refuses TLSv1.1", code != 0 and protocol(err) is None and "LOGOUT completed" not in out,
                  out + err)
        else:
            results["skipped"] += 2
            print("skip TLSv1.1 refusal: this openssl cannot negotiate TLSv1.1 even with itself")
    finally:
        problems = server.stop()
        server.cleanup()
    check("server exits cleanly on SIGTERM", not problems, "; ".join(problems))
    rsa_dir = tempfile.mkdtemp(prefix="petrel-tls-rsa-")
    try:
        rsa_server_checks(rsa_dir)
    finally:
        shutil.rmtree(rsa_dir, ignore_errors=True)
    line = "tls: %d passed, %d failed" % (results["passed"], results["failed"])
    if results["skipped"]:
        line += ", %d skipped" % results["skipped"]
    print(line)
    return 1 if results["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
