#include "jsonget.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *ws(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
    return p;
}

/* End of the string literal starting at p (p points at the opening quote), or NULL. */
static const char *str_end(const char *p)
{
    for (p++; *p; p++) {
        if (*p == '\\' && p[1]) p++;
        else if (*p == '"') return p + 1;
    }
    return NULL;
}

const char *sb_json_skip(const char *p)
{
    if (*p == '"') return str_end(p);
    if (*p == '{' || *p == '[') {
        int depth = 0;
        for (; *p; p++) {
            if (*p == '"') {
                p = str_end(p);
                if (!p) return NULL;
                p--;
            } else if (*p == '{' || *p == '[') depth++;
            else if ((*p == '}' || *p == ']') && --depth == 0) return p + 1;
        }
        return NULL;
    }
    while (*p && *p != ',' && *p != '}' && *p != ']') p++;
    return p;
}

/* Value of member `key` (length n) in the object at p, or NULL. */
static const char *member(const char *p, const char *key, size_t n)
{
    p = ws(p);
    if (*p != '{') return NULL;
    p = ws(p + 1);
    while (*p == '"') {
        const char *ke = str_end(p);
        if (!ke) return NULL;
        int match = (size_t)(ke - p - 2) == n && strncmp(p + 1, key, n) == 0;
        p = ws(ke);
        if (*p != ':') return NULL;
        p = ws(p + 1);
        if (match) return p;
        p = sb_json_skip(p);
        if (!p) return NULL;
        p = ws(p);
        if (*p != ',') return NULL;
        p = ws(p + 1);
    }
    return NULL;
}

double sb_json_num(const char *json, const char *path)
{
    if (!json || !path) return NAN;
    const char *p = json;
    while (*path) {
        const char *dot = strchr(path, '.');
        size_t n = dot ? (size_t)(dot - path) : strlen(path);
        p = member(p, path, n);
        if (!p) return NAN;
        path += n + (dot ? 1 : 0);
    }
    char *end;
    double v = strtod(p, &end);
    if (end == p) return NAN;
    end = (char *)ws(end);
    return (*end == ',' || *end == '}' || *end == ']' || *end == '\0') ? v : NAN;
}

int sb_json_array_len(const char *json)
{
    if (!json) return -1;
    const char *p = ws(json);
    if (*p != '[') return -1;
    p = ws(p + 1);
    if (*p == ']') return 0;
    int n = 0;
    for (;;) {
        p = sb_json_skip(p);
        if (!p) return -1;
        n++;
        p = ws(p);
        if (*p == ']') return n;
        if (*p != ',') return -1;
        p = ws(p + 1);
    }
}
