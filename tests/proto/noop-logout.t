# NOOP in both states, then LOGOUT: BYE before the tagged OK, then the server
# closes the connection (RFC 9051 §6.1.2, §6.1.3).
connect imap
S: * OK *
C: a NOOP
S: a OK NOOP completed
login alice
C: b NOOP
S: b OK NOOP completed
C: c LOGOUT
S: * BYE Logging out
S: c OK LOGOUT completed
S: <eof>
connect imap
S: * OK *
C: d logout
S: * BYE Logging out
S: d OK LOGOUT completed
S: <eof>
