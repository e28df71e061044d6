# NAMESPACE (RFC 2342, RFC 9051 §6.3.10): one personal namespace without a
# prefix and "/" as delimiter, the other users' under "Other Users/"; no
# shared namespace.
login alice
C: a1 NAMESPACE
S: * NAMESPACE (("" "/")) (("Other Users/" "/")) (("Shared/" "/"))
S: a1 OK NAMESPACE completed
C: a2 NAMESPACE extra
S: a2 BAD *
C: a3 SELECT INBOX
S: * 0 EXISTS
S: * 0 RECENT
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S: * OK [UIDVALIDITY $uv] UIDs valid
S: * OK [UIDNEXT 1] Predicted next UID
S: a3 OK [READ-WRITE] SELECT completed
C: a4 namespace
S: * NAMESPACE (("" "/")) (("Other Users/" "/")) (("Shared/" "/"))
S: a4 OK NAMESPACE completed
