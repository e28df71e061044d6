# CREATE (RFC 9051 §6.3.4): missing parents are created too (as real
# mailboxes, as Dovecot does); a trailing '/' only declares the intent to
# create children, so "Projects/" creates Projects; INBOX and existing
# names are NO [ALREADYEXISTS]. Special-use on creation (RFC 6154 §5.3,
# CREATE-SPECIAL-USE): unknown attributes are NO [USEATTR], other
# malformed parameters BAD.
login alice
C: a1 CREATE Projects/
S: a1 OK CREATE completed
C: a2 CREATE Projects/petrel/docs
S: a2 OK CREATE completed
C: a3 LIST "" Projects*
S: * LIST (\HasChildren) "/" Projects
S: * LIST (\HasChildren) "/" Projects/petrel
S: * LIST (\HasNoChildren) "/" Projects/petrel/docs
S: a3 OK LIST completed
# The parent made on the way is a mailbox of its own.
C: a4 STATUS Projects/petrel (MESSAGES)
S: * STATUS Projects/petrel (MESSAGES 0)
S: a4 OK STATUS completed
C: b1 CREATE Projects
S: b1 NO [ALREADYEXISTS] *
# Names other than INBOX are case-sensitive: this is a new hierarchy.
C: b2 CREATE projects/petrel/docs/
S: b2 OK CREATE completed
C: b3 CREATE Projects/petrel/docs/
S: b3 NO [ALREADYEXISTS] *
C: b4 CREATE INBOX
S: b4 NO [ALREADYEXISTS] *
C: b5 CREATE inbox
S: b5 NO [ALREADYEXISTS] *
C: b6 CREATE "Inbox/"
S: b6 NO [ALREADYEXISTS] *
# INBOX can have children, spelt in any case.
C: b7 CREATE inbox/Later
S: b7 OK CREATE completed
C: b8 LIST "" inbox*
S: * LIST (\HasChildren) "/" INBOX
S: * LIST (\HasNoChildren) "/" INBOX/Later
S: b8 OK LIST completed
# RFC 6154 §5.3: CREATE ... (USE (attributes)).
C: c1 CREATE "Sent Items" (USE (\Sent))
S: c1 OK CREATE completed
C: c2 CREATE Everything (USE (\All \Flagged))
S: c2 OK CREATE completed
C: c3 CREATE Plain (USE ())
S: c3 OK CREATE completed
C: c4 LIST "" "Sent Items"
S: * LIST (\HasNoChildren \Sent) "/" "Sent Items"
S: c4 OK LIST completed
C: c5 LIST "" (Everything Plain)
S: * LIST (\HasNoChildren \All \Flagged) "/" Everything
S: * LIST (\HasNoChildren) "/" Plain
S: c5 OK LIST completed
C: c6 CREATE Important (USE (\Important))
S: c6 NO [USEATTR] *
C: c7 LIST "" Important
S: c7 OK LIST completed
C: d1 CREATE Bad (USE \Sent)
S: d1 BAD *
C: d2 CREATE Bad (COLOR (red))
S: d2 BAD *
C: d3 CREATE Bad (USE (Sent))
S: d3 BAD *
C: d4 CREATE Bad ()
S: d4 BAD *
C: d5 CREATE Bad (USE)
S: d5 BAD *
C: d6 CREATE
S: d6 BAD *
C: d7 CREATE (Bad)
S: d7 BAD *
C: d8 CREATE Bad (USE (\Sent)) extra
S: d8 BAD *
C: d9 LIST "" Bad
S: d9 OK LIST completed
