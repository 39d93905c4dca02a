/* Tests of bench/coapmsg.c and the workload's request: exact bytes worked out by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../bench/coapmsg.h"
#include "../bench/util.h"
#include "../bench/workload.h"

static void hex_eq(const uint8_t *got, size_t n, const char *want)
{
    char h[2 * SB_COAP_MAX_MSG + 1];
    sb_hex_encode(got, n, h);
    assert_string_equal(h, want);
}

/* GET /3303/0/5700, token 2 bytes: header 4 (0x42 = ver 1, CON, TKL 2; 0x01 GET; MID) +
 * token 2 + Uri-Path "3303" (delta 11, len 4: 0xb4 + 4) + "0" (0x01 + 1) + "5700" (0x04 + 4)
 * = 4 + 2 + 5 + 2 + 5 = 18 bytes. */
static void default_request_udp(void **state)
{
    (void)state;
    sb_workload w;
    sb_workload_defaults(&w);
    sb_coap_msg m;
    uint8_t pbuf[64], out[64];
    size_t len;
    assert_int_equal(sb_wl_build_request(&w, &m, pbuf, sizeof pbuf), SB_OK);
    m.mid = 0x1234;
    m.tkl = 2;
    m.token[0] = 0xab;
    m.token[1] = 0xcd;
    assert_int_equal(sb_coap_encode(&m, SB_FRAMING_UDP, out, sizeof out, &len), SB_OK);
    assert_int_equal(len, 18);
    hex_eq(out, len, "42011234abcdb43333303301300435373030");
}

/* The same request in RFC 8323 framing: Len/TKL 1 (options 12 bytes < 13: nibble 12, TKL 2 =
 * 0xc2) + code 1 + token 2 + options 12 = 16. */
static void default_request_tcp(void **state)
{
    (void)state;
    sb_workload w;
    sb_workload_defaults(&w);
    sb_coap_msg m;
    uint8_t pbuf[64], out[64];
    size_t len, total;
    assert_int_equal(sb_wl_build_request(&w, &m, pbuf, sizeof pbuf), SB_OK);
    m.tkl = 2;
    m.token[0] = 0xab;
    m.token[1] = 0xcd;
    assert_int_equal(sb_coap_encode(&m, SB_FRAMING_TCP, out, sizeof out, &len), SB_OK);
    assert_int_equal(len, 16);
    hex_eq(out, len, "c201abcdb43333303301300435373030");
    assert_int_equal(sb_coap_tcp_msg_len(out, 1, &total), SB_OK);
    assert_int_equal(total, 16);
}

/* 2.05 with 16-byte payload: UDP 4 + 2 + 0xff + 16 = 23; TCP body 17 >= 13, so nibble 13 and
 * one extended length byte (17 - 13 = 4): 1 + 1 + 1 + 2 + 17 = 22. */
static void response_sizes(void **state)
{
    (void)state;
    static const uint8_t pay[16] = "abcdefghijklmnop";
    sb_coap_msg m;
    uint8_t out[64], tok[2] = {1, 2};
    size_t len, total;
    sb_coap_init(&m, SB_COAP_ACK, SB_COAP_CONTENT, 7, tok, 2);
    m.payload = pay;
    m.payload_len = 16;
    assert_int_equal(sb_coap_encode(&m, SB_FRAMING_UDP, out, sizeof out, &len), SB_OK);
    assert_int_equal(len, 23);
    assert_int_equal(sb_coap_encode(&m, SB_FRAMING_TCP, out, sizeof out, &len), SB_OK);
    assert_int_equal(len, 22);
    assert_int_equal(out[0], 0xd2);
    assert_int_equal(out[1], 4);
    assert_int_equal(sb_coap_tcp_msg_len(out, 1, &total), SB_EAGAIN);
    assert_int_equal(sb_coap_tcp_msg_len(out, 2, &total), SB_OK);
    assert_int_equal(total, 22);
}

