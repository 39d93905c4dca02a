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
int sb_role_server(const sb_role_cfg *cfg, sb_report *rep);

#endif
