# Pipelined APPENDs (RFC 9051 §5.5): a client sends many without waiting.
# They may be committed together (group commit) but each tagged reply
# comes in command order, with UIDs in command order, and a command that
# is not an APPEND runs only after every APPEND before it is answered.
connect imap
S: * OK *
login alice
raw: a1 APPEND INBOX {6+}\r\nhello1\r\na2 APPEND INBOX (\Seen) {6+}\r\nhello2\r\na3 APPEND Nowhere {6+}\r\nhello3\r\na4 APPEND INBOX {6+}\r\nhello4\r\na5 STATUS INBOX (MESSAGES UNSEEN UIDNEXT)\r\na6 APPEND INBOX {6+}\r\nhello6\r\n
S: a1 OK [APPENDUID $uv 1] APPEND completed
S: a2 OK [APPENDUID $uv 2] APPEND completed
S: a3 NO [TRYCREATE] No such mailbox
S: a4 OK [APPENDUID $uv 3] APPEND completed
S: * STATUS INBOX (MESSAGES 3 UNSEEN 2 UIDNEXT 4)
S: a5 OK STATUS completed
S: a6 OK [APPENDUID $uv 4] APPEND completed
C: b FETCH 1:* (UID FLAGS)
S: b BAD *
C: c SELECT INBOX
S: * 4 EXISTS
S: * 4 RECENT
S: * FLAGS *
S: * OK [PERMANENTFLAGS *
S: * OK [UNSEEN 1] *
S: * OK [UIDVALIDITY $uv] *
S: * OK [UIDNEXT 5] *
S: c OK [READ-WRITE] SELECT completed
C: d FETCH 1:* (UID FLAGS RFC822.SIZE)
S: * 1 FETCH (UID 1 FLAGS (\Recent) RFC822.SIZE 6)
S: * 2 FETCH (UID 2 FLAGS (\Seen \Recent) RFC822.SIZE 6)
S: * 3 FETCH (UID 3 FLAGS (\Recent) RFC822.SIZE 6)
S: * 4 FETCH (UID 4 FLAGS (\Recent) RFC822.SIZE 6)
S: d OK FETCH completed
close
