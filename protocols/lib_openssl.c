/* lib_openssl.c: the tlslib.h adapter for OpenSSL 3.0 (libssl).
 * Records go through a custom BIO onto the sb_tls_pipe. Choices that shape the bytes on the
 * wire, made to match the wolfSSL adapter and the constrained-device profiles (RFC 7925):
 * - only secp256r1 (groups/key_share) and ecdsa_secp256r1_sha256 (signature_algorithms);
 * - TLS 1.3: one NewSessionTicket (SSL_CTX_set_num_tickets 1, OpenSSL's default is 2), no
 *   middlebox-compatibility mode (no fake session id, no dummy ChangeCipherSpec records).
 *   Tickets stay OpenSSL's stateless ones, which carry the client's certificate: with ecdsa
 *   the ticket (and so the resumed ClientHello) is ~400 bytes larger than wolfSSL's;
 * - (D)TLS 1.2: resumption by session id (SSL_OP_NO_TICKET: no ticket extension, no
 *   NewSessionTicket message), no encrypt-then-MAC extension (AEAD suites only);
 * - Certificate carries the leaf only (SSL_MODE_NO_AUTO_CHAIN), no CA list in
 *   CertificateRequest, no SNI; the client checks the server name "server".
 * TLS 1.3 psk_ke: OpenSSL's client always offers psk_dhe_ke along with a key_share, and its
 * server prefers psk_dhe_ke when offered (final_key_share in ssl/statem/extensions.c), so two
 * OpenSSL peers cannot negotiate psk_ke; the server accepts psk_ke (SSL_OP_ALLOW_NO_DHE_KEX)
 * from a client that offers only it, e.g. wolfSSL (tested in tests/test_tls.c). */
#include <openssl/err.h>
#include <openssl/hmac.h>
#include <openssl/opensslv.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "../bench/util.h"
#include "tlslib.h"

typedef struct ossl_ctx {
    sb_tls_cfg cfg;
    SSL_CTX *ctx;
    BIO_METHOD *bm;
    SSL_SESSION *saved; /* client: the session offered for resumption */
    uint8_t cookie_key[32];
} ossl_ctx;

typedef struct ossl_conn {
    ossl_ctx *c;
    SSL *ssl;
    sb_tls_pipe *pipe;
    int done;     /* handshake complete */
    int failed;   /* a fatal error happened */
    int offered;  /* client: offered a kept session */
    int external; /* server: TLS 1.3 accepted the external PSK (not a ticket) */
} ossl_conn;

/* OpenSSL's names for the suites of each (version, auth, cipher); a name OpenSSL does not
 * know makes the stack unavailable (probed, see probe()). IANA names in comments. */
static const char *suite_name(const sb_tls_cfg *c)
{
    static const char *const v12[3][2] = {
        {"PSK-AES128-CCM8",                /* TLS_PSK_WITH_AES_128_CCM_8 (RFC 6655) */
         "PSK-AES128-GCM-SHA256"},         /* TLS_PSK_WITH_AES_128_GCM_SHA256 (RFC 5487) */
        {"ECDHE-PSK-AES128-CCM8-SHA256",   /* TLS_ECDHE_PSK_WITH_AES_128_CCM_8_SHA256 (RFC 8442) */
         "ECDHE-PSK-AES128-GCM-SHA256"},   /* TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256 (RFC 8442) */
        {"ECDHE-ECDSA-AES128-CCM8",        /* TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8 (RFC 7251) */
         "ECDHE-ECDSA-AES128-GCM-SHA256"}, /* TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 (RFC 5289) */
    };
    if (c->version == 13) return c->cipher == SB_TLS_CCM8 ? "TLS_AES_128_CCM_8_SHA256" : "TLS_AES_128_GCM_SHA256";
    return v12[c->auth][c->cipher];
}

static const char *const iana12[3][2] = {
    {"TLS_PSK_WITH_AES_128_CCM_8", "TLS_PSK_WITH_AES_128_GCM_SHA256"},
    {"TLS_ECDHE_PSK_WITH_AES_128_CCM_8_SHA256", "TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256"},
    {"TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"},
};

