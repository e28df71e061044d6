# \Seen per user in a shared mailbox (as Cyrus keeps it): bob's reading
# and his STORE of \Seen are his alone; alice's \Seen stays hers; the other
# flags are shared. STATUS UNSEEN and SEARCH UNSEEN count each user's own.
user bob bob-secret
connect as a
login alice
C: a0 ENABLE IMAP4rev2
S: * ENABLED IMAP4rev2
S: a0 OK *
C: a1 CREATE Team
S: a1 OK CREATE completed
C: a2 APPEND Team {8}
S: + *
C: Subject:
S: a2 OK [APPENDUID $team 1] APPEND completed
C: a3 APPEND Team (\Seen) {8}
S: + *
C: Subject:
S: a3 OK [APPENDUID $team 2] APPEND completed
C: a4 SETACL Team bob lrsw
S: a4 OK SETACL completed
connect as b
login bob
C: b0 ENABLE IMAP4rev2
S: * ENABLED IMAP4rev2
S: b0 OK *
C: b1 STATUS "Other Users/alice/Team" (MESSAGES UNSEEN)
S: * STATUS "Other Users/alice/Team" (MESSAGES 2 UNSEEN 2)
S: b1 OK STATUS completed
C: b2 SELECT "Other Users/alice/Team"
S: * 2 EXISTS
S: * FLAGS (*
S: * OK [PERMANENTFLAGS (*
S: * OK [UIDVALIDITY $team] UIDs valid
S: * OK [UIDNEXT 3] Predicted next UID
S: * LIST () "/" "Other Users/alice/Team"
S: b2 OK [READ-WRITE] SELECT completed
C: b3 FETCH 1:2 FLAGS
S: * 1 FETCH (FLAGS ())
S: * 2 FETCH (FLAGS ())
S: b3 OK FETCH completed
# Reading sets bob's \Seen, not alice's.
C: b4 FETCH 1 BODY[]
S: * 1 FETCH (FLAGS (\Seen) BODY[] {8}
S: Subject:)
S: b4 OK FETCH completed
C: b5 STORE 2 +FLAGS (\Flagged)
S: * 2 FETCH (FLAGS (\Flagged))
S: b5 OK STORE completed
C: b6 SEARCH UNSEEN
S: * ESEARCH (TAG "b6") ALL 2
S: b6 OK SEARCH completed
use a
C: a5 SELECT Team
S: * 2 EXISTS
S: * FLAGS (*
S: * OK [PERMANENTFLAGS (*
S: * OK [UIDVALIDITY $team] UIDs valid
S: * OK [UIDNEXT 3] Predicted next UID
S: * LIST () "/" Team
S: a5 OK [READ-WRITE] SELECT completed
C: a6 FETCH 1:2 FLAGS
S: * 1 FETCH (FLAGS ())
S: * 2 FETCH (FLAGS (\Flagged \Seen))
S: a6 OK FETCH completed
C: a7 STORE 1:2 -FLAGS (\Seen)
S: * 1 FETCH (FLAGS ())
S: * 2 FETCH (FLAGS (\Flagged))
S: a7 OK STORE completed
C: a8 STATUS Team (UNSEEN)
S: * STATUS Team (UNSEEN 2)
S: a8 OK STATUS completed
use b
# alice's change moved message 2's modseq: bob is told, with his flags.
C: b7 STATUS "Other Users/alice/Team" (UNSEEN)
S: * 2 FETCH (FLAGS (\Flagged))
S: * STATUS "Other Users/alice/Team" (UNSEEN 1)
S: b7 OK STATUS completed
C: b7b LIST "" "Other Users/alice/*" RETURN (STATUS (UNSEEN))
S: * LIST (\HasNoChildren) "/" "Other Users/alice/Team"
S: * STATUS "Other Users/alice/Team" (UNSEEN 1)
S: b7b OK LIST completed
C: b8 STORE 1 -FLAGS (\Seen)
S: * 1 FETCH (FLAGS ())
S: b8 OK STORE completed
C: b9 STORE 2 +FLAGS (\Seen)
S: * 2 FETCH (FLAGS (\Flagged \Seen))
S: b9 OK STORE completed
use a
# bob's changes moved the modseqs: alice is told first, with her flags.
C: a9 FETCH 1:2 FLAGS
S: * 1 FETCH (FLAGS ())
S: * 2 FETCH (FLAGS (\Flagged))
S: * 1 FETCH (FLAGS ())
S: * 2 FETCH (FLAGS (\Flagged))
S: a9 OK FETCH completed
C: z1 SEARCH SEEN
S: * ESEARCH (TAG "z1")
S: z1 OK SEARCH completed
