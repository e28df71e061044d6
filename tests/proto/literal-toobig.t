# A synchronizing literal over the limit is refused before the client sends
# it (RFC 9051 §7.1, RFC 4469 TOOBIG): no "+", and the session goes on.
# The limit is 8 KiB before login and 64 KiB after.
connect imap
S: * OK *
C: a LOGIN alice {9000}
S: a NO [TOOBIG] Literal too big (max 8192 bytes)
C: b NOOP
S: b OK NOOP completed
# A length that does not fit in 64 bits must not wrap around.
C: c LOGIN alice {99999999999999999999999}
S: c BAD Literal size too large
C: d NOOP
S: d OK NOOP completed
login alice
C: e ID ("x" {70000}
S: e NO [TOOBIG] Literal too big (max 65536 bytes)
C: f NOOP
S: f OK NOOP completed
# After login the limit is higher: 9000 octets get a continuation.
C: g ID ("x-big" {9000}
S: + Ready for literal data
close
