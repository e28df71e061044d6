# ENABLE (RFC 5161) works only in the authenticated state; unknown extensions
# are ignored, so "* ENABLED" may list nothing.
connect imap
S: * OK *
C: a ENABLE IMAP4rev2
S: a BAD *
login alice
C: b ENABLE IMAP4rev2
S: * ENABLED IMAP4rev2
S: b OK ENABLE completed
C: c ENABLE X-PETREL-UNKNOWN
S: * ENABLED
S: c OK ENABLE completed
C: d ENABLE
S: d BAD *
