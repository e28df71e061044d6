# BINARY (RFC 3516 §4.4): a literal8 message larger than one append chunk
# (256 KiB) takes the streamed path and is also stored byte for byte: its
# 150,000 bare LFs stay LFs (RFC822.SIZE 300091, BINARY.SIZE 300000).
# Lines mode only: 300 KB one byte per write would take minutes.
modes lines
login alice
raw: a APPEND INBOX ~{300091}\r\n
S: + *
raw: Subject: big\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n$(\x00\n*150000)\r\n
S: a OK [APPENDUID $uv 1] APPEND completed
C: b EXAMINE INBOX
S: * 1 EXISTS
S: * *
S: * *
S: * *
S: * *
S: * *
S: * *
S: b OK [READ-ONLY] *
C: c FETCH 1 (RFC822.SIZE BINARY.SIZE[1])
S: * 1 FETCH (RFC822.SIZE 300091 BINARY.SIZE[1] 300000)
S: c OK FETCH completed
