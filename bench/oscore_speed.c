/* oscore_speed.c: `secbench oscore speed`: what OSCORE costs on top of its AEAD.
 * For each backend and payload size, N iterations of protect+unprotect of a request carrying
 * the payload (POST /3303/0/5700, empty client ID, as in the default workload) against the
 * same library's raw AEAD pair (one seal + one open, same plaintext and AAD lengths, key
 * schedule precomputed). Prints ns per pair and the ratio raw/OSCORE (1 = no overhead).
 * Each figure is the best of several interleaved rounds (other processes only add time). */
#include <stdio.h>
#include <string.h>

#include "../protocols/oscore.h"
#include "coapmsg.h"
#include "oscore_cli.h"
#include "util.h"

typedef struct {
    double oscore_ns, raw_ns;
    size_t ptlen, alen;
} speed_row;

/* Best of `rounds` timed loops of `iters` pairs: the minimum is the least disturbed by other
 * processes on a shared machine (both sides measured the same way, interleaved). */
typedef struct {
    sb_oscore_ctx *c, *s;
    const uint8_t *msg;
    size_t mlen;
    const sb_crypto *cr;
    sb_aead_key *k;
    size_t ptlen, alen;
} speed_ctx;

static int oscore_loop(speed_ctx *x, uint64_t iters, double *ns)
{
    uint8_t prot[600], back[600];
    size_t plen, blen;
    int rc = SB_OK;
    int64_t t0 = sb_now_ns();
    for (uint64_t i = 0; !rc && i < iters; i++) {
        rc = sb_oscore_protect_request(x->c, x->msg, x->mlen, prot, sizeof prot, &plen, NULL);
        if (!rc)
            rc = sb_oscore_unprotect_request(x->s, prot, plen, back, sizeof back, &blen, NULL,
                                             NULL);
    }
    *ns = (double)(sb_now_ns() - t0) / (double)iters;
    if (!rc && (blen != x->mlen || memcmp(back, x->msg, blen))) rc = SB_EPROTO;
    return rc;
}

static int raw_loop(speed_ctx *x, uint64_t iters, double *ns)
{
    uint8_t nonce[13] = {0}, aad[21] = {0}, pt[300] = {0}, ct[320], dec[320];
    int rc = SB_OK;
    int64_t t0 = sb_now_ns();
    for (uint64_t i = 0; !rc && i < iters; i++) {
        nonce[12] = (uint8_t)i; /* a fresh nonce per message, as OSCORE has */
        rc = x->cr->aead_seal(x->k, nonce, 13, aad, x->alen, pt, x->ptlen, ct);
        if (!rc) rc = x->cr->aead_open(x->k, nonce, 13, aad, x->alen, ct, x->ptlen + 8, dec);
    }
    *ns = (double)(sb_now_ns() - t0) / (double)iters;
    return rc;
}

