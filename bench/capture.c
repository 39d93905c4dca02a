/* capture.c: libpcap capture on a testbed link, frame decoding, and the traffic analysis.
 * Header layouts: IPv4 RFC 791 §3.1, IPv6 RFC 8200 §3-4, UDP RFC 768, TCP RFC 9293 §3.1,
 * Linux cooked headers per https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL{,2}.html. */
#include "capture.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdio.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

/* ---------------------------------------------------------------- frame decoding */

typedef struct addr_key {
    int family; /* AF_INET6 or AF_INET */
    uint8_t a[16];
} addr_key;

static int parse_addr(const char *text, addr_key *k)
{
    memset(k, 0, sizeof *k);
    if (!text) return SB_EINVAL;
    if (inet_pton(AF_INET6, text, k->a) == 1) {
        k->family = AF_INET6;
        return SB_OK;
    }
    if (inet_pton(AF_INET, text, k->a) == 1) {
        k->family = AF_INET;
        return SB_OK;
    }
    return SB_EINVAL;
}

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

enum { FRAME_KEEP = 1, FRAME_IGNORE = 0, FRAME_UNPARSED = -1, FRAME_TRUNCATED = 2 };

static int link_supported(int dlt)
{
    switch (dlt) {
    case DLT_EN10MB: case DLT_RAW: case DLT_IPV4: case DLT_IPV6: case DLT_LINUX_SLL:
    case DLT_LINUX_SLL2: return 1;
    default: return 0;
    }
}

/* Offset of the IP header in a frame of link type dlt, or -1 (not IP: ignored). */
static long ip_offset(int dlt, const uint8_t *d, size_t caplen)
{
    size_t off, type_at;
    switch (dlt) {
    case DLT_RAW: case DLT_IPV4: case DLT_IPV6: return 0;
    case DLT_LINUX_SLL: off = 16; type_at = 14; break;
    case DLT_LINUX_SLL2: off = 20; type_at = 0; break;
    case DLT_EN10MB: off = 14; type_at = 12; break;
    default: return -1;
    }
    if (caplen < off) return -1;
    uint16_t type = rd16(d + type_at);
    /* 802.1Q / 802.1ad tags (IEEE 802.1Q §9.3): 4 bytes each, type follows. */
    while (dlt == DLT_EN10MB && (type == 0x8100 || type == 0x88a8)) {
        if (caplen < off + 4) return -1;
        type = rd16(d + off + 2);
        off += 4;
    }
    return type == 0x0800 || type == 0x86dd ? (long)off : -1;
}

/* IPv6 extension headers (RFC 8200 §4): skip Hop-by-Hop, Routing, Destination Options, AH
 * and atomic fragments; a real fragment cannot be decoded alone. *hdr grows by each one. */
static int skip_ipv6_ext(const uint8_t *ip, size_t avail, size_t plen, uint8_t *nh, size_t *hdr)
{
    for (;;) {
        size_t len;
        switch (*nh) {
        case 0: case 43: case 60:
            if (avail < *hdr + 2) return FRAME_UNPARSED;
            len = ((size_t)ip[*hdr + 1] + 1) * 8;
            break;
        case 51: /* AH: length in 4-octet units minus 2 (RFC 4302 §2.2) */
            if (avail < *hdr + 2) return FRAME_UNPARSED;
            len = ((size_t)ip[*hdr + 1] + 2) * 4;
            break;
        case 44:
            if (avail < *hdr + 8) return FRAME_UNPARSED;
            if (rd16(ip + *hdr + 2) != 0) return FRAME_UNPARSED; /* offset or M flag set */
            len = 8;
            break;
        default: return FRAME_KEEP;
        }
        if (*hdr + len > 40 + plen || avail < *hdr + len) return FRAME_UNPARSED;
        *nh = ip[*hdr];
        *hdr += len;
    }
}

