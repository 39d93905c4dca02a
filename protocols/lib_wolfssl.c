/* lib_wolfssl.c: the tlslib.h adapter for wolfSSL 5.5.4, native API only (no OpenSSL
 * compatibility headers: OpenSSL is linked into the same binary).
 * Records go through wolfSSL's custom I/O callbacks onto the sb_tls_pipe. Wire choices match
 * lib_openssl.c: only secp256r1 and ecdsa_secp256r1_sha256; one TLS 1.3 NewSessionTicket;
 * (D)TLS 1.2 resumption by session id (no ticket extension); no encrypt_then_mac extension;
 * 32-byte HMAC-SHA256 DTLS cookie.
 * wolfSSL has no DTLS timer of its own: the adapter arms one from
 * wolfSSL_dtls_get_current_timeout() whenever the handshake waits for input, and calls
 * wolfSSL_dtls_got_timeout() when tls_common reports it expired. */
#include <wolfssl/options.h>
#include <wolfssl/ssl.h>
#include <wolfssl/version.h>
#include <wolfssl/error-ssl.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/error-crypt.h>
#include <wolfssl/wolfcrypt/hmac.h>
#include <wolfssl/wolfcrypt/random.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../bench/util.h"
#include "tlslib.h"

#define WOLF_NAME "wolfSSL " LIBWOLFSSL_VERSION_STRING

typedef struct wolf_ctx {
    sb_tls_cfg cfg;
    WOLFSSL_CTX *ctx;
    WOLFSSL_SESSION *saved; /* client: the session offered for resumption */
    uint8_t cookie_key[32];
} wolf_ctx;

typedef struct wolf_conn {
    wolf_ctx *c;
    WOLFSSL *ssl;
    sb_tls_pipe *pipe;
    int64_t timer_at; /* DTLS retransmission timer, 0 = not armed */
    int done;         /* handshake complete */
    int failed;       /* a fatal error happened */
} wolf_conn;

static const char *suite_name(const sb_tls_cfg *c)
{
    static const char *const v12[3][2] = {
        {"PSK-AES128-CCM-8", "PSK-AES128-GCM-SHA256"},
        {"ECDHE-PSK-AES128-CCM-8-SHA256", "ECDHE-PSK-AES128-GCM-SHA256"},
        {"ECDHE-ECDSA-AES128-CCM-8", "ECDHE-ECDSA-AES128-GCM-SHA256"},
    };
    if (c->version == 13) return c->cipher == SB_TLS_CCM8 ? "TLS13-AES128-CCM-8-SHA256" : "TLS13-AES128-GCM-SHA256";
    return v12[c->auth][c->cipher];
}

static const char *const iana12[3][2] = {
    {"TLS_PSK_WITH_AES_128_CCM_8", "TLS_PSK_WITH_AES_128_GCM_SHA256"},
    {"TLS_ECDHE_PSK_WITH_AES_128_CCM_8_SHA256", "TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256"},
    {"TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"},
};

/* ---- I/O callbacks onto the pipe ---- */

static int io_recv(WOLFSSL *ssl, char *buf, int sz, void *arg)
{
    wolf_conn *k = arg;
    size_t got = 0;
    if (sb_tls_pipe_read(k->pipe, (uint8_t *)buf, (size_t)sz, &got) == SB_EAGAIN)
        return WOLFSSL_CBIO_ERR_WANT_READ;
    k->timer_at = 0; /* the peer answered: wolfSSL re-arms its timeout per flight */
    return (int)got;
}

static int io_send(WOLFSSL *ssl, char *buf, int sz, void *arg)
{
    wolf_conn *k = arg;
    return sb_tls_pipe_write(k->pipe, (const uint8_t *)buf, (size_t)sz) == SB_OK
               ? sz : WOLFSSL_CBIO_ERR_GENERAL;
}

/* ---- errors ---- */

