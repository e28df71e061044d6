/* LIST (RFC 9051 §6.3.9 with RFC 5258 LIST-EXTENDED, RFC 6154 SPECIAL-USE
 * and RFC 5819 LIST-STATUS) and LSUB (RFC 3501 §6.3.9). The worker reads
 * every mailbox and subscription once, decides what is listed and reads the
 * STATUS items; the loop only formats. A pattern never touches the store:
 * it is matched against the store's names (imap/list-match.h).
 *
 * Choices:
 *  - INBOX and the names under it are listed first (Dovecot lists INBOX
 *    first, and clients expect it), then the rest, each part in the
 *    store's order (its names in byte order); a parent made up for
 *    RECURSIVEMATCH or LSUB comes just before its first descendant.
 *  - \HasChildren or \HasNoChildren is on every LIST line and special-use
 *    attributes are always sent, asked for or not (RFC 6154 §2 allows it;
 *    Thunderbird relies on them).
 *  - A pattern that cannot be decoded is ignored (RFC 5258 §3: "silently
 *    ignore it"); so is "" in an extended LIST. "" alone in a basic LIST
 *    asks for the delimiter: `* LIST (\Noselect) "/" ""`.
 *  - LSUB lines carry only \Noselect: for a subscribed name that is not a
 *    selectable mailbox, and for an unsubscribed parent of subscribed names
 *    that a pattern ending in '%' reaches (RFC 3501 §6.3.9). */
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/xalloc.h"
#include "auth/passdb.h"
#include "imap/imap-server.h"
#include "imap/cmd-mailbox.h"
#include "imap/list-match.h"
#include "imap/mailbox-ref.h"
#include "imap/mailbox-name.h"
#include "imap/session.h"
#include "imap/store-error.h"
#include "imap/store-job.h"
#include "store/store-users.h"
#include "user/mail-user.h"

/* Patterns in one LIST: each costs a pass over every name; real clients
 * send one to a handful. */
#define LIST_PATTERNS_MAX 64
/* Other users whose shared mailboxes one LIST reads (a job each); those
 * past it are left out of that LIST (and logged). */
#define LIST_OWNERS_MAX 1000

struct list_entry {
	char *name;
	uint32_t seq;              /* store order; a made-up parent takes its
	                              first descendant's */
	unsigned int special_use;
	bool subscribed;
	bool noselect;
	bool nonexistent;          /* only a subscription, or a made-up parent */
	bool has_children;
	bool matched;              /* by one of the patterns */
	bool returned;
	bool child_selected;       /* a descendant satisfies the selection */
	bool child_unmatched;      /* ... and one such matches no pattern */
	bool status_ok;
	struct store_mailbox_status status;
	acl_rights rights;         /* the session user's (LIST-MYRIGHTS) */
};

struct list_state {
	bool lsub;
	bool sel_subscribed;
	bool sel_special_use;
	bool recursive;            /* RECURSIVEMATCH */
	bool ret_subscribed;
	bool ret_status;
	bool ret_myrights;         /* RFC 8440 RETURN (MYRIGHTS) */
	bool lsub_percent;         /* LSUB's pattern ends with '%' */
	struct cmd_status_items status_items;
	struct list_pattern **patterns;
	unsigned int pattern_count;

	/* Filled by the worker; freed by list_cleanup(). */
	struct list_entry *entries;
	uint32_t count, alloc;
	uint32_t *table;           /* name -> entry index + 1, open addressing */
	uint32_t table_size;       /* a power of two, over twice count */

	/* Other users' mailboxes (mailbox-ref.h): the owners sharing with the
	 * session user (found by the first job), each listed by a job on
	 * their own key in turn, with the session user's l right. */
	bool others;               /* a pattern reaches under "Other Users" */
	const char *user;
	const struct store_env *env;
	char **owners;
	unsigned int owner_count, owner_next;
	struct mail_user *owner_mu;   /* the owner being listed, held */
	const char *owner;
};

static void list_cleanup(struct imap_cmd *cmd)
{
	struct list_state *st = cmd->state;

	if (st == NULL)
		return;
	for (uint32_t i = 0; i < st->count; i++)
		free(st->entries[i].name);
	free(st->entries);
	free(st->table);
	st->entries = NULL;
	st->table = NULL;
	st->count = 0;
	for (unsigned int i = 0; i < st->owner_count; i++)
		free(st->owners[i]);
	free(st->owners);
	st->owners = NULL;
	st->owner_count = 0;
	if (st->owner_mu != NULL)
		mail_user_release(&st->owner_mu, cmd->session->loop);
	cmd->state = NULL;
}

