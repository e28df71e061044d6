# STORE and UID STORE (RFC 9051 §6.4.6, §6.4.9) with IMAP4rev2: FETCH
# (FLAGS) for each message of the set, changed or not, with UID first for
# UID STORE, none with .SILENT; a new keyword announces FLAGS and
# PERMANENTFLAGS (RFC 9051 §7.3.5); another session learns the changes at
# its NOOP, and only those that changed something.
connect imap as c1
include inbox-3-messages
C: b ENABLE IMAP4rev2
S: * ENABLED IMAP4rev2
S: b OK *
C: c SELECT INBOX
S: * 3 EXISTS
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S: * OK [UIDVALIDITY $inbox] UIDs valid
S: * OK [UIDNEXT 4] Predicted next UID
S: * LIST () "/" INBOX
S: c OK [READ-WRITE] SELECT completed
connect imap as c2
login alice
C: d ENABLE IMAP4rev2
S: * ENABLED IMAP4rev2
S: d OK *
C: e EXAMINE INBOX
S: * 3 EXISTS
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS ()] Read-only mailbox
S: * OK [UIDVALIDITY $inbox] UIDs valid
S: * OK [UIDNEXT 4] Predicted next UID
S: * LIST () "/" INBOX
S: e OK [READ-ONLY] EXAMINE completed
use c1
C: f STORE 1 +FLAGS (\Seen)
S: * 1 FETCH (FLAGS (\Seen))
S: f OK STORE completed
C: g STORE 1:3 +FLAGS \Flagged
S: * 1 FETCH (FLAGS (\Flagged \Seen))
S: * 2 FETCH (FLAGS (\Flagged))
S: * 3 FETCH (FLAGS (\Flagged))
S: g OK STORE completed
C: h STORE 2 FLAGS.SILENT (\Deleted \Draft)
S: h OK STORE completed
C: i UID STORE 3 -FLAGS (\Flagged)
S: * 3 FETCH (UID 3 FLAGS ())
S: i OK UID STORE completed
C: j store 2:1 -flags.silent (\Flagged)
S: j OK STORE completed
# A keyword new to the mailbox: FLAGS and PERMANENTFLAGS first.
C: k STORE 1 +FLAGS ($$Important)
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft $$Important)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft $$Important \*)] Flags permitted
S: * 1 FETCH (FLAGS (\Seen $$Important))
S: k OK STORE completed
# Already so (a keyword in any case too): the flags all the same.
C: k2 STORE 1 +FLAGS ($$important \Seen)
S: * 1 FETCH (FLAGS (\Seen $$Important))
S: k2 OK STORE completed
C: l STORE 1 FLAGS ()
S: * 1 FETCH (FLAGS ())
S: l OK STORE completed
C: l2 STORE 2 +FLAGS (\Draft)
S: * 2 FETCH (FLAGS (\Deleted \Draft))
S: l2 OK STORE completed
C: l3 STORE 3:1 -FLAGS (\Answered $$Important)
S: * 1 FETCH (FLAGS ())
S: * 2 FETCH (FLAGS (\Deleted \Draft))
S: * 3 FETCH (FLAGS ())
S: l3 OK STORE completed
C: l4 UID STORE 1:* +FLAGS ()
S: * 1 FETCH (UID 1 FLAGS ())
S: * 2 FETCH (UID 2 FLAGS (\Deleted \Draft))
S: * 3 FETCH (UID 3 FLAGS ())
S: l4 OK UID STORE completed
C: l5 UID STORE 2,7:9 FLAGS.SILENT (\Deleted \Draft)
S: l5 OK UID STORE completed
# The other session sees where things ended, once per message; it
# EXAMINEd, so its PERMANENTFLAGS stay () and are not announced again.
use c2
C: m NOOP
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft $$Important)
S: * 1 FETCH (FLAGS ())
S: * 2 FETCH (FLAGS (\Deleted \Draft))
S: * 3 FETCH (FLAGS ())
S: m OK NOOP completed
C: n NOOP
S: n OK NOOP completed
