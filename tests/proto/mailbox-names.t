# Mailbox names on the wire: modified UTF-7 for IMAP4rev1 clients
# (RFC 3501 §5.1.3), UTF-8 once IMAP4rev2 is enabled (RFC 9051 §5.1,
# §6.3.1). Only canonical modified UTF-7 is accepted, so each mailbox has
# one wire name. Every refused name is NO [CANNOT] with the reason (see
# cmd-mailbox.c); an argument that is not a string at all is BAD.
login alice
C: a1 CREATE "&ZeVnLIqe-"
S: a1 OK CREATE completed
C: a2 LIST "" "&ZeVnLIqe-"
S: * LIST (\HasNoChildren) "/" &ZeVnLIqe-
S: a2 OK LIST completed
C: a3 CREATE "Tom &- Jerry/&AOk-t&AOk-"
S: a3 OK CREATE completed
C: a4 LIST "" Tom*
S: * LIST (\HasChildren) "/" "Tom &- Jerry"
S: * LIST (\HasNoChildren) "/" "Tom &- Jerry/&AOk-t&AOk-"
S: a4 OK LIST completed
C: a5 STATUS "Tom &- Jerry/&AOk-t&AOk-" (MESSAGES)
S: * STATUS "Tom &- Jerry/&AOk-t&AOk-" (MESSAGES 0)
S: a5 OK STATUS completed
# Outside the BMP: a UTF-16 surrogate pair in one sequence.
C: a6 CREATE {8}
S: + *
C: &2D3cAA-
S: a6 OK CREATE completed
# Quoting: a name with '"' or '\' is a quoted string with escapes.
C: a7 CREATE "say \"hi\" \\o/x"
S: a7 OK CREATE completed
C: a8 LIST "" say*
S: * LIST (\HasChildren) "/" "say \"hi\" \\o"
S: * LIST (\HasNoChildren) "/" "say \"hi\" \\o/x"
S: a8 OK LIST completed
# Refused names.
C: b1 CREATE "&Jjo"
S: b1 NO [CANNOT] Mailbox name has an unterminated modified UTF-7 sequence
C: b2 CREATE "&AGEAYgBj-"
S: b2 NO [CANNOT] Mailbox name has non-canonical modified UTF-7
C: b3 CREATE "&ZeVnLIqe-&ZeVnLIqe-"
S: b3 NO [CANNOT] Mailbox name has non-canonical modified UTF-7
C: b4 CREATE "café"
S: b4 NO [CANNOT] Mailbox name has 8-bit characters (modified UTF-7 expected)
C: b5 CREATE "a//b"
S: b5 NO [CANNOT] Mailbox name has an empty level
C: b6 DELETE "a/"
S: b6 NO [CANNOT] Mailbox name has an empty level
C: b7 CREATE "a//"
S: b7 NO [CANNOT] Mailbox name has an empty level
C: b8 CREATE "/a"
S: b8 NO [CANNOT] Mailbox name has an empty level
C: b9 CREATE "/"
S: b9 NO [CANNOT] Mailbox name has an empty level
C: b10 CREATE "a/../b"
S: b10 NO [CANNOT] Mailbox name has a "." or ".." level
C: b11 RENAME Sent "."
S: b11 NO [CANNOT] Mailbox name has a "." or ".." level
C: b12 CREATE "a*b"
S: b12 NO [CANNOT] Mailbox name has wildcards
C: b13 SUBSCRIBE a%
S: b13 NO [CANNOT] Mailbox name has wildcards
C: b14 CREATE ""
S: b14 NO [CANNOT] Mailbox name is empty
C: b15 CREATE {3}
S: + *
raw: a\x01b\r\n
S: b15 NO [CANNOT] Mailbox name has control characters
C: b16 STATUS {4}
S: + *
raw: a\tb\x7f (MESSAGES)\r\n
S: b16 NO [CANNOT] Mailbox name has control characters
C: b17 CREATE $(abcdefgh*65)
S: b17 NO [CANNOT] Mailbox name is too long
C: b18 CREATE $(a/*32)a
S: b18 NO [CANNOT] Mailbox name has too many levels
C: b19 CREATE $(a/*31)a
S: b19 OK CREATE completed
C: b20 CREATE (a)
S: b20 BAD *
C: b21 CREATE ~{1}
S: + *
raw: \x00\r\n
S: b21 BAD *
# None of those was created. The store orders its UTF-8 names bytewise.
C: b22 LIST "" %
S: * LIST (\HasNoChildren) "/" INBOX
S: * LIST (\HasNoChildren \Archive) "/" Archive
S: * LIST (\HasNoChildren \Drafts) "/" Drafts
S: * LIST (\HasNoChildren \Junk) "/" Junk
S: * LIST (\HasNoChildren \Sent) "/" Sent
S: * LIST (\HasChildren) "/" "Tom &- Jerry"
S: * LIST (\HasNoChildren \Trash) "/" Trash
S: * LIST (\HasChildren) "/" a
S: * LIST (\HasChildren) "/" "say \"hi\" \\o"
S: * LIST (\HasNoChildren) "/" &ZeVnLIqe-
S: * LIST (\HasNoChildren) "/" &2D3cAA-
S: b22 OK LIST completed
# IMAP4rev2: names are UTF-8 both ways; "&" is an ordinary character.
C: c1 ENABLE IMAP4rev2
S: * ENABLED IMAP4rev2
S: c1 OK ENABLE completed
C: c2 LIST "" "%&%"
S: * LIST (\HasChildren) "/" "Tom & Jerry"
S: c2 OK LIST completed
C: c3 LIST "" ("日本語" "Tom & Jerry/%")
S: * LIST (\HasNoChildren) "/" "Tom & Jerry/été"
S: * LIST (\HasNoChildren) "/" "日本語"
S: c3 OK LIST completed
C: c4 CREATE "café/日本"
S: c4 OK CREATE completed
C: c5 CREATE "&ZeVnLIqe-"
S: c5 OK CREATE completed
C: c6 STATUS "café/日本" (MESSAGES)
S: * STATUS "café/日本" (MESSAGES 0)
S: c6 OK STATUS completed
# The same mailboxes seen by an IMAP4rev1 session.
connect imap as c2
login alice
C: d1 LIST "" (caf* "&-*")
S: * LIST (\HasNoChildren) "/" &-ZeVnLIqe-
S: * LIST (\HasChildren) "/" caf&AOk-
S: * LIST (\HasNoChildren) "/" caf&AOk-/&ZeVnLA-
S: d1 OK LIST completed
