# A known command in a state where it is not allowed is answered BAD
# (RFC 9051 §3, §6), and the session goes on.
connect imap
S: * OK *
C: a ENABLE IMAP4rev2
S: a BAD *
C: b LOGIN alice alice-secret
S: b OK [CAPABILITY *
C: c LOGIN alice alice-secret
S: c BAD *
C: d AUTHENTICATE PLAIN AGFsaWNlAGFsaWNlLXNlY3JldA==
S: d BAD *
C: e STARTTLS
S: e BAD *
C: f NOOP
S: f OK NOOP completed