/* Decode one captured frame into *pk. FRAME_KEEP (or FRAME_TRUNCATED: kept, UDP payload not
 * whole), FRAME_IGNORE (not TCP/UDP over IP), FRAME_UNPARSED. */
static int decode_frame(int dlt, const uint8_t *d, size_t caplen, int64_t ts_ns,
                        const addr_key *client, sb_pkt *pk)
{
    long o = ip_offset(dlt, d, caplen);
    if (o < 0) return FRAME_IGNORE;
    const uint8_t *ip = d + o;
    size_t avail = caplen - (size_t)o, hdr, ip_len;
    uint8_t nh;
    int src_is_client;
    if (avail < 1) return FRAME_UNPARSED;
    if (ip[0] >> 4 == 4) {
        if (avail < 20) return FRAME_UNPARSED;
        hdr = (size_t)(ip[0] & 15) * 4;
        ip_len = rd16(ip + 2);
        if (hdr < 20 || ip_len < hdr || avail < hdr) return FRAME_UNPARSED;
        if (rd16(ip + 6) & 0x3fff) return FRAME_UNPARSED; /* fragment (offset or MF) */
        nh = ip[9];
        src_is_client = client->family == AF_INET && memcmp(ip + 12, client->a, 4) == 0;
    } else if (ip[0] >> 4 == 6) {
        if (avail < 40) return FRAME_UNPARSED;
        size_t plen = rd16(ip + 4);
        if (plen == 0) return FRAME_UNPARSED; /* jumbogram (RFC 2675) */
        hdr = 40;
        ip_len = 40 + plen;
        nh = ip[6];
        int r = skip_ipv6_ext(ip, avail, plen, &nh, &hdr);
        if (r != FRAME_KEEP) return r;
        src_is_client = client->family == AF_INET6 && memcmp(ip + 8, client->a, 16) == 0;
    } else {
        return FRAME_UNPARSED;
    }
    if (nh != 6 && nh != 17) return FRAME_IGNORE;

    memset(pk, 0, sizeof *pk);
    pk->ts_ns = ts_ns;
    pk->dir = src_is_client ? 0 : 1;
    pk->proto = nh;
    pk->ip_len = (uint32_t)ip_len;
    pk->ip_hdr = (uint16_t)hdr;
    const uint8_t *l4 = ip + hdr;
    size_t l4avail = avail - hdr;
    if (nh == 17) {
        if (ip_len < hdr + 8 || l4avail < 8) return FRAME_UNPARSED;
        pk->l4_hdr = 8;
        pk->sport = rd16(l4);
        pk->dport = rd16(l4 + 2);
        pk->payload_len = (uint32_t)(ip_len - hdr - 8);
        if (rd16(l4 + 4) != 8 + pk->payload_len) return FRAME_UNPARSED;
        if (l4avail < 8 + (size_t)pk->payload_len) return FRAME_TRUNCATED;
        pk->hash = sb_fnv64(l4 + 8, pk->payload_len);
        return FRAME_KEEP;
    }
    if (ip_len < hdr + 20 || l4avail < 20) return FRAME_UNPARSED;
    size_t thl = (size_t)(l4[12] >> 4) * 4;
    if (thl < 20 || ip_len < hdr + thl) return FRAME_UNPARSED;
    pk->l4_hdr = (uint16_t)thl;
    pk->sport = rd16(l4);
    pk->dport = rd16(l4 + 2);
    pk->seq = rd32(l4 + 4);
    pk->ack = rd32(l4 + 8);
    pk->flags = l4[13];
    pk->payload_len = (uint32_t)(ip_len - hdr - thl);
    return FRAME_KEEP;
}

typedef struct pkt_vec {
    sb_pkt *v;
    size_t n, cap;
} pkt_vec;

static int vec_push(pkt_vec *pv, const sb_pkt *pk)
{
    if (sb_grow(&pv->v, &pv->cap, pv->n, sizeof *pv->v, 256)) return SB_ENOMEM;
    pv->v[pv->n++] = *pk;
    return SB_OK;
}

