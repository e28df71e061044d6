# Before login the inactivity limit is login_timeout (default 60 s), much
# shorter than idle_timeout: an unauthenticated connection is cheap to open.
config login_timeout=1
connect imap
S: * OK *
expect-after 500
expect-within 4000
S: * BYE Autologout*
S: <eof>