/* ---- the worker: which names are listed ---- */

static uint64_t name_hash(const char *name, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;   /* FNV-1a */

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)name[i]) * 0x100000001b3ULL;
	return h;
}

static void table_insert(struct list_state *st, uint32_t index)
{
	const char *name = st->entries[index].name;
	uint32_t mask = st->table_size - 1;
	uint32_t slot = (uint32_t)name_hash(name, strlen(name)) & mask;

	while (st->table[slot] != 0)
		slot = (slot + 1) & mask;
	st->table[slot] = index + 1;
}

/* Keeps the table under half full; true when it was rebuilt (with every
 * entry in it). */
static bool table_grow(struct list_state *st)
{
	if (st->table_size > 2 * (size_t)st->count)
		return false;
	free(st->table);
	st->table_size = st->table_size == 0 ? 64 : st->table_size * 2;
	while (st->table_size <= 2 * (size_t)st->count)
		st->table_size *= 2;
	st->table = xcalloc(st->table_size, sizeof(*st->table));
	for (uint32_t i = 0; i < st->count; i++)
		table_insert(st, i);
	return true;
}

/* The entry named name[0..len), or UINT32_MAX. */
static uint32_t table_find(const struct list_state *st, const char *name, size_t len)
{
	uint32_t mask = st->table_size - 1;
	uint32_t slot = (uint32_t)name_hash(name, len) & mask;

	for (; st->table[slot] != 0; slot = (slot + 1) & mask) {
		const char *other = st->entries[st->table[slot] - 1].name;

		if (strncmp(other, name, len) == 0 && other[len] == '\0')
			return st->table[slot] - 1;
	}
	return UINT32_MAX;
}

static struct list_entry *entry_add(struct list_state *st, char *name)
{
	if (st->count == st->alloc) {
		st->alloc = st->alloc == 0 ? 64 : st->alloc * 2;
		st->entries = xrealloc(st->entries, st->alloc * sizeof(*st->entries));
	}
	struct list_entry *e = &st->entries[st->count++];

	memset(e, 0, sizeof(*e));
	e->name = name;
	e->seq = st->count - 1;
	return e;
}

static bool matches_any(const struct list_state *st, const char *name)
{
	for (unsigned int i = 0; i < st->pattern_count; i++) {
		if (list_pattern_match(st->patterns[i], name))
			return true;
	}
	return false;
}

static bool list_collect(const struct store_mailbox_info *info, void *ctx)
{
	struct list_state *st = ctx;
	bool matched = matches_any(st, info->name);

	/* Keep only what can be listed: a name that matches, or for
	 * RECURSIVEMATCH any name (a parent's attributes are its own), or for
	 * LSUB a subscribed one (unsubscribed parents are all \Noselect and
	 * made up as needed). A big store then costs little memory for the
	 * usual narrow LIST. */
	if (!matched && !st->recursive && !(st->lsub && info->subscribed))
		return true;
	struct list_entry *e = entry_add(st, xstrdup(info->name));

	e->rights = ACL_OWNER_RIGHTS;
	e->special_use = info->special_use;
	e->subscribed = info->subscribed;
	e->noselect = info->noselect;
	e->nonexistent = info->nonexistent;
	e->has_children = info->has_children;
	e->matched = matched;
	return true;
}

/* RFC 5258 §3: with several selection options a name must satisfy all. */
static bool entry_selected(const struct list_state *st, const struct list_entry *e)
{
	if (st->lsub || st->sel_subscribed) {
		if (!e->subscribed)
			return false;
	} else if (e->nonexistent) {
		return false;
	}
	return !st->sel_special_use || e->special_use != 0;
}

/* Marks every parent of a selected name; a parent that is neither a
 * mailbox nor subscribed is made up as \NonExistent. */
