/* testbed.h: hosts in their own network namespaces, joined by veth pairs.
 * Contract: each host is a small holder process that unshared its network namespace; every
 * process of the run (roles, emulator, capture helpers) enters a host by setns() on the
 * holder's /proc/PID/ns/net. Holders and spawned processes die with the driver
 * (PR_SET_PDEATHSIG), and a namespace dies with its last process, so nothing (namespace,
 * veth, qdisc, iptables rule) can outlive a run, even one killed with SIGKILL.
 * Unprivileged users get the same through a user namespace (sb_testbed_enter_userns).
 *
 * Topology: hosts 0..n-1 in a chain; link i joins host i and host i+1 through a namespace
 * of its own (SB_TB_LINK(i), usable wherever a host number is) holding a bridge between two
 * veth pairs: the link emulators work there, on packets in transit. For the default
 * two-host bed, host 0 is the client, host 1 the server. Addresses: IPv6 fd5b:0:0:L::1/64 on
 * the left end of link L, ::2 on the right; IPv4 198.18.L.1/24 and .2 (RFC 2544 benchmarking
 * range). Interfaces: on link L, "sbL-r" in the left host (facing right), "sbL-l" in the
 * right host. Neighbour entries are static and offloads (GSO/GRO/TSO) are off, so the wire
 * carries real packets and no ND/ARP exchange pollutes the capture. */
#ifndef SB_TESTBED_H
#define SB_TESTBED_H

#include <stddef.h>
#include <sys/types.h>

#define SB_TB_MAX_HOSTS 3
#define SB_TB_LINK(l) (16 + (l)) /* the namespace of link l, as a host number */

typedef struct sb_testbed sb_testbed;

typedef struct sb_testbed_cfg {
    int hosts; /* 2 (client, server) or 3 (client, proxy, server) */
    int ipv4;  /* 0: IPv6 (default) */
} sb_testbed_cfg;

/* If not root, enter a new user namespace (mapping our uid to 0) so the bed can be built.
 * SB_EUNSUP with a message when the kernel forbids unprivileged user namespaces. */
int sb_testbed_enter_userns(char *err, size_t cap);

int sb_testbed_create(sb_testbed **out, const sb_testbed_cfg *cfg, char *err, size_t cap);
void sb_testbed_destroy(sb_testbed *tb); /* kills holders and spawned processes, waits */

int sb_testbed_hosts(const sb_testbed *tb);
pid_t sb_testbed_holder(const sb_testbed *tb, int host);
int sb_testbed_ipv4(const sb_testbed *tb);
/* Address of host `host` on link `link` (textual, no brackets), and the interface name. */
const char *sb_testbed_addr(const sb_testbed *tb, int link, int host);
const char *sb_testbed_ifname(const sb_testbed *tb, int link, int host);
/* The bridge port of link `link` in its link namespace facing host link (side 0) or host
 * link+1 (side 1): a packet from host link enters on side 0 and leaves on side 1. */
const char *sb_testbed_port(const sb_testbed *tb, int link, int side);

/* Move the calling thread into host's network namespace (0 or SB_EIO). */
int sb_testbed_enter(const sb_testbed *tb, int host);
/* Run argv inside host and wait; returns its exit status (0 = success) or SB_EIO. stdout and
 * stderr go to `out` (may be NULL: discarded). */
int sb_testbed_run(const sb_testbed *tb, int host, char *const argv[], char *out, size_t cap);
/* Start argv inside host (child dies with the driver); returns pid or SB_EIO.
 * keep_fds: descriptors (-1 terminated, may be NULL) that stay open in the child with the
 * same numbers; everything else above 2 is closed. */
pid_t sb_testbed_spawn(sb_testbed *tb, int host, char *const argv[], const int *keep_fds);
/* Wait for a spawned process (blocking); returns its wait status, and forgets it. */
int sb_testbed_wait(sb_testbed *tb, pid_t pid);

#endif
