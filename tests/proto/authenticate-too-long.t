# A SASL response line longer than the server will buffer ends the session:
# like a too-long command line, it cannot be resynchronised.
connect imap
S: * OK *
C: a AUTHENTICATE PLAIN
S: + 
C: $(x*20000)
S: * BYE *
S: <eof>
