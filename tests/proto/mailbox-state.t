# The mailbox commands need a login (RFC 9051 §6.3): before it they are
# BAD, and nothing reaches a store.
connect imap
S: * OK *
C: a1 CREATE Foo
S: a1 BAD *
C: a2 DELETE Foo
S: a2 BAD *
C: a3 RENAME Foo Bar
S: a3 BAD *
C: a4 SUBSCRIBE Foo
S: a4 BAD *
C: a5 UNSUBSCRIBE Foo
S: a5 BAD *
C: a6 LIST "" *
S: a6 BAD *
C: a7 LSUB "" *
S: a7 BAD *
C: a8 NAMESPACE
S: a8 BAD *
C: a9 STATUS INBOX (MESSAGES)
S: a9 BAD *
C: b LOGIN alice alice-secret
S: b OK *
C: c LIST "" Foo
S: c OK LIST completed
