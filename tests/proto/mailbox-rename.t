# RENAME (RFC 9051 §6.3.6): children move with their parent, missing
# parents of the new name are created; an existing new name is
# NO [ALREADYEXISTS], a missing old one NO [NONEXISTENT], a mailbox under
# itself NO [CANNOT]. RENAME INBOX moves INBOX's messages to the new
# mailbox and leaves INBOX, empty, with its children. The selected
# mailbox can be renamed (or a parent of it): it stays selected.
login alice
C: a1 CREATE Work/Reports/2024
S: a1 OK CREATE completed
C: a2 APPEND Work/Reports {21}
S: + *
C: Subject: m1
C: 
C: body 1
S: a2 OK [APPENDUID $reports 1] *
C: a3 RENAME Work Office/Old
S: a3 OK RENAME completed
C: a4 LIST "" *
S: * LIST (\HasNoChildren) "/" INBOX
S: * LIST (\HasNoChildren \Archive) "/" Archive
S: * LIST (\HasNoChildren \Drafts) "/" Drafts
S: * LIST (\HasNoChildren \Junk) "/" Junk
S: * LIST (\HasChildren) "/" Office
S: * LIST (\HasChildren) "/" Office/Old
S: * LIST (\HasChildren) "/" Office/Old/Reports
S: * LIST (\HasNoChildren) "/" Office/Old/Reports/2024
S: * LIST (\HasNoChildren \Sent) "/" Sent
S: * LIST (\HasNoChildren \Trash) "/" Trash
S: a4 OK LIST completed
# The messages and UIDVALIDITY went with the name.
C: a5 STATUS Office/Old/Reports (MESSAGES UIDVALIDITY)
S: * STATUS Office/Old/Reports (MESSAGES 1 UIDVALIDITY $reports)
S: a5 OK STATUS completed
C: b1 RENAME Office/Old Sent
S: b1 NO [ALREADYEXISTS] *
C: b2 RENAME Office/Old INBOX
S: b2 NO [ALREADYEXISTS] *
C: b3 RENAME Nowhere Elsewhere
S: b3 NO [NONEXISTENT] *
C: b4 RENAME Office Office/Inside
S: b4 NO [CANNOT] *
C: b5 RENAME Office Office
S: b5 NO [CANNOT] *
C: b6 RENAME Office
S: b6 BAD *
C: b7 RENAME Office "a//b"
S: b7 NO [CANNOT] *
# RENAME INBOX: the messages move, INBOX stays (RFC 9051 §6.3.6).
C: c1 APPEND INBOX {21}
S: + *
C: Subject: m2
C: 
C: body 2
S: c1 OK [APPENDUID $inbox 1] *
C: c2 CREATE INBOX/Child
S: c2 OK CREATE completed
C: c3 RENAME inbox "Old Inbox"
S: c3 OK RENAME completed
C: c4 STATUS INBOX (MESSAGES UIDVALIDITY)
S: * STATUS INBOX (MESSAGES 0 UIDVALIDITY $inbox)
S: c4 OK STATUS completed
C: c5 STATUS "Old Inbox" (MESSAGES)
S: * STATUS "Old Inbox" (MESSAGES 1)
S: c5 OK STATUS completed
C: c6 LIST "" INBOX*
S: * LIST (\HasChildren) "/" INBOX
S: * LIST (\HasNoChildren) "/" INBOX/Child
S: c6 OK LIST completed
# INBOX may even go under itself: its children stay where they are.
C: c7 RENAME INBOX INBOX/Saved
S: c7 OK RENAME completed
C: c8 LIST "" INBOX*
S: * LIST (\HasChildren) "/" INBOX
S: * LIST (\HasNoChildren) "/" INBOX/Child
S: * LIST (\HasNoChildren) "/" INBOX/Saved
S: c8 OK LIST completed
# Renaming the selected mailbox's parent: it stays selected, under its
# new name, and a later change reaches this session.
C: d1 SELECT Office/Old/Reports
S: * 1 EXISTS
S: * 1 RECENT
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S: * OK [UNSEEN 1] First unseen
S: * OK [UIDVALIDITY $reports] UIDs valid
S: * OK [UIDNEXT 2] Predicted next UID
S: d1 OK [READ-WRITE] SELECT completed
C: d2 RENAME Office/Old Projects
S: d2 OK RENAME completed
C: d3 APPEND Projects/Reports {21}
S: + *
C: Subject: m3
C: 
C: body 3
S: * 2 EXISTS
S: * 2 RECENT
S: d3 OK [APPENDUID $reports 2] *
C: d4 RENAME Projects/Reports Reports
S: d4 OK RENAME completed
C: d5 STORE 2 +FLAGS (\Flagged)
S: * 2 FETCH (FLAGS (\Flagged \Recent))
S: d5 OK STORE completed
C: d6 CLOSE
S: d6 OK CLOSE completed
C: d7 STATUS Reports (MESSAGES)
S: * STATUS Reports (MESSAGES 2)
S: d7 OK STATUS completed
# A name that is only a parent (\Noselect, left by DELETE) is no mailbox:
# RENAME onto it succeeds, the renamed mailbox taking its place above its
# children; a child of the old name that would land on one of them is
# NO [ALREADYEXISTS], and nothing moved.
C: e1 CREATE Team/Notes
S: e1 OK CREATE completed
C: e2 DELETE Team
S: e2 OK DELETE completed
C: e3 CREATE Draft/Notes
S: e3 OK CREATE completed
C: e4 RENAME Draft Team
S: e4 NO [ALREADYEXISTS] *
C: e5 DELETE Draft/Notes
S: e5 OK DELETE completed
C: e6 APPEND Draft {21}
S: + *
C: Subject: m4
C: 
C: body 4
S: e6 OK [APPENDUID $draft 1] *
C: e7 RENAME Draft Team
S: e7 OK RENAME completed
C: e8 LIST "" Team*
S: * LIST (\HasChildren) "/" Team
S: * LIST (\HasNoChildren) "/" Team/Notes
S: e8 OK LIST completed
C: e9 STATUS Team (MESSAGES UIDVALIDITY)
S: * STATUS Team (MESSAGES 1 UIDVALIDITY $draft)
S: e9 OK STATUS completed
