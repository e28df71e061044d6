# APPEND reads its own literals (RFC 9051 §6.3.12): the target mailbox is
# checked before "+", so TRYCREATE comes instead of a continuation and the
# client never sends the message; each literal's size is checked against
# APPENDLIMIT (RFC 7889) before its "+".
connect imap
S: * OK *
login alice
# The first APPEND of the session: no such mailbox, no "+".
C: a APPEND Nowhere {5}
S: a NO [TRYCREATE] No such mailbox
C: b NOOP
S: b OK NOOP completed
# With flags and a date the check comes at the literal all the same.
C: c APPEND Nowhere (\Seen) " 7-Jul-2026 10:00:00 +0200" {5}
S: c NO [TRYCREATE] No such mailbox
# A mailbox that exists only as a parent cannot take messages (RFC 9051
# §6.3.4): refused before "+" too.
C: d CREATE Box/Child
S: d OK *
C: e DELETE Box
S: e OK *
C: f DELETE Box/Child
S: f OK *
C: g CREATE Top/Sub
S: g OK *
C: h APPEND Top {5}
S: + Ready for literal data
C: hello
S: h OK [APPENDUID $top 1] APPEND completed
# MULTIAPPEND (RFC 3502) has one mailbox, checked once; each literal's
# size is checked before its own "+": the second one is over APPENDLIMIT,
# so the command fails before it and nothing of it is stored.
C: i APPEND INBOX {5}
S: + Ready for literal data
C: hello {67108865}
S: i NO [TOOBIG] Message too big (APPENDLIMIT 67108864)
C: j STATUS INBOX (MESSAGES)
S: * STATUS INBOX (MESSAGES 0)
S: j OK STATUS completed
close
# A too-big literal as the session's very first APPEND (the limit is not
# known before the store is asked): NO [TOOBIG] and no "+".
connect imap
S: * OK *
login alice
C: a APPEND INBOX {67108865}
S: a NO [TOOBIG] Message too big (APPENDLIMIT 67108864)
C: b NOOP
S: b OK NOOP completed
close
