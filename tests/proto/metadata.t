# METADATA (RFC 5464): GETMETADATA and SETMETADATA on a mailbox and on the
# server (mailbox ""). Names compare without case and come back in lower
# case, in the order asked (descendants after their name, each entry
# once); a name asked for and missing is NIL; DEPTH 0 (default), 1 and
# infinity; MAXSIZE leaves out longer values and says the longest
# ([METADATA LONGENTRIES n], §4.2.1); a
# SETMETADATA is all or nothing ([METADATA MAXSIZE n], [METADATA
# TOOMANY], §4.3); invalid names are BAD; server /shared entries are the
# administrator's (NO [NOPERM]); a mailbox that does not exist is NO
# [NONEXISTENT]; RENAME keeps a mailbox's entries, DELETE drops them.
login alice
C: a1 CREATE Notes
S: a1 OK CREATE completed
C: a2 SETMETADATA Notes (/shared/comment "Team notes" /Private/Comment "mine")
S: a2 OK SETMETADATA completed
C: a3 GETMETADATA Notes (/SHARED/COMMENT /private/comment /shared/missing)
S: * METADATA Notes (/shared/comment "Team notes" /private/comment "mine" /shared/missing NIL)
S: a3 OK GETMETADATA completed
C: a4 GETMETADATA Notes /shared/comment
S: * METADATA Notes (/shared/comment "Team notes")
S: a4 OK GETMETADATA completed
C: b1 SETMETADATA Notes (/shared/vendor/x/a "1" /shared/vendor/x/a/b "2" /shared/vendor/x/a/b/c "3" /shared/vendor/x/ab {7+}
C: sibling)
S: b1 OK SETMETADATA completed
C: b2 GETMETADATA (DEPTH 1) Notes /shared/vendor/x/a
S: * METADATA Notes (/shared/vendor/x/a "1" /shared/vendor/x/a/b "2")
S: b2 OK GETMETADATA completed
C: b3 GETMETADATA (DEPTH infinity) Notes (/shared/vendor/x/a /shared/vendor/x/a/b)
S: * METADATA Notes (/shared/vendor/x/a "1" /shared/vendor/x/a/b "2" /shared/vendor/x/a/b/c "3")
S: b3 OK GETMETADATA completed
C: b4 GETMETADATA (MAXSIZE 3 DEPTH 1) Notes /shared/vendor/x
S: * METADATA Notes (/shared/vendor/x NIL /shared/vendor/x/a "1")
S: b4 OK [METADATA LONGENTRIES 7] GETMETADATA completed
# A value with CR LF comes back as a literal.
raw: c1 SETMETADATA Notes (/shared/vendor/x/lines {8+}\r\none\r\ntwo)\r\n
S: c1 OK SETMETADATA completed
C: c2 GETMETADATA Notes /shared/vendor/x/lines
S: * METADATA Notes (/shared/vendor/x/lines {8}
S: one
S: two)
S: c2 OK GETMETADATA completed
# NIL removes; removing what is not there is fine. An empty string is a value.
C: c3 SETMETADATA Notes (/shared/vendor/x/lines NIL /shared/vendor/x/never NIL /private/comment "")
S: c3 OK SETMETADATA completed
C: c4 GETMETADATA Notes (/shared/vendor/x/lines /private/comment)
S: * METADATA Notes (/shared/vendor/x/lines NIL /private/comment "")
S: c4 OK GETMETADATA completed
# The server's entries: /private ones are the user's, /shared ones the
# administrator's.
C: d1 SETMETADATA "" (/private/vendor/x/theme "dark")
S: d1 OK SETMETADATA completed
C: d2 GETMETADATA "" (/private/vendor/x/theme /shared/comment)
S: * METADATA "" (/private/vendor/x/theme "dark" /shared/comment NIL)
S: d2 OK GETMETADATA completed
C: d3 SETMETADATA "" (/private/vendor/x/theme NIL /shared/comment "mine now")
S: d3 NO [NOPERM] *
C: d4 GETMETADATA "" /private/vendor/x/theme
S: * METADATA "" (/private/vendor/x/theme "dark")
S: d4 OK GETMETADATA completed
# Bad names and arguments are BAD; nothing of a refused SETMETADATA is set.
C: e1 GETMETADATA Notes /foo/bar
S: e1 BAD *
C: e2 SETMETADATA Notes (/shared "x")
S: e2 BAD *
C: e3 SETMETADATA Notes (/shared//x "x")
S: e3 BAD *
C: e4 GETMETADATA Notes /shared/x/
S: e4 BAD *
C: e5 GETMETADATA Notes /shared/x*
S: e5 BAD *
C: e6 GETMETADATA (DEPTH 2) Notes /shared/comment
S: e6 BAD *
C: e7 GETMETADATA (MAXSIZE 1 MAXSIZE 2) Notes /shared/comment
S: e7 BAD *
C: e8 SETMETADATA Notes (/shared/comment)
S: e8 BAD *
C: e9 SETMETADATA Notes (/shared/comment atom)
S: e9 BAD *
C: e10 GETMETADATA Notes
S: e10 BAD *
# A value over 16 KiB: [METADATA MAXSIZE]; a literal over the 64 KiB every
# command has is refused before its "+".
C: e11 SETMETADATA Notes (/shared/vendor/x/ok "1" /shared/vendor/x/big {16385+}
C: $(v*16385))
S: e11 NO [METADATA MAXSIZE 16384] *
C: e13 SETMETADATA Notes (/shared/vendor/x/ok "1" /shared/vendor/x/big {65537}
S: e13 NO [TOOBIG] *
C: e12 GETMETADATA Notes /shared/vendor/x/ok
S: * METADATA Notes (/shared/vendor/x/ok NIL)
S: e12 OK GETMETADATA completed
C: f1 GETMETADATA Nope /shared/comment
S: f1 NO [NONEXISTENT] *
C: f2 SETMETADATA Nope (/shared/comment "x")
S: f2 NO [NONEXISTENT] *
C: g1 RENAME Notes Kept
S: g1 OK RENAME completed
C: g2 GETMETADATA Kept /shared/comment
S: * METADATA Kept (/shared/comment "Team notes")
S: g2 OK GETMETADATA completed
C: g3 DELETE Kept
S: g3 OK DELETE completed
C: g4 CREATE Kept
S: g4 OK CREATE completed
C: g5 GETMETADATA Kept /shared/comment
S: * METADATA Kept (/shared/comment NIL)
S: g5 OK GETMETADATA completed
# At most 128 names in one GETMETADATA (METADATA_NAMES_MAX); a name asked
# twice is answered once.
C: h1 GETMETADATA Kept ($(/shared/x *127)/shared/y)
S: * METADATA Kept (/shared/x NIL /shared/y NIL)
S: h1 OK GETMETADATA completed
C: h2 GETMETADATA Kept ($(/shared/x *128)/shared/y)
S: h2 BAD *
