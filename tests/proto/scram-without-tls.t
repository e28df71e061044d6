# SCRAM-SHA-256 never sends the password, so it stays allowed on an insecure
# connection (RFC 7677): the server answers the client-first message with its
# server-first message instead of PRIVACYREQUIRED. The full exchange (which
# needs the server's nonce) is done by tests/clients/test_imaplib.py.
config treat_loopback_as_insecure=yes
connect imap
S: * OK *
# client-first "n,,n=alice,r=fyko+d2lbbFgONRv9qkxdawL" (RFC 5802 §5)
C: a AUTHENTICATE SCRAM-SHA-256 biwsbj1hbGljZSxyPWZ5a28rZDJsYmJGZ09OUnY5cWt4ZGF3TA==
S: + $server_first
C: *
S: a BAD Authentication cancelled
C: b NOOP
S: b OK NOOP completed
