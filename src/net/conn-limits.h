/* Connection counting, in total and per client address, shared by all
 * loops: a flood from one address cannot take every slot. IPv6 clients are
 * counted per /64, since one host usually owns a whole /64. */
#ifndef PETREL_NET_CONN_LIMITS_H
#define PETREL_NET_CONN_LIMITS_H

#include <stdbool.h>
#include <sys/socket.h>

void conn_limits_configure(unsigned int max_total, unsigned int max_per_ip);
/* Counts the connection and returns true, or returns false (nothing counted)
 * when a limit is reached. */
bool conn_limits_acquire(const struct sockaddr *peer);
void conn_limits_release(const struct sockaddr *peer);
unsigned int conn_limits_total(void);

#endif