static int auth_alert(int a)
{
    /* bad_record_mac, bad/unsupported/revoked/expired/unknown certificate, unknown_ca,
     * access_denied, decrypt_error, unknown_psk_identity, certificate_required (RFC 8446 §6) */
    static const int list[] = {20, 42, 43, 44, 45, 46, 48, 49, 51, 115, 116};
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++)
        if (list[i] == a) return 1;
    return 0;
}

static int auth_error(int e)
{
    switch (e) {
    case VERIFY_MAC_ERROR: case DECRYPT_ERROR: case VERIFY_FINISHED_ERROR: case BAD_BINDER:
    case PSK_KEY_ERROR: case VERIFY_CERT_ERROR: case NO_PEER_CERT: case DOMAIN_NAME_MISMATCH:
    case ASN_AFTER_DATE_E: case ASN_BEFORE_DATE_E: case ASN_NO_SIGNER_E: case ASN_SIG_CONFIRM_E:
    case AES_GCM_AUTH_E: case AES_CCM_AUTH_E:
        return 1;
    default: return 0;
    }
}

static int fail(wolf_conn *k, int ret, char *err, size_t cap)
{
    int e = wolfSSL_get_error(k->ssl, ret);
    if (e == WOLFSSL_ERROR_WANT_READ) return SB_EAGAIN;
    if (e == WOLFSSL_ERROR_ZERO_RETURN || e == ZERO_RETURN) return SB_ECLOSED;
    k->failed = 1;
    if (e == SOCKET_ERROR_E && k->pipe->send_err[0])
        return sb_fail(err, cap, k->pipe->send_code, "%s", k->pipe->send_err);
    WOLFSSL_ALERT_HISTORY h;
    memset(&h, 0, sizeof h);
    wolfSSL_get_alert_history(k->ssl, &h);
    /* during a PSK handshake, failed Finished/binder/record checks mean the keys differ */
    const char *hint = k->c->cfg.auth != SB_TLS_ECDSA && !k->done ? " (wrong PSK?)" : "";
    if (e == FATAL_ERROR && h.last_rx.code > 0) {
        int a = auth_alert(h.last_rx.code);
        return sb_fail(err, cap, a ? SB_EAUTH : SB_EPROTO, "TLS alert received: %s%s",
                       wolfSSL_alert_desc_string_long(h.last_rx.code), a ? hint : "");
    }
    char why[WOLFSSL_MAX_ERROR_SZ];
    wolfSSL_ERR_error_string_n((unsigned long)-e, why, sizeof why);
    const char *r = wolfSSL_ERR_reason_error_string((unsigned long)e);
    if (r && *r) snprintf(why, sizeof why, "%s", r);
    if (!auth_error(e)) return sb_fail(err, cap, SB_EPROTO, "wolfSSL: %s (%d)", why, e);
    int cert = e == VERIFY_CERT_ERROR || e == NO_PEER_CERT || e == DOMAIN_NAME_MISMATCH ||
               e == ASN_AFTER_DATE_E || e == ASN_BEFORE_DATE_E || e == ASN_NO_SIGNER_E ||
               e == ASN_SIG_CONFIRM_E;
    if (cert) return sb_fail(err, cap, SB_EAUTH, "certificate verify failed: %s (%d)", why, e);
    if (e == AES_GCM_AUTH_E || e == AES_CCM_AUTH_E) hint = " (record failed authentication)";
    return sb_fail(err, cap, SB_EAUTH, "wolfSSL: %s (%d)%s", why, e, hint);
}

/* ---- PSK and cookies ---- */

static wolf_ctx *ctx_of(WOLFSSL *ssl)
{
    return wolfSSL_CTX_get_ex_data(wolfSSL_get_SSL_CTX(ssl), 0);
}

