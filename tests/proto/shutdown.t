# SIGTERM: every client, in any state and on any listener, gets BYE before the
# server closes the connection and exits 0.
connect imap as one
S: * OK *
connect imap as two
login alice
connect imaps as three
S: * OK *
shutdown
use one
S: * BYE Server shutting down
S: <eof>
use two
S: * BYE Server shutting down
S: <eof>
use three
S: * BYE Server shutting down
S: <eof>
