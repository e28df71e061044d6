# EXPUNGE (RFC 9051 §6.4.3) and UID EXPUNGE (RFC 4315 §2.1) on an empty
# mailbox: nothing to remove is still OK; UID EXPUNGE needs a UID set;
# a read-only mailbox refuses (NO); CLOSE of a read-only mailbox expunges
# nothing and still succeeds (RFC 9051 §6.4.1).
login alice
C: a SELECT INBOX
S: * 0 EXISTS
S: * 0 RECENT
S: * FLAGS *
S: * OK [PERMANENTFLAGS *
S: * OK [UIDVALIDITY *
S: * OK [UIDNEXT 1] *
S: a OK [READ-WRITE] SELECT completed
C: b EXPUNGE
S: b OK EXPUNGE completed
C: c UID EXPUNGE 1:*
S: c OK UID EXPUNGE completed
C: d UID EXPUNGE 4,7:9
S: d OK UID EXPUNGE completed
C: e UID EXPUNGE
S: e BAD *
C: f EXPUNGE 1
S: f BAD *
C: g UID EXPUNGE 1 2
S: g BAD *
C: h UID EXPUNGE 1:*:3
S: h BAD *
C: i EXAMINE INBOX
S: * 0 EXISTS
S: * 0 RECENT
S: * FLAGS *
S: * OK [PERMANENTFLAGS ()] *
S: * OK [UIDVALIDITY *
S: * OK [UIDNEXT 1] *
S: i OK [READ-ONLY] EXAMINE completed
C: j EXPUNGE
S: j NO [READ-ONLY] *
C: k UID EXPUNGE 1:*
S: k NO [READ-ONLY] *
C: l CLOSE
S: l OK CLOSE completed
C: m EXPUNGE
S: m BAD *
