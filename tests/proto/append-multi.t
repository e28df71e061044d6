# MULTIAPPEND (RFC 3502) of six 200 KiB messages: the first ones are held in
# memory and stored by the command's own job, those past 1 MiB go to the
# store chunk by chunk; all six land in one transaction with one APPENDUID.
# (Sent in whole lines only: 1.2 MB one byte per write takes too long.)
modes lines
connect imap
S: * OK *
login alice
raw: a APPEND INBOX (\\Seen) {204800+}\r\n$(a*204800) {204800+}\r\n$(b*204800) {204800+}\r\n$(c*204800) {204800+}\r\n$(d*204800) {204800+}\r\n$(e*204800) (\\Flagged) "17-Jul-1996 02:44:25 -0700" {204800+}\r\n$(f*204800)\r\n
S: a OK [APPENDUID $uv 1:6] APPEND completed
C: b STATUS INBOX (MESSAGES SIZE UNSEEN)
S: * STATUS INBOX (MESSAGES 6 SIZE 1228800 UNSEEN 5)
S: b OK STATUS completed
# A bad argument after streamed messages: the whole command is refused and
# nothing is added.
raw: c APPEND INBOX {10+}\r\n0123456789 (\\Bogus) {10+}\r\n0123456789\r\n
S: c BAD *
C: d STATUS INBOX (MESSAGES)
S: * STATUS INBOX (MESSAGES 6)
S: d OK STATUS completed
