/* Matrix runner pieces that need no child processes: stack selectors, leanness ranking,
 * families and seeds (tests/bench_quick.sh drives the runner itself). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../bench/matrix.h"

static const char *const avail[] = {
    "coap", "coap+tcp", "tls1.2-openssl-psk-ccm8", "tls1.2-openssl-psk-gcm",
    "tls1.2-wolfssl-psk-ecdhe-gcm", "tls1.3-openssl-ecdsa-ccm8", "tls1.3-openssl-ecdsa-gcm",
    "tls1.3-wolfssl-psk-ccm8", "tls1.3-wolfssl-psk-gcm", "dtls1.2-openssl-psk-ccm8",
    "dtls1.2-wolfssl-psk-ecdhe-gcm", "oscore", "oscore-wolfssl", "oscore+dtls1.2-openssl-psk-ccm8",
    "edhoc-m0-s2", "edhoc-m3-s0", "edhoc-m3-s0-wolfssl",
};
#define NAVAIL (sizeof avail / sizeof avail[0])

static char got[2048];

static const char *sel(const char *s, char *err)
{
    const char *out[64];
    char e[300];
    size_t n = sb_matrix_select(s, avail, NAVAIL, out, 64, e, sizeof e);
    got[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (i) strcat(got, " ");
        strcat(got, out[i]);
    }
    if (err) strcpy(err, e);
    return got;
}

static void test_select(void **state)
{
    char err[300];
    assert_string_equal(sel("coap,oscore", err), "coap oscore");
    assert_string_equal(err, "");
    /* @ccm8: one per configuration, CCM-8 where it exists, GCM otherwise, cipher-less ids kept */
    assert_string_equal(sel("@ccm8", NULL),
                        "coap coap+tcp tls1.2-openssl-psk-ccm8 tls1.2-wolfssl-psk-ecdhe-gcm "
                        "tls1.3-openssl-ecdsa-ccm8 tls1.3-wolfssl-psk-ccm8 "
                        "dtls1.2-openssl-psk-ccm8 dtls1.2-wolfssl-psk-ecdhe-gcm oscore "
                        "oscore-wolfssl oscore+dtls1.2-openssl-psk-ccm8 edhoc-m0-s2 edhoc-m3-s0 "
                        "edhoc-m3-s0-wolfssl");
    /* families: oscore+dtls is its own family, not oscore's nor dtls's */
    assert_string_equal(sel("@oscore", NULL), "oscore oscore-wolfssl");
    assert_string_equal(sel("@dtls", NULL), "dtls1.2-openssl-psk-ccm8 dtls1.2-wolfssl-psk-ecdhe-gcm");
    /* leanest: PSK < PSK+ECDHE < ECDSA, CCM-8 < GCM, TLS 1.3 < 1.2, EDHOC m3 first */
    assert_string_equal(sel("@tls-leanest", NULL), "tls1.3-wolfssl-psk-ccm8");
    assert_string_equal(sel("@dtls-leanest", NULL), "dtls1.2-openssl-psk-ccm8");
    assert_string_equal(sel("@coap-leanest", NULL), "coap");
    assert_string_equal(sel("@edhoc-leanest", NULL), "edhoc-m3-s0");
    assert_string_equal(sel("@oscore-leanest", NULL), "oscore");
    /* globs, exclusions, duplicates */
    assert_string_equal(sel("tls1.3-*-gcm", NULL), "tls1.3-openssl-ecdsa-gcm tls1.3-wolfssl-psk-gcm");
    assert_string_equal(sel("edhoc-*,!edhoc-*-wolfssl", NULL), "edhoc-m0-s2 edhoc-m3-s0");
    assert_string_equal(sel("coap,coap,*,!*tls*,!edhoc*,!oscore-*", NULL), "coap coap+tcp oscore");
    /* unknown id: skipped, named in err */
    assert_string_equal(sel("coap,dtls1.3-openssl-psk-ccm8", err), "coap");
    assert_non_null(strstr(err, "dtls1.3-openssl-psk-ccm8 is not available"));
    assert_string_equal(sel("@nosuch-leanest", err), "");
    assert_non_null(strstr(err, "no available stack of family 'nosuch'"));
}

static void test_family(void **state)
{
    char f[16];
    assert_string_equal(sb_matrix_family("coap+tcp", f, sizeof f), "coap");
    assert_string_equal(sb_matrix_family("oscore-openssl", f, sizeof f), "oscore");
    assert_string_equal(sb_matrix_family("oscore+dtls1.2-wolfssl-ecdsa-gcm", f, sizeof f), "oscore+dtls");
    assert_string_equal(sb_matrix_family("tls1.2-openssl-psk-ccm8", f, sizeof f), "tls");
    assert_string_equal(sb_matrix_family("dtls1.2-openssl-psk-ccm8", f, sizeof f), "dtls");
    assert_string_equal(sb_matrix_family("edhoc-m3-s2-openssl", f, sizeof f), "edhoc");
    assert_string_equal(sb_matrix_family("quic", f, sizeof f), "");
    assert_true(sb_matrix_lean_rank("tls1.3-wolfssl-psk-ccm8") <
                sb_matrix_lean_rank("tls1.2-openssl-psk-ccm8"));
    assert_true(sb_matrix_lean_rank("tls1.2-openssl-psk-gcm") <
                sb_matrix_lean_rank("tls1.3-wolfssl-psk-ecdhe-ccm8"));
    assert_true(sb_matrix_lean_rank("tls1.3-wolfssl-psk-ecdhe-gcm") <
                sb_matrix_lean_rank("tls1.3-wolfssl-ecdsa-ccm8"));
    assert_true(sb_matrix_lean_rank("edhoc-m3-s2") < sb_matrix_lean_rank("edhoc-m1-s0"));
    assert_true(sb_matrix_lean_rank("edhoc-m1-s0") < sb_matrix_lean_rank("edhoc-m0-s0"));
}

static void test_seed(void **state)
{
    uint64_t a = sb_matrix_seed(1, "main|oscore|nbiot|cold|", 1);
    assert_int_equal(a, sb_matrix_seed(1, "main|oscore|nbiot|cold|", 1)); /* reruns repeat */
    assert_true(a != sb_matrix_seed(1, "main|oscore|nbiot|cold|", 2));
    assert_true(a != sb_matrix_seed(2, "main|oscore|nbiot|cold|", 1));
    assert_true(a != sb_matrix_seed(1, "main|oscore|ltem|cold|", 1));
    assert_true(a >= 1 && a <= 0x7fffffff); /* fits any --seed parser */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_select),
        cmocka_unit_test(test_family),
        cmocka_unit_test(test_seed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
