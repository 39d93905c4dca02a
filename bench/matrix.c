#include "matrix.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../netem/profile.h"
#include "row.h"
#include "util.h"

/* ---------------------------------------------------------------- stack ids and selectors */

const char *sb_matrix_family(const char *id, char *buf, size_t cap)
{
    static const struct {
        const char *prefix, *family;
    } map[] = {
        {"oscore+dtls", "oscore+dtls"}, {"oscore", "oscore"}, {"coap", "coap"},
        {"dtls", "dtls"},               {"tls", "tls"},       {"edhoc", "edhoc"},
    };
    snprintf(buf, cap, "%s", "");
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strncmp(id, map[i].prefix, strlen(map[i].prefix)) == 0) {
            snprintf(buf, cap, "%s", map[i].family);
            break;
        }
    return buf;
}

static int has_token(const char *id, const char *tok)
{
    size_t n = strlen(tok);
    for (const char *p = id; (p = strstr(p, tok)); p++)
        if ((p == id || p[-1] == '-') && (p[n] == '-' || p[n] == '\0')) return 1;
    return 0;
}

/* Fewer expected bytes first, following the handshake sizes of
 * draft-ietf-iotops-security-protocol-comparison-08 §3.1: PSK < PSK+ECDHE < certificates,
 * 8-byte tags (CCM-8) < 16-byte (GCM), EDHOC static DH (method 3) < signatures (method 0);
 * TLS 1.3 before 1.2 (7 bytes less record overhead per message, §4); plain CoAP over UDP
 * before TCP (no connection set-up). Ties keep the order of `secbench list`. */
int sb_matrix_lean_rank(const char *id)
{
    char fam[16];
    sb_matrix_family(id, fam, sizeof fam);
    int r = 0;
    if (strcmp(fam, "coap") == 0) return strncmp(id, "coap+tcp", 8) == 0;
    if (strcmp(fam, "edhoc") == 0) {
        int m = 0, s = 0;
        sscanf(id, "edhoc-m%d-s%d", &m, &s);
        return (m == 3 ? 0 : m == 0 ? 200 : 100) + s;
    }
    if (has_token(id, "ecdhe")) r += 100;
    else if (has_token(id, "ecdsa")) r += 200;
    if (has_token(id, "gcm")) r += 10;
    if (strncmp(id, "tls1.2", 6) == 0) r += 1;
    return r;
}

/* Id without its last "-cipher" token: the configuration @ccm8 picks one cipher for. */
static void config_key(const char *id, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s", id);
    char *dash = strrchr(buf, '-');
    if (dash && (strcmp(dash, "-ccm8") == 0 || strcmp(dash, "-gcm") == 0)) *dash = '\0';
}

static int push_unique(const char **out, size_t *n, size_t cap, const char *id)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp(out[i], id) == 0) return 0;
    if (*n < cap) out[(*n)++] = id;
    return 1;
}

static void select_one(const char *sel, const char *const *avail, size_t navail,
                       const char **out, size_t *n, size_t cap, char *err, size_t errcap)
{
    char fam[16], want[32];
    if (strcmp(sel, "*") == 0) {
        for (size_t i = 0; i < navail; i++) push_unique(out, n, cap, avail[i]);
        return;
    }
    if (strcmp(sel, "@ccm8") == 0) {
        /* Each configuration once: its CCM-8 variant, else GCM, else the id itself. */
        for (size_t i = 0; i < navail; i++) {
            char ki[64], kj[64];
            config_key(avail[i], ki, sizeof ki);
            const char *best = avail[i];
            for (size_t j = 0; j < navail; j++) {
                config_key(avail[j], kj, sizeof kj);
                if (strcmp(ki, kj) == 0 && has_token(avail[j], "ccm8")) best = avail[j];
            }
            push_unique(out, n, cap, best);
        }
        return;
    }
    if (sel[0] == '@') {
        snprintf(want, sizeof want, "%s", sel + 1);
        char *lean = strstr(want, "-leanest");
        int leanest = lean && lean[8] == '\0';
        if (leanest) *lean = '\0';
        const char *best = NULL;
        for (size_t i = 0; i < navail; i++) {
            if (strcmp(sb_matrix_family(avail[i], fam, sizeof fam), want) != 0) continue;
            if (!leanest) push_unique(out, n, cap, avail[i]);
            else if (!best || sb_matrix_lean_rank(avail[i]) < sb_matrix_lean_rank(best))
                best = avail[i];
        }
        if (best) push_unique(out, n, cap, best);
        else if (leanest && !err[0])
            snprintf(err, errcap, "selector %s: no available stack of family '%s'", sel, want);
        return;
    }
    if (strpbrk(sel, "*?[")) {
        for (size_t i = 0; i < navail; i++)
            if (fnmatch(sel, avail[i], 0) == 0) push_unique(out, n, cap, avail[i]);
        return;
    }
    for (size_t i = 0; i < navail; i++)
        if (strcmp(sel, avail[i]) == 0) {
            push_unique(out, n, cap, avail[i]);
            return;
        }
    if (!err[0])
        snprintf(err, errcap, "stack %s is not available in this build (see `secbench list --all`)",
                 sel);
}

size_t sb_matrix_select(const char *sel, const char *const *avail, size_t navail,
                        const char **out, size_t cap, char *err, size_t errcap)
{
    size_t n = 0;
    char buf[1024];
    if (errcap) err[0] = '\0';
    snprintf(buf, sizeof buf, "%s", sel);
    for (char *save, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (tok[0] != '!') {
            select_one(tok, avail, navail, out, &n, cap, err, errcap);
            continue;
        }
        size_t k = 0; /* "!PATTERN" drops what was selected so far and matches */
        for (size_t i = 0; i < n; i++)
            if (fnmatch(tok + 1, out[i], 0) != 0) out[k++] = out[i];
        n = k;
    }
    return n;
}

uint64_t sb_matrix_seed(uint64_t base, const char *cell_key, int rep)
{
    char buf[1024];
    int n = snprintf(buf, sizeof buf, "%llu|%s|%d", (unsigned long long)base, cell_key, rep);
    uint64_t h = sb_fnv64((const uint8_t *)buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf);
    uint64_t s = (h ^ (h >> 31) ^ (h >> 62)) & 0x7fffffffu;
    return s ? s : 1;
}

/* ---------------------------------------------------------------- matrix file and cells */

enum { C_PENDING, C_RUNNING, C_DONE };

typedef struct cell {
    char group[32], stack[64], profile[32], scenario[16];
    char opts[256]; /* "--delay 50 --loss 5": values never contain spaces */
    int rep, line;
    size_t idx; /* order of expansion, for a stable sort */
    uint64_t seed;
    double timeout_s, limit_s, est_s;
    int exclusive, state;
    int jobs; /* parallel slots while this cell runs (line's jobs=, else global) */
} cell;

typedef struct plan {
    cell *cells;
    size_t n, cap;
    double timeout_s; /* `set timeout=` */
    double margin_s;  /* `set margin=`: wall-clock limit = timeout x 1.1 + margin */
    uint64_t seed;    /* `set seed=` */
    int jobs;         /* `set jobs=` (0 = not set) */
    int force_repeat; /* --repeat / `set force-repeat=` */
    const char **avail;
    size_t navail;
    char *text; /* flattened matrix (includes inlined), saved as RUN/matrix.txt */
    size_t text_len;
    char err[600];
} plan;

#define MAX_AXES 12
#define MAX_VALUES 32
#define DEFAULT_TIMEOUT_S 60.0

static int plan_err(plan *pl, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int plan_err(plan *pl, const char *file, int line, const char *fmt, ...)
{
    int n = snprintf(pl->err, sizeof pl->err, "%s:%d: ", file, line);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pl->err + n, sizeof pl->err - (size_t)n, fmt, ap);
    va_end(ap);
    return SB_EINVAL;
}

