#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../netem/emu.h"
#include "../netem/lowpan.h"
#include "../netem/profile.h"
#include "../netem/testbed.h"
#include "capture.h"
#include "cli.h"
#include "energy.h"
#include "env.h"
#include "output.h"
#include "params.h"
#include "role.h"
#include "row.h"
#include "util.h"

typedef struct run {
    sb_params *p;
    sb_role_cfg cfg; /* the client's view: workload, scenario, timeout */
    sb_stack_desc cdesc, sdesc;
    sb_profile prof;
    const char *emu_kind;
    int ipv4, valgrind;
    sb_testbed *tb;
    sb_emu *emu;
    sb_capture *cap;
    sb_report crep, srep;
    int have_crep, have_srep;
    char err[512];
    char cg_out[3][128]; /* callgrind output files (client, server, proxy) */
    /* --via proxy */
    int via_proxy, tamper;
    unsigned clients;
    sb_profile backhaul;
    sb_stack_desc hop;
    char dump_path[256];
    int dump_fd; /* memfd behind dump_path when the user asked for no dump file, else -1 */
    sb_emu *emu2;
    sb_capture *cap2;
    sb_report prep[2]; /* the proxy's device side and upstream side */
    int have_prep;
    char pextra[2048]; /* the proxy's report text, for its proxy_* lines */
} run;

static int get_double(const sb_params *p, const char *name, double min, double max, double *out,
                      char *err, size_t cap)
{
    const char *v = sb_params_get(p, name);
    *out = -1;
    if (v && sb_parse_double(v, min, max, out))
        return sb_fail(err, cap, SB_EINVAL, "--%s: '%s' is not a number in %g..%g", name, v, min, max);
    return SB_OK;
}

/* --via proxy: the gateway topology's options (usage errors too). */
static int setup_via(run *r, char *err, size_t cap)
{
    const char *via = sb_params_get(r->p, "via");
    static const char *const only[] = {"backhaul", "proxy-dump", "proxy-tamper", "clients"};
    if (via && strcmp(via, "direct") && strcmp(via, "proxy"))
        return sb_fail(err, cap, SB_EINVAL, "--via: '%s' is not direct or proxy", via);
    r->via_proxy = via && !strcmp(via, "proxy");
    for (size_t i = 0; !r->via_proxy && i < sizeof only / sizeof only[0]; i++)
        if (sb_params_get(r->p, only[i]))
            return sb_fail(err, cap, SB_EINVAL, "--%s needs --via proxy", only[i]);
    if (!r->via_proxy) return SB_OK;
    const char *hid = r->cfg.desc.hop_stack[0] ? r->cfg.desc.hop_stack : r->cfg.desc.id;
    if (sb_registry_find(hid, &r->hop) || !r->hop.available)
        return sb_fail(err, cap, SB_EUNSUP, "%s: its hop stack '%s' is not available", r->cfg.desc.id, hid);
    const char *bh = sb_params_get(r->p, "backhaul");
    int rc = sb_profile_load(bh ? bh : "ideal", &r->backhaul, err, cap);
    if (rc) return rc;
    uint64_t n = 1;
    const char *cl = sb_params_get(r->p, "clients");
    if (cl && (sb_parse_u64(cl, 10000, &n) || n == 0))
        return sb_fail(err, cap, SB_EINVAL, "--clients: '%s' is not a whole number in 1..10000", cl);
    r->clients = (unsigned)n;
    if (r->clients > 1 && r->cfg.scenario != SB_SCEN_COLD)
        return sb_fail(err, cap, SB_EUNSUP, "--clients > 1 runs the cold scenario only");
    if (r->clients > 1 && r->valgrind) /* the fleet driver and the server's many sessions */
        return sb_fail(err, cap, SB_EUNSUP, "--valgrind counts one device: use --clients 1");
    r->tamper = sb_params_flag(r->p, "proxy-tamper");
    /* A fleet measures the proxy's cost per device; tampering shows what one exchange lets it
     * do, and rejected requests end the devices' sessions early (costs would be understated). */
    if (r->clients > 1 && r->tamper)
        return sb_fail(err, cap, SB_EUNSUP, "--proxy-tamper shows one device: use --clients 1");
    const char *d = sb_params_get(r->p, "proxy-dump");
    if (d && !*d) return sb_fail(err, cap, SB_EINVAL, "--proxy-dump needs a file name");
    r->dump_fd = -1;
    if (d) {
        snprintf(r->dump_path, sizeof r->dump_path, "%s", d);
        return SB_OK;
    }
    /* No file asked for: an anonymous memory file the proxy inherits, so nothing can be left
     * behind; the same /proc/self/fd path names it in both processes. */
    r->dump_fd = memfd_create("secbench-proxy-dump", 0) /* inherited: testbed closes it elsewhere */;
    if (r->dump_fd < 0) return sb_fail(err, cap, SB_EIO, "memfd_create: %s", strerror(errno));
    snprintf(r->dump_path, sizeof r->dump_path, "/proc/self/fd/%d", r->dump_fd);
    return SB_OK;
}

