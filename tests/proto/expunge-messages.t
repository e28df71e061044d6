# EXPUNGE (RFC 9051 §6.4.3) announces each removed message with the
# numbers as they shift; UID EXPUNGE (RFC 4315 §2.1) removes only the
# \Deleted messages of its set; CLOSE expunges silently (RFC 9051 §6.4.1).
include inbox-5-messages
C: b SELECT INBOX
S: * 5 EXISTS
S: * 5 RECENT
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S: * OK [UNSEEN 1] First unseen
S: * OK [UIDVALIDITY $inbox] UIDs valid
S: * OK [UIDNEXT 6] Predicted next UID
S: b OK [READ-WRITE] SELECT completed
C: c STORE 2:3 +FLAGS.SILENT (\Deleted)
S: c OK STORE completed
C: d EXPUNGE
S: * 2 EXPUNGE
S: * 2 EXPUNGE
S: d OK EXPUNGE completed
# Left: UIDs 1, 4, 5 as 1, 2, 3.
C: e STORE 1:2 +FLAGS.SILENT (\Deleted)
S: e OK STORE completed
C: f UID EXPUNGE 4:5
S: * 2 EXPUNGE
S: f OK UID EXPUNGE completed
C: g UID EXPUNGE 2:3
S: g OK UID EXPUNGE completed
C: h CLOSE
S: h OK CLOSE completed
C: i SELECT INBOX
S: * 1 EXISTS
S: * 0 RECENT
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S: * OK [UNSEEN 1] First unseen
S: * OK [UIDVALIDITY $inbox] UIDs valid
S: * OK [UIDNEXT 6] Predicted next UID
S: i OK [READ-WRITE] SELECT completed
# UNSELECT leaves \Deleted messages alone (RFC 3691).
C: j STORE 1 +FLAGS.SILENT (\Deleted)
S: j OK STORE completed
C: k UNSELECT
S: k OK UNSELECT completed
C: l EXAMINE INBOX
S: * 1 EXISTS
S: * 0 RECENT
S: * FLAGS *
S: * OK [PERMANENTFLAGS ()] Read-only mailbox
S: * OK [UNSEEN 1] First unseen
S: * OK [UIDVALIDITY $inbox] UIDs valid
S: * OK [UIDNEXT 6] Predicted next UID
S: l OK [READ-ONLY] EXAMINE completed
# CLOSE after EXAMINE expunges nothing.
C: m CLOSE
S: m OK CLOSE completed
C: n SELECT INBOX
S: * 1 EXISTS
S: * *
S: * FLAGS *
S: * OK [PERMANENTFLAGS *
S: * OK [UNSEEN 1] First unseen
S: * OK [UIDVALIDITY $inbox] UIDs valid
S: * OK [UIDNEXT 6] Predicted next UID
S: n OK [READ-WRITE] SELECT completed
