# STATUS (RFC 9051 §6.3.11): every item, in the order asked: MESSAGES,
# UIDNEXT, UIDVALIDITY, UNSEEN, DELETED, SIZE (RFC 8438), RECENT (IMAP4rev1
# only), HIGHESTMODSEQ (RFC 7162), APPENDLIMIT (RFC 7889: the store's
# 64 MiB). Each item at most once; an unknown one, or none, is BAD. A
# missing mailbox is NO [NONEXISTENT], a \Noselect one NO [CANNOT]. The
# selected mailbox may be asked about too; its RECENT is what this session
# sees as \Recent (RFC 3501 §2.3.2).
login alice
C: a1 STATUS INBOX (MESSAGES UIDNEXT UIDVALIDITY UNSEEN DELETED SIZE RECENT HIGHESTMODSEQ APPENDLIMIT)
S: * STATUS INBOX (MESSAGES 0 UIDNEXT 1 UIDVALIDITY $inbox UNSEEN 0 DELETED 0 SIZE 0 RECENT 0 HIGHESTMODSEQ $m0 APPENDLIMIT 67108864)
S: a1 OK STATUS completed
C: a2 APPEND INBOX (\Seen) {21}
S: + *
C: Subject: m1
C: 
C: body 1
S: a2 OK [APPENDUID $inbox 1] *
C: a3 APPEND INBOX (\Deleted) {23}
S: + *
C: Subject: m2
C: 
C: body two
S: a3 OK [APPENDUID $inbox 2] *
C: a4 APPEND inbox {21}
S: + *
C: Subject: m3
C: 
C: body 3
S: a4 OK [APPENDUID $inbox 3] *
# Any order, any case; the name as the server spells it.
C: b1 status inbox (appendlimit size deleted unseen uidvalidity uidnext messages recent)
S: * STATUS INBOX (APPENDLIMIT 67108864 SIZE 65 DELETED 1 UNSEEN 2 UIDVALIDITY $inbox UIDNEXT 4 MESSAGES 3 RECENT 3)
S: b1 OK STATUS completed
C: b2 STATUS INBOX (HIGHESTMODSEQ)
S: * STATUS INBOX (HIGHESTMODSEQ $m3)
S: b2 OK STATUS completed
C: b3 STATUS Sent (MESSAGES)
S: * STATUS Sent (MESSAGES 0)
S: b3 OK STATUS completed
# The selected mailbox: the claimed \Recent shows, and changes are
# announced before the STATUS.
C: c1 SELECT INBOX
S: * 3 EXISTS
S: * 3 RECENT
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S: * OK [UNSEEN 2] First unseen
S: * OK [UIDVALIDITY $inbox] UIDs valid
S: * OK [UIDNEXT 4] Predicted next UID
# STATUS HIGHESTMODSEQ above enabled CONDSTORE (RFC 7162 §3.1).
S: * OK [HIGHESTMODSEQ 4] Highest
S: c1 OK [READ-WRITE] SELECT completed
C: c2 STATUS INBOX (RECENT UNSEEN)
S: * STATUS INBOX (RECENT 3 UNSEEN 2)
S: c2 OK STATUS completed
connect imap as c2
login alice
C: c3 APPEND INBOX {21}
S: + *
C: Subject: m4
C: 
C: body 4
S: c3 OK [APPENDUID $inbox 4] *
use c1
C: c4 STATUS INBOX (MESSAGES UIDNEXT)
S: * 4 EXISTS
S: * 4 RECENT
S: * STATUS INBOX (MESSAGES 4 UIDNEXT 5)
S: c4 OK STATUS completed
# Errors.
C: d1 STATUS Nowhere (MESSAGES)
S: d1 NO [NONEXISTENT] *
C: d2 CREATE Parent/Child
S: d2 OK CREATE completed
C: d3 DELETE Parent
S: d3 OK DELETE completed
C: d4 STATUS Parent (MESSAGES)
S: d4 NO [CANNOT] *
C: d5 STATUS INBOX ()
S: d5 BAD *
C: d6 STATUS INBOX (MESSAGES MESSAGES)
S: d6 BAD *
C: d7 STATUS INBOX (MESSAGES COLOR)
S: d7 BAD *
C: d8 STATUS INBOX MESSAGES
S: d8 BAD *
C: d9 STATUS INBOX
S: d9 BAD *
C: d10 STATUS (MESSAGES)
S: d10 BAD *
C: d11 STATUS INBOX (MESSAGES) extra
S: d11 BAD *
C: d12 STATUS INBOX ((MESSAGES))
S: d12 BAD *
C: d13 STATUS "a//b" (MESSAGES)
S: d13 NO [CANNOT] Mailbox name has an empty level
# RECENT is IMAP4rev1 only.
use c2
C: e1 ENABLE IMAP4rev2
S: * ENABLED IMAP4rev2
S: e1 OK ENABLE completed
C: e2 STATUS INBOX (RECENT)
S: e2 BAD *
C: e3 STATUS INBOX (MESSAGES DELETED)
S: * STATUS INBOX (MESSAGES 4 DELETED 1)
S: e3 OK STATUS completed
