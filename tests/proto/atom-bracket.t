# RFC 9051 §9: '[' is an ATOM-CHAR, so a mailbox name may hold it unquoted.
# Only after a FETCH attribute (BODY, BINARY ...) does '[' open a section.
login alice
C: a CREATE a[b
S: a OK *
C: b SELECT a[b
S: * *
S: * *
S: * *
S: * *
S: * *
S: * *
S: b OK [READ-WRITE] *
C: c LIST "" a[b
S: * LIST (\HasNoChildren) "/" a[b
S: c OK *
C: d LIST "" !#$$&'+,-.0123456789:;<=>?@^_`|[}%*
S: d OK *
C: e SELECT !#$$&'+,-.0123456789:;<=>?@^_`|[}
S: e NO [CANNOT] Mailbox name has invalid modified UTF-7
C: f STATUS [x]y (MESSAGES)
S: f NO [NONEXISTENT] *