/* RFC 8613 C.4's unprotected request: parse with libcoap, encode back to the same bytes. */
static void parse_roundtrip(void **state)
{
    (void)state;
    const char *hex = "44015d1f00003974396c6f63616c686f737483747631";
    uint8_t in[64], out[64];
    int n = sb_hex_decode(hex, in, sizeof in);
    sb_coap_msg m;
    size_t len;
    assert_int_equal(sb_coap_parse(SB_FRAMING_UDP, in, (size_t)n, &m), SB_OK);
    assert_int_equal(m.type, SB_COAP_CON);
    assert_int_equal(m.code, SB_COAP_GET);
    assert_int_equal(m.mid, 0x5d1f);
    assert_int_equal(m.tkl, 4);
    assert_int_equal(m.nopts, 2);
    size_t ol;
    const uint8_t *host = sb_coap_find_opt(&m, SB_OPT_URI_HOST, &ol);
    assert_non_null(host);
    assert_memory_equal(host, "localhost", 9);
    assert_int_equal(sb_coap_encode(&m, SB_FRAMING_UDP, out, sizeof out, &len), SB_OK);
    hex_eq(out, len, hex);
}

static void malformed_rejected(void **state)
{
    (void)state;
    sb_coap_msg m;
    static const uint8_t bad_ver[] = {0x82, 0x01, 0, 1, 0, 0};   /* version 2 */
    static const uint8_t bad_tkl[] = {0x49, 0x01, 0, 1};         /* TKL 9 */
    static const uint8_t trunc_opt[] = {0x40, 0x01, 0, 1, 0xb4, 'a'}; /* option runs off */
    static const uint8_t marker_no_payload[] = {0x40, 0x01, 0, 1, 0xff};
    assert_int_equal(sb_coap_parse(SB_FRAMING_UDP, bad_ver, sizeof bad_ver, &m), SB_EPROTO);
    assert_int_equal(sb_coap_parse(SB_FRAMING_UDP, bad_tkl, sizeof bad_tkl, &m), SB_EPROTO);
    assert_int_equal(sb_coap_parse(SB_FRAMING_UDP, trunc_opt, sizeof trunc_opt, &m), SB_EPROTO);
    assert_int_equal(sb_coap_parse(SB_FRAMING_UDP, marker_no_payload, sizeof marker_no_payload, &m),
                     SB_EPROTO);
    assert_int_equal(sb_coap_parse(SB_FRAMING_UDP, bad_ver, 2, &m), SB_EPROTO);
}

/* Options are kept sorted; repeats keep their order; large deltas use extended encodings. */
static void option_order_and_extended(void **state)
{
    (void)state;
    sb_coap_msg m;
    uint8_t out[64];
    size_t len;
    sb_coap_init(&m, SB_COAP_CON, SB_COAP_GET, 1, NULL, 0);
    assert_int_equal(sb_coap_add_opt(&m, SB_OPT_ECHO, (const uint8_t *)"e", 1), SB_OK);
    assert_int_equal(sb_coap_add_path(&m, "/a/b"), SB_OK);
    assert_int_equal(sb_coap_add_uint_opt(&m, SB_OPT_OBSERVE, 0), SB_OK);
    assert_int_equal(sb_coap_encode(&m, SB_FRAMING_UDP, out, sizeof out, &len), SB_OK);
    /* Observe 6 (0x60, empty), Uri-Path 11 (delta 5: 0x51 'a'), (0x01 'b'), Echo 252
     * (delta 241 = 13 + 228: 0xd1 0xe4 'e') */
    hex_eq(out, len, "400100016051610162d1e465");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(default_request_udp),  cmocka_unit_test(default_request_tcp),
        cmocka_unit_test(response_sizes),       cmocka_unit_test(parse_roundtrip),
        cmocka_unit_test(malformed_rejected),   cmocka_unit_test(option_order_and_extended),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
