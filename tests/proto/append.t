# APPEND (RFC 9051 §6.3.12) with flags and date-time, APPENDUID (RFC 4315),
# TRYCREATE, APPENDLIMIT (RFC 7889) and the error cases.
connect imap
S: * OK *
# Before login the small pre-login literal limit applies and the command
# is refused for the state.
C: a APPEND INBOX {5}
S: + *
C: hello
S: a BAD Not logged in
login alice
C: b APPEND INBOX (\Seen $$Forwarded) " 7-Jul-2026 10:00:00 +0200" {20}
S: + Ready for literal data
C: Subject: one
C: 
C: body
S: b OK [APPENDUID $uv 1] APPEND completed
# Non-synchronizing literal, no flags, no date.
raw: c APPEND INBOX {12+}\r\nSubject: two\r\n
S: c OK [APPENDUID $uv 2] APPEND completed
C: d STATUS INBOX (MESSAGES UNSEEN UIDNEXT)
S: * STATUS INBOX (MESSAGES 2 UNSEEN 1 UIDNEXT 3)
S: d OK STATUS completed
# A missing mailbox: TRYCREATE before "+" (the mailbox is checked before
# the client sends the message), and nothing stored.
C: e APPEND Nowhere {5}
S: e NO [TRYCREATE] No such mailbox
# Over APPENDLIMIT: refused before "+", the client sends nothing more.
C: f APPEND INBOX {67108865}
S: f NO [TOOBIG] Message too big (APPENDLIMIT 67108864)
# Bad arguments.
C: g APPEND INBOX (\Recent) {5}
S: + *
C: hello
S: g BAD \Recent cannot be set
C: h APPEND INBOX "not a date" {5}
S: + *
C: hello
S: h BAD Invalid date-time
C: i APPEND INBOX
S: i BAD *
C: j APPEND INBOX {0}
S: + *
C: 
S: j NO [CANNOT] Empty messages are not stored
C: k APPEND "bad//name" {5}
S: k NO [CANNOT] *
# Appending to the selected mailbox announces the new message.
C: l SELECT INBOX
S: * 2 EXISTS
S: * 2 RECENT
S: * FLAGS *
S: * OK [PERMANENTFLAGS *
S: * OK [UNSEEN 2] *
S: * OK [UIDVALIDITY $uv] *
S: * OK [UIDNEXT 3] *
S: l OK [READ-WRITE] SELECT completed
C: m APPEND INBOX {5}
S: + *
C: hello
S: * 3 EXISTS
S: * 3 RECENT
S: m OK [APPENDUID $uv 3] APPEND completed
C: n STATUS INBOX (MESSAGES)
S: * STATUS INBOX (MESSAGES 3)
S: n OK STATUS completed
