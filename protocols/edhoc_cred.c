/* edhoc_cred.c: the encodings around EDHOC's key schedule (RFC 9528): credentials (CCS and
 * X.509), ID_CRED_x and connection identifiers in their compact forms (§3.3.2, §3.5.3.2),
 * and error messages (§6). Shared by the core (edhoc.c), the stack and the fuzz target. */
#include <string.h>

#include "../bench/util.h"
#include "cbor.h"
#include "edhoc.h"
#include "edhoc_int.h"

int sb_edhoc_cid_is_int(const uint8_t *cid, size_t len)
{
    /* 0x00..0x17 are uints 0..23, 0x20..0x37 are negative ints -1..-24 (RFC 8949 §3). */
    return len == 1 && (cid[0] <= 0x17 || (cid[0] >= 0x20 && cid[0] <= 0x37));
}

void sb_edhoc_put_cid(sb_cbor_w *w, const uint8_t *cid, size_t len)
{
    if (sb_edhoc_cid_is_int(cid, len))
        sb_cbor_put_raw(w, cid, 1);
    else
        sb_cbor_put_bstr(w, cid, len);
}

int sb_edhoc_get_cid(sb_cbor_r *r, uint8_t *cid, size_t *len)
{
    if (r->pos >= r->len) return SB_EPROTO;
    uint8_t b = r->buf[r->pos];
    int mt = b >> 5;
    if (mt == SB_CBOR_UINT || mt == SB_CBOR_NINT) {
        if (!sb_edhoc_cid_is_int(&b, 1)) return SB_EPROTO; /* only -24..23 */
        cid[0] = b;
        *len = 1;
        r->pos++;
        return SB_OK;
    }
    const uint8_t *p;
    size_t n;
    if (sb_cbor_get_bstr(r, &p, &n) || n > SB_EDHOC_MAX_CID) return SB_EPROTO;
    if (sb_edhoc_cid_is_int(p, n)) return SB_EPROTO; /* must have been sent as the int */
    memcpy(cid, p, n);
    *len = n;
    return SB_OK;
}

/* x5t: {34: [-15, h'hash64']}, -15 = SHA-256/64 (RFC 9360 §2, RFC 9054 §2). */
static const uint8_t x5t_prefix[] = {0xa1, 0x18, 0x22, 0x82, 0x2e, 0x48};

void sb_edhoc_put_id_cred(sb_cbor_w *w, const sb_edhoc_cred *c)
{
    if (c->type == SB_EDHOC_CRED_X5T) {
        sb_cbor_put_raw(w, x5t_prefix, sizeof x5t_prefix);
        sb_cbor_put_raw(w, c->id, 8);
    } else {
        sb_cbor_put_head(w, SB_CBOR_MAP, 1);
        sb_cbor_put_uint(w, 4);
        sb_cbor_put_bstr(w, c->id, c->id_len);
    }
}

void sb_edhoc_put_id_cred_compact(sb_cbor_w *w, const sb_edhoc_cred *c)
{
    /* A map holding only 'kid' travels as the kid itself (RFC 9528 §3.5.3.2). */
    if (c->type == SB_EDHOC_CRED_KID)
        sb_edhoc_put_cid(w, c->id, c->id_len);
    else
        sb_edhoc_put_id_cred(w, c);
}

int sb_edhoc_get_id_cred(sb_cbor_r *r, int *type, uint8_t id[8], size_t *id_len)
{
    int mt = sb_cbor_peek(r);
    if (mt < 0) return SB_EPROTO;
    if (mt != SB_CBOR_MAP) {
        /* Compact kid: same int/bstr rule as connection identifiers. */
        uint8_t tmp[SB_EDHOC_MAX_CID];
        size_t n;
        if (sb_edhoc_get_cid(r, tmp, &n) || n > 8) return SB_EPROTO;
        memcpy(id, tmp, n);
        *id_len = n;
        *type = SB_EDHOC_CRED_KID;
        return SB_OK;
    }
    int m;
    uint64_t nent;
    int64_t key, alg;
    if (sb_cbor_get_head(r, &m, &nent) || nent != 1 || sb_cbor_get_int(r, &key)) return SB_EPROTO;
    if (key == 4) return SB_EPROTO; /* a lone kid must be compact (RFC 9529 §4.1.6) */
    if (key != 34) return SB_EUNSUP;
    const uint8_t *h;
    size_t hl;
    uint64_t na;
    if (sb_cbor_get_head(r, &m, &na) || m != SB_CBOR_ARRAY || na != 2 ||
        sb_cbor_get_int(r, &alg) || sb_cbor_get_bstr(r, &h, &hl))
        return SB_EPROTO;
    if (alg != -15 || hl != 8) return SB_EUNSUP; /* only SHA-256/64 */
    memcpy(id, h, 8);
    *id_len = 8;
    *type = SB_EDHOC_CRED_X5T;
    return SB_OK;
}

