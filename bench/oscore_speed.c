/* oscore_speed.c: `secbench oscore speed`: what OSCORE costs on top of its AEAD.
 * For each backend and payload size, N iterations of protect+unprotect of a request carrying
 * the payload (POST /3303/0/5700, empty client ID, as in the default workload) against the
 * same library's raw AEAD pair (one seal + one open, same plaintext and AAD lengths, key
 * schedule precomputed). Prints ns per pair and the ratio raw/OSCORE (1 = no overhead). */
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

static int measure(const sb_crypto *cr, size_t payload, uint64_t iters, speed_row *r)
{
    static const uint8_t secret[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    static const uint8_t salt[8] = {0x9e, 0x7c, 0xa9, 0x22, 0x23, 0x78, 0x63, 0x40};
    static const uint8_t sid = 1;
    uint8_t body[256], msg[512], prot[600], back[600];
    memset(body, 0x5a, sizeof body);
    sb_coap_msg m;
    static const uint8_t tok[2] = {0x12, 0x34};
    sb_coap_init(&m, SB_COAP_CON, SB_COAP_POST, 1, tok, 2);
    sb_coap_add_path(&m, "/3303/0/5700");
    m.payload = body;
    m.payload_len = payload;
    size_t mlen, plen, blen;
    if (sb_coap_encode(&m, SB_FRAMING_UDP, msg, sizeof msg, &mlen)) return SB_EINVAL;

    sb_oscore_config cc = {.crypto = cr, .secret = secret, .secret_len = 16, .salt = salt,
                           .salt_len = 8, .recipient_id = &sid, .recipient_id_len = 1};
    sb_oscore_config sc = cc;
    sc.sender_id = &sid, sc.sender_id_len = 1, sc.recipient_id = NULL, sc.recipient_id_len = 0;
    sb_oscore_ctx *c = NULL, *s = NULL;
    int rc = sb_oscore_new(&c, &cc, NULL, 0);
    if (!rc) rc = sb_oscore_new(&s, &sc, NULL, 0);
    /* Start at 256 so every Partial IV is 2 bytes throughout. */
    if (!rc) rc = sb_oscore_set_seq(c, 256);
    uint64_t warm = iters / 10 + 1;
    int64_t t0 = 0;
    for (uint64_t i = 0; !rc && i < warm + iters; i++) {
        if (i == warm) t0 = sb_now_ns();
        rc = sb_oscore_protect_request(c, msg, mlen, prot, sizeof prot, &plen, NULL);
        if (!rc)
            rc = sb_oscore_unprotect_request(s, prot, plen, back, sizeof back, &blen, NULL, NULL);
    }
    int64_t t1 = sb_now_ns();
    sb_oscore_free(c);
    sb_oscore_free(s);
    if (rc) return rc;
    if (blen != mlen || memcmp(back, msg, mlen)) return SB_EPROTO;
    r->oscore_ns = (double)(t1 - t0) / (double)iters;

    /* Same lengths as OSCORE's: plaintext = code || Uri-Path x3 || 0xff || payload, AAD =
     * Enc_structure with empty kid and a 2-byte Partial IV (§5.4): 21 bytes. */
    sb_coap_msg in;
    sb_coap_init(&in, 0, SB_COAP_POST, 0, NULL, 0);
    sb_coap_add_path(&in, "/3303/0/5700");
    r->ptlen = 1 + sb_coap_options_size(&in) + 1 + payload;
    r->alen = 21;
    uint8_t key[16] = {0}, nonce[13] = {0}, aad[21] = {0}, pt[300] = {0}, ct[320], dec[320];
    sb_aead_key *k;
    if ((rc = cr->aead_new(&k, SB_COSE_AES_CCM_16_64_128, key, 16))) return rc;
    for (uint64_t i = 0; !rc && i < warm + iters; i++) {
        if (i == warm) t0 = sb_now_ns();
        nonce[12] = (uint8_t)i; /* a fresh nonce per message, as OSCORE has */
        rc = cr->aead_seal(k, nonce, 13, aad, r->alen, pt, r->ptlen, ct);
        if (!rc) rc = cr->aead_open(k, nonce, 13, aad, r->alen, ct, r->ptlen + 8, dec);
    }
    t1 = sb_now_ns();
    cr->aead_free(k);
    r->raw_ns = (double)(t1 - t0) / (double)iters;
    return rc;
}

int sb_oscore_speed(int argc, char **argv)
{
    uint64_t iters = 20000;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--iterations") && i + 1 < argc) {
            if (sb_parse_u64(argv[++i], 100000000, &iters) || iters == 0) {
                fprintf(stderr, "secbench oscore speed: bad --iterations %s\n", argv[i]);
                return 2;
            }
        } else {
            fprintf(stderr, "secbench oscore speed: unknown argument %s (--iterations N)\n",
                    argv[i]);
            return 2;
        }
    }
    static const char *const libs[] = {"openssl", "wolfssl"};
    static const size_t sizes[] = {16, 64, 256};
    printf("# OSCORE protect+unprotect of a request vs the raw AEAD pair (seal+open),\n"
           "# AES-CCM-16-64-128, %llu iterations; ratio = raw / OSCORE (1.00 = no overhead)\n",
           (unsigned long long)iters);
    printf("%-8s %7s %8s %6s %12s %12s %6s\n", "library", "payload", "pt_bytes", "aad",
           "oscore_ns", "raw_aead_ns", "ratio");
    for (size_t l = 0; l < 2; l++) {
        const sb_crypto *cr = sb_crypto_get(libs[l]);
        for (size_t z = 0; cr && z < 3; z++) {
            speed_row r;
            int rc = measure(cr, sizes[z], iters, &r);
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
