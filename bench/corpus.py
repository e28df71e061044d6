"""Real-looking test messages of about 2-4 KiB, deterministic for a seed.

Each message has its own Message-ID, Date, From, To, Subject and, for some,
Cc, In-Reply-To/References, List-Id, a multipart/alternative body or an
8-bit UTF-8 text part. Bodies are drawn from a pool made once (making 100,000
fresh bodies would cost the client more CPU than the server spends storing
them); headers are made per message, so no two messages are identical.
"""

import os
import random
import subprocess
import sys

FIRST = ("Alice Bob Carol Dave Erin Frank Grace Heidi Ivan Judy Mallory Niaj Olivia "
         "Peggy Rupert Sybil Trent Victor Walter Yasmin Zoe Ana Bruno Chloé Dmitri "
         "Élodie Farid Günther Hana Ines").split()
LAST = ("Smith Jones Müller Dubois Rossi García Silva Kowalski Novak Jensen Tanaka "
        "Kim Nguyen Okafor Haddad Larsen Moreau Schmidt Costa Ivanova").split()
DOMAINS = ("example.com example.org example.net mail.example.com lists.example.org "
           "corp.example invalid.example").split()
WORDS = ("the of and to in is that for it as was with be by on not he this are or his "
         "from at which but have an they you were her she there been one all we their "
         "meeting report invoice project deadline review budget release server backup "
         "quarterly schedule draft proposal contract update minutes agenda travel "
         "customer ticket outage patch migration database storage network security "
         "please thanks regards attached below above tomorrow monday friday next week "
         "question answer issue fix test build deploy rollback approve sign").split()
SUBJECTS = ("Re: {w} {w} for {d}", "Fwd: {w} {w}", "[{l}] {w} {w} {w}",
            "{W} {w} — status {n}", "Invoice #{n}", "{W} {w} {w}?", "Meeting: {w} {w} on {d}",
            "Re: Re: {w} {w} ({n})", "Ärger mit {w} {w}", "{W} update {n}")
DAYS = "Mon Tue Wed Thu Fri Sat Sun".split()
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


def _sentence(rng):
    words = rng.choices(WORDS, k=rng.randint(6, 18))
    return words[0].capitalize() + " " + " ".join(words[1:]) + rng.choice(".?!..")


def _paragraphs(rng, size):
    out = []
    total = 0
    while total < size:
        line = " ".join(_sentence(rng) for _ in range(rng.randint(1, 4)))
        # wrap at ~72 columns like a mail client
        words, cur = line.split(" "), ""
        for w in words:
            if len(cur) + len(w) + 1 > 72:
                out.append(cur)
                total += len(cur) + 2
                cur = w
            else:
                cur = (cur + " " + w) if cur else w
        out.append(cur)
        out.append("")
        total += len(cur) + 4
    return "\r\n".join(out)


