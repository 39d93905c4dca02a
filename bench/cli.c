#include "cli.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "params.h"
#include "util.h"

#define ALL (SB_VERB_RUN | SB_VERB_CLIENT | SB_VERB_SERVER)
#define RUN SB_VERB_RUN
#define CLI SB_VERB_CLIENT
#define SRV SB_VERB_SERVER

static const sb_cli_opt harness_opts[] = {
    {"stack", "ID", "stack to run (see `secbench list`)", ALL, 0, 0},
    {"scenario", "S", "cold | established | resumed (default cold)", RUN | CLI | SRV, 1, 0},
    {"requests", "N", "sequential requests on one session, 1..1000 (default 1)", RUN | CLI | SRV, 1, 0},
    {"request-payload", "B", "POST carrying B bytes instead of the default GET", RUN | CLI | SRV, 1, 0},
    {"payload-text", "STRING", "POST carrying exactly these bytes", RUN | CLI | SRV, 1, 0},
    {"response-payload", "B", "bytes in each response (default 16)", RUN | CLI | SRV, 1, 0},
    {"path", "PATH", "resource path (default " SB_DEFAULT_PATH ")", RUN | CLI | SRV, 1, 0},
    {"timeout", "S", "seconds before the run fails (default 30)", ALL, 1, 0},
    {"seed", "N", "seed for Message IDs, CoAP timers and link loss (default 1)", ALL, 1, 0},
    {"ack-timeout", "MS", "CoAP ACK_TIMEOUT (RFC 7252 4.8; default 2000)", ALL, 1, 0},
    {"max-retransmit", "N", "CoAP MAX_RETRANSMIT (default 4)", ALL, 1, 0},
    {"format", "F", "json | csv | human (default: human on a terminal, else json)", RUN | CLI, 0, 0},
    {"no-header", NULL, "csv without its header line", RUN | CLI, 0, 0},
    {"connect", "[ADDR]:PORT", "server to talk to (default port 5683, 5684 for (D)TLS)", CLI, 0, 0},
    {"listen", "[ADDR]:PORT", "address to serve on (default [::]:5683 or 5684)", SRV, 0, 0},
    {"client-lib", "LIB", "client's library for a cross-library run", RUN, 0, 0},
    {"server-lib", "LIB", "server's library for a cross-library run", RUN, 0, 0},
    {"client-opt", "NAME[=VALUE]", "a stack option for the client only, e.g. psk-key=0a0b (repeatable)", RUN, 0, 0},
    {"server-opt", "NAME[=VALUE]", "a stack option for the server only, e.g. tls-cert=FILE (repeatable)", RUN, 0, 0},
    {"profile", "P", "link profile (default ideal; see netem/profiles/)", RUN, 0, 0},
    {"emulator", "E", "auto | netem | nfq | none (default auto)", RUN, 0, 0},
    {"delay", "MS", "one-way delay in each direction (overrides the profile)", RUN, 0, 0},
    {"jitter", "MS", "delay jitter (overrides the profile)", RUN, 0, 0},
    {"loss", "PCT", "random loss in each direction (overrides the profile)", RUN, 0, 0},
    {"rate", "KBIT", "rate in each direction, fractional allowed (overrides)", RUN, 0, 0},
    {"ipv4", NULL, "IPv4 testbed instead of IPv6", RUN, 0, 0},
    {"pcap", "FILE", "keep the capture of the link", RUN, 0, 0},
    {"valgrind", NULL, "count instructions with valgrind/callgrind (deterministic, slow)", RUN, 0, 0},
    {"interval", "SECONDS", "one exchange per interval, for battery_years (default 3600)", RUN, 0, 0},
    {"battery-mah", "MAH", "battery capacity for battery_years (default: profile's)", RUN, 0, 0},
    {"battery-v", "V", "battery voltage (default: profile's)", RUN, 0, 0},
    {"via", "TOPO", "direct | proxy: through a CoAP forward proxy in a third namespace (default direct)", RUN, 0, 0},
    {"backhaul", "P", "--via proxy: link profile of the proxy-server hop (default ideal)", RUN, 0, 0},
    {"proxy-dump", "FILE", "--via proxy: write every CoAP message the proxy handled, hex and decoded", RUN, 0, 0},
    {"proxy-tamper", NULL, "--via proxy: the proxy changes one byte of each request and response payload", RUN, 0, 0},
    {"clients", "N", "--via proxy: N devices through the proxy, sessions held until all are up (default 1)", RUN, 0, 0},
    {"proxy-scheme", "S", "send requests to a forward proxy (--connect) for this scheme (RFC 7252 5.7)", CLI, 0, 0},
    {"uri-host", "HOST", "with --proxy-scheme: the origin server's host (Uri-Host)", CLI, 0, 0},
    {"uri-port", "PORT", "with --proxy-scheme: the origin server's port (Uri-Port)", CLI, 0, 0},
    {"report-fd", "FD", "write the endpoint report there (used by run)", CLI | SRV, 0, 1},
    {"ctl-fd", "FD", "stop when readable (used by run)", SRV, 0, 1},
    {"sessions", "N", "serve N sessions then exit (used by run)", SRV, 0, 1},
    {NULL, NULL, NULL, 0, 0, 0},
};