static void mark_parents(struct list_state *st)
{
	uint32_t n = st->count;

	for (uint32_t i = 0; i < n; i++) {
		if (!entry_selected(st, &st->entries[i]))
			continue;
		const char *name = st->entries[i].name;   /* stable: its own allocation */
		bool unmatched = !st->entries[i].matched;
		uint32_t seq = st->entries[i].seq;

		for (size_t p = 0; name[p] != '\0'; p++) {
			if (name[p] != MAILBOX_NAME_DELIM)
				continue;
			uint32_t a = table_find(st, name, p);

			if (a == UINT32_MAX) {
				struct list_entry *made = entry_add(st, xstrndup(name, p));

				made->seq = seq;
				made->noselect = true;
				made->nonexistent = true;
				made->matched = matches_any(st, made->name);
				a = st->count - 1;
				if (!table_grow(st))
					table_insert(st, a);
			}
			st->entries[a].child_selected = true;
			if (unmatched)
				st->entries[a].child_unmatched = true;
		}
	}
}

static void list_add_owner(const char *owner, void *ctx)
{
	struct list_state *st = ctx;

	if (st->owner_count >= LIST_OWNERS_MAX)
		return;
	st->owners = xrealloc(st->owners, (st->owner_count + 1) * sizeof(*st->owners));
	st->owners[st->owner_count++] = xstrdup(owner);
}

static void list_run(struct store_job *job, struct store *store)
{
	struct list_state *st = job->ctx;

	job->result = store_mailbox_list(store, list_collect, st);
	if (job->result != STORE_OK)
		return;
	/* The index of who shares with whom (store-users.h) names the owners
	 * whose stores may hold something listed; each is read in turn. */
	if (st->others &&
	    store_users_sharing_with(st->env, st->user, list_add_owner, st) != STORE_OK)
		st->owner_count = 0;   /* logged; the user's own names still listed */
	if (st->recursive || st->lsub) {
		table_grow(st);
		mark_parents(st);
	}
	for (uint32_t i = 0; i < st->count; i++) {
		struct list_entry *e = &st->entries[i];

		e->returned = e->matched && entry_selected(st, e);
		/* RFC 5258 §3.1 RECURSIVEMATCH (and RFC 9051 §7.3.1 on
		 * \NonExistent): a parent that matches is listed for the
		 * descendants the patterns do not reach. */
		if (!e->returned && e->matched && e->child_unmatched)
			e->returned = st->recursive || (st->lsub && st->lsub_percent);
	}
	if (!st->ret_status)
		return;
	/* RFC 5819 §2: STATUS for each listed mailbox that can be selected;
	 * one that fails (gone meanwhile) is left out. */
	for (uint32_t i = 0; i < st->count; i++) {
		struct list_entry *e = &st->entries[i];

		if (e->returned && !e->noselect && !e->nonexistent)
			e->status_ok = store_mailbox_status(store, e->name, &e->status) == STORE_OK;
	}
}

/* ---- the loop: the responses ---- */

/* INBOX or a name under it. */
static bool in_inbox(const char *name)
{
	return strncmp(name, "INBOX", 5) == 0 && (name[5] == '\0' || name[5] == MAILBOX_NAME_DELIM);
}

/* INBOX first, then the personal names in the store's order (a made-up
 * parent before its descendants), then each other namespace's names in
 * byte order, which puts a node before what is under it: a subscription
 * to another user's mailbox, read with the personal names, is listed in
 * its namespace, after its levels. */
static int entry_order(const void *a, const void *b)
{
	const struct list_entry *x = a, *y = b;
	bool x_inbox = in_inbox(x->name), y_inbox = in_inbox(y->name);
	int x_ns = mailbox_ref_namespace(x->name), y_ns = mailbox_ref_namespace(y->name);

	if (x_inbox != y_inbox)
		return x_inbox ? -1 : 1;
	if (x_ns != y_ns)
		return x_ns < y_ns ? -1 : 1;
	if (x_ns != 0)
		return strcmp(x->name, y->name);
	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	/* A made-up parent shares its descendant's seq and is shorter. */
	size_t xl = strlen(x->name), yl = strlen(y->name);

	return xl < yl ? -1 : xl > yl;
}

static const struct {
	unsigned int bit;
	const char *name;
} special_use_attrs[] = {
	{ STORE_USE_ALL, "\\All" },
	{ STORE_USE_ARCHIVE, "\\Archive" },
	{ STORE_USE_DRAFTS, "\\Drafts" },
	{ STORE_USE_FLAGGED, "\\Flagged" },
	{ STORE_USE_JUNK, "\\Junk" },
	{ STORE_USE_SENT, "\\Sent" },
	{ STORE_USE_TRASH, "\\Trash" },
};

