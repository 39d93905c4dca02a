/* linkcheck.c: `secbench link-check` (contract in linkcheck.h).
 * Method. Phase 1: N small probes per direction, both directions at once, spaced by more than
 * a probe's serialisation time so none queues; each carries its send time, the receiver takes
 * the arrival time, so one-way delay = arrival - send. Expected one-way delay = mean of the
 * configured delay + jitter model (clamped at 0, as the emulators do; computed by sampling the
 * model) + the probe's serialisation at the configured rate. Jitter = mean absolute deviation of
 * the one-way delays from their mean (robust where the sd is not: tc's pareto has shape 3, an
 * infinite fourth moment, so the sample sd has no useful error bound). Loss = probes not received; bound from the binomial distribution (random
 * loss) or the normal approximation with the Gilbert-Elliott chain's autocorrelation (bursty).
 * Phase 2 (directions with a rate): a back-to-back train; rate = 8 / slope of the least-squares
 * line of arrival time against cumulative link bytes of the received packets (lost packets take
 * no link time in either emulator), robust to jitter; its standard error widens the bound.
 * Bounds: delay within max(tolerance %, tolerance ms) + 3 standard errors of the mean; rate
 * within tolerance % + 3 standard errors; loss inside the 99 % interval (95 % printed too);
 * jitter within max(tolerance ms, tolerance %) + 3 standard errors of the deviation. */
#include "linkcheck.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../bench/util.h"
#include "emu.h"
#include "emu_nfq.h"
#include "lowpan.h"
#include "profile.h"
#include "testbed.h"

#define MAGIC0 'S'
#define MAGIC1 'B'
#define PROBE_PAYLOAD 16 /* magic 2, phase 1, dir 1, seq 4, send time 8 */
#define MAX_TRAIN 200
#define MAX_COUNT 100000

typedef struct opts {
    const char *profile, *emulator;
    double delay, jitter, loss, rate, tol_pct, tol_ms;
    uint64_t seed, count;
    int count_given, ipv4;
} opts;

typedef struct dirstat {
    const sb_link_dir *cfg;
    /* model */
    double exp_mean_ms, exp_sd_ms, exp_mad_ms, exp_max_ms, ser_probe_ms;
    /* phase 1 */
    int sent, recv;
    uint8_t *seen;
    double sum;
    double *ow;       /* one-way delay (ms) by probe number */
    int64_t *send_ns; /* send time by probe number */
    /* phase 2 */
    int k, k_recv;
    size_t train_ip;
    double train_link;
    int64_t arr[MAX_TRAIN];
} dirstat;

typedef struct lc {
    opts o;
    sb_profile p;
    const char *emu_name;
    sb_testbed *tb;
    int fd[2]; /* UDP socket in host 0 (client) and host 1 (server) */
    struct sockaddr_storage addr[2];
    socklen_t alen;
    uint16_t port[2];
    int sigfd;
    int stop;
    dirstat d[2]; /* SB_NFQ_UP: host 0 -> 1, SB_NFQ_DOWN: host 1 -> 0 */
} lc;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: secbench link-check [--profile P | --delay MS --jitter MS --loss PCT --rate KBIT]\n"
            "                           [--emulator auto|netem|nfq|none] [--seed N] [--count N]\n"
            "                           [--ipv4] [--tolerance PCT] [--tolerance-ms MS]\n"
            "Measures the emulated link between two test hosts and compares it with the profile\n"
            "(default profile: ideal; --delay/--jitter/--loss/--rate override it, per direction).\n"
            "--count: probes per direction (default 200, fewer on slow links to stay short);\n"
            "--tolerance: delay/rate bound in percent (default 5); --tolerance-ms: delay/jitter\n"
            "floor in ms (default 1). Exit 0 all within bounds, 1 out of bounds, 2 error.\n");
}

