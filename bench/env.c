#include "env.h"

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
    char dir[4096], cmd[4200];
    snprintf(out, cap, "unknown");
    if (sb_data_path("Makefile", dir, sizeof dir) != SB_OK) return;
    char *slash = strrchr(dir, '/');
    if (slash) *slash = '\0';
    else snprintf(dir, sizeof dir, ".");
    snprintf(cmd, sizeof cmd,
             "cd '%s' 2>/dev/null && git rev-parse --short HEAD 2>/dev/null && "
             "(git diff --quiet HEAD -- 2>/dev/null || echo +dirty)", dir);
    FILE *p = popen(cmd, "r");
    if (!p) return;
    char a[64] = "", b[64] = "";
    if (fgets(a, sizeof a, p)) {
        if (!fgets(b, sizeof b, p)) b[0] = '\0';
        a[strcspn(a, "\n")] = '\0';
        b[strcspn(b, "\n")] = '\0';
        if (a[0]) snprintf(out, cap, "%s%s", a, b);
    }
    pclose(p);
}

void sb_env_timestamp(char *out, size_t cap)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
