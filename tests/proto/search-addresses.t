# SEARCH FROM/TO/CC/BCC match the address list as parsed (RFC 9051 §6.4.4;
# as Dovecot): comments inside an address do not hide it, a trailing
# comment is its display name, a group is found by its name.
login alice
C: a APPEND INBOX {90}
S: + *
C: From: <user-from (comment)@ (comment) domain.org>
C: To: user-to@domain.org (RealTo)
C: 
C: body
S: a OK *
C: b APPEND INBOX {62}
S: + *
C: From: RealFrom <user-from@domain.org>
C: To: groupname:;
C: 
C: body
S: b OK *
C: c SELECT INBOX
S: * 2 EXISTS
S: * *
S: * *
S: * *
S: * *
S: * *
S: * *
S: c OK [READ-WRITE] *
C: d SEARCH FROM user-from@domain.org
S: * SEARCH 1 2
S: d OK SEARCH completed
C: e SEARCH TO realto
S: * SEARCH 1
S: e OK SEARCH completed
C: f SEARCH TO groupname
S: * SEARCH 2
S: f OK SEARCH completed
C: g SEARCH FROM "realfrom <user-from@"
S: * SEARCH 2
S: g OK SEARCH completed
