/* fuzz_edhoc.c: libFuzzer target for EDHOC's parsers (scripts/fuzz.sh builds and runs it).
 * The first input byte picks what the rest is fed to (bit 2 picks wolfCrypt over OpenSSL):
 *   0: message_1, to a responder (RFC 9529 §3 credentials, method 3, suites 2 and 6);
 *   1: message_2, to an initiator that sent §3.3's message_1 (its ephemeral key injected, so
 *      the trace's message_2 is a seed that reaches MAC_2 verification);
 *   2: message_3, to a responder that answered §3.3's message_1 with §3.4's message_2;
 *   3: the stand-alone parsers: error message, CCS credential, X.509 credential.
 * Invariants: a refused message leaves an error message that parses back (or none, for a
 * received error), and nothing reads outside the input (ASan). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../bench/util.h"
#include "../protocols/edhoc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* RFC 9529 §3: credentials, static keys, ephemeral keys, message_1. */
static const char ccs_i[] =
    "a2027734322d35302d33312d46462d45462d33372d33322d333908a101a5010202412b2001215820ac75e9ece3"
    "e50bfc8ed60399889522405c47bf16df96660a41298cb4307f7eb62258206e5de611388a4b8a8211334ac7d3"
    "7ecb52a387d257e6db3c2a93df21ff3affc8";
static const char ccs_r[] =
    "a2026b6578616d706c652e65647508a101a501020241322001215820bbc34960526ea4d32e940cad2a234148dd"
    "c21791a12afbcbac93622046dd44f02258204519e257236b2a0ce2023f0931f1f386ca7afda64fcde0108c224c"
    "51eabf6072";
static const char sk_i[] = "fb13adeb6518cee5f88417660841142e830a81fe334380a953406a1305e8706b";
static const char sk_r[] = "72cc4761dbd4c78f758931aa589d348d1ef874a7e303ede2f140dcf3e6aa4aac";
static const char x[] = "368ec1f69aeb659ba37d5a8d45b21bdc0299dceaa8ef235f3ca42ce3530f9525";
static const char gx[] = "8af6f430ebe18d34184017a9a11bf511c8dff8f834730b96c1b7c8dbca2fc3b6";
static const char y[] = "e2f4126777205e853b437d6eaca1e1f753cdcc3e2c69fa884b0a1a640977e418";
static const char gy[] = "419701d7f00a26c2dc587a36dd752549f33763c893422c8ea0f955a13a4ff5d5";
static const char m1[] = "0382060258208af6f430ebe18d34184017a9a11bf511c8dff8f834730b96c1b7c8dbca"
                         "2fc3b637";

typedef struct fixture {
    uint8_t ci_buf[256], cr_buf[256], sk_i[32], sk_r[32];
    sb_edhoc_cred ci, cr;
} fixture;

static void hex(const char *h, uint8_t *out, size_t cap, size_t *n)
{
    int r = sb_hex_decode(h, out, cap);
    if (r < 0) abort();
    if (n) *n = (size_t)r;
}

static void setup(fixture *f)
{
    size_t a, b;
    hex(ccs_i, f->ci_buf, sizeof f->ci_buf, &a);
    hex(ccs_r, f->cr_buf, sizeof f->cr_buf, &b);
    hex(sk_i, f->sk_i, 32, NULL);
    hex(sk_r, f->sk_r, 32, NULL);
    if (sb_edhoc_cred_ccs(&f->ci, f->ci_buf, a) || sb_edhoc_cred_ccs(&f->cr, f->cr_buf, b))
        abort();
}

