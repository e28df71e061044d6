/* Logging to stderr, one line per call, safe from any thread. Never log
 * passwords or message contents. */
#ifndef PETREL_LOG_H
#define PETREL_LOG_H

/* LOG_ALWAYS is printed whatever the level (labelled "info"): the lines
 * tooling reads, such as "listening imap ADDR:PORT". */
enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR, LOG_ALWAYS };

void log_set_level(enum log_level level);
void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_always(...) log_msg(LOG_ALWAYS, __VA_ARGS__)

#endif