static void add_attr(struct buf *b, const char *attr, bool *first)
{
	buf_printf(b, "%s%s", *first ? "" : " ", attr);
	*first = false;
}

static void list_attrs(const struct list_state *st, const struct list_entry *e, struct buf *b)
{
	bool first = true;

	if (st->lsub) {
		/* RFC 3501 §6.3.9: \Noselect also marks a parent listed only
		 * for its subscribed children. */
		if (!e->subscribed || e->noselect || e->nonexistent)
			add_attr(b, "\\Noselect", &first);
		return;
	}
	/* RFC 9051 §7.3.1: \NonExistent implies \Noselect. */
	if (e->nonexistent)
		add_attr(b, "\\NonExistent", &first);
	else if (e->noselect)
		add_attr(b, "\\Noselect", &first);
	add_attr(b, e->has_children ? "\\HasChildren" : "\\HasNoChildren", &first);
	if (e->subscribed && (st->sel_subscribed || st->ret_subscribed))
		add_attr(b, "\\Subscribed", &first);
	for (size_t i = 0; i < sizeof(special_use_attrs) / sizeof(special_use_attrs[0]); i++) {
		if ((e->special_use & special_use_attrs[i].bit) != 0)
			add_attr(b, special_use_attrs[i].name, &first);
	}
}

static void list_send_entry(struct imap_cmd *cmd, const struct list_state *st,
			    struct list_entry *e, struct buf *name, struct buf *line)
{
	struct imap_session *s = cmd->session;

	buf_clear(name);
	if (!cmd_mailbox_append_name(s, e->name, name))
		return;   /* not convertible: the store would not have taken it */
	buf_clear(line);
	buf_printf(line, "* %s (", st->lsub ? "LSUB" : "LIST");
	list_attrs(st, e, line);
	buf_printf(line, ") \"%c\" %s", MAILBOX_NAME_DELIM, name->data);
	/* RFC 5258 §3.5: CHILDINFO only when RECURSIVEMATCH was asked for. */
	if (st->recursive && e->child_selected)
		buf_append_str(line, " (\"CHILDINFO\" (\"SUBSCRIBED\"))");
	if (line->overflow)
		return;
	imap_session_send(s, "%s", line->data);
	if (st->ret_myrights && !e->nonexistent && e->rights != 0) {
		/* RFC 8440 §2: the MYRIGHTS of each listed mailbox. */
		char letters[ACL_RIGHTS_STR_MAX];

		buf_clear(line);
		buf_printf(line, "* MYRIGHTS %s ", name->data);
		mailbox_name_quote(acl_rights_format(e->rights, letters), line);
		if (!line->overflow)
			imap_session_send(s, "%s", line->data);
	}
	if (!e->status_ok)
		return;
	/* RFC 5819 §2: the STATUS right after its LIST line, same name. */
	cmd_status_session_view(s, e->name, &e->status);
	buf_clear(line);
	buf_printf(line, "* STATUS %s (", name->data);
	cmd_status_items_format(&st->status_items, &e->status,
				store_append_limit(s->server->store_env), line);
	buf_append_char(line, ')');
	if (!line->overflow)
		imap_session_send(s, "%s", line->data);
}

/* ---- other users' mailboxes ---- */

struct list_visible {
	char *name;                 /* in the owner's store */
	acl_rights rights;
	bool noselect, has_children;
};

struct list_owner_read {
	struct list_visible *v;
	uint32_t count, alloc;
};

static void list_visible_push(struct list_owner_read *rd, struct list_visible v)
{
	if (rd->count == rd->alloc) {
		rd->alloc = rd->alloc == 0 ? 64 : rd->alloc * 2;
		rd->v = xrealloc(rd->v, rd->alloc * sizeof(*rd->v));
	}
	rd->v[rd->count++] = v;
}

static bool list_owner_collect(const struct store_mailbox_info *info, void *ctx)
{
	struct list_owner_read *rd = ctx;

	if (info->nonexistent)
		return true;   /* the owner's own subscriptions */
	list_visible_push(rd, (struct list_visible){
		.name = xstrdup(info->name), .noselect = info->noselect,
	});
	return true;
}

