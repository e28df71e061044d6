# QRESYNC (RFC 7162 §3.2): ENABLE QRESYNC (CONDSTORE with it), expunges
# announced as VANISHED, SELECT ... (QRESYNC (uidvalidity modseq
# [known-uids])) telling what changed since with VANISHED (EARLIER) and
# FETCH (UID FLAGS MODSEQ), CLOSED before it, UID FETCH (CHANGEDSINCE n
# VANISHED), and the errors around them.
connect imap as c1
include inbox-5-messages
C: b ENABLE QRESYNC
S: * ENABLED QRESYNC
S: b OK ENABLE completed
C: c SELECT INBOX
S: * 5 EXISTS
S: * 5 RECENT
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S: * OK [UNSEEN 1] First unseen
S: * OK [UIDVALIDITY $inbox] UIDs valid
S: * OK [UIDNEXT 6] Predicted next UID
S: * OK [HIGHESTMODSEQ $known] Highest
S: c OK [READ-WRITE] SELECT completed
C: d STORE 2 +FLAGS.SILENT (\Seen)
S: * 2 FETCH (MODSEQ (7))
S: d OK STORE completed
C: e STORE 3:4 +FLAGS.SILENT (\Deleted)
S: * 3 FETCH (MODSEQ (8))
S: * 4 FETCH (MODSEQ (8))
S: e OK STORE completed
C: f EXPUNGE
S: * VANISHED 3:4
S: f OK EXPUNGE completed
# Back with what the client knew: CLOSED, then the usual responses, then
# what changed since: 3 and 4 vanished, 2 got \Seen.
C: g SELECT INBOX (QRESYNC ($inbox $known))
S: * OK [CLOSED] Previous mailbox is now closed
S: * 3 EXISTS
S: * 0 RECENT
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S: * OK [UNSEEN 1] First unseen
S: * OK [UIDVALIDITY $inbox] UIDs valid
S: * OK [UIDNEXT 6] Predicted next UID
S: * OK [HIGHESTMODSEQ 9] Highest
S: * VANISHED (EARLIER) 3:4
S: * 2 FETCH (UID 2 FLAGS (\Seen) MODSEQ (7))
S: g OK [READ-WRITE] SELECT completed
# known-uids narrows VANISHED (EARLIER).
C: h EXAMINE INBOX (QRESYNC ($inbox $known 1:3))
S: * OK [CLOSED] Previous mailbox is now closed
S: * 3 EXISTS
S: * 0 RECENT
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS ()] Read-only mailbox
S: * OK [UNSEEN 1] First unseen
S: * OK [UIDVALIDITY $inbox] UIDs valid
S: * OK [UIDNEXT 6] Predicted next UID
S: * OK [HIGHESTMODSEQ 9] Highest
S: * VANISHED (EARLIER) 3
S: * 2 FETCH (UID 2 FLAGS (\Seen) MODSEQ (7))
S: h OK [READ-ONLY] EXAMINE completed
# Another UIDVALIDITY: nothing but the usual responses.
C: i EXAMINE INBOX (QRESYNC (1 $known))
S: * OK [CLOSED] Previous mailbox is now closed
S: * 3 EXISTS
S: * 0 RECENT
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS ()] Read-only mailbox
S: * OK [UNSEEN 1] First unseen
S: * OK [UIDVALIDITY $inbox] UIDs valid
S: * OK [UIDNEXT 6] Predicted next UID
S: * OK [HIGHESTMODSEQ 9] Highest
S: i OK [READ-ONLY] EXAMINE completed
C: j UID FETCH 1:* (FLAGS) (CHANGEDSINCE $known VANISHED)
S: * VANISHED (EARLIER) 3:4
S: * 2 FETCH (UID 2 FLAGS (\Seen) MODSEQ (7))
S: j OK UID FETCH completed
C: k UID FETCH 4:5 (FLAGS) (CHANGEDSINCE $known VANISHED)
S: * VANISHED (EARLIER) 4
S: k OK UID FETCH completed
C: l FETCH 1:* (FLAGS) (CHANGEDSINCE 1 VANISHED)
S: l BAD VANISHED needs UID FETCH, QRESYNC enabled and CHANGEDSINCE
C: m UID FETCH 1:* (FLAGS) (VANISHED)
S: m BAD VANISHED needs UID FETCH, QRESYNC enabled and CHANGEDSINCE
C: n SELECT INBOX (QRESYNC (0 1))
S: n BAD QRESYNC needs (uidvalidity modseq [known-uids [seq-match]])
C: o SELECT INBOX (QRESYNC ($inbox 1 bad:set))
S: o BAD Invalid QRESYNC known-uids
# Without ENABLE QRESYNC the parameter is refused.
connect imap as c2
login alice
C: p SELECT INBOX (QRESYNC ($inbox 1))
S: p BAD QRESYNC is not enabled (ENABLE QRESYNC first)
