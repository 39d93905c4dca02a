#include "report.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <dirent.h>
#include <stddef.h>
#include <unistd.h>

#include "jsonget.h"
#include "matrix.h"
#include "row.h"
#include "util.h"

/* ---------------------------------------------------------------- samples and aggregates */

typedef struct vec {
    double *v;
    size_t n, cap;
} vec;

static void vec_push(vec *x, double v)
{
    if (!isfinite(v)) return; /* not measured: not a sample */
    if (sb_grow(&x->v, &x->cap, x->n, sizeof *x->v, 8)) return;
    x->v[x->n++] = v;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Percentile with linear interpolation between closest ranks (Hyndman-Fan type 7, the
 * default of R and numpy); NaN for no samples. */
static double pct(vec *x, double p)
{
    if (!x->n) return NAN;
    qsort(x->v, x->n, sizeof *x->v, cmp_double);
    double h = (double)(x->n - 1) * p;
    size_t lo = (size_t)floor(h);
    size_t hi = lo + 1 < x->n ? lo + 1 : lo;
    return x->v[lo] + (h - (double)lo) * (x->v[hi] - x->v[lo]);
}

static double med(vec *x)
{
    return pct(x, 0.5);
}

static const char *const layer_names[] = {"ip", "transport", "record", "coap", "security",
                                          "payload"};
#define NLAYERS 6

enum {
    M_TIME,     /* time_ms */
    M_CPU,      /* client_cpu_ns, in ms */
    M_HEAP,     /* client_heap_peak, bytes */
    M_BYTES,    /* c2s_bytes + s2c_bytes */
    M_ENERGY,   /* client_energy_mj (radio + CPU) */
    M_RADIO,    /* client_energy_radio_mj */
    M_HS_MS,    /* handshake_ms */
    M_HS_BYTES, /* handshake_bytes */
    M_FLIGHTS,
    M_PCPU,  /* proxy_cpu_ns, in ms */
    M_PHEAP, /* proxy_heap_peak */
    M_PSESS, /* proxy_heap_session */
    M_PLAIN, /* proxy_saw_plaintext, 0/1 */
    M_BPE,   /* bytes per request-response exchange */
    M_BATT,  /* battery_years */
    M_INSTR, /* client_instructions */
    M_ECPU,  /* client_energy_cpu_mj */
    M_LAYER, /* request layers, then response layers: 2 x NLAYERS */
    M_N = M_LAYER + 2 * NLAYERS
};

typedef struct agg {
    char group[32], stack[64], profile[32], scenario[16], variant[256];
    double loss, requests; /* sweep coordinates */
    double clients;        /* --via proxy --clients N (devices behind the proxy) */
    int n, nok, proxy;
    vec m[M_N];
    char emulators[64];
    char error[160]; /* first failure */
} agg;

typedef struct plan_entry {
    uint64_t seed;
    char stack[64], group[32], opts[256];
} plan_entry;

typedef struct report {
    char dir[4096];
    agg *a;
    size_t na, cap;
    plan_entry *plan;
    size_t nplan;
    size_t rows, ok;
    char kernels[256], commits[256], libs[512], emulators[128];
} report;

static void add_word(char *list, size_t cap, const char *w)
{
    if (!w || !*w) return;
    size_t n = strlen(w);
    for (const char *p = list; (p = strstr(p, w)); p++)
        if ((p == list || p[-1] == ' ') && (p[n] == ',' || p[n] == '\0')) return;
    size_t len = strlen(list);
    snprintf(list + len, cap - len, "%s%s", len ? ", " : "", w);
}

static double opt_value(const char *opts, const char *name)
{
    char pat[40];
    snprintf(pat, sizeof pat, "--%s ", name);
    const char *p = strstr(opts, pat);
    return p ? strtod(p + strlen(pat), NULL) : NAN;
}

static const plan_entry *plan_find(const report *r, uint64_t seed, const char *stack)
{
    for (size_t i = 0; i < r->nplan; i++)
        if (r->plan[i].seed == seed && strcmp(r->plan[i].stack, stack) == 0) return &r->plan[i];
    return NULL;
}

static void load_plan(report *r)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/plan.tsv", r->dir);
    size_t len;
    char *buf = sb_read_file(p, &len);
    if (!buf) return;
    size_t cap = 0;
    for (char *save, *ln = strtok_r(buf, "\n", &save); ln; ln = strtok_r(NULL, "\n", &save)) {
        char *f[9] = {0};
        int nf = 0;
        for (char *q = ln; nf < 9; nf++) {
            f[nf] = q;
            q = strchr(q, '\t');
            if (!q) {
                nf++;
                break;
            }
            *q++ = '\0';
        }
        if (nf < 8 || strcmp(f[0], "seed") == 0) continue;
        if (sb_grow(&r->plan, &cap, r->nplan, sizeof *r->plan, 256)) break;
        plan_entry *e = &r->plan[r->nplan++];
        e->seed = strtoull(f[0], NULL, 10);
        snprintf(e->group, sizeof e->group, "%s", f[1]);
        snprintf(e->stack, sizeof e->stack, "%s", f[2]);
        snprintf(e->opts, sizeof e->opts, "%s", nf > 8 && f[8] ? f[8] : "");
    }
    free(buf);
}

static agg *find_agg(report *r, const char *group, const char *stack, const char *profile,
                     const char *scenario, const char *variant)
{
    for (size_t i = 0; i < r->na; i++) {
        agg *a = &r->a[i];
        if (!strcmp(a->group, group) && !strcmp(a->stack, stack) && !strcmp(a->profile, profile) &&
            !strcmp(a->scenario, scenario) && !strcmp(a->variant, variant))
            return a;
    }
    if (sb_grow(&r->a, &r->cap, r->na, sizeof *r->a, 64)) return NULL;
    agg *a = &r->a[r->na++];
    memset(a, 0, sizeof *a);
    snprintf(a->group, sizeof a->group, "%s", group);
    snprintf(a->stack, sizeof a->stack, "%s", stack);
    snprintf(a->profile, sizeof a->profile, "%s", profile);
    snprintf(a->scenario, sizeof a->scenario, "%s", scenario);
    snprintf(a->variant, sizeof a->variant, "%s", variant);
    return a;
}

