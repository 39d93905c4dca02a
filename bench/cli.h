/* cli.h: command-line options of `run`, `client` and `server`, parsed once into sb_params.
 * Contract: every option is declared in one table (the harness's own here, each stack
 * family's in its sb_family.opts), so parsing, --help and validation never disagree. Scope
 * says which verbs accept an option; `run` hands the role-scoped ones to the client and
 * server processes it starts. Errors are one line in `err`; the caller exits 2. */
#ifndef SB_CLI_H
#define SB_CLI_H

#include <stddef.h>
#include <stdio.h>

#include "../protocols/stack.h"
#include "role.h"

enum { SB_VERB_RUN = 1, SB_VERB_CLIENT = 2, SB_VERB_SERVER = 4 };

typedef struct sb_cli_opt {
    const char *name, *arg, *help;
    int scope;  /* verbs accepting it */
    int role;   /* passed on by `run` to the role processes */
    int hidden; /* internal plumbing, not in --help */
} sb_cli_opt;

/* Parse argv[first..] for `verb`; positional arguments are errors. */
int sb_cli_parse(int verb, int argc, char **argv, int first, sb_params *p, char *err,
                 size_t cap);
/* Fill the role configuration (workload, scenario, timeout, stack desc) from parsed params. */
int sb_cli_role_cfg(const sb_params *p, int verb, sb_role_cfg *c, char *err, size_t cap);
/* Append the role-scoped options of p to argv (as --name=value / --name), then the options
 * given to that role alone (--client-opt / --server-opt), so those win. */
int sb_cli_role_args(const sb_params *p, int verb, char **argv, size_t *argc, size_t cap,
                     char *pool, size_t pool_cap);
/* Validate each role's options as that role will see them (--client-opt / --server-opt
 * applied), against the client's and the server's stack. */
int sb_cli_check_role_opts(const sb_params *p, const sb_stack_desc *cd, const sb_stack_desc *sd,
                           char *err, size_t cap);
/* Standalone client of a stack with --seq-file (OSCORE): when neither --seq-file nor --run-id
 * is given, keep the sequence number in $XDG_STATE_HOME/secbench (or ~/.local/state/secbench),
 * one file per security context, named on stderr. */
int sb_cli_default_seq_file(sb_params *p, const sb_stack_desc *d, char *err, size_t cap);
void sb_cli_help(int verb, FILE *f);

#endif
