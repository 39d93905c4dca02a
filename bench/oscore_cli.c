/* oscore_cli.c: the `secbench oscore` command (see oscore_cli.h and usage below). */
#include "oscore_cli.h"

#include <stdio.h>
#include <string.h>

#include "../protocols/oscore.h"
#include "coapmsg.h"
#include "util.h"

static const char usage[] =
    "usage: secbench oscore protect [--response --request-kid HEX --request-piv HEX]\n"
    "           --secret HEX [--salt HEX] [--id-context HEX [--send-id-context]]\n"
    "           --sender-id HEX --recipient-id HEX [--seq N] [--lib openssl|wolfssl]\n"
    "           [--alg 10|30|1] MESSAGE_HEX\n"
    "       secbench oscore unprotect [--response --request-kid HEX --request-piv HEX]\n"
    "           --secret HEX [--salt HEX] [--id-context HEX] --sender-id HEX\n"
    "           --recipient-id HEX [--lib openssl|wolfssl] [--alg 10|30|1] PROTECTED_HEX\n"
    "       secbench oscore speed [--iterations N]\n"
    "Messages are whole CoAP messages (RFC 7252 UDP framing) in hex; an empty ID is \"\".\n"
    "protect: a request needs --seq N (its Sender Sequence Number); a response with --seq N\n"
    "carries its own Partial IV N, without it reuses the request's nonce (--request-kid,\n"
    "--request-piv). Default AEAD: AES-CCM-16-64-128 (10); default backend: openssl.\n"
    "Exit: 0 ok, 1 message rejected (authentication, malformed, unknown kid), 2 bad usage.\n";

typedef struct {
    int response, send_idctx;
    const char *secret, *salt, *idctx, *sid, *rid, *rkid, *rpiv, *seq, *lib, *alg, *msg;
} cli_args;

