# LOGIN takes astrings: atoms, quoted strings with \" and \\ escapes, and
# literals (RFC 9051 §4.3, §9 "quoted").
user bob pa"ss\word
user carol two words
connect imap
S: * OK *
C: a LOGIN "alice" "alice-secret"
S: a OK [CAPABILITY *
connect imap
S: * OK *
C: b LOGIN bob "pa\"ss\\word"
S: b OK [CAPABILITY *
connect imap
S: * OK *
C: c LOGIN "carol" "two words"
S: c OK [CAPABILITY *
