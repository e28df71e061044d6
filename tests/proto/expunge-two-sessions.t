# Two sessions on one mailbox (RFC 9051 §5.2, §7.5.1): what one expunges
# the other learns at its next NOOP as EXPUNGE; during its STORE (no
# EXPUNGE allowed) the expunged message keeps its number until the NOOP.
# Messages added meanwhile arrive as EXISTS (at APPEND too, in its own
# session).
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
C: c ENABLE IMAP4rev2
S: * ENABLED IMAP4rev2
S: c OK *
C: d SELECT INBOX
S: * 3 EXISTS
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S: * OK [UIDVALIDITY $inbox] UIDs valid
S: * OK [UIDNEXT 4] Predicted next UID
S: * LIST () "/" INBOX
S: d OK [READ-WRITE] SELECT completed
use c1
C: e STORE 2 +FLAGS.SILENT (\Deleted)
S: e OK STORE completed
C: f EXPUNGE
S: * 2 EXPUNGE
S: f OK EXPUNGE completed
use c2
C: g NOOP
S: * 2 EXPUNGE
S: g OK NOOP completed
# c1 removes UID 1; c2 stores on its message 2 (UID 3) before it knows.
use c1
C: h STORE 1 +FLAGS.SILENT (\Deleted)
S: h OK STORE completed
C: i EXPUNGE
S: * 1 EXPUNGE
S: i OK EXPUNGE completed
use c2
C: j STORE 2 +FLAGS (\Seen)
S: * 2 FETCH (FLAGS (\Seen))
S: j OK STORE completed
C: k NOOP
S: * 1 EXPUNGE
S: k OK NOOP completed
# Messages another session adds arrive as EXISTS (here at APPEND, which
# syncs too).
use c1
C: l APPEND INBOX {21}
S: + *
C: Subject: m4
C: 
C: body 4
S: * 2 EXISTS
S: * 2 RECENT
S: * 1 FETCH (FLAGS (\Seen \Recent))
S: l OK [APPENDUID $inbox 4] *
C: m UID STORE 3 -FLAGS (\Seen)
S: * 1 FETCH (UID 3 FLAGS (\Recent))
S: m OK UID STORE completed
use c2
C: n NOOP
S: * 2 EXISTS
S: * 1 FETCH (FLAGS ())
S: n OK NOOP completed
# A plain STORE keeps an expunge pending; UID STORE may announce it
# (RFC 9051 §7.5.1), before its FETCH with the shifted number.
C: o STORE 1 +FLAGS.SILENT (\Deleted)
S: o OK STORE completed
C: p EXPUNGE
S: * 1 EXPUNGE
S: p OK EXPUNGE completed
use c1
C: q STORE 2 +FLAGS (\Flagged)
S: * 2 FETCH (FLAGS (\Flagged \Recent))
S: q OK STORE completed
C: r UID STORE 4 +FLAGS (\Seen)
S: * 1 EXPUNGE
S: * 1 FETCH (UID 4 FLAGS (\Flagged \Seen \Recent))
S: r OK UID STORE completed