static void add_row(report *r, const sb_row *row)
{
    char stack[64], profile[32], scenario[16], buf[256], variant[256];
    if (!sb_row_str(row, "stack", stack, sizeof stack)) return;
    if (!sb_row_str(row, "profile", profile, sizeof profile)) snprintf(profile, sizeof profile, "?");
    if (!sb_row_str(row, "scenario", scenario, sizeof scenario))
        snprintf(scenario, sizeof scenario, "cold");
    double seed = sb_row_num(row, "seed");
    const plan_entry *pe = isfinite(seed) ? plan_find(r, (uint64_t)seed, stack) : NULL;
    const char *group = pe ? pe->group : "main";
    double loss = pe ? opt_value(pe->opts, "loss") : NAN;
    double reqs = pe ? opt_value(pe->opts, "requests") : NAN;
    if (!isfinite(loss)) loss = sb_row_num(row, "loss_pct");
    if (!isfinite(reqs)) reqs = sb_row_num(row, "requests");
    if (pe) snprintf(variant, sizeof variant, "%s", pe->opts);
    else /* no plan: rows that differ in workload or link overrides stay apart */
        snprintf(variant, sizeof variant, "requests=%s delay=%s loss=%s via=%s",
                 sb_row_get(row, "requests") ?: "-", sb_row_get(row, "delay_ms") ?: "-",
                 sb_row_get(row, "loss_pct") ?: "-", sb_row_get(row, "via") ?: "-");
    agg *a = find_agg(r, group, stack, profile, scenario, variant);
    if (!a) return;
    a->loss = loss;
    a->requests = reqs;
    a->clients = pe ? opt_value(pe->opts, "clients") : NAN;
    if (!isfinite(a->clients)) a->clients = 1;
    a->n++;
    r->rows++;
    const char *via = sb_row_str(row, "via", buf, sizeof buf);
    if (via && !strcmp(via, "proxy")) a->proxy = 1;
    add_word(a->emulators, sizeof a->emulators, sb_row_str(row, "emulator", buf, sizeof buf));
    add_word(r->emulators, sizeof r->emulators, sb_row_str(row, "emulator", buf, sizeof buf));
    add_word(r->kernels, sizeof r->kernels, sb_row_str(row, "kernel", buf, sizeof buf));
    add_word(r->commits, sizeof r->commits, sb_row_str(row, "commit", buf, sizeof buf));
    add_word(r->libs, sizeof r->libs, sb_row_str(row, "lib_version", buf, sizeof buf));
    if (sb_row_num(row, "ok") != 1) {
        if (!a->error[0])
            snprintf(a->error, sizeof a->error, "%s",
                     sb_row_str(row, "error", buf, sizeof buf) ?: "failed");
        return;
    }
    a->nok++;
    r->ok++;
    double bytes = sb_row_num(row, "c2s_bytes") + sb_row_num(row, "s2c_bytes");
    vec_push(&a->m[M_TIME], sb_row_num(row, "time_ms"));
    vec_push(&a->m[M_CPU], sb_row_num(row, "client_cpu_ns") / 1e6);
    vec_push(&a->m[M_HEAP], sb_row_num(row, "client_heap_peak"));
    vec_push(&a->m[M_BYTES], bytes);
    vec_push(&a->m[M_ENERGY], sb_row_num(row, "client_energy_mj"));
    vec_push(&a->m[M_RADIO], sb_row_num(row, "client_energy_radio_mj"));
    vec_push(&a->m[M_HS_MS], sb_row_num(row, "handshake_ms"));
    vec_push(&a->m[M_HS_BYTES], sb_row_num(row, "handshake_bytes"));
    int nfl = sb_json_array_len(sb_row_get(row, "flights")); /* [{"dir":..}, ...] */
    vec_push(&a->m[M_FLIGHTS], nfl >= 0 ? nfl : NAN);
    vec_push(&a->m[M_PCPU], sb_row_num(row, "proxy_cpu_ns") / 1e6);
    vec_push(&a->m[M_PHEAP], sb_row_num(row, "proxy_heap_peak"));
    vec_push(&a->m[M_PSESS], sb_row_num(row, "proxy_heap_session"));
    vec_push(&a->m[M_PLAIN], sb_row_num(row, "proxy_saw_plaintext"));
    double n = sb_row_num(row, "requests");
    vec_push(&a->m[M_BPE], bytes / (isfinite(n) && n >= 1 ? n : 1));
    vec_push(&a->m[M_BATT], sb_row_num(row, "battery_years"));
    vec_push(&a->m[M_INSTR], sb_row_num(row, "client_instructions"));
    vec_push(&a->m[M_ECPU], sb_row_num(row, "client_energy_cpu_mj"));
    const char *layers = sb_row_get(row, "layers");
    for (int d = 0; d < 2 && layers; d++)
        for (int l = 0; l < NLAYERS; l++) {
            char path[32];
            snprintf(path, sizeof path, "%s.%s", d ? "response" : "request", layer_names[l]);
            vec_push(&a->m[M_LAYER + d * NLAYERS + l], sb_json_num(layers, path));
        }
}

static int fam_rank(const char *stack)
{
    static const char *const order[] = {"coap", "oscore", "edhoc", "oscore+dtls", "dtls", "tls"};
    char fam[16];
    sb_matrix_family(stack, fam, sizeof fam);
    for (int i = 0; i < 6; i++)
        if (!strcmp(fam, order[i])) return i;
    return 6;
}

/* Tables and charts list stacks by family, then name; sweeps by their x. */
static int agg_order(const void *pa, const void *pb)
{
    const agg *a = pa, *b = pb;
    int c = fam_rank(a->stack) - fam_rank(b->stack);
    if (!c) c = strcmp(a->stack, b->stack);
    if (!c) c = strcmp(a->scenario, b->scenario);
    if (!c) c = (a->requests > b->requests) - (a->requests < b->requests);
    if (!c) c = (a->loss > b->loss) - (a->loss < b->loss);
    if (!c) c = strcmp(a->variant, b->variant);
    return c;
}

