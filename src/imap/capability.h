/* The CAPABILITY list for a session's current state (RFC 9051 §7.2.2):
 * STARTTLS only before TLS, LOGINDISABLED and no cleartext mechanisms where
 * cleartext passwords are refused, no AUTH= after login. Only what works is
 * advertised. */
#ifndef PETREL_IMAP_CAPABILITY_H
#define PETREL_IMAP_CAPABILITY_H

#include "core/buf.h"

struct imap_session;

/* Appends the space-separated list (without "CAPABILITY"). */
void imap_capability_list(const struct imap_session *s, struct buf *out);

#endif