/* Decode a frame and keep it; updates the counters. SB_ENOMEM is the only failure. */
static int take_frame(int dlt, int nano, const struct pcap_pkthdr *h, const uint8_t *d,
                      const addr_key *client, pkt_vec *pv, sb_capture_stats *st)
{
    int64_t ts = (int64_t)h->ts.tv_sec * SB_NS_PER_S + (int64_t)h->ts.tv_usec * (nano ? 1 : 1000);
    sb_pkt pk;
    st->frames++;
    int r = decode_frame(dlt, d, h->caplen, ts, client, &pk);
    if (r == FRAME_UNPARSED) st->unparsed++;
    if (r != FRAME_KEEP && r != FRAME_TRUNCATED) return SB_OK;
    if (r == FRAME_TRUNCATED) st->truncated++;
    st->kept++;
    return vec_push(pv, &pk);
}

/* ---------------------------------------------------------------- live capture */

struct sb_capture {
    pcap_t *p;
    pcap_dumper_t *dumper;
    int dlt, nano;
    addr_key client;
    pthread_t thread;
    int thread_running, stopped, result;
    int stop_flag;     /* atomic: set by sb_capture_stop */
    int64_t last_ns;   /* atomic: sb_now_ns() of the latest frame */
    pkt_vec pkts;      /* touched only by the thread until it is joined */
    sb_capture_stats st;
    int thread_err;
    char err[256];
};

static void on_frame(u_char *user, const struct pcap_pkthdr *h, const u_char *d)
{
    sb_capture *c = (sb_capture *)user;
    __atomic_store_n(&c->last_ns, sb_now_ns(), __ATOMIC_RELAXED);
    if (c->dumper) pcap_dump((u_char *)c->dumper, h, d);
    if (c->thread_err) return;
    if (take_frame(c->dlt, c->nano, h, d, &c->client, &c->pkts, &c->st) != SB_OK) {
        c->thread_err = SB_ENOMEM;
        snprintf(c->err, sizeof c->err, "capture: out of memory after %zu packets", c->pkts.n);
    }
}

static void *capture_thread(void *arg)
{
    sb_capture *c = arg;
    int fd = pcap_get_selectable_fd(c->p);
    while (!__atomic_load_n(&c->stop_flag, __ATOMIC_ACQUIRE)) {
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        /* Short timeout: the stop flag is noticed within 10 ms. */
        if (poll(&pf, 1, 10) < 0 && errno != EINTR) {
            snprintf(c->err, sizeof c->err, "capture: poll: %s", strerror(errno));
            c->thread_err = SB_EIO;
            return NULL;
        }
        if (pcap_dispatch(c->p, -1, on_frame, (u_char *)c) < 0) {
            snprintf(c->err, sizeof c->err, "capture: %s", pcap_geterr(c->p));
            c->thread_err = SB_EIO;
            return NULL;
        }
    }
    /* Whatever is still in the ring buffer belongs to the run. */
    while (pcap_dispatch(c->p, -1, on_frame, (u_char *)c) > 0) {}
    return NULL;
}

/* Unbuffered: the harness forks role processes while we capture, and a child that exits
 * through exit() would flush a copy of a stdio buffer into the file a second time. */
static int open_dumper(sb_capture *c, const char *path, char *err, size_t cap)
{
    FILE *f = fopen(path, "wbe");
    if (!f) return sb_fail(err, cap, SB_EIO, "pcap file %s: %s", path, strerror(errno));
    setvbuf(f, NULL, _IONBF, 0);
    c->dumper = pcap_dump_fopen(c->p, f);
    if (!c->dumper) {
        fclose(f);
        return sb_fail(err, cap, SB_EIO, "pcap file %s: %s", path, pcap_geterr(c->p));
    }
    return SB_OK;
}

