/* params.h: the key/value store behind sb_params (stack.h declares the readers).
 * Contract: keys are option names without "--"; values are copied; a flag is stored as "". */
#ifndef SB_PARAMS_H
#define SB_PARAMS_H

#include "../protocols/stack.h"

sb_params *sb_params_new(void);
void sb_params_free(sb_params *p);
int sb_params_set(sb_params *p, const char *name, const char *value); /* replaces */
/* Iterate: returns 0 when i is past the end. */
int sb_params_at(const sb_params *p, size_t i, const char **name, const char **value);

#endif
