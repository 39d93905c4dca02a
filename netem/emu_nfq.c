/* emu_nfq.c: NFQUEUE link emulator (model and contract in emu_nfq.h). */
#include "emu_nfq.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/netfilter.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#include "../bench/util.h"
#include "emu_impl.h"
#include "lowpan.h"

/* ---- RNG: splitmix64 seeding xoshiro256** (Blackman & Vigna, 2018) ---- */

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void sb_nfq_rng_seed(sb_nfq_rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t sb_nfq_rng_next(sb_nfq_rng *r)
{
    uint64_t *s = r->s;
    uint64_t out = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

double sb_nfq_rng_unit(sb_nfq_rng *r)
{
    return (double)(sb_nfq_rng_next(r) >> 11) * 0x1.0p-53;
}

/* ---- scheduler ---- */

static double normal01(sb_nfq_rng *r)
{
    double u1 = 1.0 - sb_nfq_rng_unit(r); /* (0, 1]: log() stays finite */
    double u2 = sb_nfq_rng_unit(r);
    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

/* Pareto with shape 3 (iproute2's pareto table uses a = 3), standardised: x_m U^(-1/3) has mean
 * 1.5 x_m and sd sqrt(0.75) x_m. */
static double pareto01(sb_nfq_rng *r)
{
    double u = 1.0 - sb_nfq_rng_unit(r);
    return (pow(u, -1.0 / 3.0) - 1.5) / sqrt(0.75);
}

double sb_nfq_jitter_ms(const char *dist, double j, sb_nfq_rng *r)
{
    if (j <= 0) return 0;
    if (!strcmp(dist, "normal")) return j * normal01(r);
    if (!strcmp(dist, "pareto")) return j * pareto01(r);
    if (!strcmp(dist, "paretonormal")) {
        /* iproute2 paretonormal: a quarter normal, three quarters pareto; rescaled to sd 1 */
        double n = normal01(r), p = pareto01(r);
        return j * (0.25 * n + 0.75 * p) / sqrt(0.625);
    }
    return j * (2.0 * sb_nfq_rng_unit(r) - 1.0); /* uniform, tc-netem's default */
}

void sb_nfq_dir_init(sb_nfq_dir *d, const sb_link_dir *cfg, uint64_t seed, int dir)
{
    memset(d, 0, sizeof *d);
    d->cfg = *cfg;
    /* distinct streams: (seed, direction, purpose) mixed before splitmix expands them */
    sb_nfq_rng_seed(&d->loss_rng, seed ^ (0x6c6f7373ULL + 0x100000000ULL * (uint64_t)(2 * dir)));
    sb_nfq_rng_seed(&d->jitter_rng, seed ^ (0x6a697474ULL + 0x100000000ULL * (uint64_t)(2 * dir + 1)));
}

static int lost(sb_nfq_dir *d)
{
    const sb_link_dir *c = &d->cfg;
    if (c->ge_p > 0) {
        double u_loss = sb_nfq_rng_unit(&d->loss_rng);
        double u_move = sb_nfq_rng_unit(&d->loss_rng);
        int drop = u_loss * 100.0 < (d->ge_bad ? c->ge_loss_bad : c->ge_loss_good);
        if (d->ge_bad ? u_move * 100.0 < c->ge_r : u_move * 100.0 < c->ge_p) d->ge_bad = !d->ge_bad;
        return drop;
    }
    if (c->loss_pct <= 0) return 0;
    return sb_nfq_rng_unit(&d->loss_rng) * 100.0 < c->loss_pct;
}

int sb_nfq_decide(sb_nfq_dir *d, int64_t arrival_ns, size_t link_bytes, int64_t *release_ns)
{
    if (lost(d)) {
        d->dropped++;
        return 0;
    }
    int64_t start = arrival_ns > d->link_free_ns ? arrival_ns : d->link_free_ns;
    int64_t ser = 0;
    if (d->cfg.rate_kbit > 0) ser = llround((double)link_bytes * 8e6 / d->cfg.rate_kbit);
    d->link_free_ns = start + ser;
    double delay_ms = d->cfg.delay_ms + sb_nfq_jitter_ms(d->cfg.jitter_dist, d->cfg.jitter_ms,
                                                         &d->jitter_rng);
    if (delay_ms < 0) delay_ms = 0;
    *release_ns = d->link_free_ns + llround(delay_ms * 1e6);
    d->passed++;
    return 1;
}

size_t sb_nfq_link_bytes(const uint8_t *pkt, size_t caplen, int lowpan)
{
    if (caplen < 1) return 0;
    int v = pkt[0] >> 4;
    if (v == 4) return caplen >= 4 ? (size_t)(pkt[2] << 8 | pkt[3]) : 0;
    if (v != 6 || caplen < 40) return 0;
    size_t len = 40 + (size_t)(pkt[4] << 8 | pkt[5]);
    if (lowpan) {
        sb_lowpan_ota o;
        uint16_t sport = 0, dport = 0;
        if (pkt[6] == 17 && caplen >= 44) {
            sport = (uint16_t)(pkt[40] << 8 | pkt[41]);
            dport = (uint16_t)(pkt[42] << 8 | pkt[43]);
        }
        if (sb_lowpan_size(len, pkt[6], sport, dport, &o) == SB_OK) return o.air_bytes;
    }
    return len;
}

/* ---- heap of held packets ---- */

int sb_nfq_heap_init(sb_nfq_heap *h, size_t cap)
{
    memset(h, 0, sizeof *h);
    h->v = calloc(cap ? cap : 1, sizeof *h->v);
    if (!h->v) return SB_ENOMEM;
    h->cap = cap;
    return SB_OK;
}

void sb_nfq_heap_free(sb_nfq_heap *h)
{
    free(h->v);
    h->v = NULL;
    h->n = h->cap = 0;
}

static int before(const sb_nfq_item *a, const sb_nfq_item *b)
{
    return a->release_ns < b->release_ns || (a->release_ns == b->release_ns && a->seq < b->seq);
}

int sb_nfq_heap_push(sb_nfq_heap *h, int64_t release_ns, uint32_t id, int dir)
{
    if (h->n == h->cap) return SB_ESPACE;
    size_t i = h->n++;
    sb_nfq_item it = {release_ns, h->seq++, id, dir};
    while (i && before(&it, &h->v[(i - 1) / 2])) {
        h->v[i] = h->v[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h->v[i] = it;
    return SB_OK;
}

int sb_nfq_heap_pop(sb_nfq_heap *h, sb_nfq_item *out)
{
    if (!h->n) return 0;
    *out = h->v[0];
    sb_nfq_item last = h->v[--h->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n) break;
        if (c + 1 < h->n && before(&h->v[c + 1], &h->v[c])) c++;
        if (!before(&h->v[c], &last)) break;
        h->v[i] = h->v[c];
        i = c;
    }
    if (h->n) h->v[i] = last;
    return 1;
}

/* ---- netlink I/O ---- */

/* Per direction as tc netem's default limit: beyond it a packet is tail-dropped. */
#define HOLD_LIMIT 1000
#define COPY_BYTES 128 /* headers only: link bytes come from the IP length field */

typedef struct loop {
    struct nfq_q_handle *q[2];
    sb_nfq_dir dir[2];
    sb_nfq_heap heap;
    int lowpan;
    size_t held[2];
    uint64_t overflow[2];
    int64_t late_max_ns; /* worst verdict lateness, for the exit summary */
} loop;

static int on_packet(struct nfq_q_handle *qh, struct nfgenmsg *msg, struct nfq_data *nfa, void *arg)
{
    loop *L = arg;
    int d = qh == L->q[SB_NFQ_UP] ? SB_NFQ_UP : SB_NFQ_DOWN;
    struct nfqnl_msg_packet_hdr *ph = nfq_get_msg_packet_hdr(nfa);
    if (!ph) return 0;
    uint32_t id = ntohl(ph->packet_id);
    unsigned char *data = NULL;
    int n = nfq_get_payload(nfa, &data);
    size_t bytes = n > 0 ? sb_nfq_link_bytes(data, (size_t)n, L->lowpan) : 0;
    if (!bytes && n > 0) bytes = (size_t)n;
    if (L->held[d] >= HOLD_LIMIT) { /* full queue: tail drop, no link time, no loss draw */
        L->overflow[d]++;
        return nfq_set_verdict(qh, id, NF_DROP, 0, NULL);
    }
    int64_t release;
    if (!sb_nfq_decide(&L->dir[d], sb_now_ns(), bytes, &release))
        return nfq_set_verdict(qh, id, NF_DROP, 0, NULL);
    sb_nfq_heap_push(&L->heap, release, id, d); /* room: 2 x HOLD_LIMIT */
    L->held[d]++;
    return 0;
}

static void release_due(loop *L)
{
    int64_t now = sb_now_ns();
    while (L->heap.n && L->heap.v[0].release_ns <= now) {
        sb_nfq_item it;
        sb_nfq_heap_pop(&L->heap, &it);
        L->held[it.dir]--;
        if (now - it.release_ns > L->late_max_ns) L->late_max_ns = now - it.release_ns;
        nfq_set_verdict(L->q[it.dir], it.id, NF_ACCEPT, 0, NULL);
    }
}

static void say(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(int fd, const char *fmt, ...)
{
    if (fd < 0) return;
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof buf - 1) n = sizeof buf - 1;
    if (write(fd, buf, (size_t)n) < 0) {}
}

static struct nfq_q_handle *bind_queue(struct nfq_handle *h, unsigned num, loop *L)
{
    struct nfq_q_handle *q = nfq_create_queue(h, (uint16_t)num, on_packet, L);
    if (!q) return NULL;
    if (nfq_set_mode(q, NFQNL_COPY_PACKET, COPY_BYTES) < 0) return NULL;
    nfq_set_queue_maxlen(q, 2 * HOLD_LIMIT);
    return q;
}

int sb_nfq_run(const sb_profile *p, unsigned qup, unsigned qdown, uint64_t seed, int ready_fd,
               int life_fd)
{
    loop L;
    memset(&L, 0, sizeof L);
    L.lowpan = p->lowpan;
    sb_nfq_dir_init(&L.dir[SB_NFQ_UP], &p->up, seed, SB_NFQ_UP);
    sb_nfq_dir_init(&L.dir[SB_NFQ_DOWN], &p->down, seed, SB_NFQ_DOWN);
    if (sb_nfq_heap_init(&L.heap, 2 * HOLD_LIMIT) != SB_OK) {
        say(ready_fd, "error: out of memory\n");
        return 1;
    }
    /* Timers as tight as the kernel allows: the default 50 us slack would show in the delay. */
    prctl(PR_SET_TIMERSLACK, 1UL);
    /* Under load a descheduled emulator turns its stall into queueing in the model (arrival =
     * when we read the packet): a real-time priority keeps it on time where we may have one
     * (root; refused in a user namespace, which then runs at normal priority). */
    struct sched_param sp = {.sched_priority = 10};
    sched_setscheduler(0, SCHED_FIFO, &sp);
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGHUP);
    sigprocmask(SIG_BLOCK, &sigs, NULL);
    int sfd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);

    struct nfq_handle *h = nfq_open();
    if (!h) {
        say(ready_fd, "error: cannot open nfnetlink_queue (%s): needs CAP_NET_ADMIN in the "
                      "namespace and the nfnetlink_queue module\n", strerror(errno));
        sb_nfq_heap_free(&L.heap);
        return 1;
    }
    L.q[SB_NFQ_UP] = bind_queue(h, qup, &L);
    L.q[SB_NFQ_DOWN] = L.q[SB_NFQ_UP] ? bind_queue(h, qdown, &L) : NULL;
    if (!L.q[SB_NFQ_UP] || !L.q[SB_NFQ_DOWN]) {
        say(ready_fd, "error: cannot bind NFQUEUE %u/%u (%s)%s\n", qup, qdown, strerror(errno),
            errno == EPERM ? ": needs CAP_NET_ADMIN in the host's user namespace" : "");
        nfq_close(h);
        sb_nfq_heap_free(&L.heap);
        return 1;
    }
    int fd = nfq_fd(h);
    int rcvbuf = 8 << 20, one = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) != 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    /* a burst overrunning the socket must not stop the loop: lost packets are dropped anyway */
    setsockopt(fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &one, sizeof one);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    enum { BUFSZ = 1 << 16 };
    char *buf = malloc(BUFSZ);
    if (!buf) {
        say(ready_fd, "error: out of memory\n");
        nfq_close(h);
        sb_nfq_heap_free(&L.heap);
        return 1;
    }
    say(ready_fd, "ready\n");
    int status = 0;
    for (;;) {
        release_due(&L);
        struct timespec ts, *tp = NULL;
        if (L.heap.n) {
            int64_t wait = L.heap.v[0].release_ns - sb_now_ns();
            if (wait < 0) wait = 0;
            ts.tv_sec = wait / SB_NS_PER_S;
            ts.tv_nsec = wait % SB_NS_PER_S;
            tp = &ts;
        }
        struct pollfd pf[3] = {{fd, POLLIN, 0}, {sfd, POLLIN, 0}, {life_fd, POLLIN, 0}};
        int r = ppoll(pf, life_fd >= 0 ? 3 : 2, tp, NULL);
        if (r < 0 && errno != EINTR) {
            status = 1;
            break;
        }
        if (r <= 0) continue;
        if (pf[1].revents || (life_fd >= 0 && pf[2].revents)) break;
        if (pf[0].revents & POLLIN) {
            ssize_t n;
            while ((n = recv(fd, buf, BUFSZ, MSG_DONTWAIT)) > 0) nfq_handle_packet(h, buf, (int)n);
        }
    }
    if (getenv("SECBENCH_NFQ_STATS"))
        fprintf(stderr,
                "nfq: up passed %llu lost %llu overflow %llu; down passed %llu lost %llu "
                "overflow %llu; worst verdict lateness %.3f ms\n",
                (unsigned long long)L.dir[0].passed, (unsigned long long)L.dir[0].dropped,
                (unsigned long long)L.overflow[0], (unsigned long long)L.dir[1].passed,
                (unsigned long long)L.dir[1].dropped, (unsigned long long)L.overflow[1],
                L.late_max_ns / 1e6);
    /* held packets are dropped by the kernel when the queues go away: packets stop, never pass
     * unemulated */
    nfq_destroy_queue(L.q[0]);
    nfq_destroy_queue(L.q[1]);
    nfq_close(h);
    free(buf);
    if (sfd >= 0) close(sfd);
    sb_nfq_heap_free(&L.heap);
    return status;
}

/* ---- stand-alone entry (`secbench __nfq`) ---- */

int sb_nfq_main(int argc, char **argv)
{
    const char *prof = "ideal";
    double delay = -1, jitter = -1, loss = -1, rate = -1;
    uint64_t seed = 1, qup = 100, qdown = 101;
    for (int i = 1; i < argc; i += 2) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int bad = !v;
        if (!v) {
        } else if (!strcmp(a, "--profile")) prof = v;
        else if (!strcmp(a, "--seed")) bad = sb_parse_u64(v, UINT64_MAX, &seed);
        else if (!strcmp(a, "--up-queue")) bad = sb_parse_u64(v, 65535, &qup);
        else if (!strcmp(a, "--down-queue")) bad = sb_parse_u64(v, 65535, &qdown);
        else if (!strcmp(a, "--delay")) bad = sb_parse_double(v, 0, 3600e3, &delay);
        else if (!strcmp(a, "--jitter")) bad = sb_parse_double(v, 0, 3600e3, &jitter);
        else if (!strcmp(a, "--loss")) bad = sb_parse_double(v, 0, 100, &loss);
        else if (!strcmp(a, "--rate")) bad = sb_parse_double(v, 0, 100e6, &rate);
        else bad = 1;
        if (bad) {
            fprintf(stderr, "%s: bad argument '%s'\nusage: %s --profile P --up-queue N "
                            "--down-queue N [--seed N] [--delay MS] [--jitter MS] [--loss PCT] "
                            "[--rate KBIT]\n", argv[0], a, argv[0]);
            return 2;
        }
    }
    sb_profile p;
    char err[512];
    if (sb_profile_load(prof, &p, err, sizeof err) != SB_OK) {
        fprintf(stderr, "%s: %s\n", argv[0], err);
        return 2;
    }
    sb_profile_override(&p, delay, jitter, loss, rate);
    return sb_nfq_run(&p, (unsigned)qup, (unsigned)qdown, seed, STDOUT_FILENO, -1);
}