/* ---- BIO onto the pipe ---- */

static int bio_write(BIO *b, const char *buf, int len)
{
    BIO_clear_retry_flags(b);
    sb_tls_pipe *p = BIO_get_data(b);
    return sb_tls_pipe_write(p, (const uint8_t *)buf, (size_t)len) == SB_OK ? len : -1;
}

static int bio_read(BIO *b, char *buf, int len)
{
    BIO_clear_retry_flags(b);
    sb_tls_pipe *p = BIO_get_data(b);
    size_t got = 0;
    if (sb_tls_pipe_read(p, (uint8_t *)buf, (size_t)len, &got) == SB_EAGAIN) {
        BIO_set_retry_read(b);
        return -1;
    }
    return (int)got;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    switch (cmd) {
    case BIO_CTRL_FLUSH: return 1;
    case BIO_CTRL_DGRAM_GET_MTU_OVERHEAD: return 28; /* IPv4 (20) + UDP (8) headers */
    case BIO_CTRL_DGRAM_SET_NEXT_TIMEOUT: return 1;  /* tls_common drives the timer */
    default: return 0;
    }
}

static int bio_create(BIO *b)
{
    BIO_set_init(b, 1);
    return 1;
}

/* ---- errors ---- */

/* Alerts that mean "you are not who I expected" (RFC 8446 §6.2): authentication failures. */
static int auth_alert(int a)
{
    switch (a) {
    case SSL3_AD_BAD_RECORD_MAC: case SSL3_AD_BAD_CERTIFICATE: case SSL3_AD_UNSUPPORTED_CERTIFICATE:
    case SSL3_AD_CERTIFICATE_REVOKED: case SSL3_AD_CERTIFICATE_EXPIRED:
    case SSL3_AD_CERTIFICATE_UNKNOWN: case TLS1_AD_UNKNOWN_CA: case TLS1_AD_ACCESS_DENIED:
    case TLS1_AD_DECRYPT_ERROR: case TLS1_AD_UNKNOWN_PSK_IDENTITY: case TLS13_AD_CERTIFICATE_REQUIRED:
        return 1;
    default: return 0;
    }
}

static int auth_reason(int r)
{
    switch (r) {
    case SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC: case SSL_R_DIGEST_CHECK_FAILED:
    case SSL_R_CERTIFICATE_VERIFY_FAILED: case SSL_R_BAD_SIGNATURE: case SSL_R_BINDER_DOES_NOT_VERIFY:
    case SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE: case SSL_R_PSK_IDENTITY_NOT_FOUND:
    case SSL_R_BAD_PSK_IDENTITY: case SSL_R_NO_CERTIFICATES_RETURNED:
        return 1;
    default: return 0;
    }
}