/* Usage checks and the profile: everything that makes a run a usage error (exit 2). */
static int setup(run *r, char *err, size_t cap)
{
    int rc = sb_cli_role_cfg(r->p, SB_VERB_RUN, &r->cfg, err, cap);
    if (rc) return rc;
    r->cdesc = r->sdesc = r->cfg.desc;
    const char *cl = sb_params_get(r->p, "client-lib"), *sl = sb_params_get(r->p, "server-lib");
    if ((cl && sb_registry_with_lib(&r->cfg.desc, cl, &r->cdesc)) ||
        (sl && sb_registry_with_lib(&r->cfg.desc, sl, &r->sdesc)))
        return sb_fail(err, cap, SB_EINVAL, "no '%s' variant of %s", cl && sb_registry_with_lib(&r->cfg.desc, cl, &r->cdesc) ? cl : sl, r->cfg.desc.id);
    /* A library whose own client cannot offer a mode may still serve it to another library's
     * client (OpenSSL's TLS 1.3 psk_ke server, wolfSSL client). */
    if (!r->cdesc.available || !(r->sdesc.available || (sl && r->sdesc.server_available)))
        return sb_fail(err, cap, SB_EUNSUP, "%s: %s", !r->cdesc.available ? r->cdesc.id : r->sdesc.id,
                       !r->cdesc.available ? r->cdesc.reason : r->sdesc.reason);
    if ((rc = sb_cli_check_role_opts(r->p, &r->cdesc, &r->sdesc, err, cap))) return rc;
    const char *prof = sb_params_get(r->p, "profile");
    if ((rc = sb_profile_load(prof ? prof : "ideal", &r->prof, err, cap))) return rc;
    double d, j, l, rt;
    if ((rc = get_double(r->p, "delay", 0, 600000, &d, err, cap)) ||
        (rc = get_double(r->p, "jitter", 0, 600000, &j, err, cap)) ||
        (rc = get_double(r->p, "loss", 0, 100, &l, err, cap)) ||
        (rc = get_double(r->p, "rate", 0.001, 10000000, &rt, err, cap)))
        return rc;
    sb_profile_override(&r->prof, d, j, l, rt);
    r->emu_kind = sb_params_get(r->p, "emulator") ? sb_params_get(r->p, "emulator") : "auto";
    if (strcmp(r->emu_kind, "auto") && strcmp(r->emu_kind, "netem") && strcmp(r->emu_kind, "nfq") &&
        strcmp(r->emu_kind, "none"))
        return sb_fail(err, cap, SB_EINVAL, "--emulator: '%s' is not auto, netem, nfq or none", r->emu_kind);
    r->ipv4 = sb_params_flag(r->p, "ipv4");
    r->valgrind = sb_params_flag(r->p, "valgrind");
    const char *fmt = sb_params_get(r->p, "format");
    if (fmt && strcmp(fmt, "json") && strcmp(fmt, "csv") && strcmp(fmt, "human"))
        return sb_fail(err, cap, SB_EINVAL, "--format: '%s' is not json, csv or human", fmt);
    if ((rc = setup_via(r, err, cap))) return rc;
    /* A row's delay_ms, loss_pct and rate_kbit are the link it ran on: none applies nothing */
    if (!strcmp(r->emu_kind, "none") &&
        (sb_profile_emulates(&r->prof) || (r->via_proxy && sb_profile_emulates(&r->backhaul))))
        return sb_fail(err, cap, SB_EINVAL, "--emulator none applies no delay, jitter, loss or rate: "
                       "use the ideal profile, or --emulator auto/nfq");
    return SB_OK;
}

/* A per-run ID Context for OSCORE-based stacks: both ends derive fresh keys, so no nonce is
 * ever reused across runs (RFC 8613 §12.2); it is agreed here, out of band, not sent. */
static void set_run_id(run *r)
{
    const sb_opt_def *defs[128];
    size_t n = sb_registry_opts(defs, 128);
    for (size_t i = 0; i < n; i++)
        if (strcmp(defs[i]->name, "run-id") == 0 && !sb_params_get(r->p, "run-id")) {
            uint8_t id[8];
            int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
            ssize_t got = fd >= 0 ? read(fd, id, sizeof id) : -1;
            if (fd >= 0) close(fd);
            if (got != (ssize_t)sizeof id) {
                uint64_t t = (uint64_t)sb_now_ns() ^ (uint64_t)getpid() << 32;
                memcpy(id, &t, sizeof id);
            }
            char hex[17];
            sb_hex_encode(id, sizeof id, hex);
            sb_params_set(r->p, "run-id", hex);
        }
}

/* The driver's own binary, through /proc so that a rebuild during the run (the file
 * replaced on disk) does not change what the roles run. */
static void self_exe(char *out, size_t cap)
{
    snprintf(out, cap, "/proc/%d/exe", (int)getpid());
}

/* Start `secbench VERB` (client, server, or vname: proxy) in a testbed host, reporting on
 * report_w, with a session count and extra arguments. */
static pid_t spawn_verb(run *r, int host, int verb, const char *vname, const sb_stack_desc *d,
                        const char *hostport, int report_w, int ctl_r, unsigned sessions,
                        char *const *extra)
{
    char exe[4096], pool[8192], a_stack[96], a_addr[96], a_rep[32], a_ctl[32], a_sess[32];
    self_exe(exe, sizeof exe);
    char *argv[128];
    size_t argc = 0;
    if (r->valgrind) {
        static char tool[] = "--tool=callgrind", at[] = "--collect-atstart=no", q[] = "-q";
        static const char *const who[3] = {"client", "server", "proxy"};
        int k = verb == SB_VERB_CLIENT ? 0 : vname ? 2 : 1; /* the fleet driver is the client */
        snprintf(r->cg_out[k], sizeof r->cg_out[0], "/tmp/secbench-callgrind-%d-%s.out",
                 (int)getpid(), who[k]);
        static char outarg[3][160];
        snprintf(outarg[k], sizeof outarg[0], "--callgrind-out-file=%s", r->cg_out[k]);
        argv[argc++] = "valgrind";
        argv[argc++] = tool;
        argv[argc++] = at;
        argv[argc++] = q;
        argv[argc++] = outarg[k];
    }
    argv[argc++] = exe;
    argv[argc++] = vname ? (char *)vname : verb == SB_VERB_SERVER ? "server" : "client";
    snprintf(a_stack, sizeof a_stack, "--stack=%s", d->id);
    snprintf(a_addr, sizeof a_addr, "--%s=%s", verb == SB_VERB_SERVER ? "listen" : "connect", hostport);
    snprintf(a_rep, sizeof a_rep, "--report-fd=%d", report_w);
    argv[argc++] = a_stack;
    argv[argc++] = a_addr;
    argv[argc++] = a_rep;
    if (verb == SB_VERB_SERVER) {
        snprintf(a_ctl, sizeof a_ctl, "--ctl-fd=%d", ctl_r);
        snprintf(a_sess, sizeof a_sess, "--sessions=%u", sessions);
        argv[argc++] = a_ctl;
        argv[argc++] = a_sess;
    }
    for (size_t i = 0; extra && extra[i] && argc < 100; i++) argv[argc++] = extra[i];
    /* --server-opt is for the origin server; the proxy in between gets neither role's. */
    int own_opts = vname && verb == SB_VERB_SERVER ? 0 : verb;
    if (sb_cli_role_args(r->p, own_opts, argv, &argc, 120, pool, sizeof pool)) return SB_ESPACE;
    int keep[] = {report_w, ctl_r, vname ? r->dump_fd : -1, -1};
    return sb_testbed_spawn(r->tb, host, argv, keep);
}