static const sb_cli_opt *find_harness(const char *name)
{
    for (const sb_cli_opt *o = harness_opts; o->name; o++)
        if (strcmp(o->name, name) == 0) return o;
    return NULL;
}

static const sb_opt_def *find_family(const char *name)
{
    const sb_opt_def *defs[128];
    size_t n = sb_registry_opts(defs, 128);
    for (size_t i = 0; i < n; i++)
        if (strcmp(defs[i]->name, name) == 0) return defs[i];
    return NULL;
}

static const char *verb_name(int verb)
{
    return verb == RUN ? "run" : verb == CLI ? "client" : "server";
}

static int is_role_opt(const char *name)
{
    return strcmp(name, "client-opt") == 0 || strcmp(name, "server-opt") == 0;
}

/* --client-opt/--server-opt NAME[=VALUE]: one role's stack option, so a run can give the two
 * ends different keys or certificates (a mismatch must fail as a row, not hang). Repeats are
 * kept, newline-separated, in order. */
static int add_role_opt(sb_params *p, const char *opt, const char *val, char *err, size_t cap)
{
    char name[64];
    const char *eq = strchr(val, '=');
    size_t nl = eq ? (size_t)(eq - val) : strlen(val);
    snprintf(name, sizeof name, "%.*s", (int)(nl < sizeof name ? nl : sizeof name - 1), val);
    const sb_opt_def *f = nl < sizeof name && !strchr(val, '\n') ? find_family(name) : NULL;
    if (!f)
        return sb_fail(err, cap, SB_EINVAL, "--%s: '%s' is not a stack option (see secbench run --help)",
                       opt, name);
    if (f->arg && !eq) return sb_fail(err, cap, SB_EINVAL, "--%s: %s needs =%s", opt, name, f->arg);
    if (!f->arg && eq) return sb_fail(err, cap, SB_EINVAL, "--%s: %s takes no value", opt, name);
    const char *old = sb_params_get(p, opt);
    size_t len = (old ? strlen(old) + 1 : 0) + strlen(val) + 1;
    char *joined = malloc(len);
    if (!joined) return SB_ENOMEM;
    snprintf(joined, len, "%s%s%s", old ? old : "", old ? "\n" : "", val);
    int rc = sb_params_set(p, opt, joined) ? SB_ENOMEM : SB_OK;
    free(joined);
    return rc;
}