static int split(char *s, const char *sep, char **out, int cap)
{
    int n = 0;
    for (char *save, *t = strtok_r(s, sep, &save); t && n < cap; t = strtok_r(NULL, sep, &save))
        out[n++] = t;
    return n;
}

static double opt_num(const char *opts, const char *name)
{
    char pat[40];
    snprintf(pat, sizeof pat, "--%s ", name);
    const char *p = strstr(opts, pat);
    return p ? strtod(p + strlen(pat), NULL) : -1;
}

static int link_is_ideal(const sb_profile *p)
{
    const sb_link_dir *d[2] = {&p->up, &p->down};
    for (int i = 0; i < 2; i++)
        if (d[i]->delay_ms > 0 || d[i]->jitter_ms > 0 || d[i]->loss_pct > 0 || d[i]->ge_p > 0 ||
            d[i]->rate_kbit > 0)
            return 0;
    return 1;
}

/* Round trips before the first request: connection + security handshake (RFC 8446 §2,
 * RFC 6347 §4.2.1 with the cookie exchange, RFC 9528 §5 for EDHOC's three messages). */
static double handshake_rtts(const char *id, const char *scenario)
{
    char fam[16];
    sb_matrix_family(id, fam, sizeof fam);
    double rt = 0;
    if (strcmp(fam, "coap") == 0) rt = strstr(id, "+tcp") ? 1 : 0;
    else if (strcmp(fam, "tls") == 0) rt = strncmp(id, "tls1.3", 6) == 0 ? 2 : 3;
    else if (strcmp(fam, "dtls") == 0 || strcmp(fam, "oscore+dtls") == 0) rt = 3;
    else if (strcmp(fam, "edhoc") == 0) rt = 2;
    if (strcmp(scenario, "resumed") == 0) rt *= 2; /* a first session, then the resumption */
    return rt;
}

/* Rough duration of one cell, for ordering, ETA and the budget of --dry-run: process and
 * testbed start-up, round trips at the profile's RTT, serialisation of a typical exchange
 * at its rate, and CoAP retransmission waits (RFC 7252 §4.8: ACK_TIMEOUT 2-3 s) for the
 * expected losses. The ETA corrects it by the ratio measured on finished cells. */
static double estimate_s(const sb_profile *p, const char *id, const char *scenario,
                         const char *opts)
{
    double rtt = (p->up.delay_ms + p->down.delay_ms) / 1000.0;
    double req = opt_num(opts, "requests");
    if (req < 1) req = 1;
    /* + 1: the run's closing exchange (close_notify, FIN) or final wait */
    double rts = handshake_rtts(id, scenario) + req + 1;
    double bytes = 700 + 120 * req;
    double ser = 0;
    if (p->up.rate_kbit > 0) ser += bytes * 8 / (p->up.rate_kbit * 1000);
    if (p->down.rate_kbit > 0) ser += bytes * 8 / (p->down.rate_kbit * 1000);
    double loss = p->up.loss_pct / 100;
    if (p->up.ge_p > 0) /* stationary share of the bad state, Gilbert-Elliott */
        loss = (p->up.ge_p * p->up.ge_loss_bad + p->up.ge_r * p->up.ge_loss_good) /
               (p->up.ge_p + p->up.ge_r) / 100;
    double retx = 2 * rts * loss * 1.0; /* DTLS/TCP timers ~1 s, CoAP's 2-3 s rarer */
    /* Start-up measured on the 2-core reference machine: ~0.35 s per run alone on the ideal
     * link, ~1 s per run with emulation when 4 run side by side. */
    /* callgrind: ~10 s of start-up and a slowed client (measured) */
    double vg = strstr(opts, "--valgrind") ? 10 : 0;
    return (link_is_ideal(p) ? 0.35 : 1.0) + rts * rtt + ser + retx + vg;
}

static int add_cell(plan *pl, const cell *c)
{
    for (size_t i = 0; i < pl->n; i++)
        if (pl->cells[i].seed == c->seed && strcmp(pl->cells[i].stack, c->stack) == 0)
            return SB_OK; /* the same cell listed twice */
    if (sb_grow(&pl->cells, &pl->cap, pl->n, sizeof *pl->cells, 256)) return SB_ENOMEM;
    pl->cells[pl->n] = *c;
    pl->cells[pl->n].idx = pl->n;
    pl->n++;
    return SB_OK;
}

typedef struct spec {
    char group[32];
    char *stacks, *profiles, *scenarios;
    int repeat, exclusive; /* exclusive: -1 auto */
    int jobs;
    double timeout_s;
    int naxes;
    char axis_name[MAX_AXES][32];
    char *axis_val[MAX_AXES][MAX_VALUES];
    int axis_n[MAX_AXES];
    char flags[128];
} spec;

static int expand(plan *pl, spec *s, const char *file, int line)
{
    const char *ids[512];
    char err[300];
    size_t nids = sb_matrix_select(s->stacks, pl->avail, pl->navail, ids, 512, err, sizeof err);
    if (err[0]) fprintf(stderr, "matrix: %s:%d: warning: %s\n", file, line, err);
    char *profiles[32], *scen[8];
    int np = split(s->profiles, ",", profiles, 32), ns = split(s->scenarios, ",", scen, 8);
    for (int i = 0; i < ns; i++)
        if (strcmp(scen[i], "cold") && strcmp(scen[i], "established") && strcmp(scen[i], "resumed"))
            return plan_err(pl, file, line, "unknown scenario '%s' (cold|established|resumed)",
                            scen[i]);
    int repeat = pl->force_repeat > 0 ? pl->force_repeat : s->repeat;
    int idx[MAX_AXES] = {0};
    for (;;) { /* odometer over the option axes */
        cell c = {0};
        snprintf(c.group, sizeof c.group, "%s", s->group);
        size_t o = 0;
        for (int a = 0; a < s->naxes; a++)
            o += (size_t)snprintf(c.opts + o, o < sizeof c.opts ? sizeof c.opts - o : 0, "%s--%s %s",
                                  o ? " " : "", s->axis_name[a], s->axis_val[a][idx[a]]);
        if (s->flags[0] && o < sizeof c.opts)
            o += (size_t)snprintf(c.opts + o, sizeof c.opts - o, "%s%s", o ? " " : "", s->flags);
        if (o >= sizeof c.opts) return plan_err(pl, file, line, "run options too long");
        for (int p = 0; p < np; p++) {
            sb_profile prof;
            char perr[300];
            if (sb_profile_load(profiles[p], &prof, perr, sizeof perr) != SB_OK)
                return plan_err(pl, file, line, "profile %s: %s", profiles[p], perr);
            sb_profile_override(&prof, opt_num(c.opts, "delay"), opt_num(c.opts, "jitter"),
                                opt_num(c.opts, "loss"), opt_num(c.opts, "rate"));
            for (size_t st = 0; st < nids; st++)
                for (int sc = 0; sc < ns; sc++) {
                    snprintf(c.stack, sizeof c.stack, "%s", ids[st]);
                    snprintf(c.profile, sizeof c.profile, "%s", profiles[p]);
                    snprintf(c.scenario, sizeof c.scenario, "%s", scen[sc]);
                    c.exclusive = s->exclusive >= 0 ? s->exclusive : link_is_ideal(&prof);
                    c.jobs = s->jobs;
                    c.timeout_s = s->timeout_s > 0 ? s->timeout_s : pl->timeout_s;
                    /* The run's --timeout bounds the exchange; testbed set-up and teardown
                     * come on top, hence the margin. */
                    c.limit_s = c.timeout_s * 1.1 + pl->margin_s;
                    c.est_s = estimate_s(&prof, c.stack, c.scenario, c.opts);
                    c.line = line;
                    char key[512];
                    snprintf(key, sizeof key, "%s|%s|%s|%s|%s", c.group, c.stack, c.profile,
                             c.scenario, c.opts);
                    for (int r = 1; r <= repeat; r++) {
                        c.rep = r;
                        c.seed = sb_matrix_seed(pl->seed, key, r);
                        int rc = add_cell(pl, &c);
                        if (rc) return rc;
                    }
                }
        }
        int a = s->naxes - 1;
        while (a >= 0 && ++idx[a] == s->axis_n[a]) idx[a--] = 0;
        if (a < 0) break;
    }
    return SB_OK;
}