/* Turn a failed SSL_* call into an SB code and OpenSSL's reason; clears the error queue. */
static int fail(ossl_conn *k, int ret, char *err, size_t cap)
{
    int e = SSL_get_error(k->ssl, ret);
    if (e == SSL_ERROR_WANT_READ) return SB_EAGAIN;
    if (e == SSL_ERROR_ZERO_RETURN) return SB_ECLOSED;
    k->failed = 1;
    /* The first libssl error names the TLS-level cause (a provider's "cipher operation
     * failed" comes before libssl's "decryption failed or bad record mac"). */
    unsigned long ec = 0, e1 = 0, x;
    while ((x = ERR_get_error()) != 0) {
        if (!e1) e1 = x;
        if (!ec && ERR_GET_LIB(x) == ERR_LIB_SSL) ec = x;
    }
    if (!ec) ec = e1;
    /* (a PSK session's verify result is "unspecified": only certificates have one) */
    long vr = SSL_get_verify_result(k->ssl);
    if (k->c->cfg.auth == SB_TLS_ECDSA && !k->done && vr != X509_V_OK)
        return sb_fail(err, cap, SB_EAUTH, "certificate verify failed: %s",
                       X509_verify_cert_error_string(vr));
    if (!ec) {
        if (k->pipe->send_err[0]) return sb_fail(err, cap, k->pipe->send_code, "%s", k->pipe->send_err);
        return sb_fail(err, cap, SB_EPROTO, "OpenSSL: SSL error %d without reason", e);
    }
    int r = ERR_GET_REASON(ec);
    const char *why = ERR_reason_error_string(ec);
    int a = r >= SSL_AD_REASON_OFFSET ? r - SSL_AD_REASON_OFFSET : -1;
    int code = (a >= 0 ? auth_alert(a) : auth_reason(r)) ? SB_EAUTH : SB_EPROTO;
    /* during a PSK handshake, failed Finished/binder/record checks mean the keys differ */
    const char *hint = code == SB_EAUTH && k->c->cfg.auth != SB_TLS_ECDSA && !k->done
                           ? " (wrong PSK?)" : "";
    if (r == SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC && k->done)
        hint = " (record failed authentication)";
    if (a >= 0)
        return sb_fail(err, cap, code, "TLS alert received: %s%s", SSL_alert_desc_string_long(a), hint);
    return sb_fail(err, cap, code, "OpenSSL: %s%s", why ? why : "unknown error", hint);
}

/* ---- PSK and cookies ---- */

static ossl_ctx *ctx_of(SSL *ssl)
{
    return SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
}

static unsigned psk_client(SSL *ssl, const char *hint, char *id, unsigned id_cap, uint8_t *psk,
                           unsigned psk_cap)
{
    ossl_ctx *c = ctx_of(ssl);
    /* TLS 1.3 resumption offers the ticket alone, not the external PSK beside it. */
    SSL_SESSION *s = SSL_get_session(ssl);
    if (c->cfg.version == 13 && s && SSL_SESSION_is_resumable(s)) return 0;
    if (strlen(c->cfg.psk_identity) >= id_cap || c->cfg.psk_len > psk_cap) return 0;
    strcpy(id, c->cfg.psk_identity);
    memcpy(psk, c->cfg.psk, c->cfg.psk_len);
    return (unsigned)c->cfg.psk_len;
}

static unsigned psk_server(SSL *ssl, const char *id, uint8_t *psk, unsigned psk_cap)
{
    ossl_ctx *c = ctx_of(ssl);
    if (!id || strcmp(id, c->cfg.psk_identity) != 0 || c->cfg.psk_len > psk_cap) return 0;
    ossl_conn *k = SSL_get_app_data(ssl);
    if (k) k->external = 1;
    memcpy(psk, c->cfg.psk, c->cfg.psk_len);
    return (unsigned)c->cfg.psk_len;
}

/* Stateless cookie (RFC 6347 §4.2.1): HMAC-SHA256 over the peer's address, 32 bytes (the same
 * length as wolfSSL's, so HelloVerifyRequest sizes compare). */
static int cookie_make(SSL *ssl, uint8_t *out, unsigned *len)
{
    ossl_ctx *c = ctx_of(ssl);
    ossl_conn *k = SSL_get_app_data(ssl);
    uint8_t peer[128];
    size_t pl = sb_tls_pipe_peer(k->pipe, peer, sizeof peer);
    unsigned n = 0;
    if (!HMAC(EVP_sha256(), c->cookie_key, sizeof c->cookie_key, peer, pl, out, &n)) return 0;
    *len = n;
    return 1;
}

static int cookie_gen(SSL *ssl, unsigned char *out, unsigned int *len)
{
    return cookie_make(ssl, out, len);
}

