# LITERAL+ (RFC 7888) to a missing mailbox: the client does not wait for a
# "+", so the bytes are on the way; they are read and dropped, then NO
# [TRYCREATE] (RFC 9051 §6.3.12), and the session goes on. Nothing is
# stored anywhere.
connect imap
S: * OK *
login alice
# The session's first APPEND (the store is asked before the bytes are read).
raw: a APPEND Nowhere {5+}\r\nhello\r\n
S: a NO [TRYCREATE] No such mailbox
# Later ones (the limit is known: the delivery checks the mailbox before
# any byte is written).
raw: b APPEND Nowhere (\Seen) {7+}\r\nhello 2\r\n
S: b NO [TRYCREATE] No such mailbox
# MULTIAPPEND: every literal is dropped, one answer.
raw: c APPEND Nowhere {3+}\r\none {3+}\r\ntwo\r\n
S: c NO [TRYCREATE] No such mailbox
# A big one (streamed to the store, chunk by chunk, when it is not dropped).
raw: d APPEND Nowhere {300000+}\r\n$(x*300000)\r\n
S: d NO [TRYCREATE] No such mailbox
C: e NOOP
S: e OK NOOP completed
C: f STATUS INBOX (MESSAGES)
S: * STATUS INBOX (MESSAGES 0)
S: f OK STATUS completed
close