/* ---- the back end behind emu.h ---- */

struct sb_emu_nfq {
    sb_testbed *tb;
    int host;
    char port_in_up[16], port_in_down[16]; /* bridge ports the two directions enter by */
    unsigned qup, qdown;
    pid_t pid;
    int life_fd; /* our end: closing it tells the emulator to stop */
    int rules;
};

/* One shell in the link namespace for all four rules (one fork instead of four). Bridged
 * frames pass FORWARD (br_netfilter); the port a frame came in by gives its direction. */
static int rules(sb_emu_nfq *e, int add, char *out, size_t cap)
{
    char script[1024];
    const char *op = add ? "-A" : "-D";
    snprintf(script, sizeof script,
             "for t in iptables ip6tables; do "
             "$t -w -t mangle %s FORWARD -m physdev --physdev-in %s -j NFQUEUE --queue-num %u %s "
             "$t -w -t mangle %s FORWARD -m physdev --physdev-in %s -j NFQUEUE --queue-num %u %s "
             "done %s",
             op, e->port_in_up, e->qup, add ? "|| exit 1;" : ";", op, e->port_in_down, e->qdown,
             add ? "|| exit 1;" : ";", add ? "2>&1" : ">/dev/null 2>&1; true");
    char *argv[] = {"sh", "-c", script, NULL};
    return sb_testbed_run(e->tb, e->host, argv, out, cap);
}