static sb_edhoc *state(const fixture *f, int role, const char *lib)
{
    static const uint8_t c_i = 0x37, c_r = 0x27;
    int ini = role == SB_EDHOC_INITIATOR;
    sb_edhoc_config cfg = {.crypto = sb_crypto_get(lib), .ecc = sb_ecc_get(lib), .method = 3,
                           .suites = {6, 2}, .nsuites = 2, .sel = 1,
                           .cid = ini ? &c_i : &c_r, .cid_len = 1,
                           .own = ini ? &f->ci : &f->cr, .own_priv = ini ? f->sk_i : f->sk_r,
                           .peers = ini ? &f->cr : &f->ci, .npeers = 1};
    if (!ini) cfg.suites[0] = 2, cfg.nsuites = 1, cfg.sel = 0;
    sb_edhoc *e = NULL;
    if (sb_edhoc_new(&e, &cfg, role)) abort();
    uint8_t priv[32], pub[32];
    hex(ini ? x : y, priv, 32, NULL);
    hex(ini ? gx : gy, pub, 32, NULL);
    sb_edhoc_test_set_ephemeral(e, priv, pub);
    return e;
}

/* After a refused message: an error to send, which must parse back; or a received error. */
static void check_error(const sb_edhoc *e)
{
    uint8_t msg[512];
    size_t n;
    int code, suites[SB_EDHOC_MAX_SUITES];
    size_t ns;
    char diag[200];
    int rc = sb_edhoc_error_msg(e, msg, sizeof msg, &n);
    if (rc == SB_ENOTFOUND) return;
    if (rc != SB_OK || sb_edhoc_parse_error(msg, n, &code, suites, &ns, diag, sizeof diag))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    static fixture f;
    static int ready;
    if (!ready) setup(&f), ready = 1;
    const char *lib = data[0] & 4 ? "wolfssl" : "openssl";
    const uint8_t *in = data + 1;
    size_t len = size - 1;
    uint8_t a[SB_EDHOC_MAX_MSG], b[SB_EDHOC_MAX_MSG];
    size_t al, bl;
    sb_edhoc *i = NULL, *r = NULL;
    switch (data[0] & 3) {
    case 0:
        r = state(&f, SB_EDHOC_RESPONDER, lib);
        if (sb_edhoc_r_msg1(r, in, len) == SB_OK) {
            if (sb_edhoc_r_msg2(r, a, sizeof a, &al) != SB_OK) check_error(r);
        } else {
            check_error(r);
        }
        break;
    case 1:
        i = state(&f, SB_EDHOC_INITIATOR, lib);
        if (sb_edhoc_i_msg1(i, a, sizeof a, &al)) abort();
        if (sb_edhoc_i_msg2(i, in, len) == SB_OK) {
            if (sb_edhoc_i_msg3(i, b, sizeof b, &bl)) abort();
        } else {
            check_error(i);
        }
        break;
    case 2:
        r = state(&f, SB_EDHOC_RESPONDER, lib);
        hex(m1, a, sizeof a, &al);
        if (sb_edhoc_r_msg1(r, a, al) || sb_edhoc_r_msg2(r, b, sizeof b, &bl)) abort();
        if (sb_edhoc_r_msg3(r, in, len) == SB_OK) {
            uint8_t s[16], t[8];
            if (sb_edhoc_oscore(r, s, t)) abort();
        } else {
            check_error(r);
        }
        break;
    default: {
        int code, suites[SB_EDHOC_MAX_SUITES];
        size_t ns;
        char diag[64];
        sb_edhoc_cred c;
        if (sb_edhoc_parse_error(in, len, &code, suites, &ns, diag, sizeof diag) == SB_OK &&
            (ns > SB_EDHOC_MAX_SUITES || strlen(diag) >= sizeof diag))
            abort();
        if (sb_edhoc_cred_ccs(&c, in, len) == SB_OK &&
            (c.id_len == 0 || c.id_len > 8 || c.pub_len > 64))
            abort();
        if (sb_edhoc_cred_x509(&c, sb_crypto_get(lib), in, len) == SB_OK &&
            c.pub_len != 32 && c.pub_len != 64)
            abort();
        break;
    }
    }
    sb_edhoc_free(i);
    sb_edhoc_free(r);
    return 0;
}
