# QUOTA (RFC 9208): one quota root, "", over all of a user's mailboxes,
# with the limits of the config here (STORAGE 10 KiB, 3 messages, 7
# mailboxes: alice starts with 6). GETQUOTAROOT names the root and its
# QUOTA; GETQUOTA "" the same; another root is NONEXISTENT. A change past
# a limit is NO [OVERQUOTA] and writes nothing: APPEND (also a MULTIAPPEND
# as a whole), COPY, CREATE; one that adds nothing (MOVE, EXPUNGE, RENAME,
# DELETE) always goes through. STATUS DELETED-STORAGE (§4.2) is the KiB an
# EXPUNGE would free. Limits are the administrator's: SETQUOTA is NO
# [NOPERM] (well-formed) or BAD. STORAGE shows KiB rounded up (as Dovecot).
config quota_storage=10K
config quota_messages=3
config quota_mailboxes=7
login alice
C: a1 GETQUOTAROOT INBOX
S: * QUOTAROOT INBOX ""
S: * QUOTA "" (STORAGE 0 10 MESSAGE 0 3 MAILBOX 6 7)
S: a1 OK GETQUOTAROOT completed
C: a2 APPEND INBOX {3015}
S: + *
C: Subject: q1
C: 
C: $(x*3000)
S: a2 OK [APPENDUID $inbox 1] *
C: a3 APPEND INBOX {3015}
S: + *
C: Subject: q2
C: 
C: $(y*3000)
S: a3 OK [APPENDUID $inbox 2] *
C: a4 GETQUOTA ""
S: * QUOTA "" (STORAGE 6 10 MESSAGE 2 3 MAILBOX 6 7)
S: a4 OK GETQUOTA completed
# Two messages where one is left: the MULTIAPPEND stores neither.
raw: a5 APPEND INBOX {11+}\r\nSubject: a5 {11+}\r\nSubject: b5\r\n
S: a5 NO [OVERQUOTA] *
C: a6 APPEND INBOX {3015}
S: + *
C: Subject: q3
C: 
C: $(z*3000)
S: a6 OK [APPENDUID $inbox 3] *
# The fourth message: MESSAGE is full.
raw: a7 APPEND INBOX {11+}\r\nSubject: q4\r\n
S: a7 NO [OVERQUOTA] *
C: a8 GETQUOTAROOT INBOX
S: * QUOTAROOT INBOX ""
S: * QUOTA "" (STORAGE 9 10 MESSAGE 3 3 MAILBOX 6 7)
S: a8 OK GETQUOTAROOT completed
C: b1 CREATE Projects
S: b1 OK CREATE completed
C: b2 CREATE More
S: b2 NO [OVERQUOTA] *
C: b3 RENAME Projects Work
S: b3 OK RENAME completed
C: c1 SELECT INBOX
S: * 3 EXISTS
S: * 3 RECENT
S: * FLAGS *
S: * OK [PERMANENTFLAGS *
S: * OK [UNSEEN 1] *
S: * OK [UIDVALIDITY $inbox] *
S: * OK [UIDNEXT 4] *
S: c1 OK [READ-WRITE] SELECT completed
C: c2 STORE 1 +FLAGS.SILENT (\Deleted)
S: c2 OK STORE completed
C: c3 STATUS INBOX (DELETED DELETED-STORAGE SIZE)
S: * STATUS INBOX (DELETED 1 DELETED-STORAGE 3 SIZE 9045)
S: c3 OK STATUS completed
C: c4 COPY 2 Work
S: c4 NO [OVERQUOTA] *
C: c5 MOVE 2 Work
S: * OK [COPYUID $work 2 1] *
S: * 2 EXPUNGE
S: c5 OK MOVE completed
C: c6 EXPUNGE
S: * 1 EXPUNGE
S: c6 OK EXPUNGE completed
C: c7 GETQUOTAROOT Work
S: * QUOTAROOT Work ""
S: * QUOTA "" (STORAGE 6 10 MESSAGE 2 3 MAILBOX 7 7)
S: c7 OK GETQUOTAROOT completed
C: c8 DELETE Work
S: c8 OK DELETE completed
C: c9 GETQUOTA ""
S: * QUOTA "" (STORAGE 3 10 MESSAGE 1 3 MAILBOX 6 7)
S: c9 OK GETQUOTA completed
C: d1 SETQUOTA "" (STORAGE 100)
S: d1 NO [NOPERM] *
C: d2 SETQUOTA "" (STORAGE x)
S: d2 BAD *
C: d3 SETQUOTA ""
S: d3 BAD *
C: d4 GETQUOTA "User quota"
S: d4 NO [NONEXISTENT] *
C: d5 GETQUOTAROOT Nope
S: d5 NO [NONEXISTENT] *
C: d6 GETQUOTA
S: d6 BAD *
C: d7 GETQUOTAROOT
S: d7 BAD *
