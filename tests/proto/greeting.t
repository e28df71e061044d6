# Greeting and CAPABILITY on a cleartext loopback connection (RFC 9051 §7.1.1, §6.1.1).
# Loopback counts as secure by default, so LOGIN and PLAIN are offered; a
# certificate is configured, so STARTTLS is offered too.
connect imap
S: * OK [CAPABILITY IMAP4rev2 IMAP4rev1 STARTTLS SASL-IR LITERAL+ ID ENABLE AUTH=PLAIN AUTH=LOGIN AUTH=SCRAM-SHA-256] petrel ready
C: a CAPABILITY
S: * CAPABILITY IMAP4rev2 IMAP4rev1 STARTTLS SASL-IR LITERAL+ ID ENABLE AUTH=PLAIN AUTH=LOGIN AUTH=SCRAM-SHA-256
S: a OK CAPABILITY completed
# Command names are case-insensitive (RFC 9051 §9, rule 3).
C: b capability
S: * CAPABILITY IMAP4rev2 IMAP4rev1 STARTTLS SASL-IR LITERAL+ ID ENABLE AUTH=PLAIN AUTH=LOGIN AUTH=SCRAM-SHA-256
S: b OK CAPABILITY completed
# After login the capabilities shrink to what an authenticated session can use.
C: c LOGIN alice alice-secret
S: c OK [CAPABILITY IMAP4rev2 IMAP4rev1 LITERAL+ ID ENABLE] Logged in
C: d CAPABILITY
S: * CAPABILITY IMAP4rev2 IMAP4rev1 LITERAL+ ID ENABLE
S: d OK CAPABILITY completed
