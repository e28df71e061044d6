# A wrong password and an unknown user fail the same way, after the delay
# (RFC 9051 §6.2.3, RFC 5530 AUTHENTICATIONFAILED), and the session stays
# usable.
config auth_failure_delay_ms=200
connect imap
S: * OK *
C: a LOGIN alice wrong-secret
expect-after 150
S: a NO [AUTHENTICATIONFAILED] Authentication failed
C: b LOGIN nobody alice-secret
expect-after 150
S: b NO [AUTHENTICATIONFAILED] Authentication failed
# User names are not matched case-insensitively by accident.
C: c LOGIN ALICE alice-secret
S: c NO [AUTHENTICATIONFAILED] Authentication failed
C: d LOGIN alice alice-secret
S: d OK [CAPABILITY IMAP4rev2 IMAP4rev1 LITERAL+ ID ENABLE IDLE UIDPLUS MOVE UNSELECT NAMESPACE CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE MULTIAPPEND APPENDLIMIT=67108864 STATUS=SIZE BINARY ESEARCH SEARCHRES SORT SORT=DISPLAY ESORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES WITHIN PREVIEW SAVEDATE OBJECTID CONDSTORE QRESYNC QUOTA QUOTA=RES-STORAGE QUOTA=RES-MESSAGE QUOTA=RES-MAILBOX METADATA ACL RIGHTS=texk LIST-MYRIGHTS] Logged in
