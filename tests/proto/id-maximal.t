# ID before login (RFC 2971 §3.3): the largest ID a client may send, 30 pairs
# of a 30-octet field and a 1024-octet value, fits the pre-login limits; a
# line longer than that still ends the session (RFC 9051 §7.1.5).
connect imap
S: * OK *
C: a ID ("f01$(x*27)" "$(v*1024)" "f02$(x*27)" "$(v*1024)" "f03$(x*27)" "$(v*1024)" "f04$(x*27)" "$(v*1024)" "f05$(x*27)" "$(v*1024)" "f06$(x*27)" "$(v*1024)" "f07$(x*27)" "$(v*1024)" "f08$(x*27)" "$(v*1024)" "f09$(x*27)" "$(v*1024)" "f10$(x*27)" "$(v*1024)" "f11$(x*27)" "$(v*1024)" "f12$(x*27)" "$(v*1024)" "f13$(x*27)" "$(v*1024)" "f14$(x*27)" "$(v*1024)" "f15$(x*27)" "$(v*1024)" "f16$(x*27)" "$(v*1024)" "f17$(x*27)" "$(v*1024)" "f18$(x*27)" "$(v*1024)" "f19$(x*27)" "$(v*1024)" "f20$(x*27)" "$(v*1024)" "f21$(x*27)" "$(v*1024)" "f22$(x*27)" "$(v*1024)" "f23$(x*27)" "$(v*1024)" "f24$(x*27)" "$(v*1024)" "f25$(x*27)" "$(v*1024)" "f26$(x*27)" "$(v*1024)" "f27$(x*27)" "$(v*1024)" "f28$(x*27)" "$(v*1024)" "f29$(x*27)" "$(v*1024)" "f30$(x*27)" "$(v*1024)")
S: * ID ("name" "petrel" "version" "$version")
S: a OK ID completed
C: b LOGOUT
S: * BYE *
S: b OK *
S: <eof>
# A 31st pair is refused as a bad argument, not by the line limit.
connect imap
S: * OK *
C: c ID ("f01$(x*27)" "$(v*1024)" "f02$(x*27)" "$(v*1024)" "f03$(x*27)" "$(v*1024)" "f04$(x*27)" "$(v*1024)" "f05$(x*27)" "$(v*1024)" "f06$(x*27)" "$(v*1024)" "f07$(x*27)" "$(v*1024)" "f08$(x*27)" "$(v*1024)" "f09$(x*27)" "$(v*1024)" "f10$(x*27)" "$(v*1024)" "f11$(x*27)" "$(v*1024)" "f12$(x*27)" "$(v*1024)" "f13$(x*27)" "$(v*1024)" "f14$(x*27)" "$(v*1024)" "f15$(x*27)" "$(v*1024)" "f16$(x*27)" "$(v*1024)" "f17$(x*27)" "$(v*1024)" "f18$(x*27)" "$(v*1024)" "f19$(x*27)" "$(v*1024)" "f20$(x*27)" "$(v*1024)" "f21$(x*27)" "$(v*1024)" "f22$(x*27)" "$(v*1024)" "f23$(x*27)" "$(v*1024)" "f24$(x*27)" "$(v*1024)" "f25$(x*27)" "$(v*1024)" "f26$(x*27)" "$(v*1024)" "f27$(x*27)" "$(v*1024)" "f28$(x*27)" "$(v*1024)" "f29$(x*27)" "$(v*1024)" "f30$(x*27)" "$(v*1024)" "f31" "v")
S: c BAD Invalid ID parameter list
C: d ID ("f01" "$(v*1025)")
S: d BAD Invalid ID field or value
# 33,000 octets is over the pre-login line limit.
C: e ID ("f01" "$(v*33000)")
S: e BAD Command line too long
S: * BYE Command line too long
S: <eof>
