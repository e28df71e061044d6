# Inside a quoted string only \" and \\ are escapes (RFC 9051 §9 "quoted");
# anything else, or an unterminated string, is a syntax error.
connect imap
S: * OK *
C: a LOGIN "al\ice" "secret"
S: a BAD *
C: b LOGIN "alice
S: b BAD *
C: c LOGIN "alice" "secret\"
S: c BAD *
C: d LOGIN "alice"x "secret"
S: d BAD *
C: e NOOP
S: e OK NOOP completed
