/* RFC 5256 §2.1 base subject: a Subject with the artifacts of reply and
 * forward (Re:, Fwd:, [list] tags, "(fwd)", "[fwd: ...]") removed, for
 * SORT SUBJECT and both THREAD algorithms. One pass plus linear rescans:
 * O(n), no recursion, no allocation beyond the result. */
#ifndef PETREL_MAIL_BASE_SUBJECT_H
#define PETREL_MAIL_BASE_SUBJECT_H

#include <stdbool.h>
#include <stddef.h>

struct arena;

/* subject[0..len) is the Subject field's value already RFC 2047-decoded to
 * UTF-8 (step 1's decoding is the caller's; its whitespace rules are done
 * here: tabs, CR and LF become spaces and runs of spaces one). Returns the
 * base subject, NUL-terminated, in arena; "" for an empty or absent subject.
 * *reply_or_forward_r (may be NULL) tells whether extraction removed a
 * subj-refwd ("Re:", "Fwd:", "Fw:"), a "(fwd)" trailer or a "[fwd: ...]"
 * wrapper: THREAD=REFERENCES step (5) needs it (RFC 5256 §3 says
 * subj-refwd or "(fwd)"; "[fwd: ...]" is a forward as well, as Dovecot
 * reads it).
 * Matching of "re", "fw", "fwd" is ASCII case-insensitive; the result keeps
 * its case (SORT and THREAD compare it after i;unicode-casemap folding). */
const char *base_subject(struct arena *arena, const char *subject, size_t len,
			 bool *reply_or_forward_r);

#endif
