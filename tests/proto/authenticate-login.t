# The LOGIN mechanism (draft-murchison-sasl-login): user name, then password,
# each answering a continuation.
connect imap
S: * OK *
C: a AUTHENTICATE LOGIN
S: + *
C: YWxpY2U=
S: + *
C: YWxpY2Utc2VjcmV0
S: a OK [CAPABILITY IMAP4rev2 IMAP4rev1 LITERAL+ ID ENABLE UIDPLUS MOVE UNSELECT NAMESPACE CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE MULTIAPPEND APPENDLIMIT=67108864 STATUS=SIZE] Logged in
# With SASL-IR the user name comes with the command.
connect imap
S: * OK *
C: b AUTHENTICATE LOGIN YWxpY2U=
S: + *
C: YWxpY2Utc2VjcmV0
S: b OK [CAPABILITY *