void sb_edhoc_put_cred(sb_cbor_w *w, const sb_edhoc_cred *c)
{
    /* CCS is a CBOR map already; a certificate enters as a bstr (RFC 9528 §3.5.2). */
    if (c->type == SB_EDHOC_CRED_X5T)
        sb_cbor_put_bstr(w, c->cred, c->cred_len);
    else
        sb_cbor_put_raw(w, c->cred, c->cred_len);
}

/* COSE_Key (RFC 9052 §7): kty 1, kid 2, crv -1, x -2, y -3. */
static int parse_cose_key(sb_cbor_r *r, sb_edhoc_cred *c)
{
    int mt;
    uint64_t n;
    int64_t crv = 0;
    const uint8_t *x = NULL, *y = NULL, *kid = NULL;
    size_t xl = 0, yl = 0, kl = 0;
    if (sb_cbor_get_head(r, &mt, &n) || mt != SB_CBOR_MAP) return SB_EPROTO;
    for (uint64_t i = 0; i < n; i++) {
        int64_t k;
        if (sb_cbor_get_int(r, &k)) return SB_EPROTO;
        int rc = SB_OK;
        if (k == 2)
            rc = sb_cbor_get_bstr(r, &kid, &kl);
        else if (k == -1)
            rc = sb_cbor_get_int(r, &crv);
        else if (k == -2)
            rc = sb_cbor_get_bstr(r, &x, &xl);
        else if (k == -3 && sb_cbor_peek(r) == SB_CBOR_BSTR)
            rc = sb_cbor_get_bstr(r, &y, &yl);
        else
            rc = sb_cbor_skip(r);
        if (rc) return SB_EPROTO;
    }
    if (!kid || kl == 0 || kl > 8 || !x || xl != 32) return SB_EPROTO;
    if (crv != SB_CRV_P256 && crv != SB_CRV_X25519 && crv != SB_CRV_ED25519) return SB_EUNSUP;
    memcpy(c->id, kid, kl);
    c->id_len = kl;
    c->crv = (int)crv;
    memset(c->pub, 0, sizeof c->pub);
    memcpy(c->pub, x, 32);
    c->pub_len = 32;
    if (crv == SB_CRV_P256) {
        if (y && yl == 32) memcpy(c->pub + 32, y, 32);
        c->pub_len = 64;
    }
    return SB_OK;
}

int sb_edhoc_cred_ccs(sb_edhoc_cred *c, const uint8_t *ccs, size_t len)
{
    sb_cbor_r r;
    int mt, found = 0;
    uint64_t n;
    memset(c, 0, sizeof *c);
    sb_cbor_r_init(&r, ccs, len);
    if (sb_cbor_get_head(&r, &mt, &n) || mt != SB_CBOR_MAP) return SB_EPROTO;
    for (uint64_t i = 0; i < n; i++) {
        int64_t k;
        if (sb_cbor_get_int(&r, &k)) return SB_EPROTO;
        if (k != 8) { /* cnf (RFC 8747) */
            if (sb_cbor_skip(&r)) return SB_EPROTO;
            continue;
        }
        uint64_t m;
        if (sb_cbor_get_head(&r, &mt, &m) || mt != SB_CBOR_MAP) return SB_EPROTO;
        for (uint64_t j = 0; j < m; j++) {
            int64_t ck;
            if (sb_cbor_get_int(&r, &ck)) return SB_EPROTO;
            if (ck == 1 && !found) {
                int rc = parse_cose_key(&r, c);
                if (rc) return rc;
                found = 1;
            } else if (sb_cbor_skip(&r)) {
                return SB_EPROTO;
            }
        }
    }
    if (!found || !sb_cbor_r_done(&r)) return SB_EPROTO;
    c->type = SB_EDHOC_CRED_KID;
    c->cred = ccs;
    c->cred_len = len;
    return SB_OK;
}

static const uint8_t *find(const uint8_t *h, size_t hl, const uint8_t *n, size_t nl)
{
    for (size_t i = 0; i + nl <= hl; i++)
        if (memcmp(h + i, n, nl) == 0) return h + i;
    return NULL;
}

