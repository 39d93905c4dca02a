/* matrix.h: `secbench matrix`, the benchmark matrix runner.
 * Contract: reads a matrix file (bench/default.matrix documents the format), expands it into
 * cells (stack x profile x scenario x option values x repetition), runs every cell as a child
 * `secbench run ... --format json --seed S` in its own process group under a wall-clock
 * limit, and after finished cells rewrites RUN/results.json (JSON Lines: one row object per
 * line, keys of bench/row.h in order) and RUN/results.csv atomically (coalesced to one
 * rewrite per 2 s; always before exiting, Ctrl-C included), so an interrupted run keeps
 * what finished. A cell that crashes, hangs or prints no row still yields a row
 * (ok false, error says why). Cells on an ideal link (the CPU and heap measurements) run one
 * at a time with nothing else running; cells on emulated links run --jobs at a time.
 * Seeds are a hash of the cell, so a rerun of a matrix repeats its seeds and --resume finds
 * finished cells by (stack, seed). Test hook: $SECBENCH_EXE replaces /proc/self/exe as the
 * program run for `list` and `run`. */
#ifndef SB_MATRIX_H
#define SB_MATRIX_H

#include <stddef.h>
#include <stdint.h>

int sb_matrix_main(int argc, char **argv);

/* Family of a stack id (coap, oscore, dtls, tls, oscore+dtls, edhoc; "" if unknown) and its
 * leanness rank within the family (lower = fewer expected bytes; see default.matrix). */
const char *sb_matrix_family(const char *id, char *buf, size_t cap);
int sb_matrix_lean_rank(const char *id);

/* Expand a stack selector list ("*", "@ccm8", "@tls", "@tls-leanest", globs, ids, and
 * "!GLOB" to drop what matches so far; comma separated) against the available ids. Writes up to cap ids (pointers into avail) and
 * returns the count; unknown explicit ids are reported in err (first one) but skipped. */
size_t sb_matrix_select(const char *sel, const char *const *avail, size_t navail,
                        const char **out, size_t cap, char *err, size_t errcap);

/* Seed of a cell: FNV-1a of its description, folded to 31 bits (any run accepts it). */
uint64_t sb_matrix_seed(uint64_t base, const char *cell_key, int rep);

#endif
