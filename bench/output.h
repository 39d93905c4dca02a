/* output.h: how a row reaches the user: JSON (one object per line), CSV (with header) or a
 * short human summary; the default is human on a terminal, JSON otherwise. */
#ifndef SB_OUTPUT_H
#define SB_OUTPUT_H

#include <stdio.h>

#include "row.h"

void sb_output_row(const sb_row *r, const char *format, int no_header, FILE *f);

#endif
