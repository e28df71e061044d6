# A message another session expunged (RFC 9051 §7.5.1, RFC 2180 §4.1):
# FETCH by number may not announce the expunge, so it returns what still
# exists and NO [EXPUNGEISSUED]; UID FETCH ignores UIDs that no longer
# exist (§6.4.9), answers OK and announces the expunge after its data.
connect imap as c1
include inbox-3-messages
C: b SELECT INBOX
S: * 3 EXISTS
S: * 3 RECENT
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S: * OK [UNSEEN 1] First unseen
S: * OK [UIDVALIDITY $inbox] UIDs valid
S: * OK [UIDNEXT 4] Predicted next UID
S: b OK [READ-WRITE] SELECT completed
connect imap as c2
login alice
C: c SELECT INBOX
S: * 3 EXISTS
S: * 0 RECENT
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S: * OK [UNSEEN 1] First unseen
S: * OK [UIDVALIDITY $inbox] UIDs valid
S: * OK [UIDNEXT 4] Predicted next UID
S: c OK [READ-WRITE] SELECT completed
C: d STORE 2 +FLAGS.SILENT (\Deleted)
S: d OK STORE completed
C: e EXPUNGE
S: * 2 EXPUNGE
S: e OK EXPUNGE completed
use c1
C: f FETCH 1:3 (UID BODY.PEEK[TEXT])
S: * 1 FETCH (UID 1 BODY[TEXT] {6}
S: body 1)
S: * 3 FETCH (UID 3 BODY[TEXT] {6}
S: body 3)
S: f NO [EXPUNGEISSUED] Some of the requested messages no longer exist
C: g UID FETCH 1:3 (BODY.PEEK[TEXT])
S: * 1 FETCH (UID 1 BODY[TEXT] {6}
S: body 1)
S: * 3 FETCH (UID 3 BODY[TEXT] {6}
S: body 3)
S: * 2 EXPUNGE
S: g OK UID FETCH completed
