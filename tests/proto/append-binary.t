# BINARY (RFC 3516 §4.4): a message APPENDed as literal8 is stored byte for
# byte, so a binary part's bare LFs come back unchanged: BINARY.SIZE is the
# 7 octets sent and RFC822.SIZE the 165 sent (not 9 and 167, as when bare
# LFs were stored as CRLF). A plain literal's bare LF still becomes CRLF.
login alice
raw: a APPEND INBOX ~{165}\r\n
S: + *
raw: From: user@domain.org\r\nDate: Sat, 24 Mar 2007 23:00:00 +0200\r\nMime-Version: 1.0\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n\x00-\xe4\n\r\n\n\r\n
S: a OK [APPENDUID $uv 1] APPEND completed
C: b APPEND INBOX {13}
S: + *
raw: Subject: x\n\nb\r\n
S: b OK [APPENDUID $uv 2] APPEND completed
C: c EXAMINE INBOX
S: * 2 EXISTS
S: * *
S: * *
S: * *
S: * *
S: * *
S: * *
S: c OK [READ-ONLY] *
C: d FETCH 1:2 (RFC822.SIZE BINARY.SIZE[1])
S: * 1 FETCH (RFC822.SIZE 165 BINARY.SIZE[1] 7)
S: * 2 FETCH (RFC822.SIZE 15 BINARY.SIZE[1] 1)
S: d OK FETCH completed
C: e FETCH 1 (BINARY.PEEK[1]<1.1>)
S: * 1 FETCH (BINARY[1]<1> ~{1}
S: -)
S: e OK FETCH completed