static int list_visible_cmp(const void *a, const void *b)
{
	return strcmp(((const struct list_visible *)a)->name,
		      ((const struct list_visible *)b)->name);
}

/* RFC 9051 §6.3.9: the levels of hierarchy above a visible mailbox are
 * listed too, \Noselect when not selectable. A level the user may not see
 * and one that is only a placeholder are the same node (no rights, with
 * children), so neither tells anything of what is hidden. rd->v holds the
 * visible mailboxes, sorted; the levels are added, and all sorted again. */
static void list_add_levels(struct list_owner_read *rd)
{
	uint32_t visible = rd->count;

	for (uint32_t i = 0; i < visible; i++) {
		const char *name = rd->v[i].name;

		for (const char *slash = strchr(name, '/'); slash != NULL;
		     slash = strchr(slash + 1, '/')) {
			struct list_visible level = {
				.name = xstrndup(name, (size_t)(slash - name)),
				.noselect = true, .has_children = true,
			};

			if (bsearch(&level, rd->v, visible, sizeof(*rd->v), list_visible_cmp))
				free(level.name);
			else
				list_visible_push(rd, level);
		}
	}
	if (rd->count == visible)
		return;
	/* Sibling mailboxes share their levels: one node each. */
	qsort(rd->v + visible, rd->count - visible, sizeof(*rd->v), list_visible_cmp);
	uint32_t n = visible + 1;

	for (uint32_t i = visible + 1; i < rd->count; i++) {
		if (strcmp(rd->v[i].name, rd->v[n - 1].name) == 0)
			free(rd->v[i].name);
		else
			rd->v[n++] = rd->v[i];
	}
	rd->count = n;
	qsort(rd->v, rd->count, sizeof(*rd->v), list_visible_cmp);
}

/* The entry of a full name, made if a pattern (or RECURSIVEMATCH) may
 * want it, merged into the session user's subscription entry if there
 * is one; NULL when nothing will list it. */
static struct list_entry *list_other_entry(struct list_state *st, const char *full)
{
	uint32_t i = table_find(st, full, strlen(full));
	bool matched = matches_any(st, full);

	if (i == UINT32_MAX) {
		if (!matched && !st->recursive)
			return NULL;
		entry_add(st, xstrdup(full));
		i = st->count - 1;
		st->entries[i].matched = matched;
		if (!table_grow(st))
			table_insert(st, i);
	}
	struct list_entry *e = &st->entries[i];

	e->nonexistent = false;
	return e;
}

static void list_other_returned(struct list_state *st, struct list_entry *e)
{
	e->returned = e->matched && entry_selected(st, e);
	if (!e->returned && e->matched && e->child_unmatched)
		e->returned = st->recursive || (st->lsub && st->lsub_percent);
}

/* Worker, on the owner's key: the owner's mailboxes the session user may
 * see (l), under "Other Users/OWNER/" (or "Shared/"), with the nodes
 * above them. */