static unsigned psk_client(WOLFSSL *ssl, const char *hint, char *id, unsigned id_cap, uint8_t *psk,
                           unsigned psk_cap)
{
    wolf_ctx *c = ctx_of(ssl);
    if (strlen(c->cfg.psk_identity) >= id_cap || c->cfg.psk_len > psk_cap) return 0;
    strcpy(id, c->cfg.psk_identity);
    memcpy(psk, c->cfg.psk, c->cfg.psk_len);
    return (unsigned)c->cfg.psk_len;
}

static unsigned psk_server(WOLFSSL *ssl, const char *id, uint8_t *psk, unsigned psk_cap)
{
    wolf_ctx *c = ctx_of(ssl);
    if (!id || strcmp(id, c->cfg.psk_identity) != 0 || c->cfg.psk_len > psk_cap) return 0;
    memcpy(psk, c->cfg.psk, c->cfg.psk_len);
    return (unsigned)c->cfg.psk_len;
}

/* TLS 1.3: the external PSK is bound to the configured suite (RFC 8446 §4.2.11: a PSK has
 * one hash; wolfSSL's plain callbacks would bind it to TLS13-AES128-GCM-SHA256 only). */
static unsigned psk_client13(WOLFSSL *ssl, const char *hint, char *id, unsigned id_cap,
                             uint8_t *psk, unsigned psk_cap, const char **suite)
{
    *suite = suite_name(&ctx_of(ssl)->cfg);
    return psk_client(ssl, hint, id, id_cap, psk, psk_cap);
}

static unsigned psk_server13(WOLFSSL *ssl, const char *id, uint8_t *psk, unsigned psk_cap,
                             const char **suite)
{
    *suite = suite_name(&ctx_of(ssl)->cfg);
    return psk_server(ssl, id, psk, psk_cap);
}

/* Stateless cookie (RFC 6347 §4.2.1): HMAC-SHA256 over the peer's address (wolfSSL's default
 * generator reads the address from its own socket, which secbench's I/O does not give it). */
static int cookie_gen(WOLFSSL *ssl, unsigned char *buf, int sz, void *arg)
{
    wolf_conn *k = arg;
    uint8_t peer[128];
    size_t pl = sb_tls_pipe_peer(k->pipe, peer, sizeof peer);
    Hmac h;
    uint8_t mac[WC_SHA256_DIGEST_SIZE];
    if (sz < (int)sizeof mac || wc_HmacInit(&h, NULL, INVALID_DEVID) != 0) return -1;
    int r = wc_HmacSetKey(&h, WC_SHA256, k->c->cookie_key, sizeof k->c->cookie_key);
    if (r == 0) r = wc_HmacUpdate(&h, peer, (word32)pl);
    if (r == 0) r = wc_HmacFinal(&h, mac);
    wc_HmacFree(&h);
    if (r != 0) return -1;
    memcpy(buf, mac, sizeof mac);
    return (int)sizeof mac;
}

/* ---- contexts ---- */

static WOLFSSL_METHOD *method_of(const sb_tls_cfg *c)
{
    int srv = c->role == SB_ROLE_SERVER;
    if (c->dtls) return srv ? wolfDTLSv1_2_server_method() : wolfDTLSv1_2_client_method();
    if (c->version == 13) return srv ? wolfTLSv1_3_server_method() : wolfTLSv1_3_client_method();
    return srv ? wolfTLSv1_2_server_method() : wolfTLSv1_2_client_method();
}

