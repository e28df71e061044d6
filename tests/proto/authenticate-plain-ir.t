# AUTHENTICATE PLAIN with an initial response (RFC 4959 SASL-IR).
config auth_failure_delay_ms=200
connect imap
S: * OK *
C: a AUTHENTICATE PLAIN AGFsaWNlAHdyb25n
S: a NO [AUTHENTICATIONFAILED] Authentication failed
# The mechanism name is case-insensitive.
C: b AUTHENTICATE plain AGFsaWNlAGFsaWNlLXNlY3JldA==
S: b OK [CAPABILITY IMAP4rev2 IMAP4rev1 LITERAL+ ID ENABLE UIDPLUS MOVE UNSELECT NAMESPACE CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE MULTIAPPEND APPENDLIMIT=67108864 STATUS=SIZE] Logged in
# An authorization identity equal to the user is accepted.
connect imap
S: * OK *
C: c AUTHENTICATE PLAIN YWxpY2UAYWxpY2UAYWxpY2Utc2VjcmV0
S: c OK [CAPABILITY *
# Another one is refused: petrel has no proxy logins.
connect imap
S: * OK *
C: d AUTHENTICATE PLAIN Ym9iAGFsaWNlAGFsaWNlLXNlY3JldA==
S: d NO *