/* Open and activate the handle in the current namespace. */
static int open_handle(sb_capture *c, const char *ifname, const char *filter,
                       const char *pcap_path, char *err, size_t cap)
{
    char ebuf[PCAP_ERRBUF_SIZE] = "";
    c->p = pcap_create(ifname, ebuf);
    if (!c->p) return sb_fail(err, cap, SB_EIO, "pcap_create %s: %s", ifname, ebuf);
    /* 65535: every UDP payload is whole, so its hash matches the sender's mark. */
    pcap_set_snaplen(c->p, 65535);
    pcap_set_promisc(c->p, 0);
    pcap_set_immediate_mode(c->p, 1);
    pcap_set_buffer_size(c->p, 8 << 20);
    c->nano = pcap_set_tstamp_precision(c->p, PCAP_TSTAMP_PRECISION_NANO) == 0;
    int r = pcap_activate(c->p);
    if (r < 0) {
        const char *why = r == PCAP_ERROR || r == PCAP_ERROR_NO_SUCH_DEVICE ||
                                  r == PCAP_ERROR_PERM_DENIED
                              ? pcap_geterr(c->p)
                              : pcap_statustostr(r);
        return sb_fail(err, cap, SB_EIO, "pcap_activate %s: %s", ifname, why);
    }
    c->dlt = pcap_datalink(c->p);
    if (!link_supported(c->dlt))
        return sb_fail(err, cap, SB_EUNSUP, "capture on %s: link type %s not supported", ifname,
                       pcap_datalink_val_to_name(c->dlt));
    struct bpf_program prog;
    const char *f = filter ? filter : "tcp or udp";
    if (pcap_compile(c->p, &prog, f, 1, PCAP_NETMASK_UNKNOWN) < 0)
        return sb_fail(err, cap, SB_EINVAL, "capture filter \"%s\": %s", f, pcap_geterr(c->p));
    r = pcap_setfilter(c->p, &prog);
    pcap_freecode(&prog);
    if (r < 0) return sb_fail(err, cap, SB_EIO, "pcap_setfilter: %s", pcap_geterr(c->p));
    if (pcap_setnonblock(c->p, 1, ebuf) < 0)
        return sb_fail(err, cap, SB_EIO, "pcap_setnonblock: %s", ebuf);
    return pcap_path ? open_dumper(c, pcap_path, err, cap) : SB_OK;
}

typedef struct ns_target {
    const sb_testbed *tb;
    int host;
    const char *path;
} ns_target;

