# After max_bad_commands syntax errors or unknown commands the server gives up
# on the client: BYE and close.
config max_bad_commands=3
connect imap
S: * OK *
C: a XYZZY
S: a BAD Unknown command*
C: b NOOP extra
S: b BAD *
C: c LOGIN
S: c BAD *
S: * BYE Too many invalid commands
S: <eof>