static int ctx_setup(wolf_ctx *c, char *err, size_t cap)
{
    const sb_tls_cfg *cfg = &c->cfg;
#ifndef WOLFSSL_DTLS13
    if (cfg->dtls && cfg->version == 13)
        return sb_fail(err, cap, SB_EUNSUP, WOLF_NAME " built without DTLS 1.3 (WOLFSSL_DTLS13 unset)");
#else
    if (cfg->dtls && cfg->version == 13)
        return sb_fail(err, cap, SB_EUNSUP, "DTLS 1.3 support not wired in the adapter yet");
#endif
    c->ctx = wolfSSL_CTX_new(method_of(cfg));
    if (!c->ctx) return sb_fail(err, cap, SB_ENOMEM, "wolfSSL_CTX_new failed");
    wolfSSL_CTX_set_ex_data(c->ctx, 0, c);
    /* wolfSSL's DTLS 1.2 server always answers a cookie-less ClientHello with a
     * HelloVerifyRequest (RFC 6347 §4.2.1; also on resumption, wolfSSL issue #2674). */
    if (cfg->dtls && cfg->role == SB_ROLE_SERVER && !cfg->cookie)
        return sb_fail(err, cap, SB_EUNSUP, WOLF_NAME "'s DTLS 1.2 server cannot skip the "
                       "HelloVerifyRequest cookie exchange (--no-cookie)");
    const char *suite = suite_name(cfg);
    if (wolfSSL_CTX_set_cipher_list(c->ctx, suite) != WOLFSSL_SUCCESS) {
        if (cfg->version == 13)
            return sb_fail(err, cap, SB_EUNSUP, WOLF_NAME " does not know %s", suite);
        return sb_fail(err, cap, SB_EUNSUP, WOLF_NAME " has no %s (would be %s)%s",
                       iana12[cfg->auth][cfg->cipher], suite,
                       cfg->auth == SB_TLS_PSK ? ": plain-PSK suites need WOLFSSL_STATIC_PSK" : "");
    }
    int groups[] = {WOLFSSL_ECC_SECP256R1};
    if ((cfg->version == 13 && wolfSSL_CTX_set_groups(c->ctx, groups, 1) != WOLFSSL_SUCCESS) ||
        wolfSSL_CTX_UseSupportedCurve(c->ctx, WOLFSSL_ECC_SECP256R1) != WOLFSSL_SUCCESS)
        return sb_fail(err, cap, SB_EUNSUP, WOLF_NAME ": cannot restrict groups to secp256r1");
    if (wolfSSL_CTX_set1_sigalgs_list(c->ctx, "ECDSA+SHA256") != WOLFSSL_SUCCESS)
        return sb_fail(err, cap, SB_EUNSUP, WOLF_NAME ": cannot restrict signature algorithms");
    if (cfg->version == 12) wolfSSL_CTX_NoTicketTLSv12(c->ctx);
    wolfSSL_CTX_AllowEncryptThenMac(c->ctx, 0); /* AEAD suites only: the extension is moot */
    if (cfg->version == 13) {
        wolfSSL_CTX_set_num_tickets(c->ctx, 1);
        if (cfg->auth == SB_TLS_PSK && wolfSSL_CTX_no_dhe_psk(c->ctx) != 0)
            return sb_fail(err, cap, SB_EUNSUP, WOLF_NAME ": no psk_ke mode");
    }
    if (cfg->auth != SB_TLS_ECDSA) {
        wolfSSL_CTX_set_psk_client_callback(c->ctx, psk_client);
        wolfSSL_CTX_set_psk_server_callback(c->ctx, psk_server);
        if (cfg->version == 13) {
            wolfSSL_CTX_set_psk_client_tls13_callback(c->ctx, psk_client13);
            wolfSSL_CTX_set_psk_server_tls13_callback(c->ctx, psk_server13);
        }
    }
    wolfSSL_CTX_SetIORecv(c->ctx, io_recv);
    wolfSSL_CTX_SetIOSend(c->ctx, io_send);
    if (cfg->dtls) wolfSSL_CTX_SetGenCookie(c->ctx, cookie_gen);
    return SB_OK;
}

static void ctx_free(void *p)
{
    wolf_ctx *c = p;
    if (!c) return;
    if (c->saved) wolfSSL_SESSION_free(c->saved);
    if (c->ctx) wolfSSL_CTX_free(c->ctx);
    free(c);
#ifdef FP_ECC
    /* this build caches fixed-point ECC tables per thread (FP_ECC + HAVE_THREAD_LS); an
     * endpoint's thread drops its own, wolfSSL_Cleanup only ever frees the last caller's */
    wc_ecc_fp_free();
#endif
    wolfSSL_Cleanup(); /* reference counted with wolfSSL_Init */
}