int sb_cli_parse(int verb, int argc, char **argv, int first, sb_params *p, char *err, size_t cap)
{
    for (int i = first; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--", 2) != 0 || !a[2])
            return sb_fail(err, cap, SB_EINVAL, "unexpected argument '%s'", a);
        char name[64];
        const char *eq = strchr(a + 2, '=');
        size_t nl = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
        if (nl >= sizeof name) return sb_fail(err, cap, SB_EINVAL, "unknown option '%s'", a);
        memcpy(name, a + 2, nl);
        name[nl] = '\0';
        const sb_cli_opt *h = find_harness(name);
        const sb_opt_def *f = h ? NULL : find_family(name);
        if (!h && !f)
            return sb_fail(err, cap, SB_EINVAL, "unknown option '--%s' (see secbench %s --help)",
                           name, verb_name(verb));
        if (h && !(h->scope & verb))
            return sb_fail(err, cap, SB_EINVAL, "option '--%s' does not apply to '%s'", name,
                           verb_name(verb));
        const char *arg = h ? h->arg : f->arg;
        const char *val = "";
        if (arg && eq) val = eq + 1;
        else if (arg && i + 1 < argc) val = argv[++i];
        else if (arg) return sb_fail(err, cap, SB_EINVAL, "option '--%s' needs %s", name, arg);
        else if (eq) return sb_fail(err, cap, SB_EINVAL, "option '--%s' takes no value", name);
        int rc = h && is_role_opt(name) ? add_role_opt(p, name, val, err, cap)
                                        : sb_params_set(p, name, val) ? SB_ENOMEM : SB_OK;
        if (rc) return rc;
    }
    return SB_OK;
}

static int get_u64(const sb_params *p, const char *name, uint64_t dflt, uint64_t max,
                   uint64_t *out, char *err, size_t cap)
{
    const char *v = sb_params_get(p, name);
    *out = dflt;
    if (v && sb_parse_u64(v, max, out))
        return sb_fail(err, cap, SB_EINVAL, "--%s: '%s' is not a whole number up to %llu", name,
                       v, (unsigned long long)max);
    return SB_OK;
}

/* "[ADDR]:PORT", "ADDR:PORT" (IPv4), ":PORT" or "[ADDR]" into addr/port/ipv4. */
static int parse_hostport(const char *s, char *addr, size_t acap, uint16_t *port, int *ipv4)
{
    const char *portp = NULL;
    if (s[0] == '[') {
        const char *e = strchr(s, ']');
        if (!e) return SB_EINVAL;
        snprintf(addr, acap, "%.*s", (int)(e - s - 1), s + 1);
        if (e[1] == ':') portp = e + 2;
        else if (e[1]) return SB_EINVAL;
        *ipv4 = 0;
    } else {
        const char *c = strrchr(s, ':');
        if (c && strchr(s, ':') != c) return SB_EINVAL; /* bare IPv6 needs brackets */
        snprintf(addr, acap, "%.*s", (int)(c ? (size_t)(c - s) : strlen(s)), s);
        if (c) portp = c + 1;
        *ipv4 = addr[0] != '\0';
    }
    if (portp) {
        uint64_t v;
        if (sb_parse_u64(portp, 65535, &v) || v == 0) return SB_EINVAL;
        *port = (uint16_t)v;
    }
    return SB_OK;
}

static int resolve_stack(const sb_params *p, int verb, sb_stack_desc *d, char *err, size_t cap)
{
    const char *id = sb_params_get(p, "stack");
    if (!id || !*id) return sb_fail(err, cap, SB_EINVAL, "--stack ID is required (see secbench list)");
    if (sb_registry_find(id, d))
        return sb_fail(err, cap, SB_EINVAL, "unknown stack '%s' (secbench list --all shows every id)", id);
    if (!d->available && !(verb == SB_VERB_SERVER && d->server_available))
        return sb_fail(err, cap, SB_EUNSUP, "stack '%s' is not available here: %s", id, d->reason);
    return d->family->check(d, p, err, cap);
}