static int read_line(int fd, char *buf, size_t cap, int timeout_ms)
{
    size_t n = 0;
    int64_t deadline = sb_now_ns() + (int64_t)timeout_ms * SB_NS_PER_MS;
    while (n + 1 < cap) {
        struct pollfd pf = {fd, POLLIN, 0};
        int r = poll(&pf, 1, sb_ms_left(deadline));
        if (r == 0) return SB_ETIMEOUT;
        if (r < 0) {
            if (errno == EINTR) continue;
            return SB_EIO;
        }
        ssize_t k = read(fd, buf + n, 1);
        if (k <= 0) break;
        if (buf[n] == '\n') break;
        n++;
    }
    buf[n] = '\0';
    return n ? SB_OK : SB_EIO;
}

void sb_emu_nfq_stop(sb_emu_nfq *e)
{
    if (!e) return;
    if (e->rules) rules(e, 0, NULL, 0);
    if (e->life_fd >= 0) close(e->life_fd);
    if (e->pid > 0) {
        kill(e->pid, SIGTERM);
        int64_t deadline = sb_now_ns() + SB_NS_PER_S;
        int st;
        while (waitpid(e->pid, &st, WNOHANG) == 0) {
            if (sb_now_ns() > deadline) {
                kill(e->pid, SIGKILL);
                waitpid(e->pid, &st, 0);
                break;
            }
            usleep(1000);
        }
    }
    free(e);
}

