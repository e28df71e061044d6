# EXPUNGE (RFC 9051 §6.4.3) announces each removed message with the
# numbers as they shift; UID EXPUNGE (RFC 4315 §2.1) removes only the
# \Deleted messages of its set; CLOSE expunges silently (RFC 9051 §6.4.1).
# Needs APPEND (cmd-append.c).
login alice
C: a1 APPEND INBOX {21}
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
C: a3 APPEND INBOX {21}
S: + *
C: Subject: m3
C: 
C: body 3
S: a3 OK [APPENDUID $inbox 3] *
C: a4 APPEND INBOX {21}
S: + *
C: Subject: m4
C: 
C: body 4
S: a4 OK [APPENDUID $inbox 4] *
C: a5 APPEND INBOX {21}
S: + *
C: Subject: m5
C: 
C: body 5
S: a5 OK [APPENDUID $inbox 5] *
C: b SELECT INBOX
S: * 5 EXISTS
S: * 5 RECENT
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S: * OK [UNSEEN 1] First unseen
S: * OK [UIDVALIDITY $inbox] UIDs valid
S: * OK [UIDNEXT 6] Predicted next UID
S: b OK [READ-WRITE] SELECT completed
C: c STORE 2:3 +FLAGS.SILENT (\Deleted)
S: c OK STORE completed
C: d EXPUNGE
S: * 2 EXPUNGE
S: * 2 EXPUNGE
S: d OK EXPUNGE completed
# Left: UIDs 1, 4, 5 as 1, 2, 3.
C: e STORE 1:2 +FLAGS.SILENT (\Deleted)
S: e OK STORE completed
C: f UID EXPUNGE 4:5
S: * 2 EXPUNGE
S: f OK UID EXPUNGE completed
C: g UID EXPUNGE 2:3
S: g OK UID EXPUNGE completed
C: h CLOSE
S: h OK CLOSE completed
C: i SELECT INBOX
S: * 1 EXISTS
S: * 0 RECENT
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S: * OK [UNSEEN 1] First unseen
S: * OK [UIDVALIDITY $inbox] UIDs valid
S: * OK [UIDNEXT 6] Predicted next UID
S: i OK [READ-WRITE] SELECT completed
# UNSELECT leaves \Deleted messages alone (RFC 3691).
C: j STORE 1 +FLAGS.SILENT (\Deleted)
S: j OK STORE completed
C: k UNSELECT
S: k OK UNSELECT completed
C: l EXAMINE INBOX
S: * 1 EXISTS
S: * 0 RECENT
S: * FLAGS *
S: * OK [PERMANENTFLAGS ()] Read-only mailbox
S: * OK [UNSEEN 1] First unseen
S: * OK [UIDVALIDITY $inbox] UIDs valid
S: * OK [UIDNEXT 6] Predicted next UID
S: l OK [READ-ONLY] EXAMINE completed
# CLOSE after EXAMINE expunges nothing.
C: m CLOSE
S: m OK CLOSE completed
C: n SELECT INBOX
S: * 1 EXISTS
S: * *
S: * FLAGS *
S: * OK [PERMANENTFLAGS *
S: * OK [UNSEEN 1] First unseen
S: * OK [UIDVALIDITY $inbox] UIDs valid
S: * OK [UIDNEXT 6] Predicted next UID
S: n OK [READ-WRITE] SELECT completed
