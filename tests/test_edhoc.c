/* test_edhoc.c: the EDHOC core (protocols/edhoc.c) against the two traces of RFC 9529,
 * every intermediate value they give, on both crypto backends; full in-memory handshakes
 * with random ephemerals for methods 0 and 3, suites 0 and 2, kid and x5t, across
 * libraries; error messages (RFC 9528 §6) for malformed, altered, unknown-credential and
 * wrong-suite inputs; the invalid encodings of RFC 9529 §4.1; the message sizes of
 * draft-ietf-iotops-security-protocol-comparison §3.1 (static DH, kid: 37/45/19). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/ecc.h>

#include "../bench/params.h"
#include "../bench/util.h"
#include "../bench/workload.h"
#include "../protocols/cbor.h"
#include "../protocols/crypto.h"
#include "../protocols/edhoc.h"
#include "../protocols/stack.h"

/* Hex with spaces and newlines, as the RFC prints it. */
static size_t hx(const char *s, uint8_t *out, size_t cap)
{
    size_t n = 0;
    int hi = -1;
    for (; *s; s++) {
        int v;
        if (*s >= '0' && *s <= '9') v = *s - '0';
        else if (*s >= 'a' && *s <= 'f') v = *s - 'a' + 10;
        else if (*s >= 'A' && *s <= 'F') v = *s - 'A' + 10;
        else continue;
        if (hi < 0) {
            hi = v;
        } else {
            assert_true(n < cap);
            out[n++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    assert_int_equal(hi, -1);
    return n;
}

static void check_hex(const uint8_t *got, size_t got_len, const char *want, const char *what)
{
    uint8_t w[1024];
    size_t n = hx(want, w, sizeof w);
    if (got_len != n || memcmp(got, w, n) != 0) {
        char g[2100];
        sb_hex_encode(got, got_len < 1000 ? got_len : 1000, g);
        fail_msg("%s: got %zu bytes %s, want %zu bytes", what, got_len, g, n);
    }
}

static void check_value(const sb_edhoc *e, int which, const char *want, const char *what)
{
    const uint8_t *p;
    size_t n;
    assert_int_equal(sb_edhoc_test_value(e, which, &p, &n), SB_OK);
    check_hex(p, n, want, what);
}

/* ---- RFC 9529 §2: method 0, suite 0 (X25519, EdDSA), X.509 certificates by x5t ---------- */

static const char T1_X[] = "89 2e c2 8e 5c b6 66 91 08 47 05 39 50 0b 70 5e 60 d0 08 d3 47 c5 81"
                           "7e e9 f3 32 7c 8a 87 bb 03";
static const char T1_GX[] = "31 f8 2c 7b 5b 9c bb f0 f1 94 d9 13 cc 12 ef 15 32 d3 28 ef 32 63 2a"
                            "48 81 a1 c0 70 1e 23 7f 04";
static const char T1_Y[] = "e6 9c 23 fb f8 1b c4 35 94 24 46 83 7f e8 27 bf 20 6c 8f a1 0a 39 db"
                           "47 44 9e 5a 81 34 21 e1 e8";
static const char T1_GY[] = "dc 88 d2 d5 1d a5 ed 67 fc 46 16 35 6b c8 ca 74 ef 9e be 8b 38 7e 62"
                            "3a 36 0b a4 80 b9 b2 9d 1c";
static const char T1_SK_R[] = "ef 14 0f f9 00 b0 ab 03 f0 c0 8d 87 9c bb d4 b3 1e a7 1e 6e 7e e7 ff"
                              "cb 7e 79 55 77 7a 33 27 99";
static const char T1_SK_I[] = "4c 5b 25 87 8f 50 7c 6b 9d ae 68 fb d4 fd 3f f9 97 53 3d b0 af 00 b2"
                              "5d 32 4e a2 8e 6c 21 3b c8";
static const char T1_CRED_R[] =
    "30 81 ee 30 81 a1 a0 03 02 01 02 02 04 62 31 9e c4 30 05 06 03 2b 65"
    "70 30 1d 31 1b 30 19 06 03 55 04 03 0c 12 45 44 48 4f 43 20 52 6f 6f"
    "74 20 45 64 32 35 35 31 39 30 1e 17 0d 32 32 30 33 31 36 30 38 32 34"
    "33 36 5a 17 0d 32 39 31 32 33 31 32 33 30 30 30 30 5a 30 22 31 20 30"
    "1e 06 03 55 04 03 0c 17 45 44 48 4f 43 20 52 65 73 70 6f 6e 64 65 72"
    "20 45 64 32 35 35 31 39 30 2a 30 05 06 03 2b 65 70 03 21 00 a1 db 47"
    "b9 51 84 85 4a d1 2a 0c 1a 35 4e 41 8a ac e3 3a a0 f2 c6 62 c0 0b 3a"
    "c5 5d e9 2f 93 59 30 05 06 03 2b 65 70 03 41 00 b7 23 bc 01 ea b0 92"
    "8e 8b 2b 6c 98 de 19 cc 38 23 d4 6e 7d 69 87 b0 32 47 8f ec fa f1 45"
    "37 a1 af 14 cc 8b e8 29 c6 b7 30 44 10 18 37 eb 4a bc 94 95 65 d8 6d"
    "ce 51 cf ae 52 ab 82 c1 52 cb 02";
static const char T1_CRED_I[] =
    "30 81 ee 30 81 a1 a0 03 02 01 02 02 04 62 31 9e a0 30 05 06 03 2b 65"
    "70 30 1d 31 1b 30 19 06 03 55 04 03 0c 12 45 44 48 4f 43 20 52 6f 6f"
    "74 20 45 64 32 35 35 31 39 30 1e 17 0d 32 32 30 33 31 36 30 38 32 34"
    "30 30 5a 17 0d 32 39 31 32 33 31 32 33 30 30 30 30 5a 30 22 31 20 30"
    "1e 06 03 55 04 03 0c 17 45 44 48 4f 43 20 49 6e 69 74 69 61 74 6f 72"
    "20 45 64 32 35 35 31 39 30 2a 30 05 06 03 2b 65 70 03 21 00 ed 06 a8"
    "ae 61 a8 29 ba 5f a5 45 25 c9 d0 7f 48 dd 44 a3 02 f4 3e 0f 23 d8 cc"
    "20 b7 30 85 14 1e 30 05 06 03 2b 65 70 03 41 00 52 12 41 d8 b3 a7 70"
    "99 6b cf c9 b9 ea d4 e7 e0 a1 c0 db 35 3a 3b df 29 10 b3 92 75 ae 48"
    "b7 56 01 59 81 85 0d 27 db 67 34 e3 7f 67 21 22 67 dd 05 ee ff 27 b9"
    "e7 a8 13 fa 57 4b 72 a0 0b 43 0b";
static const char T1_M1[] = "00 00 58 20 31 f8 2c 7b 5b 9c bb f0 f1 94 d9 13 cc 12 ef 15 32 d3 28"
                            "ef 32 63 2a 48 81 a1 c0 70 1e 23 7f 04 2d";
static const char T1_TH2[] = "c6 40 5c 15 4c 56 74 66 ab 1d f2 03 69 50 0e 54 0e 9f 14 bd 3a 79 6a"
                             "06 52 ca e6 6c 90 61 68 8d";
static const char T1_GXY[] = "e5 cd f3 a9 86 cd ac 5b 7b f0 46 91 e2 b0 7c 08 e7 1f 53 99 8d 8f 84"
                             "2b 7c 3f b4 d8 39 cf 7b 28";
static const char T1_PRK2E[] = "d5 84 ac 2e 5d ad 5a 77 d1 4b 53 eb e7 2e f1 d5 da a8 86 0d 39 93 73"
                               "bf 2c 24 0a fa 7b a8 04 da";
static const char T1_MAC2[] = "86 2a 7e 5e f1 47 f9 a5 f4 c5 12 e1 b6 62 3c d6 6c d1 7a 72 72 07 2b"
                              "fe 5b 60 2f fe 30 7e e0 e9";
static const char T1_SIG2[] = "c3 b5 bd 44 d1 e4 4a 08 5c 03 d3 ae de 4e 1e 6c 11 c5 72 a1 96 8c c3"
                              "62 9b 50 5f 98 c6 81 60 8d 3d 1d e7 93 d1 c4 0e b5 dd 5d 89 ac f1 96"
                              "6a ea 07 02 2b 48 cd c9 98 70 eb c4 03 74 e8 fa 6e 09";
static const char T1_PT2[] = "41 18 a1 18 22 82 2e 48 79 f2 a4 1b 51 0c 1f 9b 58 40 c3 b5 bd 44 d1"
                             "e4 4a 08 5c 03 d3 ae de 4e 1e 6c 11 c5 72 a1 96 8c c3 62 9b 50 5f 98"
                             "c6 81 60 8d 3d 1d e7 93 d1 c4 0e b5 dd 5d 89 ac f1 96 6a ea 07 02 2b"
                             "48 cd c9 98 70 eb c4 03 74 e8 fa 6e 09";
static const char T1_KS2[] = "fd 3e 7c 3f 2d 6b ee 64 3d 3c 9d 2f 28 47 03 5d 73 e2 ec b0 f8 db 5c"
                             "d1 c6 85 4e 24 89 6a f2 11 88 b2 c4 34 4e 68 9e c2 98 42 83 d9 fb c6"
                             "9c e1 c5 db 10 dc ff f2 4d f9 a4 9a 04 a9 40 58 27 7b c7 fa 9a d6 c6"
                             "b1 94 ab 32 8b 44 5e b0 80 49 0c d7 86";
static const char T1_M2[] = "58 72 dc 88 d2 d5 1d a5 ed 67 fc 46 16 35 6b c8 ca 74 ef 9e be 8b 38"
                            "7e 62 3a 36 0b a4 80 b9 b2 9d 1c bc 26 dd 27 0f e9 c0 2c 44 ce 39 34"
                            "79 4b 1c c6 2b a2 2f 05 45 9f 8d 35 8c 8d 12 27 5a c4 2c 5f 96 de d5"
                            "f1 3c c9 08 4e 5b 20 18 89 a4 5e 5a 60 a5 56 2d c1 18 61 9c 3d aa 2f"
                            "d9 f4 c9 f4 d6 ed ad 10 9d d4 ed f9 59 62 aa fb af 9a b3 f4 a1 f6 b9"
                            "8f";
static const char T1_TH3[] = "5b 7d f9 b4 f5 8f 24 0c e0 41 8e 48 19 1b 5f ff 3a 22 b5 ca 57 f6 69"
                             "b1 67 77 99 65 92 e9 28 bc";
static const char T1_MAC3[] = "39 b1 27 c1 30 12 9a fa 30 61 8c 75 13 29 e6 37 cc 37 34 27 0d 4b 01"
                              "25 84 45 a8 ee 02 da a3 bd";
static const char T1_SIG3[] = "96 e1 cd 5f ce ad fa c1 b5 af 81 94 43 f7 09 24 f5 71 99 55 95 7f d0"
                              "26 55 be b4 77 5e 1a 73 18 6a 0d 1d 3e a6 83 f0 8f 8d 03 dc ec b9 cf"
                              "15 4e 1c 6f 55 5a 1e 12 ca 11 8c e4 2b db a6 87 89 07";
static const char T1_PT3[] = "a1 18 22 82 2e 48 c2 4a b2 fd 76 43 c7 9f 58 40 96 e1 cd 5f ce ad fa"
                             "c1 b5 af 81 94 43 f7 09 24 f5 71 99 55 95 7f d0 26 55 be b4 77 5e 1a"
                             "73 18 6a 0d 1d 3e a6 83 f0 8f 8d 03 dc ec b9 cf 15 4e 1c 6f 55 5a 1e"
                             "12 ca 11 8c e4 2b db a6 87 89 07";
static const char T1_K3[] = "da 19 5e 5f 64 8a c6 3b 0e 8f b0 c4 55 20 51 39";
static const char T1_IV3[] = "38 d8 c6 4c 56 25 5a ff a4 49 f4 be d7";
static const char T1_M3[] = "58 58 25 c3 45 88 4a aa eb 22 c5 27 f9 b1 d2 b6 78 72 07 e0 16 3c 69"
                            "b6 2a 0d 43 92 81 50 42 72 03 c3 16 74 e4 51 4e a6 e3 83 b5 66 eb 29"
                            "76 3e fe b0 af a5 18 77 6a e1 c6 5f 85 6d 84 bf 32 af 3a 78 36 97 04"
                            "66 dc b7 1f 76 74 5d 39 d3 02 5e 77 03 e0 c0 32 eb ad 51 94 7c";
static const char T1_TH4[] = "0e b8 68 f2 63 cf 35 55 dc cd 39 6d d8 de c2 9d 37 50 d5 99 be 42 d5"
                             "a4 1a 5a 37 c8 96 f2 94 ac";
static const char T1_PRKOUT[] = "b7 44 cb 7d 8a 87 cc 04 47 c3 35 0e 16 5b 25 0d ab 12 ec 45 33 25 ab"
                                "b9 22 b3 03 07 e5 c3 68 f0";
static const char T1_PRKEXP[] = "2a ae c8 fc 4a b3 bc 32 95 de f6 b5 51 05 1a 2f a5 61 42 4d b3 01 fa"
                                "84 f6 42 f5 57 8a 6d f5 1a";
static const char T1_MSECRET[] = "1e 1c 6b ea c3 a8 a1 ca c4 35 de 7e 2f 9a e7 ff";
static const char T1_MSALT[] = "ce 7a b8 44 c0 10 6d 73";

/* ---- RFC 9529 §3: method 3, suite 2 (P-256), CCS by kid, after a suite negotiation ------ */

static const char T2_X1[] = "5c 41 72 ac a8 b8 2b 5a 62 e6 6f 72 22 16 f5 a1 0f 72 aa 69 f4 2c 1d"
                            "1c d3 cc d7 bf d2 9c a4 e9";
static const char T2_GX1[] = "74 1a 13 d7 ba 04 8f bb 61 5e 94 38 6a a3 b6 1b ea 5b 3d 8f 65 f3 26"
                             "20 b7 49 be e8 d2 78 ef a9";
static const char T2_M1_FIRST[] = "03 06 58 20 74 1a 13 d7 ba 04 8f bb 61 5e 94 38 6a a3 b6 1b ea 5b 3d"
                                  "8f 65 f3 26 20 b7 49 be e8 d2 78 ef a9 0e";
static const char T2_ERROR[] = "02 02";
static const char T2_X[] = "36 8e c1 f6 9a eb 65 9b a3 7d 5a 8d 45 b2 1b dc 02 99 dc ea a8 ef 23"
                           "5f 3c a4 2c e3 53 0f 95 25";
static const char T2_GX[] = "8a f6 f4 30 eb e1 8d 34 18 40 17 a9 a1 1b f5 11 c8 df f8 f8 34 73 0b"
                            "96 c1 b7 c8 db ca 2f c3 b6";
static const char T2_M1[] = "03 82 06 02 58 20 8a f6 f4 30 eb e1 8d 34 18 40 17 a9 a1 1b f5 11 c8"
                            "df f8 f8 34 73 0b 96 c1 b7 c8 db ca 2f c3 b6 37";
static const char T2_Y[] = "e2 f4 12 67 77 20 5e 85 3b 43 7d 6e ac a1 e1 f7 53 cd cc 3e 2c 69 fa"
                           "88 4b 0a 1a 64 09 77 e4 18";
static const char T2_GY[] = "41 97 01 d7 f0 0a 26 c2 dc 58 7a 36 dd 75 25 49 f3 37 63 c8 93 42 2c"
                            "8e a0 f9 55 a1 3a 4f f5 d5";
static const char T2_TH2[] = "35 6e fd 53 77 14 25 e0 08 f3 fe 3a 86 c8 3f f4 c6 b1 6e 57 02 8f f3"
                             "9d 52 36 c1 82 b2 02 08 4b";
static const char T2_GXY[] = "2f 0c b7 e8 60 ba 53 8f bf 5c 8b de d0 09 f6 25 9b 4b 62 8f e1 eb 7d"
                             "be 93 78 e5 ec f7 a8 24 ba";
static const char T2_PRK2E[] = "5a a0 d6 9f 3e 3d 1e 0c 47 9f 0b 8a 48 66 90 c9 80 26 30 c3 46 6b 1d"
                               "c9 23 71 c9 82 56 31 70 b5";
static const char T2_SK_R[] = "72 cc 47 61 db d4 c7 8f 75 89 31 aa 58 9d 34 8d 1e f8 74 a7 e3 03 ed"
                              "e2 f1 40 dc f3 e6 aa 4a ac";
static const char T2_PRK3E2M[] = "0c a3 d3 39 82 96 b3 c0 39 00 98 76 20 c1 1f 6f ce 70 78 1c 1d 12 19"
                                 "72 0f 9e c0 8c 12 2d 84 34";
static const char T2_CRED_R[] = "a2 02 6b 65 78 61 6d 70 6c 65 2e 65 64 75 08 a1 01 a5 01 02 02 41 32"
                                "20 01 21 58 20 bb c3 49 60 52 6e a4 d3 2e 94 0c ad 2a 23 41 48 dd c2"
                                "17 91 a1 2a fb cb ac 93 62 20 46 dd 44 f0 22 58 20 45 19 e2 57 23 6b"
                                "2a 0c e2 02 3f 09 31 f1 f3 86 ca 7a fd a6 4f cd e0 10 8c 22 4c 51 ea"
                                "bf 60 72";
static const char T2_MAC2[] = "09 43 30 5c 89 9f 5c 54";
static const char T2_PT2[] = "27 32 48 09 43 30 5c 89 9f 5c 54";
static const char T2_KS2[] = "bf 50 e9 e7 ba d0 bb 68 17 33 99";
static const char T2_M2[] = "58 2b 41 97 01 d7 f0 0a 26 c2 dc 58 7a 36 dd 75 25 49 f3 37 63 c8 93"
                            "42 2c 8e a0 f9 55 a1 3a 4f f5 d5 98 62 a1 ee f9 e0 e7 e1 88 6f cd";
static const char T2_TH3[] = "ad af 67 a7 8a 4b cc 91 e0 18 f8 88 27 62 a7 22 00 0b 25 07 03 9d f0"
                             "bc 1b bf 0c 16 1b b3 15 5c";
static const char T2_SK_I[] = "fb 13 ad eb 65 18 ce e5 f8 84 17 66 08 41 14 2e 83 0a 81 fe 33 43 80"
                              "a9 53 40 6a 13 05 e8 70 6b";
static const char T2_PRK4E3M[] = "81 cc 8a 29 8e 35 70 44 e3 c4 66 bb 5c 0a 1e 50 7e 01 d4 92 38 ae ba"
                                 "13 8d f9 46 35 40 7c 0f f7";
static const char T2_CRED_I[] = "a2 02 77 34 32 2d 35 30 2d 33 31 2d 46 46 2d 45 46 2d 33 37 2d 33 32"
                                "2d 33 39 08 a1 01 a5 01 02 02 41 2b 20 01 21 58 20 ac 75 e9 ec e3 e5"
                                "0b fc 8e d6 03 99 88 95 22 40 5c 47 bf 16 df 96 66 0a 41 29 8c b4 30"
                                "7f 7e b6 22 58 20 6e 5d e6 11 38 8a 4b 8a 82 11 33 4a c7 d3 7e cb 52"
                                "a3 87 d2 57 e6 db 3c 2a 93 df 21 ff 3a ff c8";
static const char T2_MAC3[] = "62 3c 91 df 41 e3 4c 2f";
static const char T2_PT3[] = "2b 48 62 3c 91 df 41 e3 4c 2f";
static const char T2_K3[] = "8e 7a 30 04 20 00 f7 90 0e 81 74 13 1f 75 f3 ed";
static const char T2_IV3[] = "6d 83 00 c1 e2 3b 56 15 3a e7 0e e4 57";
static const char T2_M3[] = "52 e5 62 09 7b c4 17 dd 59 19 48 5a c7 89 1f fd 90 a9 fc";
static const char T2_TH4[] = "c9 02 b1 e3 a4 32 6c 93 c5 55 1f 5f 3a a6 c5 ec c0 24 68 06 76 56 12"
                             "e5 2b 5d 99 e6 05 9d 6b 6e";
static const char T2_PRKOUT[] = "2c 71 af c1 a9 33 8a 94 0b b3 52 9c a7 34 b8 86 f3 0d 1a ba 0b 4d c5"
                                "1b ee ae ab df ea 9e cb f8";
static const char T2_PRKEXP[] = "e1 4d 06 69 9c ee 24 8c 5a 04 bf 92 27 bb cd 4c e3 94 de 7d cb 56 db"
                                "43 55 54 74 17 1e 64 46 db";
static const char T2_MSECRET[] = "f9 86 8f 6a 3a ca 78 a0 5d 14 85 b3 50 30 b1 62";
static const char T2_MSALT[] = "ad a2 4c 7d bf c8 5e eb";

/* ---- fixtures --------------------------------------------------------------------------- */

typedef struct party {
    uint8_t cred_buf[1024];
    size_t cred_len;
    uint8_t priv[32];
    sb_edhoc_cred cred;
} party;

static void party_ccs(party *p, const char *cred_hex, const char *priv_hex)
{
    p->cred_len = hx(cred_hex, p->cred_buf, sizeof p->cred_buf);
    hx(priv_hex, p->priv, 32);
    assert_int_equal(sb_edhoc_cred_ccs(&p->cred, p->cred_buf, p->cred_len), SB_OK);
}

static void party_x509(party *p, const sb_crypto *cr, const char *der_hex, const char *priv_hex)
{
    p->cred_len = hx(der_hex, p->cred_buf, sizeof p->cred_buf);
    hx(priv_hex, p->priv, 32);
    assert_int_equal(sb_edhoc_cred_x509(&p->cred, cr, p->cred_buf, p->cred_len), SB_OK);
}

static sb_edhoc_config cfg_for(const char *lib, int method, const int *suites, size_t n,
                               size_t sel, const uint8_t *cid, size_t cid_len, const party *own,
                               const party *peer)
{
    sb_edhoc_config c;
    memset(&c, 0, sizeof c);
    c.crypto = sb_crypto_get(lib);
    c.ecc = sb_ecc_get(lib);
    c.method = method;
    memcpy(c.suites, suites, n * sizeof *suites);
    c.nsuites = n;
    c.sel = sel;
    c.cid = cid;
    c.cid_len = cid_len;
    c.own = &own->cred;
    c.own_priv = own->priv;
    c.peers = peer ? &peer->cred : NULL;
    c.npeers = peer ? 1 : 0;
    return c;
}

static void inject(sb_edhoc *e, const char *priv_hex, const char *pub_hex)
{
    uint8_t priv[32], pub[32];
    hx(priv_hex, priv, 32);
    hx(pub_hex, pub, 32);
    sb_edhoc_test_set_ephemeral(e, priv, pub);
}

static const char *const libs[] = {"openssl", "wolfssl"};

/* ---- trace 1 ---------------------------------------------------------------------------- */

static void trace1(const char *lib)
{
    const sb_crypto *cr = sb_crypto_get(lib);
    party I, R;
    party_x509(&I, cr, T1_CRED_I, T1_SK_I);
    party_x509(&R, cr, T1_CRED_R, T1_SK_R);
    check_hex(I.cred.id, I.cred.id_len, "c2 4a b2 fd 76 43 c7 9f", "x5t of CRED_I");
    check_hex(R.cred.id, R.cred.id_len, "79 f2 a4 1b 51 0c 1f 9b", "x5t of CRED_R");
    const int suites[] = {0};
    const uint8_t c_i[] = {0x2d}, c_r[] = {0x18};
    sb_edhoc_config ci = cfg_for(lib, 0, suites, 1, 0, c_i, 1, &I, &R);
    sb_edhoc_config cr_ = cfg_for(lib, 0, suites, 1, 0, c_r, 1, &R, &I);
    sb_edhoc *ei, *er;
    assert_int_equal(sb_edhoc_new(&ei, &ci, SB_EDHOC_INITIATOR), SB_OK);
    assert_int_equal(sb_edhoc_new(&er, &cr_, SB_EDHOC_RESPONDER), SB_OK);
    inject(ei, T1_X, T1_GX);
    inject(er, T1_Y, T1_GY);

    uint8_t m1[200], m2[400], m3[400];
    size_t l1, l2, l3;
    assert_int_equal(sb_edhoc_i_msg1(ei, m1, sizeof m1, &l1), SB_OK);
    check_hex(m1, l1, T1_M1, "message_1");
    assert_int_equal(sb_edhoc_r_msg1(er, m1, l1), SB_OK);
    assert_int_equal(sb_edhoc_r_msg2(er, m2, sizeof m2, &l2), SB_OK);
    check_hex(m2, l2, T1_M2, "message_2");
    const sb_edhoc *both[2] = {er, NULL};
    assert_int_equal(sb_edhoc_i_msg2(ei, m2, l2), SB_OK);
    both[1] = ei;
    for (int k = 0; k < 2; k++) {
        const sb_edhoc *e = both[k];
        check_value(e, SB_EDHOC_V_GXY, T1_GXY, "G_XY");
        check_value(e, SB_EDHOC_V_TH2, T1_TH2, "TH_2");
        check_value(e, SB_EDHOC_V_PRK2E, T1_PRK2E, "PRK_2e");
        check_value(e, SB_EDHOC_V_PRK3E2M, T1_PRK2E, "PRK_3e2m = PRK_2e");
        check_value(e, SB_EDHOC_V_MAC2, T1_MAC2, "MAC_2");
        check_value(e, SB_EDHOC_V_SIGMAC2, T1_SIG2, "Signature_or_MAC_2");
        check_value(e, SB_EDHOC_V_PLAINTEXT2, T1_PT2, "PLAINTEXT_2");
        check_value(e, SB_EDHOC_V_KEYSTREAM2, T1_KS2, "KEYSTREAM_2");
        check_value(e, SB_EDHOC_V_TH3, T1_TH3, "TH_3");
    }
    assert_int_equal(sb_edhoc_i_msg3(ei, m3, sizeof m3, &l3), SB_OK);
    check_hex(m3, l3, T1_M3, "message_3");
    assert_int_equal(sb_edhoc_r_msg3(er, m3, l3), SB_OK);
    for (int k = 0; k < 2; k++) {
        const sb_edhoc *e = k ? ei : er;
        uint8_t secret[16], salt[8];
        assert_true(sb_edhoc_done(e));
        check_value(e, SB_EDHOC_V_PRK4E3M, T1_PRK2E, "PRK_4e3m = PRK_3e2m");
        check_value(e, SB_EDHOC_V_MAC3, T1_MAC3, "MAC_3");
        check_value(e, SB_EDHOC_V_SIGMAC3, T1_SIG3, "Signature_or_MAC_3");
        check_value(e, SB_EDHOC_V_PLAINTEXT3, T1_PT3, "PLAINTEXT_3");
        check_value(e, SB_EDHOC_V_K3, T1_K3, "K_3");
        check_value(e, SB_EDHOC_V_IV3, T1_IV3, "IV_3");
        check_value(e, SB_EDHOC_V_TH4, T1_TH4, "TH_4");
        check_value(e, SB_EDHOC_V_PRKOUT, T1_PRKOUT, "PRK_out");
        check_value(e, SB_EDHOC_V_PRKEXPORTER, T1_PRKEXP, "PRK_exporter");
        assert_int_equal(sb_edhoc_oscore(e, secret, salt), SB_OK);
        check_hex(secret, 16, T1_MSECRET, "OSCORE Master Secret");
        check_hex(salt, 8, T1_MSALT, "OSCORE Master Salt");
        const uint8_t *a, *b;
        size_t al, bl;
        assert_int_equal(sb_edhoc_cids(e, &a, &al, &b, &bl), SB_OK);
        check_hex(a, al, "2d", "C_I");
        check_hex(b, bl, "18", "C_R");
    }
    sb_edhoc_free(ei);
    sb_edhoc_free(er);
}

static void test_trace1_openssl(void **st)
{
    trace1("openssl");
}

static void test_trace1_wolfssl(void **st)
{
    trace1("wolfssl");
}

/* ---- trace 2 ---------------------------------------------------------------------------- */

static void trace2(const char *lib)
{
    party I, R;
    party_ccs(&I, T2_CRED_I, T2_SK_I);
    party_ccs(&R, T2_CRED_R, T2_SK_R);
    check_hex(I.cred.id, I.cred.id_len, "2b", "kid of CRED_I");
    check_hex(R.cred.id, R.cred.id_len, "32", "kid of CRED_R");
    const int suites_i[] = {6, 2}, suites_r[] = {2};
    const uint8_t c_i[] = {0x37}, c_r[] = {0x27}, c_i_first[] = {0x0e};
    uint8_t m1[200], m2[200], m3[200], err[64];
    size_t l1, l2, l3, le;
    sb_edhoc *ei, *er;

    /* §3.1-3.2: message_1 offering suite 6 alone draws error 2 with SUITES_R = 2. */
    sb_edhoc_config ci = cfg_for(lib, 3, suites_i, 2, 0, c_i_first, 1, &I, &R);
    sb_edhoc_config cr_ = cfg_for(lib, 3, suites_r, 1, 0, c_r, 1, &R, &I);
    assert_int_equal(sb_edhoc_new(&ei, &ci, SB_EDHOC_INITIATOR), SB_OK);
    assert_int_equal(sb_edhoc_new(&er, &cr_, SB_EDHOC_RESPONDER), SB_OK);
    inject(ei, T2_X1, T2_GX1);
    assert_int_equal(sb_edhoc_i_msg1(ei, m1, sizeof m1, &l1), SB_OK);
    check_hex(m1, l1, T2_M1_FIRST, "message_1 (first time)");
    assert_int_equal(sb_edhoc_r_msg1(er, m1, l1), SB_EUNSUP);
    assert_int_equal(sb_edhoc_error_msg(er, err, sizeof err, &le), SB_OK);
    check_hex(err, le, T2_ERROR, "error");
    assert_int_equal(sb_edhoc_i_msg2(ei, err, le), SB_EPROTO);
    assert_int_equal(sb_edhoc_peer_error(ei), SB_EDHOC_ERR_WRONG_SUITE);
    int peer_suites[4];
    size_t np = sb_edhoc_peer_suites(ei, peer_suites, 4);
    assert_int_equal(np, 1);
    int sel = sb_edhoc_pick_suite(suites_i, 2, peer_suites, np);
    assert_int_equal(sel, 1);
    assert_int_equal(sb_edhoc_error_msg(ei, err, sizeof err, &le), SB_ENOTFOUND);
    sb_edhoc_free(ei);
    sb_edhoc_free(er);

    /* §3.3-3.8: second attempt, SUITES_I = [6, 2]. */
    ci = cfg_for(lib, 3, suites_i, 2, (size_t)sel, c_i, 1, &I, &R);
    assert_int_equal(sb_edhoc_new(&ei, &ci, SB_EDHOC_INITIATOR), SB_OK);
    assert_int_equal(sb_edhoc_new(&er, &cr_, SB_EDHOC_RESPONDER), SB_OK);
    inject(ei, T2_X, T2_GX);
    inject(er, T2_Y, T2_GY);
    assert_int_equal(sb_edhoc_i_msg1(ei, m1, sizeof m1, &l1), SB_OK);
    check_hex(m1, l1, T2_M1, "message_1");
    assert_int_equal(sb_edhoc_r_msg1(er, m1, l1), SB_OK);
    assert_int_equal(sb_edhoc_r_msg2(er, m2, sizeof m2, &l2), SB_OK);
    check_hex(m2, l2, T2_M2, "message_2");
    assert_int_equal(sb_edhoc_i_msg2(ei, m2, l2), SB_OK);
    for (int k = 0; k < 2; k++) {
        const sb_edhoc *e = k ? ei : er;
        check_value(e, SB_EDHOC_V_GXY, T2_GXY, "G_XY");
        check_value(e, SB_EDHOC_V_TH2, T2_TH2, "TH_2");
        check_value(e, SB_EDHOC_V_PRK2E, T2_PRK2E, "PRK_2e");
        check_value(e, SB_EDHOC_V_PRK3E2M, T2_PRK3E2M, "PRK_3e2m");
        check_value(e, SB_EDHOC_V_MAC2, T2_MAC2, "MAC_2");
        check_value(e, SB_EDHOC_V_SIGMAC2, T2_MAC2, "Signature_or_MAC_2");
        check_value(e, SB_EDHOC_V_PLAINTEXT2, T2_PT2, "PLAINTEXT_2");
        check_value(e, SB_EDHOC_V_KEYSTREAM2, T2_KS2, "KEYSTREAM_2");
        check_value(e, SB_EDHOC_V_TH3, T2_TH3, "TH_3");
    }
    assert_int_equal(sb_edhoc_i_msg3(ei, m3, sizeof m3, &l3), SB_OK);
    check_hex(m3, l3, T2_M3, "message_3");
    assert_int_equal(sb_edhoc_r_msg3(er, m3, l3), SB_OK);
    for (int k = 0; k < 2; k++) {
        const sb_edhoc *e = k ? ei : er;
        uint8_t secret[16], salt[8];
        assert_true(sb_edhoc_done(e));
        check_value(e, SB_EDHOC_V_PRK4E3M, T2_PRK4E3M, "PRK_4e3m");
        check_value(e, SB_EDHOC_V_MAC3, T2_MAC3, "MAC_3");
        check_value(e, SB_EDHOC_V_SIGMAC3, T2_MAC3, "Signature_or_MAC_3");
        check_value(e, SB_EDHOC_V_PLAINTEXT3, T2_PT3, "PLAINTEXT_3");
        check_value(e, SB_EDHOC_V_K3, T2_K3, "K_3");
        check_value(e, SB_EDHOC_V_IV3, T2_IV3, "IV_3");
        check_value(e, SB_EDHOC_V_TH4, T2_TH4, "TH_4");
        check_value(e, SB_EDHOC_V_PRKOUT, T2_PRKOUT, "PRK_out");
        check_value(e, SB_EDHOC_V_PRKEXPORTER, T2_PRKEXP, "PRK_exporter");
        assert_int_equal(sb_edhoc_oscore(e, secret, salt), SB_OK);
        check_hex(secret, 16, T2_MSECRET, "OSCORE Master Secret");
        check_hex(salt, 8, T2_MSALT, "OSCORE Master Salt");
        assert_int_equal(sb_edhoc_suite(e), 2);
    }
    sb_edhoc_free(ei);
    sb_edhoc_free(er);
}

static void test_trace2_openssl(void **st)
{
    trace2("openssl");
}

static void test_trace2_wolfssl(void **st)
{
    trace2("wolfssl");
}

/* ---- in-memory handshakes with random ephemerals ---------------------------------------- */

/* A CCS for a fresh X25519 key (COSE kty OKP = 1, crv X25519 = 4), kid 1 byte. */
static void party_fresh_x25519(party *p, const sb_ecc *ecc, uint8_t kid)
{
    uint8_t pub[32];
    assert_int_equal(ecc->keygen(SB_CRV_X25519, p->priv, pub), SB_OK);
    sb_cbor_w w;
    sb_cbor_w_init(&w, p->cred_buf, sizeof p->cred_buf);
    sb_cbor_put_head(&w, SB_CBOR_MAP, 2);
    sb_cbor_put_uint(&w, 2);
    sb_cbor_put_tstr(&w, "test");
    sb_cbor_put_uint(&w, 8);
    sb_cbor_put_head(&w, SB_CBOR_MAP, 1);
    sb_cbor_put_uint(&w, 1);
    sb_cbor_put_head(&w, SB_CBOR_MAP, 4);
    sb_cbor_put_uint(&w, 1);
    sb_cbor_put_uint(&w, 1);
    sb_cbor_put_uint(&w, 2);
    sb_cbor_put_bstr(&w, &kid, 1);
    sb_cbor_put_int(&w, -1);
    sb_cbor_put_uint(&w, 4);
    sb_cbor_put_int(&w, -2);
    sb_cbor_put_bstr(&w, pub, 32);
    assert_int_equal(w.err, 0);
    p->cred_len = w.len;
    assert_int_equal(sb_edhoc_cred_ccs(&p->cred, p->cred_buf, p->cred_len), SB_OK);
}

typedef struct run_result {
    size_t len[3];
    uint8_t secret[2][16], salt[2][8];
} run_result;

static void handshake(const char *lib_i, const char *lib_r, int method, int suite, party *I,
                      party *R, run_result *res)
{
    const int suites[] = {suite};
    const uint8_t c_i[] = {0x37}, c_r[] = {0x27};
    sb_edhoc_config ci = cfg_for(lib_i, method, suites, 1, 0, c_i, 1, I, R);
    sb_edhoc_config cr_ = cfg_for(lib_r, method, suites, 1, 0, c_r, 1, R, I);
    sb_edhoc *ei, *er;
    uint8_t m1[SB_EDHOC_MAX_MSG], m2[SB_EDHOC_MAX_MSG], m3[SB_EDHOC_MAX_MSG];
    assert_int_equal(sb_edhoc_new(&ei, &ci, SB_EDHOC_INITIATOR), SB_OK);
    assert_int_equal(sb_edhoc_new(&er, &cr_, SB_EDHOC_RESPONDER), SB_OK);
    assert_int_equal(sb_edhoc_i_msg1(ei, m1, sizeof m1, &res->len[0]), SB_OK);
    assert_int_equal(sb_edhoc_r_msg1(er, m1, res->len[0]), SB_OK);
    assert_int_equal(sb_edhoc_r_msg2(er, m2, sizeof m2, &res->len[1]), SB_OK);
    int rc = sb_edhoc_i_msg2(ei, m2, res->len[1]);
    if (rc) fail_msg("%s->%s m%d s%d: %s", lib_i, lib_r, method, suite, sb_edhoc_reason(ei));
    assert_int_equal(sb_edhoc_i_msg3(ei, m3, sizeof m3, &res->len[2]), SB_OK);
    rc = sb_edhoc_r_msg3(er, m3, res->len[2]);
    if (rc) fail_msg("%s->%s m%d s%d: %s", lib_i, lib_r, method, suite, sb_edhoc_reason(er));
    assert_int_equal(sb_edhoc_oscore(ei, res->secret[0], res->salt[0]), SB_OK);
    assert_int_equal(sb_edhoc_oscore(er, res->secret[1], res->salt[1]), SB_OK);
    assert_memory_equal(res->secret[0], res->secret[1], 16);
    assert_memory_equal(res->salt[0], res->salt[1], 8);
    sb_edhoc_free(ei);
    sb_edhoc_free(er);
}

static void test_random_handshakes(void **st)
{
    for (int a = 0; a < 2; a++)
        for (int b = 0; b < 2; b++) {
            const sb_crypto *cr = sb_crypto_get(libs[a]);
            party I, R, XI, XR;
            run_result res, res2;
            /* Method 3, suite 2, kid (RFC 9529 §3 credentials). */
            party_ccs(&I, T2_CRED_I, T2_SK_I);
            party_ccs(&R, T2_CRED_R, T2_SK_R);
            handshake(libs[a], libs[b], 3, 2, &I, &R, &res);
            handshake(libs[a], libs[b], 3, 2, &I, &R, &res2);
            assert_memory_not_equal(res.secret[0], res2.secret[0], 16); /* fresh ephemerals */
            /* Method 0, suite 2: ES256 with the same P-256 keys as signature keys. */
            handshake(libs[a], libs[b], 0, 2, &I, &R, &res);
            /* Method 0, suite 0, x5t (RFC 9529 §2 certificates). */
            party_x509(&XI, cr, T1_CRED_I, T1_SK_I);
            party_x509(&XR, cr, T1_CRED_R, T1_SK_R);
            handshake(libs[a], libs[b], 0, 0, &XI, &XR, &res);
            /* Method 3, suite 0: fresh X25519 static keys. */
            party_fresh_x25519(&XI, sb_ecc_get(libs[a]), 0x2b);
            party_fresh_x25519(&XR, sb_ecc_get(libs[b]), 0x32);
            handshake(libs[a], libs[b], 3, 0, &XI, &XR, &res);
            /* Mixed methods: I signs (x5t Ed25519), R static DH is impossible across curves;
             * method 2 (I static, R signature) on P-256. */
            handshake(libs[a], libs[b], 2, 2, &I, &R, &res);
            handshake(libs[a], libs[b], 1, 2, &I, &R, &res);
        }
}

/* draft-ietf-iotops-security-protocol-comparison §3.1: EDHOC static DH + kid, 1-byte
 * identifiers: message_1 37, message_2 45, message_3 19 bytes (101 in all). */
static void test_sizes_method3_kid(void **st)
{
    party I, R;
    run_result res;
    party_ccs(&I, T2_CRED_I, T2_SK_I);
    party_ccs(&R, T2_CRED_R, T2_SK_R);
    handshake("openssl", "openssl", 3, 2, &I, &R, &res);
    assert_int_equal(res.len[0], 37);
    assert_int_equal(res.len[1], 45);
    assert_int_equal(res.len[2], 19);
    /* Method 0 (ES256 signatures), kid: 37 / 102 / 77 (same draft). */
    handshake("openssl", "openssl", 0, 2, &I, &R, &res);
    assert_int_equal(res.len[0], 37);
    assert_int_equal(res.len[1], 102);
    assert_int_equal(res.len[2], 77);
}

/* ---- errors ----------------------------------------------------------------------------- */

typedef struct pair {
    party I, R;
    sb_edhoc *ei, *er;
    uint8_t m1[200], m2[200], m3[200];
    size_t l1, l2, l3;
} pair;

static void pair_start(pair *p, int peer_known)
{
    const int suites[] = {2};
    static const uint8_t c_i[] = {0x37}, c_r[] = {0x27};
    party_ccs(&p->I, T2_CRED_I, T2_SK_I);
    party_ccs(&p->R, T2_CRED_R, T2_SK_R);
    sb_edhoc_config ci = cfg_for("openssl", 3, suites, 1, 0, c_i, 1, &p->I, &p->R);
    sb_edhoc_config cr_ = cfg_for("openssl", 3, suites, 1, 0, c_r, 1, &p->R,
                                  peer_known ? &p->I : NULL);
    assert_int_equal(sb_edhoc_new(&p->ei, &ci, SB_EDHOC_INITIATOR), SB_OK);
    assert_int_equal(sb_edhoc_new(&p->er, &cr_, SB_EDHOC_RESPONDER), SB_OK);
    assert_int_equal(sb_edhoc_i_msg1(p->ei, p->m1, sizeof p->m1, &p->l1), SB_OK);
}

static void pair_end(pair *p)
{
    sb_edhoc_free(p->ei);
    sb_edhoc_free(p->er);
}

/* The error message must be code 1 with exactly this diagnostic. */
static void expect_error1(const sb_edhoc *e, const char *diag)
{
    uint8_t msg[200], want[200];
    size_t n, wn;
    assert_int_equal(sb_edhoc_error_msg(e, msg, sizeof msg, &n), SB_OK);
    sb_cbor_w w;
    sb_cbor_w_init(&w, want, sizeof want);
    sb_cbor_put_uint(&w, 1);
    sb_cbor_put_tstr(&w, diag);
    wn = w.len;
    assert_int_equal(msg[0], 0x01);
    if (n != wn || memcmp(msg, want, n) != 0) fail_msg("error message diag '%s'", sb_edhoc_reason(e));
    int code;
    char d[100];
    assert_int_equal(sb_edhoc_parse_error(msg, n, &code, NULL, NULL, d, sizeof d), SB_OK);
    assert_int_equal(code, 1);
    assert_string_equal(d, diag);
}

static void test_truncated_messages(void **st)
{
    /* Every strict prefix of message_1, message_2 and message_3 is refused with error 1. */
    pair p;
    pair_start(&p, 1);
    for (size_t n = 0; n < p.l1; n++) {
        pair q;
        pair_start(&q, 1);
        int rc = sb_edhoc_r_msg1(q.er, p.m1, n);
        assert_true(rc == SB_EPROTO);
        uint8_t msg[100];
        size_t ml;
        assert_int_equal(sb_edhoc_error_msg(q.er, msg, sizeof msg, &ml), SB_OK);
        assert_int_equal(msg[0], 0x01);
        pair_end(&q);
    }
    pair_end(&p);

    /* Every strict prefix of RFC 9529 §3's message_2 and message_3, to the trace's states. */
    uint8_t m1[64], m2[64], m3[64], out[64];
    size_t l1 = hx(T2_M1, m1, sizeof m1), l2 = hx(T2_M2, m2, sizeof m2);
    size_t l3 = hx(T2_M3, m3, sizeof m3), n;
    party I, R;
    party_ccs(&I, T2_CRED_I, T2_SK_I);
    party_ccs(&R, T2_CRED_R, T2_SK_R);
    const int si[] = {6, 2}, sr[] = {2};
    const uint8_t c_i[] = {0x37}, c_r[] = {0x27};
    sb_edhoc_config ci = cfg_for("openssl", 3, si, 2, 1, c_i, 1, &I, &R);
    sb_edhoc_config cr_ = cfg_for("openssl", 3, sr, 1, 0, c_r, 1, &R, &I);
    for (size_t k = 0; k <= l2; k++) {
        sb_edhoc *e;
        assert_int_equal(sb_edhoc_new(&e, &ci, SB_EDHOC_INITIATOR), SB_OK);
        inject(e, T2_X, T2_GX);
        assert_int_equal(sb_edhoc_i_msg1(e, out, sizeof out, &n), SB_OK);
        int rc = sb_edhoc_i_msg2(e, m2, k);
        if (k == l2) {
            assert_int_equal(rc, SB_OK); /* the whole message is fine */
        } else {
            assert_int_equal(rc, SB_EPROTO);
            expect_error1(e, "malformed message_2");
        }
        sb_edhoc_free(e);
    }
    for (size_t k = 0; k <= l3; k++) {
        sb_edhoc *e;
        assert_int_equal(sb_edhoc_new(&e, &cr_, SB_EDHOC_RESPONDER), SB_OK);
        inject(e, T2_Y, T2_GY);
        assert_int_equal(sb_edhoc_r_msg1(e, m1, l1), SB_OK);
        assert_int_equal(sb_edhoc_r_msg2(e, out, sizeof out, &n), SB_OK);
        int rc = sb_edhoc_r_msg3(e, m3, k);
        if (k == l3) {
            assert_int_equal(rc, SB_OK);
        } else {
            assert_int_equal(rc, SB_EPROTO);
            expect_error1(e, "malformed message_3");
        }
        sb_edhoc_free(e);
    }

    /* A truncated message_1 with a known diagnostic. */
    pair_start(&p, 1);
    assert_int_equal(sb_edhoc_r_msg1(p.er, p.m1, p.l1 - 1), SB_EPROTO);
    expect_error1(p.er, "malformed message_1");
    pair_end(&p);
}

static void test_altered_messages(void **st)
{
    pair p;
    /* One flipped bit in CIPHERTEXT_2: MAC_2 fails at the initiator. */
    pair_start(&p, 1);
    assert_int_equal(sb_edhoc_r_msg1(p.er, p.m1, p.l1), SB_OK);
    assert_int_equal(sb_edhoc_r_msg2(p.er, p.m2, sizeof p.m2, &p.l2), SB_OK);
    p.m2[p.l2 - 1] ^= 0x01;
    assert_int_equal(sb_edhoc_i_msg2(p.ei, p.m2, p.l2), SB_EAUTH);
    expect_error1(p.ei, "MAC_2 verification failed");
    pair_end(&p);

    /* One flipped bit in G_Y: a different point (or none), MAC_2 fails. */
    pair_start(&p, 1);
    assert_int_equal(sb_edhoc_r_msg1(p.er, p.m1, p.l1), SB_OK);
    assert_int_equal(sb_edhoc_r_msg2(p.er, p.m2, sizeof p.m2, &p.l2), SB_OK);
    p.m2[5] ^= 0x40;
    /* Off the curve, or another key stream: garbled PLAINTEXT_2 or a MAC_2 mismatch. */
    int rc = sb_edhoc_i_msg2(p.ei, p.m2, p.l2);
    assert_true(rc == SB_EAUTH || rc == SB_EPROTO);
    uint8_t em[100];
    size_t el;
    assert_int_equal(sb_edhoc_error_msg(p.ei, em, sizeof em, &el), SB_OK);
    assert_int_equal(em[0], 0x01);
    pair_end(&p);

    /* One flipped bit in CIPHERTEXT_3: the AEAD tag fails at the responder. */
    pair_start(&p, 1);
    assert_int_equal(sb_edhoc_r_msg1(p.er, p.m1, p.l1), SB_OK);
    assert_int_equal(sb_edhoc_r_msg2(p.er, p.m2, sizeof p.m2, &p.l2), SB_OK);
    assert_int_equal(sb_edhoc_i_msg2(p.ei, p.m2, p.l2), SB_OK);
    assert_int_equal(sb_edhoc_i_msg3(p.ei, p.m3, sizeof p.m3, &p.l3), SB_OK);
    uint8_t bad[200];
    memcpy(bad, p.m3, p.l3);
    bad[3] ^= 0x80;
    assert_int_equal(sb_edhoc_r_msg3(p.er, bad, p.l3), SB_EAUTH);
    expect_error1(p.er, "message_3 decryption failed");
    assert_false(sb_edhoc_done(p.er));
    /* The state is spent: the genuine message_3 is no longer accepted. */
    assert_int_equal(sb_edhoc_r_msg3(p.er, p.m3, p.l3), SB_EINVAL);
    pair_end(&p);
}

static void test_unknown_credential(void **st)
{
    /* The responder does not know the initiator's kid: error 3 with ERR_INFO true. */
    pair p;
    pair_start(&p, 0);
    assert_int_equal(sb_edhoc_r_msg1(p.er, p.m1, p.l1), SB_OK);
    assert_int_equal(sb_edhoc_r_msg2(p.er, p.m2, sizeof p.m2, &p.l2), SB_OK);
    assert_int_equal(sb_edhoc_i_msg2(p.ei, p.m2, p.l2), SB_OK);
    assert_int_equal(sb_edhoc_i_msg3(p.ei, p.m3, sizeof p.m3, &p.l3), SB_OK);
    assert_int_equal(sb_edhoc_r_msg3(p.er, p.m3, p.l3), SB_ENOTFOUND);
    uint8_t msg[16];
    size_t n;
    assert_int_equal(sb_edhoc_error_msg(p.er, msg, sizeof msg, &n), SB_OK);
    check_hex(msg, n, "03 f5", "error 3");
    pair_end(&p);

    /* The initiator does not know the responder's credential either. */
    const int suites[] = {2};
    const uint8_t c_i[] = {0x37}, c_r[] = {0x27};
    party I, R;
    party_ccs(&I, T2_CRED_I, T2_SK_I);
    party_ccs(&R, T2_CRED_R, T2_SK_R);
    sb_edhoc_config ci = cfg_for("wolfssl", 3, suites, 1, 0, c_i, 1, &I, NULL);
    sb_edhoc_config cr_ = cfg_for("wolfssl", 3, suites, 1, 0, c_r, 1, &R, &I);
    sb_edhoc *ei, *er;
    uint8_t m1[64], m2[64];
    size_t l1, l2;
    assert_int_equal(sb_edhoc_new(&ei, &ci, SB_EDHOC_INITIATOR), SB_OK);
    assert_int_equal(sb_edhoc_new(&er, &cr_, SB_EDHOC_RESPONDER), SB_OK);
    assert_int_equal(sb_edhoc_i_msg1(ei, m1, sizeof m1, &l1), SB_OK);
    assert_int_equal(sb_edhoc_r_msg1(er, m1, l1), SB_OK);
    assert_int_equal(sb_edhoc_r_msg2(er, m2, sizeof m2, &l2), SB_OK);
    assert_int_equal(sb_edhoc_i_msg2(ei, m2, l2), SB_ENOTFOUND);
    assert_int_equal(sb_edhoc_error_msg(ei, msg, sizeof msg, &n), SB_OK);
    check_hex(msg, n, "03 f5", "error 3");
    /* The responder takes the error in place of message_3. */
    assert_int_equal(sb_edhoc_r_msg3(er, msg, n), SB_EPROTO);
    assert_int_equal(sb_edhoc_peer_error(er), SB_EDHOC_ERR_UNKNOWN_CRED);
    sb_edhoc_free(ei);
    sb_edhoc_free(er);
}

static void test_unsupported_suite(void **st)
{
    /* Suite 0 selected, responder only 2 and 3 (preference 3 first): error 2, SUITES_R [3, 2]. */
    party I, R;
    party_ccs(&I, T2_CRED_I, T2_SK_I);
    party_ccs(&R, T2_CRED_R, T2_SK_R);
    const int si[] = {0}, sr[] = {3, 2};
    const uint8_t c_i[] = {0x37}, c_r[] = {0x27};
    sb_edhoc_config ci = cfg_for("openssl", 3, si, 1, 0, c_i, 1, &I, &R);
    sb_edhoc_config cr_ = cfg_for("openssl", 3, sr, 2, 0, c_r, 1, &R, &I);
    sb_edhoc *ei, *er;
    uint8_t m1[64], msg[16];
    size_t l1, n;
    assert_int_equal(sb_edhoc_new(&ei, &ci, SB_EDHOC_INITIATOR), SB_OK);
    assert_int_equal(sb_edhoc_new(&er, &cr_, SB_EDHOC_RESPONDER), SB_OK);
    assert_int_equal(sb_edhoc_i_msg1(ei, m1, sizeof m1, &l1), SB_OK);
    assert_int_equal(sb_edhoc_r_msg1(er, m1, l1), SB_EUNSUP);
    assert_int_equal(sb_edhoc_error_msg(er, msg, sizeof msg, &n), SB_OK);
    check_hex(msg, n, "02 82 03 02", "error 2 with SUITES_R [3, 2]");
    int code, suites[8];
    size_t ns;
    assert_int_equal(sb_edhoc_parse_error(msg, n, &code, suites, &ns, NULL, 0), SB_OK);
    assert_int_equal(code, 2);
    assert_int_equal(ns, 2);
    assert_int_equal(suites[0], 3);
    assert_int_equal(sb_edhoc_pick_suite((const int[]){0, 1}, 2, suites, ns), SB_ENOTFOUND);
    /* The initiator reads the error in place of message_2, and sends nothing back. */
    assert_int_equal(sb_edhoc_i_msg2(ei, msg, n), SB_EPROTO);
    assert_int_equal(sb_edhoc_peer_error(ei), 2);
    assert_int_equal(sb_edhoc_error_msg(ei, msg, sizeof msg, &n), SB_ENOTFOUND);
    sb_edhoc_free(ei);
    sb_edhoc_free(er);

    /* A wrong method draws error 1. */
    sb_edhoc_config cr2 = cfg_for("openssl", 0, sr, 2, 0, c_r, 1, &R, &I);
    assert_int_equal(sb_edhoc_new(&er, &cr2, SB_EDHOC_RESPONDER), SB_OK);
    static const char m1_m3[] = "03 02 58 20 8a f6 f4 30 eb e1 8d 34 18 40 17 a9 a1 1b f5 11 c8"
                                "df f8 f8 34 73 0b 96 c1 b7 c8 db ca 2f c3 b6 37";
    l1 = hx(m1_m3, m1, sizeof m1);
    assert_int_equal(sb_edhoc_r_msg1(er, m1, l1), SB_EUNSUP);
    expect_error1(er, "method 3 not supported");
    sb_edhoc_free(er);
}

/* RFC 9529 §4.1: invalid encodings of message_1 a responder must reject. */
static void test_invalid_traces(void **st)
{
    static const char *const bad[] = {
        /* 4.1.1 surplus array encoding of the message */
        "84 03 02 58 20 74 1a 13 d7 ba 04 8f bb 61 5e 94 38 6a a3 b6 1b ea 5b"
        "3d 8f 65 f3 26 20 b7 49 be e8 d2 78 ef a9 0e",
        /* 4.1.2 surplus bstr encoding of C_I */
        "03 02 58 20 74 1a 13 d7 ba 04 8f bb 61 5e 94 38 6a a3 b6 1b ea 5b 3d"
        "8f 65 f3 26 20 b7 49 be e8 d2 78 ef a9 41 0e",
        /* 4.1.3 surplus array encoding of the suite */
        "03 81 02 58 20 74 1a 13 d7 ba 04 8f bb 61 5e 94 38 6a a3 b6 1b ea 5b"
        "3d 8f 65 f3 26 20 b7 49 be e8 d2 78 ef a9 0e",
        /* 4.1.4 text string as G_X */
        "03 02 78 20 20 61 69 72 20 73 70 65 65 64 20 6F 66 20 61 20 75 6E 6C"
        "61 64 65 6E 20 73 77 61 6C 6C 6F 77 20 0e",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        pair p;
        uint8_t m[64];
        size_t n = hx(bad[i], m, sizeof m);
        pair_start(&p, 1);
        assert_int_equal(sb_edhoc_r_msg1(p.er, m, n), SB_EPROTO);
        uint8_t msg[100];
        size_t ml;
        assert_int_equal(sb_edhoc_error_msg(p.er, msg, sizeof msg, &ml), SB_OK);
        assert_int_equal(msg[0], 0x01);
        pair_end(&p);
    }
    /* 4.1.5: message_2 of two CBOR items. */
    static const char m2_two[] = "58 20 41 97 01 d7 f0 0a 26 c2 dc 58 7a 36 dd 75 25 49 f3 37 63 c8 93"
                                 "42 2c 8e a0 f9 55 a1 3a 4f f5 d5 4B 98 62 a1 1d e4 2a 95 d7 85 38 6a";
    pair p;
    uint8_t m[64];
    size_t n = hx(m2_two, m, sizeof m);
    pair_start(&p, 1);
    assert_int_equal(sb_edhoc_i_msg2(p.ei, m, n), SB_EPROTO);
    expect_error1(p.ei, "malformed message_2");
    pair_end(&p);
}

static void test_cid_encoding(void **st)
{
    /* RFC 9528 §3.3.2: 1-byte ids in 0x00..0x17 and 0x20..0x37 are CBOR ints. */
    const uint8_t ints[] = {0x00, 0x17, 0x20, 0x37}, bstrs[] = {0x18, 0x1f, 0x38, 0xff};
    for (size_t i = 0; i < 4; i++) {
        assert_true(sb_edhoc_cid_is_int(&ints[i], 1));
        assert_false(sb_edhoc_cid_is_int(&bstrs[i], 1));
    }
    const uint8_t two[] = {0x01, 0x02};
    assert_false(sb_edhoc_cid_is_int(two, 2));
}

/* ---- the stack family over a datagram socket pair --------------------------------------- */

typedef struct side {
    const char *id;
    const char *opts[4]; /* name, value pairs */
    sb_role role;
    int fd, ctl;
    int rc;
    uint8_t code;
    size_t sizes[3];
    char err[256];
} side;

/* Contexts are made in the main thread: the registry's lookups probe the TLS libraries,
 * whose initialisation is not thread-safe. */
static void side_ctx(side *x, sb_stack_desc *d, sb_stack_ctx **ctx)
{
    sb_params *p = sb_params_new();
    for (int i = 0; i < 4 && x->opts[i]; i += 2) sb_params_set(p, x->opts[i], x->opts[i + 1]);
    *ctx = NULL;
    x->rc = sb_registry_find(x->id, d);
    if (!x->rc) x->rc = d->family->ctx_new(ctx, d, p, x->role, x->err, sizeof x->err);
    sb_params_free(p);
}

typedef struct side_run {
    side *x;
    sb_stack_desc d;
    sb_stack_ctx *ctx;
} side_run;

static void *run_side(void *arg)
{
    side_run *r = arg;
    side *x = r->x;
    sb_session *s = NULL;
    sb_io io;
    int64_t deadline = sb_now_ns() + 20 * SB_NS_PER_S;
    sb_io_init(&io, x->fd, SB_TRANSPORT_UDP, x->ctl);
    if (!x->rc) x->rc = r->d.family->open(&s, r->ctx, &io);
    if (!x->rc) x->rc = r->d.family->handshake(s, deadline);
    if (!x->rc) {
        sb_wl_conn wc;
        sb_workload w;
        sb_workload_defaults(&w);
        sb_wl_conn_init(&wc, r->d.family, s, &r->d, 7);
        if (x->role == SB_ROLE_CLIENT)
            x->rc = sb_wl_run_client(&wc, &w, &x->code, deadline);
        else
            x->rc = sb_wl_serve(&wc, &w, deadline);
    }
    if (s) sb_edhoc_session_msg_sizes(s, x->sizes);
    if (io.err[0]) snprintf(x->err, sizeof x->err, "%s", io.err);
    if (s) r->d.family->free(s);
    if (r->ctx) r->d.family->ctx_free(r->ctx);
    sb_io_release(&io);
    if (x->role == SB_ROLE_SERVER) wc_ecc_fp_free(); /* wolfCrypt's per-thread FP_ECC cache */
    return NULL;
}

/* Client and server threads on a socket pair; the server stops when the client is done. */
static void stack_run(side *cli, side *srv)
{
    int sv[2], stop[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
    assert_int_equal(pipe(stop), 0);
    cli->role = SB_ROLE_CLIENT, cli->fd = sv[0], cli->ctl = -1;
    srv->role = SB_ROLE_SERVER, srv->fd = sv[1], srv->ctl = stop[0];
    side_run rc = {.x = cli}, rs = {.x = srv};
    side_ctx(cli, &rc.d, &rc.ctx);
    side_ctx(srv, &rs.d, &rs.ctx);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, run_side, &rs), 0);
    run_side(&rc);
    assert_int_equal(write(stop[1], "x", 1), 1);
    pthread_join(t, NULL);
    close(sv[0]), close(sv[1]), close(stop[0]), close(stop[1]);
}

static void test_stack(void **st)
{
    static const struct {
        const char *cli, *srv, *cred;
        size_t sizes[3];
    } ok[] = {
        /* draft-ietf-iotops-security-protocol-comparison §3.1, all four rows */
        {"edhoc-m3-s2", "edhoc-m3-s2", "kid", {37, 45, 19}},
        {"edhoc-m3-s2-wolfssl", "edhoc-m3-s2-openssl", "x5t", {37, 58, 33}},
        {"edhoc-m0-s2-openssl", "edhoc-m0-s2-wolfssl", "kid", {37, 102, 77}},
        {"edhoc-m0-s0-wolfssl", "edhoc-m0-s0-wolfssl", "x5t", {37, 115, 90}},
        {"edhoc-m3-s0", "edhoc-m3-s0-wolfssl", "kid", {37, 45, 19}},
        {"edhoc-m1-s0-wolfssl", "edhoc-m1-s0", "kid", {37, 45, 77}},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        side c = {.id = ok[i].cli, .opts = {"edhoc-cred", ok[i].cred}};
        side s = {.id = ok[i].srv, .opts = {"edhoc-cred", ok[i].cred}};
        stack_run(&c, &s);
        if (c.rc) fail_msg("%s/%s: %s", ok[i].cli, ok[i].srv, c.err);
        assert_int_equal(c.code, SB_COAP_CONTENT);
        assert_int_equal(s.rc, SB_ESTOP);
        for (int k = 0; k < 3; k++) {
            assert_int_equal(c.sizes[k], ok[i].sizes[k]);
            assert_int_equal(s.sizes[k], ok[i].sizes[k]);
        }
    }
    /* Longer connection identifiers travel as byte strings: 2-byte C_I costs 2 bytes in
     * message_1 (h'0102' = 42 01 02), the non-int 1-byte C_R 1 byte in message_2 (41 18). */
    side c = {.id = "edhoc-m3-s2", .opts = {"edhoc-cid-i", "0102", "edhoc-cid-r", "18"}};
    side s = {.id = "edhoc-m3-s2", .opts = {"edhoc-cid-i", "0102", "edhoc-cid-r", "18"}};
    stack_run(&c, &s);
    assert_int_equal(c.rc, SB_OK);
    assert_int_equal(c.sizes[0], 39);
    assert_int_equal(c.sizes[1], 46);
    assert_int_equal(c.sizes[2], 19);
    /* Mismatched methods: the responder's EDHOC error reaches the client's reason. */
    side c2 = {.id = "edhoc-m0-s2"}, s2 = {.id = "edhoc-m3-s2"};
    stack_run(&c2, &s2);
    assert_int_not_equal(c2.rc, SB_OK);
    assert_non_null(strstr(c2.err, "method 0 not supported"));
    /* Mismatched suites: error 2, no suite in common. */
    side c3 = {.id = "edhoc-m3-s0"}, s3 = {.id = "edhoc-m3-s2"};
    stack_run(&c3, &s3);
    assert_int_not_equal(c3.rc, SB_OK);
    assert_non_null(strstr(c3.err, "wrong selected cipher suite"));
    /* The initiator does not know the responder's credential (kid offered, x5t expected): it
     * sends error 3 after C_R, and the responder stops at once with that reason. */
    side c4 = {.id = "edhoc-m3-s2", .opts = {"edhoc-cred", "x5t"}};
    side s4 = {.id = "edhoc-m3-s2", .opts = {"edhoc-cred", "kid"}};
    stack_run(&c4, &s4);
    assert_int_equal(c4.rc, SB_ENOTFOUND);
    assert_non_null(strstr(c4.err, "unknown ID_CRED_R"));
    assert_int_equal(s4.rc, SB_EPROTO);
    assert_non_null(strstr(s4.err, "unknown credential referenced"));
}

static void test_stack_options(void **st)
{
    sb_stack_desc d;
    char err[256];
    sb_params *p = sb_params_new();
    assert_int_equal(sb_registry_find("edhoc-m3-s0", &d), SB_OK);
    sb_params_set(p, "edhoc-cred", "x5t");
    assert_int_equal(d.family->check(&d, p, err, sizeof err), SB_EUNSUP);
    sb_params_set(p, "edhoc-cred", "cwt");
    assert_int_equal(d.family->check(&d, p, err, sizeof err), SB_EINVAL);
    sb_params_set(p, "edhoc-cred", "kid");
    sb_params_set(p, "edhoc-cid-i", "27");
    assert_int_equal(d.family->check(&d, p, err, sizeof err), SB_EINVAL); /* = C_R */
    sb_params_set(p, "edhoc-cid-i", "0102030405060708");
    assert_int_equal(d.family->check(&d, p, err, sizeof err), SB_EINVAL); /* > 7 bytes */
    sb_params_set(p, "edhoc-cid-i", "zz");
    assert_int_equal(d.family->check(&d, p, err, sizeof err), SB_EINVAL);
    sb_params_set(p, "edhoc-cid-i", "00");
    assert_int_equal(d.family->check(&d, p, err, sizeof err), SB_OK);
    sb_params_free(p);
    assert_int_equal(sb_registry_find("edhoc-m2-s2-wolfssl", &d), SB_OK);
    assert_true(d.available);
    assert_string_equal(d.auth, "m2");
    assert_string_equal(d.cipher, "s2");
}

#define BOTH(t) cmocka_unit_test(t)

int main(void)
{
    const struct CMUnitTest tests[] = {
        BOTH(test_trace1_openssl),     BOTH(test_trace1_wolfssl),   BOTH(test_trace2_openssl),
        BOTH(test_trace2_wolfssl),     BOTH(test_random_handshakes), BOTH(test_sizes_method3_kid),
        BOTH(test_truncated_messages), BOTH(test_altered_messages), BOTH(test_unknown_credential),
        BOTH(test_unsupported_suite),  BOTH(test_invalid_traces),   BOTH(test_cid_encoding),
        BOTH(test_stack),              BOTH(test_stack_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
