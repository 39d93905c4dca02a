#include "params.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

struct sb_params {
    size_t n, cap;
    char **names, **values;
};

sb_params *sb_params_new(void)
{
    return calloc(1, sizeof(sb_params));
}

void sb_params_free(sb_params *p)
{
    if (!p) return;
    for (size_t i = 0; i < p->n; i++) {
        free(p->names[i]);
        free(p->values[i]);
    }
    free(p->names);
    free(p->values);
    free(p);
}

int sb_params_set(sb_params *p, const char *name, const char *value)
{
    char *v = strdup(value ? value : "");
    if (!v) return SB_ENOMEM;
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->names[i], name) == 0) {
            free(p->values[i]);
            p->values[i] = v;
            return SB_OK;
        }
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 16;
        char **nn = realloc(p->names, cap * sizeof *nn);
        if (nn) p->names = nn;
        char **vv = nn ? realloc(p->values, cap * sizeof *vv) : NULL;
        if (!vv) {
            free(v);
            return SB_ENOMEM;
        }
        p->values = vv;
        p->cap = cap;
    }
    p->names[p->n] = strdup(name);
    if (!p->names[p->n]) {
        free(v);
        return SB_ENOMEM;
    }
    p->values[p->n++] = v;
    return SB_OK;
}

int sb_params_at(const sb_params *p, size_t i, const char **name, const char **value)
{
    if (i >= p->n) return 0;
    *name = p->names[i];
    *value = p->values[i];
    return 1;
}

const char *sb_params_get(const sb_params *p, const char *name)
{
    for (size_t i = 0; p && i < p->n; i++)
        if (strcmp(p->names[i], name) == 0) return p->values[i];
    return NULL;
}

int sb_params_flag(const sb_params *p, const char *name)
{
    return sb_params_get(p, name) != NULL;
}

int sb_params_hex(const sb_params *p, const char *name, const uint8_t *dflt, size_t dflt_len,
                  uint8_t *out, size_t cap)
{
    const char *v = sb_params_get(p, name);
    if (!v) {
        if (dflt_len > cap) return SB_ESPACE;
        if (dflt_len) memcpy(out, dflt, dflt_len);
        return (int)dflt_len;
    }
    return sb_hex_decode(v, out, cap);
}
