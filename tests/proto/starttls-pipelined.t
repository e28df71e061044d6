# Bytes pipelined after STARTTLS are discarded, not run after the handshake
# (RFC 9051 §6.2.1; the "STARTTLS command injection" of CVE-2011-0411).
# Only in whole-line mode: sent byte by byte, "b NOOP" could arrive after the
# server has started the handshake and would then be TLS garbage.
modes lines
connect imap
S: * OK *
raw: a STARTTLS\r\nb NOOP\r\n
S: a OK Begin TLS negotiation now
starttls
C: c NOOP
S: c OK NOOP completed
