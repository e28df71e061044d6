# "=" is an empty initial response (RFC 4959 §3), not an absent one: the
# server must not send a continuation. An empty PLAIN message lacks the two
# NULs RFC 4616 requires, so the exchange fails.
config auth_failure_delay_ms=200
connect imap
S: * OK *
C: a AUTHENTICATE PLAIN =
S: a BAD *
C: b NOOP
S: b OK NOOP completed
