/* main.c: the secbench command line: one verb per job, each in its own module. */
#include <coap3/coap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../netem/emu_nfq.h"
#include "../netem/linkcheck.h"
#include "cli.h"
#include "matrix.h"
#include "oscore_cli.h"
#include "output.h"
#include "params.h"
#include "proxy.h"
#include "report.h"
#include "role.h"
#include "row.h"
#include "run.h"
#include "util.h"

static void usage(FILE *f)
{
    fputs("usage: secbench VERB [options]   (secbench VERB --help for each)\n"
          "\n"
          "  run          one measurement: client and server in two namespaces, emulated link,\n"
          "               captured; prints one row\n"
          "  matrix       many runs from a matrix file, with progress; results/RUN/results.*\n"
          "  report       markdown tables and gnuplot charts from a results folder\n"
          "  list         the stacks of this build (--json details, --all unavailable too)\n"
          "  client       the workload once against any server (standalone)\n"
          "  server       serve the workload's resource until interrupted (standalone)\n"
          "  proxy        a CoAP forward proxy (RFC 7252 5.7), as `run --via proxy` uses it\n"
          "  link-check   configured vs measured delay, jitter, loss and rate of a link\n"
          "  oscore       protect / unprotect CoAP messages with OSCORE (RFC 8613), speed\n",
          f);
}

struct list_ctx {
    int all, json, n;
};

static void json_str(const char *s, FILE *f)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') fputc('\\', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void list_emit(void *arg, const sb_stack_desc *d)
{
    struct list_ctx *l = arg;
    if (!d->available && !l->all) return;
    if (!l->json) {
        if (d->available) printf("%s\n", d->id);
        else printf("%s\tunavailable: %s\n", d->id, d->reason);
        return;
    }
    printf("%s{\"id\":", l->n++ ? ",\n " : "[");
    json_str(d->id, stdout);
    printf(",\"protocol\":\"%s\",\"library\":\"%s\",\"auth\":\"%s\",\"cipher\":\"%s\","
           "\"transport\":\"%s\",\"framing\":\"%s\",\"record_overhead\":%zu,\"available\":%s",
           d->protocol, d->library, d->auth, d->cipher,
           d->transport == SB_TRANSPORT_TCP ? "tcp" : "udp",
           d->framing == SB_FRAMING_TCP ? "rfc8323" : "rfc7252", d->record_overhead,
           d->available ? "true" : "false");
    if (!d->available) {
        printf(",\"reason\":");
        json_str(d->reason, stdout);
        printf(",\"server_available\":%s", d->server_available ? "true" : "false");
    }
    printf("}");
}

static int cmd_list(int argc, char **argv)
{
    struct list_ctx l = {0};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--all")) l.all = 1;
        else if (!strcmp(argv[i], "--json")) l.json = 1;
        else if (!strcmp(argv[i], "--help")) {
            puts("usage: secbench list [--json] [--all]\nPrints the ids of the stacks available in "
                 "this build, one per line;\n--json gives details, --all also lists unavailable "
                 "ones with the reason.");
            return 0;
        } else {
            fprintf(stderr, "secbench list: unknown option '%s'\n", argv[i]);
            return 2;
        }
    }
    sb_registry_enumerate(list_emit, &l);
    if (l.json) printf("%s]\n", l.n ? "\n" : "[");
    return 0;
}

/* `client` and `server`: the roles, standalone or started by `run` (--report-fd). */
static int cmd_role(int verb, int argc, char **argv)
{
    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        sb_cli_help(verb, stdout);
        return 0;
    }
    const char *name = verb == SB_VERB_CLIENT ? "client" : "server";
    sb_params *p = sb_params_new();
    char err[512];
    sb_role_cfg cfg;
    int rc = sb_cli_parse(verb, argc, argv, 1, p, err, sizeof err);
    if (!rc) rc = sb_cli_role_cfg(p, verb, &cfg, err, sizeof err);
    uint64_t fd = 0;
    const char *rf = sb_params_get(p, "report-fd");
    if (!rc && rf && sb_parse_u64(rf, 65535, &fd))
        rc = sb_fail(err, sizeof err, SB_EINVAL, "--report-fd: bad descriptor");
    if (!rc && verb == SB_VERB_CLIENT && !rf) rc = sb_cli_default_seq_file(p, &cfg.desc, err, sizeof err);
    if (rc) {
        fprintf(stderr, "secbench %s: %s\n", name, err);
        sb_params_free(p);
        return 2;
    }
    FILE *rep_out = rf ? fdopen((int)fd, "w") : NULL;
    sb_report *rep = calloc(1, sizeof *rep);
    if (!rep) return 1;
    if (verb == SB_VERB_SERVER) {
        cfg.ready_fd = rf ? (int)fd : -1;
        rc = sb_role_server(&cfg, rep);
        if (rc && !rf) fprintf(stderr, "secbench server: %s\n", rep->error);
    } else {
        rc = sb_role_client(&cfg, rep);
    }
    if (rep_out) {
        sb_report_write(rep, rep_out);
        fclose(rep_out);
    } else if (verb == SB_VERB_CLIENT) {
        sb_row *row = sb_row_new();
        sb_row_fill_endpoint(row, &cfg, rep);
        sb_row_set_int(row, "c2s_payload_bytes", (int64_t)rep->tx_bytes);
        sb_row_set_int(row, "s2c_payload_bytes", (int64_t)rep->rx_bytes);
        sb_row_set_str(row, "bytes_source", "sockets (transport payload only; no capture)");
        sb_output_row(row, sb_params_get(p, "format"), sb_params_flag(p, "no-header"), stdout);
        sb_row_free(row);
    }
    int ok = verb == SB_VERB_CLIENT ? rep->ok : rc == SB_OK;
    free(rep);
    sb_params_free(p);
    return ok ? 0 : verb == SB_VERB_CLIENT ? 3 : 1;
}

int main(int argc, char **argv)
{
    coap_set_log_level(LOG_EMERG); /* libcoap must not write to our stdout/stderr */
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *v = argv[1];
    argc--, argv++;
    if (!strcmp(v, "run")) return sb_run_main(argc, argv);
    if (!strcmp(v, "list")) return cmd_list(argc, argv);
    if (!strcmp(v, "client")) return cmd_role(SB_VERB_CLIENT, argc, argv);
    if (!strcmp(v, "server")) return cmd_role(SB_VERB_SERVER, argc, argv);
    if (!strcmp(v, "matrix")) return sb_matrix_main(argc, argv);
    if (!strcmp(v, "report")) return sb_report_main(argc, argv);
    if (!strcmp(v, "link-check")) return sb_linkcheck_main(argc, argv);
    if (!strcmp(v, "oscore")) return sb_oscore_cli(argc, argv);
    if (!strcmp(v, "proxy")) return sb_proxy_main(argc, argv);
    if (!strcmp(v, "__nfq")) return sb_nfq_main(argc, argv);
    fprintf(stderr, "secbench: unknown verb '%s' (secbench --help lists them)\n", v);
    return 2;
}
