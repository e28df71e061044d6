# COPY and UID COPY with messages (RFC 9051 §6.4.7): COPYUID with UID
# ranges in the tagged OK (RFC 4315 §3), flags kept, EXISTS when copying
# into the selected mailbox, TRYCREATE for a missing target.
login alice
C: a1 APPEND INBOX {21}
S: + *
C: Subject: m1
C: 
C: body 1
S: a1 OK [APPENDUID $inbox 1] *
C: a2 APPEND INBOX (\Flagged $$Work) {21}
S: + *
C: Subject: m2
C: 
C: body 2
S: a2 OK [APPENDUID $inbox 2] *
C: a3 APPEND INBOX {21}
S: + *
C: Subject: m3
C: 
C: body 3
S: a3 OK [APPENDUID $inbox 3] *
C: b ENABLE IMAP4rev2
S: * ENABLED IMAP4rev2
S: b OK *
C: c SELECT INBOX
S: * 3 EXISTS
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft $$Work)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft $$Work \*)] Flags permitted
S: * OK [UIDVALIDITY $inbox] UIDs valid
S: * OK [UIDNEXT 4] Predicted next UID
S: * LIST () "/" INBOX
S: c OK [READ-WRITE] SELECT completed
C: d COPY 1:2 Sent
S: d OK [COPYUID $sent 1:2 1:2] COPY completed
C: e UID COPY 3,1 Sent
S: e OK [COPYUID $sent 1,3 3:4] UID COPY completed
C: f COPY 2 INBOX
S: * 4 EXISTS
S: f OK [COPYUID $inbox 2 4] COPY completed
C: g COPY 1 Nowhere
S: g NO [TRYCREATE] No such mailbox
C: h UID COPY 5:* Trash
S: h OK [COPYUID $trash 4 1] UID COPY completed
C: i UID COPY 5:9 Trash
S: i OK UID COPY completed
C: j EXAMINE Sent
S: * OK [CLOSED] Previous mailbox is now closed
S: * 4 EXISTS
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft $$Work)
S: * OK [PERMANENTFLAGS ()] Read-only mailbox
S: * OK [UIDVALIDITY $sent] UIDs valid
S: * OK [UIDNEXT 5] Predicted next UID
S: * LIST () "/" Sent
S: j OK [READ-ONLY] EXAMINE completed
# Copying from a read-only mailbox is fine, into itself too.
C: k COPY 1:* Sent
S: * 8 EXISTS
S: k OK [COPYUID $sent 1:4 5:8] COPY completed
C: l SELECT Sent
S: * OK [CLOSED] Previous mailbox is now closed
S: * 8 EXISTS
S: * FLAGS *
S: * OK [PERMANENTFLAGS *
S: * OK [UIDVALIDITY $sent] UIDs valid
S: * OK [UIDNEXT 9] Predicted next UID
S: * LIST () "/" Sent
S: l OK [READ-WRITE] SELECT completed
# The copy of INBOX's message 2 kept its flags and keyword.
C: n STORE 2 +FLAGS (\Seen)
S: * 2 FETCH (FLAGS (\Flagged \Seen $$Work))
S: n OK STORE completed
