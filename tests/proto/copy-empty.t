# COPY / MOVE (RFC 9051 §6.4.7, RFC 6851) without messages: message numbers
# must exist (BAD); an empty UID set copies nothing (OK without COPYUID,
# RFC 4315 §3); a missing target is NO [TRYCREATE] (RFC 9051 §6.4.7) even
# then; invalid names are NO [CANNOT]; MOVE from a read-only mailbox is NO;
# COPY from a read-only one is allowed.
login alice
C: a SELECT INBOX
S: * 0 EXISTS
S: * 0 RECENT
S: * FLAGS *
S: * OK [PERMANENTFLAGS *
S: * OK [UIDVALIDITY *
S: * OK [UIDNEXT 1] *
S: a OK [READ-WRITE] SELECT completed
C: b COPY 1 Sent
S: b BAD Invalid sequence set*
C: c MOVE 1:* Sent
S: c BAD Invalid sequence set*
C: d UID COPY 1:* Sent
S: d OK UID COPY completed
C: e UID MOVE 1:* Sent
S: e OK UID MOVE completed
C: f UID COPY 1:* Nowhere
S: f NO [TRYCREATE] No such mailbox
C: g UID MOVE 1 Nowhere
S: g NO [TRYCREATE] No such mailbox
C: h UID COPY 1 INBOX
S: h OK UID COPY completed
C: i UID COPY 1 "a//b"
S: i NO [CANNOT] *
C: j UID COPY 1
S: j BAD *
C: k COPY Sent
S: k BAD *
C: l UID COPY $$ Sent
# "$" with no saved search result is the empty set (RFC 5182 §2.1)
S: l OK *
C: m EXAMINE INBOX
S: * 0 EXISTS
S: * 0 RECENT
S: * FLAGS *
S: * OK [PERMANENTFLAGS ()] *
S: * OK [UIDVALIDITY *
S: * OK [UIDNEXT 1] *
S: m OK [READ-ONLY] EXAMINE completed
C: n UID COPY 1:* Sent
S: n OK UID COPY completed
C: o UID MOVE 1:* Sent
S: o NO [READ-ONLY] *