static int enter_ns(const ns_target *t, char *err, size_t cap)
{
    if (t->tb) {
        if (sb_testbed_enter(t->tb, t->host) != SB_OK)
            return sb_fail(err, cap, SB_EIO, "capture: cannot enter host %d: %s", t->host,
                           strerror(errno));
        return SB_OK;
    }
    int fd = open(t->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return sb_fail(err, cap, SB_EIO, "capture: %s: %s", t->path, strerror(errno));
    int r = setns(fd, CLONE_NEWNET);
    int e = errno;
    close(fd);
    if (r < 0) return sb_fail(err, cap, SB_EIO, "capture: setns %s: %s", t->path, strerror(e));
    return SB_OK;
}

typedef struct opener {
    const ns_target *t;
    sb_capture *c;
    const char *ifname, *filter, *pcap_path;
    int rc;
    char err[256];
} opener;

static void *open_in_ns(void *arg)
{
    opener *o = arg;
    o->rc = enter_ns(o->t, o->err, sizeof o->err);
    if (o->rc == SB_OK)
        o->rc = open_handle(o->c, o->ifname, o->filter, o->pcap_path, o->err, sizeof o->err);
    return NULL;
}

static int start(sb_capture **out, const ns_target *t, const char *ifname,
                 const char *client_addr, const char *filter, const char *pcap_path, char *err,
                 size_t cap)
{
    *out = NULL;
    if (!ifname) return sb_fail(err, cap, SB_EINVAL, "capture: no interface");
    sb_capture *c = calloc(1, sizeof *c);
    if (!c) return sb_fail(err, cap, SB_ENOMEM, "capture: out of memory");
    if (parse_addr(client_addr, &c->client) != SB_OK) {
        free(c);
        return sb_fail(err, cap, SB_EINVAL, "capture: bad client address \"%s\"",
                       client_addr ? client_addr : "(null)");
    }
    int r;
    if (t->tb || t->path) {
        /* Open the handle from a short-lived thread that enters the namespace and ends there:
         * the caller never moves, so no way back is needed (a user namespace could not go back
         * to the root one), and nothing else can end up in the wrong namespace. */
        opener op = {.t = t, .c = c, .ifname = ifname, .filter = filter, .pcap_path = pcap_path};
        pthread_t th;
        int e = pthread_create(&th, NULL, open_in_ns, &op);
        if (e) r = sb_fail(err, cap, SB_EIO, "capture: pthread_create: %s", strerror(e));
        else {
            pthread_join(th, NULL);
            r = op.rc;
            if (r) snprintf(err, cap, "%s", op.err);
        }
    } else {
        r = open_handle(c, ifname, filter, pcap_path, err, cap);
    }
    if (r == SB_OK) {
        __atomic_store_n(&c->last_ns, sb_now_ns(), __ATOMIC_RELAXED);
        int e = pthread_create(&c->thread, NULL, capture_thread, c);
        if (e) r = sb_fail(err, cap, SB_EIO, "capture: pthread_create: %s", strerror(e));
        else c->thread_running = 1;
    }
    if (r != SB_OK) {
        sb_capture_free(c);
        return r;
    }
    *out = c;
    return SB_OK;
}

int sb_capture_start(sb_capture **out, const sb_testbed *tb, int host, const char *ifname,
                     const char *client_addr, const char *filter, const char *pcap_path,
                     char *err, size_t cap)
{
    ns_target t = {.tb = tb, .host = host};
    return start(out, &t, ifname, client_addr, filter, pcap_path, err, cap);
}

int sb_capture_start_ns(sb_capture **out, const char *netns_path, const char *ifname,
                        const char *client_addr, const char *filter, const char *pcap_path,
                        char *err, size_t cap)
{
    ns_target t = {.path = netns_path};
    return start(out, &t, ifname, client_addr, filter, pcap_path, err, cap);
}

int sb_capture_stop(sb_capture *c, int drain_ms)
{
    if (c->stopped) return c->result;
    int64_t t0 = sb_now_ns(), drain = (int64_t)(drain_ms > 0 ? drain_ms : 0) * SB_NS_PER_MS;
    for (;;) {
        int64_t now = sb_now_ns(), last = __atomic_load_n(&c->last_ns, __ATOMIC_RELAXED);
        int64_t quiet_from = last > t0 ? last : t0;
        if (now - quiet_from >= drain || now - t0 >= 5 * drain) break;
        struct timespec ts = {0, 5 * SB_NS_PER_MS};
        nanosleep(&ts, NULL);
    }
    __atomic_store_n(&c->stop_flag, 1, __ATOMIC_RELEASE);
    if (c->thread_running) pthread_join(c->thread, NULL);
    c->thread_running = 0;
    c->stopped = 1;
    c->result = c->thread_err ? SB_EIO : SB_OK;
    if (c->dumper) {
        if (pcap_dump_flush(c->dumper) < 0 && !c->result) {
            snprintf(c->err, sizeof c->err, "capture: writing the pcap file failed");
            c->result = SB_EIO;
        }
        pcap_dump_close(c->dumper);
        c->dumper = NULL;
    }
    struct pcap_stat ps;
    if (pcap_stats(c->p, &ps) == 0) {
        c->st.dropped = ps.ps_drop;
        if (ps.ps_drop && !c->result) {
            snprintf(c->err, sizeof c->err, "capture lost %u frames (kernel buffer full)",
                     ps.ps_drop);
            c->result = SB_EIO;
        }
    }
    return c->result;
}

const char *sb_capture_error(const sb_capture *c) { return c->err; }

size_t sb_capture_packets(const sb_capture *c, const sb_pkt **pkts)
{
    *pkts = c->pkts.v;
    return c->pkts.n;
}

void sb_capture_stats_get(const sb_capture *c, sb_capture_stats *st) { *st = c->st; }

void sb_capture_free(sb_capture *c)
{
    if (!c) return;
    if (c->thread_running) sb_capture_stop(c, 0);
    if (c->dumper) pcap_dump_close(c->dumper);
    if (c->p) pcap_close(c->p);
    free(c->pkts.v);
    free(c);
}

int sb_capture_load(const char *path, const char *client_addr, sb_pkt **pkts, size_t *n,
                    sb_capture_stats *st, char *err, size_t cap)
{
    *pkts = NULL;
    *n = 0;
    addr_key client;
    if (parse_addr(client_addr, &client) != SB_OK)
        return sb_fail(err, cap, SB_EINVAL, "bad client address \"%s\"",
                       client_addr ? client_addr : "(null)");
    char ebuf[PCAP_ERRBUF_SIZE] = "";
    pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, ebuf);
    if (!p) return sb_fail(err, cap, SB_EIO, "pcap %s: %s", path, ebuf);
    int dlt = pcap_datalink(p), r = SB_OK;
    sb_capture_stats s = {0};
    pkt_vec pv = {0};
    if (!link_supported(dlt)) {
        r = sb_fail(err, cap, SB_EUNSUP, "pcap %s: link type %s not supported", path,
                    pcap_datalink_val_to_name(dlt));
    } else {
        struct pcap_pkthdr *h;
        const u_char *d;
        int k = 0;
        while (r == SB_OK && (k = pcap_next_ex(p, &h, &d)) == 1)
            if (take_frame(dlt, 1, h, d, &client, &pv, &s) != SB_OK)
                r = sb_fail(err, cap, SB_ENOMEM, "pcap %s: out of memory", path);
        if (r == SB_OK && k == PCAP_ERROR)
            r = sb_fail(err, cap, SB_EPROTO, "pcap %s: %s", path, pcap_geterr(p));
    }
    pcap_close(p);
    if (r != SB_OK) {
        free(pv.v);
        return r;
    }
    if (st) *st = s;
    *pkts = pv.v;
    *n = pv.n;
    return SB_OK;
}

