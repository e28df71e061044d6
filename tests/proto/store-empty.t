# STORE and UID STORE syntax and refusals on an empty mailbox (RFC 9051
# §6.4.6, §6.4.9): message numbers must exist (BAD), UID sets may name
# nothing (OK), \Recent and unknown system flags cannot be stored (BAD),
# "$" waits for SEARCHRES (BAD), modifiers (RFC 7162) are not supported yet,
# and a read-only mailbox refuses changes (NO).
login alice
C: a SELECT INBOX
S: * 0 EXISTS
S: * 0 RECENT
S: * FLAGS *
S: * OK [PERMANENTFLAGS *
S: * OK [UIDVALIDITY *
S: * OK [UIDNEXT 1] *
S: a OK [READ-WRITE] SELECT completed
C: b STORE 1 +FLAGS (\Seen)
S: b BAD Invalid sequence set*
C: c STORE * FLAGS (\Seen)
S: c BAD Invalid sequence set*
C: d STORE 1:* -FLAGS.SILENT (\Seen)
S: d BAD Invalid sequence set*
C: e UID STORE 1:* +FLAGS (\Seen)
S: e OK UID STORE completed
C: f UID STORE * FLAGS.SILENT ()
S: f OK UID STORE completed
C: g UID STORE 1,5:7 +FLAGS \Deleted
S: g OK UID STORE completed
C: h UID STORE 1 +FLAGS \Seen \Flagged $$Forwarded
S: h OK UID STORE completed
C: i UID STORE 1 +FLAGS (\Recent)
S: i BAD \Recent cannot be set
C: j UID STORE 1 +FLAGS (\Unknown)
S: j BAD *
C: k UID STORE 1 +FLAGS ("quoted")
S: k BAD *
C: l UID STORE 1 +FLAGS (a]b)
S: l BAD *
C: m UID STORE 1 +KEYWORDS (\Seen)
S: m BAD *
C: n UID STORE 1 FLAGS.LOUD (\Seen)
S: n BAD *
C: o UID STORE 1 +FLAGS
S: o BAD *
C: p UID STORE $$ +FLAGS (\Seen)
# "$" with no saved search result is the empty set (RFC 5182 §2.1)
S: p OK *
C: q UID STORE 0 +FLAGS (\Seen)
S: q BAD *
C: r UID STORE 1:2, +FLAGS (\Seen)
S: r BAD *
# RFC 7162 UNCHANGEDSINCE on a UID that does not exist: nothing to do.
# It also enables CONDSTORE with the mailbox selected (RFC 7162 §3.1).
C: s UID STORE 1 (UNCHANGEDSINCE 5) +FLAGS (\Seen)
S: * OK [HIGHESTMODSEQ 1] Highest
S: s OK UID STORE completed
C: t UID STORE 1 +FLAGS (\Seen) (\Draft)
S: t BAD *
C: u EXAMINE INBOX
S: * 0 EXISTS
S: * 0 RECENT
S: * FLAGS *
S: * OK [PERMANENTFLAGS ()] *
S: * OK [UIDVALIDITY *
S: * OK [UIDNEXT 1] *
# The UNCHANGEDSINCE above enabled CONDSTORE (RFC 7162 §3.1).
S: * OK [HIGHESTMODSEQ 1] Highest
S: u OK [READ-ONLY] EXAMINE completed
C: v UID STORE 1:* +FLAGS (\Seen)
S: v NO [READ-ONLY] *
# A bad set is still BAD in a read-only mailbox: syntax comes first.
C: w STORE 1 +FLAGS (\Seen)
S: w BAD *
