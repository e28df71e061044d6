# A command line over the limit (32 KiB before login, 64 KiB after) ends the
# session with BYE (RFC 9051 §7.1.5): the server cannot resynchronise. The
# command whose tag was read still gets its tagged BAD first, so a client
# waiting for it is not left hanging.
connect imap
S: * OK *
C: a NOOP $(x*33000)
S: a BAD Command line too long
S: * BYE Command line too long
S: <eof>
connect imap
S: * OK *
login alice
# 33000 octets are fine after login: NOOP just has an argument too many.
C: b NOOP $(x*33000)
S: b BAD *
C: c NOOP $(x*70000)
S: c BAD Command line too long
S: * BYE Command line too long
S: <eof>
