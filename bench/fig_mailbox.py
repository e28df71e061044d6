"""Opening the big mailbox: SELECT and STATUS, one command at a time, each
timed from just before its line is sent to just after its tagged OK is
read. A NOOP round trip is measured the same way as the floor: what the
client, loopback and the server's command loop cost with no work.

Three things are kept apart, because they cost very different amounts:

store open  petrel opens a user's store when the first session needs it
            and closes it when the user's last session ends; the open
            checks the database. Measured as the first STATUS of a new
            session when no other session of the user exists (median of
            ctx.open_reps, reported only).
first SELECT  the first SELECT after the load marks all messages as no
            longer \\Recent (IMAP4rev1) in one write: reported only.
SELECT, STATUS  the figures with targets: with the store open (a second
            session stays logged in meanwhile, as a user's other client
            would), SELECT repeated on one connection (each SELECT first
            leaves the previous selection), and STATUS from a connection
            that has nothing selected.
"""

import time

import imapc
from figures import Figure, median

SELECT_TARGET = ("<", 50.0)
STATUS_TARGET = ("<", 5.0)
STATUS_ITEMS = "(MESSAGES UIDNEXT UNSEEN SIZE)"


def _status(c, n):
    secs, _, untagged = c.command("STATUS INBOX " + STATUS_ITEMS)
    if not any(b"MESSAGES %d " % n in u for u in untagged):
        raise imapc.IMAPError("STATUS: %r" % untagged)
    return secs * 1000, untagged[-1].decode(errors="replace")


def _select(c, n):
    secs, _, untagged = c.command("SELECT INBOX")
    if b"* %d EXISTS" % n not in untagged:
        raise imapc.IMAPError("SELECT: no '* %d EXISTS' in %r" % (n, untagged[:3]))
    return secs * 1000


def run(ctx):
    figures = []
    n = ctx.loaded

    # Store open: every earlier step logged out, so the store is closed (or
    # its close is queued ahead of this session's first job).
    opens = []
    for _ in range(ctx.open_reps):
        # The close is a job queued at the last logout; a session that
        # logs in before it runs keeps the store open. Give it time.
        time.sleep(0.3)
        c = imapc.connect(ctx.target)
        try:
            opens.append(_status(c, n)[0])
        finally:
            c.logout()
    figures.append(Figure("mailbox.store_open", "first STATUS of a user's only session (store open)",
                          median(opens), "ms", None, opens))

    holder = imapc.connect(ctx.target)      # keeps the store open
    try:
        _status(holder, n)                  # NOOP would not open it
        c = imapc.connect(ctx.target)
        try:
            noop = [c.command("NOOP")[0] * 1000 for _ in range(ctx.noop_reps)]
            figures.append(Figure("rtt.noop", "NOOP round trip (floor)", median(noop), "ms",
                                  None, noop))
            first = _select(c, n)
            figures.append(Figure("mailbox.select_first",
                                  "first SELECT after the load (clears \\Recent)",
                                  first, "ms", None, [first]))
            selects = [_select(c, n) for _ in range(ctx.select_reps)]
            figures.append(Figure("mailbox.select", "SELECT INBOX ({:,} messages)".format(n),
                                  median(selects), "ms", SELECT_TARGET, selects,
                                  {"max_ms": max(selects)}))
            ctx.log("  store open %.1f ms, first SELECT %.1f ms, SELECT median %.2f ms"
                    % (median(opens), first, median(selects)))
        finally:
            c.logout()

        c = imapc.connect(ctx.target)
        try:
            statuses, response = [], ""
            for _ in range(ctx.status_reps):
                ms, response = _status(c, n)
                statuses.append(ms)
            figures.append(Figure("mailbox.status", "STATUS INBOX " + STATUS_ITEMS,
                                  median(statuses), "ms", STATUS_TARGET, statuses,
                                  {"response": response, "max_ms": max(statuses)}))
        finally:
            c.logout()
    finally:
        holder.logout()
    return figures
