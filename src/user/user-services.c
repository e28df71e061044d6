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
	pthread_mutex_unlock(&user_registry_lock);
}

void user_services_stop(void)
{
	user_store_closer_stop();
	user_watch_stop();
}