static int parse(int argc, char **argv, opts *o)
{
    *o = (opts){"ideal", "auto", -1, -1, -1, -1, 5, 1, 1, 200, 0, 0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            exit(0);
        }
        if (!strcmp(a, "--ipv4")) {
            o->ipv4 = 1;
            continue;
        }
        const char *v = i + 1 < argc ? argv[++i] : NULL;
        int bad = !v;
        if (bad) {
        } else if (!strcmp(a, "--profile")) o->profile = v;
        else if (!strcmp(a, "--emulator")) o->emulator = v;
        else if (!strcmp(a, "--delay")) bad = sb_parse_double(v, 0, 600e3, &o->delay);
        else if (!strcmp(a, "--jitter")) bad = sb_parse_double(v, 0, 600e3, &o->jitter);
        else if (!strcmp(a, "--loss")) bad = sb_parse_double(v, 0, 100, &o->loss);
        else if (!strcmp(a, "--rate")) bad = sb_parse_double(v, 0, 10e6, &o->rate);
        else if (!strcmp(a, "--tolerance")) bad = sb_parse_double(v, 0, 1000, &o->tol_pct);
        else if (!strcmp(a, "--tolerance-ms")) bad = sb_parse_double(v, 0, 600e3, &o->tol_ms);
        else if (!strcmp(a, "--seed")) bad = sb_parse_u64(v, UINT64_MAX, &o->seed);
        else if (!strcmp(a, "--count")) {
            bad = sb_parse_u64(v, MAX_COUNT, &o->count) || o->count < 2;
            o->count_given = 1;
        } else {
            fprintf(stderr, "link-check: unknown option '%s'\n", a);
            usage(stderr);
            return SB_EINVAL;
        }
        if (bad) {
            fprintf(stderr, "link-check: bad or missing value for %s\n", a);
            return SB_EINVAL;
        }
    }
    return SB_OK;
}

/* ---- model ---- */

/* Mean, sd, mean absolute deviation and max of max(0, delay + jitter) by sampling the emulators' own
 * distribution (fixed seed: the same expectation every run). */
static void model(dirstat *s)
{
    const sb_link_dir *c = s->cfg;
    if (c->jitter_ms <= 0) {
        s->exp_mean_ms = s->exp_max_ms = c->delay_ms;
        s->exp_sd_ms = s->exp_mad_ms = 0;
        return;
    }
    sb_nfq_rng r;
    sb_nfq_rng_seed(&r, 0x5eedULL);
    enum { N = 200000 };
    double sum = 0, max = 0;
    static double x[N]; /* this function only: 1.6 MB kept off the stack */
    for (int i = 0; i < N; i++) {
        double v = c->delay_ms + sb_nfq_jitter_ms(c->jitter_dist, c->jitter_ms, &r);
        x[i] = v < 0 ? 0 : v;
        sum += x[i];
        if (x[i] > max) max = x[i];
    }
    double mean = sum / N, m2 = 0, mad = 0;
    for (int i = 0; i < N; i++) {
        double d = x[i] - mean;
        m2 += d * d;
        mad += fabs(d);
    }
    m2 /= N;
    s->exp_mean_ms = mean;
    s->exp_sd_ms = sqrt(m2);
    s->exp_max_ms = max;
    s->exp_mad_ms = mad / N;
}

/* Bytes the emulator charges to the rate for a UDP packet of ip_len bytes. */
static double link_bytes(const lc *c, size_t ip_len, uint16_t sport, uint16_t dport)
{
    if (!strcmp(c->emu_name, "netem")) {
        /* netem: the Ethernet frame; with lowpan the cell arithmetic of emu_netem.c */
        double frame = (double)ip_len + 14;
        if (!c->p.lowpan) return frame;
        double cell = SB_LOWPAN_PSDU_MAX - SB_LOWPAN_MAC_OVERHEAD;
        return ceil((frame - 53) / cell) * (cell + SB_LOWPAN_MAC_OVERHEAD + SB_LOWPAN_PHY_HDR);
    }
    sb_lowpan_ota o;
    if (c->p.lowpan && !c->o.ipv4 && sb_lowpan_size(ip_len, 17, sport, dport, &o) == SB_OK)
        return (double)o.air_bytes;
    return (double)ip_len;
}

static size_t ip_len_of(const lc *c, size_t payload)
{
    return payload + 8 + (c->o.ipv4 ? 20 : 40);
}

static double ser_ms(const sb_link_dir *d, double bytes)
{
    return d->rate_kbit > 0 ? bytes * 8.0 / d->rate_kbit : 0; /* bits / (kbit/s) = ms */
}

