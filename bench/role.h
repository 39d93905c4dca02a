/* role.h: the two endpoints, client and server, as processes.
 * Contract: a role owns its sockets, clocks and counters; it drives a stack (stack.h) with the
 * workload (workload.h) and ends with an sb_report: what this endpoint measured of itself
 * (times, CPU, heap, marks of every byte it sent, sizes of the messages it built). The same
 * code runs standalone (`secbench client` / `secbench server`) and under `secbench run`,
 * which starts both roles in the testbed and gathers their reports over a pipe. */
#ifndef SB_ROLE_H
#define SB_ROLE_H

#include <stdint.h>
#include <stdio.h>

#include "../protocols/stack.h"
#include "workload.h"

typedef enum { SB_SCEN_COLD = 0, SB_SCEN_ESTABLISHED = 1, SB_SCEN_RESUMED = 2 } sb_scenario;

typedef struct sb_role_cfg {
    sb_stack_desc desc; /* this endpoint's stack (library may differ from the peer's) */
    const sb_params *params;
    sb_workload wl;
    sb_scenario scenario;
    int64_t timeout_ns;  /* whole run */
    char addr[64];       /* client: connect to; server: listen on ("" = any) */
    uint16_t port;
    int ipv4;
    int ctl_fd;          /* server: readable = stop */
    int ready_fd;        /* server: "ready\n" written there once listening (-1: none) */
    unsigned sessions;   /* server: sessions to serve, 0 = until stopped */
    uint64_t seed;
} sb_role_cfg;

#define SB_REPORT_MAX_MARKS 4096

typedef struct sb_report {
    int ok;
    char error[256];
    int final_code;     /* last response's CoAP code, -1 if none */
    int resumed;        /* -1 unknown */
    int64_t time_ns, handshake_ns;
    int64_t cycles, instructions, cpu_ns;
    char cycles_source[160];
    int64_t heap_peak, heap_session;
    unsigned retransmissions; /* CoAP + security layer + TCP */
    uint16_t local_port;
    uint64_t tx_bytes, rx_bytes; /* transport payload counted at the socket */
    size_t req_coap, req_payload, resp_coap, resp_payload;
    int64_t edhoc_msg[3];
    size_t nmarks;
    sb_mark marks[SB_REPORT_MAX_MARKS];
} sb_report;

void sb_report_init(sb_report *r);
void sb_report_write(const sb_report *r, FILE *f);
int sb_report_read(sb_report *r, FILE *f);

int sb_role_client(const sb_role_cfg *cfg, sb_report *rep);

/* Socket helpers of the roles, shared with the proxy (bench/proxy.c). The address and
 * transport come from cfg->addr/port/ipv4 and cfg->desc.transport.
 * connect: a connected socket in *out (TCP: Nagle off), errors in err.
 * listen: the listening (TCP) or bound (UDP) socket, or a negative error with err set.
 * accept: the next peer into io (TCP: a new socket; UDP: the bound socket talking to the
 *   sender of a new datagram, others kept in stash); SB_ESTOP when cfg->ctl_fd is readable.
 * local_port: the socket's local port (0 if unknown); tcp_retrans: TCP_INFO retransmissions. */
int sb_role_connect(const sb_role_cfg *cfg, int64_t deadline, int *out, char *err, size_t cap);
int sb_role_listen(const sb_role_cfg *cfg, char *err, size_t cap);
int sb_role_accept(const sb_role_cfg *cfg, int lfd, sb_dgram_stash *stash, sb_io *io,
                   int64_t deadline);
uint16_t sb_role_local_port(int fd);
unsigned sb_role_tcp_retrans(int fd);
int sb_role_server(const sb_role_cfg *cfg, sb_report *rep);

#endif
