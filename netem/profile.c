/* profile.c: parser for netem/profiles/NAME.conf (format in netem/profiles/README.md). */
#include "profile.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../bench/util.h"

/* Shipped profiles: keep in step with netem/profiles/ (tests/test_profile.c checks both ways). */
static const char *const shipped[] = {"ideal", "nbiot", "nbiot-poor", "ltem", "6lowpan", "lossy"};

size_t sb_profile_list(const char **names, size_t cap)
{
    size_t n = sizeof shipped / sizeof shipped[0];
    size_t i;
    for (i = 0; i < n && i < cap; i++) names[i] = shipped[i];
    return i;
}

static void defaults(sb_profile *p)
{
    memset(p, 0, sizeof *p);
    /* tc-netem(8): jitter without a distribution table is uniform */
    strcpy(p->up.jitter_dist, "uniform");
    strcpy(p->down.jitter_dist, "uniform");
    p->mtu = 1500;
}

enum kind { K_NUM, K_DIST, K_BOOL };

typedef struct keydef {
    const char *name;
    enum kind kind;
    double min, max;
    size_t off; /* offset in sb_link_dir (per direction) or sb_profile */
    int per_dir;
} keydef;

#define DIRKEY(n, k, lo, hi) {#n, k, lo, hi, offsetof(sb_link_dir, n), 1}
#define PKEY(n, lo, hi) {#n, K_NUM, lo, hi, offsetof(sb_profile, n), 0}

static const keydef keys[] = {
    DIRKEY(delay_ms, K_NUM, 0, 3600e3),
    DIRKEY(jitter_ms, K_NUM, 0, 3600e3),
    DIRKEY(jitter_dist, K_DIST, 0, 0),
    DIRKEY(loss_pct, K_NUM, 0, 100),
    DIRKEY(ge_p, K_NUM, 0, 100),
    DIRKEY(ge_r, K_NUM, 0, 100),
    DIRKEY(ge_loss_bad, K_NUM, 0, 100),
    DIRKEY(ge_loss_good, K_NUM, 0, 100),
    DIRKEY(rate_kbit, K_NUM, 0, 100e6),
    {"mtu", K_NUM, 64, 65535, offsetof(sb_profile, mtu), 0},
    {"lowpan", K_BOOL, 0, 1, offsetof(sb_profile, lowpan), 0},
    PKEY(tx_mw, 0, 1e6),
    PKEY(rx_mw, 0, 1e6),
    PKEY(idle_mw, 0, 1e6),
    PKEY(sleep_mw, 0, 1e6),
    PKEY(tail_s, 0, 86400),
    PKEY(cpu_nj_per_instr, 0, 1e6),
    PKEY(battery_mah, 0, 1e9),
    PKEY(battery_v, 0, 1000),
};

static int valid_dist(const char *s)
{
    return !strcmp(s, "uniform") || !strcmp(s, "normal") || !strcmp(s, "pareto") ||
           !strcmp(s, "paretonormal");
}

static int set_dir(sb_link_dir *d, const keydef *k, const char *val, double v)
{
    if (k->kind == K_DIST) {
        snprintf(d->jitter_dist, sizeof d->jitter_dist, "%s", val);
        return 0;
    }
    *(double *)((char *)d + k->off) = v;
    return 0;
}

/* One `key = value` assignment; returns 0 or a static reason. */
static const char *assign(sb_profile *p, const char *key, const char *val)
{
    const char *base = key;
    int dir = 0; /* 0 both, 1 up, 2 down */
    if (!strncmp(key, "up_", 3)) dir = 1, base = key + 3;
    else if (!strncmp(key, "down_", 5)) dir = 2, base = key + 5;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const keydef *k = &keys[i];
        if (strcmp(k->name, base)) continue;
        if (!k->per_dir && dir) return "this key has no up_/down_ form";
        double v = 0;
        if (k->kind == K_DIST) {
            if (!valid_dist(val)) return "jitter_dist must be uniform, normal, pareto or paretonormal";
        } else if (k->kind == K_BOOL) {
            if (strcmp(val, "0") && strcmp(val, "1")) return "value must be 0 or 1";
            v = val[0] - '0';
        } else if (sb_parse_double(val, k->min, k->max, &v)) {
            return "value is not a number in range";
        }
        if (k->per_dir) {
            if (dir != 2) set_dir(&p->up, k, val, v);
            if (dir != 1) set_dir(&p->down, k, val, v);
        } else if (!strcmp(k->name, "mtu")) {
            if (v != (unsigned)v) return "mtu must be an integer";
            p->mtu = (unsigned)v;
        } else if (!strcmp(k->name, "lowpan")) {
            p->lowpan = (int)v;
        } else {
            *(double *)((char *)p + k->off) = v;
        }
        return NULL;
    }
    return "unknown key";
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s)) s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1])) s[--n] = '\0';
    return s;
}