/* The hosts' own IPv6 control traffic right after link-up (router solicitations, DAD and
 * neighbour solicitations, MLD reports: up to a few seconds) would queue in front of probes on a
 * slow link and show up as jitter that is not the emulator's. The neighbours are static, so none
 * of it is needed: drop it at OUTPUT, before the emulator sees it. Best effort. */
static void quiet_hosts(lc *c)
{
    for (int h = 0; h < 2; h++) {
        const char *ifn = sb_testbed_ifname(c->tb, 0, h);
        char script[512];
        snprintf(script, sizeof script,
                 "sysctl -qw net.ipv6.conf.%s.router_solicitations=0; "
                 "for t in 131 133 135 143; do "
                 "ip6tables -w -A OUTPUT -o %s -p icmpv6 --icmpv6-type $t -j DROP; done",
                 ifn, ifn);
        char *argv[] = {"sh", "-c", script, NULL};
        sb_testbed_run(c->tb, h, argv, NULL, 0);
    }
}

/* ---- sockets in the two hosts ---- */

typedef struct sockjob {
    lc *c;
    int host, rc;
    char err[256];
} sockjob;

/* Runs in its own thread: setns() changes only the calling thread, and a thread can enter a
 * namespace it could not return from (in a user namespace the original one is not ours). The
 * socket stays in the host's namespace after the thread ends. */