static int valid_name(const char *s)
{
    if (!*s) return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
            return 0;
    return 1;
}

static int parse_uint(const char *v, int max, int *out)
{
    uint64_t u;
    if (sb_parse_u64(v, (uint64_t)max, &u) != SB_OK) return SB_EINVAL;
    *out = (int)u;
    return SB_OK;
}

static int parse_set(plan *pl, char **tok, int n, const char *file, int line)
{
    for (int i = 1; i < n; i++) {
        char *eq = strchr(tok[i], '=');
        if (!eq) return plan_err(pl, file, line, "set: expected key=value, got '%s'", tok[i]);
        *eq++ = '\0';
        uint64_t u;
        double d;
        if (strcmp(tok[i], "timeout") == 0 && sb_parse_double(eq, 1, 86400, &d) == SB_OK)
            pl->timeout_s = d;
        else if (strcmp(tok[i], "seed") == 0 && sb_parse_u64(eq, UINT32_MAX, &u) == SB_OK)
            pl->seed = u;
        else if (strcmp(tok[i], "margin") == 0 && sb_parse_double(eq, 0, 3600, &d) == SB_OK)
            pl->margin_s = d;
        else if (strcmp(tok[i], "jobs") == 0 && parse_uint(eq, 256, &pl->jobs) == SB_OK)
            ;
        else if (strcmp(tok[i], "force-repeat") == 0 &&
                 parse_uint(eq, 100000, &pl->force_repeat) == SB_OK)
            ;
        else
            return plan_err(pl, file, line, "set: bad '%s=%s' (timeout=S margin=S seed=N jobs=N)", tok[i],
                            eq);
    }
    return SB_OK;
}

static int parse_spec(plan *pl, char **tok, int n, const char *file, int line)
{
    spec s = {.repeat = 1, .exclusive = -1};
    snprintf(s.group, sizeof s.group, "main");
    char dflt_p[] = "ideal", dflt_s[] = "cold";
    s.profiles = dflt_p;
    s.scenarios = dflt_s;
    size_t fl = 0;
    for (int i = 0; i < n; i++) {
        if (strncmp(tok[i], "--", 2) == 0) { /* a flag passed through to `run` */
            fl += (size_t)snprintf(s.flags + fl, fl < sizeof s.flags ? sizeof s.flags - fl : 0,
                                   "%s%s", fl ? " " : "", tok[i]);
            continue;
        }
        char *eq = strchr(tok[i], '=');
        if (!eq || eq == tok[i] || !eq[1])
            return plan_err(pl, file, line, "expected key=value, got '%s'", tok[i]);
        *eq++ = '\0';
        const char *k = tok[i];
        if (strcmp(k, "stacks") == 0) s.stacks = eq;
        else if (strcmp(k, "profiles") == 0) s.profiles = eq;
        else if (strcmp(k, "scenarios") == 0) s.scenarios = eq;
        else if (strcmp(k, "group") == 0) snprintf(s.group, sizeof s.group, "%s", eq);
        else if (strcmp(k, "repeat") == 0) {
            if (parse_uint(eq, 100000, &s.repeat) || s.repeat < 1)
                return plan_err(pl, file, line, "repeat: expected a count >= 1, got '%s'", eq);
        } else if (strcmp(k, "exclusive") == 0) {
            s.exclusive = strcmp(eq, "yes") == 0 ? 1 : strcmp(eq, "no") == 0 ? 0 : -2;
            if (s.exclusive == -2) return plan_err(pl, file, line, "exclusive: yes or no");
        } else if (strcmp(k, "jobs") == 0) {
            if (parse_uint(eq, 256, &s.jobs) || s.jobs < 1)
                return plan_err(pl, file, line, "jobs: expected 1..256, got '%s'", eq);
        } else if (strcmp(k, "timeout") == 0) {
            if (sb_parse_double(eq, 1, 86400, &s.timeout_s))
                return plan_err(pl, file, line, "timeout: expected seconds, got '%s'", eq);
        } else if (strcmp(k, "seed") == 0 || strcmp(k, "format") == 0 ||
                   strcmp(k, "stack") == 0 || strcmp(k, "profile") == 0 ||
                   strcmp(k, "scenario") == 0) {
            return plan_err(pl, file, line, "'%s' is set by the matrix runner", k);
        } else {
            if (!valid_name(k)) return plan_err(pl, file, line, "bad option name '%s'", k);
            if (s.naxes == MAX_AXES) return plan_err(pl, file, line, "too many options");
            snprintf(s.axis_name[s.naxes], sizeof s.axis_name[0], "%s", k);
            s.axis_n[s.naxes] = split(eq, ",", s.axis_val[s.naxes], MAX_VALUES);
            s.naxes++;
        }
    }
    if (fl >= sizeof s.flags) return plan_err(pl, file, line, "flags too long");
    if (!s.stacks) return plan_err(pl, file, line, "no stacks= on this line");
    return expand(pl, &s, file, line);
}

static int text_append(plan *pl, const char *s, size_t n)
{
    char *t = realloc(pl->text, pl->text_len + n + 2);
    if (!t) return SB_ENOMEM;
    pl->text = t;
    memcpy(t + pl->text_len, s, n);
    pl->text_len += n;
    t[pl->text_len++] = '\n';
    t[pl->text_len] = '\0';
    return SB_OK;
}

static int parse_file(plan *pl, const char *path, int depth)
{
    if (depth > 4) return plan_err(pl, path, 0, "include nested too deep");
    size_t len;
    char *buf = sb_read_file(path, &len);
    if (!buf) {
        snprintf(pl->err, sizeof pl->err, "%s: %s", path, strerror(errno));
        return SB_ENOTFOUND;
    }
    int rc = SB_OK, lineno = 0, first = 0;
    char logical[8192];
    size_t ll = 0;
    for (char *ln = buf, *next; ln && rc == SB_OK; ln = next) {
        next = strchr(ln, '\n');
        if (next) *next++ = '\0';
        lineno++;
        char *hash = strchr(ln, '#');
        if (hash) *hash = '\0';
        size_t n = strlen(ln);
        while (n && (ln[n - 1] == ' ' || ln[n - 1] == '\t' || ln[n - 1] == '\r')) ln[--n] = '\0';
        int cont = n && ln[n - 1] == '\\';
        if (cont) ln[--n] = '\0';
        if (!ll) first = lineno;
        if (ll + n + 2 >= sizeof logical) {
            rc = plan_err(pl, path, lineno, "line too long");
            break;
        }
        ll += (size_t)snprintf(logical + ll, sizeof logical - ll, "%s ", ln);
        if (cont) continue;
        char copy[8192];
        snprintf(copy, sizeof copy, "%s", logical);
        char *tok[256];
        int nt = split(logical, " \t", tok, 256);
        ll = 0;
        if (nt == 0) continue;
        if (strcmp(tok[0], "include") == 0) {
            if (nt != 2) {
                rc = plan_err(pl, path, first, "include: one file name");
                break;
            }
            char inc[4096];
            if (tok[1][0] == '/') snprintf(inc, sizeof inc, "%s", tok[1]);
            else {
                const char *slash = strrchr(path, '/');
                snprintf(inc, sizeof inc, "%.*s%s", slash ? (int)(slash - path + 1) : 0, path,
                         tok[1]);
            }
            rc = parse_file(pl, inc, depth + 1);
            continue;
        }
        rc = text_append(pl, copy, strlen(copy));
        if (rc == SB_OK)
            rc = strcmp(tok[0], "set") == 0 ? parse_set(pl, tok, nt, path, first)
                                            : parse_spec(pl, tok, nt, path, first);
    }
    if (rc == SB_OK && ll) rc = plan_err(pl, path, first, "file ends inside a continued line");
    free(buf);
    return rc;
}

