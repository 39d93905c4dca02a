#include "env.h"

#include "commit.h" /* generated: $(BUILD)/gen/commit.h */

#include <coap3/coap.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <wolfssl/version.h>

#include "util.h"

void sb_env_lib_versions(char *out, size_t cap)
{
    snprintf(out, cap, "openssl=%s wolfssl=%s libcoap=%s", OpenSSL_version(OPENSSL_VERSION_STRING),
             LIBWOLFSSL_VERSION_STRING, coap_package_version());
}

void sb_env_kernel(char *out, size_t cap)
{
    struct utsname u;
    snprintf(out, cap, "%s", uname(&u) == 0 ? u.release : "unknown");
}

void sb_env_commit(char *out, size_t cap)
{
    snprintf(out, cap, "%s", SB_BUILD_COMMIT); /* fixed at build time (Makefile) */
}

void sb_env_timestamp(char *out, size_t cap)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
