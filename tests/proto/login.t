# LOGIN (RFC 9051 §6.2.3): success carries the new capabilities in the tagged OK.
connect imap
S: * OK *
C: a1 LOGIN alice alice-secret
S: a1 OK [CAPABILITY IMAP4rev2 IMAP4rev1 LITERAL+ ID ENABLE IDLE UIDPLUS MOVE UNSELECT NAMESPACE CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE MULTIAPPEND APPENDLIMIT=67108864 STATUS=SIZE BINARY ESEARCH SEARCHRES SORT SORT=DISPLAY ESORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES WITHIN PREVIEW SAVEDATE OBJECTID CONDSTORE QRESYNC QUOTA QUOTA=RES-STORAGE QUOTA=RES-MESSAGE QUOTA=RES-MAILBOX METADATA] Logged in
C: a2 NOOP
S: a2 OK NOOP completed
# Once authenticated, LOGIN is a command in the wrong state.
C: a3 LOGIN alice alice-secret
S: a3 BAD *
# The `login` directive does the same in one step, reading the greeting first.
connect imap as second
login alice
C: b1 NOOP
S: b1 OK NOOP completed