/* ---------------------------------------------------------------- analysis */

enum { UNCL = 3 }; /* index after the three phases: bytes no mark explains */

/* Per-direction TCP state of one connection (client port, server port). */
typedef struct tcp_conn {
    uint16_t cport, sport;
    uint8_t isn_ok[2], fin[2];
    uint32_t isn[2];
    uint64_t fin_off[2]; /* stream offset the FIN occupies */
} tcp_conn;

typedef struct pkt_class {
    int hdr;          /* phase of the header bytes (or UNCL) */
    uint32_t pay[4];  /* payload bytes per phase, [UNCL] unexplained */
} pkt_class;

static int mark_phase(const sb_mark *m) { return m->phase <= SB_PHASE_TEARDOWN ? m->phase : UNCL; }

/* Split stream bytes [off, off+len) over marks; returns the phase of the first byte. The
 * first mark containing a byte wins, so overlapping marks cannot count a byte twice. */
static int split_stream(const sb_endpoint_marks *em, uint64_t off, uint64_t len, uint32_t pay[4])
{
    uint64_t pos = off, end = off + len;
    int first = -1;
    while (pos < end) {
        int ph = UNCL;
        uint64_t stop = end;
        for (size_t i = 0; em && i < em->n; i++) {
            const sb_mark *m = &em->marks[i];
            if (m->key <= pos && pos < m->key + m->len) {
                ph = mark_phase(m);
                stop = m->key + m->len < end ? m->key + m->len : end;
                break;
            }
            if (m->key > pos && m->key < stop) stop = m->key; /* gap ends at the next mark */
        }
        pay[ph] += (uint32_t)(stop - pos);
        if (first < 0) first = ph;
        pos = stop;
    }
    return first < 0 ? UNCL : first;
}

