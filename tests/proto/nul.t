# NUL is never allowed in a command line, quoted string or literal
# (RFC 9051 §4.3, §9): BAD, and no crash from unescaping it in place.
config auth_failure_delay_ms=200
connect imap
S: * OK *
raw: a NOOP\x00\r\n
S: a BAD Invalid character in atom
raw: b LOGIN "al\x00ice" secret\r\n
S: b BAD Invalid character in quoted string
raw: c\x00 NOOP\r\n
S: * BAD Invalid tag
raw: \x00\r\n
S: * BAD Invalid tag
C: d LOGIN alice {3}
S: + Ready for literal data
raw: a\x00b\r\n
S: d BAD NUL in literal
C: e NOOP
S: e OK NOOP completed
