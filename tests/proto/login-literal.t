# User name and password as synchronizing literals {N} (RFC 9051 §4.3) and
# as non-synchronizing literals {N+} (RFC 7888 LITERAL+).
user dave sp ace"q
connect imap
S: * OK *
C: a LOGIN {5}
S: + *
C: alice {12}
S: + *
C: alice-secret
S: a OK [CAPABILITY IMAP4rev2 IMAP4rev1 LITERAL+ ID ENABLE UIDPLUS MOVE UNSELECT NAMESPACE CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE MULTIAPPEND APPENDLIMIT=67108864 STATUS=SIZE] Logged in
connect imap
S: * OK *
C: b LOGIN {5+}
C: alice {12+}
C: alice-secret
S: b OK [CAPABILITY IMAP4rev2 IMAP4rev1 LITERAL+ ID ENABLE UIDPLUS MOVE UNSELECT NAMESPACE CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE MULTIAPPEND APPENDLIMIT=67108864 STATUS=SIZE] Logged in
# A literal may hold any octet except NUL, such as a space or a quote.
connect imap
S: * OK *
C: c LOGIN dave {8}
S: + *
C: sp ace"q
S: c OK [CAPABILITY *