int sb_edhoc_cred_x509(sb_edhoc_cred *c, const sb_crypto *cr, const uint8_t *der, size_t len)
{
    /* SubjectPublicKeyInfo tails: id-Ed25519 BIT STRING (RFC 8410 §4), and
     * prime256v1 BIT STRING 04||x||y (RFC 5480 §2.2). */
    static const uint8_t ed[] = {0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};
    static const uint8_t p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03,
                                   0x01, 0x07, 0x03, 0x42, 0x00, 0x04};
    uint8_t h[32];
    const uint8_t *k;
    memset(c, 0, sizeof *c);
    if (len > SB_EDHOC_MAX_CRED) return SB_EINVAL;
    if ((k = find(der, len, ed, sizeof ed)) && (size_t)(k - der) + sizeof ed + 32 <= len) {
        c->crv = SB_CRV_ED25519;
        memcpy(c->pub, k + sizeof ed, 32);
        c->pub_len = 32;
    } else if ((k = find(der, len, p256, sizeof p256)) &&
               (size_t)(k - der) + sizeof p256 + 64 <= len) {
        c->crv = SB_CRV_P256;
        memcpy(c->pub, k + sizeof p256, 64);
        c->pub_len = 64;
    } else {
        return SB_EUNSUP;
    }
    int rc = cr->sha256(der, len, h);
    if (rc) return rc;
    memcpy(c->id, h, 8);
    c->id_len = 8;
    c->type = SB_EDHOC_CRED_X5T;
    c->cred = der;
    c->cred_len = len;
    return SB_OK;
}

int sb_edhoc_write_error(int code, const char *diag, const int *suites, size_t nsuites,
                         uint8_t *out, size_t cap, size_t *len)
{
    sb_cbor_w w;
    sb_cbor_w_init(&w, out, cap);
    sb_cbor_put_int(&w, code);
    if (code == SB_EDHOC_ERR_WRONG_SUITE) {
        if (nsuites == 1) {
            sb_cbor_put_int(&w, suites[0]);
        } else {
            sb_cbor_put_head(&w, SB_CBOR_ARRAY, nsuites);
            for (size_t i = 0; i < nsuites; i++) sb_cbor_put_int(&w, suites[i]);
        }
    } else if (code == SB_EDHOC_ERR_UNKNOWN_CRED) {
        sb_cbor_put_bool(&w, 1); /* ERR_INFO = true (RFC 9528 §6.4) */
    } else {
        sb_cbor_put_tstr(&w, diag ? diag : "");
    }
    if (w.err) return w.err;
    *len = w.len;
    return SB_OK;
}

int sb_edhoc_parse_error(const uint8_t *msg, size_t len, int *code, int *suites, size_t *nsuites,
                         char *diag, size_t diag_cap)
{
    sb_cbor_r r;
    int64_t c;
    sb_cbor_r_init(&r, msg, len);
    if (sb_cbor_get_int(&r, &c) || c < -65536 || c > 65535) return SB_EPROTO;
    *code = (int)c;
    if (nsuites) *nsuites = 0;
    if (diag && diag_cap) diag[0] = 0;
    if (c == SB_EDHOC_ERR_WRONG_SUITE) {
        int mt;
        uint64_t n = 1;
        int64_t s;
        if (sb_cbor_peek(&r) == SB_CBOR_ARRAY) {
            if (sb_cbor_get_head(&r, &mt, &n) || n < 2 || n > SB_EDHOC_MAX_SUITES)
                return SB_EPROTO;
        }
        for (uint64_t i = 0; i < n; i++) {
            if (sb_cbor_get_int(&r, &s) || s < -65536 || s > 65535) return SB_EPROTO;
            if (suites && nsuites) suites[(*nsuites)++] = (int)s;
        }
    } else if (c == SB_EDHOC_ERR_UNSPECIFIED) {
        const char *t;
        size_t n;
        if (sb_cbor_get_tstr(&r, &t, &n)) return SB_EPROTO;
        if (diag && diag_cap) {
            size_t k = n < diag_cap - 1 ? n : diag_cap - 1;
            for (size_t i = 0; i < k; i++) diag[i] = (t[i] >= 0x20 && t[i] < 0x7f) ? t[i] : '?';
            diag[k] = 0;
        }
    } else if (sb_cbor_skip(&r)) {
        return SB_EPROTO; /* ERR_INFO of another code: any one item */
    }
    return sb_cbor_r_done(&r) ? SB_OK : SB_EPROTO;
}

int sb_edhoc_pick_suite(const int *mine, size_t n, const int *peer, size_t npeer)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < npeer; j++)
            if (mine[i] == peer[j]) return (int)i;
    return SB_ENOTFOUND;
}
