# ENABLE with a known and an unknown extension lists only the known one (RFC 5161 §3.1).
login alice
C: a ENABLE X-PETREL-UNKNOWN imap4rev2
S: * ENABLED IMAP4rev2
S: a OK ENABLE completed
