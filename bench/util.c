#include "util.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

const char *sb_strerror(int err)
{
    switch (err) {
    case SB_OK: return "ok";
    case SB_ETIMEOUT: return "timeout";
    case SB_ECLOSED: return "connection closed by peer";
    case SB_EIO: return "i/o error";
    case SB_EPROTO: return "protocol error";
    case SB_EAUTH: return "authentication failed";
    case SB_ENOMEM: return "out of memory";
    case SB_EINVAL: return "invalid argument";
    case SB_EUNSUP: return "not supported";
    case SB_ESTOP: return "stopped";
    case SB_EREPLAY: return "replay detected";
    case SB_ESPACE: return "buffer too small";
    case SB_ENOTFOUND: return "not found";
    case SB_EAGAIN: return "try again";
    default: return "unknown error";
    }
}

int64_t sb_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * SB_NS_PER_S + ts.tv_nsec;
}

int sb_ms_left(int64_t deadline_ns)
{
    int64_t left = deadline_ns - sb_now_ns();
    if (left <= 0) return 0;
    left = (left + SB_NS_PER_MS - 1) / SB_NS_PER_MS;
    return left > INT_MAX ? INT_MAX : (int)left;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int sb_hex_decode(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = strlen(hex);
    if (n % 2) return SB_EINVAL;
    if (n / 2 > cap) return SB_ESPACE;
    for (size_t i = 0; i < n / 2; i++) {
        int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) return SB_EINVAL;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return (int)(n / 2);
}

void sb_hex_encode(const uint8_t *in, size_t len, char *out)
{
    static const char d[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = d[in[i] >> 4];
        out[2 * i + 1] = d[in[i] & 15];
    }
    out[2 * len] = '\0';
}

uint64_t sb_fnv64(const uint8_t *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}

int sb_fail(char *buf, size_t cap, int err, const char *fmt, ...)
{
    if (buf && cap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf, cap, fmt, ap);
        va_end(ap);
    }
    return err;
}

int sb_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    if (!s || !*s || *s == '-' || *s == '+') return SB_EINVAL;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v > max) return SB_EINVAL;
    *out = v;
    return SB_OK;
}

int sb_parse_double(const char *s, double min, double max, double *out)
{
    if (!s || !*s) return SB_EINVAL;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || !(v >= min && v <= max)) return SB_EINVAL;
    *out = v;
    return SB_OK;
}

int sb_mkdir_p(const char *path, unsigned mode)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp) {
        errno = ENAMETOOLONG;
        return SB_EIO;
    }
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, (mode_t)mode) != 0 && errno != EEXIST) return SB_EIO;
            *p = '/';
        }
    return mkdir(tmp, (mode_t)mode) == 0 || errno == EEXIST ? SB_OK : SB_EIO;
}

int sb_grow(void *vp, size_t *cap, size_t n, size_t elem, size_t first)
{
    if (n < *cap) return SB_OK;
    void *old, *nv;
    memcpy(&old, vp, sizeof old); /* vp points at a T*: copied, not aliased as void* */
    size_t nc = *cap ? *cap * 2 : first;
    if (!(nv = realloc(old, nc * elem))) return SB_ENOMEM;
    memcpy(vp, &nv, sizeof nv);
    *cap = nc;
    return SB_OK;
}

char *sb_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n - 1, f);
        if (n < cap - 1) break;
        char *nb = realloc(buf, cap *= 2);
        if (!nb) {
            free(buf);
            buf = NULL;
        } else {
            buf = nb;
        }
    }
    fclose(f);
    if (!buf) return NULL;
    buf[n] = '\0';
    if (len) *len = n;
    return buf;
}

int sb_data_path(const char *rel, char *out, size_t cap)
{
    const char *home = getenv("SECBENCH_HOME");
    if (home && *home) {
        snprintf(out, cap, "%s/%s", home, rel);
        return SB_OK;
    }
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return SB_EIO;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash) *slash = '\0';
    /* build/secbench and build/tests/test_x both live below the tree root */
    for (int up = 1; up <= 3; up++) {
        char cand[4096 + 64];
        size_t len = strlen(exe);
        for (int i = 0; i < up && len; i++) {
            while (len && exe[len - 1] != '/') len--;
            if (len) len--;
        }
        snprintf(cand, sizeof cand, "%.*s/%s", (int)len, exe, rel);
        if (access(cand, F_OK) == 0) {
            snprintf(out, cap, "%s", cand);
            return SB_OK;
        }
    }
    snprintf(out, cap, "%s", rel);
    return SB_ENOTFOUND;
}