/* Read from fd until EOF or deadline into buf (NUL-terminated). Returns bytes read. */
static size_t read_until_eof(int fd, char *buf, size_t cap, int64_t deadline, const char *stop_at)
{
    size_t n = 0;
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int rc = poll(&p, 1, sb_ms_left(deadline));
        if (rc < 0 && errno == EINTR) continue;
        if (rc <= 0) break;
        ssize_t got = read(fd, buf + n, cap - 1 - n);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) break;
        n += (size_t)got;
        buf[n] = '\0';
        if (stop_at && strstr(buf, stop_at)) break;
        if (n == cap - 1) break;
    }
    buf[n] = '\0';
    return n;
}

static int parse_report(const char *text, sb_report *rep)
{
    FILE *f = fmemopen((void *)text, strlen(text), "r");
    if (!f) return SB_ENOMEM;
    int rc = sb_report_read(rep, f);
    fclose(f);
    return rc;
}

static int64_t callgrind_total(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return SB_NA;
    char line[256];
    int64_t v = SB_NA;
    while (fgets(line, sizeof line, f)) {
        long long x;
        if (sscanf(line, "totals: %lld", &x) == 1 || sscanf(line, "summary: %lld", &x) == 1)
            v = x;
    }
    fclose(f);
    unlink(path);
    return v;
}

/* One process of the run (server, proxy or client) and the pipes it reports and stops on. */
typedef struct proc {
    pid_t pid;
    int rep; /* read end of its report pipe */
    int ctl; /* write end of its stop pipe (readable end closed = stop), -1 for the client */
    char buf[1 << 20]; /* what it reported */
    size_t n;
} proc;

/* Start it in `host`; a server-like verb is waited for until it says "ready". */
static int proc_start(run *r, proc *p, int host, int verb, const char *vname,
                      const sb_stack_desc *d, const char *hostport, unsigned sessions,
                      char *const *extra, int64_t deadline)
{
    int rep[2], ctl[2] = {-1, -1};
    p->pid = -1;
    p->rep = p->ctl = -1;
    p->n = 0;
    p->buf[0] = '\0';
    if (pipe2(rep, O_CLOEXEC) || (verb == SB_VERB_SERVER && pipe2(ctl, O_CLOEXEC)))
        return sb_fail(r->err, sizeof r->err, SB_EIO, "pipe: %s", strerror(errno));
    fcntl(rep[1], F_SETFD, 0); /* the child's ends survive its exec */
    if (ctl[0] >= 0) fcntl(ctl[0], F_SETFD, 0);
    p->pid = spawn_verb(r, host, verb, vname, d, hostport, rep[1], ctl[0], sessions, extra);
    close(rep[1]);
    if (ctl[0] >= 0) close(ctl[0]);
    p->rep = rep[0];
    p->ctl = ctl[1];
    if (verb != SB_VERB_SERVER) return p->pid > 0 ? SB_OK : SB_EIO;
    if (p->pid > 0) p->n = read_until_eof(p->rep, p->buf, sizeof p->buf, deadline, "ready\n");
    if (strstr(p->buf, "ready\n")) return SB_OK;
    sb_report tmp;
    int have = p->pid > 0 && parse_report(p->buf, &tmp) == SB_OK;
    return sb_fail(r->err, sizeof r->err, SB_EIO, "%s did not start: %s",
                   vname ? vname : "server", have && tmp.error[0] ? tmp.error : "no report");
}

/* Stop it (server-like: close its stop pipe), read its report up to `stop_at` (NULL: to EOF),
 * and reap it; one that has not reported in time is killed. Returns 1 if it reported. */
static int proc_finish(run *r, proc *p, int64_t deadline, const char *stop_at)
{
    if (p->ctl >= 0) close(p->ctl);
    if (p->rep >= 0)
        p->n += read_until_eof(p->rep, p->buf + p->n, sizeof p->buf - p->n, deadline, stop_at);
    int done = strstr(p->buf, "\nend\n") != NULL;
    if (p->rep >= 0) close(p->rep);
    p->rep = p->ctl = -1;
    if (p->pid > 0) {
        kill(p->pid, done ? SIGTERM : SIGKILL);
        sb_testbed_wait(r->tb, p->pid);
    }
    p->pid = -1;
    return done;
}

