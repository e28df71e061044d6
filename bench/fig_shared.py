"""Shared mailboxes (issue 14, RFC 4314 ACL, RFC 2342 namespaces): another
user's big mailbox read by someone it is shared with, and LIST over many
mailboxes shared by many users. Both servers name another user's mailbox
"Other Users/OWNER/NAME" (Dovecot: a shared namespace with that prefix,
targets.DovecotTarget.enable_sharing).

LIST first, while the viewer sees exactly the shared mailboxes made for it:
  ctx.shared_owners users (100) each CREATE ctx.shared_per_owner mailboxes
  (10) and SETACL each `bob lr`. bob, logged in once, times
  `LIST "" "*"` and `LIST "" "Other Users/*"` (plain LIST, no selection
  or RETURN options), ctx.shared_reps times each, median; the untimed
  first run of each is parsed and must name every one of the
  owners x per_owner mailboxes (the count is a figure of its own, so the
  table shows both servers listed the same).
Then the big mailbox:
  carol's "Big" gets ctx.shared_messages corpus messages (100,000) by
  MULTIAPPEND (as the load's bulk part), `SETACL Big bob lr`, and carol
  SELECTs it once (Dovecot moves the messages from new/ to cur/). With
  carol and bob each logged in once (petrel: both keep carol's store
  open), each times SELECT (after one untimed first SELECT), `FETCH 1:*
  (FLAGS)` and `UID FETCH` of the newest FETCH_LAST UIDs' ENVELOPE and
  BODY.PEEK[HEADER], ctx.shared_reps times, median: bob on
  "Other Users/carol/Big", carol on her own "Big" beside it, so the cost
  of going through the share shows. The untimed first run of each FETCH
  is parsed and must answer every message.

FETCH responses are read raw (fig_read._raw: only the tagged line is
looked for), as in fig_read, so the Python client is not what is timed.
The seeding logs in the cheap way of fig_users (not measured).
"""

import time

import fig_index
import fig_read
import fig_users
import imapc
from figures import Figure, median

PASSWORD = fig_users.PASSWORD    # fig_users._login_cheap logs in with it
OWNER = "carol"              # not alice: the test server always has an alice
VIEWER = "bob"
OWNER_TEMPLATE = "so%03d"      # the LIST part's owners, apart from other steps' users
BOX_TEMPLATE = "Team%02d"
BIG = "Big"
PREFIX = "Other Users/"        # both servers' prefix for other users' mailboxes
RIGHTS = "lr"                  # see (l) and read (r): what a reader is given
FETCH_LAST = 50                # a client opening a mailbox fetches its newest
MULTIAPPEND_COUNT = 1000       # messages per APPEND while seeding (as fig_append)
CORPUS_BASE = 40_000_000       # message numbers apart from the other steps'


def _names(untagged):
    """Mailbox names of LIST responses (quoted or atom, last field)."""
    out = []
    for line in untagged:
        if not line.startswith(b"* LIST "):
            continue
        name = line.rsplit(b" \"/\" ", 1)[-1]
        if name.startswith(b'"') and name.endswith(b'"'):
            name = name[1:-1].replace(b'\\"', b'"').replace(b"\\\\", b"\\")
        out.append(name.decode(errors="replace"))
    return out


def _quoted(name):
    return '"%s"' % name


def _shared_split(names, owners):
    """(how many names are OWNER/BOX under the prefix for one of owners,
    the other names: the viewer's own, the prefix, the owners' levels)."""
    want = set(owners)
    shared, rest = 0, []
    for name in names:
        parts = name[len(PREFIX):].split("/") if name.startswith(PREFIX) else []
        if len(parts) == 2 and parts[0] in want and parts[1].startswith("Team"):
            shared += 1
        else:
            rest.append(name)
    return shared, rest


def _login(ctx, user, salted):
    c = imapc.Conn(ctx.target.host, ctx.target.port)
    fig_users._login_cheap(c, ctx.target, user, salted)
    return c


