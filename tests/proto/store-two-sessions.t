# STORE with a second session at work (RFC 9051 §6.4.6, §7.5.1): the
# messages of the set get one FETCH each, with their flags as they are now
# (what the other session did to them included), after the FETCH for other
# messages the other session changed; .SILENT answers nothing for the set
# but still reports the rest; a message the other session expunged gets no
# FETCH, and a plain STORE keeps its EXPUNGE for later while UID STORE may
# send it.

connect imap as c1
include inbox-3-messages
C: a4 APPEND INBOX {21}
S: + *
C: Subject: m4
C: 
C: body 4
S: a4 OK [APPENDUID $inbox 4] *
C: b ENABLE IMAP4rev2
S: * ENABLED IMAP4rev2
S: b OK *
C: c SELECT INBOX
S: * 4 EXISTS
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S: * OK [UIDVALIDITY $inbox] UIDs valid
S: * OK [UIDNEXT 5] Predicted next UID
S: * LIST () "/" INBOX
S: c OK [READ-WRITE] SELECT completed
connect imap as c2
login alice
C: d ENABLE IMAP4rev2
S: * ENABLED IMAP4rev2
S: d OK *
C: e SELECT INBOX
S: * 4 EXISTS
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S: * OK [UIDVALIDITY $inbox] UIDs valid
S: * OK [UIDNEXT 5] Predicted next UID
S: * LIST () "/" INBOX
S: e OK [READ-WRITE] SELECT completed
C: f STORE 1 +FLAGS (\Flagged)
S: * 1 FETCH (FLAGS (\Flagged))
S: f OK STORE completed
# .SILENT: nothing for 2 and 3, but c2's change to 1 is news.
use c1
C: g STORE 2:3 +FLAGS.SILENT (\Seen)
S: * 1 FETCH (FLAGS (\Flagged))
S: g OK STORE completed
# c1 changed 2 and 3; c2 stores on 2: 3 is reported by the sync, 2 once,
# as it is after both changes.
use c2
C: h STORE 2 +FLAGS (\Answered)
S: * 3 FETCH (FLAGS (\Seen))
S: * 2 FETCH (FLAGS (\Answered \Seen))
S: h OK STORE completed
# c2 changed 2, which is in c1's set: one FETCH for it, in set order, with
# the unchanged 3 too.
use c1
C: i STORE 1:4 +FLAGS (\Seen)
S: * 1 FETCH (FLAGS (\Flagged \Seen))
S: * 2 FETCH (FLAGS (\Answered \Seen))
S: * 3 FETCH (FLAGS (\Seen))
S: * 4 FETCH (FLAGS (\Seen))
S: i OK STORE completed
# c2 expunges 4. c1's plain STORE on 3:4 keeps 4 numbered (no EXPUNGE
# during STORE) but has no flags to show for it.
use c2
C: j STORE 4 +FLAGS.SILENT (\Deleted)
S: * 1 FETCH (FLAGS (\Flagged \Seen))
S: j OK STORE completed
C: k EXPUNGE
S: * 4 EXPUNGE
S: k OK EXPUNGE completed
use c1
C: l STORE 3:4 -FLAGS (\Answered)
S: * 3 FETCH (FLAGS (\Seen))
S: l OK STORE completed
# UID STORE may announce it: EXPUNGE first, then the rest of the set.
C: m UID STORE 3:4 +FLAGS (\Draft)
S: * 4 EXPUNGE
S: * 3 FETCH (UID 3 FLAGS (\Seen \Draft))
S: m OK UID STORE completed
C: n NOOP
S: n OK NOOP completed
# c2 learns only what changed: c1's \Draft on 3 (its STORE l changed
# nothing).
use c2
C: o NOOP
S: * 3 FETCH (FLAGS (\Seen \Draft))
S: o OK NOOP completed
C: p NOOP
S: p OK NOOP completed