static void list_owner_run(struct store_job *job, struct store *store)
{
	struct list_state *st = job->ctx;
	struct list_owner_read rd = { 0 };

	table_grow(st);   /* names are merged by lookup */

	if (store_mailbox_list(store, list_owner_collect, &rd) != STORE_OK)
		rd.count = 0;   /* a store that cannot be read shares nothing now */
	uint32_t n = 0;

	for (uint32_t i = 0; i < rd.count; i++) {
		struct acl_entry *acl = NULL;
		unsigned int acl_count = 0;

		rd.v[i].rights = 0;
		if (store_acl_get(store, rd.v[i].name, &acl, &acl_count) == STORE_OK) {
			rd.v[i].rights = acl_rights_of(acl, acl_count, st->user);
			free(acl);
		}
		if (rd.v[i].rights & ACL_LOOKUP)
			rd.v[n++] = rd.v[i];
		else
			free(rd.v[i].name);
	}
	rd.count = n;
	qsort(rd.v, rd.count, sizeof(*rd.v), list_visible_cmp);
	list_add_levels(&rd);
	/* Children among what is listed (sorted, so a parent is found by
	 * bsearch). */
	for (uint32_t i = 0; i < rd.count; i++) {
		const char *slash = strrchr(rd.v[i].name, '/');

		if (slash == NULL)
			continue;
		/* Its parent, if visible, has a child the user sees. */
		struct list_visible key = {
			.name = xstrndup(rd.v[i].name, (size_t)(slash - rd.v[i].name)),
		};
		struct list_visible *parent = bsearch(&key, rd.v, rd.count, sizeof(*rd.v),
						      list_visible_cmp);

		if (parent != NULL)
			parent->has_children = true;
		free(key.name);
	}
	/* The namespace nodes above them: "Other Users" and
	 * "Other Users/OWNER", or "Shared" alone. */
	bool public = mailbox_ref_is_public(st->owner);
	const char *nodes[2] = {
		public ? MAILBOX_REF_PUBLIC : MAILBOX_REF_OTHERS,
		mailbox_ref_other_name(job->cmd->arena, st->owner, NULL),
	};

	for (unsigned int k = public ? 1 : 0; rd.count > 0 && k < 2; k++) {
		struct list_entry *e = list_other_entry(st, nodes[k]);

		if (e != NULL) {
			e->noselect = true;
			e->rights = 0;   /* no mailbox: no MYRIGHTS */
			e->has_children = true;
			list_other_returned(st, e);
		}
	}
	for (uint32_t i = 0; i < rd.count; i++) {
		const char *full = mailbox_ref_other_name(job->cmd->arena, st->owner,
							  rd.v[i].name);
		struct list_entry *e = list_other_entry(st, full);

		if (e != NULL) {
			e->rights = rd.v[i].rights;
			e->noselect = rd.v[i].noselect;
			e->has_children = rd.v[i].has_children;
			e->special_use = 0;   /* another user's Sent is not theirs */
			list_other_returned(st, e);
			if (st->ret_status && e->returned && !e->noselect &&
			    (rd.v[i].rights & ACL_READ)) {
				/* UNSEEN as this user sees it (store_view_as()). */
				store_view_as(store, st->user);
				e->status_ok = store_mailbox_status(store, rd.v[i].name,
								    &e->status) == STORE_OK;
				store_view_as(store, NULL);
			}
		}
		free(rd.v[i].name);
	}
	free(rd.v);
}

static bool list_done(struct store_job *job);

/* Loop: queues the next owner's job: 1 queued, 0 none left, -1 the
 * queue was full (the command is answered). */
static int list_next_owner(struct imap_cmd *cmd, struct list_state *st)
{
	if (st->owner_mu != NULL)
		mail_user_release(&st->owner_mu, cmd->session->loop);
	while (st->owner_next < st->owner_count) {
		st->owner = st->owners[st->owner_next++];
		if (!passdb_valid_owner(st->owner) || strcmp(st->owner, st->user) == 0)
			continue;
		st->owner_mu = mail_user_acquire(cmd->session->server->users, st->owner);
		return imap_store_job_submit_owner(cmd, st->owner_mu, list_owner_run, list_done,
						   st) != NULL ? 1 : -1;
	}
	return 0;
}

static bool list_done(struct store_job *job)
{
	struct imap_cmd *cmd = job->cmd;
	struct list_state *st = job->ctx;
	struct buf name, line;

	if (job->result != STORE_OK && job->run != list_owner_run) {
		imap_cmd_store_error(cmd, job->result);
		return true;
	}
	switch (list_next_owner(cmd, st)) {
	case 1: return false;   /* its job's done goes on */
	case -1: return true;   /* answered NO [UNAVAILABLE] */
	default: break;
	}
	if (st->owner_count > 0 && (st->recursive || st->lsub)) {
		/* The other users' names join the hierarchy: their parents. */
		table_grow(st);
		mark_parents(st);
		for (uint32_t i = 0; i < st->count; i++)
			if (!st->entries[i].returned)
				list_other_returned(st, &st->entries[i]);
	}
	/* The table is no longer needed, so the entries may move. */
	if (st->count > 1)
		qsort(st->entries, st->count, sizeof(*st->entries), entry_order);
	buf_init(&name, CMD_MAILBOX_WIRE_MAX);
	buf_init(&line, CMD_MAILBOX_WIRE_MAX + 1024);
	for (uint32_t i = 0; i < st->count; i++) {
		if (st->entries[i].returned)
			list_send_entry(cmd, st, &st->entries[i], &name, &line);
	}
	buf_free(&name);
	buf_free(&line);
	imap_cmd_reply(cmd, "OK", "%s completed", cmd->name);
	return true;
}

