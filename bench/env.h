/* env.h: what a row records about where it was measured: library versions, kernel, commit.
 * Contract: fills caller buffers; never fails (unknown parts read "unknown"). */
#ifndef SB_ENV_H
#define SB_ENV_H

#include <stddef.h>

void sb_env_lib_versions(char *out, size_t cap); /* "openssl=3.0.x wolfssl=5.5.4 libcoap=4.3.1" */
void sb_env_kernel(char *out, size_t cap);
void sb_env_commit(char *out, size_t cap); /* the commit built from ("+dirty": with local changes) */
void sb_env_timestamp(char *out, size_t cap); /* ISO 8601 UTC */

#endif
