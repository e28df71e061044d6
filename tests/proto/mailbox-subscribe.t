# SUBSCRIBE and UNSUBSCRIBE (RFC 9051 §6.3.7, §6.3.8) and LSUB (RFC 3501
# §6.3.9). Subscriptions are names: a name may be subscribed without being
# a mailbox, and stays subscribed when its mailbox is deleted.
# Unsubscribing a name that is not subscribed is OK (RFC 9051 §6.3.8).
# LSUB "%" also lists, as \Noselect, an unsubscribed parent of subscribed
# names; LSUB marks \Noselect every subscribed name that cannot be
# selected.
login alice
# A new user is subscribed to the default mailboxes.
C: a1 LSUB "" *
S: * LSUB () "/" INBOX
S: * LSUB () "/" Archive
S: * LSUB () "/" Drafts
S: * LSUB () "/" Junk
S: * LSUB () "/" Sent
S: * LSUB () "/" Trash
S: a1 OK LSUB completed
C: a2 CREATE Lists/petrel
S: a2 OK CREATE completed
C: a3 CREATE Lists/other
S: a3 OK CREATE completed
C: a4 SUBSCRIBE Lists/petrel
S: a4 OK SUBSCRIBE completed
C: a5 SUBSCRIBE Lists/petrel
S: a5 OK SUBSCRIBE completed
C: a6 SUBSCRIBE "Not yet"
S: a6 OK SUBSCRIBE completed
C: a7 UNSUBSCRIBE Junk
S: a7 OK UNSUBSCRIBE completed
C: a8 UNSUBSCRIBE Junk
S: a8 OK UNSUBSCRIBE completed
C: a9 UNSUBSCRIBE Never
S: a9 OK UNSUBSCRIBE completed
C: b1 LSUB "" *
S: * LSUB () "/" INBOX
S: * LSUB () "/" Archive
S: * LSUB () "/" Drafts
S: * LSUB () "/" Lists/petrel
S: * LSUB (\Noselect) "/" "Not yet"
S: * LSUB () "/" Sent
S: * LSUB () "/" Trash
S: b1 OK LSUB completed
C: b2 LSUB "" %
S: * LSUB () "/" INBOX
S: * LSUB () "/" Archive
S: * LSUB () "/" Drafts
S: * LSUB (\Noselect) "/" Lists
S: * LSUB (\Noselect) "/" "Not yet"
S: * LSUB () "/" Sent
S: * LSUB () "/" Trash
S: b2 OK LSUB completed
C: b3 LSUB Lists/ %
S: * LSUB () "/" Lists/petrel
S: b3 OK LSUB completed
C: b4 LSUB "" L*
S: * LSUB () "/" Lists/petrel
S: b4 OK LSUB completed
# Subscribed parent and child: each listed once, as itself.
C: b5 SUBSCRIBE Lists
S: b5 OK SUBSCRIBE completed
C: b6 LSUB "" L%
S: * LSUB () "/" Lists
S: b6 OK LSUB completed
# Deleting keeps the subscription (RFC 9051 §6.3.5).
C: c1 DELETE Lists/petrel
S: c1 OK DELETE completed
C: c2 LSUB "" Lists*
S: * LSUB () "/" Lists
S: * LSUB (\Noselect) "/" Lists/petrel
S: c2 OK LSUB completed
C: c3 LIST (SUBSCRIBED) "" Lists*
S: * LIST (\HasChildren \Subscribed) "/" Lists
S: * LIST (\NonExistent \HasNoChildren \Subscribed) "/" Lists/petrel
S: c3 OK LIST completed
# A mailbox created under a subscribed name is the subscribed mailbox.
C: c4 CREATE Lists/petrel
S: c4 OK CREATE completed
C: c5 LIST "" Lists/petrel RETURN (SUBSCRIBED)
S: * LIST (\HasNoChildren \Subscribed) "/" Lists/petrel
S: c5 OK LIST completed
C: c6 LSUB "" inbox
S: * LSUB () "/" INBOX
S: c6 OK LSUB completed
C: c7 LSUB "" ""
S: c7 OK LSUB completed
# Errors.
C: d1 SUBSCRIBE
S: d1 BAD *
C: d2 SUBSCRIBE a b
S: d2 BAD *
C: d3 UNSUBSCRIBE (a)
S: d3 BAD *
C: d4 SUBSCRIBE "a//b"
S: d4 NO [CANNOT] *
C: d5 LSUB ""
S: d5 BAD *
C: d6 LSUB "" (a b)
S: d6 BAD *
C: d7 LSUB (SUBSCRIBED) "" *
S: d7 BAD *