/* Exclusive (ideal-link) cells first, one at a time; then the rest longest first, which
 * packs parallel jobs best and makes the ETA pessimistic rather than optimistic. */
static int cell_order(const void *a, const void *b)
{
    const cell *x = a, *y = b;
    if (x->exclusive != y->exclusive) return y->exclusive - x->exclusive;
    if (!x->exclusive && x->est_s != y->est_s) return x->est_s < y->est_s ? 1 : -1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* ---------------------------------------------------------------- child processes */

typedef struct child {
    cell *c;
    pid_t pid;
    int out_fd, err_fd;
    char *out;
    size_t out_len, out_cap;
    char err[4096]; /* tail of stderr */
    size_t err_len;
    int64_t start_ns, deadline_ns, term_ns, reaped_ns;
    int reaped, status, timed_out, stopped;
} child;

static void drain(child *ch, int *fd, int is_err)
{
    char buf[4096];
    for (;;) {
        ssize_t n = read(*fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) return;
        if (n <= 0) {
            close(*fd);
            *fd = -1;
            return;
        }
        if (is_err) { /* keep the tail: the reason is at the end */
            size_t k = (size_t)n;
            if (k >= sizeof ch->err - 1) {
                memcpy(ch->err, buf + k - (sizeof ch->err - 1), sizeof ch->err - 1);
                ch->err_len = sizeof ch->err - 1;
            } else {
                if (ch->err_len + k >= sizeof ch->err) {
                    size_t drop = ch->err_len + k - (sizeof ch->err - 1);
                    memmove(ch->err, ch->err + drop, ch->err_len - drop);
                    ch->err_len -= drop;
                }
                memcpy(ch->err + ch->err_len, buf, k);
                ch->err_len += k;
            }
            ch->err[ch->err_len] = '\0';
        } else if (ch->out_len < (1u << 20)) { /* a row is a few KB; ignore floods */
            if (ch->out_len + (size_t)n + 1 > ch->out_cap) {
                size_t cap = (ch->out_len + (size_t)n + 1) * 2;
                char *o = realloc(ch->out, cap);
                if (!o) continue;
                ch->out = o;
                ch->out_cap = cap;
            }
            memcpy(ch->out + ch->out_len, buf, (size_t)n);
            ch->out_len += (size_t)n;
            ch->out[ch->out_len] = '\0';
        }
    }
}

/* fork + exec argv in a new process group, stdout/stderr into pipes, stdin /dev/null, with
 * the signal mask the caller had before blocking for the signalfd. */
static pid_t spawn(char *const argv[], const sigset_t *mask, int *out_fd, int *err_fd)
{
    int po[2], pe[2];
    if (pipe2(po, O_CLOEXEC) != 0) return -1;
    if (pipe2(pe, O_CLOEXEC) != 0) {
        close(po[0]);
        close(po[1]);
        return -1;
    }
    pid_t pid = fork();
    if (pid == 0) {
        setpgid(0, 0);
        sigprocmask(SIG_SETMASK, mask, NULL);
        int nul = open("/dev/null", O_RDONLY);
        if (nul >= 0) dup2(nul, 0);
        dup2(po[1], 1);
        dup2(pe[1], 2);
        execv(argv[0], argv);
        fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(po[1]);
    close(pe[1]);
    if (pid < 0) {
        close(po[0]);
        close(pe[0]);
        return -1;
    }
    setpgid(pid, pid); /* also here: no race with a kill before the child ran setpgid */
    fcntl(po[0], F_SETFL, O_NONBLOCK);
    fcntl(pe[0], F_SETFL, O_NONBLOCK);
    *out_fd = po[0];
    *err_fd = pe[0];
    return pid;
}

/* The program for `list` and `run`: /proc/self/exe, i.e. this very binary even if the
 * build replaces build/secbench during a long run (every cell then uses the same code). */
static const char *exe_path(void)
{
    const char *e = getenv("SECBENCH_EXE");
    return e && *e ? e : "/proc/self/exe";
}

/* `secbench list`: available ids, one per line (first word). */
static int load_stacks(plan *pl, const char *exe, const sigset_t *mask, char **store)
{
    char *argv[] = {(char *)exe, "list", NULL};
    child ch = {0};
    ch.pid = spawn(argv, mask, &ch.out_fd, &ch.err_fd);
    if (ch.pid < 0) {
        snprintf(pl->err, sizeof pl->err, "cannot start %s list: %s", exe, strerror(errno));
        return SB_EIO;
    }
    int64_t deadline = sb_now_ns() + 30 * SB_NS_PER_S;
    while (ch.out_fd >= 0 || ch.err_fd >= 0) {
        struct pollfd p[2] = {{ch.out_fd, POLLIN, 0}, {ch.err_fd, POLLIN, 0}};
        if (poll(p, 2, sb_ms_left(deadline)) == 0) break;
        if (ch.out_fd >= 0 && p[0].revents) drain(&ch, &ch.out_fd, 0);
        if (ch.err_fd >= 0 && p[1].revents) drain(&ch, &ch.err_fd, 1);
    }
    if (ch.out_fd >= 0) close(ch.out_fd);
    if (ch.err_fd >= 0) close(ch.err_fd);
    kill(-ch.pid, SIGKILL);
    int st = 0;
    waitpid(ch.pid, &st, 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || !ch.out) {
        snprintf(pl->err, sizeof pl->err, "`%s list` failed: %s", exe,
                 ch.err_len ? ch.err : "no output");
        free(ch.out);
        return SB_EIO;
    }
    *store = ch.out;
    size_t cap = 16;
    pl->avail = malloc(cap * sizeof *pl->avail);
    for (char *save, *ln = strtok_r(ch.out, "\n", &save); ln && pl->avail;
         ln = strtok_r(NULL, "\n", &save)) {
        ln[strcspn(ln, " \t\r")] = '\0';
        if (!ln[0] || ln[0] == '#') continue;
        if (pl->navail == cap) {
            const char **a = realloc(pl->avail, (cap *= 2) * sizeof *a);
            if (!a) break;
            pl->avail = a;
        }
        pl->avail[pl->navail++] = ln;
    }
    return pl->avail ? SB_OK : SB_ENOMEM;
}

/* ---------------------------------------------------------------- run state and output */

typedef struct runner {
    plan *pl;
    char dir[4096];
    const char *exe;
    sigset_t oldmask;
    int sfd, jobs, tty, stopping;
    int jobs_forced; /* --jobs given: it overrides the lines' jobs= */
    child *kids;
    int nkids;
    char *json, *csv; /* all rows so far */
    size_t json_len, csv_len;
    size_t total, done, ok, failed, resumed;
    double est_done, actual_done; /* for the ETA correction */
    int64_t t0, written_ns;
    int progress_shown, dirty;
} runner;

static int buf_append(char **buf, size_t *len, const char *s, size_t n)
{
    char *b = realloc(*buf, *len + n + 1);
    if (!b) return SB_ENOMEM;
    memcpy(b + *len, s, n);
    *len += n;
    b[*len] = '\0';
    *buf = b;
    return SB_OK;
}

static int add_row(runner *r, const sb_row *row)
{
    char *s = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&s, &n);
    if (!f) return SB_ENOMEM;
    sb_row_write_json(row, f);
    fclose(f);
    int rc = buf_append(&r->json, &r->json_len, s, n);
    free(s);
    s = NULL;
    f = open_memstream(&s, &n);
    if (!f) return SB_ENOMEM;
    sb_row_write_csv(row, f);
    fclose(f);
    if (rc == SB_OK) rc = buf_append(&r->csv, &r->csv_len, s, n);
    free(s);
    return rc;
}

static int path_in(const runner *r, const char *name, char *out, size_t cap)
{
    return snprintf(out, cap, "%s/%s", r->dir, name) < (int)cap ? SB_OK : SB_ESPACE;
}

static int write_outputs(runner *r)
{
    r->dirty = 0;
    r->written_ns = sb_now_ns();
    char p[4200];
    path_in(r, "results.json", p, sizeof p);
    int rc = sb_write_atomic(p, r->json ? r->json : "", r->json_len);
    path_in(r, "results.csv", p, sizeof p);
    if (rc == SB_OK) rc = sb_write_atomic(p, r->csv, r->csv_len);
    if (rc != SB_OK) fprintf(stderr, "matrix: cannot write %s: %s\n", p, strerror(errno));
    return rc;
}

static void fmt_dur(double s, char *buf, size_t cap)
{
    if (!isfinite(s) || s < 0) snprintf(buf, cap, "?");
    else if (s < 60) snprintf(buf, cap, "%.0fs", s);
    else if (s < 3600) snprintf(buf, cap, "%dm%02ds", (int)s / 60, (int)s % 60);
    else snprintf(buf, cap, "%dh%02dm", (int)s / 3600, (int)s % 3600 / 60);
}

static double eta_s(const runner *r)
{
    double ratio = r->est_done > 0 ? r->actual_done / r->est_done : 1;
    if (ratio < 0.2) ratio = 0.2;
    if (ratio > 5) ratio = 5;
    double serial = 0, par = 0, now = (double)sb_now_ns() / 1e9;
    for (size_t i = 0; i < r->pl->n; i++) {
        const cell *c = &r->pl->cells[i];
        if (c->state == C_PENDING) {
            if (c->exclusive) serial += c->est_s;
            else par += c->est_s / (c->jobs && !r->jobs_forced ? c->jobs : r->jobs);
        }
    }
    double running = 0;
    for (int k = 0; k < r->nkids; k++)
        if (r->kids[k].pid > 0) {
            double left = r->kids[k].c->est_s * ratio - (now - (double)r->kids[k].start_ns / 1e9);
            if (left > running) running = left;
        }
    return (serial + par) * ratio + running;
}

static void progress(runner *r, const cell *last, const sb_row *row, double secs)
{
    char eta[32], el[32], buf[300];
    fmt_dur(eta_s(r), eta, sizeof eta);
    fmt_dur((double)(sb_now_ns() - r->t0) / 1e9, el, sizeof el);
    int running = 0;
    for (int k = 0; k < r->nkids; k++) running += r->kids[k].pid > 0;
    if (r->tty && last && row && sb_row_num(row, "ok") != 1) /* failures stay on screen */
        fprintf(stderr, "\r\033[KFAIL %s %s %s rep %d%s%s: %s\n", last->stack, last->profile,
                last->scenario, last->rep, last->opts[0] ? " " : "", last->opts,
                sb_row_str(row, "error", buf, sizeof buf) ?: "?");
    if (r->tty) {
        const int w = 30;
        int fill = r->total ? (int)(w * r->done / r->total) : w;
        char bar[w + 1];
        for (int i = 0; i < w; i++) bar[i] = i < fill ? '#' : '.';
        bar[w] = '\0';
        fprintf(stderr, "\r\033[K[%s] %zu/%zu  ok %zu  failed %zu  running %d  %s elapsed  ETA %s",
                bar, r->done, r->total, r->ok, r->failed, running, el, eta);
        if (last) fprintf(stderr, "  %.40s %s", last->stack, last->profile);
        r->progress_shown = 1;
    } else if (last) {
        int ok = row && sb_row_num(row, "ok") == 1;
        fprintf(stderr, "[%zu/%zu] %-4s %s %s %s rep %d (%.1f s)", r->done, r->total,
                ok ? "ok" : "FAIL", last->stack, last->profile, last->scenario, last->rep, secs);
        if (last->opts[0]) fprintf(stderr, " [%s]", last->opts);
        if (!ok && row) fprintf(stderr, ": %s", sb_row_str(row, "error", buf, sizeof buf) ?: "?");
        fprintf(stderr, "  ETA %s\n", eta);
    }
}

static void iso_now(char *buf, size_t cap)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Row keys that echo run options, so a synthesised failure row still says what it was. */
static void echo_opts(sb_row *row, const char *opts)
{
    static const struct {
        const char *opt, *key;
    } map[] = {{"requests", "requests"}, {"request-payload", "request_payload"},
               {"response-payload", "response_payload"}, {"delay", "delay_ms"},
               {"loss", "loss_pct"}, {"rate", "rate_kbit"}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        double v = opt_num(opts, map[i].opt);
        if (v >= 0) sb_row_set_double(row, map[i].key, v, 3);
    }
    const char *via = strstr(opts, "--via ");
    if (via) {
        char v[32];
        sscanf(via + 6, "%31s", v);
        sb_row_set_str(row, "via", v);
    }
}

static void last_line(const char *s, char *out, size_t cap)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r')) n--;
    size_t b = n;
    while (b && s[b - 1] != '\n') b--;
    snprintf(out, cap, "%.*s", (int)(n - b), s + b);
}