static int stream_phase_at(const sb_endpoint_marks *em, uint64_t off)
{
    uint32_t pay[4] = {0};
    return split_stream(em, off, 1, pay);
}

static tcp_conn *find_conn(tcp_conn **conns, size_t *n, size_t *cap, uint16_t cport,
                           uint16_t sport)
{
    for (size_t i = 0; i < *n; i++)
        if ((*conns)[i].cport == cport && (*conns)[i].sport == sport) return &(*conns)[i];
    if (sb_grow(conns, cap, *n, sizeof **conns, 4)) return NULL;
    tcp_conn *t = &(*conns)[(*n)++];
    memset(t, 0, sizeof *t);
    t->cport = cport;
    t->sport = sport;
    return t;
}

static void classify_udp(const sb_pkt *pk, const sb_endpoint_marks *snd, pkt_class *pc)
{
    int ph = UNCL;
    for (size_t i = 0; snd && i < snd->n; i++)
        if (snd->marks[i].key == pk->hash && snd->marks[i].len == pk->payload_len) {
            ph = mark_phase(&snd->marks[i]);
            break;
        }
    pc->hdr = ph;
    pc->pay[ph] = pk->payload_len;
}

static void classify_tcp(const sb_pkt *pk, tcp_conn *t, const sb_endpoint_marks *snd,
                         const sb_endpoint_marks *peer_marks, pkt_class *pc)
{
    int d = pk->dir, peer = !d;
    int syn = !!(pk->flags & SB_TCP_SYN);
    if (syn && (!t->isn_ok[d] || t->isn[d] != pk->seq)) {
        t->isn[d] = pk->seq; /* a new SYN (not a retransmission) starts a new stream */
        t->isn_ok[d] = 1;
        t->fin[d] = 0;
    }
    /* Stream offset of the first payload byte; a SYN occupies one sequence number. */
    uint64_t off = (uint32_t)(pk->seq + (uint32_t)syn - t->isn[d] - 1);
    if (pk->flags & SB_TCP_FIN && t->isn_ok[d]) {
        t->fin[d] = 1;
        t->fin_off[d] = off + pk->payload_len;
    }
    if (pk->payload_len) {
        if (!t->isn_ok[d]) {
            pc->hdr = UNCL;
            pc->pay[UNCL] = pk->payload_len;
        } else {
            pc->hdr = split_stream(snd, off, pk->payload_len, pc->pay);
        }
        return;
    }
    if (syn) {
        pc->hdr = SB_PHASE_HANDSHAKE;
    } else if (pk->flags & (SB_TCP_FIN | SB_TCP_RST)) {
        pc->hdr = SB_PHASE_TEARDOWN;
    } else if (!t->isn_ok[peer]) {
        pc->hdr = UNCL;
    } else {
        /* Pure ACK: the last byte it acknowledges is ack - 1, i.e. offset ack - ISN - 2. */
        int64_t last = (int64_t)(uint32_t)(pk->ack - t->isn[peer]) - 2;
        if (last < 0) pc->hdr = SB_PHASE_HANDSHAKE; /* acknowledges only the SYN */
        else if (t->fin[peer] && (uint64_t)last >= t->fin_off[peer]) pc->hdr = SB_PHASE_TEARDOWN;
        else pc->hdr = stream_phase_at(peer_marks, (uint64_t)last);
    }
}

/* Both endpoints name the measured connection by its client-side port. */
static int accepted(const sb_pkt *pk, const sb_endpoint_marks *client,
                    const sb_endpoint_marks *server)
{
    uint16_t cport = pk->dir == 0 ? pk->sport : pk->dport;
    if (client && client->port && cport != client->port) return 0;
    if (server && server->port && cport != server->port) return 0;
    return 1;
}