class Corpus:
    """corpus.message(i) -> bytes of message i (stable for a seed)."""

    name = "synthetic (bench/corpus.py, ~120-word vocabulary)"
    # Its bodies share one small vocabulary: nearly every message holds
    # nearly every trigram, the worst case for a trigram index.
    queries = (("subject", 'SEARCH SUBJECT "invoice"'),
               ("text", 'SEARCH TEXT "quarterly"'),
               ("text_phrase", 'SEARCH TEXT "rollback approve"'))

    POOL = 256

    def __init__(self, seed=1):
        self.seed = seed
        rng = random.Random(seed)
        self.bodies = []
        for k in range(self.POOL):
            size = rng.randint(1500, 3300)
            kind = k % 8
            if kind == 0:
                boundary = "=_b%08x" % rng.getrandbits(32)
                text = _paragraphs(rng, size // 2)
                html = "<html><body><p>" + text.replace("\r\n\r\n", "</p><p>") + "</p></body></html>"
                body = ("Content-Type: multipart/alternative; boundary=\"%s\"\r\n"
                        "MIME-Version: 1.0\r\n\r\n"
                        "This is a multi-part message in MIME format.\r\n\r\n"
                        "--%s\r\nContent-Type: text/plain; charset=utf-8\r\n"
                        "Content-Transfer-Encoding: 7bit\r\n\r\n%s\r\n"
                        "--%s\r\nContent-Type: text/html; charset=utf-8\r\n"
                        "Content-Transfer-Encoding: 7bit\r\n\r\n%s\r\n--%s--\r\n"
                        % (boundary, boundary, text, boundary, html[:size // 2], boundary))
            elif kind == 1:
                body = ("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
                        "Content-Transfer-Encoding: 8bit\r\n\r\n"
                        "Grüße aus Zürich — voilà, ça marche. ")
                body += _paragraphs(rng, size)
            else:
                body = ("Content-Type: text/plain; charset=us-ascii; format=flowed\r\n\r\n"
                        + _paragraphs(rng, size))
            self.bodies.append(body.encode("utf-8"))
        self._rng = rng

    def message(self, i):
        rng = random.Random(self.seed * 1000003 + i)
        def person():
            f, l = rng.choice(FIRST), rng.choice(LAST)
            local = ("%s.%s" % (f, l)).lower().encode("ascii", "ignore").decode()
            return "%s %s <%s@%s>" % (f, l, local, rng.choice(DOMAINS))
        w = lambda: rng.choice(WORDS)
        subject = rng.choice(SUBJECTS).format(
            w=w(), W=w().capitalize(), l=rng.choice(("dev", "ops", "announce", "team")),
            n=rng.randint(100, 99999), d=rng.choice(DAYS))
        day = 1 + i % 28
        h = [
            "Return-Path: <bounce-%d@%s>" % (i, rng.choice(DOMAINS)),
            "Received: from mx%d.example.net (mx%d.example.net [192.0.2.%d])\r\n"
            "\tby mail.example.com with ESMTPS id %08x; %s, %d %s 2024 %02d:%02d:%02d +0000"
            % (i % 7, i % 7, i % 250 + 1, rng.getrandbits(32), DAYS[i % 7], day,
               MONTHS[(i // 28) % 12], rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59)),
            "Date: %s, %d %s 2024 %02d:%02d:%02d %s"
            % (DAYS[i % 7], day, MONTHS[(i // 28) % 12], rng.randint(0, 23),
               rng.randint(0, 59), rng.randint(0, 59), rng.choice(("+0000", "+0100", "-0500", "+0900"))),
            "From: " + person(),
            "To: " + ", ".join(person() for _ in range(rng.randint(1, 3))),
            "Subject: " + subject,
            "Message-ID: <%d.%08x@bench.example>" % (i, rng.getrandbits(32)),
        ]
        if rng.random() < 0.3:
            h.append("Cc: " + person())
        if rng.random() < 0.4 and i > 0:
            ref = "<%d.parent@bench.example>" % rng.randint(0, i)
            h.append("In-Reply-To: " + ref)
            h.append("References: " + ref)
        if rng.random() < 0.2:
            h.append("List-Id: <%s.lists.example.org>" % w())
        head = ("\r\n".join(h) + "\r\n").encode("utf-8")
        return head + self.bodies[rng.randrange(self.POOL)]

    def messages(self, start, count):
        for i in range(start, start + count):
            yield self.message(i)


class RealCorpus:
    """Real mail written by others: the 2,403 messages of jwz's test data
    (Debian golang-github-gatherstars-com-jwz-dev, test/testdata/ham;
    fetched by scripts/fetch-corpora), cycled: message i is message
    i mod 2,403 with one header in front (X-Bench-Copy: i) so no two are
    the same bytes. The mbox "From " line is dropped, lines end in CRLF.
    `queries` are the searches fig_read times on it: words found in 3-17%
    of these messages."""

    name = "jwz ham (2,403 real messages, cycled)"
    queries = (("subject", 'SEARCH SUBJECT "razor"'),
               ("text", 'SEARCH TEXT "linux"'),
               ("text_phrase", 'SEARCH TEXT "open source"'))

    def __init__(self, directory):
        self.base = []
        for entry in sorted(os.listdir(directory)):
            with open(os.path.join(directory, entry), "rb") as f:
                data = f.read()
            if data.startswith(b"From "):
                data = data.split(b"\n", 1)[1] if b"\n" in data else b""
            data = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
            if data:
                self.base.append(data)
        if not self.base:
            raise OSError("no messages in %s" % directory)

    def message(self, i):
        return b"X-Bench-Copy: %d\r\n" % i + self.base[i % len(self.base)]

    def messages(self, start, count):
        for i in range(start, start + count):
            yield self.message(i)


def load(repo, seed, synthetic=False):
    """The real corpus (fetching it if needed), else the synthetic one with
    the reason on stderr."""
    if not synthetic:
        directory = os.path.join(repo, "build", "corpora", "jwz-ham")
        try:
            if not os.path.isdir(directory):
                subprocess.run([os.path.join(repo, "scripts", "fetch-corpora")],
                               check=True, stdout=subprocess.DEVNULL)
            return RealCorpus(directory)
        except (OSError, subprocess.CalledProcessError) as e:
            print("bench: real corpus unavailable (%s); using the synthetic one" % e,
                  file=sys.stderr)
    return Corpus(seed)