static int load_rows(report *r)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/results.json", r->dir);
    size_t len;
    char *buf = sb_read_file(p, &len);
    if (!buf) {
        fprintf(stderr, "report: cannot read %s: %s\n", p, strerror(errno));
        return SB_ENOTFOUND;
    }
    for (char *save, *ln = strtok_r(buf, "\n", &save); ln; ln = strtok_r(NULL, "\n", &save)) {
        sb_row *row = sb_row_new();
        if (!row) break;
        if (sb_row_parse_json(row, ln) == SB_OK) add_row(r, row);
        sb_row_free(row);
    }
    free(buf);
    qsort(r->a, r->na, sizeof *r->a, agg_order);
    return SB_OK;
}

/* ---------------------------------------------------------------- lists and formatting */

/* Distinct values of a field over the aggregates of a group, in first-seen order. */
static size_t distinct(const report *r, const char *group, size_t field_off, const char **out,
                       size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < r->na; i++) {
        if (group && strcmp(r->a[i].group, group)) continue;
        const char *v = (const char *)&r->a[i] + field_off;
        size_t k = 0;
        while (k < n && strcmp(out[k], v)) k++;
        if (k == n && n < cap) out[n++] = v;
    }
    return n;
}
#define PROFILES(r, g, o, c) distinct(r, g, offsetof(agg, profile), o, c)
#define STACKS(r, g, o, c) distinct(r, g, offsetof(agg, stack), o, c)
#define SCENARIOS(r, g, o, c) distinct(r, g, offsetof(agg, scenario), o, c)

static const char *num(double v, char *buf, size_t cap)
{
    if (!isfinite(v)) snprintf(buf, cap, "n/a");
    else if (fabs(v) >= 100 || v == floor(v)) snprintf(buf, cap, "%.0f", v);
    else if (fabs(v) >= 10) snprintf(buf, cap, "%.1f", v);
    else if (fabs(v) >= 0.1) snprintf(buf, cap, "%.2f", v);
    else snprintf(buf, cap, "%.3g", v);
    return buf;
}

/* Data files: NaN -> "?" (gnuplot's `set datafile missing "?"`). */
static void dnum(FILE *f, double v)
{
    if (isfinite(v)) fprintf(f, " %.6g", v);
    else fputs(" ?", f);
}

typedef struct out2 { /* everything printed goes to the terminal copy and report.md */
    FILE *md, *term;
} out2;