static int parse_text(char *text, const char *file, sb_profile *p, char *err, size_t cap)
{
    int lineno = 0;
    for (char *line = text, *next; line; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = '\0';
        lineno++;
        char *hash = strchr(line, '#');
        if (hash) *hash = '\0';
        char *s = trim(line);
        if (!*s) continue;
        char *eq = strchr(s, '=');
        if (!eq) return sb_fail(err, cap, SB_EINVAL, "%s:%d: expected `key = value`", file, lineno);
        *eq = '\0';
        char *key = trim(s), *val = trim(eq + 1);
        if (!*key || !*val)
            return sb_fail(err, cap, SB_EINVAL, "%s:%d: expected `key = value`", file, lineno);
        const char *why = assign(p, key, val);
        if (why) return sb_fail(err, cap, SB_EINVAL, "%s:%d: %s: %s", file, lineno, key, why);
    }
    return SB_OK;
}

static int valid_name(const char *name)
{
    if (!*name || strlen(name) >= sizeof ((sb_profile *)0)->name) return 0;
    for (const char *c = name; *c; c++)
        if (!isalnum((unsigned char)*c) && *c != '-' && *c != '_' && *c != '.') return 0;
    return name[0] != '.';
}

static int unknown(const char *name, char *err, size_t cap)
{
    char known[256] = "";
    size_t n = sizeof shipped / sizeof shipped[0];
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(known);
        snprintf(known + len, sizeof known - len, "%s%s", i ? ", " : "", shipped[i]);
    }
    return sb_fail(err, cap, SB_ENOTFOUND, "unknown profile '%s' (known: %s; or give a path to a .conf file)",
                   name, known);
}

int sb_profile_load(const char *name, sb_profile *p, char *err, size_t cap)
{
    char path[4096];
    const char *base = strrchr(name, '/');
    size_t nlen = strlen(name);
    int is_path = base || (nlen > 5 && !strcmp(name + nlen - 5, ".conf"));
    if (is_path) {
        snprintf(path, sizeof path, "%s", name);
    } else {
        if (!valid_name(name)) return unknown(name, err, cap);
        const char *dir = getenv("SECBENCH_PROFILES");
        if (dir && *dir) {
            snprintf(path, sizeof path, "%s/%s.conf", dir, name);
        } else {
            char rel[96];
            snprintf(rel, sizeof rel, "netem/profiles/%s.conf", name);
            if (sb_data_path(rel, path, sizeof path) != SB_OK) return unknown(name, err, cap);
        }
    }
    size_t len;
    char *text = sb_read_file(path, &len);
    if (!text) {
        if (!is_path && errno == ENOENT) return unknown(name, err, cap);
        return sb_fail(err, cap, is_path && errno == ENOENT ? SB_ENOTFOUND : SB_EIO,
                       "cannot read profile %s: %s", path, strerror(errno));
    }
    if (strlen(text) != len) {
        free(text);
        return sb_fail(err, cap, SB_EINVAL, "%s: contains a NUL byte", path);
    }
    sb_profile tmp;
    defaults(&tmp);
    /* the name is the file's base name without .conf */
    const char *b = base ? base + 1 : name;
    size_t blen = strlen(b);
    if (blen > 5 && !strcmp(b + blen - 5, ".conf")) blen -= 5;
    if (blen >= sizeof tmp.name) blen = sizeof tmp.name - 1;
    memcpy(tmp.name, b, blen);
    tmp.name[blen] = '\0';
    int rc = parse_text(text, path, &tmp, err, cap);
    free(text);
    if (rc == SB_OK) *p = tmp;
    return rc;
}

static void override_dir(sb_link_dir *d, double delay_ms, double jitter_ms, double loss_pct,
                         double rate_kbit)
{
    if (delay_ms >= 0) d->delay_ms = delay_ms;
    if (jitter_ms >= 0) d->jitter_ms = jitter_ms;
    if (loss_pct >= 0) {
        /* --loss replaces the loss model: random loss only */
        d->loss_pct = loss_pct;
        d->ge_p = d->ge_r = d->ge_loss_bad = d->ge_loss_good = 0;
    }
    if (rate_kbit >= 0) d->rate_kbit = rate_kbit;
}

static int dir_emulates(const sb_link_dir *d)
{
    return d->delay_ms > 0 || d->jitter_ms > 0 || d->loss_pct > 0 || d->ge_p > 0 || d->rate_kbit > 0;
}

int sb_profile_emulates(const sb_profile *p)
{
    return dir_emulates(&p->up) || dir_emulates(&p->down);
}

void sb_profile_override(sb_profile *p, double delay_ms, double jitter_ms, double loss_pct,
                         double rate_kbit)
{
    override_dir(&p->up, delay_ms, jitter_ms, loss_pct, rate_kbit);
    override_dir(&p->down, delay_ms, jitter_ms, loss_pct, rate_kbit);
}
