# The sample session of RFC 9051 §8, as far as petrel answers it today:
# login, select inbox (18 messages), store 12 +flags \deleted, logout.
# The two FETCH exchanges of the RFC (a003 fetch 12 full, a004 fetch 12
# body[header]) come with FETCH (issue 4). Set-up: the 18 messages are
# appended first by the same user (unseen, so the STORE's FETCH shows only
# \Deleted where the RFC's, whose message 12 was read, shows \Seen too).
user mrc secret
connect imap
S: * OK [CAPABILITY *
C: p0 login mrc secret
S: p0 OK *
raw: p APPEND inbox {30+}\r\nSubject: message 1\r\n\r\nbody 1\r\n {30+}\r\nSubject: message 2\r\n\r\nbody 2\r\n {30+}\r\nSubject: message 3\r\n\r\nbody 3\r\n {30+}\r\nSubject: message 4\r\n\r\nbody 4\r\n {30+}\r\nSubject: message 5\r\n\r\nbody 5\r\n {30+}\r\nSubject: message 6\r\n\r\nbody 6\r\n {30+}\r\nSubject: message 7\r\n\r\nbody 7\r\n {30+}\r\nSubject: message 8\r\n\r\nbody 8\r\n {30+}\r\nSubject: message 9\r\n\r\nbody 9\r\n {32+}\r\nSubject: message 10\r\n\r\nbody 10\r\n {32+}\r\nSubject: message 11\r\n\r\nbody 11\r\n {32+}\r\nSubject: message 12\r\n\r\nbody 12\r\n {32+}\r\nSubject: message 13\r\n\r\nbody 13\r\n {32+}\r\nSubject: message 14\r\n\r\nbody 14\r\n {32+}\r\nSubject: message 15\r\n\r\nbody 15\r\n {32+}\r\nSubject: message 16\r\n\r\nbody 16\r\n {32+}\r\nSubject: message 17\r\n\r\nbody 17\r\n {32+}\r\nSubject: message 18\r\n\r\nbody 18\r\n\r\n
S: p OK [APPENDUID $uv 1:18] APPEND completed
C: p2 ENABLE IMAP4rev2
S: * ENABLED IMAP4rev2
S: p2 OK ENABLE completed
C: p3 LOGOUT
S: * BYE Logging out
S: p3 OK LOGOUT completed
S: <eof>
# The RFC's session proper.
connect imap
S: * OK [CAPABILITY *
C: a001 login mrc secret
S: a001 OK [CAPABILITY *
C: a0 ENABLE IMAP4rev2
S: * ENABLED IMAP4rev2
S: a0 OK ENABLE completed
C: a002 select inbox
S: * 18 EXISTS
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S: * OK [UIDVALIDITY $uv] UIDs valid
S: * OK [UIDNEXT 19] Predicted next UID
S: * LIST () "/" INBOX
S: a002 OK [READ-WRITE] SELECT completed
C: a005 store 12 +flags \deleted
S: * 12 FETCH (FLAGS (\Deleted))
S: a005 OK STORE completed
C: a006 logout
S: * BYE Logging out
S: a006 OK LOGOUT completed
S: <eof>
