# An authenticated client that says nothing for idle_timeout seconds is logged
# out (RFC 9051 §5.4 allows an inactivity autologout; 30 minutes at least in
# production, 1 s here).
config idle_timeout=1
login alice
expect-after 500
expect-within 4000
S: * BYE Autologout*
S: <eof>
