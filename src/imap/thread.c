/* THREAD=ORDEREDSUBJECT and THREAD=REFERENCES (RFC 5256 §3). Nodes live in
 * one array addressed by index (messages first, then dummies), siblings in
 * doubly linked lists; every walk is a loop over parent / sibling links or a
 * breadth-first queue, never recursion. Ids and subjects are looked up in an
 * open-addressing table with a per-call seed, so crafted ids cannot pile
 * into one chain predictably. */
#include "imap/thread.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/xalloc.h"
#include "imap/sort-query.h"
#include "mail/msgid.h"

#define NONE UINT32_MAX

/* Arena block for the ids of one THREAD command. */
#define THREAD_ARENA_BLOCK (64 * 1024)

struct tnode {
	uint32_t parent, first, last, prev, next;
	uint32_t children;
	uint32_t msg;            /* index into msgs, NONE for a dummy */
};

struct map_slot {
	const char *key;         /* NULL: empty */
	uint64_t hash;
	uint32_t value;
};

struct map {
	struct map_slot *slots;
	uint32_t cap, used;      /* cap is a power of two */
	uint64_t seed;
};

struct tctx {
	const struct thread_message *msgs;
	struct tnode *nodes;
	uint32_t count, cap;
	struct arena *arena;
	struct map ids;
};

/* ---- string map ---- */