static int probe(const sb_tls_cfg *cfg, char *why, size_t cap)
{
    wolfSSL_Init();
    wolf_ctx c = {.cfg = *cfg};
    int r = ctx_setup(&c, why, cap);
    if (c.ctx) wolfSSL_CTX_free(c.ctx);
    wolfSSL_Cleanup();
    return r;
}

static int ctx_new(void **out, const sb_tls_cfg *cfg, char *err, size_t cap)
{
    wolfSSL_Init();
    wolf_ctx *c = calloc(1, sizeof *c);
    if (!c) {
        wolfSSL_Cleanup();
        return SB_ENOMEM;
    }
    c->cfg = *cfg;
    int r = ctx_setup(c, err, cap);
    if (r == SB_OK) {
        WC_RNG rng;
        if (wc_InitRng(&rng) != 0 || wc_RNG_GenerateBlock(&rng, c->cookie_key, sizeof c->cookie_key) != 0)
            r = sb_fail(err, cap, SB_EIO, "wolfSSL RNG failed");
        wc_FreeRng(&rng);
    }
    if (r == SB_OK && cfg->auth == SB_TLS_ECDSA) {
        int e;
        if ((e = wolfSSL_CTX_use_certificate_file(c->ctx, cfg->cert, WOLFSSL_FILETYPE_PEM)) != WOLFSSL_SUCCESS ||
            (e = wolfSSL_CTX_use_PrivateKey_file(c->ctx, cfg->key, WOLFSSL_FILETYPE_PEM)) != WOLFSSL_SUCCESS)
            r = sb_fail(err, cap, SB_EINVAL, WOLF_NAME ": cannot load %s / %s (%d)", cfg->cert, cfg->key, e);
        else if ((e = wolfSSL_CTX_load_verify_locations(c->ctx, cfg->ca, NULL)) != WOLFSSL_SUCCESS)
            r = sb_fail(err, cap, SB_EINVAL, WOLF_NAME ": cannot load CA %s (%d)", cfg->ca, e);
        wolfSSL_CTX_set_verify(c->ctx, cfg->role == SB_ROLE_SERVER
                                           ? WOLFSSL_VERIFY_PEER | WOLFSSL_VERIFY_FAIL_IF_NO_PEER_CERT
                                           : WOLFSSL_VERIFY_PEER, NULL);
    }
    if (r != SB_OK) {
        ctx_free(c);
        return r;
    }
    *out = c;
    return SB_OK;
}

/* ---- connections ---- */

static void conn_free(void *p)
{
    wolf_conn *k = p;
    if (!k) return;
    if (k->c->cfg.role == SB_ROLE_CLIENT && wolfSSL_is_init_finished(k->ssl)) {
        WOLFSSL_SESSION *s = wolfSSL_get1_session(k->ssl);
        if (s && wolfSSL_SESSION_is_resumable(s)) {
            if (k->c->saved) wolfSSL_SESSION_free(k->c->saved);
            k->c->saved = s;
        } else if (s) {
            wolfSSL_SESSION_free(s);
        }
    }
    wolfSSL_free(k->ssl);
    free(k);
}

