# The client cancels an exchange by answering a continuation with "*"
# (RFC 9051 §6.2.2); the session goes on in the not-authenticated state.
connect imap
S: * OK *
C: a AUTHENTICATE PLAIN
S: + 
C: *
S: a BAD Authentication cancelled
C: b AUTHENTICATE LOGIN
S: + *
C: *
S: b BAD Authentication cancelled
C: c LOGIN alice alice-secret
S: c OK [CAPABILITY *
