# SELECT and EXAMINE of a new user's empty mailboxes by an IMAP4rev1 client
# (RFC 3501 §6.3.1, §6.3.2): RECENT is sent, no CLOSED and no LIST; then
# CHECK, NOOP, UNSELECT (RFC 3691) and CLOSE (RFC 3501 §6.4.2).
login alice
C: a SELECT INBOX
S: * 0 EXISTS
S: * 0 RECENT
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S: * OK [UIDVALIDITY $inbox] UIDs valid
S: * OK [UIDNEXT 1] Predicted next UID
S: a OK [READ-WRITE] SELECT completed
C: b CHECK
S: b OK CHECK completed
C: c NOOP
S: c OK NOOP completed
# Selecting another mailbox closes this one without a CLOSED code (rev1).
C: d EXAMINE Sent
S: * 0 EXISTS
S: * 0 RECENT
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS ()] Read-only mailbox
S: * OK [UIDVALIDITY $sent] UIDs valid
S: * OK [UIDNEXT 1] Predicted next UID
S: d OK [READ-ONLY] EXAMINE completed
C: e CLOSE
S: e OK CLOSE completed
C: f CLOSE
S: f BAD *
C: g select inbox
S: * 0 EXISTS
S: * 0 RECENT
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S: * OK [UIDVALIDITY $inbox] UIDs valid
S: * OK [UIDNEXT 1] Predicted next UID
S: g OK [READ-WRITE] SELECT completed
C: h UNSELECT
S: h OK UNSELECT completed
C: i UNSELECT
S: i BAD *
C: j CHECK
S: j BAD *
C: k NOOP
S: k OK NOOP completed
