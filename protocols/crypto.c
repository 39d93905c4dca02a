/* crypto.c: backend lookup by name. The tables themselves live in crypto_openssl.c and
 * crypto_wolfssl.c (symmetric) and the ecc_*.c files (asymmetric, EDHOC). */
#include <string.h>

#include "crypto.h"

extern const sb_crypto sb_crypto_openssl, sb_crypto_wolfssl;

const sb_crypto *sb_crypto_get(const char *name)
{
    if (!name) return NULL;
    if (strcmp(name, "openssl") == 0) return &sb_crypto_openssl;
    if (strcmp(name, "wolfssl") == 0) return &sb_crypto_wolfssl;
    return NULL;
}