/* ---- arguments ---- */

/* RFC 5258 §6 list-select-opts. Answers and returns false on error. */
static bool parse_select(struct imap_cmd *cmd, const struct imap_arg *list, struct list_state *st)
{
	for (unsigned int i = 0; i < list->list_count; i++) {
		const struct imap_arg *opt = &list->list[i];

		if (imap_arg_is_atom(opt, "SUBSCRIBED")) {
			st->sel_subscribed = true;
		} else if (imap_arg_is_atom(opt, "REMOTE")) {
			/* No remote mailboxes: nothing to add. */
		} else if (imap_arg_is_atom(opt, "RECURSIVEMATCH")) {
			st->recursive = true;
		} else if (imap_arg_is_atom(opt, "SPECIAL-USE")) {
			st->sel_special_use = true;   /* RFC 6154 §5.1 */
		} else {
			imap_cmd_reply(cmd, "BAD", "Unknown LIST selection option");
			return false;
		}
	}
	/* RFC 5258 §3.1: RECURSIVEMATCH needs a selection to recurse on;
	 * petrel recurses on subscriptions only. */
	if (st->recursive && !st->sel_subscribed) {
		imap_cmd_reply(cmd, "BAD", "RECURSIVEMATCH needs SUBSCRIBED");
		return false;
	}
	return true;
}

/* RFC 5258 §6 list-return-opts, RFC 5819 STATUS. */
static bool parse_return(struct imap_cmd *cmd, const struct imap_arg *list, struct list_state *st)
{
	if (list->type != IMAP_ARG_LIST) {
		imap_cmd_reply(cmd, "BAD", "RETURN needs a list of options");
		return false;
	}
	for (unsigned int i = 0; i < list->list_count; i++) {
		const struct imap_arg *opt = &list->list[i];

		if (imap_arg_is_atom(opt, "SUBSCRIBED")) {
			st->ret_subscribed = true;
		} else if (imap_arg_is_atom(opt, "MYRIGHTS")) {
			st->ret_myrights = true;   /* RFC 8440 */
		} else if (imap_arg_is_atom(opt, "CHILDREN") || imap_arg_is_atom(opt, "SPECIAL-USE")) {
			/* Sent always (see the top of this file). */
		} else if (imap_arg_is_atom(opt, "STATUS")) {
			if (i + 1 >= list->list_count ||
			    !cmd_status_items_parse(&list->list[i + 1], cmd->session->rev2_enabled,
						    &st->status_items)) {
				imap_cmd_reply(cmd, "BAD", "Invalid STATUS return option");
				return false;
			}
			st->ret_status = true;
			if (cmd_status_items_has(&st->status_items, CMD_STATUS_HIGHESTMODSEQ))
				imap_session_enable_condstore(cmd->session);
			i++;
		} else {
			imap_cmd_reply(cmd, "BAD", "Unknown LIST return option");
			return false;
		}
	}
	return true;
}

/* Compiles one pattern; an undecodable one is ignored (RFC 5258 §3). */
static void add_pattern(struct imap_cmd *cmd, struct list_state *st,
			const struct imap_arg *ref, const struct imap_arg *pattern)
{
	struct list_pattern *p;
	const char *error;

	if (list_pattern_compile(cmd->arena, ref->str, ref->len, pattern->str, pattern->len,
				 cmd->session->rev2_enabled, &p, &error))
		st->patterns[st->pattern_count++] = p;
}

static bool pattern_arg_ok(const struct imap_arg *arg)
{
	return imap_arg_astring(arg) != NULL;
}

static enum cmd_step list_submit(struct imap_cmd *cmd, struct list_state *st)
{
	cmd->state = st;
	cmd->cleanup = list_cleanup;
	st->user = cmd->session->user;
	st->env = cmd->session->server->store_env;
	for (unsigned int i = 0; i < st->pattern_count; i++) {
		if (list_pattern_match(st->patterns[i], MAILBOX_REF_OTHERS) ||
		    list_pattern_match_parent(st->patterns[i], MAILBOX_REF_OTHERS) ||
		    list_pattern_match(st->patterns[i], MAILBOX_REF_PUBLIC) ||
		    list_pattern_match_parent(st->patterns[i], MAILBOX_REF_PUBLIC))
			st->others = true;
	}
	if (st->pattern_count == 0) {
		imap_cmd_reply(cmd, "OK", "%s completed", cmd->name);
		return CMD_STEP_DONE;
	}
	if (!imap_store_job_submit(cmd, list_run, list_done, st, true, NULL))
		return CMD_STEP_DONE;
	return CMD_STEP_WAIT;
}

