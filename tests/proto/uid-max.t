# RFC 9051 §9: 4294967295 is an ordinary nz-number, never '*'. With UIDs 1-3,
# "UID x 4294967295" names no message and "4:4294967295" is empty; "3:*"
# still reaches the last message.
include inbox-3-messages
C: s SELECT INBOX
S: * 3 EXISTS
S: * *
S: * *
S: * *
S: * *
S: * *
S: * *
S: s OK [READ-WRITE] *
C: a UID SEARCH UID 4:4294967295
S: * SEARCH
S: a OK *
C: b UID SEARCH UID 4294967295
S: * SEARCH
S: b OK *
C: c UID SEARCH UID 3:4294967295
S: * SEARCH 3
S: c OK *
C: d UID FETCH 4294967295 UID
S: d OK *
C: e UID STORE 4294967295 +FLAGS (\Deleted)
S: e OK *
C: f UID COPY 4294967295 INBOX
S: f OK *
C: g UID MOVE 4294967295 INBOX
S: g OK *
C: h UID EXPUNGE 4294967295
S: h OK *
C: i UID FETCH 4294967295:* UID
S: * 3 FETCH (UID 3)
S: i OK *
C: j FETCH 1:* (UID FLAGS)
S: * 1 FETCH (UID 1 FLAGS (\Recent))
S: * 2 FETCH (UID 2 FLAGS (\Recent))
S: * 3 FETCH (UID 3 FLAGS (\Recent))
S: j OK *