static uint64_t map_hash(const struct map *m, const char *s)
{
	uint64_t h = 14695981039346656037ULL ^ m->seed;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	/* final avalanche so the low bits (the slot) depend on every byte */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

static void map_init(struct map *m, uint32_t expected)
{
	uint32_t cap = 16;

	while (cap < expected * 2 && cap < (UINT32_C(1) << 30))
		cap *= 2;
	m->slots = xcalloc(cap, sizeof(*m->slots));
	m->cap = cap;
	m->used = 0;
	/* Not secret, just not fixed: the address of this call's map (ASLR)
	 * and the time. */
	m->seed = (uint64_t)(uintptr_t)m ^ ((uint64_t)time(NULL) * 0x9e3779b97f4a7c15ULL);
}

static struct map_slot *map_slot(const struct map *m, const char *key, uint64_t hash)
{
	uint32_t i = (uint32_t)hash & (m->cap - 1);

	while (m->slots[i].key != NULL &&
	       (m->slots[i].hash != hash || strcmp(m->slots[i].key, key) != 0))
		i = (i + 1) & (m->cap - 1);
	return &m->slots[i];
}

static struct map_slot *map_find(const struct map *m, const char *key)
{
	struct map_slot *s = map_slot(m, key, map_hash(m, key));

	return s->key != NULL ? s : NULL;
}

/* key must outlive the map. */
static void map_insert(struct map *m, const char *key, uint32_t value)
{
	if ((m->used + 1) * 2 > m->cap) {
		struct map old = *m;

		m->cap *= 2;
		m->slots = xcalloc(m->cap, sizeof(*m->slots));
		for (uint32_t i = 0; i < old.cap; i++) {
			if (old.slots[i].key != NULL)
				*map_slot(m, old.slots[i].key, old.slots[i].hash) = old.slots[i];
		}
		free(old.slots);
	}
	uint64_t hash = map_hash(m, key);
	struct map_slot *s = map_slot(m, key, hash);
	s->key = key;
	s->hash = hash;
	s->value = value;
	m->used++;
}

/* ---- tree ---- */

static uint32_t node_new(struct tctx *c, uint32_t msg)
{
	if (c->count == c->cap) {
		if (c->cap >= UINT32_MAX / 2)
			abort();
		c->cap = c->cap == 0 ? 64 : c->cap * 2;
		c->nodes = xrealloc(c->nodes, sizeof(*c->nodes) * c->cap);
	}
	c->nodes[c->count] = (struct tnode){ .parent = NONE, .first = NONE, .last = NONE,
					     .prev = NONE, .next = NONE, .msg = msg };
	return c->count++;
}

static bool is_dummy(const struct tctx *c, uint32_t x)
{
	return c->nodes[x].msg == NONE;
}

static void link_child(struct tctx *c, uint32_t parent, uint32_t child)
{
	struct tnode *p = &c->nodes[parent], *n = &c->nodes[child];

	n->parent = parent;
	n->prev = p->last;
	n->next = NONE;
	if (p->last == NONE)
		p->first = child;
	else
		c->nodes[p->last].next = child;
	p->last = child;
	p->children++;
}

static void unlink_child(struct tctx *c, uint32_t child)
{
	struct tnode *n = &c->nodes[child];
	struct tnode *p = &c->nodes[n->parent];

	if (n->prev == NONE)
		p->first = n->next;
	else
		c->nodes[n->prev].next = n->next;
	if (n->next == NONE)
		p->last = n->prev;
	else
		c->nodes[n->next].prev = n->prev;
	p->children--;
	n->parent = n->prev = n->next = NONE;
}

/* x's children take x's place among its siblings, in order; x leaves. */
static void splice_children(struct tctx *c, uint32_t x)
{
	struct tnode *n = &c->nodes[x];
	uint32_t parent = n->parent;

	if (n->children == 0) {
		unlink_child(c, x);
		return;
	}
	for (uint32_t k = n->first; k != NONE; k = c->nodes[k].next)
		c->nodes[k].parent = parent;
	c->nodes[n->first].prev = n->prev;
	c->nodes[n->last].next = n->next;
	if (n->prev == NONE)
		c->nodes[parent].first = n->first;
	else
		c->nodes[n->prev].next = n->first;
	if (n->next == NONE)
		c->nodes[parent].last = n->last;
	else
		c->nodes[n->next].prev = n->last;
	c->nodes[parent].children += n->children - 1;
	n->parent = n->prev = n->next = n->first = n->last = NONE;
	n->children = 0;
}

/* d (detached) takes x's place among its siblings; x is left detached. */
static void replace_node(struct tctx *c, uint32_t x, uint32_t d)
{
	struct tnode *n = &c->nodes[x], *dn = &c->nodes[d];

	dn->parent = n->parent;
	dn->prev = n->prev;
	dn->next = n->next;
	if (n->prev == NONE)
		c->nodes[n->parent].first = d;
	else
		c->nodes[n->prev].next = d;
	if (n->next == NONE)
		c->nodes[n->parent].last = d;
	else
		c->nodes[n->next].prev = d;
	n->parent = n->prev = n->next = NONE;
}

/* RFC 5256 §3 REFERENCES (1A): "do not create a parent/child link if
 * creating that link would introduce a loop", i.e. when parent is child or
 * one of its descendants. The climb is bounded (THREAD_LOOP_WALK_MAX). */
static bool would_loop(const struct tctx *c, uint32_t parent, uint32_t child)
{
	if (parent == child)
		return true;
	if (c->nodes[child].children == 0)
		return false;     /* nothing below child */
	uint32_t x = c->nodes[parent].parent;
	for (uint32_t steps = 0; x != NONE; steps++) {
		if (x == child || steps == THREAD_LOOP_WALK_MAX)
			return true;
		x = c->nodes[x].parent;
	}
	return false;
}

/* All nodes reachable from the root (node 0), breadth first: parents come
 * before their children, so walking the array backwards sees children
 * first. Returns the count written to order (room for c->count). */
static uint32_t bfs_order(const struct tctx *c, uint32_t *order)
{
	uint32_t n = 0;

	order[n++] = 0;
	for (uint32_t i = 0; i < n; i++) {
		for (uint32_t k = c->nodes[order[i]].first; k != NONE; k = c->nodes[k].next)
			order[n++] = k;
	}
	return n;
}

/* ---- sorting siblings by sent date (RFC 5256 §2.2) ---- */

/* The message that stands for x in a sort: a dummy sorts by its first
 * child (RFC 5256 §3 REFERENCES steps 4 and 6). */
static uint32_t sort_msg(const struct tctx *c, uint32_t x)
{
	while (c->nodes[x].msg == NONE && c->nodes[x].first != NONE)
		x = c->nodes[x].first;
	return c->nodes[x].msg;
}

static int date_cmp(const void *pa, const void *pb, void *ctx)
{
	const struct tctx *c = ctx;
	uint32_t a = sort_msg(c, *(const uint32_t *)pa), b = sort_msg(c, *(const uint32_t *)pb);
	time_t da = a == NONE ? 0 : c->msgs[a].sent_date;
	time_t db = b == NONE ? 0 : c->msgs[b].sent_date;

	if (da != db)
		return da < db ? -1 : 1;
	/* Equal dates: mailbox order (the array's). */
	return a < b ? -1 : a > b;
}

/* Sorts x's children by date; tmp has room for them. */
static void sort_children(struct tctx *c, uint32_t x, uint32_t *tmp)
{
	uint32_t n = 0;

	if (c->nodes[x].children < 2)
		return;
	for (uint32_t k = c->nodes[x].first; k != NONE; k = c->nodes[k].next)
		tmp[n++] = k;
	sort_stable(tmp, n, sizeof(*tmp), date_cmp, c);
	c->nodes[x].first = c->nodes[x].last = NONE;
	c->nodes[x].children = 0;
	for (uint32_t i = 0; i < n; i++)
		link_child(c, x, tmp[i]);
}

/* ---- REFERENCES ---- */

static uint32_t node_for_id(struct tctx *c, const char *id, size_t len)
{
	struct map_slot *s = map_find(&c->ids, id);

	if (s != NULL)
		return s->value;
	/* RFC 5256 §3 (1A): no message has it: a dummy, used by every later
	 * reference to the id. */
	uint32_t x = node_new(c, NONE);
	map_insert(&c->ids, arena_strndup(c->arena, id, len), x);
	return x;
}

/* Step (1): links from References (or In-Reply-To) of message i. */
static void link_references(struct tctx *c, uint32_t i, struct buf *id)
{
	const struct thread_message *m = &c->msgs[i];
	uint32_t cur = i + 1, last = NONE;
	size_t total = 0;

	if (m->references != NULL)
		total = msgid_count(m->references, strlen(m->references));
	if (total > 0) {
		const char *p = m->references, *end = p + strlen(p);
		size_t skip = total > THREAD_REFS_MAX ? total - THREAD_REFS_MAX : 0;
		uint32_t prev = NONE;

		while (msgid_next(&p, end, id)) {
			if (skip > 0) {
				skip--;
				continue;
			}
			uint32_t x = node_for_id(c, id->data, id->len);
			/* (1A) consecutive ids are parent and child, unless the
			 * child already has a parent (References may have been
			 * truncated) or the link would close a loop. */
			if (prev != NONE && c->nodes[x].parent == NONE && !would_loop(c, prev, x))
				link_child(c, prev, x);
			prev = x;
		}
		last = prev;
	} else if (m->in_reply_to != NULL) {
		const char *p = m->in_reply_to;

		/* No valid id in References: the first valid one of
		 * In-Reply-To is the only reference. */
		if (msgid_next(&p, p + strlen(p), id))
			last = node_for_id(c, id->data, id->len);
	}
	/* (1B) The last reference is the parent, replacing a link made from
	 * another message's truncated References; without references the
	 * message has no parent. */
	if (c->nodes[cur].parent != NONE)
		unlink_child(c, cur);
	if (last != NONE && !would_loop(c, last, cur))
		link_child(c, last, cur);
}

/* Step (3): dummies go. Children before parents (the BFS order backwards),
 * so a dummy's children are final when it is looked at: under a message or
 * a dummy they take its place; at the top level only a single child does. */
static void prune_dummies(struct tctx *c, const uint32_t *order, uint32_t n)
{
	for (uint32_t i = n; i-- > 0;) {
		uint32_t p = order[i], x = c->nodes[p].first;

		while (x != NONE) {
			uint32_t next = c->nodes[x].next;

			if (is_dummy(c, x) && (p != 0 || c->nodes[x].children <= 1))
				splice_children(c, x);
			x = next;
		}
	}
}

static const char *thread_subject(const struct tctx *c, uint32_t x)
{
	uint32_t m = is_dummy(c, x) ? c->nodes[c->nodes[x].first].msg : c->nodes[x].msg;
	const char *s = m == NONE ? NULL : c->msgs[m].base_subject;

	return s != NULL ? s : "";
}

static bool is_reply(const struct tctx *c, uint32_t x)
{
	return !is_dummy(c, x) && c->msgs[c->nodes[x].msg].subject_is_reply;
}

/* Step (5): threads with the same base subject gathered. */
static void gather_subjects(struct tctx *c, uint32_t *tmp)
{
	struct map subjects;
	uint32_t n = 0;

	for (uint32_t x = c->nodes[0].first; x != NONE; x = c->nodes[x].next)
		tmp[n++] = x;
	map_init(&subjects, n);
	/* (5B) one message per subject: a dummy wins over a message, and a
	 * message that is not a reply over one that is. */
	for (uint32_t i = 0; i < n; i++) {
		uint32_t x = tmp[i];
		const char *subject = thread_subject(c, x);

		if (*subject == '\0')
			continue;
		struct map_slot *s = map_find(&subjects, subject);
		if (s == NULL) {
			map_insert(&subjects, subject, x);
			continue;
		}
		uint32_t t = s->value;
		if (!is_dummy(c, t) && (is_dummy(c, x) || (is_reply(c, t) && !is_reply(c, x))))
			s->value = x;
	}
	/* (5C) merge into the table's message. tmp holds the top level as it
	 * was; a thread moved under another one meanwhile is skipped. */
	for (uint32_t i = 0; i < n; i++) {
		uint32_t x = tmp[i];

		if (c->nodes[x].parent != 0)
			continue;
		const char *subject = thread_subject(c, x);
		if (*subject == '\0')
			continue;
		struct map_slot *s = map_find(&subjects, subject);
		uint32_t t = s->value;
		if (t == x)
			continue;
		if (is_dummy(c, t) && is_dummy(c, x)) {
			/* both dummies: x's children join t's */
			while (c->nodes[x].first != NONE) {
				uint32_t k = c->nodes[x].first;

				unlink_child(c, k);
				link_child(c, t, k);
			}
			unlink_child(c, x);
		} else if (is_dummy(c, t) || (is_reply(c, x) && !is_reply(c, t))) {
			unlink_child(c, x);
			link_child(c, t, x);
		} else {
			uint32_t d = node_new(c, NONE);

			replace_node(c, t, d);
			link_child(c, d, t);
			unlink_child(c, x);
			link_child(c, d, x);
			s->value = d;
		}
	}
	free(subjects.slots);
}

static void thread_references(struct tctx *c, struct buf *id)
{
	uint32_t n = (uint32_t)(c->count - 1);

	/* (1) Each Message-ID belongs to the first message that has it; a
	 * message without one, or with a duplicate, is known by no id. */
	for (uint32_t i = 0; i < n; i++) {
		const char *v = c->msgs[i].message_id, *p = v;

		if (v != NULL && msgid_next(&p, v + strlen(v), id) && map_find(&c->ids, id->data) == NULL)
			map_insert(&c->ids, arena_strndup(c->arena, id->data, id->len), i + 1);
	}
	for (uint32_t i = 0; i < n; i++)
		link_references(c, i, id);

	/* (2) Every node without a parent goes under the root. */
	for (uint32_t x = 1; x < c->count; x++) {
		if (c->nodes[x].parent == NONE)
			link_child(c, 0, x);
	}

	/* Room for every node (step 5 adds at most one dummy per top-level
	 * thread, after which only step 6 needs it again). */
	uint32_t *order = xmalloc(sizeof(*order) * (size_t)c->count * 2);
	uint32_t *tmp = order + c->count;
	uint32_t count = bfs_order(c, order);
	prune_dummies(c, order, count);

	/* (4) The top level by date; a dummy by its earliest child. */
	for (uint32_t x = c->nodes[0].first; x != NONE; x = c->nodes[x].next) {
		if (is_dummy(c, x))
			sort_children(c, x, tmp);
	}
	sort_children(c, 0, tmp);

	gather_subjects(c, tmp);

	/* (6) Every set of siblings by date, deepest first, so a dummy's
	 * children are in order before it is placed by its first child. */
	free(order);
	order = xmalloc(sizeof(*order) * (size_t)c->count * 2);
	tmp = order + c->count;
	count = bfs_order(c, order);
	for (uint32_t i = count; i-- > 0;)
		sort_children(c, order[i], tmp);
	free(order);
}

/* ---- ORDEREDSUBJECT ---- */

static int subject_cmp(const void *pa, const void *pb, void *ctx)
{
	const struct tctx *c = ctx;
	uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
	const char *sa = c->msgs[a].base_subject, *sb = c->msgs[b].base_subject;
	int r = strcmp(sa != NULL ? sa : "", sb != NULL ? sb : "");

	if (r != 0)
		return r;
	if (c->msgs[a].sent_date != c->msgs[b].sent_date)
		return c->msgs[a].sent_date < c->msgs[b].sent_date ? -1 : 1;
	return a < b ? -1 : a > b;
}

/* RFC 5256 §3 ORDEREDSUBJECT: sorted by base subject then sent date, split
 * by subject; the first message of each is the thread's root and the rest
 * are its children; threads ordered by their first message's date. */
static void thread_orderedsubject(struct tctx *c)
{
	uint32_t n = (uint32_t)(c->count - 1);
	uint32_t *idx = xmalloc(sizeof(*idx) * ((size_t)n + 1));
	uint32_t *tmp = xmalloc(sizeof(*tmp) * ((size_t)n + 1));

	for (uint32_t i = 0; i < n; i++)
		idx[i] = i;
	sort_stable(idx, n, sizeof(*idx), subject_cmp, c);
	for (uint32_t i = 0; i < n;) {
		uint32_t root = idx[i] + 1, j = i + 1;
		const char *s = c->msgs[idx[i]].base_subject;

		link_child(c, 0, root);
		for (; j < n; j++) {
			const char *t = c->msgs[idx[j]].base_subject;

			if (strcmp(s != NULL ? s : "", t != NULL ? t : "") != 0)
				break;
			link_child(c, root, idx[j] + 1);
		}
		i = j;
	}
	sort_children(c, 0, tmp);
	free(tmp);
	free(idx);
}

/* ---- output ---- */

/* RFC 5256 §4: thread-list = "(" (thread-members / thread-nested) ")",
 * thread-members = nz-number *(SP nz-number) [SP thread-nested],
 * thread-nested = 2*thread-list. An only child continues its parent's
 * members; two or more children are nested lists. Walked with parent links,
 * no stack. */
static void emit(const struct tctx *c, struct buf *out)
{
	for (uint32_t top = c->nodes[0].first; top != NONE; top = c->nodes[top].next) {
		uint32_t x = top;
		bool down = true;

		buf_append_char(out, '(');
		for (;;) {
			const struct tnode *n = &c->nodes[x];

			if (down) {
				if (n->msg != NONE) {
					if (out->len > 0 && out->data[out->len - 1] != '(')
						buf_append_char(out, ' ');
					buf_printf(out, "%" PRIu32, c->msgs[n->msg].number);
				}
				if (n->children == 0) {
					down = false;
					continue;
				}
				if (n->children >= 2)
					buf_append_str(out, n->msg != NONE ? " (" : "(");
				x = n->first;
				continue;
			}
			/* x's subtree is written */
			if (x == top)
				break;
			if (c->nodes[n->parent].children >= 2) {
				buf_append_char(out, ')');
				if (n->next != NONE) {
					buf_append_char(out, '(');
					x = n->next;
					down = true;
					continue;
				}
			}
			x = n->parent;
		}
		buf_append_char(out, ')');
	}
}

bool thread_format(enum thread_algorithm algorithm, const struct thread_message *msgs,
		   uint32_t count, struct buf *out)
{
	struct tctx c = { .msgs = msgs };
	struct buf id;

	if (count == 0)
		return !out->overflow;
	c.cap = count + 1;
	c.nodes = xmalloc(sizeof(*c.nodes) * c.cap);
	node_new(&c, NONE);                    /* the root */
	for (uint32_t i = 0; i < count; i++)
		node_new(&c, i);
	if (algorithm == THREAD_REFERENCES) {
		c.arena = arena_create(THREAD_ARENA_BLOCK);
		map_init(&c.ids, count);
		buf_init(&id, MSGID_MAX + 1);
		thread_references(&c, &id);
		buf_free(&id);
		free(c.ids.slots);
		arena_destroy(&c.arena);
	} else {
		thread_orderedsubject(&c);
	}
	emit(&c, out);
	free(c.nodes);
	return !out->overflow;
}

enum search_parse_result thread_query_parse(const struct imap_arg *args, unsigned int count,
					    struct arena *arena, struct thread_query **query_r,
					    const char **error_r)
{
	struct thread_query *q = arena_alloc(arena, sizeof(*q));
	enum search_parse_result r;

	*query_r = NULL;
	/* RFC 5256 §5: thread = ["UID" SP] "THREAD" SP thread-alg SP
	 * search-criteria */
	if (count == 0) {
		*error_r = "THREAD needs an algorithm";
		return SEARCH_PARSE_BAD;
	}
	if (imap_arg_is_atom(&args[0], "ORDEREDSUBJECT")) {
		q->algorithm = THREAD_ORDEREDSUBJECT;
	} else if (imap_arg_is_atom(&args[0], "REFERENCES")) {
		q->algorithm = THREAD_REFERENCES;
	} else {
		*error_r = "Unknown threading algorithm";
		return SEARCH_PARSE_BAD;
	}
	q->search = search_query_new(arena);
	r = search_query_parse_program(q->search, args + 1, count - 1, false, error_r);
	if (r == SEARCH_PARSE_OK)
		*query_r = q;
	return r;
}
