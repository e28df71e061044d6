# LOGIN takes exactly two astrings (RFC 9051 §6.2.3).
connect imap
S: * OK *
C: a LOGIN
S: a BAD *
C: b LOGIN alice
S: b BAD *
C: c LOGIN alice alice-secret extra
S: c BAD *
C: d LOGIN (alice) alice-secret
S: d BAD *
C: e LOGIN alice  alice-secret
S: e BAD *
C: f NOOP
S: f OK NOOP completed
