# LIST-EXTENDED (RFC 5258, part of RFC 9051 §6.3.9): selection options
# SUBSCRIBED (with \NonExistent for subscribed names that are no mailbox),
# RECURSIVEMATCH (only with SUBSCRIBED; CHILDINFO for parents of
# subscribed names the pattern does not reach), REMOTE (nothing remote:
# no effect) and SPECIAL-USE (RFC 6154 §5.1); return options SUBSCRIBED,
# CHILDREN and SPECIAL-USE; several patterns; "" is ignored in an
# extended LIST. The RFC 5258 §5 examples' mailboxes, roughly.
login alice
C: a1 CREATE Fruit/banana
S: a1 OK CREATE completed
C: a2 CREATE Fruit/peach
S: a2 OK CREATE completed
C: a3 CREATE Vegetable
S: a3 OK CREATE completed
C: a4 SUBSCRIBE Fruit/banana
S: a4 OK SUBSCRIBE completed
C: a5 SUBSCRIBE "Vegetable/sweet potatoes"
S: a5 OK SUBSCRIBE completed
C: a6 UNSUBSCRIBE Junk
S: a6 OK UNSUBSCRIBE completed
C: b1 LIST (SUBSCRIBED) "" *
S: * LIST (\HasNoChildren \Subscribed) "/" INBOX
S: * LIST (\HasNoChildren \Subscribed \Archive) "/" Archive
S: * LIST (\HasNoChildren \Subscribed \Drafts) "/" Drafts
S: * LIST (\HasNoChildren \Subscribed) "/" Fruit/banana
S: * LIST (\HasNoChildren \Subscribed \Sent) "/" Sent
S: * LIST (\HasNoChildren \Subscribed \Trash) "/" Trash
S: * LIST (\NonExistent \HasNoChildren \Subscribed) "/" "Vegetable/sweet potatoes"
S: b1 OK LIST completed
# The return option marks, and adds no names.
C: b2 LIST "" * RETURN (SUBSCRIBED)
S: * LIST (\HasNoChildren \Subscribed) "/" INBOX
S: * LIST (\HasNoChildren \Subscribed \Archive) "/" Archive
S: * LIST (\HasNoChildren \Subscribed \Drafts) "/" Drafts
S: * LIST (\HasChildren) "/" Fruit
S: * LIST (\HasNoChildren \Subscribed) "/" Fruit/banana
S: * LIST (\HasNoChildren) "/" Fruit/peach
S: * LIST (\HasNoChildren \Junk) "/" Junk
S: * LIST (\HasNoChildren \Subscribed \Sent) "/" Sent
S: * LIST (\HasNoChildren \Subscribed \Trash) "/" Trash
S: * LIST (\HasNoChildren) "/" Vegetable
S: b2 OK LIST completed
# RECURSIVEMATCH: Fruit and Vegetable are not subscribed, but have
# subscribed names below that "%" does not reach.
C: c1 LIST (SUBSCRIBED RECURSIVEMATCH) "" %
S: * LIST (\HasNoChildren \Subscribed) "/" INBOX
S: * LIST (\HasNoChildren \Subscribed \Archive) "/" Archive
S: * LIST (\HasNoChildren \Subscribed \Drafts) "/" Drafts
S: * LIST (\HasChildren) "/" Fruit ("CHILDINFO" ("SUBSCRIBED"))
S: * LIST (\HasNoChildren \Subscribed \Sent) "/" Sent
S: * LIST (\HasNoChildren \Subscribed \Trash) "/" Trash
S: * LIST (\HasNoChildren) "/" Vegetable ("CHILDINFO" ("SUBSCRIBED"))
S: c1 OK LIST completed
# With "*" the children are listed themselves: no parent is added.
C: c2 LIST (SUBSCRIBED RECURSIVEMATCH) "" F*
S: * LIST (\HasNoChildren \Subscribed) "/" Fruit/banana
S: c2 OK LIST completed
# A subscribed parent says it has subscribed children too.
C: c3 SUBSCRIBE Fruit
S: c3 OK SUBSCRIBE completed
C: c4 LIST (SUBSCRIBED RECURSIVEMATCH) "" F*
S: * LIST (\HasChildren \Subscribed) "/" Fruit ("CHILDINFO" ("SUBSCRIBED"))
S: * LIST (\HasNoChildren \Subscribed) "/" Fruit/banana
S: c4 OK LIST completed
# A parent that does not exist at all is \NonExistent.
C: c5 SUBSCRIBE Tofu/Silken
S: c5 OK SUBSCRIBE completed
C: c6 LIST (SUBSCRIBED RECURSIVEMATCH) "" T%
S: * LIST (\NonExistent \HasNoChildren) "/" Tofu ("CHILDINFO" ("SUBSCRIBED"))
S: * LIST (\HasNoChildren \Subscribed \Trash) "/" Trash
S: c6 OK LIST completed
C: c7 LIST (RECURSIVEMATCH) "" %
S: c7 BAD *
C: c8 LIST (REMOTE RECURSIVEMATCH) "" %
S: c8 BAD *
C: c9 LIST (RECURSIVEMATCH SUBSCRIBED REMOTE) "" Tofu
S: * LIST (\NonExistent \HasNoChildren) "/" Tofu ("CHILDINFO" ("SUBSCRIBED"))
S: c9 OK LIST completed
# SPECIAL-USE selects mailboxes with a special use; every option must hold.
C: d1 LIST (SPECIAL-USE) "" *
S: * LIST (\HasNoChildren \Archive) "/" Archive
S: * LIST (\HasNoChildren \Drafts) "/" Drafts
S: * LIST (\HasNoChildren \Junk) "/" Junk
S: * LIST (\HasNoChildren \Sent) "/" Sent
S: * LIST (\HasNoChildren \Trash) "/" Trash
S: d1 OK LIST completed
C: d2 LIST (SPECIAL-USE SUBSCRIBED) "" * RETURN (CHILDREN SPECIAL-USE)
S: * LIST (\HasNoChildren \Subscribed \Archive) "/" Archive
S: * LIST (\HasNoChildren \Subscribed \Drafts) "/" Drafts
S: * LIST (\HasNoChildren \Subscribed \Sent) "/" Sent
S: * LIST (\HasNoChildren \Subscribed \Trash) "/" Trash
S: d2 OK LIST completed
C: d3 LIST "" (Sent Junk) RETURN (SPECIAL-USE)
S: * LIST (\HasNoChildren \Junk) "/" Junk
S: * LIST (\HasNoChildren \Sent) "/" Sent
S: d3 OK LIST completed
C: d4 LIST (REMOTE) "" F*
S: * LIST (\HasChildren) "/" Fruit
S: * LIST (\HasNoChildren) "/" Fruit/banana
S: * LIST (\HasNoChildren) "/" Fruit/peach
S: d4 OK LIST completed
# Several patterns: each name once, in the usual order; "" matches nothing.
C: e1 LIST "" (Sent S* *ent "" Fruit)
S: * LIST (\HasChildren) "/" Fruit
S: * LIST (\HasNoChildren \Sent) "/" Sent
S: e1 OK LIST completed
C: e2 LIST () "" ""
S: e2 OK LIST completed
C: e3 LIST "" ("")
S: e3 OK LIST completed
C: e4 LIST "" "" RETURN ()
S: e4 OK LIST completed
C: e5 LIST (SUBSCRIBED SUBSCRIBED) "" Fruit RETURN (SUBSCRIBED CHILDREN SUBSCRIBED)
S: * LIST (\HasChildren \Subscribed) "/" Fruit
S: e5 OK LIST completed
C: e6 LIST () "" V* RETURN ()
S: * LIST (\HasNoChildren) "/" Vegetable
S: e6 OK LIST completed
# Unknown options and malformed lists are BAD (RFC 5258 §3).
C: f1 LIST (FOO) "" *
S: f1 BAD *
C: f2 LIST "" * RETURN (FOO)
S: f2 BAD *
C: f3 LIST "" * RETURN SUBSCRIBED
S: f3 BAD *
C: f4 LIST "" * RETURN
S: f4 BAD *
C: f5 LIST "" * FOO ()
S: f5 BAD *
C: f6 LIST (SUBSCRIBED) (SUBSCRIBED) "" *
S: f6 BAD *
C: f7 LIST ((SUBSCRIBED)) "" *
S: f7 BAD *
C: f8 LIST "" ((a))
S: f8 BAD *
C: f9 LIST "" (a (b))
S: f9 BAD *
