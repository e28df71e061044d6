# Shared mailboxes (RFC 4314, RFC 2342): alice shares "Team" with bob; bob
# reaches it as "Other Users/alice/Team" with the rights alice gave, and
# nothing more: without l and r it does not exist for him, with l alone
# it is NOPERM; r lets him SELECT (read-only without s w t i e), FETCH
# (without s no \Seen is set), STATUS; i lets him APPEND and COPY into it;
# e EXPUNGE; x DELETE; k CREATE under it. His own name under Other Users,
# and names of no user, are NONEXISTENT.
user bob bob-secret
connect as a
login alice
C: a1 CREATE Team
S: a1 OK CREATE completed
C: a2 APPEND Team {20}
S: + *
C: Subject: hello bob
C: 
S: a2 OK [APPENDUID $team 1] APPEND completed
C: a3 CREATE Private
S: a3 OK CREATE completed
connect as b
login bob
# Nothing shared yet: every name is NONEXISTENT, whether it exists or not.
C: b1 SELECT "Other Users/alice/Team"
S: b1 NO [NONEXISTENT] No such mailbox
C: b2 STATUS "Other Users/alice/Nowhere" (MESSAGES)
S: b2 NO [NONEXISTENT] No such mailbox
C: b3 SELECT "Other Users/bob/INBOX"
S: b3 NO [NONEXISTENT] No such mailbox
C: b4 SELECT "Other Users/no body/INBOX"
S: b4 NO [NONEXISTENT] No such mailbox
C: b5 SELECT "Other Users/alice"
S: b5 NO [NONEXISTENT] No such mailbox
C: b6 SELECT "Other Users"
S: b6 NO [NONEXISTENT] No such mailbox
use a
C: a3b SETACL Team bob p
S: a3b OK SETACL completed
use b
C: b6b MYRIGHTS "Other Users/alice/Team"
S: b6b NO [NONEXISTENT] No such mailbox
use a
C: a4 SETACL Team bob l
S: a4 OK SETACL completed
use b
C: b7 SELECT "Other Users/alice/Team"
S: b7 NO [NOPERM] Permission denied
use a
C: a5 SETACL Team bob +r
S: a5 OK SETACL completed
use b
C: b8 EXAMINE "Other Users/alice/Team"
S: * 1 EXISTS
S: * 1 RECENT
S: * FLAGS (*
S: * OK [PERMANENTFLAGS ()] Read-only mailbox
S: * OK [UNSEEN 1] First unseen
S: * OK [UIDVALIDITY $team] UIDs valid
S: * OK [UIDNEXT 2] Predicted next UID
S: b8 OK [READ-ONLY] EXAMINE completed
C: b9 SELECT "Other Users/alice/Team"
S: * 1 EXISTS
S: * 1 RECENT
S: * FLAGS (*
S: * OK [PERMANENTFLAGS ()] Read-only mailbox
S: * OK [UNSEEN 1] First unseen
S: * OK [UIDVALIDITY $team] UIDs valid
S: * OK [UIDNEXT 2] Predicted next UID
S: b9 OK [READ-ONLY] SELECT completed
C: c1 FETCH 1 (FLAGS BODY[HEADER.FIELDS (SUBJECT)])
S: * 1 FETCH (FLAGS (\Recent) BODY[HEADER.FIELDS (SUBJECT)] {22}
S: Subject: hello bob
S: 
S: )
S: c1 OK FETCH completed
C: c2 STORE 1 +FLAGS (\Flagged)
S: c2 NO [READ-ONLY] Mailbox is read-only
C: c3 STATUS "Other Users/alice/Team" (MESSAGES UNSEEN)
S: * STATUS "Other Users/alice/Team" (MESSAGES 1 UNSEEN 1)
S: c3 OK STATUS completed
C: c4 STATUS "Other Users/alice/Private" (MESSAGES)
S: c4 NO [NONEXISTENT] No such mailbox
C: c5 APPEND "Other Users/alice/Team" {5}
S: c5 NO [NOPERM] Permission denied
C: c6 APPEND "Other Users/alice/Private" {5+}
C: hello
S: c6 NO [NONEXISTENT] No such mailbox
C: c7 CREATE "Other Users/alice/Team/Sub"
S: c7 NO [NOPERM] Permission denied
C: c8 DELETE "Other Users/alice/Team"
S: c8 NO [NOPERM] Permission denied
C: c9 MYRIGHTS "Other Users/alice/Team"
S: * MYRIGHTS "Other Users/alice/Team" lr
S: c9 OK MYRIGHTS completed
C: e2 GETACL "Other Users/alice/Team"
S: e2 NO [NOPERM] Permission denied
use a
C: a6 SETACL Team bob +switekx
S: a6 OK SETACL completed
use b
C: d1 SELECT "Other Users/alice/Team"
S: * 1 EXISTS
S: * 1 RECENT
S: * FLAGS (*
S: * OK [PERMANENTFLAGS (*
S: * OK [UNSEEN 1] First unseen
S: * OK [UIDVALIDITY $team] UIDs valid
S: * OK [UIDNEXT 2] Predicted next UID
S: d1 OK [READ-WRITE] SELECT completed
C: d2 APPEND "Other Users/alice/Team" {12}
S: + *
C: Subject: b2
S: * 2 EXISTS
S: * 2 RECENT
S: d2 OK [APPENDUID $team 2] APPEND completed
C: d3 APPEND "Other Users/alice/Team" {12+}
C: Subject: b3
S: * 3 EXISTS
S: * 3 RECENT
S: d3 OK [APPENDUID $team 3] APPEND completed
C: d4 STORE 2 +FLAGS.SILENT (\Deleted)
S: d4 OK STORE completed
C: d5 EXPUNGE
S: * 2 EXPUNGE
S: d5 OK EXPUNGE completed
C: d6 COPY 1 "Other Users/alice/Team"
S: * 3 EXISTS
S: * 3 RECENT
S: d6 OK [COPYUID $team 1 4] COPY completed
# Between users' stores: the bytes are copied, COPYUID as within one.
C: d7 COPY 1 INBOX
S: d7 OK [COPYUID $binbox 1 1] COPY completed
C: f1 STATUS INBOX (MESSAGES)
S: * STATUS INBOX (MESSAGES 1)
S: f1 OK STATUS completed
C: f2 SELECT INBOX
S: * 1 EXISTS
S: * 1 RECENT
S: * FLAGS (*
S: * OK [PERMANENTFLAGS (*
S: * OK [UNSEEN 1] First unseen
S: * OK [UIDVALIDITY $binbox] UIDs valid
S: * OK [UIDNEXT 2] Predicted next UID
S: f2 OK [READ-WRITE] SELECT completed
C: f3 FETCH 1 BODY.PEEK[HEADER.FIELDS (SUBJECT)]
S: * 1 FETCH (BODY[HEADER.FIELDS (SUBJECT)] {22}
S: Subject: hello bob
S: 
S: )
S: f3 OK FETCH completed
C: f4 MOVE 1 "Other Users/alice/Team"
S: * OK [COPYUID $team 1 5] Moved
S: * 1 EXPUNGE
S: f4 OK MOVE completed
C: f5 SELECT "Other Users/alice/Team"
S: * 4 EXISTS
S: * 1 RECENT
S: * FLAGS (*
S: * OK [PERMANENTFLAGS (*
S: * OK [UNSEEN 1] First unseen
S: * OK [UIDVALIDITY $team] UIDs valid
S: * OK [UIDNEXT 6] Predicted next UID
S: f5 OK [READ-WRITE] SELECT completed
C: d8 CREATE "Other Users/alice/Team/Sub"
S: d8 OK CREATE completed
C: d9 CREATE "Other Users/alice/Top"
S: d9 NO [NOPERM] Permission denied
# LIST finds what bob may see (l): the namespace, alice, her Team and
# Team/Sub; not Private. Its \HasChildren counts only what he sees.
C: e3 LIST "" "Other Users/*"
S: * LIST (\Noselect \HasChildren) "/" "Other Users/alice"
S: * LIST (\HasChildren) "/" "Other Users/alice/Team"
S: * LIST (\HasNoChildren) "/" "Other Users/alice/Team/Sub"
S: e3 OK LIST completed
C: e4 LIST "" %
S: * LIST (\HasNoChildren) "/" INBOX
S: * LIST (\HasNoChildren \Archive) "/" Archive
S: * LIST (\HasNoChildren \Drafts) "/" Drafts
S: * LIST (\HasNoChildren \Junk) "/" Junk
S: * LIST (\HasNoChildren \Sent) "/" Sent
S: * LIST (\HasNoChildren \Trash) "/" Trash
S: * LIST (\Noselect \HasChildren) "/" "Other Users"
S: e4 OK LIST completed
C: e6 LIST "" "Other Users/alice/%" RETURN (MYRIGHTS)
S: * LIST (\HasChildren) "/" "Other Users/alice/Team"
S: * MYRIGHTS "Other Users/alice/Team" lrswikxtecd
S: e6 OK LIST completed
C: e7 GETQUOTAROOT "Other Users/alice/Team"
S: * QUOTAROOT "Other Users/alice/Team"
S: e7 OK GETQUOTAROOT completed
C: e8 SETMETADATA "Other Users/alice/Team" (/private/comment "mine")
S: e8 OK SETMETADATA completed
C: e9 GETMETADATA "Other Users/alice/Team" (/private/comment /shared/comment)
S: * METADATA "Other Users/alice/Team" (/private/comment "mine" /shared/comment NIL)
S: e9 OK GETMETADATA completed
C: e5 NAMESPACE
S: * NAMESPACE (("" "/")) (("Other Users/" "/")) (("Shared/" "/"))
S: e5 OK NAMESPACE completed
C: e1 LOGOUT
S: * BYE *
S: e1 OK *
use a
C: a6b GETMETADATA Team (/private/comment)
S: * METADATA Team (/private/comment NIL)
S: a6b OK GETMETADATA completed
C: a7 STATUS Team (MESSAGES)
S: * STATUS Team (MESSAGES 4)
S: a7 OK STATUS completed
C: a8 LIST Team *
S: * LIST (\HasChildren) "/" Team
S: * LIST (\HasNoChildren) "/" Team/Sub
S: a8 OK LIST completed
C: a9 LOGOUT
S: * BYE *
S: a9 OK *
