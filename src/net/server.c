/* Loop threads, signals and graceful shutdown. The main thread runs a tiny
 * event_base that only handles signals; everything else happens on loops. */
#include "net/server.h"

#include <event2/event.h>
#include <signal.h>
#include <stdlib.h>

#include "core/log.h"
#include "core/xalloc.h"
#include "net/conn.h"
#include "net/loop.h"

#define SERVER_MAX_LISTENERS 8
#define SHUTDOWN_POLL_MS 20

struct server;

struct loop_shutdown {
	struct server *server;
	struct loop *loop;
	struct event *timer;
	unsigned int waited_ms;
};

struct server {
	unsigned int loop_count;
	struct loop **loops;
	struct loop_shutdown *shutdowns;
	struct listener *listeners[SERVER_MAX_LISTENERS];
	unsigned int listener_count;
	void (*reload)(void *ctx);
	void *reload_ctx;
	struct event_base *signal_base;
};

static void server_signal_set(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
}

void server_block_signals(void)
{
	sigset_t block;

	server_signal_set(&block);
	pthread_sigmask(SIG_BLOCK, &block, NULL);
}

struct server *server_create(unsigned int loop_count)
{
	struct server *server = xcalloc(1, sizeof(*server));

	server->loop_count = loop_count;
	server->loops = xcalloc(loop_count, sizeof(*server->loops));
	server->shutdowns = xcalloc(loop_count, sizeof(*server->shutdowns));
	for (unsigned int i = 0; i < loop_count; i++)
		server->loops[i] = loop_create(i);
	return server;
}

void server_add_listener(struct server *server, struct listener *listener,
			 listener_accept_fn *accept_cb, void *ctx)
{
	if (server->listener_count >= SERVER_MAX_LISTENERS)
		abort();
	server->listeners[server->listener_count++] = listener;
	for (unsigned int i = 0; i < server->loop_count; i++)
		listener_attach(listener, server->loops[i], accept_cb, ctx);
}

static void loop_shutdown_poll(evutil_socket_t fd, short what, void *arg)
{
	struct loop_shutdown *sd = arg;

	(void)fd;
	(void)what;
	if (conn_count_on_this_loop() == 0 || sd->waited_ms >= SERVER_SHUTDOWN_GRACE_MS) {
		if (conn_count_on_this_loop() != 0)
			log_warn("loop %u: %u connections still open at shutdown",
				 loop_index(sd->loop), conn_count_on_this_loop());
		event_free(sd->timer);
		sd->timer = NULL;
		loop_stop(sd->loop);
		return;
	}
	sd->waited_ms += SHUTDOWN_POLL_MS;
	struct timeval tv = { 0, SHUTDOWN_POLL_MS * 1000 };
	event_add(sd->timer, &tv);
}

/* Runs on each loop's own thread. */
static void loop_begin_shutdown(void *arg)
{
	struct loop_shutdown *sd = arg;

	for (unsigned int i = 0; i < sd->server->listener_count; i++)
		listener_detach_this_loop(sd->server->listeners[i], sd->loop);
	conn_shutdown_all_on_this_loop();
	sd->timer = evtimer_new(loop_base(sd->loop), loop_shutdown_poll, sd);
	loop_shutdown_poll(-1, 0, sd);
}

static void on_stop_signal(evutil_socket_t sig, short what, void *arg)
{
	struct server *server = arg;

	(void)what;
	log_info("signal %d: shutting down", (int)sig);
	for (unsigned int i = 0; i < server->loop_count; i++) {
		server->shutdowns[i].server = server;
		server->shutdowns[i].loop = server->loops[i];
		loop_post(server->loops[i], loop_begin_shutdown, &server->shutdowns[i]);
	}
	event_base_loopbreak(server->signal_base);
}

static void on_hup_signal(evutil_socket_t sig, short what, void *arg)
{
	struct server *server = arg;

	(void)sig;
	(void)what;
	log_info("SIGHUP: reloading");
	if (server->reload != NULL)
		server->reload(server->reload_ctx);
}

int server_run(struct server *server, void (*reload)(void *ctx), void *reload_ctx)
{
	struct event *ev_term, *ev_int, *ev_hup;
	unsigned int started = 0;

	server->reload = reload;
	server->reload_ctx = reload_ctx;
	/* Writes to a closed TLS peer go through write(2): no SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	server->signal_base = event_base_new();
	ev_term = evsignal_new(server->signal_base, SIGTERM, on_stop_signal, server);
	ev_int = evsignal_new(server->signal_base, SIGINT, on_stop_signal, server);
	ev_hup = evsignal_new(server->signal_base, SIGHUP, on_hup_signal, server);
	event_add(ev_term, NULL);
	event_add(ev_int, NULL);
	event_add(ev_hup, NULL);

	/* Loop threads must not take the signals: they are blocked while the
	 * threads are created (the threads inherit the mask), then unblocked
	 * here, where libevent's handlers now catch any that were pending. */
	sigset_t block;
	server_signal_set(&block);
	pthread_sigmask(SIG_BLOCK, &block, NULL);
	for (; started < server->loop_count; started++) {
		if (loop_start_thread(server->loops[started]) != 0)
			break;
	}
	pthread_sigmask(SIG_UNBLOCK, &block, NULL);

	if (started == server->loop_count) {
		event_base_dispatch(server->signal_base);
	} else {
		log_error("cannot start loop thread %u", started);
		for (unsigned int i = 0; i < started; i++)
			loop_stop(server->loops[i]);
	}
	/* Stopping: a supervisor kept waiting signals again. Freeing the
	 * events below puts the default action back, which would kill the
	 * process by the signal in mid-shutdown; blocked, a late SIGTERM
	 * stays pending until the exit it asked for. */
	pthread_sigmask(SIG_BLOCK, &block, NULL);
	for (unsigned int i = 0; i < started; i++)
		loop_join(server->loops[i]);

	event_free(ev_term);
	event_free(ev_int);
	event_free(ev_hup);
	event_base_free(server->signal_base);
	server->signal_base = NULL;
	return started == server->loop_count ? 0 : -1;
}

unsigned int server_run_leftovers(struct server *server)
{
	unsigned int ran = 0;

	for (unsigned int i = 0; i < server->loop_count; i++)
		ran += loop_run_leftovers(server->loops[i]);
	return ran;
}

void server_destroy(struct server **serverp)
{
	struct server *server = *serverp;

	if (server == NULL)
		return;
	for (unsigned int i = 0; i < server->listener_count; i++)
		listener_close(&server->listeners[i]);
	for (unsigned int i = 0; i < server->loop_count; i++)
		loop_destroy(&server->loops[i]);
	free(server->loops);
	free(server->shutdowns);
	free(server);
	*serverp = NULL;
}
