# ACL (RFC 4314) on the user's own mailboxes: SETACL replaces, adds (+)
# and removes (-) rights; "" or DELETEACL removes the entry; GETACL lists
# entries in identifier order with c and d shown beside k x and t e (as
# Dovecot does); negative identifiers are entries of their own; the
# obsolete c and d set what they stand for. The owner has every right
# (MYRIGHTS, LISTRIGHTS). A mailbox that does not exist is NONEXISTENT; an
# unknown right or an empty identifier is BAD; rights go only to users that
# exist (or anyone, authenticated).
user bob bob-secret
user carol carol-secret
user dave dave-secret
login alice
C: a1 GETACL INBOX
S: * ACL INBOX
S: a1 OK GETACL completed
C: a2 SETACL INBOX bob lrs
S: a2 OK SETACL completed
C: a3 SETACL INBOX bob +wi
S: a3 OK SETACL completed
C: a4 SETACL INBOX -bob s
S: a4 OK SETACL completed
C: a5 SETACL INBOX anyone l
S: a5 OK SETACL completed
C: a6 GETACL INBOX
S: * ACL INBOX -bob s anyone l bob lrswi
S: a6 OK GETACL completed
C: a7 SETACL INBOX bob -rw
S: a7 OK SETACL completed
C: a8 SETACL INBOX carol cd
S: a8 OK SETACL completed
C: a9 SETACL INBOX dave kt
S: a9 OK SETACL completed
C: b1 GETACL INBOX
S: * ACL INBOX -bob s anyone l bob lsi carol kxtecd dave ktcd
S: b1 OK GETACL completed
C: b2 DELETEACL INBOX -bob
S: b2 OK DELETEACL completed
C: b3 SETACL INBOX anyone ""
S: b3 OK SETACL completed
C: b4 DELETEACL INBOX nobody
S: b4 OK DELETEACL completed
C: b5 GETACL INBOX
S: * ACL INBOX bob lsi carol kxtecd dave ktcd
S: b5 OK GETACL completed
C: b6 MYRIGHTS INBOX
S: * MYRIGHTS INBOX lrswipkxteacd
S: b6 OK MYRIGHTS completed
C: b7 LISTRIGHTS INBOX bob
S: * LISTRIGHTS INBOX bob "" l r s w i p k x t e a c d
S: b7 OK LISTRIGHTS completed
C: b8 LISTRIGHTS INBOX alice
S: * LISTRIGHTS INBOX alice lrswipkxteacd
S: b8 OK LISTRIGHTS completed
# Entries stay with their mailbox: RENAME keeps them, DELETE drops them.
C: c1 CREATE Team/Sub
S: c1 OK CREATE completed
C: c2 SETACL Team/Sub "bob" lr
S: c2 OK SETACL completed
C: c3 RENAME Team Crew
S: c3 OK RENAME completed
C: c4 GETACL Crew/Sub
S: * ACL Crew/Sub bob lr
S: c4 OK GETACL completed
C: c5 DELETE Crew/Sub
S: c5 OK DELETE completed
C: c6 CREATE Crew/Sub
S: c6 OK CREATE completed
C: c7 GETACL Crew/Sub
S: * ACL Crew/Sub
S: c7 OK GETACL completed
# A \Noselect parent has a list of its own.
C: c8 MYRIGHTS Crew
S: * MYRIGHTS Crew lrswipkxteacd
S: c8 OK MYRIGHTS completed
# Refusals.
C: d1 GETACL Nowhere
S: d1 NO [NONEXISTENT] No such mailbox
C: d2 SETACL Nowhere bob l
S: d2 NO [NONEXISTENT] No such mailbox
C: d3 MYRIGHTS Nowhere
S: d3 NO [NONEXISTENT] No such mailbox
C: d4 SETACL INBOX bob lz
S: d4 BAD Invalid rights: each of l r s w i p k x t e a c d
C: d5 SETACL INBOX "" l
S: d5 BAD Invalid identifier
C: d6 SETACL INBOX "b ob" l
S: d6 BAD Invalid identifier
C: d7 SETACL INBOX bob
S: d7 BAD SETACL needs a mailbox name, an identifier and rights
C: d8 GETACL
S: d8 BAD GETACL needs a mailbox name
C: d9 LISTRIGHTS INBOX -bob
S: d9 BAD LISTRIGHTS takes no negative identifier
C: e1 DELETEACL INBOX
S: e1 BAD DELETEACL needs a mailbox name and an identifier
C: e2 SETACL INBOX --bob l
S: e2 BAD Invalid identifier
C: e3 SETACL INBOX ghost l
S: e3 NO [CANNOT] No such user: ghost
C: e4 SETACL INBOX -ghost l
S: e4 NO [CANNOT] No such user: -ghost
C: e5 GETACL INBOX
S: * ACL INBOX bob lsi carol kxtecd dave ktcd
S: e5 OK GETACL completed
C: z LOGOUT
S: * BYE *
S: z OK *