int sb_cli_role_cfg(const sb_params *p, int verb, sb_role_cfg *c, char *err, size_t cap)
{
    memset(c, 0, sizeof *c);
    c->params = p;
    c->ctl_fd = c->ready_fd = -1;
    sb_workload_defaults(&c->wl);
    int rc = resolve_stack(p, verb, &c->desc, err, cap);
    if (rc) return rc;
    const char *sc = sb_params_get(p, "scenario");
    if (!sc || strcmp(sc, "cold") == 0) c->scenario = SB_SCEN_COLD;
    else if (strcmp(sc, "established") == 0) c->scenario = SB_SCEN_ESTABLISHED;
    else if (strcmp(sc, "resumed") == 0) c->scenario = SB_SCEN_RESUMED;
    else return sb_fail(err, cap, SB_EINVAL, "--scenario: '%s' is not cold, established or resumed", sc);
    uint64_t v;
    /* Each send is marked for the capture's classification, up to SB_REPORT_MAX_MARKS per
     * endpoint: 1000 requests leave room for retransmissions and handshakes */
    if ((rc = get_u64(p, "requests", 1, 1000, &v, err, cap))) return rc;
    if (v == 0) return sb_fail(err, cap, SB_EINVAL, "--requests must be at least 1");
    c->wl.requests = (unsigned)v;
    if ((rc = get_u64(p, "response-payload", 16, 1024, &v, err, cap))) return rc;
    c->wl.response_payload = v;
    const char *text = sb_params_get(p, "payload-text");
    if ((rc = get_u64(p, "request-payload", 0, 1024, &v, err, cap))) return rc;
    if (text && sb_params_get(p, "request-payload") && v != strlen(text))
        return sb_fail(err, cap, SB_EINVAL,
                       "--payload-text has %zu bytes but --request-payload says %llu",
                       strlen(text), (unsigned long long)v);
    if (text && strlen(text) > 1024)
        return sb_fail(err, cap, SB_EINVAL, "--payload-text longer than 1024 bytes");
    c->wl.post = text || sb_params_get(p, "request-payload");
    c->wl.request_payload = text ? strlen(text) : v;
    c->wl.payload_text = text;
    const char *path = sb_params_get(p, "path");
    if (path) snprintf(c->wl.path, sizeof c->wl.path, "%s", path);
    if ((rc = get_u64(p, "timeout", 30, 86400, &v, err, cap))) return rc;
    if (v == 0) return sb_fail(err, cap, SB_EINVAL, "--timeout must be at least 1 second");
    c->timeout_ns = (int64_t)v * SB_NS_PER_S;
    if ((rc = get_u64(p, "seed", 1, UINT64_MAX, &c->seed, err, cap))) return rc;
    c->wl.seed = c->seed;
    if ((rc = get_u64(p, "ack-timeout", 2000, 600000, &v, err, cap))) return rc;
    if (v == 0) return sb_fail(err, cap, SB_EINVAL, "--ack-timeout must be positive");
    c->wl.ack_timeout_ms = (unsigned)v;
    if ((rc = get_u64(p, "max-retransmit", 4, 20, &v, err, cap))) return rc;
    c->wl.max_retransmit = (unsigned)v;
    if ((rc = get_u64(p, "sessions", 0, 1000000, &v, err, cap))) return rc;
    c->sessions = (unsigned)v;
    if ((rc = get_u64(p, "ctl-fd", 0, 65535, &v, err, cap))) return rc;
    if (sb_params_get(p, "ctl-fd")) c->ctl_fd = (int)v;
    c->port = strstr(c->desc.protocol, "tls") ? 5684 : 5683; /* RFC 7252 §6.1/6.2, RFC 8323 */
    const char *hp = sb_params_get(p, verb == CLI ? "connect" : "listen");
    if (verb == CLI && !hp)
        return sb_fail(err, cap, SB_EINVAL, "--connect [ADDR]:PORT is required");
    if (hp && parse_hostport(hp, c->addr, sizeof c->addr, &c->port, &c->ipv4))
        return sb_fail(err, cap, SB_EINVAL,
                       "'%s' is not [IPv6]:PORT or IPv4:PORT (IPv6 literals in brackets)", hp);
    uint8_t bin[16]; /* literals only: names are never resolved (no traffic beyond the bed) */
    if (c->addr[0] && inet_pton(c->ipv4 ? AF_INET : AF_INET6, c->addr, bin) != 1)
        return sb_fail(err, cap, SB_EINVAL, "'%s' is not an %s address literal", c->addr,
                       c->ipv4 ? "IPv4" : "IPv6");
    if (verb == CLI && !c->addr[0])
        return sb_fail(err, cap, SB_EINVAL, "--connect needs an address");
    /* Through a forward proxy, in the form RFC 8613 §4.1.3.3 gives OSCORE (Proxy-Scheme +
     * Uri-Host + Uri-Port), for every stack alike. */
    c->wl.proxy_scheme = sb_params_get(p, "proxy-scheme");
    c->wl.uri_host = sb_params_get(p, "uri-host");
    if ((rc = get_u64(p, "uri-port", 0, 65535, &v, err, cap))) return rc;
    c->wl.uri_port = (uint16_t)v;
    if (c->wl.proxy_scheme && (!*c->wl.proxy_scheme || !c->wl.uri_host || !*c->wl.uri_host))
        return sb_fail(err, cap, SB_EINVAL, "--proxy-scheme needs a scheme and --uri-host");
    if (!c->wl.proxy_scheme && (c->wl.uri_host || c->wl.uri_port))
        return sb_fail(err, cap, SB_EINVAL, "--uri-host/--uri-port need --proxy-scheme");
    return SB_OK;
}

