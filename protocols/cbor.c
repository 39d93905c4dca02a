#include "cbor.h"

#include <stdint.h>
#include <string.h>

#include "../bench/util.h"

void sb_cbor_w_init(sb_cbor_w *w, uint8_t *buf, size_t cap)
{
    w->buf = buf;
    w->cap = cap;
    w->len = 0;
    w->err = 0;
}

void sb_cbor_put_raw(sb_cbor_w *w, const uint8_t *p, size_t n)
{
    if (w->err || n > w->cap - w->len) {
        w->err = SB_ESPACE;
        return;
    }
    if (n) memcpy(w->buf + w->len, p, n);
    w->len += n;
}

void sb_cbor_put_head(sb_cbor_w *w, int major, uint64_t val)
{
    uint8_t h[9];
    size_t n;
    uint8_t mt = (uint8_t)(major << 5);
    if (val < 24) {
        h[0] = mt | (uint8_t)val;
        n = 1;
    } else if (val <= 0xff) {
        h[0] = mt | 24;
        h[1] = (uint8_t)val;
        n = 2;
    } else if (val <= 0xffff) {
        h[0] = mt | 25;
        h[1] = (uint8_t)(val >> 8);
        h[2] = (uint8_t)val;
        n = 3;
    } else if (val <= 0xffffffffu) {
        h[0] = mt | 26;
        for (int i = 0; i < 4; i++) h[1 + i] = (uint8_t)(val >> (24 - 8 * i));
        n = 5;
    } else {
        h[0] = mt | 27;
        for (int i = 0; i < 8; i++) h[1 + i] = (uint8_t)(val >> (56 - 8 * i));
        n = 9;
    }
    sb_cbor_put_raw(w, h, n);
}

void sb_cbor_put_uint(sb_cbor_w *w, uint64_t v)
{
    sb_cbor_put_head(w, SB_CBOR_UINT, v);
}

void sb_cbor_put_int(sb_cbor_w *w, int64_t v)
{
    if (v >= 0)
        sb_cbor_put_head(w, SB_CBOR_UINT, (uint64_t)v);
    else
        sb_cbor_put_head(w, SB_CBOR_NINT, (uint64_t)(-1 - v));
}

void sb_cbor_put_bstr(sb_cbor_w *w, const uint8_t *p, size_t n)
{
    sb_cbor_put_head(w, SB_CBOR_BSTR, n);
    sb_cbor_put_raw(w, p, n);
}

void sb_cbor_put_tstr(sb_cbor_w *w, const char *s)
{
    size_t n = strlen(s);
    sb_cbor_put_head(w, SB_CBOR_TSTR, n);
    sb_cbor_put_raw(w, (const uint8_t *)s, n);
}

void sb_cbor_put_null(sb_cbor_w *w)
{
    sb_cbor_put_head(w, SB_CBOR_SIMPLE, 22);
}

void sb_cbor_put_bool(sb_cbor_w *w, int v)
{
    sb_cbor_put_head(w, SB_CBOR_SIMPLE, v ? 21 : 20);
}

void sb_cbor_r_init(sb_cbor_r *r, const uint8_t *buf, size_t len)
{
    r->buf = buf;
    r->len = len;
    r->pos = 0;
}

int sb_cbor_r_done(const sb_cbor_r *r)
{
    return r->pos == r->len;
}

int sb_cbor_peek(const sb_cbor_r *r)
{
    return r->pos < r->len ? r->buf[r->pos] >> 5 : SB_EPROTO;
}

int sb_cbor_get_head(sb_cbor_r *r, int *major, uint64_t *val)
{
    if (r->pos >= r->len) return SB_EPROTO;
    uint8_t b = r->buf[r->pos];
    unsigned ai = b & 31;
    size_t n = ai < 24 ? 0 : ai == 24 ? 1 : ai == 25 ? 2 : ai == 26 ? 4 : ai == 27 ? 8 : 99;
    if (n == 99 || n > r->len - r->pos - 1) return SB_EPROTO; /* indefinite lengths: unused */
    uint64_t v = ai < 24 ? ai : 0;
    for (size_t i = 0; i < n; i++) v = v << 8 | r->buf[r->pos + 1 + i];
    r->pos += 1 + n;
    *major = b >> 5;
    *val = v;
    return SB_OK;
}

int sb_cbor_get_int(sb_cbor_r *r, int64_t *v)
{
    size_t save = r->pos;
    int mt;
    uint64_t u;
    if (sb_cbor_get_head(r, &mt, &u) || (mt != SB_CBOR_UINT && mt != SB_CBOR_NINT) ||
        u > INT64_MAX) {
        r->pos = save;
        return SB_EPROTO;
    }
    *v = mt == SB_CBOR_UINT ? (int64_t)u : -1 - (int64_t)u;
    return SB_OK;
}

static int get_str(sb_cbor_r *r, int want, const uint8_t **p, size_t *n)
{
    size_t save = r->pos;
    int mt;
    uint64_t len;
    if (sb_cbor_get_head(r, &mt, &len) || mt != want || len > r->len - r->pos) {
        r->pos = save;
        return SB_EPROTO;
    }
    *p = r->buf + r->pos;
    *n = (size_t)len;
    r->pos += (size_t)len;
    return SB_OK;
}

int sb_cbor_get_bstr(sb_cbor_r *r, const uint8_t **p, size_t *n)
{
    return get_str(r, SB_CBOR_BSTR, p, n);
}

int sb_cbor_get_tstr(sb_cbor_r *r, const char **p, size_t *n)
{
    return get_str(r, SB_CBOR_TSTR, (const uint8_t **)p, n);
}

static int skip_depth(sb_cbor_r *r, int depth)
{
    int mt;
    uint64_t v;
    if (depth > 16 || sb_cbor_get_head(r, &mt, &v)) return SB_EPROTO;
    switch (mt) {
    case SB_CBOR_BSTR:
    case SB_CBOR_TSTR:
        if (v > r->len - r->pos) return SB_EPROTO;
        r->pos += (size_t)v;
        return SB_OK;
    case SB_CBOR_ARRAY:
    case SB_CBOR_MAP: {
        uint64_t items = mt == SB_CBOR_MAP ? v * 2 : v;
        if (items > r->len - r->pos) return SB_EPROTO; /* each item takes >= 1 byte */
        for (uint64_t i = 0; i < items; i++)
            if (skip_depth(r, depth + 1)) return SB_EPROTO;
        return SB_OK;
    }
    case SB_CBOR_TAG: return skip_depth(r, depth + 1);
    default: return SB_OK;
    }
}

int sb_cbor_skip(sb_cbor_r *r)
{
    size_t save = r->pos;
    int rc = skip_depth(r, 0);
    if (rc) r->pos = save;
    return rc;
}
