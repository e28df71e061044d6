# RFC 7162 §3.1: the first CONDSTORE-enabling command issued with a mailbox
# selected makes the server report HIGHESTMODSEQ before anything else; a
# later one does not repeat it, nor does SELECT (CONDSTORE) send it twice.
include inbox-3-messages
C: b SELECT INBOX
S: * 3 EXISTS
S: * *
S: * *
S: * *
S: * *
S: * *
S: * *
S: b OK [READ-WRITE] *
C: c FETCH 1 MODSEQ
S: * OK [HIGHESTMODSEQ 4] Highest
S: * 1 FETCH (MODSEQ (2))
S: c OK FETCH completed
C: d FETCH 2 MODSEQ
S: * 2 FETCH (MODSEQ (3))
S: d OK FETCH completed
connect imap as c2
login alice
C: e EXAMINE INBOX
S: * 3 EXISTS
S: * *
S: * *
S: * *
S: * *
S: * *
S: * *
S: e OK [READ-ONLY] *
C: f SEARCH MODSEQ 3
S: * OK [HIGHESTMODSEQ 4] Highest
S: * SEARCH 2 3 (MODSEQ 4)
S: f OK SEARCH completed
C: g SELECT INBOX (CONDSTORE)
S: * 3 EXISTS
S: * 0 RECENT
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S: * OK [UNSEEN 1] First unseen
S: * OK [UIDVALIDITY $inbox] UIDs valid
S: * OK [UIDNEXT 4] Predicted next UID
S: * OK [HIGHESTMODSEQ 4] Highest
S: g OK [READ-WRITE] SELECT completed
connect imap as c3
login alice
C: h SELECT INBOX (CONDSTORE)
S: * 3 EXISTS
S: * 0 RECENT
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S: * OK [UNSEEN 1] First unseen
S: * OK [UIDVALIDITY $inbox] UIDs valid
S: * OK [UIDNEXT 4] Predicted next UID
S: * OK [HIGHESTMODSEQ 4] Highest
S: h OK [READ-WRITE] SELECT completed