static void say(out2 *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(out2 *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (o->term) {
        va_list aq;
        va_copy(aq, ap);
        vfprintf(o->term, fmt, aq);
        va_end(aq);
    }
    vfprintf(o->md, fmt, ap);
    va_end(ap);
}

static void md_only(out2 *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void md_only(out2 *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(o->md, fmt, ap);
    va_end(ap);
}

/* ---------------------------------------------------------------- tables */

static int has_any(agg *a, int m)
{
    return a->m[m].n > 0;
}

static void five_axes(report *r, out2 *o)
{
    const char *profiles[64], *scen[8];
    size_t np = PROFILES(r, "main", profiles, 64);
    say(o, "## Five axes per stack and profile\n\n"
           "Medians over the successful runs; n = successful / total runs. time = completion "
           "time of the exchange; CPU = client CPU time on this host; heap = client heap peak; "
           "bytes = both directions on the link (IP level); energy = client radio energy "
           "from the profile's radio model, and the total with the CPU estimate (host "
           "instruction count x the profile's reference-MCU energy per instruction: a "
           "host-derived estimate; n/a where no instruction count was measured).\n\n");
    for (size_t p = 0; p < np; p++) {
        size_t ns = SCENARIOS(r, "main", scen, 8);
        say(o, "### %s\n\n", profiles[p]);
        say(o, "| stack | scenario | n | time ms | CPU ms | heap B | bytes | radio mJ | total mJ |\n"
               "|---|---|---|---|---|---|---|---|---|\n");
        for (size_t s = 0; s < ns; s++)
            for (size_t i = 0; i < r->na; i++) {
                agg *a = &r->a[i];
                if (strcmp(a->group, "main") || strcmp(a->profile, profiles[p]) ||
                    strcmp(a->scenario, scen[s]))
                    continue;
                char b[6][32];
                say(o, "| %s | %s | %d/%d | %s | %s | %s | %s | %s | %s |\n", a->stack,
                    a->scenario, a->nok, a->n, num(med(&a->m[M_TIME]), b[0], 32),
                    num(med(&a->m[M_CPU]), b[1], 32), num(med(&a->m[M_HEAP]), b[2], 32),
                    num(med(&a->m[M_BYTES]), b[3], 32), num(med(&a->m[M_RADIO]), b[4], 32),
                    num(med(&a->m[M_ENERGY]), b[5], 32));
            }
        say(o, "\n");
    }
}

static void failures(report *r, out2 *o)
{
    int any = 0;
    for (size_t i = 0; i < r->na; i++) {
        agg *a = &r->a[i];
        if (a->nok == a->n) continue;
        if (!any)
            md_only(o, "## Failed runs\n\n| group | stack | profile | scenario | options | failed | "
                       "first error |\n|---|---|---|---|---|---|---|\n");
        any = 1;
        md_only(o, "| %s | %s | %s | %s | %s | %d/%d | %s |\n", a->group, a->stack, a->profile,
                a->scenario, a->variant, a->n - a->nok, a->n, a->error);
    }
    if (any) md_only(o, "\n");
}

static void gateway(report *r, out2 *o)
{
    int any = 0;
    for (size_t i = 0; i < r->na; i++) {
        agg *a = &r->a[i];
        if (!a->proxy) continue;
        if (!any)
            say(o, "## Gateway panel (via proxy)\n\n"
                   "devices = client sessions through the proxy at once (--clients). proxy CPU "
                   "per device = the row's proxy_cpu_ns (the proxy's CPU time over the devices); "
                   "heap peak = the whole proxy; heap per session = held per device session. End-to-end = the proxy never saw the "
                   "application plaintext (proxy_saw_plaintext false in every run).\n\n"
                   "| stack | profile | devices | n | proxy CPU ms per device | proxy heap peak B | "
                   "proxy heap per session B | end-to-end |\n|---|---|---|---|---|---|---|---|\n");
        any = 1;
        char b[3][32];
        vec *pl = &a->m[M_PLAIN];
        const char *e2e = !pl->n ? "n/a" : pct(pl, 1.0) == 0 ? "yes" : "no";
        say(o, "| %s | %s | %.0f | %d/%d | %s | %s | %s | %s |\n", a->stack, a->profile,
            a->clients, a->nok, a->n, num(med(&a->m[M_PCPU]), b[0], 32),
            num(med(&a->m[M_PHEAP]), b[1], 32), num(med(&a->m[M_PSESS]), b[2], 32), e2e);
    }
    if (any) say(o, "\n");
}

static int coldstart_stack(const char *s)
{
    return !strncmp(s, "edhoc-", 6) || !strncmp(s, "dtls1.2-", 8) || !strncmp(s, "tls1.3-", 7) ||
           !strcmp(s, "oscore") || !strncmp(s, "oscore-", 7);
}

static void coldstart(report *r, out2 *o)
{
    int edhoc = 0;
    for (size_t i = 0; i < r->na; i++) edhoc |= !strncmp(r->a[i].stack, "edhoc-", 6);
    if (!edhoc) return;
    const char *profiles[64];
    size_t np = PROFILES(r, NULL, profiles, 64);
    say(o, "## Cold start: EDHOC + OSCORE vs DTLS 1.2 and TLS 1.3\n\n"
           "scenario cold: key establishment and the first request from nothing; OSCORE rows "
           "use pre-shared contexts (no key exchange) as the floor.\n\n");
    for (size_t p = 0; p < np; p++) {
        int head = 0;
        for (size_t i = 0; i < r->na; i++) {
            agg *a = &r->a[i];
            if (strcmp(a->profile, profiles[p]) || strcmp(a->scenario, "cold") ||
                !coldstart_stack(a->stack) || a->proxy ||
                (strcmp(a->group, "main") && strcmp(a->group, "coldstart")))
                continue;
            if (!head)
                say(o, "### %s\n\n| stack | n | time ms | handshake ms | handshake bytes | bytes | "
                       "flights | radio mJ |\n|---|---|---|---|---|---|---|---|\n",
                    profiles[p]);
            head = 1;
            char b[6][32];
            say(o, "| %s | %d/%d | %s | %s | %s | %s | %s | %s |\n", a->stack, a->nok, a->n,
                num(med(&a->m[M_TIME]), b[0], 32), num(med(&a->m[M_HS_MS]), b[1], 32),
                num(med(&a->m[M_HS_BYTES]), b[2], 32), num(med(&a->m[M_BYTES]), b[3], 32),
                num(med(&a->m[M_FLIGHTS]), b[4], 32), num(med(&a->m[M_RADIO]), b[5], 32));
        }
        if (head) say(o, "\n");
    }
}

/* ---------------------------------------------------------------- chart data */

typedef struct chart {
    const char *name; /* plots/NAME.gp */
    int made;         /* data written */
    char note[300];
} chart;

static FILE *open_in(const report *r, const char *rel, const char *mode)
{
    char p[4300];
    snprintf(p, sizeof p, "%s/plots/data/%s", r->dir, rel);
    return fopen(p, mode);
}

/* Repetitions per point as "N" or "MIN-MAX", over the aggregates used in a chart. */
typedef struct reps {
    int lo, hi;
    char emu[64];
} reps;

static void reps_add(reps *x, const agg *a)
{
    if (!x->hi || a->nok < x->lo) x->lo = a->nok;
    if (a->nok > x->hi) x->hi = a->nok;
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%s", a->emulators);
    for (char *save, *t = strtok_r(tmp, ", ", &save); t; t = strtok_r(NULL, ", ", &save))
        add_word(x->emu, sizeof x->emu, t);
}

static void reps_str(const reps *x, char *buf, size_t cap)
{
    if (x->lo == x->hi) snprintf(buf, cap, "emulator: %s; %d repetitions per point",
                                 x->emu[0] ? x->emu : "n/a", x->hi);
    else snprintf(buf, cap, "emulator: %s; %d-%d repetitions per point",
                  x->emu[0] ? x->emu : "n/a", x->lo, x->hi);
}

static const char *fam_label(const char *f)
{
    return !strcmp(f, "tls") ? "TLS" : !strcmp(f, "dtls") ? "DTLS" : "OSCORE";
}

/* (a) per profile and scenario: the lowest-energy configuration of TLS, DTLS and OSCORE. */
static void chart_comparison(report *r, FILE *vars, chart *c)
{
    const char *profiles[64], *scen[8];
    size_t np = PROFILES(r, "main", profiles, 64), ns = SCENARIOS(r, "main", scen, 8);
    static const char *const fams[] = {"tls", "dtls", "oscore"};
    char items[2048] = "";
    int k = 0;
    for (size_t p = 0; p < np; p++)
        for (size_t s = 0; s < ns; s++) {
            agg *pick[3] = {0};
            int basis = M_ENERGY; /* total if any candidate has it, else radio, else bytes */
            int any_total = 0, any_radio = 0;
            for (size_t i = 0; i < r->na; i++) {
                agg *a = &r->a[i];
                if (strcmp(a->group, "main") || strcmp(a->profile, profiles[p]) ||
                    strcmp(a->scenario, scen[s]) || !a->nok)
                    continue;
                any_total |= has_any(a, M_ENERGY);
                any_radio |= has_any(a, M_RADIO);
            }
            basis = any_total ? M_ENERGY : any_radio ? M_RADIO : M_BYTES;
            for (size_t i = 0; i < r->na; i++) {
                agg *a = &r->a[i];
                char fam[16];
                if (strcmp(a->group, "main") || strcmp(a->profile, profiles[p]) ||
                    strcmp(a->scenario, scen[s]) || !a->nok)
                    continue;
                sb_matrix_family(a->stack, fam, sizeof fam);
                for (int f = 0; f < 3; f++) {
                    if (strcmp(fam, fams[f])) continue;
                    double v = med(&a->m[basis]);
                    if (isfinite(v) && (!pick[f] || v < med(&pick[f]->m[basis]))) pick[f] = a;
                }
            }
            if (!pick[0] && !pick[1] && !pick[2]) continue;
            char fname[128];
            snprintf(fname, sizeof fname, "cmp-%s-%s.dat", profiles[p], scen[s]);
            FILE *f = open_in(r, fname, "w");
            if (!f) continue;
            int mets[5] = {M_TIME, M_CPU, M_HEAP, M_BYTES, basis == M_BYTES ? M_ENERGY : basis};
            double ref[5];
            for (int m = 0; m < 5; m++) ref[m] = pick[2] ? med(&pick[2]->m[mets[m]]) : NAN;
            fprintf(f, "# family config time_ms cpu_ms heap_kib bytes energy_mj, then each / "
                       "OSCORE's, then n\n");
            reps rp = {0};
            for (int fi = 0; fi < 3; fi++) {
                agg *a = pick[fi];
                fprintf(f, "%s %s", fam_label(fams[fi]), a ? a->stack : "none");
                for (int m = 0; m < 5; m++) {
                    double v = a ? med(&a->m[mets[m]]) : NAN;
                    dnum(f, mets[m] == M_HEAP ? v / 1024 : v);
                }
                for (int m = 0; m < 5; m++) {
                    double v = a ? med(&a->m[mets[m]]) : NAN;
                    dnum(f, ref[m] > 0 ? v / ref[m] : NAN);
                }
                fprintf(f, " %d\n", a ? a->nok : 0);
                if (a) reps_add(&rp, a);
            }
            fclose(f);
            char sub[200], have[6] = "00000";
            reps_str(&rp, sub, sizeof sub);
            for (int m = 0; m < 5; m++) /* a panel with nothing measured says so */
                for (int fi = 0; fi < 3; fi++)
                    if (pick[fi] && isfinite(med(&pick[fi]->m[mets[m]]))) have[m] = '1';
            k++;
            fprintf(vars, "have%d = '%s'\nprof%d = '%s'\nselby%d = '%s'\n", k, have, k,
                    profiles[p], k, basis == M_BYTES ? "fewest-bytes" : "lowest-energy");
            fprintf(vars, "name%d = '%s-%s'\nsub%d = '%s; scenario %s'\nebasis%d = '%s'\n", k,
                    profiles[p], scen[s], k, sub, scen[s], k,
                    basis == M_ENERGY  ? "client energy, radio + CPU estimate (mJ)"
                    : basis == M_RADIO ? "client radio energy (mJ; CPU not measured)"
                                       : "energy n/a (profile models no radio)");
            size_t il = strlen(items);
            snprintf(items + il, sizeof items - il, "%s%s-%s", il ? " " : "", profiles[p], scen[s]);
        }
    fprintf(vars, "items = '%s'\nnitems = %d\n", items, k);
    c->made = k > 0;
}

/* (b) bytes per layer of one request-response, per stack (established if measured). */
static void chart_layers(report *r, FILE *vars, chart *c)
{
    const char *stacks[128];
    size_t ns = STACKS(r, "main", stacks, 128);
    FILE *f = open_in(r, "layers.dat", "w");
    if (!f) return;
    fprintf(f, "# stack, request ip transport record coap security payload, response same, n\n");
    reps rp = {0};
    int rows = 0;
    for (size_t s = 0; s < ns; s++) {
        vec l[2 * NLAYERS] = {{0}};
        int n = 0;
        for (int pass = 0; pass < 2 && !n; pass++) /* established first, else cold */
            for (size_t i = 0; i < r->na; i++) {
                agg *a = &r->a[i];
                if (strcmp(a->group, "main") || strcmp(a->stack, stacks[s]) ||
                    strcmp(a->scenario, pass ? "cold" : "established") ||
                    !a->m[M_LAYER].n)
                    continue;
                for (int j = 0; j < 2 * NLAYERS; j++)
                    for (size_t q = 0; q < a->m[M_LAYER + j].n; q++)
                        vec_push(&l[j], a->m[M_LAYER + j].v[q]);
                n += (int)a->m[M_LAYER].n;
                reps_add(&rp, a);
            }
        if (n) {
            fprintf(f, "%s", stacks[s]);
            for (int j = 0; j < 2 * NLAYERS; j++) dnum(f, med(&l[j]));
            fprintf(f, " %d\n", n);
            rows++;
        }
        for (int j = 0; j < 2 * NLAYERS; j++) free(l[j].v);
    }
    fclose(f);
    char sub[200];
    reps_str(&rp, sub, sizeof sub);
    fprintf(vars, "sub = '%s (medians over all profiles)'\nnstacks = %d\n", sub, rows);
    c->made = rows > 0;
}

static int by_x(const void *a, const void *b)
{
    const double *x = a, *y = b;
    return x[0] < y[0] ? -1 : x[0] > y[0];
}

/* (c) and (d): one block per stack of a sweep group, x = loss or requests. */
static void chart_sweep(report *r, FILE *vars, chart *c, const char *group, int xloss)
{
    const char *stacks[64];
    size_t ns = STACKS(r, group, stacks, 64);
    FILE *f = open_in(r, xloss ? "loss.dat" : "amort.dat", "w");
    if (!f) return;
    reps rp = {0};
    char list[1024] = "";
    int blocks = 0;
    for (size_t s = 0; s < ns; s++) {
        double pts[64][8];
        int n = 0;
        for (size_t i = 0; i < r->na && n < 64; i++) {
            agg *a = &r->a[i];
            if (strcmp(a->group, group) || strcmp(a->stack, stacks[s])) continue;
            double x = xloss ? a->loss : a->requests;
            if (!isfinite(x)) x = xloss ? 0 : 1;
            int m = xloss ? M_TIME : M_BPE;
            double *p = pts[n++];
            p[0] = x;
            p[1] = med(&a->m[m]);
            p[2] = pct(&a->m[m], 0.05);
            p[3] = pct(&a->m[m], 0.95);
            p[4] = med(&a->m[M_BYTES]);
            p[5] = pct(&a->m[M_BYTES], 0.05);
            p[6] = pct(&a->m[M_BYTES], 0.95);
            p[7] = a->n ? 100.0 * a->nok / a->n : NAN;
            reps_add(&rp, a);
        }
        if (!n) continue;
        qsort(pts, (size_t)n, sizeof pts[0], by_x);
        fprintf(f, "%s# %s\n# x median p5 p95 bytes_median bytes_p5 bytes_p95 ok_pct\n",
                blocks ? "\n\n" : "", stacks[s]);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < 8; j++) dnum(f, pts[i][j]);
            fputc('\n', f);
        }
        size_t ll = strlen(list);
        snprintf(list + ll, sizeof list - ll, "%s%s", ll ? " " : "", stacks[s]);
        blocks++;
    }
    fclose(f);
    char sub[200];
    reps_str(&rp, sub, sizeof sub);
    fprintf(vars, "sub = '%s'\nstacks = '%s'\nnstacks = %d\n", sub, list, blocks);
    c->made = blocks > 0;
}