static void note_first(sb_first_msg *m, const sb_pkt *pk, const pkt_class *pc)
{
    if (m->found || !pc->pay[SB_PHASE_APP]) return;
    m->found = 1;
    m->ip_hdr = pk->ip_hdr;
    m->l4_hdr = pk->l4_hdr;
    m->payload = pc->pay[SB_PHASE_APP];
    m->other = pk->payload_len - pc->pay[SB_PHASE_APP];
}

static void count_bytes(sb_traffic *out, const sb_pkt *pk, int d, const pkt_class *pc)
{
    out->bytes[d] += pk->ip_len;
    out->packets[d]++;
    out->payload[d] += pk->payload_len;
    uint32_t hdr = pk->ip_len > pk->payload_len ? pk->ip_len - pk->payload_len : 0;
    if (pc->hdr == UNCL) out->unclassified_bytes += hdr;
    else out->phase_bytes[pc->hdr] += hdr;
    for (int p = 0; p < 3; p++) {
        out->phase_bytes[p] += pc->pay[p];
        out->phase_payload[p] += pc->pay[p];
    }
    out->unclassified_bytes += pc->pay[UNCL];
}

/* Flights: runs of handshake payload; only the other direction's handshake payload ends one
 * (ACKs, SYNs and application-only packets are transparent). */
static void count_flight(sb_traffic *out, int d, uint32_t hs)
{
    if (!hs || out->flights_overflow) return;
    sb_flight *f = out->nflights ? &out->flights[out->nflights - 1] : NULL;
    if (f && f->dir == d) {
        f->bytes += hs;
        f->packets++;
    } else if (out->nflights < SB_MAX_FLIGHTS) {
        out->flights[out->nflights++] = (sb_flight){.dir = (uint8_t)d, .bytes = hs, .packets = 1};
    } else {
        out->flights_overflow = 1;
    }
}

int sb_traffic_analyze(const sb_pkt *pkts, size_t n, const sb_endpoint_marks *client,
                       const sb_endpoint_marks *server, sb_traffic *out)
{
    memset(out, 0, sizeof *out);
    tcp_conn *conns = NULL;
    size_t nconns = 0, capconns = 0;
    int last_active_dir = -1;
    for (size_t i = 0; i < n; i++) {
        const sb_pkt *pk = &pkts[i];
        if (!accepted(pk, client, server)) continue;
        int d = pk->dir ? 1 : 0;
        const sb_endpoint_marks *snd = d == 0 ? client : server, *rcv = d == 0 ? server : client;
        pkt_class pc = {.hdr = UNCL};
        if (pk->proto == 17) {
            classify_udp(pk, snd, &pc);
        } else if (pk->proto == 6) {
            uint16_t cport = d == 0 ? pk->sport : pk->dport, sport = d == 0 ? pk->dport : pk->sport;
            tcp_conn *t = find_conn(&conns, &nconns, &capconns, cport, sport);
            if (!t) {
                free(conns);
                return SB_ENOMEM;
            }
            classify_tcp(pk, t, snd, rcv, &pc);
        } else {
            pc.pay[UNCL] = pk->payload_len;
        }
        count_bytes(out, pk, d, &pc);
        count_flight(out, d, pc.pay[SB_PHASE_HANDSHAKE]);
        /* Round trips: an active client run followed by an active server run. Teardown
         * bytes (FIN, RST, close_notify, their ACKs) are never active. */
        int active = (pk->proto == 6 && (pk->flags & SB_TCP_SYN)) ||
                     pc.pay[SB_PHASE_HANDSHAKE] + pc.pay[SB_PHASE_APP] + pc.pay[UNCL] > 0;
        if (active) {
            if (d == 1 && last_active_dir == 0) out->round_trips++;
            last_active_dir = d;
        }
        note_first(d == 0 ? &out->request : &out->response, pk, &pc);
    }
    free(conns);
    return SB_OK;
}