/* The row of a finished child: its own when it printed one, else a failure row. */
static sb_row *child_row(const child *ch)
{
    const cell *c = ch->c;
    sb_row *row = sb_row_new();
    if (!row) return NULL;
    if (ch->out && !ch->timed_out) {
        char *line = NULL;
        for (char *p = ch->out; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
            if (*p == '{') line = p;
        if (line) {
            char *nl = strchr(line, '\n');
            if (nl) *nl = '\0';
            if (sb_row_parse_json(row, line) == SB_OK && sb_row_get(row, "stack")) {
                if (!sb_row_get(row, "repeat")) sb_row_set_int(row, "repeat", c->rep);
                if (!sb_row_get(row, "seed")) sb_row_set_int(row, "seed", (int64_t)c->seed);
                return row;
            }
            sb_row_free(row);
            row = sb_row_new();
            if (!row) return NULL;
        }
    }
    char why[600], tail[300];
    last_line(ch->err, tail, sizeof tail);
    if (ch->timed_out)
        snprintf(why, sizeof why,
                 "timeout: no result within %.1f s (wall-clock limit for --timeout %g); "
                 "process group killed",
                 c->limit_s, c->timeout_s);
    else if (WIFSIGNALED(ch->status))
        snprintf(why, sizeof why, "crashed: signal %d (%s)%s%s", WTERMSIG(ch->status),
                 strsignal(WTERMSIG(ch->status)), tail[0] ? ": " : "", tail);
    else
        snprintf(why, sizeof why, "no result row (exit %d)%s%s", WEXITSTATUS(ch->status),
                 tail[0] ? ": " : "", tail);
    char ts[32];
    iso_now(ts, sizeof ts);
    sb_row_set_str(row, "stack", c->stack);
    sb_row_set_str(row, "profile", c->profile);
    sb_row_set_str(row, "scenario", c->scenario);
    sb_row_set_int(row, "seed", (int64_t)c->seed);
    sb_row_set_int(row, "repeat", c->rep);
    sb_row_set_bool(row, "ok", 0);
    sb_row_set_str(row, "error", why);
    sb_row_set_str(row, "timestamp", ts);
    echo_opts(row, c->opts);
    return row;
}

static void log_stderr(runner *r, const child *ch)
{
    if (!ch->err_len) return;
    char p[4200];
    path_in(r, "stderr.log", p, sizeof p);
    FILE *f = fopen(p, "a");
    if (!f) return;
    fprintf(f, "== %s %s %s rep %d seed %llu %s\n%s%s", ch->c->stack, ch->c->profile,
            ch->c->scenario, ch->c->rep, (unsigned long long)ch->c->seed, ch->c->opts, ch->err,
            ch->err[ch->err_len - 1] == '\n' ? "" : "\n");
    fclose(f);
}

static int finish(runner *r, child *ch)
{
    if (ch->out_fd >= 0) close(ch->out_fd);
    if (ch->err_fd >= 0) close(ch->err_fd);
    double secs = (double)(sb_now_ns() - ch->start_ns) / 1e9;
    sb_row *row = child_row(ch);
    int rc = row ? add_row(r, row) : SB_ENOMEM;
    r->dirty = 1; /* written by flush(): at most every 2 s, and always before exit */
    ch->c->state = C_DONE;
    r->done++;
    if (row && sb_row_num(row, "ok") == 1) r->ok++;
    else r->failed++;
    r->est_done += ch->c->est_s;
    r->actual_done += secs;
    log_stderr(r, ch);
    progress(r, ch->c, row, secs);
    sb_row_free(row);
    free(ch->out);
    memset(ch, 0, sizeof *ch);
    ch->out_fd = ch->err_fd = -1;
    return rc;
}

/* Rewrite the results after finished cells. Coalesced to one rewrite per 2 s: a rewrite is
 * the whole file with an fsync (several MB late in a default run, up to a second on this
 * disk), and the loop must keep reaping and launching meanwhile. Ctrl-C, the end of the run
 * and an idle moment always flush, so only a SIGKILL of the runner itself can lose the last
 * two seconds of cells (and --resume reruns them). */
static int flush(runner *r, int force)
{
    if (!r->dirty) return SB_OK;
    if (!force && sb_now_ns() - r->written_ns < 2 * SB_NS_PER_S) return SB_OK;
    return write_outputs(r);
}

static int launch(runner *r, child *ch, cell *c)
{
    char seed[24], timeout[24], opts[256];
    char *argv[64];
    int n = 0;
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)c->seed);
    snprintf(timeout, sizeof timeout, "%g", c->timeout_s);
    snprintf(opts, sizeof opts, "%s", c->opts);
    argv[n++] = (char *)r->exe;
    argv[n++] = "run";
    argv[n++] = "--stack";
    argv[n++] = c->stack;
    argv[n++] = "--profile";
    argv[n++] = c->profile;
    argv[n++] = "--scenario";
    argv[n++] = c->scenario;
    for (char *save, *t = strtok_r(opts, " ", &save); t && n < 54; t = strtok_r(NULL, " ", &save))
        argv[n++] = t;
    argv[n++] = "--seed";
    argv[n++] = seed;
    argv[n++] = "--timeout";
    argv[n++] = timeout;
    argv[n++] = "--format";
    argv[n++] = "json";
    argv[n] = NULL;
    memset(ch, 0, sizeof *ch);
    ch->c = c;
    ch->start_ns = sb_now_ns();
    ch->deadline_ns = ch->start_ns + (int64_t)(c->limit_s * 1e9);
    ch->pid = spawn(argv, &r->oldmask, &ch->out_fd, &ch->err_fd);
    c->state = C_RUNNING;
    if (ch->pid < 0) { /* recorded as a failed cell, like any other failure */
        snprintf(ch->err, sizeof ch->err, "cannot start %s: %s", r->exe, strerror(errno));
        ch->err_len = strlen(ch->err);
        ch->status = 127 << 8;
        ch->pid = 0;
        ch->out_fd = ch->err_fd = -1;
        return finish(r, ch);
    }
    return SB_OK;
}

