# \Recent (RFC 3501 §2.3.2): a message is recent in exactly one session, the
# first told of it, by SELECT or by an untagged EXISTS; not in a second
# session with the mailbox selected, not in a later SELECT, and STATUS from
# a third session counts it as no longer recent.
connect imap as c1
login alice
C: a SELECT INBOX
S: * 0 EXISTS
S: * 0 RECENT
S: * *
S: * *
S: * *
S: * *
S: a OK [READ-WRITE] *
connect imap as c2
login alice
C: b SELECT INBOX
S: * 0 EXISTS
S: * 0 RECENT
S: * *
S: * *
S: * *
S: * *
S: b OK [READ-WRITE] *
use c1
C: c APPEND INBOX (\Seen) {21}
S: + *
C: Subject: m1
C: 
C: body 1
S: * 1 EXISTS
S: * 1 RECENT
S: c OK [APPENDUID $inbox 1] *
use c2
C: d NOOP
S: * 1 EXISTS
S: * 0 RECENT
S: d OK NOOP completed
C: e FETCH 1 FLAGS
S: * 1 FETCH (FLAGS (\Seen))
S: e OK FETCH completed
C: f SEARCH RECENT
S: * SEARCH
S: f OK SEARCH completed
use c1
C: g FETCH 1 FLAGS
S: * 1 FETCH (FLAGS (\Seen \Recent))
S: g OK FETCH completed
C: h SEARCH RECENT
S: * SEARCH 1
S: h OK SEARCH completed
C: i STATUS INBOX (RECENT)
S: * STATUS INBOX (RECENT 1)
S: i OK STATUS completed
connect imap as c3
login alice
C: j STATUS INBOX (MESSAGES RECENT)
S: * STATUS INBOX (MESSAGES 1 RECENT 0)
S: j OK STATUS completed
# A message arriving while c2 is idle-free: c2 learns of it first this time.
C: k APPEND INBOX {21}
S: + *
C: Subject: m2
C: 
C: body 2
S: k OK [APPENDUID $inbox 2] *
use c2
C: l NOOP
S: * 2 EXISTS
S: * 1 RECENT
S: l OK NOOP completed
C: m FETCH 1:2 FLAGS
S: * 1 FETCH (FLAGS (\Seen))
S: * 2 FETCH (FLAGS (\Recent))
S: m OK FETCH completed
use c1
C: n NOOP
S: * 2 EXISTS
S: * 1 RECENT
S: n OK NOOP completed
C: o FETCH 1:2 FLAGS
S: * 1 FETCH (FLAGS (\Seen \Recent))
S: * 2 FETCH (FLAGS ())
S: o OK FETCH completed
# A later SELECT finds nothing recent.
use c3
C: p SELECT INBOX
S: * 2 EXISTS
S: * 0 RECENT
S: * *
S: * *
S: * *
S: * *
S: * *
S: p OK [READ-WRITE] *
