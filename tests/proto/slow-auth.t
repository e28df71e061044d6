# A slow operation in one session must not stall the others: password checks
# run on the worker pool. A's LOGIN is held for 3 s (auth_test_delay_ms, a
# testing-only knob); meanwhile B is answered at once.
config auth_test_delay_ms=3000
connect imap as a
S: * OK *
connect imap as b
S: * OK *
use a
C: a1 LOGIN alice alice-secret
use b
C: b1 NOOP
expect-within 500
S: b1 OK NOOP completed
C: b2 CAPABILITY
expect-within 500
S: * CAPABILITY *
S: b2 OK CAPABILITY completed
use a
expect-after 2500
S: a1 OK [CAPABILITY IMAP4rev2 IMAP4rev1 LITERAL+ ID ENABLE IDLE UIDPLUS MOVE UNSELECT NAMESPACE CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE MULTIAPPEND APPENDLIMIT=67108864 STATUS=SIZE BINARY ESEARCH SEARCHRES SORT SORT=DISPLAY ESORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES WITHIN PREVIEW SAVEDATE OBJECTID CONDSTORE QRESYNC QUOTA QUOTA=RES-STORAGE QUOTA=RES-MESSAGE QUOTA=RES-MAILBOX METADATA ACL RIGHTS=texk LIST-MYRIGHTS] Logged in