/* (f) The gateway beside the five axes: per stack through the proxy, at the largest fleet
 * measured, the proxy's heap held per device session and its CPU per device, each bar
 * marked end-to-end (the proxy never saw the plaintext) or hop-by-hop. */
static void chart_gateway(report *r, FILE *vars, chart *c)
{
    FILE *f = open_in(r, "gateway.dat", "w");
    if (!f) return;
    fprintf(f, "# stack heap_per_session_B cpu_ms_per_device end_to_end devices\n");
    reps rp = {0};
    int rows = 0;
    double fleet = 0;
    for (size_t i = 0; i < r->na; i++)
        if (r->a[i].proxy && r->a[i].clients > fleet) fleet = r->a[i].clients;
    for (size_t i = 0; i < r->na; i++) {
        agg *a = &r->a[i];
        if (!a->proxy || a->clients != fleet || !a->nok) continue;
        vec *pl = &a->m[M_PLAIN];
        fprintf(f, "\"%s\"", a->stack);
        dnum(f, med(&a->m[M_PSESS]));
        dnum(f, med(&a->m[M_PCPU]));
        fprintf(f, " %d %.0f\n", pl->n && pct(pl, 1.0) == 0, a->clients);
        reps_add(&rp, a);
        rows++;
    }
    fclose(f);
    char sub[200];
    reps_str(&rp, sub, sizeof sub);
    fprintf(vars, "sub = '%s, %.0f device(s) through one proxy'\n", sub, fleet);
    c->made = rows > 0;
}