/* A standalone OSCORE client started twice under the same (default) context would start
 * from sequence number 0 again and reuse nonces (RFC 8613 §7.2.1). Without --seq-file (and
 * without run's per-run --run-id) it keeps the number in a state file per context. */
int sb_cli_default_seq_file(sb_params *p, const sb_stack_desc *d, char *err, size_t cap)
{
    int has = 0;
    for (const sb_opt_def *o = d->family->opts; o && o->name; o++) has |= !strcmp(o->name, "seq-file");
    if (!has || sb_params_get(p, "seq-file") || sb_params_get(p, "run-id")) return SB_OK;
    static const char *const ctx_opts[] = {"oscore-secret", "oscore-salt", "oscore-id-context",
                                           "oscore-client-id", "oscore-server-id"};
    char key[1024];
    int n = snprintf(key, sizeof key, "%s", d->id);
    for (size_t i = 0; i < sizeof ctx_opts / sizeof ctx_opts[0] && n > 0 && (size_t)n < sizeof key; i++) {
        const char *v = sb_params_get(p, ctx_opts[i]);
        n += snprintf(key + n, sizeof key - (size_t)n, "\n%s=%s", ctx_opts[i], v ? v : "");
    }
    const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
    char dir[512], path[600];
    if (xdg && *xdg) snprintf(dir, sizeof dir, "%s/secbench", xdg);
    else if (home && *home) snprintf(dir, sizeof dir, "%s/.local/state/secbench", home);
    else return sb_fail(err, cap, SB_EINVAL, "no HOME for the OSCORE sequence number: give --seq-file FILE");
    if (sb_mkdir_p(dir, 0700) != SB_OK)
        return sb_fail(err, cap, SB_EIO, "cannot create %s (%s): give --seq-file FILE", dir, strerror(errno));
    snprintf(path, sizeof path, "%s/oscore-seq-%016llx", dir,
             (unsigned long long)sb_fnv64((const uint8_t *)key, strlen(key)));
    fprintf(stderr, "secbench client: OSCORE Sender Sequence Number kept in %s (--seq-file to choose)\n", path);
    return sb_params_set(p, "seq-file", path) ? SB_ENOMEM : SB_OK;
}

