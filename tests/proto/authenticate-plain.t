# AUTHENTICATE PLAIN without an initial response (RFC 9051 §6.2.2, RFC 4616):
# the server's first challenge is empty: "+" and a space.
connect imap
S: * OK *
C: a AUTHENTICATE PLAIN
S: + 
C: AGFsaWNlAGFsaWNlLXNlY3JldA==
S: a OK [CAPABILITY IMAP4rev2 IMAP4rev1 LITERAL+ ID ENABLE] Logged in
C: b AUTHENTICATE PLAIN
S: b BAD *