static int measure(const sb_crypto *cr, size_t payload, uint64_t iters, int rounds,
                   speed_row *r)
{
    static const uint8_t secret[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    static const uint8_t salt[8] = {0x9e, 0x7c, 0xa9, 0x22, 0x23, 0x78, 0x63, 0x40};
    static const uint8_t sid = 1, key[16] = {0};
    static const uint8_t tok[2] = {0x12, 0x34};
    uint8_t body[256], msg[512];
    memset(body, 0x5a, sizeof body);
    sb_coap_msg m;
    sb_coap_init(&m, SB_COAP_CON, SB_COAP_POST, 1, tok, 2);
    sb_coap_add_path(&m, "/3303/0/5700");
    m.payload = body;
    m.payload_len = payload;
    speed_ctx x = {.msg = msg, .cr = cr};
    if (sb_coap_encode(&m, SB_FRAMING_UDP, msg, sizeof msg, &x.mlen)) return SB_EINVAL;
    /* Same lengths as OSCORE's: plaintext = code || Uri-Path x3 || 0xff || payload; AAD =
     * Enc_structure with empty kid and a 2-byte Partial IV (§5.4): 21 bytes. */
    x.ptlen = x.mlen - 4 - m.tkl + 1;
    x.alen = 21;

    sb_oscore_config cc = {.crypto = cr, .secret = secret, .secret_len = 16, .salt = salt,
                           .salt_len = 8, .recipient_id = &sid, .recipient_id_len = 1};
    sb_oscore_config sc = cc;
    sc.sender_id = &sid, sc.sender_id_len = 1, sc.recipient_id = NULL, sc.recipient_id_len = 0;
    int rc = sb_oscore_new(&x.c, &cc, NULL, 0);
    if (!rc) rc = sb_oscore_new(&x.s, &sc, NULL, 0);
    /* Start at 256 so every Partial IV is 2 bytes throughout. */
    if (!rc) rc = sb_oscore_set_seq(x.c, 256);
    if (!rc) rc = cr->aead_new(&x.k, SB_COSE_AES_CCM_16_64_128, key, 16);
    r->oscore_ns = r->raw_ns = 1e30;
    double ns;
    if (!rc) rc = oscore_loop(&x, iters / 10 + 1, &ns); /* warm-up */
    if (!rc) rc = raw_loop(&x, iters / 10 + 1, &ns);
    for (int i = 0; !rc && i < rounds; i++) {
        if (!(rc = oscore_loop(&x, iters, &ns)) && ns < r->oscore_ns) r->oscore_ns = ns;
        if (!rc && !(rc = raw_loop(&x, iters, &ns)) && ns < r->raw_ns) r->raw_ns = ns;
    }
    r->ptlen = x.ptlen;
    r->alen = x.alen;
    if (x.k) cr->aead_free(x.k);
    sb_oscore_free(x.c);
    sb_oscore_free(x.s);
    return rc;
}

int sb_oscore_speed(int argc, char **argv)
{
    uint64_t iters = 20000, rounds = 7;
    for (int i = 1; i < argc; i++) {
        uint64_t *dst = !strcmp(argv[i], "--iterations") ? &iters
                        : !strcmp(argv[i], "--rounds")   ? &rounds
                                                         : NULL;
        if (!dst || i + 1 >= argc) {
            fprintf(stderr, "secbench oscore speed: unknown argument %s "
                            "(--iterations N, --rounds N)\n", argv[i]);
            return 2;
        }
        if (sb_parse_u64(argv[++i], 100000000, dst) || *dst == 0) {
            fprintf(stderr, "secbench oscore speed: bad %s %s\n", argv[i - 1], argv[i]);
            return 2;
        }
    }
    static const char *const libs[] = {"openssl", "wolfssl"};
    static const size_t sizes[] = {16, 64, 256};
    printf("# OSCORE protect+unprotect of a request vs the raw AEAD pair (seal+open),\n"
           "# AES-CCM-16-64-128, best of %llu rounds of %llu iterations;\n"
           "# ratio = raw / OSCORE (1.00 = no overhead, target >= 0.50)\n",
           (unsigned long long)rounds, (unsigned long long)iters);
    printf("%-8s %7s %8s %6s %12s %12s %6s\n", "library", "payload", "pt_bytes", "aad",
           "oscore_ns", "raw_aead_ns", "ratio");
    for (size_t l = 0; l < 2; l++) {
        const sb_crypto *cr = sb_crypto_get(libs[l]);
        for (size_t z = 0; cr && z < 3; z++) {
            speed_row r;
            int rc = measure(cr, sizes[z], iters, (int)rounds, &r);
            if (rc) {
                fprintf(stderr, "secbench oscore speed: %s %zu bytes: %s\n", libs[l], sizes[z],
                        sb_strerror(rc));
                return 1;
            }
            printf("%-8s %7zu %8zu %6zu %12.0f %12.0f %6.2f\n", libs[l], sizes[z], r.ptlen,
                   r.alen, r.oscore_ns, r.raw_ns, r.raw_ns / r.oscore_ns);
        }
    }
    return 0;
}