/* (e) completion-time distribution per profile (scenario cold, main group). */
static void chart_dist(report *r, FILE *vars, chart *c)
{
    const char *profiles[64];
    size_t np = PROFILES(r, "main", profiles, 64);
    char list[1024] = "";
    int k = 0;
    reps rp = {0};
    for (size_t p = 0; p < np; p++) {
        char fname[96];
        snprintf(fname, sizeof fname, "dist-%s.dat", profiles[p]);
        FILE *f = NULL;
        int n = 0;
        for (size_t i = 0; i < r->na; i++) {
            agg *a = &r->a[i];
            if (strcmp(a->group, "main") || strcmp(a->profile, profiles[p]) ||
                strcmp(a->scenario, "cold") || !a->m[M_TIME].n)
                continue;
            if (!f && !(f = open_in(r, fname, "w"))) break;
            if (!n) fprintf(f, "# i stack min p5 p25 median p75 p95 max n\n");
            vec *t = &a->m[M_TIME];
            fprintf(f, "%d %s", n, a->stack);
            double q[] = {0, 0.05, 0.25, 0.5, 0.75, 0.95, 1};
            for (int j = 0; j < 7; j++) dnum(f, pct(t, q[j]));
            fprintf(f, " %d\n", a->nok);
            n++;
            reps_add(&rp, a);
        }
        if (!f) continue;
        fclose(f);
        size_t ll = strlen(list);
        snprintf(list + ll, sizeof list - ll, "%s%s", ll ? " " : "", profiles[p]);
        k++;
    }
    char sub[200];
    reps_str(&rp, sub, sizeof sub);
    fprintf(vars, "sub = '%s; scenario cold'\nprofiles = '%s'\nnprofiles = %d\n", sub, list, k);
    c->made = k > 0;
}

/* ---------------------------------------------------------------- gnuplot */

