# The sample session of RFC 9051 §8: login, select inbox (18 messages),
# fetch 12 full, fetch 12 body[header], store 12 +flags \deleted, logout.
# Set-up: the 18 messages are appended first by the same user, message 12
# with the RFC's INTERNALDATE. They are short and have no Date, From or
# MIME header, so ENVELOPE and BODY are mostly NIL and defaults where the
# RFC's real message has values; fetching BODY[HEADER] sets \Seen, so the
# STORE's FETCH shows \Seen \Deleted as in the RFC.
user mrc secret
connect imap
S: * OK [CAPABILITY *
C: p0 login mrc secret
S: p0 OK *
raw: p APPEND inbox {30+}\r\nSubject: message 1\r\n\r\nbody 1\r\n {30+}\r\nSubject: message 2\r\n\r\nbody 2\r\n {30+}\r\nSubject: message 3\r\n\r\nbody 3\r\n {30+}\r\nSubject: message 4\r\n\r\nbody 4\r\n {30+}\r\nSubject: message 5\r\n\r\nbody 5\r\n {30+}\r\nSubject: message 6\r\n\r\nbody 6\r\n {30+}\r\nSubject: message 7\r\n\r\nbody 7\r\n {30+}\r\nSubject: message 8\r\n\r\nbody 8\r\n {30+}\r\nSubject: message 9\r\n\r\nbody 9\r\n {32+}\r\nSubject: message 10\r\n\r\nbody 10\r\n {32+}\r\nSubject: message 11\r\n\r\nbody 11\r\n "17-Jul-1996 02:44:25 -0700" {32+}\r\nSubject: message 12\r\n\r\nbody 12\r\n {32+}\r\nSubject: message 13\r\n\r\nbody 13\r\n {32+}\r\nSubject: message 14\r\n\r\nbody 14\r\n {32+}\r\nSubject: message 15\r\n\r\nbody 15\r\n {32+}\r\nSubject: message 16\r\n\r\nbody 16\r\n {32+}\r\nSubject: message 17\r\n\r\nbody 17\r\n {32+}\r\nSubject: message 18\r\n\r\nbody 18\r\n\r\n
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
C: a003 fetch 12 full
S: * 12 FETCH (FLAGS () INTERNALDATE "17-Jul-1996 02:44:25 -0700" RFC822.SIZE 32 ENVELOPE (NIL "message 12" NIL NIL NIL NIL NIL NIL NIL NIL) BODY ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 9 1))
S: a003 OK FETCH completed
C: a004 fetch 12 body[header]
S: * 12 FETCH (FLAGS (\Seen) BODY[HEADER] {23}
S: Subject: message 12
S: 
S: )
S: a004 OK FETCH completed
C: a005 store 12 +flags \deleted
S: * 12 FETCH (FLAGS (\Deleted \Seen))
S: a005 OK STORE completed
C: a006 logout
S: * BYE Logging out
S: a006 OK LOGOUT completed
S: <eof>
