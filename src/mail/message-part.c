/* Walking the part tree. Iterative: a hostile message can make the tree as
 * deep as MESSAGE_PARSER_MAX_DEPTH, and nothing here recurses. */
#include "mail/message-part.h"

#include <stdbool.h>

#include <stddef.h>

const struct message_part *message_part_next(const struct message_part *part)
{
	if (part->children != NULL)
		return part->children;
	while (part != NULL && part->next == NULL)
		part = part->parent;
	return part != NULL ? part->next : NULL;
}

static const struct message_part *next_within(const struct message_part *p,
					      const struct message_part *root)
{
	if (p->children != NULL)
		return p->children;
	while (p != root && p->next == NULL)
		p = p->parent;
	return p == root ? NULL : p->next;
}

unsigned int message_part_count(const struct message_part *root)
{
	unsigned int n = 0;

	for (const struct message_part *p = root; p != NULL; p = next_within(p, root))
		n++;
	return n;
}

const struct message_part *message_part_find(const struct message_part *root,
					     const char *section)
{
	const struct message_part *part = root;
	bool first = true;

	while (*section != '\0') {
		unsigned long n = 0;

		if (*section < '1' || *section > '9')
			return NULL;
		while (*section >= '0' && *section <= '9') {
			n = n * 10 + (unsigned long)(*section++ - '0');
			if (n > 1000000)
				return NULL;
		}
		if (*section == '.')
			section++;
		else if (*section != '\0')
			return NULL;
		/* RFC 9051 §6.4.5: a message/rfc822 part's numbers are those of
		 * the message inside; a non-multipart message has part 1 = itself
		 * (so a message whose own type is message/rfc822 has part 1 = its
		 * body, the enclosed message, and 1.1 = the enclosed one's part 1). */
		if (!first && (part->flags & MESSAGE_PART_FLAG_MESSAGE_RFC822)) {
			part = part->children;
			if (part == NULL)
				return NULL;
		}
		if (part->flags & MESSAGE_PART_FLAG_MULTIPART) {
			part = part->children;
			while (part != NULL && --n > 0)
				part = part->next;
			if (part == NULL)
				return NULL;
		} else if (n != 1) {
			return NULL;
		}
		first = false;
	}
	return part;
}