static int cookie_verify(SSL *ssl, const unsigned char *cookie, unsigned int len)
{
    uint8_t want[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    return cookie_make(ssl, want, &n) && n == len && CRYPTO_memcmp(want, cookie, n) == 0;
}

/* ---- contexts ---- */

static int version_of(const sb_tls_cfg *c)
{
    if (c->dtls) return DTLS1_2_VERSION;
    return c->version == 13 ? TLS1_3_VERSION : TLS1_2_VERSION;
}

/* Everything but keys and certificates; shared by probe() and ctx_new(). */
static int ctx_setup(ossl_ctx *c, char *err, size_t cap)
{
    const sb_tls_cfg *cfg = &c->cfg;
    const SSL_METHOD *m = cfg->dtls ? (cfg->role == SB_ROLE_SERVER ? DTLS_server_method() : DTLS_client_method())
                                    : (cfg->role == SB_ROLE_SERVER ? TLS_server_method() : TLS_client_method());
    if (cfg->dtls && cfg->version == 13)
        return sb_fail(err, cap, SB_EUNSUP, "%s built without DTLS 1.3 (OpenSSL 3.0 has none)",
                       OPENSSL_VERSION_TEXT);
    if (cfg->version == 13 && cfg->auth == SB_TLS_PSK && cfg->role == SB_ROLE_CLIENT)
        return sb_fail(err, cap, SB_EUNSUP, "OpenSSL 3.0's TLS 1.3 client always offers psk_dhe_ke "
                       "with a key_share, so psk_ke is never negotiated between OpenSSL peers (its "
                       "server accepts psk_ke from a wolfSSL client)");
    c->ctx = SSL_CTX_new(m);
    if (!c->ctx) return sb_fail(err, cap, SB_ENOMEM, "SSL_CTX_new failed");
    SSL_CTX_set_app_data(c->ctx, c);
    int v = version_of(cfg);
    SSL_CTX_set_min_proto_version(c->ctx, v);
    SSL_CTX_set_max_proto_version(c->ctx, v);
    const char *suite = suite_name(cfg);
    int ok = cfg->version == 13 ? SSL_CTX_set_ciphersuites(c->ctx, suite)
                                : SSL_CTX_set_cipher_list(c->ctx, suite);
    ERR_clear_error();
    if (!ok) {
        if (cfg->version == 13)
            return sb_fail(err, cap, SB_EUNSUP, "%s does not know %s", OPENSSL_VERSION_TEXT, suite);
        return sb_fail(err, cap, SB_EUNSUP, "%s has no %s (would be %s)", OPENSSL_VERSION_TEXT,
                       iana12[cfg->auth][cfg->cipher], suite);
    }
    if (!SSL_CTX_set1_groups_list(c->ctx, "P-256") || !SSL_CTX_set1_sigalgs_list(c->ctx, "ECDSA+SHA256"))
        return sb_fail(err, cap, SB_EUNSUP, "OpenSSL: cannot restrict groups to P-256");
    uint64_t opts = SSL_OP_NO_ENCRYPT_THEN_MAC | SSL_OP_NO_RENEGOTIATION;
    if (cfg->version == 12) opts |= SSL_OP_NO_TICKET;
    if (cfg->version == 13 && cfg->auth == SB_TLS_PSK) opts |= SSL_OP_ALLOW_NO_DHE_KEX;
    if (cfg->dtls && cfg->role == SB_ROLE_SERVER && cfg->cookie) opts |= SSL_OP_COOKIE_EXCHANGE;
    SSL_CTX_set_options(c->ctx, opts);
    SSL_CTX_clear_options(c->ctx, SSL_OP_ENABLE_MIDDLEBOX_COMPAT);
    SSL_CTX_set_num_tickets(c->ctx, 1);
    /* Certificate message = the leaf alone, as wolfSSL sends it: OpenSSL would otherwise
     * append the CA certificate it finds in the trust store (the peer has it already). */
    SSL_CTX_set_mode(c->ctx, SSL_MODE_NO_AUTO_CHAIN);
    /* Server only: a client's TLS 1.3 external-PSK session has no id context, and a client
     * context set here would fail it ("attempt to reuse session in different context"). */
    if (cfg->role == SB_ROLE_SERVER)
        SSL_CTX_set_session_id_context(c->ctx, (const uint8_t *)"secbench", 8);
    if (cfg->auth != SB_TLS_ECDSA) {
        SSL_CTX_set_psk_client_callback(c->ctx, psk_client);
        SSL_CTX_set_psk_server_callback(c->ctx, psk_server);
    }
    return SB_OK;
}

static void ctx_free(void *p)
{
    ossl_ctx *c = p;
    if (!c) return;
    SSL_SESSION_free(c->saved);
    SSL_CTX_free(c->ctx);
    BIO_meth_free(c->bm);
    free(c);
}

static int probe(const sb_tls_cfg *cfg, char *why, size_t cap)
{
    ossl_ctx c = {.cfg = *cfg};
    int r = ctx_setup(&c, why, cap);
    SSL_CTX_free(c.ctx);
    return r;
}

static int ctx_new(void **out, const sb_tls_cfg *cfg, char *err, size_t cap)
{
    ossl_ctx *c = calloc(1, sizeof *c);
    if (!c) return SB_ENOMEM;
    c->cfg = *cfg;
    int r = ctx_setup(c, err, cap);
    if (r == SB_OK && RAND_bytes(c->cookie_key, sizeof c->cookie_key) != 1)
        r = sb_fail(err, cap, SB_EIO, "RAND_bytes failed");
    if (r == SB_OK && cfg->auth == SB_TLS_ECDSA) {
        if (SSL_CTX_use_certificate_file(c->ctx, cfg->cert, SSL_FILETYPE_PEM) != 1 ||
            SSL_CTX_use_PrivateKey_file(c->ctx, cfg->key, SSL_FILETYPE_PEM) != 1 ||
            SSL_CTX_check_private_key(c->ctx) != 1)
            r = sb_fail(err, cap, SB_EINVAL, "OpenSSL: cannot load %s / %s: %s", cfg->cert, cfg->key,
                        ERR_reason_error_string(ERR_peek_last_error()));
        else if (SSL_CTX_load_verify_locations(c->ctx, cfg->ca, NULL) != 1)
            r = sb_fail(err, cap, SB_EINVAL, "OpenSSL: cannot load CA %s", cfg->ca);
        /* Mutual authentication: the server demands the client's certificate. */
        SSL_CTX_set_verify(c->ctx, cfg->role == SB_ROLE_SERVER
                                       ? SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT
                                       : SSL_VERIFY_PEER, NULL);
        ERR_clear_error();
    }
    if (r == SB_OK && cfg->dtls) {
        SSL_CTX_set_cookie_generate_cb(c->ctx, cookie_gen);
        SSL_CTX_set_cookie_verify_cb(c->ctx, cookie_verify);
    }
    if (r == SB_OK) {
        c->bm = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK,
                             "secbench pipe");
        if (!c->bm || !BIO_meth_set_write(c->bm, bio_write) || !BIO_meth_set_read(c->bm, bio_read) ||
            !BIO_meth_set_ctrl(c->bm, bio_ctrl) || !BIO_meth_set_create(c->bm, bio_create))
            r = sb_fail(err, cap, SB_ENOMEM, "BIO_meth_new failed");
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
    ossl_conn *k = p;
    if (!k) return;
    /* OpenSSL drops a session from the server's cache when the SSL is freed before it sent
     * close_notify (ssl_clear_bad_session); the harness's server does not answer the client's
     * close_notify, and RFC 5246 §7.2.1 lets sessions survive any unfailed close. */
    if (k->done && !k->failed)
        SSL_set_shutdown(k->ssl, SSL_get_shutdown(k->ssl) | SSL_SENT_SHUTDOWN);
    if (k->c->cfg.role == SB_ROLE_CLIENT && SSL_is_init_finished(k->ssl)) {
        SSL_SESSION *s = SSL_get1_session(k->ssl);
        if (s && SSL_SESSION_is_resumable(s)) {
            SSL_SESSION_free(k->c->saved);
            k->c->saved = s;
        } else {
            SSL_SESSION_free(s);
        }
    }
    SSL_free(k->ssl); /* frees the BIO */
    free(k);
}

static int conn_new(void **out, void *ctx, sb_tls_pipe *pipe, char *err, size_t cap)
{
    ossl_ctx *c = ctx;
    ossl_conn *k = calloc(1, sizeof *k);
    if (!k) return SB_ENOMEM;
    k->c = c;
    k->pipe = pipe;
    k->ssl = SSL_new(c->ctx);
    BIO *b = k->ssl ? BIO_new(c->bm) : NULL;
    if (!b) {
        SSL_free(k->ssl);
        free(k);
        return sb_fail(err, cap, SB_ENOMEM, "SSL_new failed");
    }
    BIO_set_data(b, pipe);
    SSL_set_bio(k->ssl, b, b);
    SSL_set_app_data(k->ssl, k);
    if (c->cfg.dtls) {
        SSL_set_options(k->ssl, SSL_OP_NO_QUERY_MTU);
        DTLS_set_link_mtu(k->ssl, 1280); /* IPv6 minimum MTU (RFC 8200 §5) */
    }
    if (c->cfg.role == SB_ROLE_CLIENT) {
        SSL_set_connect_state(k->ssl);
        if (c->cfg.auth == SB_TLS_ECDSA) SSL_set1_host(k->ssl, "server");
        if (c->saved) k->offered = SSL_set_session(k->ssl, c->saved) == 1;
    } else {
        SSL_set_accept_state(k->ssl);
    }
    *out = k;
    return SB_OK;
}

static int handshake(void *p, char *err, size_t cap)
{
    ossl_conn *k = p;
    int r = SSL_do_handshake(k->ssl);
    if (r != 1) return fail(k, r, err, cap);
    k->done = 1;
    return SB_OK;
}

static int tls_read(void *p, uint8_t *buf, size_t cap, size_t *got, char *err, size_t ecap)
{
    ossl_conn *k = p;
    size_t n = 0;
    int r = SSL_read_ex(k->ssl, buf, cap, &n);
    if (r == 1) {
        *got = n;
        return SB_OK;
    }
    return fail(k, r, err, ecap);
}

static int tls_write(void *p, const uint8_t *buf, size_t len, char *err, size_t ecap)
{
    ossl_conn *k = p;
    size_t n = 0;
    int r = SSL_write_ex(k->ssl, buf, len, &n);
    if (r == 1 && n == len) return SB_OK;
    return fail(k, r, err, ecap);
}

static int shutdown_(void *p)
{
    ossl_conn *k = p;
    if (k->failed) return SB_OK; /* a fatal alert already ended it */
    int r = SSL_shutdown(k->ssl);
    ERR_clear_error();
    return r >= 0 ? SB_OK : SB_EIO;
}

static int64_t timer(void *p)
{
    ossl_conn *k = p;
    struct timeval tv;
    if (!k->c->cfg.dtls || DTLSv1_get_timeout(k->ssl, &tv) != 1) return 0;
    return sb_now_ns() + (int64_t)tv.tv_sec * SB_NS_PER_S + (int64_t)tv.tv_usec * 1000;
}

static int timeout(void *p)
{
    ossl_conn *k = p;
    int r = DTLSv1_handle_timeout(k->ssl);
    ERR_clear_error();
    return r;
}

static int resumed(const void *p)
{
    const ossl_conn *k = p;
    /* a TLS 1.3 handshake on the external PSK is a "hit" for OpenSSL, not a resumption */
    if (SSL_session_reused(k->ssl) != 1) return 0;
    return k->c->cfg.role == SB_ROLE_CLIENT ? k->offered : !k->external;
}

const sb_tlslib sb_tlslib_openssl = {
    .name = "openssl", .probe = probe, .ctx_new = ctx_new, .ctx_free = ctx_free,
    .conn_new = conn_new, .conn_free = conn_free, .handshake = handshake, .read = tls_read,
    .write = tls_write, .shutdown = shutdown_, .timer = timer, .timeout = timeout,
    .resumed = resumed,
};