/* The bed and link 0 (device side) with its emulator and capture, for both topologies. */
static int start_bed(run *r, int hosts, const char *pcap)
{
    sb_testbed_cfg tc = {.hosts = hosts, .ipv4 = r->ipv4};
    int rc = sb_testbed_create(&r->tb, &tc, r->err, sizeof r->err);
    if (!rc)
        rc = sb_emu_start(&r->emu, r->emu_kind, r->tb, 0, &r->prof, r->cfg.seed, r->err,
                          sizeof r->err);
    if (!rc)
        rc = sb_capture_start(&r->cap, r->tb, 0, sb_testbed_ifname(r->tb, 0, 0),
                              sb_testbed_addr(r->tb, 0, 0), NULL, pcap, r->err, sizeof r->err);
    return rc;
}

/* Stop a capture once packets still in flight on its link have arrived (the teardown of a
 * finished exchange). After a failed client there is nothing to wait for: the row is a
 * failure, and the run must end within its timeout. */
static int stop_capture(run *r, sb_capture *c, const sb_profile *p)
{
    double owd = fmax(p->up.delay_ms + p->up.jitter_ms, p->down.delay_ms + p->down.jitter_ms);
    int failed = !r->have_crep || !r->crep.ok;
    if (sb_capture_stop(c, failed ? 60 : (int)fmin(3000, 2 * owd + 60)) != SB_OK) /* lost frames */
        return sb_fail(r->err, sizeof r->err, SB_EIO, "capture incomplete: %s",
                       sb_capture_error(c));
    return SB_OK;
}

static int client_outcome(run *r, const proc *client)
{
    r->have_crep = parse_report(client->buf, &r->crep) == SB_OK;
    if (r->have_crep) return SB_OK;
    return sb_fail(r->err, sizeof r->err, SB_ETIMEOUT,
                   "client did not finish within the timeout (%llds)",
                   (long long)(r->cfg.timeout_ns / SB_NS_PER_S));
}

static proc g_procs[3]; /* server, proxy, client: large report buffers, one run per process */

/* --valgrind: each process's deterministic count, from callgrind's own file. The proxy's
 * count covers its device side's measured section (where it toggles collection). */
static void collect_instructions(run *r)
{
    if (!r->valgrind) return;
    int64_t c = callgrind_total(r->cg_out[0]), sv = callgrind_total(r->cg_out[1]);
    int64_t px = r->via_proxy ? callgrind_total(r->cg_out[2]) : SB_NA;
    if (r->have_crep) r->crep.instructions = c;
    if (r->have_srep) r->srep.instructions = sv;
    if (r->have_prep) r->prep[0].instructions = px;
}

/* The measurement itself: testbed, emulator, capture, server, client. */
static int measure(run *r, const char *pcap)
{
    proc *srv = &g_procs[0], *cli = &g_procs[2];
    int rc = start_bed(r, 2, pcap);
    if (rc) return rc;
    char hp[96];
    snprintf(hp, sizeof hp, r->ipv4 ? "%s:%u" : "[%s]:%u", sb_testbed_addr(r->tb, 0, 1),
             r->cfg.port);
    unsigned sessions = r->cfg.scenario == SB_SCEN_RESUMED ? 2 : 1;
    int64_t deadline = sb_now_ns() + r->cfg.timeout_ns + (r->valgrind ? 60 : 5) * SB_NS_PER_S;
    if ((rc = proc_start(r, srv, 1, SB_VERB_SERVER, NULL, &r->sdesc, hp, sessions, NULL,
                         deadline)))
        return rc;
    rc = proc_start(r, cli, 0, SB_VERB_CLIENT, NULL, &r->cdesc, hp, 0, NULL, deadline);
    proc_finish(r, cli, deadline, "\nend\n");
    /* the server's session ends now (UDP has no close of its own) */
    proc_finish(r, srv, sb_now_ns() + 5 * SB_NS_PER_S, "\nend\n");
    r->have_srep = parse_report(srv->buf, &r->srep) == SB_OK;
    int crc = client_outcome(r, cli);
    if (!rc) rc = stop_capture(r, r->cap, &r->prof);
    collect_instructions(r);
    return rc ? rc : crc;
}

/* The gateway topology: client (host 0) -- device hop (link 0) -- proxy (host 1) -- backhaul
 * (link 1) -- server (host 2). The client addresses the proxy and names the server in
 * Proxy-Scheme + Uri-Host + Uri-Port; the proxy may forward to that server only. */