static int usage_err(const char *fmt, const char *arg)
{
    fprintf(stderr, "secbench oscore: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, " (see secbench oscore --help)\n");
    return 2;
}

static int parse_args(int argc, char **argv, cli_args *a)
{
    static const struct { const char *name; size_t off; } valued[] = {
        {"--secret", offsetof(cli_args, secret)}, {"--salt", offsetof(cli_args, salt)},
        {"--id-context", offsetof(cli_args, idctx)}, {"--sender-id", offsetof(cli_args, sid)},
        {"--recipient-id", offsetof(cli_args, rid)}, {"--request-kid", offsetof(cli_args, rkid)},
        {"--request-piv", offsetof(cli_args, rpiv)}, {"--seq", offsetof(cli_args, seq)},
        {"--lib", offsetof(cli_args, lib)}, {"--alg", offsetof(cli_args, alg)}};
    for (int i = 2; i < argc; i++) {
        const char *s = argv[i];
        if (!strcmp(s, "--response")) {
            a->response = 1;
            continue;
        }
        if (!strcmp(s, "--send-id-context")) {
            a->send_idctx = 1;
            continue;
        }
        size_t k;
        for (k = 0; k < sizeof valued / sizeof valued[0]; k++)
            if (!strcmp(s, valued[k].name)) break;
        if (k < sizeof valued / sizeof valued[0]) {
            if (i + 1 >= argc) return usage_err("%s needs a value", s);
            const char **slot = (const char **)((char *)a + valued[k].off);
            if (*slot) return usage_err("%s is given twice", s);
            *slot = argv[++i];
            continue;
        }
        if (s[0] == '-' && s[1] == '-') return usage_err("unknown option %s", s);
        if (a->msg) return usage_err("unexpected argument %s", s);
        a->msg = s;
    }
    return 0;
}

/* Hex argument into out; -1 with a usage error printed when bad. */
static int hex_arg(const char *name, const char *v, uint8_t *out, size_t cap)
{
    int n = sb_hex_decode(v, out, cap);
    if (n == SB_ESPACE) return usage_err("%s is too long", name), -1;
    if (n < 0) return usage_err("%s is not valid hex", name), -1;
    return n;
}

static int run(int protect_mode, const cli_args *a)
{
    if (!a->secret) return usage_err("%s is required", "--secret");
    if (!a->sid) return usage_err("%s is required", "--sender-id");
    if (!a->rid) return usage_err("%s is required", "--recipient-id");
    if (!a->msg) return usage_err("%s is required", protect_mode ? "MESSAGE_HEX" : "PROTECTED_HEX");
    if (a->send_idctx && !a->idctx) return usage_err("%s needs --id-context", "--send-id-context");
    /* the kid context travels in requests only (RFC 8613 §6.1): elsewhere it would be
     * silently ignored */
    if (a->send_idctx && (!protect_mode || a->response))
        return usage_err("%s applies to protecting a request", "--send-id-context");
    if (!protect_mode && a->seq) return usage_err("%s is only for protect", "--seq");
    if (protect_mode && !a->response && !a->seq) return usage_err("%s is required", "--seq");
    if (a->response && (!a->rkid || !a->rpiv))
        return usage_err("%s needs --request-kid and --request-piv", "--response");
    if (!a->response && (a->rkid || a->rpiv))
        return usage_err("%s is only for --response", a->rkid ? "--request-kid" : "--request-piv");

    uint8_t secret[SB_OSCORE_MAX_SECRET], salt[64], idctx[SB_OSCORE_MAX_IDCTX];
    uint8_t sid[SB_OSCORE_MAX_ID], rid[SB_OSCORE_MAX_ID], msg[SB_COAP_MAX_MSG];
    sb_oscore_req req = {0};
    int nsec, nsalt = 0, nidc = 0, nsid, nrid, nmsg, n;
    if ((nsec = hex_arg("--secret", a->secret, secret, sizeof secret)) < 0) return 2;
    if (a->salt && (nsalt = hex_arg("--salt", a->salt, salt, sizeof salt)) < 0) return 2;
    if (a->idctx && (nidc = hex_arg("--id-context", a->idctx, idctx, sizeof idctx)) < 0) return 2;
    if ((nsid = hex_arg("--sender-id", a->sid, sid, sizeof sid)) < 0) return 2;
    if ((nrid = hex_arg("--recipient-id", a->rid, rid, sizeof rid)) < 0) return 2;
    if ((nmsg = hex_arg(protect_mode ? "MESSAGE_HEX" : "PROTECTED_HEX", a->msg, msg, sizeof msg)) < 0)
        return 2;
    if (a->response) {
        if ((n = hex_arg("--request-kid", a->rkid, req.kid, sizeof req.kid)) < 0) return 2;
        req.kid_len = (uint8_t)n;
        if ((n = hex_arg("--request-piv", a->rpiv, req.piv, sizeof req.piv)) < 0) return 2;
        if (n == 0) return usage_err("%s must not be empty", "--request-piv");
        if (n > 1 && req.piv[0] == 0) /* §6.1: the sequence number in its shortest form */
            return usage_err("%s has leading zero bytes (a Partial IV is minimal)", "--request-piv");
        req.piv_len = (uint8_t)n;
    }
    uint64_t seq = 0, alg = SB_COSE_AES_CCM_16_64_128;
    if (a->seq && sb_parse_u64(a->seq, SB_OSCORE_MAX_SEQ, &seq))
        return usage_err("--seq %s is not a number in 0..2^40-1", a->seq);
    if (a->alg && (sb_parse_u64(a->alg, 255, &alg) ||
                   (alg != SB_COSE_AES_CCM_16_64_128 && alg != SB_COSE_AES_CCM_16_128_128 &&
                    alg != SB_COSE_A128GCM)))
        return usage_err("--alg %s is not 10, 30 or 1", a->alg);
    const sb_crypto *cr = sb_crypto_get(a->lib ? a->lib : SB_CRYPTO_DEFAULT);
    if (!cr) return usage_err("--lib %s is not openssl or wolfssl", a->lib);

    sb_oscore_config cfg = {
        .crypto = cr, .alg = (int)alg, .secret = secret, .secret_len = (size_t)nsec,
        .salt = salt, .salt_len = (size_t)nsalt, .id_context = a->idctx ? idctx : NULL,
        .id_context_len = (size_t)nidc, .send_id_context = a->send_idctx, .sender_id = sid,
        .sender_id_len = (size_t)nsid, .recipient_id = rid, .recipient_id_len = (size_t)nrid};
    char err[200];
    sb_oscore_ctx *c;
    int rc = sb_oscore_new(&c, &cfg, err, sizeof err);
    if (rc) {
        fprintf(stderr, "secbench oscore: %s\n", err);
        return rc == SB_EINVAL ? 2 : 1;
    }
    uint8_t out[SB_COAP_MAX_MSG + 64];
    size_t olen = 0;
    const char *what;
    if (a->seq) sb_oscore_set_seq(c, seq);
    if (protect_mode) {
        what = "protect";
        rc = a->response ? sb_oscore_protect_response(c, &req, a->seq != NULL, msg, (size_t)nmsg,
                                                      out, sizeof out, &olen)
                         : sb_oscore_protect_request(c, msg, (size_t)nmsg, out, sizeof out, &olen,
                                                     NULL);
    } else {
        what = "unprotect";
        rc = a->response ? sb_oscore_unprotect_response(c, &req, msg, (size_t)nmsg, out,
                                                        sizeof out, &olen)
                         : sb_oscore_unprotect_request(c, msg, (size_t)nmsg, out, sizeof out,
                                                       &olen, NULL, NULL);
    }
    sb_oscore_free(c);
    if (rc) {
        const char *why =
            protect_mode ? (rc == SB_EPROTO   ? "malformed CoAP message"
                            : rc == SB_EINVAL ? (a->response ? "not a valid CoAP response to protect (a "
                                                               "notification, with Observe, needs --seq: "
                                                               "RFC 8613 4.1.3.5.2)"
                                                             : "not a valid CoAP request to protect")
                            : rc == SB_ESPACE ? "message too large (or sequence numbers exhausted)"
                                              : sb_strerror(rc))
                         : (rc == SB_EPROTO      ? "malformed message (Failed to decode COSE)"
                            : rc == SB_ENOTFOUND ? "unknown kid (Security context not found)"
                            : rc == SB_EAUTH     ? "authentication failed (Decryption failed)"
                                                 : sb_strerror(rc));
        fprintf(stderr, "secbench oscore: %s: %s\n", what, why);
        return 1;
    }
    char hex[2 * sizeof out + 1];
    sb_hex_encode(out, olen, hex);
    printf("%s\n", hex);
    return 0;
}

int sb_oscore_cli(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
        !strcmp(argv[1], "help")) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "speed")) return sb_oscore_speed(argc - 1, argv + 1);
    int protect_mode = !strcmp(argv[1], "protect");
    if (!protect_mode && strcmp(argv[1], "unprotect"))
        return usage_err("unknown command %s", argv[1]);
    for (int i = 2; i < argc; i++)
        if (!strcmp(argv[i], "--help")) {
            fputs(usage, stdout);
            return 0;
        }
    cli_args a = {0};
    int rc = parse_args(argc, argv, &a);
    return rc ? rc : run(protect_mode, &a);
}
