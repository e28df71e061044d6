/* Binary search in ascending uint32_t arrays (UIDs, sequence maps). */
#ifndef PETREL_SORTED_H
#define PETREL_SORTED_H

#include <stdbool.h>
#include <stdint.h>

/* Index of the first element >= value (n when none). */
static inline uint32_t sorted_u32_lower_bound(const uint32_t *a, uint32_t n, uint32_t value)
{
	uint32_t lo = 0, hi = n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (a[mid] < value)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static inline bool sorted_u32_contains(const uint32_t *a, uint32_t n, uint32_t value)
{
	uint32_t i = sorted_u32_lower_bound(a, n, value);

	return i < n && a[i] == value;
}

#endif
