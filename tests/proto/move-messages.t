# MOVE and UID MOVE (RFC 6851): the untagged "OK [COPYUID ...]" comes
# before the EXPUNGE responses (§4.3), then the tagged OK; TRYCREATE; UIDs
# already gone are skipped; another session learns of the move as EXPUNGE;
# MOVE from a read-only mailbox is NO.
connect imap as c1
include inbox-3-messages
C: a4 APPEND INBOX {21}
S: + *
C: Subject: m4
C: 
C: body 4
S: a4 OK [APPENDUID $inbox 4] *
C: b SELECT INBOX
S: * 4 EXISTS
S: * 4 RECENT
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S: * OK [UNSEEN 1] First unseen
S: * OK [UIDVALIDITY $inbox] UIDs valid
S: * OK [UIDNEXT 5] Predicted next UID
S: b OK [READ-WRITE] SELECT completed
connect imap as c2
login alice
C: c EXAMINE INBOX
S: * 4 EXISTS
S: * 0 RECENT
S: * FLAGS *
S: * OK [PERMANENTFLAGS ()] Read-only mailbox
S: * OK [UNSEEN 1] First unseen
S: * OK [UIDVALIDITY $inbox] UIDs valid
S: * OK [UIDNEXT 5] Predicted next UID
S: c OK [READ-ONLY] EXAMINE completed
C: d MOVE 1 Sent
S: d NO [READ-ONLY] *
use c1
C: e MOVE 1 Sent
S: * OK [COPYUID $sent 1 1] Moved
S: * 1 EXPUNGE
S: e OK MOVE completed
# Left: UIDs 2, 3, 4.
C: f UID MOVE 3:4 Trash
S: * OK [COPYUID $trash 3:4 1:2] Moved
S: * 2 EXPUNGE
S: * 2 EXPUNGE
S: f OK UID MOVE completed
C: g UID MOVE 2 Nowhere
S: g NO [TRYCREATE] No such mailbox
C: h UID MOVE 3:4 Trash
S: h OK UID MOVE completed
use c2
C: i NOOP
S: * 1 EXPUNGE
S: * 2 EXPUNGE
S: * 2 EXPUNGE
S: i OK NOOP completed
# Into the selected mailbox itself: a new UID, announced as EXISTS.
use c1
C: j MOVE 1 INBOX
S: * OK [COPYUID $inbox 2 5] Moved
S: * 1 EXPUNGE
S: * 1 EXISTS
S: * 1 RECENT
S: j OK MOVE completed
C: k EXAMINE Trash
S: * 2 EXISTS
S: * 2 RECENT
S: * FLAGS *
S: * OK [PERMANENTFLAGS ()] Read-only mailbox
S: * OK [UNSEEN 1] First unseen
S: * OK [UIDVALIDITY $trash] UIDs valid
S: * OK [UIDNEXT 3] Predicted next UID
S: k OK [READ-ONLY] EXAMINE completed