int sb_emu_nfq_start(sb_emu_nfq **out, sb_testbed *tb, int link, const sb_profile *p,
                     uint64_t seed, char *err, size_t cap)
{
    const char *pa = sb_testbed_port(tb, link, 0), *pb = sb_testbed_port(tb, link, 1);
    if (!pa || !pb) return sb_fail(err, cap, SB_EINVAL, "nfq: no link %d in the testbed", link);
    sb_emu_nfq *e = calloc(1, sizeof *e);
    if (!e) return SB_ENOMEM;
    e->tb = tb;
    e->host = SB_TB_LINK(link); /* packets in transit, in the link's own namespace */
    e->life_fd = -1;
    snprintf(e->port_in_up, sizeof e->port_in_up, "%s", pa);
    snprintf(e->port_in_down, sizeof e->port_in_down, "%s", pb);
    /* the link namespace holds only this link's emulator; numbers are per namespace anyway */
    e->qup = 100 + 2 * (unsigned)link;
    e->qdown = e->qup + 1;
    int ready[2], life[2];
    if (pipe2(ready, O_CLOEXEC) != 0) {
        free(e);
        return sb_fail(err, cap, SB_EIO, "nfq: pipe: %s", strerror(errno));
    }
    if (pipe2(life, O_CLOEXEC) != 0) {
        close(ready[0]);
        close(ready[1]);
        free(e);
        return sb_fail(err, cap, SB_EIO, "nfq: pipe: %s", strerror(errno));
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        /* The emulator dies with the driver (the kernel then drops the held packets). */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(1);
        for (int fd = 3; fd < 1024; fd++)
            if (fd != ready[1] && fd != life[0]) close(fd);
        if (sb_testbed_enter(tb, e->host) != SB_OK) {
            say(ready[1], "error: cannot enter link %d's network namespace\n", link);
            _exit(1);
        }
        _exit(sb_nfq_run(p, e->qup, e->qdown, seed, ready[1], life[0]));
    }
    close(ready[1]);
    close(life[0]);
    e->life_fd = life[1];
    if (pid < 0) {
        close(ready[0]);
        sb_emu_nfq_stop(e);
        return sb_fail(err, cap, SB_EIO, "nfq: fork: %s", strerror(errno));
    }
    e->pid = pid;
    char line[256];
    int rc = read_line(ready[0], line, sizeof line, 10000);
    close(ready[0]);
    if (rc != SB_OK || strcmp(line, "ready")) {
        sb_emu_nfq_stop(e);
        return sb_fail(err, cap, SB_EIO, "nfq emulator did not start: %s",
                       rc == SB_ETIMEOUT ? "no answer within 10 s"
                       : rc ? "it exited" : !strncmp(line, "error: ", 7) ? line + 7 : line);
    }
    char msg[1024] = "";
    rc = rules(e, 1, msg, sizeof msg);
    e->rules = 1; /* remove whatever part got installed */
    if (rc != 0) {
        msg[strcspn(msg, "\n")] = '\0';
        sb_emu_nfq_stop(e);
        return sb_fail(err, cap, SB_EIO, "nfq: cannot install the NFQUEUE rules (iptables): %s",
                       msg[0] ? msg : "exit status non-zero");
    }
    *out = e;
    return SB_OK;
}