def _seed_lists(ctx, owners, salted):
    """Each owner creates its mailboxes and shares each with the viewer,
    one owner after the other (Dovecot's shared-mailboxes dict is a file
    its processes rewrite)."""
    for owner in owners:
        c = _login(ctx, owner, salted)
        try:
            boxes = [BOX_TEMPLATE % i for i in range(1, ctx.shared_per_owner + 1)]
            c.commands_pipelined(["CREATE %s" % b for b in boxes]
                                 + ["SETACL %s %s %s" % (b, VIEWER, RIGHTS) for b in boxes])
        finally:
            c.logout()


def _seed_big(ctx, salted):
    """carol's Big: ctx.shared_messages messages, shared with bob. Returns
    the bytes appended."""
    n = ctx.shared_messages
    nbytes = 0
    c = _login(ctx, OWNER, salted)
    try:
        c.command("CREATE %s" % BIG)
        for i in range(0, n, MULTIAPPEND_COUNT):
            msgs = list(ctx.corpus.messages(CORPUS_BASE + i, min(MULTIAPPEND_COUNT, n - i)))
            nbytes += sum(len(m) for m in msgs)
            c.multiappend(BIG, msgs)
        c.command("SETACL %s %s %s" % (BIG, VIEWER, RIGHTS))
        _, _, untagged = c.command("STATUS %s (MESSAGES UIDNEXT)" % BIG)
        if not any(b"MESSAGES %d UIDNEXT %d" % (n, n + 1) in u for u in untagged):
            raise imapc.IMAPError("after seeding %s: %r" % (BIG, untagged))
        # The owner opens it once, as the owner of a mailbox in use has:
        # Dovecot then moves the new messages from new/ to cur/, which a
        # reader with lr only may not do; timed first, the reader's SELECT
        # took 407 ms in a full run, 168 ms once the owner had opened it
        # (under other load). Both servers clear \Recent.
        _select(c, BIG, n)
        c.command("CLOSE")
    finally:
        c.logout()
    return nbytes


def _lists(ctx, c, owners):
    """[Figure] of the viewer's two LISTs and the count each returned."""
    figures = []
    expected = len(owners) * ctx.shared_per_owner
    for key, pattern, label in (
            ("list_all", '"" "*"', 'LIST "" "*"'),
            ("list_other", '"" "%s*"' % PREFIX, 'LIST "" "%s*"' % PREFIX)):
        first, _, untagged = c.command("LIST " + pattern)
        names = _names(untagged)
        shared, rest = _shared_split(names, owners)
        if shared != expected:
            raise imapc.IMAPError("%s for %s: %d of the %d shared mailboxes (%d lines)"
                                  % (label, VIEWER, shared, expected, len(names)))
        runs = [fig_read._raw(c, "LIST " + pattern) for _ in range(ctx.shared_reps)]
        times = [s * 1000 for s, _, _ in runs]
        detail = {"lines": len(names), "shared_mailboxes": shared, "owners": len(owners),
                  "others": [n for n in rest if not n.startswith(PREFIX)],
                  "owner_levels": sum(1 for n in rest if n.startswith(PREFIX)),
                  "bytes": runs[0][1], "first_ms": round(first * 1000, 3)}
        figures.append(Figure("shared." + key, "%s, %s shared by %d users (%s)"
                              % (label, "{:,}".format(expected), len(owners), VIEWER),
                              median(times), "ms", None, times, detail))
        figures.append(Figure("shared.%s_count" % key, "%s: shared mailboxes named" % label,
                              shared, "mailboxes", None, [], detail))
        ctx.log("  %s: %.2f ms, %d lines, %d shared" % (label, median(times), len(names), shared))
    return figures


def _select(c, mailbox, n):
    secs, _, untagged = c.command("SELECT " + _quoted(mailbox))
    if b"* %d EXISTS" % n not in untagged:
        raise imapc.IMAPError("SELECT %s: no '* %d EXISTS' in %r" % (mailbox, n, untagged[:4]))
    return secs * 1000


def _check_fetch(c, command, want):
    """The untimed first run, parsed: it must answer want messages."""
    _, _, untagged = c.command(command)
    got = sum(1 for u in untagged if u.startswith(b"* ") and b" FETCH (" in u[:24])
    if got != want:
        raise imapc.IMAPError("%s: %d FETCH answers, not %d" % (command, got, want))


