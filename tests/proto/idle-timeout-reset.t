# Every command restarts the inactivity timer, before login (login_timeout)
# and after (idle_timeout).
config login_timeout=2
config idle_timeout=2
connect imap
S: * OK *
sleep 1200
C: a NOOP
S: a OK NOOP completed
sleep 1200
login alice
sleep 1200
C: b NOOP
S: b OK NOOP completed
expect-after 1000
expect-within 5000
S: * BYE Autologout*
S: <eof>
