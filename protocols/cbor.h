/* cbor.h: the small subset of CBOR (RFC 8949) that OSCORE and EDHOC need: definite-length
 * unsigned/negative integers, byte and text strings, arrays, maps, simple values.
 * Contract: the writer appends into a caller-owned buffer and remembers overflow (check
 * sb_cbor_w.err once at the end); the reader walks a caller-owned buffer and never reads
 * past its end (every getter returns SB_EPROTO on malformed or truncated input). */
#ifndef SB_CBOR_H
#define SB_CBOR_H

#include <stddef.h>
#include <stdint.h>

enum { SB_CBOR_UINT = 0, SB_CBOR_NINT = 1, SB_CBOR_BSTR = 2, SB_CBOR_TSTR = 3,
       SB_CBOR_ARRAY = 4, SB_CBOR_MAP = 5, SB_CBOR_TAG = 6, SB_CBOR_SIMPLE = 7 };

typedef struct sb_cbor_w {
    uint8_t *buf;
    size_t cap, len;
    int err; /* SB_ESPACE once anything did not fit */
} sb_cbor_w;

void sb_cbor_w_init(sb_cbor_w *w, uint8_t *buf, size_t cap);
void sb_cbor_put_head(sb_cbor_w *w, int major, uint64_t val);
void sb_cbor_put_uint(sb_cbor_w *w, uint64_t v);
void sb_cbor_put_int(sb_cbor_w *w, int64_t v);
void sb_cbor_put_bstr(sb_cbor_w *w, const uint8_t *p, size_t n);
void sb_cbor_put_tstr(sb_cbor_w *w, const char *s);
void sb_cbor_put_null(sb_cbor_w *w);
void sb_cbor_put_bool(sb_cbor_w *w, int v);
void sb_cbor_put_raw(sb_cbor_w *w, const uint8_t *p, size_t n); /* already-encoded items */

typedef struct sb_cbor_r {
    const uint8_t *buf;
    size_t len, pos;
} sb_cbor_r;

void sb_cbor_r_init(sb_cbor_r *r, const uint8_t *buf, size_t len);
int sb_cbor_r_done(const sb_cbor_r *r); /* 1 when every byte was consumed */
/* Major type of the next item without consuming it, or SB_EPROTO at the end. */
int sb_cbor_peek(const sb_cbor_r *r);
int sb_cbor_get_head(sb_cbor_r *r, int *major, uint64_t *val);
int sb_cbor_get_int(sb_cbor_r *r, int64_t *v); /* uint or nint */
int sb_cbor_get_bstr(sb_cbor_r *r, const uint8_t **p, size_t *n); /* points into buf */
int sb_cbor_get_tstr(sb_cbor_r *r, const char **p, size_t *n);
/* Skip one whole item (nested arrays/maps included, depth-limited). */
int sb_cbor_skip(sb_cbor_r *r);

#endif