def _reading(ctx, conn, who, mailbox):
    """SELECT, FETCH 1:* (FLAGS) and the newest FETCH_LAST by UID, on one
    connection: {key: (median ms, samples, detail)}."""
    n = ctx.shared_messages
    last = min(FETCH_LAST, n)
    out = {}
    first = _select(conn, mailbox, n)
    selects = [_select(conn, mailbox, n) for _ in range(ctx.shared_reps)]
    out["select"] = (selects, {"first_ms": round(first, 3)})
    for key, command, want in (
            ("fetch_flags", "FETCH 1:* (FLAGS)", n),
            ("fetch_last", "UID FETCH %d:%d (ENVELOPE BODY.PEEK[HEADER])" % (n - last + 1, n),
             last)):
        _check_fetch(conn, command, want)
        runs = [fig_read._raw(conn, command) for _ in range(ctx.shared_reps)]
        out[key] = ([s * 1000 for s, _, _ in runs],
                    {"bytes": runs[0][1], "answers": want,
                     "client_cpu_s": [round(x, 3) for _, _, x in runs]})
    ctx.log("  %s on %s: SELECT %.2f ms (first %.1f), FETCH FLAGS %.1f ms, last %d %.2f ms"
            % (who, mailbox, median(selects), first, median(out["fetch_flags"][0]), last,
               median(out["fetch_last"][0])))
    return out


def run(ctx):
    target = ctx.target
    sharing = target.enable_sharing()
    owners = [OWNER_TEMPLATE % i for i in range(1, ctx.shared_owners + 1)]
    t0 = time.perf_counter()
    target.add_users_bulk([OWNER, VIEWER] + owners, PASSWORD, hashed=False)
    salted = {}
    _seed_lists(ctx, owners, salted)
    lists_s = time.perf_counter() - t0
    figures = []
    setup = {"sharing": sharing, "owners": len(owners), "per_owner": ctx.shared_per_owner,
             "rights": RIGHTS, "seed_lists_s": round(lists_s, 1)}

    target.wait_quiet()
    c = _login(ctx, VIEWER, salted)
    try:
        figures += _lists(ctx, c, owners)
    finally:
        c.logout()

    t0 = time.perf_counter()
    nbytes = _seed_big(ctx, salted)
    setup["seed_big_s"] = round(time.perf_counter() - t0, 1)
    setup["big_bytes"] = nbytes
    # petrel indexes the new mail beside (a lower CPU priority, but on a
    # 2-core machine it still competes): measure the mailbox at rest.
    setup["index_wait_s"] = round(fig_index.wait_idle(target, OWNER), 1)
    setup["quiet_wait_s"] = round(target.wait_quiet(), 1)
    ctx.log("  seeded %d x %d shared mailboxes in %.1f s, %s with %s messages in %.1f s"
            % (len(owners), ctx.shared_per_owner, lists_s, BIG,
               "{:,}".format(ctx.shared_messages), setup["seed_big_s"]))

    owner = _login(ctx, OWNER, salted)
    viewer = _login(ctx, VIEWER, salted)
    shared_box = "%s%s/%s" % (PREFIX, OWNER, BIG)
    try:
        theirs = _reading(ctx, viewer, VIEWER, shared_box)
        own = _reading(ctx, owner, OWNER, BIG)
    finally:
        viewer.logout()
        owner.logout()
    last = min(FETCH_LAST, ctx.shared_messages)
    what = {
        "select": "SELECT ({:,} messages)".format(ctx.shared_messages),
        "fetch_flags": "FETCH 1:* (FLAGS)",
        "fetch_last": "UID FETCH newest %d (ENVELOPE BODY.PEEK[HEADER])" % last,
    }
    for key in ("select", "fetch_flags", "fetch_last"):
        for suffix, data, who in (("", theirs, '%s on "%s"' % (VIEWER, shared_box)),
                                  ("_owner", own, '%s (owner) on "%s"' % (OWNER, BIG))):
            samples, detail = data[key]
            figures.append(Figure("shared.%s%s" % (key, suffix), "%s: %s" % (who, what[key]),
                                  median(samples), "ms", None, samples, dict(detail, **setup)))
    return figures
