# A response that is not base64 is a syntax error (RFC 9051 §6.2.2): BAD.
connect imap
S: * OK *
C: a AUTHENTICATE PLAIN
S: + 
C: !!not-base64!!
S: a BAD Invalid base64*
C: b AUTHENTICATE PLAIN YWxp#2U=
S: b BAD Invalid base64*
C: c NOOP
S: c OK NOOP completed