enum cmd_step cmd_list(struct imap_cmd *cmd)
{
	struct list_state *st = arena_alloc(cmd->arena, sizeof(*st));
	const struct imap_arg *args = cmd->args, *ref, *patterns;
	unsigned int n = cmd->arg_count, i = 0;
	bool extended = false;

	if (n > 0 && args[0].type == IMAP_ARG_LIST) {
		if (!parse_select(cmd, &args[0], st))
			return CMD_STEP_DONE;
		extended = true;
		i++;
	}
	if (n - i != 2 && n - i != 4) {
		imap_cmd_reply(cmd, "BAD", "LIST needs a reference and a mailbox pattern");
		return CMD_STEP_DONE;
	}
	ref = &args[i];
	patterns = &args[i + 1];
	if (n - i == 4) {
		if (!imap_arg_is_atom(&args[i + 2], "RETURN")) {
			imap_cmd_reply(cmd, "BAD", "Unexpected LIST argument");
			return CMD_STEP_DONE;
		}
		if (!parse_return(cmd, &args[i + 3], st))
			return CMD_STEP_DONE;
		extended = true;
	}
	if (!pattern_arg_ok(ref) ||
	    (patterns->type == IMAP_ARG_LIST ? patterns->list_count == 0 : !pattern_arg_ok(patterns))) {
		imap_cmd_reply(cmd, "BAD", "Invalid LIST reference or pattern");
		return CMD_STEP_DONE;
	}
	if (patterns->type == IMAP_ARG_LIST) {
		if (patterns->list_count > LIST_PATTERNS_MAX) {
			imap_cmd_reply(cmd, "BAD", "Too many LIST patterns");
			return CMD_STEP_DONE;
		}
		for (unsigned int j = 0; j < patterns->list_count; j++) {
			if (!pattern_arg_ok(&patterns->list[j])) {
				imap_cmd_reply(cmd, "BAD", "Invalid LIST pattern");
				return CMD_STEP_DONE;
			}
		}
		extended = true;
	}
	if (!extended && list_pattern_is_delimiter_query(patterns->str, patterns->len)) {
		/* RFC 9051 §6.3.9: one namespace, no prefix: the root is "". */
		imap_session_send(cmd->session, "* LIST (\\Noselect) \"%c\" \"\"", MAILBOX_NAME_DELIM);
		imap_cmd_reply(cmd, "OK", "LIST completed");
		return CMD_STEP_DONE;
	}
	unsigned int count = patterns->type == IMAP_ARG_LIST ? patterns->list_count : 1;
	const struct imap_arg *list = patterns->type == IMAP_ARG_LIST ? patterns->list : patterns;

	st->patterns = arena_alloc(cmd->arena, count * sizeof(*st->patterns));
	for (unsigned int j = 0; j < count; j++) {
		/* RFC 5258 §3: in an extended LIST "" is no special request and
		 * is ignored for matching. */
		if (!list_pattern_is_delimiter_query(list[j].str, list[j].len))
			add_pattern(cmd, st, ref, &list[j]);
	}
	return list_submit(cmd, st);
}

enum cmd_step cmd_lsub(struct imap_cmd *cmd)
{
	struct list_state *st = arena_alloc(cmd->arena, sizeof(*st));

	if (cmd->arg_count != 2 || !pattern_arg_ok(&cmd->args[0]) ||
	    !pattern_arg_ok(&cmd->args[1])) {
		imap_cmd_reply(cmd, "BAD", "LSUB needs a reference and a mailbox pattern");
		return CMD_STEP_DONE;
	}
	st->lsub = true;
	st->patterns = arena_alloc(cmd->arena, sizeof(*st->patterns));
	add_pattern(cmd, st, &cmd->args[0], &cmd->args[1]);
	if (st->pattern_count == 1) {
		const char *text = list_pattern_text(st->patterns[0]);
		size_t len = strlen(text);

		st->lsub_percent = len > 0 && text[len - 1] == '%';
	}
	return list_submit(cmd, st);
}
