/* Backend-neutral parts of the store: result names. Never touches storage;
 * the checks of names a backend is given are in store-names.c. */
#include "store/store.h"

const char *store_result_name(enum store_result r)
{
	switch (r) {
	case STORE_OK: return "ok";
	case STORE_NOT_FOUND: return "not found";
	case STORE_EXISTS: return "exists";
	case STORE_INVALID: return "invalid";
	case STORE_NOT_ALLOWED: return "not allowed";
	case STORE_LIMIT: return "limit";
	case STORE_TOO_BIG: return "too big";
	case STORE_NO_SPACE: return "no space";
	case STORE_BUSY: return "busy";
	case STORE_CORRUPT: return "corrupt";
	case STORE_ERROR: return "error";
	case STORE_MISSING: return "missing";
	case STORE_READ_ONLY: return "read-only";
	}
	return "unknown";
}