static int measure_proxy(run *r, const char *pcap)
{
    proc *srv = &g_procs[0], *px = &g_procs[1], *cli = &g_procs[2];
    int rc = start_bed(r, 3, pcap);
    if (rc) return rc;
    char bh_pcap[4096]; /* --pcap FILE: the backhaul's capture goes to FILE.backhaul.pcap */
    snprintf(bh_pcap, sizeof bh_pcap, "%s.backhaul.pcap", pcap ? pcap : "");
    const char *pdown = sb_testbed_addr(r->tb, 0, 1);
    const char *pup = sb_testbed_addr(r->tb, 1, 1), *saddr = sb_testbed_addr(r->tb, 1, 2);
    if ((rc = sb_emu_start(&r->emu2, r->emu_kind, r->tb, 1, &r->backhaul,
                           r->cfg.seed ^ 0xbacc4a11ULL, r->err, sizeof r->err)) ||
        (rc = sb_capture_start(&r->cap2, r->tb, 1, sb_testbed_ifname(r->tb, 1, 1), pup, NULL,
                               pcap ? bh_pcap : NULL, r->err, sizeof r->err)))
        return rc;
    const char *fmt = r->ipv4 ? "%s:%u" : "[%s]:%u";
    char shp[96], php[96], a_up[128], a_dump[300], a_hold[32], a_fleet[32], a_scheme[48],
        a_host[96], a_port[32];
    snprintf(shp, sizeof shp, fmt, saddr, r->cfg.port);
    snprintf(php, sizeof php, fmt, pdown, r->cfg.port);
    snprintf(a_up, sizeof a_up, "--upstream=%s", shp);
    snprintf(a_dump, sizeof a_dump, "--proxy-dump=%s", r->dump_path);
    snprintf(a_hold, sizeof a_hold, "--hold=%u", r->clients);
    snprintf(a_fleet, sizeof a_fleet, "--fleet=%u", r->clients);
    /* the scheme the device uses towards the proxy (RFC 7252 §6, RFC 8323 §8) */
    int secure = strstr(r->hop.protocol, "tls") != NULL;
    snprintf(a_scheme, sizeof a_scheme, "--proxy-scheme=%s%s", secure ? "coaps" : "coap",
             r->cdesc.transport == SB_TRANSPORT_TCP ? "+tcp" : "");
    snprintf(a_host, sizeof a_host, "--uri-host=%s", saddr);
    snprintf(a_port, sizeof a_port, "--uri-port=%u", r->cfg.port);
    int64_t deadline = sb_now_ns() + r->cfg.timeout_ns + (r->valgrind ? 60 : 5) * SB_NS_PER_S;
    unsigned sessions = r->cfg.scenario == SB_SCEN_RESUMED ? 2 : 1;
    char *pextra[] = {a_up, r->tamper ? "--proxy-tamper" : a_dump, r->tamper ? a_dump : NULL,
                      NULL, NULL};
    if (r->clients > 1) pextra[r->tamper ? 3 : 2] = a_hold;
    unsigned psess = r->clients > 1 ? r->clients : sessions;
    char *cextra[] = {a_scheme, a_host, a_port, r->clients > 1 ? a_fleet : NULL, NULL};
    if ((rc = proc_start(r, srv, 2, SB_VERB_SERVER, NULL, &r->sdesc, shp, sessions, NULL,
                         deadline)) ||
        (rc = proc_start(r, px, 1, SB_VERB_SERVER, "proxy", &r->cfg.desc, php, psess, pextra,
                         deadline))) {
        proc_finish(r, px, sb_now_ns(), NULL);
        proc_finish(r, srv, sb_now_ns(), NULL);
        return rc;
    }
    rc = proc_start(r, cli, 0, SB_VERB_CLIENT, r->clients > 1 ? "proxy" : NULL, &r->cdesc, php,
                    0, cextra, deadline);
    proc_finish(r, cli, deadline, "\nend\n");
    /* The proxy first (its upstream session closes with its last device session), then the
     * server. The proxy reports twice: its device side, then its upstream side. */
    proc_finish(r, px, sb_now_ns() + 5 * SB_NS_PER_S, NULL);
    char *second = strstr(px->buf, "\nend\n");
    r->have_prep = second && parse_report(px->buf, &r->prep[0]) == SB_OK &&
                   parse_report(second + 5, &r->prep[1]) == SB_OK;
    snprintf(r->pextra, sizeof r->pextra, "%.*s", second ? (int)(second - px->buf) : 0, px->buf);
    proc_finish(r, srv, sb_now_ns() + 5 * SB_NS_PER_S, "\nend\n");
    r->have_srep = parse_report(srv->buf, &r->srep) == SB_OK;
    int crc = client_outcome(r, cli);
    if (!rc) rc = stop_capture(r, r->cap, &r->prof);
    if (!rc) rc = stop_capture(r, r->cap2, &r->backhaul);
    collect_instructions(r);
    return rc ? rc : crc;
}

static void code_str(int code, char *out, size_t cap)
{
    if (code < 0) snprintf(out, cap, "none");
    else snprintf(out, cap, "%d.%02d", code >> 5, code & 31);
}

static void set_ms(sb_row *row, const char *k, int64_t ns)
{
    sb_row_set_double(row, k, ns == SB_NA ? NAN : (double)ns / 1e6, 3);
}

/* peer: the report of the client's peer on the captured link (the server, or the proxy's
 * device side with --via proxy), NULL when missing. */
