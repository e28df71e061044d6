# The opening of a session as in RFC 9051 §8, up to LOGOUT, with what petrel
# serves so far: greeting, CAPABILITY, STARTTLS, ID, LOGIN, ENABLE, NOOP.
user mrc secret
connect imap
S: * OK [CAPABILITY IMAP4rev2 IMAP4rev1 STARTTLS SASL-IR LITERAL+ ID ENABLE AUTH=PLAIN AUTH=LOGIN AUTH=SCRAM-SHA-256] petrel ready
C: a001 CAPABILITY
S: * CAPABILITY IMAP4rev2 IMAP4rev1 STARTTLS SASL-IR LITERAL+ ID ENABLE AUTH=PLAIN AUTH=LOGIN AUTH=SCRAM-SHA-256
S: a001 OK CAPABILITY completed
C: a002 STARTTLS
S: a002 OK Begin TLS negotiation now
starttls
C: a003 CAPABILITY
S: * CAPABILITY IMAP4rev2 IMAP4rev1 SASL-IR LITERAL+ ID ENABLE AUTH=PLAIN AUTH=LOGIN AUTH=SCRAM-SHA-256
S: a003 OK CAPABILITY completed
C: a004 ID ("name" "transcript")
S: * ID ("name" "petrel" "version" "$version")
S: a004 OK ID completed
C: a005 login mrc secret
S: a005 OK [CAPABILITY IMAP4rev2 IMAP4rev1 LITERAL+ ID ENABLE] Logged in
C: a006 ENABLE IMAP4rev2
S: * ENABLED IMAP4rev2
S: a006 OK ENABLE completed
C: a007 NOOP
S: a007 OK NOOP completed
C: a008 logout
S: * BYE Logging out
S: a008 OK LOGOUT completed
S: <eof>
