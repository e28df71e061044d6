# Literals {N} get a "+" continuation; {N+} (RFC 7888) do not; a literal may
# stand wherever a string may (RFC 9051 §4.3).
config auth_failure_delay_ms=200
connect imap
S: * OK *
C: a ID ("name" {4}
S: + *
C: test "version" {3+}
C: 1.0)
S: * ID ("name" "petrel" *
S: a OK ID completed
# An empty literal.
C: b LOGIN alice {0}
S: + *
C: 
S: b NO [AUTHENTICATIONFAILED] Authentication failed
# A literal well within the 8 KiB limit before login.
C: c LOGIN alice {4000}
S: + *
C: $(x*4000)
S: c NO [AUTHENTICATIONFAILED] Authentication failed
# Literal bytes are data, not syntax: a CRLF inside does not end the command.
C: d ID ("x-crlf" {5}
S: + *
C: one
C: )
S: * ID ("name" "petrel" *
S: d OK ID completed