static void fill_traffic(run *r, sb_row *row, const sb_report *peer)
{
    const sb_pkt *pk;
    size_t n = sb_capture_packets(r->cap, &pk);
    sb_endpoint_marks cm = {r->crep.marks, r->crep.nmarks, r->crep.local_port};
    sb_endpoint_marks sm = {peer ? peer->marks : NULL, peer ? peer->nmarks : 0, r->crep.local_port};
    sb_traffic t;
    if (sb_traffic_analyze(pk, n, &cm, &sm, &t)) return;
    sb_row_set_int(row, "c2s_bytes", (int64_t)t.bytes[0]);
    sb_row_set_int(row, "s2c_bytes", (int64_t)t.bytes[1]);
    sb_row_set_int(row, "c2s_packets", (int64_t)t.packets[0]);
    sb_row_set_int(row, "s2c_packets", (int64_t)t.packets[1]);
    sb_row_set_int(row, "c2s_payload_bytes", (int64_t)t.payload[0]);
    sb_row_set_int(row, "s2c_payload_bytes", (int64_t)t.payload[1]);
    sb_row_set_int(row, "handshake_bytes", (int64_t)t.phase_bytes[SB_PHASE_HANDSHAKE]);
    sb_row_set_int(row, "app_bytes", (int64_t)t.phase_bytes[SB_PHASE_APP]);
    sb_row_set_int(row, "teardown_bytes", (int64_t)t.phase_bytes[SB_PHASE_TEARDOWN]);
    sb_row_set_int(row, "handshake_payload_bytes", (int64_t)t.phase_payload[SB_PHASE_HANDSHAKE]);
    sb_row_set_int(row, "app_payload_bytes", (int64_t)t.phase_payload[SB_PHASE_APP]);
    sb_row_set_int(row, "teardown_payload_bytes", (int64_t)t.phase_payload[SB_PHASE_TEARDOWN]);
    sb_row_set_int(row, "unclassified_bytes", (int64_t)t.unclassified_bytes);
    sb_row_set_int(row, "round_trips", t.round_trips);
    char buf[4096];
    size_t used = (size_t)snprintf(buf, sizeof buf, "[");
    for (size_t i = 0; i < t.nflights && used < sizeof buf - 80; i++)
        used += (size_t)snprintf(buf + used, sizeof buf - used,
                                 "%s{\"dir\":\"%s\",\"bytes\":%u,\"packets\":%u}", i ? "," : "",
                                 t.flights[i].dir ? "s2c" : "c2s", t.flights[i].bytes,
                                 t.flights[i].packets);
    snprintf(buf + used, sizeof buf - used, "]");
    sb_row_set_json(row, "flights", buf);
    /* Per-layer breakdown of the first request and response: IP and transport headers from
     * the capture, CoAP and payload from what the endpoints built, record overhead from the
     * stack; security is what remains of the transport payload. */
    const sb_first_msg *m[2] = {&t.request, &t.response};
    size_t coap[2] = {r->crep.req_coap, r->srep.resp_coap};
    size_t pay[2] = {r->crep.req_payload, r->srep.resp_payload};
    if (t.request.found && t.response.found && coap[0] && coap[1]) {
        used = (size_t)snprintf(buf, sizeof buf, "{");
        for (int i = 0; i < 2; i++) {
            long rec = (long)r->cdesc.record_overhead;
            long sec = (long)m[i]->payload - (long)coap[i] - (long)pay[i] - rec;
            used += (size_t)snprintf(buf + used, sizeof buf - used,
                                     "%s\"%s\":{\"ip\":%u,\"transport\":%u,\"record\":%ld,"
                                     "\"coap\":%zu,\"security\":%ld,\"payload\":%zu}",
                                     i ? "," : "", i ? "response" : "request", m[i]->ip_hdr,
                                     m[i]->l4_hdr, rec, coap[i], sec, pay[i]);
        }
        snprintf(buf + used, sizeof buf - used, "}");
        sb_row_set_json(row, "layers", buf);
    }
    if (r->prof.lowpan) { /* IEEE 802.15.4 over-the-air bytes each datagram would need */
        int64_t bytes = 0, frames = 0;
        for (size_t i = 0; i < n; i++) {
            if (cm.port && (pk[i].dir ? pk[i].dport : pk[i].sport) != cm.port) continue;
            sb_lowpan_ota o;
            if (sb_lowpan_size(pk[i].ip_len, pk[i].proto, pk[i].sport, pk[i].dport, &o) == SB_OK) {
                bytes += (int64_t)o.air_bytes;
                frames += o.frames;
            }
        }
        sb_row_set_int(row, "ota_bytes", bytes);
        sb_row_set_int(row, "ota_frames", frames);
    }
}

void sb_row_fill_endpoint(sb_row *row, const sb_role_cfg *cfg, const sb_report *c)
{
    char buf[512];
    const sb_stack_desc *d = &cfg->desc;
    sb_row_set_str(row, "stack", d->id);
    sb_row_set_str(row, "protocol", d->protocol);
    sb_row_set_str(row, "library", d->library);
    sb_row_set_str(row, "client_library", d->library);
    sb_row_set_str(row, "auth", d->auth);
    sb_row_set_str(row, "cipher", d->cipher);
    static const char *const scen[] = {"cold", "established", "resumed"};
    sb_row_set_str(row, "scenario", scen[cfg->scenario]);
    sb_row_set_int(row, "requests", cfg->wl.requests);
    sb_row_set_int(row, "request_payload", cfg->wl.post ? (int64_t)cfg->wl.request_payload : 0);
    sb_row_set_int(row, "response_payload", (int64_t)cfg->wl.response_payload);
    sb_row_set_str(row, "via", "direct");
    sb_row_set_int(row, "seed", (int64_t)cfg->seed);
    sb_env_lib_versions(buf, sizeof buf);
    sb_row_set_str(row, "lib_version", buf);
    sb_env_kernel(buf, sizeof buf);
    sb_row_set_str(row, "kernel", buf);
    sb_env_commit(buf, sizeof buf);
    sb_row_set_str(row, "commit", buf);
    sb_env_timestamp(buf, sizeof buf);
    sb_row_set_str(row, "timestamp", buf);
    sb_row_set_bool(row, "ok", c && c->ok);
    if (!c) return;
    if (!c->ok) sb_row_set_str(row, "error", c->error[0] ? c->error : "unknown failure");
    code_str(c->final_code, buf, sizeof buf);
    sb_row_set_str(row, "final_code", c->final_code < 0 ? NULL : buf);
    if (c->resumed >= 0) sb_row_set_bool(row, "resumed", c->resumed);
    set_ms(row, "time_ms", c->time_ns);
    set_ms(row, "handshake_ms", c->handshake_ns);
    sb_row_set_int(row, "retransmissions", (int64_t)c->retransmissions);
    sb_row_set_int(row, "client_cycles", c->cycles);
    sb_row_set_int(row, "client_instructions", c->instructions);
    sb_row_set_int(row, "client_cpu_ns", c->cpu_ns);
    sb_row_set_int(row, "client_heap_peak", c->heap_peak);
    sb_row_set_int(row, "client_heap_session", c->heap_session);
    sb_row_set_str(row, "cycles_source", c->cycles_source);
    sb_row_set_str(row, "heap_source", c->heap_peak == SB_NA ? "unavailable: heap interposition "
                   "compiled out (sanitizer build)" : "malloc interposition (usable size), "
                   "counted from after library initialisation");
    if (c->edhoc_msg[0] != SB_NA) { /* a failed handshake may know only the first sizes */
        size_t n = (size_t)snprintf(buf, sizeof buf, "[");
        for (int i = 0; i < 3; i++)
            n += (size_t)(c->edhoc_msg[i] == SB_NA
                              ? snprintf(buf + n, sizeof buf - n, "%snull", i ? "," : "")
                              : snprintf(buf + n, sizeof buf - n, "%s%lld", i ? "," : "",
                                         (long long)c->edhoc_msg[i]));
        snprintf(buf + n, sizeof buf - n, "]");
        sb_row_set_json(row, "edhoc_msg_bytes", buf);
    }
}

