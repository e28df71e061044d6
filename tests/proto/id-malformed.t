# ID with a missing, unbalanced or odd-length argument is a syntax error (RFC 2971 §4).
connect imap
S: * OK *
C: a ID
S: a BAD *
C: b ID ("name" "x"
S: b BAD *
C: c ID ("name")
S: c BAD *
C: d ID "name"
S: d BAD *
C: e ID NIL extra
S: e BAD *
C: f NOOP
S: f OK NOOP completed
