#include "testbed.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../bench/util.h"

#define MAX_SPAWN 32

struct sb_testbed {
    int nhosts, ipv4;
    pid_t holder[SB_TB_MAX_HOSTS + SB_TB_MAX_HOSTS - 1]; /* hosts, then link namespaces */
    pid_t spawned[MAX_SPAWN];
    int nspawned;
    char addr[SB_TB_MAX_HOSTS - 1][2][48];
    char ifname[SB_TB_MAX_HOSTS - 1][2][16];
    char mac[SB_TB_MAX_HOSTS - 1][2][32];
    char port[SB_TB_MAX_HOSTS - 1][2][16]; /* bridge ports in the link namespace */
};

int sb_testbed_hosts(const sb_testbed *tb)
{
    return tb->nhosts;
}

pid_t sb_testbed_holder(const sb_testbed *tb, int host)
{
    if (host >= SB_TB_LINK(0) && host < SB_TB_LINK(tb->nhosts - 1))
        return tb->holder[SB_TB_MAX_HOSTS + host - SB_TB_LINK(0)];
    return host >= 0 && host < tb->nhosts ? tb->holder[host] : -1;
}

int sb_testbed_ipv4(const sb_testbed *tb)
{
    return tb->ipv4;
}

/* Link L joins host L (side 0) and host L+1 (side 1). */
static int side_of(int link, int host)
{
    return host == link ? 0 : host == link + 1 ? 1 : -1;
}

const char *sb_testbed_addr(const sb_testbed *tb, int link, int host)
{
    int s = side_of(link, host);
    return s < 0 || link >= tb->nhosts - 1 ? NULL : tb->addr[link][s];
}

const char *sb_testbed_port(const sb_testbed *tb, int link, int side)
{
    return link < 0 || link >= tb->nhosts - 1 || side < 0 || side > 1 ? NULL : tb->port[link][side];
}

const char *sb_testbed_ifname(const sb_testbed *tb, int link, int host)
{
    int s = side_of(link, host);
    return s < 0 || link >= tb->nhosts - 1 ? NULL : tb->ifname[link][s];
}

static int write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY);
    if (fd < 0) return -1;
    ssize_t n = write(fd, text, strlen(text));
    close(fd);
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

int sb_testbed_enter_userns(char *err, size_t cap)
{
    if (geteuid() == 0) return SB_OK;
    uid_t uid = geteuid();
    gid_t gid = getegid();
    if (unshare(CLONE_NEWUSER) != 0)
        return sb_fail(err, cap, SB_EUNSUP,
                       "not root and unprivileged user namespaces are unavailable (%s); run as "
                       "root or enable kernel.unprivileged_userns_clone",
                       strerror(errno));
    char map[64];
    snprintf(map, sizeof map, "0 %u 1", (unsigned)uid);
    if (write_file("/proc/self/uid_map", map) != 0 ||
        write_file("/proc/self/setgroups", "deny") != 0 ||
        (snprintf(map, sizeof map, "0 %u 1", (unsigned)gid), write_file("/proc/self/gid_map", map)) != 0)
        return sb_fail(err, cap, SB_EUNSUP, "cannot map user in the new user namespace: %s",
                       strerror(errno));
    return SB_OK;
}

/* A holder: its own network namespace, alive until the driver dies or kills it. */
static pid_t start_holder(char *err, size_t cap)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) return sb_fail(err, cap, SB_EIO, "pipe: %s", strerror(errno));
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) return sb_fail(err, cap, SB_EIO, "fork: %s", strerror(errno));
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(1);
        char ok = unshare(CLONE_NEWNET) == 0 ? 'y' : 'n';
        if (write(p[1], &ok, 1) != 1) _exit(1);
        for (;;) pause();
    }
    close(p[1]);
    char ok = 0;
    ssize_t n = read(p[0], &ok, 1);
    close(p[0]);
    if (n != 1 || ok != 'y') {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return sb_fail(err, cap, SB_EUNSUP,
                       "cannot create a network namespace (need root or a user namespace)");
    }
    return pid;
}

int sb_testbed_enter(const sb_testbed *tb, int host)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/ns/net", (int)sb_testbed_holder(tb, host));
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return SB_EIO;
    int rc = setns(fd, CLONE_NEWNET);
    close(fd);
    return rc == 0 ? SB_OK : SB_EIO;
}