static void fill_row(run *r, sb_row *row, int rc)
{
    char buf[512];
    sb_role_cfg cfg = r->cfg;
    sb_row_fill_endpoint(row, &cfg, r->have_crep ? &r->crep : NULL);
    sb_row_set_str(row, "client_library", r->cdesc.library);
    sb_row_set_str(row, "server_library", r->sdesc.library);
    sb_row_set_str(row, "profile", r->prof.name);
    sb_row_set_str(row, "emulator", r->emu ? sb_emu_name(r->emu) : NULL);
    sb_row_set_double(row, "delay_ms", r->prof.up.delay_ms, 3);
    sb_row_set_double(row, "loss_pct", r->prof.up.loss_pct, 3);
    sb_row_set_double(row, "rate_kbit", r->prof.up.rate_kbit > 0 ? r->prof.up.rate_kbit : NAN, 3);
    sb_row_set_str(row, "bytes_source", r->cap ? "capture" : NULL);
    int ok = rc == SB_OK && r->have_crep && r->crep.ok;
    sb_row_set_bool(row, "ok", ok);
    if (!ok) {
        /* The client often sees only the consequence (a closed connection, an ICMP refusal);
         * the server's own failure usually names the cause (the library's reason). */
        const char *ce = rc ? r->err : r->have_crep ? r->crep.error : "unknown failure";
        if (r->have_srep && !r->srep.ok && r->srep.error[0] && strcmp(r->srep.error, ce)) {
            snprintf(buf, sizeof buf, "%s (server: %s)", ce, r->srep.error);
            sb_row_set_str(row, "error", buf);
        } else {
            sb_row_set_str(row, "error", ce);
        }
    }
    if (!r->have_crep) return;
    const sb_report *s = &r->srep;
    if (r->have_srep) {
        sb_row_set_int(row, "retransmissions", (int64_t)r->crep.retransmissions + s->retransmissions);
        sb_row_set_int(row, "server_cycles", s->cycles);
        sb_row_set_int(row, "server_instructions", s->instructions);
        sb_row_set_int(row, "server_cpu_ns", s->cpu_ns);
        sb_row_set_int(row, "server_heap_peak", s->heap_peak);
        sb_row_set_int(row, "server_heap_session", s->heap_session);
    }
    if (r->valgrind)
        sb_row_set_str(row, "cycles_source", "valgrind-callgrind (instructions, deterministic; cycles n/a)");
    if (r->cap) fill_traffic(r, row, r->via_proxy ? (r->have_prep ? &r->prep[0] : NULL)
                                                   : r->have_srep ? &r->srep : NULL);
    sb_energy_cfg ec;
    if (sb_energy_cfg_parse(r->p, &ec, buf, sizeof buf) == SB_OK)
        sb_energy_fill_row(row, &r->prof, &ec);
}

/* One "key value" line of the proxy's report text (its proxy_* lines); -1 when absent. */
static long long pextra(const run *r, const char *key)
{
    char pat[64];
    snprintf(pat, sizeof pat, "%s ", key);
    for (const char *p = r->pextra; (p = strstr(p, pat)); p += strlen(pat))
        if (p == r->pextra || p[-1] == '\n') return strtoll(p + strlen(pat), NULL, 10);
    return -1;
}

/* Did the proxy see the request's payload (or, for a GET, its Uri-Path) in clear? Searched in
 * the `hex:` lines of its dump, byte-aligned. -1 when there is nothing to search. */
static int dump_has_plaintext(const run *r)
{
    char want[2 * 1024 + 1] = "";
    const sb_workload *w = &r->cfg.wl;
    if (w->post && w->payload_text && *w->payload_text) {
        sb_hex_encode((const uint8_t *)w->payload_text, strlen(w->payload_text), want);
    } else if (w->post && w->request_payload) {
        uint8_t pat[1024];
        size_t n = w->request_payload < sizeof pat ? w->request_payload : sizeof pat;
        for (size_t i = 0; i < n; i++) pat[i] = (uint8_t)('a' + i % 26); /* workload.c's */
        sb_hex_encode(pat, n, want);
    } else {
        const char *seg = strrchr(w->path, '/'); /* the resource's last path segment */
        seg = seg ? seg + 1 : w->path;
        if (!*seg) return -1;
        sb_hex_encode((const uint8_t *)seg, strlen(seg), want);
    }
    size_t len;
    char *txt = sb_read_file(r->dump_path, &len);
    if (!txt) return -1;
    int found = 0;
    for (char *line = txt; line && *line && !found;) {
        char *nl = strchr(line, '\n');
        if (nl) *nl = '\0';
        if (!strncmp(line, "hex: ", 5))
            for (char *p = line + 5; (p = strstr(p, want)); p++)
                if ((p - line - 5) % 2 == 0) {
                    found = 1;
                    break;
                }
        line = nl ? nl + 1 : NULL;
    }
    free(txt);
    return found;
}

