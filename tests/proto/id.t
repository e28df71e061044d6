# ID (RFC 2971): the server names itself whether the client sends NIL or a list,
# before and after login.
connect imap
S: * OK *
C: a ID NIL
S: * ID ("name" "petrel" "version" "$version")
S: a OK ID completed
C: b ID ("name" "transcript" "version" "1.0")
S: * ID ("name" "petrel" "version" "$version")
S: b OK ID completed
# Field names are strings; a value may be NIL.
C: c ID ("name" NIL)
S: * ID ("name" "petrel" "version" "$version")
S: c OK ID completed
login alice
C: d ID NIL
S: * ID ("name" "petrel" "version" "$version")
S: d OK ID completed
