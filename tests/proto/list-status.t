# LIST-STATUS (RFC 5819): RETURN (STATUS (...)) puts a STATUS response
# right after the LIST line of each listed mailbox that can be selected,
# with the same name; \Noselect and \NonExistent names get none. The items
# are STATUS's (see status-items.t), RECENT only for IMAP4rev1.
login alice
C: a1 APPEND INBOX (\Seen) {21}
S: + *
C: Subject: m1
C: 
C: body 1
S: a1 OK [APPENDUID $inbox 1] *
C: a2 APPEND INBOX {21}
S: + *
C: Subject: m2
C: 
C: body 2
S: a2 OK [APPENDUID $inbox 2] *
C: a3 CREATE Lists/petrel
S: a3 OK CREATE completed
C: a4 DELETE Lists
S: a4 OK DELETE completed
C: a5 SUBSCRIBE Gone
S: a5 OK SUBSCRIBE completed
C: b1 LIST "" % RETURN (STATUS (MESSAGES UNSEEN))
S: * LIST (\HasNoChildren) "/" INBOX
S: * STATUS INBOX (MESSAGES 2 UNSEEN 1)
S: * LIST (\HasNoChildren \Archive) "/" Archive
S: * STATUS Archive (MESSAGES 0 UNSEEN 0)
S: * LIST (\HasNoChildren \Drafts) "/" Drafts
S: * STATUS Drafts (MESSAGES 0 UNSEEN 0)
S: * LIST (\HasNoChildren \Junk) "/" Junk
S: * STATUS Junk (MESSAGES 0 UNSEEN 0)
S: * LIST (\Noselect \HasChildren) "/" Lists
S: * LIST (\HasNoChildren \Sent) "/" Sent
S: * STATUS Sent (MESSAGES 0 UNSEEN 0)
S: * LIST (\HasNoChildren \Trash) "/" Trash
S: * STATUS Trash (MESSAGES 0 UNSEEN 0)
S: b1 OK LIST completed
C: b2 LIST (SUBSCRIBED) "" (INBOX G*) RETURN (STATUS (UIDNEXT SIZE RECENT DELETED APPENDLIMIT))
S: * LIST (\HasNoChildren \Subscribed) "/" INBOX
S: * STATUS INBOX (UIDNEXT 3 SIZE 42 RECENT 2 DELETED 0 APPENDLIMIT $limit)
S: * LIST (\NonExistent \HasNoChildren \Subscribed) "/" Gone
S: b2 OK LIST completed
C: b3 LIST "" Lists/* RETURN (CHILDREN STATUS (UIDVALIDITY HIGHESTMODSEQ) SUBSCRIBED)
S: * LIST (\HasNoChildren) "/" Lists/petrel
S: * STATUS Lists/petrel (UIDVALIDITY $lists HIGHESTMODSEQ $modseq)
S: b3 OK LIST completed
# The selected mailbox too.
C: c1 SELECT INBOX
S: * 2 EXISTS
S: * 2 RECENT
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S: * OK [UNSEEN 2] First unseen
S: * OK [UIDVALIDITY $inbox] UIDs valid
S: * OK [UIDNEXT 3] Predicted next UID
# HIGHESTMODSEQ asked above enabled CONDSTORE (RFC 7162 §3.1).
S: * OK [HIGHESTMODSEQ $modseq2] Highest
S: c1 OK [READ-WRITE] SELECT completed
C: c2 LIST "" INBOX RETURN (STATUS (MESSAGES))
S: * LIST (\HasNoChildren) "/" INBOX
S: * STATUS INBOX (MESSAGES 2)
S: c2 OK LIST completed
# Malformed STATUS options.
C: d1 LIST "" * RETURN (STATUS ())
S: d1 BAD *
C: d2 LIST "" * RETURN (STATUS)
S: d2 BAD *
C: d3 LIST "" * RETURN (STATUS (MESSAGES MESSAGES))
S: d3 BAD *
C: d4 LIST "" * RETURN (STATUS (COLOR))
S: d4 BAD *
C: d5 LIST "" * RETURN (STATUS MESSAGES)
S: d5 BAD *
# IMAP4rev2 has no RECENT.
C: e1 ENABLE IMAP4rev2
S: e1 BAD *
C: e2 UNSELECT
S: e2 OK *
C: e3 ENABLE IMAP4rev2
S: * ENABLED IMAP4rev2
S: e3 OK ENABLE completed
C: e4 LIST "" INBOX RETURN (STATUS (RECENT))
S: e4 BAD *
C: e5 LIST "" INBOX RETURN (STATUS (DELETED))
S: * LIST (\HasNoChildren) "/" INBOX
S: * STATUS INBOX (DELETED 0)
S: e5 OK LIST completed