int sb_cli_check_role_opts(const sb_params *p, const sb_stack_desc *cd, const sb_stack_desc *sd,
                           char *err, size_t cap)
{
    static const int verbs[2] = {SB_VERB_CLIENT, SB_VERB_SERVER};
    for (int r = 0; r < 2; r++) {
        if (!sb_params_get(p, r ? "server-opt" : "client-opt")) continue;
        /* exactly what that role will be given and will parse */
        char *argv[128], pool[8192];
        size_t argc = 0;
        if (sb_cli_role_args(p, verbs[r], argv, &argc, 128, pool, sizeof pool))
            return sb_fail(err, cap, SB_ESPACE, "too many options");
        sb_params *q = sb_params_new();
        if (!q) return SB_ENOMEM;
        const sb_stack_desc *d = r ? sd : cd;
        int rc = sb_cli_parse(verbs[r], (int)argc, argv, 0, q, err, cap);
        if (!rc) rc = d->family->check(d, q, err, cap);
        if (rc) snprintf(err + strlen(err), cap - strlen(err), " (--%s)", r ? "server-opt" : "client-opt");
        sb_params_free(q);
        if (rc) return rc;
    }
    return SB_OK;
}

int sb_cli_role_args(const sb_params *p, int verb, char **argv, size_t *argc, size_t cap,
                     char *pool, size_t pool_cap)
{
    size_t used = 0;
    const char *name, *val;
    for (size_t i = 0; sb_params_at(p, i, &name, &val); i++) {
        const sb_cli_opt *h = find_harness(name);
        if (h && !h->role) continue;
        const sb_opt_def *f = h ? NULL : find_family(name);
        int has_arg = h ? h->arg != NULL : f && f->arg != NULL;
        int n = snprintf(pool + used, pool_cap - used, has_arg ? "--%s=%s" : "--%s", name, val);
        if (n < 0 || (size_t)n >= pool_cap - used || *argc + 1 >= cap) return SB_ESPACE;
        argv[(*argc)++] = pool + used;
        used += (size_t)n + 1;
    }
    /* The role's own options come last: the role's parser keeps the last value given. */
    const char *own = verb == SB_VERB_SERVER   ? sb_params_get(p, "server-opt")
                      : verb == SB_VERB_CLIENT ? sb_params_get(p, "client-opt")
                                               : NULL;
    for (const char *o = own; o && *o;) {
        size_t len = strcspn(o, "\n");
        int n = snprintf(pool + used, pool_cap - used, "--%.*s", (int)len, o);
        if (n < 0 || (size_t)n >= pool_cap - used || *argc + 1 >= cap) return SB_ESPACE;
        argv[(*argc)++] = pool + used;
        used += (size_t)n + 1;
        o += len + (o[len] == '\n');
    }
    argv[*argc] = NULL;
    return SB_OK;
}

void sb_cli_help(int verb, FILE *f)
{
    static const char *const usage[] = {
        [RUN] = "usage: secbench run --stack ID [options]\n"
                "Runs one measurement: client and server in two network namespaces joined by an\n"
                "emulated link, captured; prints one row (exit 0 ok, 3 failed, 2 bad usage).\n",
        [CLI] = "usage: secbench client --stack ID --connect [ADDR]:PORT [options]\n"
                "Runs the workload once against any server and prints the row (bytes counted at\n"
                "the sockets: bytes_source=sockets).\n",
        [SRV] = "usage: secbench server --stack ID [--listen [ADDR]:PORT] [options]\n"
                "Serves the workload's resource until interrupted.\n",
    };
    fputs(usage[verb], f);
    fputs("\noptions:\n", f);
    for (const sb_cli_opt *o = harness_opts; o->name; o++)
        if ((o->scope & verb) && !o->hidden)
            fprintf(f, "  --%s%s%-*s %s\n", o->name, o->arg ? " " : "", o->arg ? 20 - (int)strlen(o->name) : 21 - (int)strlen(o->name), o->arg ? o->arg : "", o->help);
    const sb_opt_def *defs[128];
    size_t n = sb_registry_opts(defs, 128);
    if (n) fputs("\nstack options:\n", f);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "  --%s%s%-*s %s\n", defs[i]->name, defs[i]->arg ? " " : "",
                defs[i]->arg ? 20 - (int)strlen(defs[i]->name) : 21 - (int)strlen(defs[i]->name),
                defs[i]->arg ? defs[i]->arg : "", defs[i]->help);
}
