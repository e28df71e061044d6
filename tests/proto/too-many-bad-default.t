# The default limit is 20 bad commands, here sent in a single write.
connect imap
S: * OK *
raw: $(z XYZZY\r\n*20)
S: z BAD Unknown command*
S: z BAD Unknown command*
S: z BAD Unknown command*
S: z BAD Unknown command*
S: z BAD Unknown command*
S: z BAD Unknown command*
S: z BAD Unknown command*
S: z BAD Unknown command*
S: z BAD Unknown command*
S: z BAD Unknown command*
S: z BAD Unknown command*
S: z BAD Unknown command*
S: z BAD Unknown command*
S: z BAD Unknown command*
S: z BAD Unknown command*
S: z BAD Unknown command*
S: z BAD Unknown command*
S: z BAD Unknown command*
S: z BAD Unknown command*
S: z BAD Unknown command*
S: * BYE Too many invalid commands
S: <eof>
