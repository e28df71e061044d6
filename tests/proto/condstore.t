# CONDSTORE (RFC 7162 §3.1): ENABLE, SELECT (CONDSTORE) and HIGHESTMODSEQ,
# the MODSEQ FETCH item, FETCH (CHANGEDSINCE), STORE (UNCHANGEDSINCE) with
# MODIFIED, .SILENT answered with MODSEQ, another session's flag change
# announced with MODSEQ, SEARCH MODSEQ, STATUS HIGHESTMODSEQ.
connect imap as c1
include inbox-3-messages
C: b SELECT INBOX (CONDSTORE)
S: * 3 EXISTS
S: * 3 RECENT
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S: * OK [UNSEEN 1] First unseen
S: * OK [UIDVALIDITY $inbox] UIDs valid
S: * OK [UIDNEXT 4] Predicted next UID
S: * OK [HIGHESTMODSEQ 4] Highest
S: b OK [READ-WRITE] SELECT completed
C: c FETCH 1:3 (UID MODSEQ)
S: * 1 FETCH (UID 1 MODSEQ (2))
S: * 2 FETCH (UID 2 MODSEQ (3))
S: * 3 FETCH (UID 3 MODSEQ (4))
S: c OK FETCH completed
C: d STORE 2 +FLAGS (\Flagged)
S: * 2 FETCH (FLAGS (\Flagged \Recent) MODSEQ (5))
S: d OK STORE completed
C: e FETCH 1:* (FLAGS) (CHANGEDSINCE 4)
S: * 2 FETCH (FLAGS (\Flagged \Recent) MODSEQ (5))
S: e OK FETCH completed
C: f UID FETCH 1:* (FLAGS) (CHANGEDSINCE 5)
S: f OK UID FETCH completed
C: g STORE 1:3 (UNCHANGEDSINCE 4) +FLAGS.SILENT (\Seen)
S: * 1 FETCH (MODSEQ (6))
S: * 3 FETCH (MODSEQ (6))
S: g OK [MODIFIED 2] Conditional STORE failed
C: h UID STORE 1:3 (UNCHANGEDSINCE 6) -FLAGS (\Seen)
S: * 1 FETCH (UID 1 FLAGS (\Recent) MODSEQ (7))
S: * 2 FETCH (UID 2 FLAGS (\Flagged \Recent) MODSEQ (5))
S: * 3 FETCH (UID 3 FLAGS (\Recent) MODSEQ (7))
S: h OK UID STORE completed
C: i STORE 2 (UNCHANGEDSINCE 0) +FLAGS (\Draft)
S: i OK [MODIFIED 2] Conditional STORE failed
C: j STORE 2 (CHANGEDSINCE 3) +FLAGS (\Draft)
S: j BAD Unknown STORE modifier (UNCHANGEDSINCE n is)
C: k SEARCH MODSEQ 6
S: * SEARCH 1 3 (MODSEQ 7)
S: k OK SEARCH completed
C: l FETCH 1 (FLAGS) (CHANGEDSINCE x)
S: l BAD Unknown FETCH modifier (CHANGEDSINCE n is)
# Another session's change arrives with its MODSEQ.
connect imap as c2
login alice
C: m STATUS INBOX (HIGHESTMODSEQ MESSAGES)
S: * STATUS INBOX (HIGHESTMODSEQ 7 MESSAGES 3)
S: m OK STATUS completed
C: n SELECT INBOX
S: * 3 EXISTS
S: * 0 RECENT
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S: * OK [UNSEEN 1] First unseen
S: * OK [UIDVALIDITY $inbox] UIDs valid
S: * OK [UIDNEXT 4] Predicted next UID
S: * OK [HIGHESTMODSEQ 7] Highest
S: n OK [READ-WRITE] SELECT completed
C: o STORE 3 +FLAGS.SILENT (\Answered)
S: * 3 FETCH (MODSEQ (8))
S: o OK STORE completed
use c1
C: p NOOP
S: * 3 FETCH (FLAGS (\Answered \Recent) MODSEQ (8))
S: p OK NOOP completed
# Without CONDSTORE nothing changes: a session that never enabled it.
connect imap as c3
login alice
C: q SELECT INBOX
S: * 3 EXISTS
S: * 0 RECENT
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S: * OK [UNSEEN 1] First unseen
S: * OK [UIDVALIDITY $inbox] UIDs valid
S: * OK [UIDNEXT 4] Predicted next UID
S: q OK [READ-WRITE] SELECT completed
C: r STORE 1 +FLAGS (\Flagged)
S: * 1 FETCH (FLAGS (\Flagged))
S: r OK STORE completed
C: s ENABLE CONDSTORE
S: s BAD *
C: t SELECT INBOX (FOO)
S: t BAD Unknown SELECT parameter
# A FETCH that sets \Seen reports the new FLAGS with their MODSEQ; c3's
# change to message 1 follows (with its MODSEQ too).
use c1
C: u FETCH 2 (BODY[TEXT])
S: * 2 FETCH (FLAGS (\Flagged \Seen \Recent) MODSEQ (10) BODY[TEXT] {6}
S: body 2)
S: * 1 FETCH (FLAGS (\Flagged \Recent) MODSEQ (9))
S: u OK FETCH completed
C: v FETCH 2 (BODY[TEXT] FLAGS MODSEQ)
S: * 2 FETCH (BODY[TEXT] {6}
S: body 2 FLAGS (\Flagged \Seen \Recent) MODSEQ (10))
S: v OK FETCH completed
