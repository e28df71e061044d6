# Unknown commands are BAD, and do not end the session (RFC 9051 §7.1.5).
connect imap
S: * OK *
C: a XYZZY
S: a BAD Unknown command*
C: b XYZZY with arguments
S: b BAD Unknown command*
# A tag without a command.
C: c
S: c BAD *
C: d NOOP
S: d OK NOOP completed
login alice
C: e XYZZY
S: e BAD Unknown command*
