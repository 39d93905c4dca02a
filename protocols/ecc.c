/* ecc.c: the asymmetric backends by name (crypto.h). */
#include <string.h>

#include "crypto.h"

extern const sb_ecc sb_ecc_openssl, sb_ecc_wolfssl;

const sb_ecc *sb_ecc_get(const char *name)
{
    if (!name) return NULL;
    if (strcmp(name, "openssl") == 0) return &sb_ecc_openssl;
    if (strcmp(name, "wolfssl") == 0) return &sb_ecc_wolfssl;
    return NULL;
}