/* --via proxy: the gateway's keys, and what `ok` means through it: a final response reached
 * the client, whatever its code (an OSCORE client that got the server's 4.01 to a tampered
 * request did get a final response; its stack reports that as a rejection). */
static void fill_proxy(run *r, sb_row *row)
{
    sb_row_set_str(row, "via", "proxy");
    sb_row_set_str(row, "backhaul", r->backhaul.name);
    sb_row_set_int(row, "clients", r->clients ? r->clients : 1);
    if (!r->have_prep) return;
    const sb_report *pd = &r->prep[0], *pu = &r->prep[1];
    long long held = pextra(r, "proxy_held");
    /* per device: the proxy's CPU and its backhaul traffic (one upstream session for all the
     * devices) divided by the devices; heap per device is the proxy's own division */
    int64_t n = held > 0 ? held : 1;
    sb_row_set_int(row, "proxy_cpu_ns", pd->cpu_ns == SB_NA ? SB_NA : pd->cpu_ns / n);
    sb_row_set_int(row, "proxy_cycles", pd->cycles == SB_NA ? SB_NA : pd->cycles / n);
    sb_row_set_int(row, "proxy_instructions",
                   pd->instructions == SB_NA ? SB_NA : pd->instructions / n);
    sb_row_set_int(row, "proxy_heap_peak", pd->heap_peak);
    sb_row_set_int(row, "proxy_heap_session", pd->heap_session);
    if (r->have_srep) /* the proxy's retransmissions on both hops count too */
        sb_row_set_int(row, "retransmissions", (int64_t)r->crep.retransmissions +
                       r->srep.retransmissions + pd->retransmissions + pu->retransmissions);
    if (r->cap2 && pu->local_port) {
        const sb_pkt *pk;
        size_t np = sb_capture_packets(r->cap2, &pk);
        sb_endpoint_marks cm = {pu->marks, pu->nmarks, pu->local_port};
        sb_endpoint_marks sm = {r->srep.marks, r->have_srep ? r->srep.nmarks : 0, pu->local_port};
        sb_traffic t;
        if (sb_traffic_analyze(pk, np, &cm, &sm, &t) == SB_OK) {
            sb_row_set_int(row, "hop2_bytes", (int64_t)(t.bytes[0] + t.bytes[1]) / n);
            sb_row_set_int(row, "hop2_packets", (int64_t)(t.packets[0] + t.packets[1]) / n);
        }
    }
    int saw = dump_has_plaintext(r);
    if (saw >= 0) sb_row_set_bool(row, "proxy_saw_plaintext", saw);
    if (!r->have_crep) return;
    int down = pd->final_code; /* what the proxy last sent the device */
    int rejected = !r->crep.ok && down >= SB_COAP_CODE(2, 0) &&
                   (strstr(r->crep.error, "rejected") || strstr(r->crep.error, "does not verify"));
    if (rejected) {
        char code[16];
        snprintf(code, sizeof code, "%d.%02d", down >> 5, down & 31);
        sb_row_set_str(row, "final_code", code);
        sb_row_set_bool(row, "ok", 1);
        sb_row_set_str(row, "error", NULL);
    }
    long long treq = pextra(r, "proxy_tampered_req"), tresp = pextra(r, "proxy_tampered_resp");
    if (r->tamper && treq + tresp > 0) {
        long long up = pextra(r, "proxy_up_code");
        int server_refused = treq > 0 && !pextra(r, "proxy_up_protected") &&
                             (up == SB_COAP_BAD_REQUEST || up == SB_COAP_UNAUTHORIZED);
        sb_row_set_bool(row, "tamper_detected", rejected || server_refused);
    }
}

static void on_signal(int sig)
{
    (void)sig;
    /* Children (holders, roles, emulator) die with us by PR_SET_PDEATHSIG; their namespaces,
     * veths, qdiscs and rules with them. */
    _exit(130);
}

int sb_run_main(int argc, char **argv)
{
    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        sb_cli_help(SB_VERB_RUN, stdout);
        return 0;
    }
    run *r = calloc(1, sizeof *r);
    if (!r) return 1;
    r->p = sb_params_new();
    char err[512];
    int rc = sb_cli_parse(SB_VERB_RUN, argc, argv, 1, r->p, err, sizeof err);
    if (!rc) rc = setup(r, err, sizeof err);
    if (rc) {
        fprintf(stderr, "secbench run: %s\n", err);
        sb_params_free(r->p);
        free(r);
        return 2;
    }
    if (sb_testbed_enter_userns(err, sizeof err) != SB_OK) {
        fprintf(stderr, "secbench run: %s\n", err);
        sb_params_free(r->p);
        free(r);
        return 2;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);
    set_run_id(r);
    rc = r->via_proxy ? measure_proxy(r, sb_params_get(r->p, "pcap"))
                      : measure(r, sb_params_get(r->p, "pcap"));
    sb_row *row = sb_row_new();
    fill_row(r, row, rc);
    if (r->via_proxy) fill_proxy(r, row);
    int ok = sb_row_num(row, "ok") == 1;
    sb_output_row(row, sb_params_get(r->p, "format"), sb_params_flag(r->p, "no-header"), stdout);
    sb_row_free(row);
    if (r->cap) sb_capture_free(r->cap);
    if (r->cap2) sb_capture_free(r->cap2);
    if (r->emu) sb_emu_stop(r->emu);
    if (r->emu2) sb_emu_stop(r->emu2);
    if (r->via_proxy && r->dump_fd >= 0) close(r->dump_fd);
    sb_testbed_destroy(r->tb);
    sb_params_free(r->p);
    free(r);
    return ok ? 0 : 3;
}