/* gnuplot VARS SCRIPT, output appended to plots/gnuplot.log; returns its exit status. */
static int gnuplot(const report *r, const char *vars, const char *script)
{
    char log[4300];
    snprintf(log, sizeof log, "%s/plots/gnuplot.log", r->dir);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        execlp("gnuplot", "gnuplot", vars, script, (char *)NULL);
        fprintf(stderr, "gnuplot: %s\n", strerror(errno));
        _exit(127);
    }
    int st = 0;
    if (pid < 0 || waitpid(pid, &st, 0) < 0) return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void make_charts(report *r, chart *charts, size_t n, int run_gnuplot)
{
    char d[4300];
    snprintf(d, sizeof d, "%s/plots/data", r->dir);
    if (sb_mkdir_p(d, 0755) != SB_OK) return;
    for (size_t i = 0; i < n; i++) {
        chart *c = &charts[i];
        char vname[64], vpath[4400], script[4096], rel[96];
        snprintf(vname, sizeof vname, "%s.vars.gp", c->name);
        FILE *vars = open_in(r, vname, "w");
        if (!vars) continue;
        /* Paths for the script; single quotes are not allowed in them (gnuplot strings). */
        fprintf(vars, "datadir = '%s/plots/data'\noutdir = '%s/plots'\n", r->dir, r->dir);
        if (!strcmp(c->name, "comparison")) chart_comparison(r, vars, c);
        else if (!strcmp(c->name, "layers")) chart_layers(r, vars, c);
        else if (!strcmp(c->name, "loss")) chart_sweep(r, vars, c, "loss", 1);
        else if (!strcmp(c->name, "amortisation")) chart_sweep(r, vars, c, "amort", 0);
        else if (!strcmp(c->name, "distribution")) chart_dist(r, vars, c);
        else if (!strcmp(c->name, "gateway")) chart_gateway(r, vars, c);
        fclose(vars);
        if (!c->made) {
            snprintf(c->note, sizeof c->note, "no rows for this chart in this run");
            continue;
        }
        if (!run_gnuplot || strchr(r->dir, '\'')) {
            snprintf(c->note, sizeof c->note, "data written; charts not drawn (%s)",
                     run_gnuplot ? "run folder name contains a quote" : "--no-plots");
            c->made = 0;
            continue;
        }
        snprintf(rel, sizeof rel, "plots/%s.gp", c->name);
        snprintf(vpath, sizeof vpath, "%s/plots/data/%s", r->dir, vname);
        if (sb_data_path(rel, script, sizeof script) != SB_OK) {
            snprintf(c->note, sizeof c->note, "%s not found", rel);
            c->made = 0;
            continue;
        }
        int st = gnuplot(r, vpath, script);
        if (st != 0) {
            snprintf(c->note, sizeof c->note, "gnuplot failed (exit %d, see plots/gnuplot.log)",
                     st);
            c->made = 0;
        }
    }
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Embed every image the chart's script produced (NAME.png, or NAME-ITEM.png per profile),
 * PNG inline with a link to the SVG. */
static void embed(report *r, out2 *o, const chart *c, const char *title, const char *what)
{
    md_only(o, "### %s\n\n%s\n\n", title, what);
    if (!c->made) {
        md_only(o, "_Not drawn: %s._\n\n", c->note);
        return;
    }
    char pdir[4300];
    snprintf(pdir, sizeof pdir, "%s/plots", r->dir);
    DIR *d = opendir(pdir);
    if (!d) return;
    char *names[256];
    size_t n = 0, len = strlen(c->name);
    for (struct dirent *e; (e = readdir(d)) && n < 256;) {
        size_t el = strlen(e->d_name);
        if (strncmp(e->d_name, c->name, len) || (e->d_name[len] != '.' && e->d_name[len] != '-') ||
            el < 4 || strcmp(e->d_name + el - 4, ".png"))
            continue;
        names[n] = strndup(e->d_name, el - 4);
        if (names[n]) n++;
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n; i++) {
        md_only(o, "![%s](plots/%s.png)  \n[SVG](plots/%s.svg)\n\n", names[i], names[i], names[i]);
        free(names[i]);
    }
}

/* Where (D)TLS catches up with OSCORE in bytes per exchange, from the amortisation group. */
static void amort_text(report *r, out2 *o)
{
    const char *stacks[64];
    size_t ns = STACKS(r, "amort", stacks, 64);
    const char *osc = NULL;
    for (size_t s = 0; s < ns; s++) {
        char fam[16];
        if (!strcmp(sb_matrix_family(stacks[s], fam, sizeof fam), "oscore")) osc = stacks[s];
    }
    if (!osc) return;
    say(o, "## Amortisation: bytes per exchange vs requests per session\n\n"
           "| stack | requests | n | bytes per exchange | vs %s |\n|---|---|---|---|---|\n",
        osc);
    for (size_t s = 0; s < ns; s++) {
        for (size_t i = 0; i < r->na; i++) {
            agg *a = &r->a[i];
            if (strcmp(a->group, "amort") || strcmp(a->stack, stacks[s])) continue;
            double ref = NAN;
            for (size_t j = 0; j < r->na; j++)
                if (!strcmp(r->a[j].group, "amort") && !strcmp(r->a[j].stack, osc) &&
                    r->a[j].requests == a->requests && !strcmp(r->a[j].profile, a->profile))
                    ref = med(&r->a[j].m[M_BPE]);
            double v = med(&a->m[M_BPE]);
            char b[3][32];
            say(o, "| %s | %s | %d/%d | %s | %s |\n", a->stack, num(a->requests, b[0], 32),
                a->nok, a->n, num(v, b[1], 32),
                isfinite(ref) && ref > 0 ? (snprintf(b[2], 32, "x%.2f", v / ref), b[2]) : "n/a");
        }
    }
    say(o, "\n");
    for (size_t s = 0; s < ns; s++) {
        char fam[16];
        sb_matrix_family(stacks[s], fam, sizeof fam);
        if (strcmp(fam, "tls") && strcmp(fam, "dtls") && strcmp(fam, "oscore+dtls")) continue;
        double catch_at = NAN, best_ratio = NAN, best_at = NAN;
        for (size_t i = 0; i < r->na; i++) {
            agg *a = &r->a[i];
            if (strcmp(a->group, "amort") || strcmp(a->stack, stacks[s])) continue;
            for (size_t j = 0; j < r->na; j++) {
                agg *b = &r->a[j];
                if (strcmp(b->group, "amort") || strcmp(b->stack, osc) ||
                    b->requests != a->requests || strcmp(b->profile, a->profile))
                    continue;
                double ratio = med(&a->m[M_BPE]) / med(&b->m[M_BPE]);
                if (!isfinite(ratio)) continue;
                if (ratio <= 1 && (!isfinite(catch_at) || a->requests < catch_at))
                    catch_at = a->requests;
                if (!isfinite(best_ratio) || ratio < best_ratio) {
                    best_ratio = ratio;
                    best_at = a->requests;
                }
            }
        }
        if (isfinite(catch_at))
            say(o, "- %s reaches %s's bytes per exchange at %.0f request(s) per session.\n",
                stacks[s], osc, catch_at);
        else if (isfinite(best_ratio))
            say(o, "- %s never catches up with %s in this sweep: closest x%.2f at %.0f requests "
                   "per session.\n",
                stacks[s], osc, best_ratio, best_at);
    }
    say(o, "\n");
}

static void loss_table(report *r, out2 *o)
{
    int head = 0;
    for (size_t i = 0; i < r->na; i++) {
        agg *a = &r->a[i];
        if (strcmp(a->group, "loss")) continue;
        if (!head)
            say(o, "## Loss sweep\n\n| stack | loss %% | ok/n | time ms median | p5-p95 | bytes "
                   "median | p5-p95 |\n|---|---|---|---|---|---|---|\n");
        head = 1;
        char b[7][32];
        vec *t = &a->m[M_TIME], *y = &a->m[M_BYTES];
        say(o, "| %s | %s | %d/%d | %s | %s-%s | %s | %s-%s |\n", a->stack,
            num(isfinite(a->loss) ? a->loss : 0, b[0], 32), a->nok, a->n, num(med(t), b[1], 32),
            num(pct(t, 0.05), b[2], 32), num(pct(t, 0.95), b[3], 32), num(med(y), b[4], 32),
            num(pct(y, 0.05), b[5], 32), num(pct(y, 0.95), b[6], 32));
    }
    if (head) say(o, "\n");
}

/* Rows with an instruction count (perf counters, or `--valgrind`): the CPU estimate, and
 * with it the total energy and the battery life. */
static void cpu_energy(report *r, out2 *o)
{
    int head = 0;
    for (size_t i = 0; i < r->na; i++) {
        agg *a = &r->a[i];
        if (!a->m[M_INSTR].n) continue;
        if (!head)
            say(o, "## CPU energy estimate (rows with an instruction count)\n\n"
                   "Host instructions of the client (callgrind under `--valgrind`, else "
                   "perf counters) x the profile's reference-MCU energy per instruction: a "
                   "host-derived estimate. Under valgrind the client runs ~50x slower, so "
                   "these rows' times are not used elsewhere.\n\n"
                   "| stack | profile | scenario | n | instructions | CPU mJ | radio mJ | total mJ "
                   "| battery years |\n|---|---|---|---|---|---|---|---|---|\n");
        head = 1;
        char b[5][32];
        say(o, "| %s | %s | %s | %d/%d | %s | %s | %s | %s | %s |\n", a->stack, a->profile,
            a->scenario, a->nok, a->n, num(med(&a->m[M_INSTR]), b[0], 32),
            num(med(&a->m[M_ECPU]), b[1], 32), num(med(&a->m[M_RADIO]), b[2], 32),
            num(med(&a->m[M_ENERGY]), b[3], 32), num(med(&a->m[M_BATT]), b[4], 32));
    }
    if (head) say(o, "\n");
}

static void include_file(report *r, out2 *o, const char *name, const char *title)
{
    char p[4300];
    snprintf(p, sizeof p, "%s/%s", r->dir, name);
    size_t len;
    char *t = sb_read_file(p, &len);
    if (!t) return;
    md_only(o, "## %s\n\n%s\n", title, t);
    free(t);
}

static void usage(FILE *f)
{
    fprintf(f, "usage: secbench report [DIR] [--no-plots] [--quiet]\n"
               "  DIR         results folder (default results/latest)\n"
               "  --no-plots  write the chart data but do not run gnuplot\n"
               "  --quiet     do not print the tables (DIR/report.md is still written)\n");
}

int sb_report_main(int argc, char **argv)
{
    const char *dir = NULL;
    int plots = 1, quiet = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--no-plots")) plots = 0;
        else if (!strcmp(argv[i], "--quiet") || !strcmp(argv[i], "-q")) quiet = 1;
        else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        } else if (argv[i][0] == '-' || dir) {
            fprintf(stderr, "report: unexpected argument '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        } else dir = argv[i];
    }
    report r = {0};
    if (dir) snprintf(r.dir, sizeof r.dir, "%s", dir);
    else if (sb_data_path("results/latest", r.dir, sizeof r.dir) != SB_OK) {
        fprintf(stderr, "report: no results/latest; name a results folder\n");
        return 2;
    }
    size_t dl = strlen(r.dir);
    while (dl > 1 && r.dir[dl - 1] == '/') r.dir[--dl] = '\0';
    load_plan(&r);
    if (load_rows(&r) != SB_OK) {
        free(r.plan);
        return 2;
    }
    if (!r.rows) {
        fprintf(stderr, "report: %s/results.json has no rows\n", r.dir);
        free(r.plan);
        return 2;
    }
    chart charts[] = {{"comparison", 0, ""}, {"layers", 0, ""}, {"loss", 0, ""},
                      {"amortisation", 0, ""}, {"distribution", 0, ""}, {"gateway", 0, ""}};
    make_charts(&r, charts, sizeof charts / sizeof charts[0], plots);

    char mdpath[4300];
    snprintf(mdpath, sizeof mdpath, "%s/report.md", r.dir);
    char *md = NULL;
    size_t mdlen = 0;
    out2 o = {open_memstream(&md, &mdlen), quiet ? NULL : stdout};
    if (!o.md) return 1;
    md_only(&o, "# secbench report: %s\n\n", r.dir);
    md_only(&o, "%zu rows (%zu ok, %zu failed). Emulator: %s. Kernel: %s. Commit: %s. "
                "Libraries: %s.\n\n",
            r.rows, r.ok, r.rows - r.ok, r.emulators[0] ? r.emulators : "n/a",
            r.kernels[0] ? r.kernels : "n/a", r.commits[0] ? r.commits : "n/a",
            r.libs[0] ? r.libs : "n/a");
    md_only(&o, "Energy figures are model outputs (docs/energy.md): radio energy from the link "
                "profile's powers and the measured bytes and times; CPU energy is a host-derived "
                "estimate (host instruction count x the profile's reference-MCU energy per "
                "instruction), n/a where no instruction count was measured.\n\n");
    five_axes(&r, &o);
    md_only(&o, "## Charts\n\n");
    embed(&r, &o, &charts[0], "TLS, DTLS and OSCORE per profile",
          "Five panels: completion time, client CPU time, client heap peak, bytes on the link, "
          "client energy. Each family is shown by its configuration with the lowest client "
          "energy on that profile (named in the bar); labels give the value and the ratio to "
          "OSCORE.");
    embed(&r, &o, &charts[5], "Through a gateway: what the proxy holds and spends per device",
          "Proxy heap held per device session (log scale) and proxy CPU per device, at the "
          "largest fleet measured; green = end-to-end (the proxy never saw the plaintext), "
          "red = the proxy read the payload (hop-by-hop (D)TLS, or plain CoAP).");
    embed(&r, &o, &charts[1], "Bytes per layer of one request-response",
          "Median bytes of one request and one response, split by layer (IP, transport, "
          "record, CoAP, security, payload), per stack.");
    embed(&r, &o, &charts[2], "Completion time and bytes against loss",
          "Median with the 5th-95th percentile band, per stack.");
    embed(&r, &o, &charts[3], "Bytes per exchange against requests per session",
          "Where (D)TLS's handshake is amortised enough to catch up with OSCORE, if anywhere.");
    embed(&r, &o, &charts[4], "Completion-time distribution per profile",
          "Box: 25th-75th percentile with the median; whiskers: 5th-95th percentile.");
    loss_table(&r, &o);
    amort_text(&r, &o);
    gateway(&r, &o);
    coldstart(&r, &o);
    cpu_energy(&r, &o);
    include_file(&r, &o, "hyperfine.md", "Whole `secbench run` invocations (hyperfine, ideal link)");
    failures(&r, &o);
    fclose(o.md);
    int rc = sb_write_atomic(mdpath, md, mdlen);
    free(md);
    if (rc != SB_OK) fprintf(stderr, "report: cannot write %s\n", mdpath);
    else if (!quiet) fprintf(stderr, "report: wrote %s\n", mdpath);
    for (size_t i = 0; i < r.na; i++)
        for (int m = 0; m < M_N; m++) free(r.a[i].m[m].v);
    free(r.a);
    free(r.plan);
    return rc == SB_OK ? 0 : 1;
}