static void kill_all(runner *r, int sig)
{
    for (int k = 0; k < r->nkids; k++)
        if (r->kids[k].pid > 0 && !r->kids[k].reaped) kill(-r->kids[k].pid, sig);
}

static cell *next_cell(runner *r, int running, int excl_running)
{
    if (excl_running) return NULL;
    for (size_t i = 0; i < r->pl->n; i++) {
        cell *c = &r->pl->cells[i];
        if (c->state != C_PENDING) continue;
        if (c->exclusive) return running == 0 ? c : NULL; /* alone, nothing else running */
        int slots = c->jobs && !r->jobs_forced ? c->jobs : r->jobs;
        return running < slots ? c : NULL;
    }
    return NULL;
}

static int run_loop(runner *r)
{
    int rc = SB_OK;
    for (;;) {
        int running = 0, excl = 0;
        for (int k = 0; k < r->nkids; k++)
            if (r->kids[k].pid > 0) {
                running++;
                excl |= r->kids[k].c->exclusive;
            }
        while (!r->stopping && rc == SB_OK) {
            cell *c = next_cell(r, running, excl);
            if (!c) break;
            int k = 0;
            while (r->kids[k].pid > 0) k++;
            rc = launch(r, &r->kids[k], c);
            if (r->kids[k].pid > 0) {
                running++;
                excl |= c->exclusive;
            }
        }
        if (running == 0) break;
        int frc = flush(r, 0);
        if (rc == SB_OK) rc = frc;

        struct pollfd pf[1 + 2 * 256];
        int np = 0;
        pf[np++] = (struct pollfd){r->sfd, POLLIN, 0};
        int64_t now = sb_now_ns(), wake = now + (r->tty ? 500 : 2000) * SB_NS_PER_MS;
        for (int k = 0; k < r->nkids; k++) {
            child *ch = &r->kids[k];
            if (ch->pid <= 0) continue;
            if (ch->out_fd >= 0) pf[np++] = (struct pollfd){ch->out_fd, POLLIN, 0};
            if (ch->err_fd >= 0) pf[np++] = (struct pollfd){ch->err_fd, POLLIN, 0};
            int64_t d = ch->term_ns ? ch->term_ns + 3 * SB_NS_PER_S : ch->deadline_ns;
            if (d < wake) wake = d;
        }
        poll(pf, (nfds_t)np, sb_ms_left(wake) + 1);

        struct signalfd_siginfo si;
        while (read(r->sfd, &si, sizeof si) == sizeof si) {
            if (si.ssi_signo == SIGINT || si.ssi_signo == SIGTERM) {
                if (r->tty && r->progress_shown) fputc('\n', stderr);
                fprintf(stderr, "matrix: %s, stopping: killing %d running cell(s); finished "
                                "cells are kept (--resume %s)\n",
                        r->stopping ? "again" : "interrupted", running, r->dir);
                kill_all(r, r->stopping ? SIGKILL : SIGTERM);
                for (int k = 0; k < r->nkids; k++)
                    if (r->kids[k].pid > 0 && !r->kids[k].reaped && !r->kids[k].stopped) {
                        r->kids[k].stopped = 1;
                        r->kids[k].term_ns = sb_now_ns();
                    }
                r->stopping = 1;
            }
        }
        now = sb_now_ns();
        for (int k = 0; k < r->nkids; k++) {
            child *ch = &r->kids[k];
            if (ch->pid <= 0) continue;
            if (ch->out_fd >= 0) drain(ch, &ch->out_fd, 0);
            if (ch->err_fd >= 0) drain(ch, &ch->err_fd, 1);
            if (!ch->reaped && waitpid(ch->pid, &ch->status, WNOHANG) == ch->pid) {
                ch->reaped = 1;
                ch->reaped_ns = now;
                kill(-ch->pid, SIGKILL); /* leftovers of the group, if any */
            }
            if (!ch->reaped && !ch->term_ns && now >= ch->deadline_ns) {
                ch->timed_out = 1;
                ch->term_ns = now;
                kill(-ch->pid, SIGTERM);
            } else if (!ch->reaped && ch->term_ns && now >= ch->term_ns + 3 * SB_NS_PER_S) {
                kill(-ch->pid, SIGKILL);
            }
            /* Done when reaped and its pipes closed (or 2 s after reaping: a grandchild
             * that inherited the pipe must not hold the cell open). */
            int pipes_open = ch->out_fd >= 0 || ch->err_fd >= 0;
            if (ch->reaped && (!pipes_open || now - ch->reaped_ns > 2 * SB_NS_PER_S)) {
                if (ch->stopped) { /* interrupted by us: not a result, rerun on --resume */
                    if (ch->out_fd >= 0) close(ch->out_fd);
                    if (ch->err_fd >= 0) close(ch->err_fd);
                    ch->c->state = C_PENDING;
                    free(ch->out);
                    memset(ch, 0, sizeof *ch);
                    continue;
                }
                int frc = finish(r, ch);
                if (rc == SB_OK) rc = frc;
            }
        }
        if (r->tty) progress(r, NULL, NULL, 0);
    }
    int frc = flush(r, 1);
    if (r->tty && r->progress_shown) fputc('\n', stderr);
    return rc == SB_OK ? frc : rc;
}

