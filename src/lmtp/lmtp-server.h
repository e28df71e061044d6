/* LMTP (RFC 2033): how an MTA (Postfix) hands mail to petrel. One session
 * per connection, on the loop that accepted it, like an IMAP session:
 * LHLO, MAIL FROM, RCPT TO (one per recipient, each looked up on a worker),
 * DATA (dot-stuffed, bounded by the store's size limit), then one reply per
 * accepted recipient once its copy is durable in that user's INBOX (or, for
 * user+detail@domain, in the mailbox named detail when it exists). Also
 * RSET, NOOP, VRFY, QUIT. Extensions: PIPELINING, ENHANCEDSTATUSCODES,
 * 8BITMIME, SIZE. Sessions in IDLE of each recipient are woken. */
#ifndef PETREL_LMTP_SERVER_H
#define PETREL_LMTP_SERVER_H

#include <stdbool.h>
#include <sys/socket.h>

struct loop;
struct passdb;
struct user_services;

/* What LMTP sessions share, set up at start and read-only afterwards. */
struct lmtp_server {
	const struct user_services *users;   /* users' stores and their jobs */
	struct passdb *passdb;               /* RCPT TO's lookups */
	bool quota_full_tempfail;            /* over quota: 452 4.2.2, not 552 5.2.2 */
	const char *recipient_delimiter;     /* user+detail -> mailbox detail; NULL: off */
	const char *public_recipient;        /* its +detail names a public mailbox; NULL: off */
};

/* listener_accept_fn; ctx is the struct lmtp_server. */
void lmtp_server_accept(struct loop *loop, int fd, const struct sockaddr *peer,
			socklen_t peer_len, bool implicit_tls, void *ctx);

#endif
