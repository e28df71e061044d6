# SELECT/EXAMINE refusals: not before login (RFC 9051 §6.3), one mailbox
# argument (SELECT parameters of RFC 7162 are not supported: BAD), names
# the store cannot have (NO [CANNOT]), mailboxes that do not exist
# (NO [NONEXISTENT]), and the selected-state commands outside it (BAD).
connect imap
S: * OK *
C: a SELECT INBOX
S: a BAD *
C: b EXAMINE INBOX
S: b BAD *
C: c LOGIN alice alice-secret
S: c OK *
C: d SELECT
S: d BAD *
C: e SELECT INBOX (QRESYNC)
S: e BAD *
C: e2 SELECT INBOX ()
S: e2 BAD *
C: f SELECT INBOX Sent
S: f BAD *
C: g SELECT (INBOX)
S: g BAD *
C: h SELECT Nowhere
S: h NO [NONEXISTENT] *
C: i EXAMINE INBOX/Nowhere
S: i NO [NONEXISTENT] *
C: j SELECT ""
S: j NO [CANNOT] *
C: k SELECT "a//b"
S: k NO [CANNOT] *
C: l SELECT "a&Jjo"
S: l NO [CANNOT] *
C: m SELECT *
S: m NO [CANNOT] *
C: n STORE 1 +FLAGS (\Seen)
S: n BAD *
C: o UID STORE 1 +FLAGS (\Seen)
S: o BAD *
C: p EXPUNGE
S: p BAD *
C: q UID EXPUNGE 1
S: q BAD *
C: r COPY 1 Sent
S: r BAD *
C: s UID MOVE 1 Sent
S: s BAD *
C: t CLOSE
S: t BAD *
C: u CHECK
S: u BAD *
C: v NOOP
S: v OK NOOP completed