/* ---------------------------------------------------------------- resume, directories */

static int load_previous(runner *r)
{
    char p[4200];
    path_in(r, "results.json", p, sizeof p);
    size_t len;
    char *buf = sb_read_file(p, &len);
    if (!buf) return SB_OK; /* nothing finished yet */
    for (char *save, *ln = strtok_r(buf, "\n", &save); ln; ln = strtok_r(NULL, "\n", &save)) {
        sb_row *row = sb_row_new();
        char stack[64];
        if (!row) break;
        if (sb_row_parse_json(row, ln) == SB_OK && sb_row_str(row, "stack", stack, sizeof stack)) {
            double seed = sb_row_num(row, "seed");
            for (size_t i = 0; i < r->pl->n; i++) {
                cell *c = &r->pl->cells[i];
                if (c->state == C_PENDING && (double)c->seed == seed &&
                    strcmp(c->stack, stack) == 0) {
                    c->state = C_DONE;
                    r->resumed++;
                    break;
                }
            }
            add_row(r, row); /* kept even if no longer in the matrix */
        }
        sb_row_free(row);
    }
    free(buf);
    return SB_OK;
}

/* results/latest -> RUN (relative), replaced atomically. */
static void link_latest(const char *dir)
{
    char parent[4096], tmp[4200], latest[4200];
    snprintf(parent, sizeof parent, "%s", dir);
    char *slash = strrchr(parent, '/');
    const char *base = dir;
    if (slash) {
        *slash = '\0';
        base = dir + (slash - parent) + 1;
    } else {
        snprintf(parent, sizeof parent, ".");
    }
    snprintf(tmp, sizeof tmp, "%s/.latest.%d", parent, (int)getpid());
    snprintf(latest, sizeof latest, "%s/latest", parent);
    unlink(tmp);
    if (symlink(base, tmp) == 0 && rename(tmp, latest) != 0) unlink(tmp);
}

static void write_plan(runner *r)
{
    char p[4200];
    path_in(r, "plan.tsv", p, sizeof p);
    char *s = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&s, &n);
    if (!f) return;
    fprintf(f, "seed\tgroup\tstack\tprofile\tscenario\trep\texclusive\test_s\toptions\n");
    for (size_t i = 0; i < r->pl->n; i++) {
        const cell *c = &r->pl->cells[i];
        fprintf(f, "%llu\t%s\t%s\t%s\t%s\t%d\t%d\t%.1f\t%s\n", (unsigned long long)c->seed,
                c->group, c->stack, c->profile, c->scenario, c->rep, c->exclusive, c->est_s,
                c->opts);
    }
    fclose(f);
    sb_write_atomic(p, s, n);
    free(s);
    path_in(r, "matrix.txt", p, sizeof p);
    char head[64];
    int hl = r->pl->force_repeat > 0
                 ? snprintf(head, sizeof head, "set force-repeat=%d\n", r->pl->force_repeat)
                 : 0;
    char *t = malloc((size_t)hl + r->pl->text_len + 1);
    if (!t) return;
    memcpy(t, head, (size_t)hl);
    memcpy(t + hl, r->pl->text ? r->pl->text : "", r->pl->text_len);
    sb_write_atomic(p, t, (size_t)hl + r->pl->text_len);
    free(t);
}

/* Budget of --dry-run: exclusive cells in series, the rest over their parallel slots; per
 * group and profile, then the total. */
static void print_budget(const plan *pl, int jobs, int forced, int verbose)
{
    double excl = 0, par = 0, longest = 0;
    size_t nex = 0;
    struct {
        char key[72];
        size_t n;
        double cell_s, wall_s;
    } b[64];
    size_t nb = 0;
    for (size_t i = 0; i < pl->n; i++) {
        const cell *c = &pl->cells[i];
        int slots = c->exclusive ? 1 : c->jobs && !forced ? c->jobs : jobs;
        if (verbose)
            printf("%-10s %-36s %-10s %-11s rep %-3d %6.1f s %s%s\n", c->group, c->stack,
                   c->profile, c->scenario, c->rep, c->est_s, c->exclusive ? "[alone] " : "",
                   c->opts);
        char key[72];
        snprintf(key, sizeof key, "%s/%s", c->group, c->profile);
        size_t k = 0;
        while (k < nb && strcmp(b[k].key, key)) k++;
        if (k == nb && nb < 64) {
            snprintf(b[nb].key, sizeof b[nb].key, "%s", key);
            b[nb].n = 0;
            b[nb].cell_s = b[nb].wall_s = 0;
            nb++;
        }
        if (k < nb) {
            b[k].n++;
            b[k].cell_s += c->est_s;
            b[k].wall_s += c->est_s / slots;
        }
        if (c->exclusive) {
            excl += c->est_s;
            nex++;
        } else {
            par += c->est_s / slots;
            if (c->est_s > longest) longest = c->est_s;
        }
    }
    printf("%-24s %6s %10s %10s\n", "group/profile", "cells", "cell-s", "wall-s");
    for (size_t k = 0; k < nb; k++)
        printf("%-24s %6zu %10.0f %10.0f\n", b[k].key, b[k].n, b[k].cell_s, b[k].wall_s);
    double wall = excl + (par > longest ? par : longest);
    printf("%zu cells: %zu alone (ideal link) ~ %.0f s in series; %zu on emulated links ~ %.0f s "
           "over their parallel slots (default %d); estimated wall time ~ %.1f min\n",
           pl->n, nex, excl, pl->n - nex, par, jobs, wall / 60);
}

static void usage(FILE *f)
{
    fprintf(f, "usage: secbench matrix [FILE] [--jobs N] [--out DIR] [--repeat R] [--resume DIR]\n"
               "                       [--dry-run] [--verbose] | --select SEL\n"
               "  FILE        matrix file (default bench/default.matrix; format documented there)\n"
               "  --jobs N    parallel cells on emulated links (default 2 x cores); ideal-link\n"
               "              cells always run alone\n"
               "  --out DIR   run folder (default results/<UTC time>, linked as results/latest)\n"
               "  --repeat R  repetitions of every line, overriding repeat=\n"
               "  --resume DIR  continue an interrupted run in DIR (its matrix.txt unless FILE)\n"
               "  --dry-run   expand and print the time budget; run nothing (-v: every cell)\n"
               "  --select SEL  print the stack ids a selector picks (see default.matrix)\n"
               "Writes DIR/results.json (JSON Lines: one row per line), DIR/results.csv,\n"
               "DIR/plan.tsv (cells: seed, group, ...), DIR/matrix.txt, DIR/stderr.log;\n"
               "prints DIR on stdout.\n");
}

