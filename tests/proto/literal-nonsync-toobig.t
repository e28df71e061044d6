# A non-synchronizing literal over the limit cannot be refused before its
# bytes arrive (RFC 7888 §4): the command fails, and the server says BYE and
# closes the connection instead of parsing the literal's bytes as commands.
connect imap
S: * OK *
C: a LOGIN alice {9000+}
S: a NO [TOOBIG] Literal too big (max 8192 bytes)
S: * BYE Non-synchronizing literal too big
S: <eof>
