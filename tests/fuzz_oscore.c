/* fuzz_oscore.c: libFuzzer target for OSCORE's parsers (scripts/fuzz.sh builds and runs it).
 * The first input byte picks what the rest is fed to:
 *   0: a protected request, verified by the C.1 server context (and its §8 error response);
 *   1: a protected response to the C.4 request (kid empty, Partial IV 14), C.1 client context;
 *   2: an OSCORE option value (§6.1), whose fields must lie inside the value;
 *   3: a plaintext request, protected then verified: what protect accepts must verify. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <coap3/coap.h>

#include "../bench/coapmsg.h"
#include "../bench/util.h"
#include "../protocols/oscore.h"

static const uint8_t secret[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
static const uint8_t salt[8] = {0x9e, 0x7c, 0xa9, 0x22, 0x23, 0x78, 0x63, 0x40};
static const uint8_t id1 = 1;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    coap_set_log_level(LOG_EMERG); /* libcoap warns about every malformed input */
    return 0;
}

static sb_oscore_ctx *ctx(int server, const char *lib)
{
    sb_oscore_config cfg = {.crypto = sb_crypto_get(lib), .secret = secret, .secret_len = 16,
                            .salt = salt, .salt_len = 8};
    if (server)
        cfg.sender_id = &id1, cfg.sender_id_len = 1;
    else
        cfg.recipient_id = &id1, cfg.recipient_id_len = 1;
    sb_oscore_ctx *c = NULL;
    if (sb_oscore_new(&c, &cfg, NULL, 0)) abort();
    return c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    int mode = data[0] & 3;
    const char *lib = data[0] & 4 ? "wolfssl" : "openssl";
    const uint8_t *in = data + 1;
    size_t len = size - 1;
    uint8_t out[SB_COAP_MAX_MSG + 64], back[SB_COAP_MAX_MSG + 64];
    size_t olen, blen;
    if (mode == 2) {
        sb_oscore_opt o;
        if (sb_oscore_opt_parse(in, len, &o) == SB_OK) {
            const uint8_t *end = in + len;
            if (o.piv_len > 5 || (o.piv_len && (o.piv < in || o.piv + o.piv_len > end)) ||
                (o.has_kid && (o.kid < in || o.kid + o.kid_len > end)) ||
                (o.has_kid_ctx && (o.kid_ctx < in || o.kid_ctx + o.kid_ctx_len > end)))
                abort();
        }
        return 0;
    }
    sb_oscore_ctx *s = ctx(1, lib), *c = ctx(0, lib);
    if (mode == 0) {
        uint8_t code = 0;
        sb_oscore_req r;
        int rc = sb_oscore_unprotect_request(s, in, len, out, sizeof out, &olen, &r, &code);
        if (rc < 0 && rc != SB_ESPACE)
            sb_oscore_error_response(in, len, code, sb_oscore_diag(rc), back, sizeof back, &blen);
        if (rc == SB_OK) {
            sb_coap_msg m;
            if (sb_coap_parse(SB_FRAMING_UDP, out, olen, &m) != SB_OK) abort();
        }
    } else if (mode == 1) {
        sb_oscore_req r = {.kid_len = 0, .piv = {0x14}, .piv_len = 1};
        if (sb_oscore_unprotect_response(c, &r, in, len, out, sizeof out, &olen) == SB_OK) {
            sb_coap_msg m;
            if (sb_coap_parse(SB_FRAMING_UDP, out, olen, &m) != SB_OK) abort();
        }
    } else {
        sb_oscore_req r;
        if (sb_oscore_protect_request(c, in, len, out, sizeof out, &olen, &r) == SB_OK &&
            sb_oscore_unprotect_request(s, out, olen, back, sizeof back, &blen, NULL, NULL) !=
                SB_OK)
            abort();
    }
    sb_oscore_free(s);
    sb_oscore_free(c);
    return 0;
}