static void *open_sock(void *arg)
{
    sockjob *j = arg;
    lc *c = j->c;
    int h = j->host;
    int af = c->o.ipv4 ? AF_INET : AF_INET6;
    const char *a = sb_testbed_addr(c->tb, 0, h);
    struct sockaddr_storage *ss = &c->addr[h];
    memset(ss, 0, sizeof *ss);
    if (af == AF_INET) {
        struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
        s4->sin_family = AF_INET;
        inet_pton(AF_INET, a, &s4->sin_addr);
        c->alen = sizeof *s4;
    } else {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
        s6->sin6_family = AF_INET6;
        inet_pton(AF_INET6, a, &s6->sin6_addr);
        c->alen = sizeof *s6;
    }
    if (sb_testbed_enter(c->tb, h) != SB_OK) {
        j->rc = sb_fail(j->err, sizeof j->err, SB_EIO, "cannot enter host %d", h);
        return NULL;
    }
    c->fd[h] = socket(af, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int buf = 4 << 20;
    if (c->fd[h] >= 0 && setsockopt(c->fd[h], SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof buf))
        setsockopt(c->fd[h], SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
    if (c->fd[h] >= 0 && setsockopt(c->fd[h], SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof buf))
        setsockopt(c->fd[h], SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
    socklen_t l = c->alen;
    if (c->fd[h] < 0 || bind(c->fd[h], (struct sockaddr *)ss, c->alen) != 0 ||
        getsockname(c->fd[h], (struct sockaddr *)ss, &l) != 0) {
        j->rc = sb_fail(j->err, sizeof j->err, SB_EIO, "cannot bind a probe socket to %s: %s", a,
                        strerror(errno));
        return NULL;
    }
    c->port[h] = ntohs(af == AF_INET ? ((struct sockaddr_in *)ss)->sin_port
                                     : ((struct sockaddr_in6 *)ss)->sin6_port);
    return NULL;
}

static int open_socks(lc *c, char *err, size_t cap)
{
    for (int h = 0; h < 2; h++) {
        sockjob j = {c, h, SB_OK, ""};
        pthread_t t;
        if (pthread_create(&t, NULL, open_sock, &j) != 0)
            return sb_fail(err, cap, SB_EIO, "cannot start a thread");
        pthread_join(t, NULL);
        if (j.rc != SB_OK) return sb_fail(err, cap, j.rc, "%s", j.err);
    }
    return SB_OK;
}

static void send_probe(lc *c, int dir, int phase, uint32_t seq, size_t payload)
{
    uint8_t b[1500] = {MAGIC0, MAGIC1, (uint8_t)phase, (uint8_t)dir};
    memcpy(b + 4, &seq, 4);
    int64_t now = sb_now_ns();
    memcpy(b + 8, &now, 8);
    int from = dir == SB_NFQ_UP ? 0 : 1;
    /* Held packets stay charged to the sender's buffer: wait for room (up to 2 s) rather than
     * lose part of a train. */
    int64_t deadline = now + 2 * SB_NS_PER_S;
    while (sendto(c->fd[from], b, payload, 0, (struct sockaddr *)&c->addr[!from], c->alen) < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOBUFS) {
            fprintf(stderr, "link-check: sendto: %s\n", strerror(errno));
            return;
        }
        struct pollfd pf = {c->fd[from], POLLOUT, 0};
        if (sb_now_ns() > deadline) return;
        poll(&pf, 1, 10);
    }
}

static void on_datagram(lc *c, int host, const uint8_t *b, ssize_t n, int64_t now)
{
    if (n < PROBE_PAYLOAD || b[0] != MAGIC0 || b[1] != MAGIC1) return;
    int phase = b[2], dir = b[3];
    if (dir > 1 || (dir == SB_NFQ_UP) != (host == 1)) return;
    uint32_t seq;
    int64_t sent;
    memcpy(&seq, b + 4, 4);
    memcpy(&sent, b + 8, 8);
    dirstat *s = &c->d[dir];
    if (phase == 1 && (int)seq < s->sent && !s->seen[seq]) {
        s->seen[seq] = 1;
        s->recv++;
        double ms = (double)(now - sent) / 1e6;
        s->ow[seq] = ms;
        s->send_ns[seq] = sent;
        s->sum += ms;
    } else if (phase == 2 && (int)seq < s->k && !s->arr[seq]) {
        s->arr[seq] = now;
        s->k_recv++;
    }
}

/* Wait for datagrams until `until` (or a signal); 1 if a signal asked us to stop. */
static int pump(lc *c, int64_t until)
{
    for (;;) {
        int64_t wait = until - sb_now_ns();
        if (wait < 0) wait = 0;
        struct timespec ts = {wait / SB_NS_PER_S, wait % SB_NS_PER_S};
        struct pollfd pf[3] = {{c->fd[0], POLLIN, 0}, {c->fd[1], POLLIN, 0}, {c->sigfd, POLLIN, 0}};
        int r = ppoll(pf, c->sigfd >= 0 ? 3 : 2, &ts, NULL);
        if (r < 0 && errno != EINTR) return 0;
        if (r > 0 && c->sigfd >= 0 && pf[2].revents) return c->stop = 1;
        for (int h = 0; r > 0 && h < 2; h++) {
            if (!(pf[h].revents & POLLIN)) continue;
            uint8_t b[2048];
            ssize_t n;
            while ((n = recv(c->fd[h], b, sizeof b, MSG_DONTWAIT)) > 0) on_datagram(c, h, b, n, sb_now_ns());
        }
        if (sb_now_ns() >= until) return 0;
        if (r <= 0 && wait == 0) return 0;
    }
}

static int all_received(const lc *c, int phase)
{
    for (int d = 0; d < 2; d++) {
        const dirstat *s = &c->d[d];
        if (phase == 1 ? s->recv < s->sent : s->k_recv < s->k) return 0;
    }
    return 1;
}

/* Receive until everything arrived or the deadline; 1 on a stop signal. */
static int drain(lc *c, int phase, int64_t deadline)
{
    while (!all_received(c, phase) && sb_now_ns() < deadline) {
        int64_t step = sb_now_ns() + 10 * SB_NS_PER_MS;
        if (pump(c, step < deadline ? step : deadline)) return 1;
    }
    return 0;
}

static int phase1(lc *c, int count)
{
    double ser = 0, tail = 0;
    for (int d = 0; d < 2; d++) {
        dirstat *s = &c->d[d];
        uint16_t sp = c->port[d == SB_NFQ_UP ? 0 : 1], dp = c->port[d == SB_NFQ_UP ? 1 : 0];
        s->ser_probe_ms = ser_ms(s->cfg, link_bytes(c, ip_len_of(c, PROBE_PAYLOAD), sp, dp));
        if (s->ser_probe_ms > ser) ser = s->ser_probe_ms;
        if (s->exp_max_ms + s->ser_probe_ms > tail) tail = s->exp_max_ms + s->ser_probe_ms;
        s->seen = calloc((size_t)count, 1);
        s->ow = calloc((size_t)count, sizeof *s->ow);
        s->send_ns = calloc((size_t)count, sizeof *s->send_ns);
        if (!s->seen || !s->ow || !s->send_ns) return SB_ENOMEM;
    }
    /* spacing: no probe may queue behind the previous one */
    int64_t gap = (int64_t)(fmax(10.0, 1.25 * ser) * 1e6);
    int64_t t0 = sb_now_ns() + 5 * SB_NS_PER_MS;
    for (int i = 0; i < count && !c->stop; i++) {
        for (int d = 0; d < 2 && !c->stop; d++) {
            int64_t at = t0 + i * gap + d * gap / 2;
            if (pump(c, at)) break;
            send_probe(c, d, 1, (uint32_t)i, PROBE_PAYLOAD);
            c->d[d].sent++;
        }
    }
    return drain(c, 1, sb_now_ns() + (int64_t)((tail * 1.2 + 300) * 1e6)) ? SB_ESTOP : SB_OK;
}

static int phase2(lc *c)
{
    double tail = 0;
    for (int d = 0; d < 2; d++) {
        dirstat *s = &c->d[d];
        if (s->cfg->rate_kbit <= 0) continue;
        uint16_t sp = c->port[d == SB_NFQ_UP ? 0 : 1], dp = c->port[d == SB_NFQ_UP ? 1 : 0];
        /* about 1 s of link time: 1000-byte packets, fewer/smaller on slow links */
        double per_s = s->cfg->rate_kbit * 1000.0 / 8.0;
        size_t payload = 1000 - ip_len_of(c, 0);
        int k = (int)(per_s / 1000.0);
        if (k < 10) {
            k = 10;
            double want = per_s / 10.0 - (double)ip_len_of(c, 0);
            payload = want < PROBE_PAYLOAD ? PROBE_PAYLOAD : (size_t)want;
            if (payload == PROBE_PAYLOAD) k = (int)fmax(5, fmin(10, per_s / ip_len_of(c, payload)));
        }
        if (k > MAX_TRAIN) k = MAX_TRAIN;
        s->k = k;
        s->train_ip = ip_len_of(c, payload);
        s->train_link = link_bytes(c, s->train_ip, sp, dp);
        double t = s->exp_max_ms + k * ser_ms(s->cfg, s->train_link);
        if (t > tail) tail = t;
    }
    for (int d = 0; d < 2; d++)
        for (int i = 0; i < c->d[d].k; i++) send_probe(c, d, 2, (uint32_t)i, c->d[d].train_ip - ip_len_of(c, 0));
    return drain(c, 2, sb_now_ns() + (int64_t)((tail * 1.3 + 500) * 1e6)) ? SB_ESTOP : SB_OK;
}

/* ---- statistics ---- */

/* Smallest k with P(X <= k) >= q for X ~ Binomial(n, p). */
static int binom_quantile(int n, double p, double q)
{
    if (p <= 0) return 0;
    if (p >= 1) return n;
    double cdf = 0;
    for (int k = 0; k <= n; k++) {
        double lp = lgamma(n + 1.0) - lgamma(k + 1.0) - lgamma(n - k + 1.0) + k * log(p) +
                    (n - k) * log1p(-p);
        cdf += exp(lp);
        if (cdf >= q - 1e-12) return k;
    }
    return n;
}

/* Expected loss fraction and the variance of one packet's loss indicator, inflated by the
 * Gilbert-Elliott chain's autocorrelation: Cov(X0, Xk) = (lb - lg)^2 pi_b pi_g lambda^k with
 * lambda = 1 - p - r, summed over k >= 1. */
static void loss_model(const sb_link_dir *c, double *mean, double *var)
{
    if (c->ge_p <= 0) {
        *mean = c->loss_pct / 100.0;
        *var = *mean * (1 - *mean);
        return;
    }
    double p = c->ge_p / 100, r = c->ge_r / 100, lb = c->ge_loss_bad / 100, lg = c->ge_loss_good / 100;
    double pb = r + p > 0 ? p / (p + r) : 0, pg = 1 - pb, lam = 1 - p - r;
    *mean = pb * lb + pg * lg;
    *var = *mean * (1 - *mean);
    if (lam < 1) *var += 2 * (lb - lg) * (lb - lg) * pb * pg * lam / (1 - lam);
}

static int verdict(const char *dir, const char *metric, const char *conf, double expect,
                   double meas, const char *bound, int ok)
{
    double err = expect != 0 ? (meas - expect) / expect * 100 : (meas == 0 ? 0 : INFINITY);
    char e[32];
    if (isnan(meas)) snprintf(e, sizeof e, "-");
    else if (isinf(err)) snprintf(e, sizeof e, "n/a");
    else snprintf(e, sizeof e, "%+.1f%%", err);
    char m[32];
    if (isnan(meas)) snprintf(m, sizeof m, "unmeasured");
    else snprintf(m, sizeof m, "%.3f", meas);
    printf("%-5s %-14s %-12s %12.3f %12s %9s  %-22s %s\n", dir, metric, conf, expect, m, e, bound,
           ok ? "ok" : "MISMATCH");
    return ok;
}

static int report(lc *c)
{
    int all = 1;
    printf("%-5s %-14s %-12s %12s %12s %9s  %-22s %s\n", "dir", "metric", "configured", "expected",
           "measured", "error", "bound", "verdict");
    for (int d = 0; d < 2; d++) {
        dirstat *s = &c->d[d];
        const sb_link_dir *cf = s->cfg;
        const char *dn = d == SB_NFQ_UP ? "up" : "down";
        char conf[32], bound[64];
        /* Delay: mean one-way. The expected value replays the link model on the actual send
         * times (a late sender can make a probe queue behind the previous one: that is the
         * model's behaviour, not an error); the residuals (measured - serialisation - queueing)
         * then follow the delay + jitter distribution alone. */
        double exp_sum = 0, res_sum = 0, mad = 0;
        int64_t link_free = 0, ser = llround(s->ser_probe_ms * 1e6);
        for (int i = 0; i < s->sent; i++) {
            if (!s->seen[i]) continue; /* a lost packet takes no link time */
            int64_t start = s->send_ns[i] > link_free ? s->send_ns[i] : link_free;
            link_free = start + ser;
            double q = (double)(link_free - s->send_ns[i]) / 1e6;
            exp_sum += q + s->exp_mean_ms;
            s->ow[i] -= q; /* residual from here on */
            res_sum += s->ow[i];
        }
        double exp_delay = s->recv ? exp_sum / s->recv : s->exp_mean_ms + s->ser_probe_ms;
        double mean = s->recv ? s->sum / s->recv : NAN;
        double res_mean = s->recv ? res_sum / s->recv : 0;
        for (int i = 0; i < s->sent; i++)
            if (s->seen[i]) mad += fabs(s->ow[i] - res_mean);
        mad = s->recv > 1 ? mad / s->recv : NAN;
        double b = fmax(c->o.tol_pct / 100 * exp_delay, c->o.tol_ms) +
                   (s->recv ? 3 * s->exp_sd_ms / sqrt(s->recv) : 0);
        snprintf(conf, sizeof conf, "%g", cf->delay_ms);
        snprintf(bound, sizeof bound, "+-%.3f ms", b);
        all &= verdict(dn, "delay_ms", conf, exp_delay, mean, bound, !isnan(mean) && fabs(mean - exp_delay) <= b);
        /* jitter: mean absolute deviation; its standard error from Var|X - mu| = sd^2 - mad^2 */
        double se = s->recv > 1 ? sqrt(fmax(0, s->exp_sd_ms * s->exp_sd_ms - s->exp_mad_ms * s->exp_mad_ms) / s->recv) : 0;
        b = fmax(c->o.tol_ms, c->o.tol_pct / 100 * s->exp_mad_ms) + 3 * se;
        snprintf(conf, sizeof conf, "%g %s", cf->jitter_ms, cf->jitter_ms > 0 ? cf->jitter_dist : "");
        snprintf(bound, sizeof bound, "+-%.3f ms", b);
        all &= verdict(dn, "jitter_mad_ms", conf, s->exp_mad_ms, mad, bound, !isnan(mad) && fabs(mad - s->exp_mad_ms) <= b);
        /* loss */
        double lm, lv;
        loss_model(cf, &lm, &lv);
        int n = s->sent, lost = s->sent - s->recv;
        double lo95, hi95, lo99, hi99;
        if (cf->ge_p <= 0) {
            lo95 = binom_quantile(n, lm, 0.025), hi95 = binom_quantile(n, lm, 0.975);
            lo99 = binom_quantile(n, lm, 0.005), hi99 = binom_quantile(n, lm, 0.995);
        } else {
            double h = sqrt(lv * n);
            lo95 = fmax(0, floor(n * lm - 1.96 * h)), hi95 = ceil(n * lm + 1.96 * h);
            lo99 = fmax(0, floor(n * lm - 2.576 * h)), hi99 = ceil(n * lm + 2.576 * h);
        }
        if (cf->ge_p > 0)
            snprintf(conf, sizeof conf, "GE %g/%g/%g/%g", cf->ge_p, cf->ge_r, cf->ge_loss_bad, cf->ge_loss_good);
        else
            snprintf(conf, sizeof conf, "%g", cf->loss_pct);
        snprintf(bound, sizeof bound, "95%% [%.1f,%.1f] 99%% [%.1f,%.1f]", 100 * lo95 / n, 100 * hi95 / n,
                 100 * lo99 / n, 100 * hi99 / n);
        all &= verdict(dn, "loss_pct", conf, 100 * lm, n ? 100.0 * lost / n : NAN, bound,
                       n && lost >= lo99 && lost <= hi99);
        printf("%-5s %-14s %d sent, %d received\n", "", "probes", s->sent, s->recv);
        /* rate */
        if (cf->rate_kbit <= 0) {
            printf("%-5s %-14s %-12s %12s %12s %9s  %-22s %s\n", dn, "rate_kbit", "unlimited", "-", "-",
                   "-", "-", "not checked");
            continue;
        }
        /* times relative to the first arrival keep the sums well inside double precision */
        int64_t t0 = 0;
        for (int i = 0; i < s->k && !t0; i++) t0 = s->arr[i];
        double sx = 0, sy = 0, sxx = 0, sxy = 0, cum = 0;
        int m = 0;
        for (int i = 0; i < s->k; i++) {
            if (!s->arr[i]) continue;
            cum += s->train_link;
            double x = cum, y = (double)(s->arr[i] - t0);
            sx += x, sy += y, sxx += x * x, sxy += x * y;
            m++;
        }
        double rate = NAN, se_rel = 0;
        if (m >= 3) {
            double mx = sx / m, my = sy / m;
            double Sxx = sxx - m * mx * mx, Sxy = sxy - m * mx * my;
            double slope = Sxx > 0 ? Sxy / Sxx : 0;
            rate = slope > 0 ? 8e6 / slope : INFINITY;
            if (slope > 0) {
                double ssr = 0;
                cum = 0;
                for (int i = 0; i < s->k; i++) {
                    if (!s->arr[i]) continue;
                    cum += s->train_link;
                    double res = (double)(s->arr[i] - t0) - (my + slope * (cum - mx));
                    ssr += res * res;
                }
                se_rel = m > 2 ? sqrt(ssr / (m - 2) / Sxx) / slope : 0;
            }
        }
        b = c->o.tol_pct + 300 * se_rel;
        snprintf(conf, sizeof conf, "%g", cf->rate_kbit);
        snprintf(bound, sizeof bound, "+-%.1f%% (%d x %zu B)", b, s->k, s->train_ip);
        all &= verdict(dn, "rate_kbit", conf, cf->rate_kbit, rate, bound,
                       !isnan(rate) && !isinf(rate) && fabs(rate - cf->rate_kbit) <= b / 100 * cf->rate_kbit);
    }
    return all;
}

/* ---- driver ---- */

static int check(lc *c)
{
    char err[512];
    int rc = sb_profile_load(c->o.profile, &c->p, err, sizeof err);
    if (rc) {
        fprintf(stderr, "link-check: %s\n", err);
        return 2;
    }
    sb_profile_override(&c->p, c->o.delay, c->o.jitter, c->o.loss, c->o.rate);
    c->d[SB_NFQ_UP].cfg = &c->p.up;
    c->d[SB_NFQ_DOWN].cfg = &c->p.down;
    if ((rc = sb_testbed_enter_userns(err, sizeof err)) != SB_OK) {
        fprintf(stderr, "link-check: %s\n", err);
        return 2;
    }
    sb_testbed_cfg tc = {2, c->o.ipv4};
    if ((rc = sb_testbed_create(&c->tb, &tc, err, sizeof err)) != SB_OK) {
        fprintf(stderr, "link-check: %s\n", err);
        return 2;
    }
    sb_emu *emu = NULL;
    int status = 2;
    quiet_hosts(c);
    if ((rc = sb_emu_start(&emu, c->o.emulator, c->tb, 0, &c->p, c->o.seed, err, sizeof err)) != SB_OK) {
        fprintf(stderr, "link-check: %s\n", err);
        goto out;
    }
    c->emu_name = sb_emu_name(emu);
    if ((rc = open_socks(c, err, sizeof err)) != SB_OK) {
        fprintf(stderr, "link-check: %s\n", err);
        goto out;
    }
    for (int d = 0; d < 2; d++) model(&c->d[d]);
    /* default count: 200 probes, fewer when the spacing would make phase 1 exceed ~3 s */
    int count = (int)c->o.count;
    if (!c->o.count_given) {
        double ser = 0;
        for (int d = 0; d < 2; d++)
            ser = fmax(ser, ser_ms(c->d[d].cfg, link_bytes(c, ip_len_of(c, PROBE_PAYLOAD), 0xffff, 0xffff)));
        double gap = fmax(10.0, 1.25 * ser);
        count = (int)fmin(200, fmax(10, 3000.0 / gap));
    }
    printf("link-check: emulator %s, profile %s, seed %llu, %s, %d probes per direction\n",
           c->emu_name, c->p.name, (unsigned long long)c->o.seed, c->o.ipv4 ? "IPv4" : "IPv6", count);
    printf("up = host 0 (%s) -> host 1 (%s); jitter = mean absolute deviation of one-way delay\n",
           sb_testbed_addr(c->tb, 0, 0), sb_testbed_addr(c->tb, 0, 1));
    fflush(stdout);
    if (phase1(c, count) != SB_OK || phase2(c) != SB_OK) {
        if (c->stop) fprintf(stderr, "link-check: interrupted\n");
        status = c->stop ? 130 : 2;
        goto out;
    }
    int ok = report(c);
    printf("result: %s\n", ok ? "PASS (all within bounds)" : "FAIL (see MISMATCH rows)");
    status = ok ? 0 : 1;
out:
    for (int h = 0; h < 2; h++)
        if (c->fd[h] >= 0) close(c->fd[h]);
    sb_emu_stop(emu);
    sb_testbed_destroy(c->tb);
    for (int d = 0; d < 2; d++) {
        free(c->d[d].seen);
        free(c->d[d].ow);
        free(c->d[d].send_ns);
    }
    return status;
}

int sb_linkcheck_main(int argc, char **argv)
{
    lc *c = calloc(1, sizeof *c);
    if (!c) return 2;
    c->fd[0] = c->fd[1] = -1;
    if (parse(argc, argv, &c->o) != SB_OK) {
        free(c);
        return 2;
    }
    /* SIGINT/SIGTERM end the run through the normal clean-up (emulator, rules, testbed);
     * a SIGKILL is covered by PR_SET_PDEATHSIG in every child. */
    sigset_t sigs, old;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    sigprocmask(SIG_BLOCK, &sigs, &old);
    c->sigfd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);
    prctl(PR_SET_TIMERSLACK, 1UL);
    /* prompt timestamps on a loaded machine, where we may (root); below the emulator's 10;
     * children (holders, ip, iptables) start at normal priority */
    struct sched_param sp = {.sched_priority = 5};
    sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &sp);
    int status = check(c);
    if (c->sigfd >= 0) close(c->sigfd);
    sigprocmask(SIG_SETMASK, &old, NULL);
    free(c);
    return status;
}
