# A mechanism the server does not offer is refused with NO (RFC 9051 §6.2.2).
connect imap
S: * OK *
C: a AUTHENTICATE CRAM-MD5
S: a NO Unsupported authentication mechanism
C: b AUTHENTICATE X-PETREL-NONE =
S: b NO Unsupported authentication mechanism
C: c NOOP
S: c OK NOOP completed
