# When loopback is treated like any other cleartext connection, the server
# announces LOGINDISABLED and hides PLAIN and LOGIN (RFC 9051 §6.2.3, §7.2.2).
config treat_loopback_as_insecure=yes
connect imap
S: * OK [CAPABILITY IMAP4rev2 IMAP4rev1 STARTTLS LOGINDISABLED SASL-IR LITERAL+ ID ENABLE AUTH=SCRAM-SHA-256] petrel ready
C: a CAPABILITY
S: * CAPABILITY IMAP4rev2 IMAP4rev1 STARTTLS LOGINDISABLED SASL-IR LITERAL+ ID ENABLE AUTH=SCRAM-SHA-256
S: a OK CAPABILITY completed
# The password must not cross a cleartext connection, right or wrong.
C: b LOGIN alice alice-secret
S: b NO [PRIVACYREQUIRED] *
C: c AUTHENTICATE PLAIN AGFsaWNlAGFsaWNlLXNlY3JldA==
S: c NO [PRIVACYREQUIRED] *
# Without an initial response the refusal comes before any continuation.
C: d AUTHENTICATE PLAIN
S: d NO [PRIVACYREQUIRED] *
C: e AUTHENTICATE LOGIN
S: e NO [PRIVACYREQUIRED] *
# STARTTLS makes the connection private: the capabilities change (RFC 9051 §6.2.1).
C: f STARTTLS
S: f OK Begin TLS negotiation now
starttls
C: g CAPABILITY
S: * CAPABILITY IMAP4rev2 IMAP4rev1 SASL-IR LITERAL+ ID ENABLE AUTH=PLAIN AUTH=LOGIN AUTH=SCRAM-SHA-256
S: g OK CAPABILITY completed
C: h LOGIN alice alice-secret
S: h OK [CAPABILITY IMAP4rev2 IMAP4rev1 LITERAL+ ID ENABLE UIDPLUS MOVE UNSELECT NAMESPACE CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE MULTIAPPEND APPENDLIMIT=67108864 STATUS=SIZE] Logged in
