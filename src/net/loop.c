/* Event loop threads and the cross-thread post queue. The queue is the only
 * shared state: a mutex-protected singly linked list swapped out whole by
 * the loop, so a post never waits for the callbacks to run. */
#include "net/loop.h"

#include <event2/event.h>
#include <event2/thread.h>
#include <stdlib.h>

#include "core/log.h"
#include "core/xalloc.h"

struct loop_post_item {
	struct loop_post_item *next;
	loop_fn *fn;
	void *ctx;
};

struct loop {
	unsigned int index;
	struct event_base *base;
	struct event *wakeup;
	pthread_t thread;
	bool thread_started;

	pthread_mutex_t lock;
	struct loop_post_item *head, **tail;
	bool stopping;
};

static _Thread_local struct loop *current_loop;

/* Runs the queue; returns how many items ran. */
static unsigned int loop_run_queue(struct loop *loop)
{
	struct loop_post_item *item;
	unsigned int ran = 0;
	bool stop;

	pthread_mutex_lock(&loop->lock);
	item = loop->head;
	loop->head = NULL;
	loop->tail = &loop->head;
	stop = loop->stopping;
	pthread_mutex_unlock(&loop->lock);

	while (item != NULL) {
		struct loop_post_item *next = item->next;

		item->fn(item->ctx);
		free(item);
		item = next;
		ran++;
	}
	if (stop)
		event_base_loopbreak(loop->base);
	return ran;
}

static void loop_run_posted(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	loop_run_queue(arg);
}

unsigned int loop_run_leftovers(struct loop *loop)
{
	return loop_run_queue(loop);
}

static void loop_init_threads(void)
{
	if (evthread_use_pthreads() != 0)
		abort();
}

struct loop *loop_create(unsigned int index)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	struct loop *loop = xcalloc(1, sizeof(*loop));

	/* libevent must know about threads before any base exists, so that
	 * event_active() from another thread is safe. */
	pthread_once(&once, loop_init_threads);
	loop->index = index;
	loop->base = event_base_new();
	if (loop->base == NULL) {
		log_error("event_base_new failed");
		abort();
	}
	loop->wakeup = event_new(loop->base, -1, 0, loop_run_posted, loop);
	pthread_mutex_init(&loop->lock, NULL);
	loop->tail = &loop->head;
	return loop;
}

void loop_destroy(struct loop **loopp)
{
	struct loop *loop = *loopp;

	if (loop == NULL)
		return;
	/* Run what is still queued so nothing posted leaks. */
	loop_run_posted(-1, 0, loop);
	event_free(loop->wakeup);
	event_base_free(loop->base);
	pthread_mutex_destroy(&loop->lock);
	free(loop);
	*loopp = NULL;
}

static void *loop_thread_main(void *arg)
{
	struct loop *loop = arg;

	current_loop = loop;
	(void)pthread_setname_np(pthread_self(), "petrel-loop");
	event_base_loop(loop->base, EVLOOP_NO_EXIT_ON_EMPTY);
	current_loop = NULL;
	return NULL;
}

int loop_start_thread(struct loop *loop)
{
	if (pthread_create(&loop->thread, NULL, loop_thread_main, loop) != 0)
		return -1;
	loop->thread_started = true;
	return 0;
}

void loop_join(struct loop *loop)
{
	if (loop->thread_started) {
		pthread_join(loop->thread, NULL);
		loop->thread_started = false;
	}
}

void loop_post(struct loop *loop, loop_fn *fn, void *ctx)
{
	struct loop_post_item *item = xmalloc(sizeof(*item));

	item->next = NULL;
	item->fn = fn;
	item->ctx = ctx;
	pthread_mutex_lock(&loop->lock);
	*loop->tail = item;
	loop->tail = &item->next;
	pthread_mutex_unlock(&loop->lock);
	event_active(loop->wakeup, 0, 0);
}

void loop_stop(struct loop *loop)
{
	pthread_mutex_lock(&loop->lock);
	loop->stopping = true;
	pthread_mutex_unlock(&loop->lock);
	event_active(loop->wakeup, 0, 0);
}

struct event_base *loop_base(struct loop *loop)
{
	return loop->base;
}

unsigned int loop_index(const struct loop *loop)
{
	return loop->index;
}

bool loop_is_current(const struct loop *loop)
{
	return current_loop == loop;
}
