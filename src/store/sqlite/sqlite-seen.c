/* \Seen per user in another user's mailboxes (store.h store_view_as()):
 * the owner's \Seen stays in messages.flags; every other user's is a row
 * (mailbox_id, viewer, uid) in seen, present while the message is \Seen
 * for them. Statements name the viewer through petrel_viewer(), an SQL
 * function of the connection that returns the handle's viewer, so the
 * same prepared statements serve the owner (NULL) and everyone else. */
#include "store/store.h"

#include <stdlib.h>

#include "core/xalloc.h"
#include "store/sqlite/sqlite-private.h"

static void sq_viewer_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct sq_store *st = sqlite3_user_data(ctx);

	(void)argc;
	(void)argv;
	if (st->viewer == NULL)
		sqlite3_result_null(ctx);
	else
		sqlite3_result_text(ctx, st->viewer, -1, SQLITE_STATIC);
}

bool sq_seen_register(struct sq_store *st)
{
	/* Not SQLITE_DETERMINISTIC: its value changes between statements. */
	return sqlite3_create_function(st->db, "petrel_viewer", 0, SQLITE_UTF8, st,
				       sq_viewer_fn, NULL, NULL) == SQLITE_OK;
}

void sq_view_as(struct store *store, const char *viewer)
{
	struct sq_store *st = sq_store(store);

	free(st->viewer);
	st->viewer = viewer != NULL ? xstrdup(viewer) : NULL;
}

enum store_result sq_seen_set(struct sq_store *st, int64_t mailbox_id, uint32_t uid, bool seen)
{
	sqlite3_stmt *s = sq_stmt(st, seen ? SQ_SEEN_ADD : SQ_SEEN_REMOVE);

	sqlite3_bind_int64(s, 1, mailbox_id);
	sqlite3_bind_int64(s, 2, uid);
	return sq_run(st, s, "seen");
}
