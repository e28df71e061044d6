# FETCH (RFC 9051 §6.4.5): every data item, sections at any depth, partial
# fetches, BINARY (RFC 3516), \Seen, and hostile bytes. Messages:
#  1 a multipart/mixed with a quoted-printable text part, a base64
#    attachment and a message/rfc822 part holding a two-part message;
#  2 a plain message written with bare LF line ends;
#  3 a part with an unknown transfer encoding; 4 broken base64.
login alice
raw: a1 APPEND INBOX (\Flagged) "17-Jul-1996 02:44:25 -0700" {826+}\r\nFrom: Alice <alice@example.org>\r\nTo: Bob <bob@example.com>, carol@example.com\r\nSubject: =?utf-8?q?caf=C3=A9?= plans\r\nDate: Mon, 7 Feb 1994 21:52:25 -0800\r\nMessage-ID: <m1@example.org>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="outer"\r\n\r\nPreamble\r\n--outer\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nSee you at the caf=C3=A9.\r\n--outer\r\nContent-Type: application/octet-stream; name="b.bin"\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename="b.bin"\r\n\r\naGkgdGhlcmUh\r\n--outer\r\nContent-Type: message/rfc822\r\n\r\nFrom: Dan <dan@example.net>\r\nSubject: inner\r\nContent-Type: multipart/alternative; boundary="inner"\r\n\r\n--inner\r\nContent-Type: text/plain\r\n\r\nplain inner\r\n--inner\r\nContent-Type: text/html\r\n\r\n<p>html inner</p>\r\n--inner--\r\n\r\n--outer--\r\n\r\n
S: a1 OK [APPENDUID $inbox 1] APPEND completed
raw: a2 APPEND INBOX {33+}\r\nSubject: lf\nX-A: a\n\nline one\nend\n\r\n
S: a2 OK [APPENDUID $inbox 2] APPEND completed
raw: a3 APPEND INBOX {94+}\r\nSubject: odd\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\nbegin 644 x\r\n\r\n
S: a3 OK [APPENDUID $inbox 3] APPEND completed
raw: a4 APPEND INBOX {106+}\r\nSubject: broken\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\nAAE*CA==x=\r\n\r\n
S: a4 OK [APPENDUID $inbox 4] APPEND completed
C: b1 EXAMINE INBOX
S: * 4 EXISTS
S: * 4 RECENT
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS ()] Read-only mailbox
S: * OK [UNSEEN 1] First unseen
S: * OK [UIDVALIDITY $inbox] UIDs valid
S: * OK [UIDNEXT 5] Predicted next UID
S: b1 OK [READ-ONLY] EXAMINE completed
# Metadata and what was computed at delivery.
C: c1 FETCH 1 (FLAGS INTERNALDATE RFC822.SIZE ENVELOPE)
S: * 1 FETCH (FLAGS (\Flagged \Recent) INTERNALDATE "17-Jul-1996 02:44:25 -0700" RFC822.SIZE 826 ENVELOPE ("Mon, 7 Feb 1994 21:52:25 -0800" "=?utf-8?q?caf=C3=A9?= plans" (("Alice" NIL "alice" "example.org")) (("Alice" NIL "alice" "example.org")) (("Alice" NIL "alice" "example.org")) (("Bob" NIL "bob" "example.com")(NIL NIL "carol" "example.com")) NIL NIL NIL "<m1@example.org>"))
S: c1 OK FETCH completed
C: c2 FETCH 1 BODY
S: * 1 FETCH (BODY (("text" "plain" ("charset" "utf-8") NIL NIL "quoted-printable" 25 0)("application" "octet-stream" ("name" "b.bin") NIL NIL "base64" 12)("message" "rfc822" NIL NIL NIL "7bit" 218 (NIL "inner" (("Dan" NIL "dan" "example.net")) (("Dan" NIL "dan" "example.net")) (("Dan" NIL "dan" "example.net")) NIL NIL NIL NIL NIL) (("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 11 0)("text" "html" ("charset" "us-ascii") NIL NIL "7bit" 17 0) "alternative") 13) "mixed"))
S: c2 OK FETCH completed
C: c3 FETCH 1 BODYSTRUCTURE
S: * 1 FETCH (BODYSTRUCTURE (("text" "plain" ("charset" "utf-8") NIL NIL "quoted-printable" 25 0 NIL NIL NIL NIL)("application" "octet-stream" ("name" "b.bin") NIL NIL "base64" 12 NIL ("attachment" ("filename" "b.bin")) NIL NIL)("message" "rfc822" NIL NIL NIL "7bit" 218 (NIL "inner" (("Dan" NIL "dan" "example.net")) (("Dan" NIL "dan" "example.net")) (("Dan" NIL "dan" "example.net")) NIL NIL NIL NIL NIL) (("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 11 0 NIL NIL NIL NIL)("text" "html" ("charset" "us-ascii") NIL NIL "7bit" 17 0 NIL NIL NIL NIL) "alternative" ("boundary" "inner") NIL NIL NIL) 13 NIL NIL NIL NIL) "mixed" ("boundary" "outer") NIL NIL NIL))
S: c3 OK FETCH completed
C: c4 UID FETCH 1 (PREVIEW EMAILID THREADID)
S: * 1 FETCH (UID 1 PREVIEW {21}
S: See you at the café. EMAILID ($emailid) THREADID ($threadid))
S: c4 OK UID FETCH completed
C: c5 FETCH 1 FAST
S: * 1 FETCH (FLAGS (\Flagged \Recent) INTERNALDATE "17-Jul-1996 02:44:25 -0700" RFC822.SIZE 826)
S: c5 OK FETCH completed
C: c6 FETCH 2:4 (UID RFC822.SIZE PREVIEW)
S: * 2 FETCH (UID 2 RFC822.SIZE 38 PREVIEW "line one end")
S: * 3 FETCH (UID 3 RFC822.SIZE 94 PREVIEW "")
S: * 4 FETCH (UID 4 RFC822.SIZE 106 PREVIEW "")
S: c6 OK FETCH completed
# Sections: header, fields, text, parts, MIME headers, the nested message.
C: d1 FETCH 1 (BODY.PEEK[HEADER.FIELDS (Subject "From")] BODY.PEEK[HEADER.FIELDS.NOT (Received Message-ID Date To From Subject MIME-Version Content-Type)])
S: * 1 FETCH (BODY[HEADER.FIELDS (SUBJECT FROM)] {73}
S: From: Alice <alice@example.org>
S: Subject: =?utf-8?q?caf=C3=A9?= plans
S: 
S:  BODY[HEADER.FIELDS.NOT (RECEIVED MESSAGE-ID DATE TO FROM SUBJECT MIME-VERSION CONTENT-TYPE)] {2}
S: 
S: )
S: d1 OK FETCH completed
C: d2 FETCH 1 (BODY.PEEK[1] BODY.PEEK[1.MIME] BODY.PEEK[2])
S: * 1 FETCH (BODY[1] {25}
S: See you at the caf=C3=A9. BODY[1.MIME] {88}
S: Content-Type: text/plain; charset=utf-8
S: Content-Transfer-Encoding: quoted-printable
S: 
S:  BODY[2] {12}
S: aGkgdGhlcmUh)
S: d2 OK FETCH completed
C: d3 FETCH 1 (BODY.PEEK[3.HEADER] BODY.PEEK[3.TEXT])
S: * 1 FETCH (BODY[3.HEADER] {102}
S: From: Dan <dan@example.net>
S: Subject: inner
S: Content-Type: multipart/alternative; boundary="inner"
S: 
S:  BODY[3.TEXT] {116}
S: --inner
S: Content-Type: text/plain
S: 
S: plain inner
S: --inner
S: Content-Type: text/html
S: 
S: <p>html inner</p>
S: --inner--
S: )
S: d3 OK FETCH completed
C: d4 FETCH 1 (BODY.PEEK[3.1] BODY.PEEK[3.2.MIME] BODY.PEEK[3.2])
S: * 1 FETCH (BODY[3.1] {11}
S: plain inner BODY[3.2.MIME] {27}
S: Content-Type: text/html
S: 
S:  BODY[3.2] {17}
S: <p>html inner</p>)
S: d4 OK FETCH completed
C: d5 FETCH 1 (BODY.PEEK[3.HEADER.FIELDS (SUBJECT)] BODY.PEEK[4] BODY.PEEK[1.2] BODY.PEEK[2.HEADER])
S: * 1 FETCH (BODY[3.HEADER.FIELDS (SUBJECT)] {18}
S: Subject: inner
S: 
S:  BODY[4] "" BODY[1.2] "" BODY[2.HEADER] "")
S: d5 OK FETCH completed
C: d6 FETCH 1 (BODY.PEEK[]<0.30> BODY.PEEK[TEXT]<800.100> BODY.PEEK[1]<5.3>)
S: * 1 FETCH (BODY[]<0> {30}
S: From: Alice <alice@example.org BODY[TEXT]<800> {0}
S:  BODY[1]<5> {3}
S: ou )
S: d6 OK FETCH completed
# BINARY: decoded (literal8 only for content with NUL: tests/clients), sizes.
C: e1 FETCH 1 (BINARY.PEEK[1] BINARY.SIZE[1] BINARY.PEEK[2] BINARY.SIZE[2] BINARY.PEEK[2]<1.2>)
S: * 1 FETCH (BINARY[1] {21}
S: See you at the café. BINARY.SIZE[1] 21 BINARY[2] {9}
S: hi there! BINARY.SIZE[2] 9 BINARY[2]<1> {2}
S: i )
S: e1 OK FETCH completed
C: e2 FETCH 1 (BINARY.PEEK[3] BINARY.SIZE[3.1] BINARY.PEEK[9])
S: * 1 FETCH (BINARY[3] {218}
S: From: Dan <dan@example.net>
S: Subject: inner
S: Content-Type: multipart/alternative; boundary="inner"
S: 
S: --inner
S: Content-Type: text/plain
S: 
S: plain inner
S: --inner
S: Content-Type: text/html
S: 
S: <p>html inner</p>
S: --inner--
S:  BINARY.SIZE[3.1] 11 BINARY[9] "")
S: e2 OK FETCH completed
C: e3 FETCH 3 (BINARY.PEEK[1])
S: e3 NO [UNKNOWN-CTE] Unknown Content-Transfer-Encoding
C: e4 FETCH 4 (BINARY.SIZE[1])
S: e4 NO [PARSE] Invalid data in MIME part
# Bare LF is stored as CRLF (RFC822.SIZE counts the CR).
C: f1 FETCH 2 (RFC822.SIZE BODY.PEEK[] BINARY.PEEK[1])
S: * 2 FETCH (RFC822.SIZE 38 BODY[] {38}
S: Subject: lf
S: X-A: a
S: 
S: line one
S: end
S:  BINARY[1] {15}
S: line one
S: end
S: )
S: f1 OK FETCH completed
# RFC822 forms.
C: f2 FETCH 2 (RFC822.HEADER RFC822.TEXT)
S: * 2 FETCH (RFC822.HEADER {23}
S: Subject: lf
S: X-A: a
S: 
S:  RFC822.TEXT {15}
S: line one
S: end
S: )
S: f2 OK FETCH completed
# Syntax errors.
C: g1 FETCH 1 (BODY[1.MIME.TEXT])
S: g1 BAD Invalid section
C: g2 FETCH 1 (BODY[HEADER.FIELDS ()])
S: g2 BAD Invalid header field name
C: g3 FETCH 1 (BINARY[1.MIME])
S: g3 BAD BINARY takes only a part number
C: g4 FETCH 1 (BODY[]<0.0>)
S: g4 BAD Invalid partial
C: g5 FETCH 1 (FAST)
S: g5 BAD Unknown FETCH item
C: g6 FETCH 1 (BODY[TEXT]<1>)
S: g6 BAD Invalid partial
C: g7 FETCH 5 FLAGS
S: g7 BAD Invalid sequence set: no such message
C: g8 FETCH 1 NOSUCHITEM
S: g8 BAD Unknown FETCH item
# At most 64 items in one FETCH.
C: g9 FETCH 1 ($(UID *63)UID)
S: * 1 FETCH (UID 1)
S: g9 OK FETCH completed
C: g10 FETCH 1 ($(UID *64)UID)
S: g10 BAD Too many FETCH items
# Non-PEEK sections set \Seen in a read-write mailbox and report FLAGS.
C: h1 SELECT INBOX
S: * 4 EXISTS
S: * 4 RECENT
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S: * OK [UNSEEN 1] First unseen
S: * OK [UIDVALIDITY $inbox] UIDs valid
S: * OK [UIDNEXT 5] Predicted next UID
S: h1 OK [READ-WRITE] SELECT completed
C: h2 FETCH 1 (BODY[1])
S: * 1 FETCH (FLAGS (\Flagged \Seen \Recent) BODY[1] {25}
S: See you at the caf=C3=A9.)
S: h2 OK FETCH completed
C: h3 FETCH 1 (BODY[1] FLAGS)
S: * 1 FETCH (BODY[1] {25}
S: See you at the caf=C3=A9. FLAGS (\Flagged \Seen \Recent))
S: h3 OK FETCH completed
C: h4 UID FETCH 2 RFC822.TEXT
S: * 2 FETCH (UID 2 FLAGS (\Seen \Recent) RFC822.TEXT {15}
S: line one
S: end
S: )
S: h4 OK UID FETCH completed
C: h5 FETCH 3 (BODY.PEEK[TEXT] FLAGS)
S: * 3 FETCH (BODY[TEXT] {13}
S: begin 644 x
S:  FLAGS (\Recent))
S: h5 OK FETCH completed
C: h6 FETCH 1:4 FLAGS
S: * 1 FETCH (FLAGS (\Flagged \Seen \Recent))
S: * 2 FETCH (FLAGS (\Seen \Recent))
S: * 3 FETCH (FLAGS (\Recent))
S: * 4 FETCH (FLAGS (\Recent))
S: h6 OK FETCH completed

