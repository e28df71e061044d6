"""Disk over mail (issue 13): after the load (the index wait, and the RSS
of the server that loaded), the server is stopped cleanly (petrel: sessions end, stores close, SQLite
checkpoints its WAL; Dovecot: every process writes its indexes and ends),
the data directory is measured while nothing runs, and the server is
started again on it for the steps that follow.

Figures: the data directory's allocated size (st_blocks of every file)
over the raw mail (the loaded messages' bytes, as sent: CRLF lines), and
each part's share of it: petrel's store.db, search.db (each with any -wal
and -shm left) and blobs/; Dovecot's Maildir message files and its index
files. The data directory holds only the loaded user at this point (the
later steps add users of their own). Apparent sizes are in the detail.
"""

from figures import Figure, MiB

RATIO_TARGET = ("<=", 1.5)     # issue 13: data dir <= 1.5x the raw mail, aim 1.0
RATIO_AIM = 1.0
# Parts per server, in table order: (part as targets.disk_part names it, label)
PARTS = {
    "petrel": (("store_db", "store.db"), ("search_db", "search.db (+wal)"),
               ("blobs", "blobs/")),
    "dovecot": (("maildir_messages", "Maildir message files"),
                ("maildir_index", "Dovecot index files")),
}


def clean_stop(ctx):
    target = ctx.target
    raw = ctx.load_stats["bytes"]
    seen = {}

    def measure():
        seen["usage"] = target.disk_usage()
        seen["parts"] = target.disk_parts()
    target.restart(measure)
    usage, parts = seen["usage"], seen["parts"]
    total = usage["allocated"]
    ctx.log("  after a clean stop: %.1f MiB for %.1f MiB of mail (%.2fx): %s"
            % (total / MiB, raw / MiB, total / raw,
               ", ".join("%s %.1f MiB" % (k, v / MiB) for k, v in sorted(parts.items()))))
    figures = [Figure(
        "disk.ratio", "data dir over raw mail, after a clean stop ({:,} messages)"
        .format(ctx.loaded), round(total / raw, 3), "×", RATIO_TARGET, [],
        {"allocated_mib": round(total / MiB, 2), "apparent_mib": round(usage["apparent"] / MiB, 2),
         "raw_mail_mib": round(raw / MiB, 2), "messages": ctx.loaded,
         "parts_mib": dict((k, round(v / MiB, 2)) for k, v in parts.items()),
         "files": usage["files"]}, aim=RATIO_AIM)]
    for part, label in PARTS.get(target.name, ()):
        size = parts.get(part, 0)
        figures.append(Figure(
            "disk.%s" % part, "  %s over raw mail (%s)" % (label, target.name),
            round(size / raw, 3), "×", None, [], {"allocated_mib": round(size / MiB, 2)}))
    return figures
