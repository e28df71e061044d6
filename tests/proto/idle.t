# IDLE (RFC 2177; RFC 9051 §6.3.13): what another session does arrives
# while idling, without a command: EXISTS (and RECENT for IMAP4rev1) for a
# new message, FETCH FLAGS for a flag change, EXPUNGE (allowed during
# IDLE). DONE ends it with the tagged OK; any other line is BAD. In the
# authenticated state IDLE only waits for DONE. Changes made before IDLE
# began are announced at once.
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
C: c IDLE
S: + idling
connect imap as c2
login alice
C: d APPEND INBOX {21}
S: + *
C: Subject: m4
C: 
C: body 4
S: d OK [APPENDUID $inbox 4] *
use c1
S: * 4 EXISTS
S: * 4 RECENT
use c2
C: e0 ENABLE IMAP4rev2
S: * ENABLED IMAP4rev2
S: e0 OK *
C: e SELECT INBOX
S: * 4 EXISTS
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S: * OK [UIDVALIDITY $inbox] UIDs valid
S: * OK [UIDNEXT 5] Predicted next UID
S: * LIST () "/" INBOX
S: e OK [READ-WRITE] SELECT completed
C: f STORE 2 +FLAGS.SILENT (\Deleted \Seen)
S: f OK STORE completed
use c1
S: * 2 FETCH (FLAGS (\Deleted \Seen \Recent))
use c2
C: g EXPUNGE
S: * 2 EXPUNGE
S: g OK EXPUNGE completed
use c1
S: * 2 EXPUNGE
C: DONE
S: c OK IDLE terminated
C: h NOOP
S: h OK NOOP completed
# A change made while c1 was not idling is announced as IDLE starts.
use c2
C: i STORE 1 +FLAGS.SILENT (\Flagged)
S: i OK STORE completed
use c1
C: j IDLE
S: + idling
S: * 1 FETCH (FLAGS (\Flagged \Recent))
C: done
S: j OK IDLE terminated
C: k IDLE
S: + idling
C: STOP
S: k BAD Expected DONE
C: l IDLE extra
S: l BAD Unexpected arguments
# Authenticated state: nothing to announce, DONE ends it.
C: m UNSELECT
S: m OK UNSELECT completed
C: n IDLE
S: + idling
use c2
C: o APPEND INBOX {21}
S: + *
C: Subject: m5
C: 
C: body 5
S: * 4 EXISTS
S: o OK [APPENDUID $inbox 5] *
use c1
C: DONE
S: n OK IDLE terminated