static int conn_new(void **out, void *ctx, sb_tls_pipe *pipe, char *err, size_t cap)
{
    wolf_ctx *c = ctx;
    wolf_conn *k = calloc(1, sizeof *k);
    if (!k) return SB_ENOMEM;
    k->c = c;
    k->pipe = pipe;
    k->ssl = wolfSSL_new(c->ctx);
    if (!k->ssl) {
        free(k);
        return sb_fail(err, cap, SB_ENOMEM, "wolfSSL_new failed");
    }
    wolfSSL_SetIOReadCtx(k->ssl, k);
    wolfSSL_SetIOWriteCtx(k->ssl, k);
    if (c->cfg.dtls) {
        wolfSSL_dtls_set_using_nonblock(k->ssl, 1);
        wolfSSL_SetCookieCtx(k->ssl, k);
    }
    if (c->cfg.role == SB_ROLE_CLIENT) {
        if (c->cfg.auth == SB_TLS_ECDSA) wolfSSL_check_domain_name(k->ssl, "server");
        if (c->cfg.version == 13 && c->cfg.auth == SB_TLS_PSK) wolfSSL_NoKeyShares(k->ssl);
        if (c->saved && wolfSSL_set_session(k->ssl, c->saved) != WOLFSSL_SUCCESS) {
            wolfSSL_SESSION_free(c->saved); /* expired: start over with a full handshake */
            c->saved = NULL;
        }
    }
    *out = k;
    return SB_OK;
}

static void arm_timer(wolf_conn *k)
{
    if (k->c->cfg.dtls && !k->timer_at && !wolfSSL_is_init_finished(k->ssl))
        k->timer_at = sb_now_ns() + (int64_t)wolfSSL_dtls_get_current_timeout(k->ssl) * SB_NS_PER_S;
}

static int handshake(void *p, char *err, size_t cap)
{
    wolf_conn *k = p;
    int r = k->c->cfg.role == SB_ROLE_CLIENT ? wolfSSL_connect(k->ssl) : wolfSSL_accept(k->ssl);
    if (r == WOLFSSL_SUCCESS) {
        k->timer_at = 0;
        k->done = 1;
        return SB_OK;
    }
    r = fail(k, r, err, cap);
    if (r == SB_EAGAIN) arm_timer(k);
    return r;
}

static int tls_read(void *p, uint8_t *buf, size_t cap, size_t *got, char *err, size_t ecap)
{
    wolf_conn *k = p;
    int n = wolfSSL_read(k->ssl, buf, (int)(cap > INT32_MAX ? INT32_MAX : cap));
    if (n > 0) {
        *got = (size_t)n;
        return SB_OK;
    }
    return fail(k, n, err, ecap);
}

static int tls_write(void *p, const uint8_t *buf, size_t len, char *err, size_t ecap)
{
    wolf_conn *k = p;
    int n = wolfSSL_write(k->ssl, buf, (int)len);
    return n == (int)len ? SB_OK : fail(k, n, err, ecap);
}

static int shutdown_(void *p)
{
    wolf_conn *k = p;
    if (k->failed) return SB_OK; /* a fatal alert already ended it */
    int r = wolfSSL_shutdown(k->ssl);
    return r == WOLFSSL_SUCCESS || r == WOLFSSL_SHUTDOWN_NOT_DONE ? SB_OK : SB_EIO;
}

static int64_t timer(void *p)
{
    wolf_conn *k = p;
    return k->timer_at;
}

static int timeout(void *p)
{
    wolf_conn *k = p;
    k->timer_at = 0;
    if (!k->c->cfg.dtls || wolfSSL_is_init_finished(k->ssl)) return 0;
    int r = wolfSSL_dtls_got_timeout(k->ssl);
    if (r == WOLFSSL_SUCCESS) {
        arm_timer(k);
        return 1;
    }
    int e = wolfSSL_get_error(k->ssl, r);
    if (e == WOLFSSL_ERROR_WANT_READ) {
        arm_timer(k);
        return 1;
    }
    return -1;
}

static int resumed(const void *p)
{
    const wolf_conn *k = p;
    return wolfSSL_session_reused(k->ssl) == 1;
}

const sb_tlslib sb_tlslib_wolfssl = {
    .name = "wolfssl", .probe = probe, .ctx_new = ctx_new, .ctx_free = ctx_free,
    .conn_new = conn_new, .conn_free = conn_free, .handshake = handshake, .read = tls_read,
    .write = tls_write, .shutdown = shutdown_, .timer = timer, .timeout = timeout,
    .resumed = resumed,
};
