# STARTTLS (RFC 9051 §6.2.1): OK, then the handshake; afterwards STARTTLS is
# gone from the capabilities and a second STARTTLS is BAD.
connect imap
S: * OK *
C: a STARTTLS now
S: a BAD *
C: b STARTTLS
S: b OK Begin TLS negotiation now
starttls
C: c CAPABILITY
S: * CAPABILITY IMAP4rev2 IMAP4rev1 SASL-IR LITERAL+ ID ENABLE AUTH=PLAIN AUTH=LOGIN AUTH=SCRAM-SHA-256
S: c OK CAPABILITY completed
C: d STARTTLS
S: d BAD *
C: e LOGIN alice alice-secret
S: e OK [CAPABILITY IMAP4rev2 IMAP4rev1 LITERAL+ ID ENABLE] Logged in
