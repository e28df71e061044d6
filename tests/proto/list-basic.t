# LIST (RFC 9051 §6.3.9): a new user's mailboxes, INBOX first and then the
# store's (bytewise) order; "*" crosses levels, "%" does not; the
# reference is prefixed to the pattern; INBOX matches in any case; "" asks
# for the delimiter. Every line has \HasChildren or \HasNoChildren and the
# special-use attributes (RFC 6154 §2), asked for or not.
login alice
C: a1 LIST "" *
S: * LIST (\HasNoChildren) "/" INBOX
S: * LIST (\HasNoChildren \Archive) "/" Archive
S: * LIST (\HasNoChildren \Drafts) "/" Drafts
S: * LIST (\HasNoChildren \Junk) "/" Junk
S: * LIST (\HasNoChildren \Sent) "/" Sent
S: * LIST (\HasNoChildren \Trash) "/" Trash
S: a1 OK LIST completed
C: a2 LIST "" ""
S: * LIST (\Noselect) "/" ""
S: a2 OK LIST completed
C: a3 LIST "Archive/2024" ""
S: * LIST (\Noselect) "/" ""
S: a3 OK LIST completed
C: a4 CREATE Archive/2024/Q1
S: a4 OK CREATE completed
C: a5 CREATE Archive/2023
S: a5 OK CREATE completed
C: a6 CREATE "Archive 2022"
S: a6 OK CREATE completed
C: a7 CREATE INBOX/Receipts
S: a7 OK CREATE completed
# INBOX and its children come first.
C: b1 LIST "" *
S: * LIST (\HasChildren) "/" INBOX
S: * LIST (\HasNoChildren) "/" INBOX/Receipts
S: * LIST (\HasChildren \Archive) "/" Archive
S: * LIST (\HasNoChildren) "/" "Archive 2022"
S: * LIST (\HasNoChildren) "/" Archive/2023
S: * LIST (\HasChildren) "/" Archive/2024
S: * LIST (\HasNoChildren) "/" Archive/2024/Q1
S: * LIST (\HasNoChildren \Drafts) "/" Drafts
S: * LIST (\HasNoChildren \Junk) "/" Junk
S: * LIST (\HasNoChildren \Sent) "/" Sent
S: * LIST (\HasNoChildren \Trash) "/" Trash
S: b1 OK LIST completed
C: b2 LIST "" %
S: * LIST (\HasChildren) "/" INBOX
S: * LIST (\HasChildren \Archive) "/" Archive
S: * LIST (\HasNoChildren) "/" "Archive 2022"
S: * LIST (\HasNoChildren \Drafts) "/" Drafts
S: * LIST (\HasNoChildren \Junk) "/" Junk
S: * LIST (\HasNoChildren \Sent) "/" Sent
S: * LIST (\HasNoChildren \Trash) "/" Trash
S: b2 OK LIST completed
C: b3 LIST "" Archive/%
S: * LIST (\HasNoChildren) "/" Archive/2023
S: * LIST (\HasChildren) "/" Archive/2024
S: b3 OK LIST completed
C: b4 LIST Archive/ %
S: * LIST (\HasNoChildren) "/" Archive/2023
S: * LIST (\HasChildren) "/" Archive/2024
S: b4 OK LIST completed
C: b5 LIST Archive *
S: * LIST (\HasChildren \Archive) "/" Archive
S: * LIST (\HasNoChildren) "/" "Archive 2022"
S: * LIST (\HasNoChildren) "/" Archive/2023
S: * LIST (\HasChildren) "/" Archive/2024
S: * LIST (\HasNoChildren) "/" Archive/2024/Q1
S: b5 OK LIST completed
C: b6 LIST "" %/%/%
S: * LIST (\HasNoChildren) "/" Archive/2024/Q1
S: b6 OK LIST completed
C: b7 LIST "" *2*
S: * LIST (\HasNoChildren) "/" "Archive 2022"
S: * LIST (\HasNoChildren) "/" Archive/2023
S: * LIST (\HasChildren) "/" Archive/2024
S: * LIST (\HasNoChildren) "/" Archive/2024/Q1
S: b7 OK LIST completed
C: b8 LIST "" A%4
S: b8 OK LIST completed
C: b9 LIST "" Archive
S: * LIST (\HasChildren \Archive) "/" Archive
S: b9 OK LIST completed
C: b10 LIST "" archive
S: b10 OK LIST completed
# INBOX in any case, alone or as the first level (RFC 9051 §6.3.9).
C: c1 LIST "" inbox
S: * LIST (\HasChildren) "/" INBOX
S: c1 OK LIST completed
C: c2 LIST "" iNbOx/*
S: * LIST (\HasNoChildren) "/" INBOX/Receipts
S: c2 OK LIST completed
C: c3 LIST "" In%
S: c3 OK LIST completed
# A parent left as \Noselect by DELETE is still listed.
C: d1 DELETE Archive/2024
S: d1 OK DELETE completed
C: d2 LIST "" Archive/%
S: * LIST (\HasNoChildren) "/" Archive/2023
S: * LIST (\Noselect \HasChildren) "/" Archive/2024
S: d2 OK LIST completed
# A pattern that cannot be a name is ignored (RFC 5258 §3).
C: e1 LIST "" "&Jjo"
S: e1 OK LIST completed
C: e2 LIST "" "café"
S: e2 OK LIST completed
C: e3 LIST "" "$(%a*70)"
S: e3 OK LIST completed
# Syntax errors.
C: f1 LIST ""
S: f1 BAD *
C: f2 LIST
S: f2 BAD *
C: f3 LIST "" * extra
S: f3 BAD *
C: f4 LIST (a) "" *
S: f4 BAD *
C: f5 LIST "" ()
S: f5 BAD *
C: f6 LIST ("") *
S: f6 BAD *
# In the selected state too.
C: g1 SELECT INBOX
S: * 0 EXISTS
S: * 0 RECENT
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S: * OK [UIDVALIDITY $uv] UIDs valid
S: * OK [UIDNEXT 1] Predicted next UID
S: g1 OK [READ-WRITE] SELECT completed
C: g2 LIST "" Sent
S: * LIST (\HasNoChildren \Sent) "/" Sent
S: g2 OK LIST completed
