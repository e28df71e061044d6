# DELETE (RFC 9051 §6.3.5): a mailbox with children loses its messages and
# stays as a \Noselect parent; a \Noselect parent with children cannot be
# deleted; once its children are gone it can. INBOX cannot be deleted
# (NO [CANNOT]); a missing name is NO [NONEXISTENT]. CREATE makes a
# \Noselect parent a mailbox again.
login alice
C: a1 CREATE Trips/2024
S: a1 OK CREATE completed
C: a2 APPEND Trips {21}
S: + *
C: Subject: m1
C: 
C: body 1
S: a2 OK [APPENDUID $uv 1] *
C: a3 DELETE Trips
S: a3 OK DELETE completed
C: a4 LIST "" Trips*
S: * LIST (\Noselect \HasChildren) "/" Trips
S: * LIST (\HasNoChildren) "/" Trips/2024
S: a4 OK LIST completed
C: a5 STATUS Trips (MESSAGES)
S: a5 NO *
C: a6 SELECT Trips
S: a6 NO *
C: a7 DELETE Trips
S: a7 NO [CANNOT] *
C: b1 DELETE Trips/2024
S: b1 OK DELETE completed
C: b2 LIST "" Trips*
S: * LIST (\Noselect \HasNoChildren) "/" Trips
S: b2 OK LIST completed
C: b3 DELETE Trips
S: b3 OK DELETE completed
C: b4 LIST "" Trips*
S: b4 OK LIST completed
C: b5 DELETE Trips
S: b5 NO [NONEXISTENT] *
# A \Noselect parent created again is an empty mailbox.
C: c1 CREATE Old/Sub
S: c1 OK CREATE completed
C: c2 DELETE Old
S: c2 OK DELETE completed
C: c3 CREATE Old
S: c3 OK CREATE completed
C: c4 STATUS Old (MESSAGES)
S: * STATUS Old (MESSAGES 0)
S: c4 OK STATUS completed
C: c5 LIST "" Old
S: * LIST (\HasChildren) "/" Old
S: c5 OK LIST completed
# INBOX, in any case, stays.
C: d1 DELETE INBOX
S: d1 NO [CANNOT] *
C: d2 DELETE inbox
S: d2 NO [CANNOT] *
C: d3 DELETE Nowhere
S: d3 NO [NONEXISTENT] *
C: d4 DELETE
S: d4 BAD *
C: d5 DELETE a b
S: d5 BAD *
# A default mailbox can go (and come back).
C: e1 DELETE Junk
S: e1 OK DELETE completed
C: e2 CREATE Junk (USE (\Junk))
S: e2 OK CREATE completed
C: e3 LIST "" Junk
S: * LIST (\HasNoChildren \Junk) "/" Junk
S: e3 OK LIST completed
# The selected mailbox can be deleted: the session leaves the selected
# state, told by CLOSED (RFC 9051 §7.1), as after CLOSE.
C: f1 CREATE Doomed
S: f1 OK CREATE completed
C: f2 SELECT Doomed
S: * 0 EXISTS
S: * 0 RECENT
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S: * OK [UIDVALIDITY $doomed] UIDs valid
S: * OK [UIDNEXT 1] Predicted next UID
S: f2 OK [READ-WRITE] SELECT completed
C: f3 DELETE Doomed
S: * OK [CLOSED] The selected mailbox was deleted
S: f3 OK DELETE completed
C: f4 CLOSE
S: f4 BAD *
# Also when it has children and stays as a \Noselect parent.
C: g1 CREATE Doomed/Child
S: g1 OK CREATE completed
C: g2 EXAMINE Doomed
S: * 0 EXISTS
S: * 0 RECENT
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS ()] Read-only mailbox
S: * OK [UIDVALIDITY $doomed2] UIDs valid
S: * OK [UIDNEXT 1] Predicted next UID
S: g2 OK [READ-ONLY] EXAMINE completed
C: g3 DELETE Doomed
S: * OK [CLOSED] The selected mailbox was deleted
S: g3 OK DELETE completed
C: g4 LIST "" Doomed*
S: * LIST (\Noselect \HasChildren) "/" Doomed
S: * LIST (\HasNoChildren) "/" Doomed/Child
S: g4 OK LIST completed
# Deleting another mailbox leaves the selection alone.
C: h1 SELECT Doomed/Child
S: * 0 EXISTS
S: * 0 RECENT
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S: * OK [UIDVALIDITY $child] UIDs valid
S: * OK [UIDNEXT 1] Predicted next UID
S: h1 OK [READ-WRITE] SELECT completed
C: h2 DELETE Junk
S: h2 OK DELETE completed
C: h3 CLOSE
S: h3 OK CLOSE completed
