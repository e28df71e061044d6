# Several commands in one write are answered in order (RFC 9051 §5.5); a
# command that waits on the worker pool (LOGIN) still finishes before the
# next one starts.
connect imap
S: * OK *
raw: a NOOP\r\nb CAPABILITY\r\nc NOOP\r\n
S: a OK NOOP completed
S: * CAPABILITY *
S: b OK CAPABILITY completed
S: c OK NOOP completed
raw: d LOGIN alice alice-secret\r\ne NOOP\r\nf ENABLE IMAP4rev2\r\n
S: d OK [CAPABILITY IMAP4rev2 IMAP4rev1 LITERAL+ ID ENABLE IDLE UIDPLUS MOVE UNSELECT NAMESPACE CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE MULTIAPPEND APPENDLIMIT=67108864 STATUS=SIZE BINARY ESEARCH SEARCHRES SORT SORT=DISPLAY ESORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES WITHIN PREVIEW SAVEDATE OBJECTID] Logged in
S: e OK NOOP completed
S: * ENABLED IMAP4rev2
S: f OK ENABLE completed