/* Fork a child in host (host < 0: stay here) with stdout/stderr on out_fd (-1: /dev/null). */
static pid_t fork_in(const sb_testbed *tb, int host, int out_fd, const int *keep, int die_with_us)
{
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid != 0) return pid;
    if (die_with_us) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(127);
    }
    if (host >= 0 && sb_testbed_enter(tb, host) != SB_OK) _exit(126);
    int null = open("/dev/null", O_RDWR);
    dup2(null, 0);
    if (out_fd >= 0) {
        dup2(out_fd, 1);
        dup2(out_fd, 2);
    } else if (!keep) {
        dup2(null, 1);
        dup2(null, 2);
    }
    for (int fd = 3; fd < 1024; fd++) {
        int k = 0;
        for (const int *f = keep; f && *f >= 0 && !k; f++) k = *f == fd;
        if (!k) close(fd);
    }
    return 0;
}

static int run_in(const sb_testbed *tb, int host, char *const argv[], char *out, size_t cap)
{
    int p[2];
    if (pipe(p) != 0) return SB_EIO;
    pid_t pid = fork_in(tb, host, p[1], NULL, 1);
    if (pid == 0) {
        execvp(argv[0], argv);
        fprintf(stderr, "%s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(p[1]);
    size_t n = 0;
    char tmp[512];
    ssize_t r;
    while ((r = read(p[0], tmp, sizeof tmp)) > 0)
        if (out && cap) {
            size_t c = (size_t)r < cap - 1 - n ? (size_t)r : cap - 1 - n;
            memcpy(out + n, tmp, c);
            n += c;
        }
    if (out && cap) out[n] = '\0';
    close(p[0]);
    int st;
    if (pid < 0 || waitpid(pid, &st, 0) < 0) return SB_EIO;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

int sb_testbed_run(const sb_testbed *tb, int host, char *const argv[], char *out, size_t cap)
{
    return run_in(tb, host, argv, out, cap);
}

pid_t sb_testbed_spawn(sb_testbed *tb, int host, char *const argv[], const int *keep_fds)
{
    if (tb->nspawned == MAX_SPAWN) return SB_EIO;
    static const int none[] = {-1};
    pid_t pid = fork_in(tb, host, -1, keep_fds ? keep_fds : none, 1);
    if (pid == 0) {
        execvp(argv[0], argv);
        fprintf(stderr, "secbench: cannot start %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    if (pid < 0) return SB_EIO;
    tb->spawned[tb->nspawned++] = pid;
    return pid;
}

int sb_testbed_wait(sb_testbed *tb, pid_t pid)
{
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
    for (int i = 0; i < tb->nspawned; i++)
        if (tb->spawned[i] == pid) tb->spawned[i] = tb->spawned[--tb->nspawned];
    return st;
}

/* Run argv inside host with `script` on its standard input; its output names the failure. */
static int feed(const sb_testbed *tb, int host, char *const argv[], const char *script,
                const char *what, char *err, size_t cap)
{
    int in[2], out[2];
    if (pipe(in) != 0) return SB_EIO;
    if (pipe(out) != 0) {
        close(in[0]);
        close(in[1]);
        return SB_EIO;
    }
    pid_t pid = fork_in(tb, host, out[1], (int[]){in[0], -1}, 1);
    if (pid == 0) {
        dup2(in[0], 0);
        execvp(argv[0], argv);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    ssize_t w = write(in[1], script, strlen(script));
    close(in[1]);
    char msg[512] = "";
    ssize_t r = read(out[0], msg, sizeof msg - 1);
    msg[r > 0 ? r : 0] = '\0';
    close(out[0]);
    int st = 0;
    waitpid(pid, &st, 0);
    if (w < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        msg[strcspn(msg, "\n")] = '\0';
        return sb_fail(err, cap, SB_EIO, "testbed set-up failed (%s): %s", what,
                       msg[0] ? msg : WIFEXITED(st) && WEXITSTATUS(st) == 127 ? "not installed" : "?");
    }
    return SB_OK;
}

static int ip_batch(const sb_testbed *tb, int host, const char *script, char *err, size_t cap)
{
    return feed(tb, host, (char *const[]){"ip", "-batch", "-", NULL}, script, "ip", err, cap);
}

/* IPv6 announces itself on a new link (router solicitations, MLD reports, neighbour
 * solicitations) for seconds after link-up. Those packets are not the protocols under test,
 * and on a slow emulated link they queue in front of them (measured: 6-8 ms of false jitter on
 * nbiot's uplink), so the bed drops them at the source. Neighbours are static anyway. */
static int quiet_ipv6(const sb_testbed *tb, int host, const char *ifn, char *err, size_t cap)
{
    pid_t pid = fork_in(tb, host, -1, NULL, 1);
    if (pid == 0) {
        char path[128];
        snprintf(path, sizeof path, "/proc/sys/net/ipv6/conf/%s/router_solicitations", ifn);
        _exit(write_file(path, "0") == 0 ? 0 : 1);
    }
    int st = 0;
    if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
        return sb_fail(err, cap, SB_EIO, "cannot turn off router solicitations on %s", ifn);
    char rules[1024];
    int n = snprintf(rules, sizeof rules, "*filter\n");
    static const int types[] = {131, 133, 135, 143}; /* MLDv1/v2 report, RS, NS */
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        n += snprintf(rules + n, sizeof rules - (size_t)n,
                      "-A OUTPUT -o %s -p ipv6-icmp --icmpv6-type %d -j DROP\n", ifn, types[i]);
    snprintf(rules + n, sizeof rules - (size_t)n, "COMMIT\n");
    return feed(tb, host, (char *const[]){"ip6tables-restore", "--noflush", NULL}, rules,
                "ip6tables-restore", err, cap);
}

static int offloads_off(const sb_testbed *tb, int host, const char *ifn, char *err, size_t cap)
{
    char *eth[] = {"ethtool", "-K", (char *)ifn, "tso", "off", "gso", "off", "gro", "off", NULL};
    if (run_in(tb, host, eth, NULL, 0) != 0)
        return sb_fail(err, cap, SB_EIO, "ethtool -K %s failed (is ethtool installed?)", ifn);
    return SB_OK;
}

/* The link itself is a namespace of its own with a bridge between two veth pairs:
 *   host L: sbL-r ==veth== sbL-a [bridge sbL-br] sbL-b ==veth== sbL-l :host L+1
 * The emulator works there, on packets in transit: a packet it holds belongs to no local
 * socket (it was orphaned crossing the veth), so the sender's TCP small-queue limit never
 * mistakes a delayed packet for one still queued in the sender's host (which, with the hold
 * at the sender's egress, delayed the segments behind it by a full one-way delay). Captures
 * on the hosts' interfaces see what a device sends and what actually reaches it. The link
 * namespace has IPv6 off (no addresses, no chatter); bridged frames pass ip(6)tables so the
 * emulator can queue them (br_netfilter). */
static int make_link_ns(sb_testbed *tb, int l, char *err, size_t cap)
{
    int ln = SB_TB_LINK(l);
    char lpid[16], script[1024], out[256];
    snprintf(lpid, sizeof lpid, "%d", (int)sb_testbed_holder(tb, ln));
    for (int s = 0; s < 2; s++) {
        snprintf(tb->port[l][s], sizeof tb->port[l][s], "sb%d-%c", l, s ? 'b' : 'a');
        /* created inside the host, its peer moved into the link namespace: both are ours, so
         * this also works in a user namespace without privileges in the root one */
        char *argv[] = {"ip", "link", "add", tb->ifname[l][s], "address", tb->mac[l][s], "type",
                        "veth", "peer", "name", tb->port[l][s], "netns", lpid, NULL};
        if (run_in(tb, l + s, argv, out, sizeof out) != 0) {
            out[strcspn(out, "\n")] = '\0';
            return sb_fail(err, cap, SB_EIO, "cannot create veth pair: %s", out);
        }
    }
    pid_t pid = fork_in(tb, ln, -1, NULL, 1);
    if (pid == 0) {
        int bad = write_file("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1") |
                  write_file("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
        bad |= write_file("/proc/sys/net/bridge/bridge-nf-call-iptables", "1") |
               write_file("/proc/sys/net/bridge/bridge-nf-call-ip6tables", "1");
        _exit(bad ? 1 : 0);
    }
    int st = 0;
    if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
        return sb_fail(err, cap, SB_EIO, "link namespace: cannot set up bridge netfilter "
                                         "(is the br_netfilter module loaded?)");
    snprintf(script, sizeof script,
             "link add sb%d-br type bridge mcast_snooping 0\n"
             "link set %s master sb%d-br\nlink set %s master sb%d-br\n"
             "link set %s up\nlink set %s up\nlink set sb%d-br up\n",
             l, tb->port[l][0], l, tb->port[l][1], l, tb->port[l][0], tb->port[l][1], l);
    int rc = ip_batch(tb, ln, script, err, cap);
    for (int s = 0; !rc && s < 2; s++) rc = offloads_off(tb, ln, tb->port[l][s], err, cap);
    return rc;
}

static int create_link(sb_testbed *tb, int l, char *err, size_t cap)
{
    for (int s = 0; s < 2; s++) {
        snprintf(tb->ifname[l][s], sizeof tb->ifname[l][s], "sb%d-%c", l, s ? 'l' : 'r');
        snprintf(tb->mac[l][s], sizeof tb->mac[l][s], "02:5b:00:00:%02x:%02x", l, s + 1);
        if (tb->ipv4)
            snprintf(tb->addr[l][s], sizeof tb->addr[l][s], "198.18.%d.%d", l, s + 1);
        else
            snprintf(tb->addr[l][s], sizeof tb->addr[l][s], "fd5b:0:0:%x::%d", l, s + 1);
    }
    int rc = make_link_ns(tb, l, err, cap);
    if (rc) return rc;
    for (int s = 0; s < 2; s++) {
        const char *ifn = tb->ifname[l][s];
        char script[1024];
        snprintf(script, sizeof script,
                 "link set lo up\n"
                 "addr add %s/%s dev %s%s\n"
                 "link set %s up\n"
                 "neigh replace %s lladdr %s dev %s nud permanent\n",
                 tb->addr[l][s], tb->ipv4 ? "24" : "64", ifn, tb->ipv4 ? "" : " nodad", ifn,
                 tb->addr[l][!s], tb->mac[l][!s], ifn);
        if ((rc = ip_batch(tb, l + s, script, err, cap))) return rc;
        if (!tb->ipv4 && (rc = quiet_ipv6(tb, l + s, ifn, err, cap))) return rc;
        /* Offloads off: the capture must see the segments the wire would carry. */
        if ((rc = offloads_off(tb, l + s, ifn, err, cap))) return rc;
    }
    return SB_OK;
}

int sb_testbed_create(sb_testbed **out, const sb_testbed_cfg *cfg, char *err, size_t cap)
{
    if (cfg->hosts < 2 || cfg->hosts > SB_TB_MAX_HOSTS)
        return sb_fail(err, cap, SB_EINVAL, "testbed: %d hosts unsupported", cfg->hosts);
    sb_testbed *tb = calloc(1, sizeof *tb);
    if (!tb) return SB_ENOMEM;
    tb->ipv4 = cfg->ipv4;
    int rc = SB_OK;
    for (int h = 0; h < cfg->hosts && rc == SB_OK; h++) {
        pid_t pid = start_holder(err, cap);
        if (pid < 0) rc = (int)pid;
        else tb->holder[tb->nhosts++] = pid;
    }
    for (int l = 0; l < cfg->hosts - 1 && rc == SB_OK; l++) {
        pid_t pid = start_holder(err, cap);
        if (pid < 0) rc = (int)pid;
        else tb->holder[SB_TB_MAX_HOSTS + l] = pid;
    }
    for (int l = 0; rc == SB_OK && l < cfg->hosts - 1; l++) rc = create_link(tb, l, err, cap);
    if (rc) {
        sb_testbed_destroy(tb);
        return rc;
    }
    *out = tb;
    return SB_OK;
}

void sb_testbed_destroy(sb_testbed *tb)
{
    if (!tb) return;
    /* Spawned processes first (they may hold sockets), then the holders: each namespace, with
     * its veth ends, qdiscs and iptables rules, disappears with its last process. */
    for (int i = 0; i < tb->nspawned; i++) kill(tb->spawned[i], SIGKILL);
    for (int i = 0; i < tb->nspawned; i++) waitpid(tb->spawned[i], NULL, 0);
    for (size_t h = 0; h < sizeof tb->holder / sizeof tb->holder[0]; h++)
        if (tb->holder[h] > 0) kill(tb->holder[h], SIGKILL);
    for (size_t h = 0; h < sizeof tb->holder / sizeof tb->holder[0]; h++)
        if (tb->holder[h] > 0) waitpid(tb->holder[h], NULL, 0);
    free(tb);
}
