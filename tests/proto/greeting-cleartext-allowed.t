# allow_cleartext_auth=yes lets LOGIN and PLAIN through even on a connection
# that is otherwise treated as insecure; STARTTLS is still offered.
config treat_loopback_as_insecure=yes
config allow_cleartext_auth=yes
connect imap
S: * OK [CAPABILITY IMAP4rev2 IMAP4rev1 STARTTLS SASL-IR LITERAL+ ID ENABLE AUTH=PLAIN AUTH=LOGIN AUTH=SCRAM-SHA-256] petrel ready
C: a AUTHENTICATE PLAIN AGFsaWNlAGFsaWNlLXNlY3JldA==
S: a OK [CAPABILITY IMAP4rev2 IMAP4rev1 LITERAL+ ID ENABLE UIDPLUS MOVE UNSELECT NAMESPACE CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE MULTIAPPEND APPENDLIMIT=67108864 STATUS=SIZE] Logged in
