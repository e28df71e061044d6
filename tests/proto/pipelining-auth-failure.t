# A command pipelined after a failed LOGIN runs in the not-authenticated state.
config auth_failure_delay_ms=200
connect imap
S: * OK *
raw: a LOGIN alice wrong\r\nb ENABLE IMAP4rev2\r\nc NOOP\r\n
S: a NO [AUTHENTICATIONFAILED] Authentication failed
S: b BAD *
S: c OK NOOP completed
