# SELECT and EXAMINE by an IMAP4rev2 client (RFC 9051 §6.3.2, §6.3.3): no
# RECENT, a LIST response with the name, and when another mailbox was
# selected "* OK [CLOSED]" first (§7.1).
login alice
C: a ENABLE IMAP4rev2
S: * ENABLED IMAP4rev2
S: a OK *
C: b SELECT inbox
S: * 0 EXISTS
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S: * OK [UIDVALIDITY $inbox] UIDs valid
S: * OK [UIDNEXT 1] Predicted next UID
S: * LIST () "/" INBOX
S: b OK [READ-WRITE] SELECT completed
C: c EXAMINE Sent
S: * OK [CLOSED] Previous mailbox is now closed
S: * 0 EXISTS
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS ()] Read-only mailbox
S: * OK [UIDVALIDITY $sent] UIDs valid
S: * OK [UIDNEXT 1] Predicted next UID
S: * LIST () "/" Sent
S: c OK [READ-ONLY] EXAMINE completed
# The same mailbox again: still a new selection.
C: d SELECT "Sent"
S: * OK [CLOSED] Previous mailbox is now closed
S: * 0 EXISTS
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S: * OK [UIDVALIDITY $sent] UIDs valid
S: * OK [UIDNEXT 1] Predicted next UID
S: * LIST () "/" Sent
S: d OK [READ-WRITE] SELECT completed
# A failed SELECT closes the current mailbox and leaves the session
# authenticated (RFC 9051 §6.3.2).
C: e SELECT Nowhere
S: * OK [CLOSED] Previous mailbox is now closed
S: e NO [NONEXISTENT] *
C: f NOOP
S: f OK NOOP completed
C: g EXPUNGE
S: g BAD *
C: h UNSELECT
S: h BAD *
