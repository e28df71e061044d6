# By default a failed login is answered no sooner than about a second
# (auth_failure_delay_ms defaults to 2000), to slow down password guessing.
connect imap
S: * OK *
C: a LOGIN alice wrong-secret
expect-after 1000
S: a NO [AUTHENTICATIONFAILED] Authentication failed
