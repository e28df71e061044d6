/* Start and end of the user layer's threads (user-services.h), and the
 * shutdown flag its jobs look at. */
#include "user/user-private.h"

atomic_bool user_stopping;

bool user_services_start(const struct user_services *svc)
{
	atomic_store(&user_stopping, false);
	user_store_closer_start();
	return user_watch_start(svc);
}

void user_services_shutdown(void)
{
	/* Under the lock: see user-store.c's idle_close_queue_locked(). */
	pthread_mutex_lock(&user_registry_lock);
	atomic_store(&user_stopping, true);
	/* Stores lingering after their last session close now: the shutdown
	 * waits for these jobs (the closer queues nothing more). */
	for (struct mail_user *mu = user_registry; mu != NULL; mu = mu->next) {
		if (mu->refs == 0 && !mu->close_queued && mu->owner != NULL)
			user_final_close_queue_locked(mu, mu->owner);
	}
	pthread_mutex_unlock(&user_registry_lock);
}

void user_services_stop(void)
{
	user_store_closer_stop();
	user_watch_stop();
}
