# A tag is 1*<ASTRING-CHAR except "+"> (RFC 9051 §9): no "+", "*", "%", "(",
# quote or control characters. Without a usable tag the answer is an
# untagged BAD (RFC 9051 §7.1.5), and the session goes on.
connect imap
S: * OK *
C: a+b NOOP
S: * BAD *
C: * NOOP
S: * BAD *
C: a%b NOOP
S: * BAD *
C: (a NOOP
S: * BAD *
C: "a" NOOP
S: * BAD *
raw: a\tb NOOP\r\n
S: * BAD *
C:  NOOP
S: * BAD *
C: 
S: * BAD *
# "]" is an ASTRING-CHAR, so it may appear in a tag.
C: a]1 NOOP
S: a]1 OK NOOP completed
C: b NOOP
S: b OK NOOP completed
