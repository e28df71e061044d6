# Octets above 127 are not allowed in tags, atoms or command names
# (RFC 9051 §9: ATOM-CHAR is 7-bit CHAR); they are syntax errors, not crashes.
connect imap
S: * OK *
raw: \xc3\xa9t\xc3\xa9 NOOP\r\n
S: * BAD *
raw: a NOOP \xff\xfe\r\n
S: a BAD *
raw: b NO\xffOP\r\n
S: b BAD *
raw: c LOGIN \xff\xfe secret\r\n
S: c BAD *
raw: \xff\xff\xff\xff\r\n
S: * BAD *
C: d NOOP
S: d OK NOOP completed