int sb_matrix_main(int argc, char **argv)
{
    const char *file = NULL, *out = NULL, *resume = NULL, *select = NULL;
    int jobs = 0, repeat = 0, dry = 0, verbose = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int need = !strcmp(a, "--jobs") || !strcmp(a, "--out") || !strcmp(a, "--repeat") ||
                   !strcmp(a, "--resume") || !strcmp(a, "--select");
        if (need && !v) {
            fprintf(stderr, "matrix: %s needs a value\n", a);
            return 2;
        }
        if (!strcmp(a, "--jobs")) {
            if (parse_uint(v, 256, &jobs) || jobs < 1) {
                fprintf(stderr, "matrix: --jobs: expected 1..256, got '%s'\n", v);
                return 2;
            }
        } else if (!strcmp(a, "--repeat")) {
            if (parse_uint(v, 100000, &repeat) || repeat < 1) {
                fprintf(stderr, "matrix: --repeat: expected a count >= 1, got '%s'\n", v);
                return 2;
            }
        } else if (!strcmp(a, "--out")) out = v;
        else if (!strcmp(a, "--select")) select = v;
        else if (!strcmp(a, "--resume")) resume = v;
        else if (!strcmp(a, "--dry-run") || !strcmp(a, "-n")) dry = 1;
        else if (!strcmp(a, "--verbose") || !strcmp(a, "-v")) verbose = 1;
        else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (a[0] == '-' || file) {
            fprintf(stderr, "matrix: unexpected argument '%s'\n", a);
            usage(stderr);
            return 2;
        } else file = a;
        if (need) i++;
    }
    if (resume && out && strcmp(resume, out) != 0) {
        fprintf(stderr, "matrix: --resume DIR already names the run folder; drop --out\n");
        return 2;
    }

    runner r = {.sfd = -1, .tty = isatty(2)};
    plan pl = {.timeout_s = DEFAULT_TIMEOUT_S, .margin_s = 15, .seed = 1, .force_repeat = repeat};
    r.pl = &pl;
    char path[4096], *liststore = NULL;
    r.exe = exe_path();
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGCHLD);
    sigprocmask(SIG_BLOCK, &block, &r.oldmask);
    int rc = SB_OK, exit_code = 1;

    if (resume) snprintf(r.dir, sizeof r.dir, "%s", resume);
    if (!file && resume) {
        snprintf(path, sizeof path, "%s/matrix.txt", resume);
        file = path;
    } else if (!file) {
        if (sb_data_path("bench/default.matrix", path, sizeof path) != SB_OK)
            snprintf(path, sizeof path, "bench/default.matrix");
        file = path;
    }
    rc = load_stacks(&pl, r.exe, &r.oldmask, &liststore);
    if (rc == SB_OK && select) { /* print what a selector picks, for scripts */
        const char **ids = calloc(pl.navail + 1, sizeof *ids);
        char err[300];
        size_t n = ids ? sb_matrix_select(select, pl.avail, pl.navail, ids, pl.navail, err,
                                          sizeof err)
                       : 0;
        if (ids && err[0]) fprintf(stderr, "matrix: %s\n", err);
        for (size_t i = 0; i < n; i++) printf("%s\n", ids[i]);
        free(ids);
        exit_code = n ? 0 : 1;
        goto done;
    }
    if (rc == SB_OK) rc = parse_file(&pl, file, 0);
    if (rc != SB_OK) {
        fprintf(stderr, "matrix: %s\n", pl.err);
        exit_code = rc == SB_EINVAL ? 2 : 1;
        goto done;
    }
    if (pl.n == 0) {
        fprintf(stderr, "matrix: %s expands to no cells\n", file);
        exit_code = 2;
        goto done;
    }
    qsort(pl.cells, pl.n, sizeof *pl.cells, cell_order);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    r.jobs = jobs ? jobs : pl.jobs ? pl.jobs : (int)(cores > 0 ? 2 * cores : 2);
    if (r.jobs > 256) r.jobs = 256;
    if (dry) {
        print_budget(&pl, r.jobs, jobs > 0, verbose);
        exit_code = 0;
        goto done;
    }

    if (!resume && out) snprintf(r.dir, sizeof r.dir, "%s", out);
    else if (!resume) {
        char root[4000], ts[32];
        if (sb_data_path("results", root, sizeof root) != SB_OK) snprintf(root, sizeof root, "results");
        time_t t = time(NULL);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(ts, sizeof ts, "%Y%m%d-%H%M%S", &tm);
        snprintf(r.dir, sizeof r.dir, "%s/%s", root, ts);
        for (int k = 2; access(r.dir, F_OK) == 0 && k < 100; k++) /* two runs in a second */
            snprintf(r.dir, sizeof r.dir, "%s/%s-%d", root, ts, k);
    }
    if (sb_mkdir_p(r.dir, 0755) != SB_OK) {
        fprintf(stderr, "matrix: cannot create %s: %s\n", r.dir, strerror(errno));
        goto done;
    }
    {
        FILE *h = open_memstream(&r.csv, &r.csv_len);
        if (!h) goto done;
        sb_row_write_csv_header(h);
        fclose(h);
    }
    if (resume) load_previous(&r);
    else write_plan(&r);
    if (!resume && !out) link_latest(r.dir);
    r.sfd = signalfd(-1, &block, SFD_NONBLOCK | SFD_CLOEXEC);
    r.jobs_forced = jobs > 0;
    r.nkids = r.jobs;
    for (size_t i = 0; i < pl.n && !r.jobs_forced; i++)
        if (pl.cells[i].jobs > r.nkids) r.nkids = pl.cells[i].jobs;
    r.kids = calloc((size_t)r.nkids, sizeof *r.kids);
    if (r.sfd < 0 || !r.kids) {
        fprintf(stderr, "matrix: signalfd/alloc failed: %s\n", strerror(errno));
        goto done;
    }
    for (int k = 0; k < r.nkids; k++) r.kids[k].out_fd = r.kids[k].err_fd = -1;
    r.total = pl.n - r.resumed;
    fprintf(stderr, "matrix: %zu cells to run%s (%zu already done), %d jobs, results in %s\n",
            r.total, resume ? " on resume" : "", r.resumed, r.jobs, r.dir);
    r.t0 = sb_now_ns();
    rc = write_outputs(&r); /* header-only files exist from the start */
    if (rc == SB_OK) rc = run_loop(&r);
    char el[32];
    fmt_dur((double)(sb_now_ns() - r.t0) / 1e9, el, sizeof el);
    fprintf(stderr, "matrix: %zu of %zu cells done (%zu ok, %zu failed) in %s%s\n", r.done,
            r.total, r.ok, r.failed, el, r.stopping ? ", interrupted" : "");
    printf("%s\n", r.dir);
    exit_code = r.stopping ? 130 : rc == SB_OK ? 0 : 1;
done:
    if (r.sfd >= 0) close(r.sfd);
    free(r.kids);
    free(r.json);
    free(r.csv);
    free(pl.cells);
    free(pl.avail);
    free(pl.text);
    free(liststore);
    /* A pending SIGCHLD or SIGINT stays pending; unblocking delivers it with the caller's
     * dispositions (SIGCHLD ignored by default; SIGINT ends the process as the user asked). */
    sigprocmask(SIG_SETMASK, &r.oldmask, NULL);
    return exit_code;
}
