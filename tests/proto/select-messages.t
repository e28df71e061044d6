# SELECT with messages, IMAP4rev1 (RFC 3501 §6.3.1, §2.3.2): RECENT counts
# the messages only the first read-write SELECT sees as \Recent; UNSEEN
# gives the first message without \Seen; EXAMINE claims nothing. STORE's
# FETCH responses carry \Recent for this session (RFC 3501 §2.3.2).
connect imap as c1
login alice
C: a1 APPEND INBOX (\Seen) {21}
S: + *
C: Subject: m1
C: 
C: body 1
S: a1 OK [APPENDUID $inbox 1] *
C: a2 APPEND INBOX {21}
S: + *
C: Subject: m2
C: 
C: body 2
S: a2 OK [APPENDUID $inbox 2] *
C: a3 APPEND INBOX {21}
S: + *
C: Subject: m3
C: 
C: body 3
S: a3 OK [APPENDUID $inbox 3] *
C: b SELECT INBOX
S: * 3 EXISTS
S: * 3 RECENT
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S: * OK [UNSEEN 2] First unseen
S: * OK [UIDVALIDITY $inbox] UIDs valid
S: * OK [UIDNEXT 4] Predicted next UID
S: b OK [READ-WRITE] SELECT completed
connect imap as c2
login alice
C: c EXAMINE INBOX
S: * 3 EXISTS
S: * 0 RECENT
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS ()] Read-only mailbox
S: * OK [UNSEEN 2] First unseen
S: * OK [UIDVALIDITY $inbox] UIDs valid
S: * OK [UIDNEXT 4] Predicted next UID
S: c OK [READ-ONLY] EXAMINE completed
use c1
# Message 1 already has \Seen: its flags do not change, but STORE reports
# every message of the set (RFC 9051 §6.4.6); c2 learns only the changes.
C: d STORE 1:* +FLAGS (\Seen)
S: * 1 FETCH (FLAGS (\Seen \Recent))
S: * 2 FETCH (FLAGS (\Seen \Recent))
S: * 3 FETCH (FLAGS (\Seen \Recent))
S: d OK STORE completed
use c2
C: e NOOP
S: * 2 FETCH (FLAGS (\Seen))
S: * 3 FETCH (FLAGS (\Seen))
S: e OK NOOP completed
# Selected again: the messages are no longer recent, and all are seen.
use c1
C: f SELECT INBOX
S: * 3 EXISTS
S: * 0 RECENT
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S: * OK [UIDVALIDITY $inbox] UIDs valid
S: * OK [UIDNEXT 4] Predicted next UID
S: f OK [READ-WRITE] SELECT completed
