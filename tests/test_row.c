/* Tests of bench/row.c: fixed keys, null is never 0, JSON/CSV forms, parsing back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../bench/row.h"
#include "../bench/util.h"

static char *to_text(const sb_row *r, int csv)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (csv) sb_row_write_csv(r, f);
    else sb_row_write_json(r, f);
    fclose(f);
    return buf;
}

static void required_keys_present(void **state)
{
    (void)state;
    static const char *const required[] = {
        "stack", "protocol", "library", "auth", "cipher", "profile", "emulator", "scenario",
        "requests", "request_payload", "response_payload", "ok", "error", "time_ms",
        "handshake_ms", "c2s_bytes", "s2c_bytes", "c2s_packets", "s2c_packets",
        "c2s_payload_bytes", "s2c_payload_bytes", "handshake_bytes", "app_bytes",
        "handshake_payload_bytes", "app_payload_bytes", "teardown_bytes", "retransmissions",
        "client_cycles", "server_cycles", "client_instructions", "server_instructions",
        "cycles_source", "client_heap_peak", "server_heap_peak", "client_heap_session",
        "server_heap_session", "layers", "bytes_source", "flights", "edhoc_msg_bytes",
        "client_energy_mj", "client_energy_radio_mj", "client_energy_cpu_mj", "battery_years",
        "ota_bytes", "ota_frames", "proxy_saw_plaintext", "tamper_detected", "final_code"};
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
        int found = 0;
        for (size_t k = 0; k < sb_row_nkeys(); k++) found |= !strcmp(sb_row_key(k), required[i]);
        if (!found) fail_msg("missing key %s", required[i]);
    }
}

static void null_is_not_zero(void **state)
{
    (void)state;
    sb_row *r = sb_row_new();
    assert_int_equal(sb_row_set_int(r, "client_cycles", SB_NA), SB_OK);
    assert_int_equal(sb_row_set_int(r, "c2s_bytes", 0), SB_OK);
    assert_int_equal(sb_row_set_int(r, "no_such_key", 1), SB_EINVAL);
    char *j = to_text(r, 0);
    assert_non_null(strstr(j, "\"client_cycles\":null"));
    assert_non_null(strstr(j, "\"c2s_bytes\":0,"));
    free(j);
    char *c = to_text(r, 1);
    /* CSV: the null is an empty field, the 0 is "0" */
    size_t idx_cycles = 0, idx_bytes = 0;
    for (size_t k = 0; k < sb_row_nkeys(); k++) {
        if (!strcmp(sb_row_key(k), "client_cycles")) idx_cycles = k;
        if (!strcmp(sb_row_key(k), "c2s_bytes")) idx_bytes = k;
    }
    size_t field = 0;
    char val_c[32] = "", val_b[32] = "";
    for (char *p = c, *start = c;; p++) {
        if (*p == ',' || *p == '\n' || !*p) {
            if (field == idx_cycles) snprintf(val_c, sizeof val_c, "%.*s", (int)(p - start), start);
            if (field == idx_bytes) snprintf(val_b, sizeof val_b, "%.*s", (int)(p - start), start);
            field++;
            start = p + 1;
            if (*p != ',') break;
        }
    }
    assert_string_equal(val_c, "");
    assert_string_equal(val_b, "0");
    free(c);
    sb_row_free(r);
}

static void strings_escaped_and_parsed_back(void **state)
{
    (void)state;
    sb_row *r = sb_row_new(), *back = sb_row_new();
    sb_row_set_str(r, "error", "bad \"quote\", comma\nnewline");
    sb_row_set_json(r, "flights", "[{\"dir\":\"c2s\",\"bytes\":3,\"packets\":1}]");
    sb_row_set_double(r, "time_ms", 1.23456, 3);
    sb_row_set_bool(r, "ok", 0);
    char *j = to_text(r, 0);
    assert_int_equal(sb_row_parse_json(back, j), SB_OK);
    char buf[128];
    assert_string_equal(sb_row_str(back, "error", buf, sizeof buf), "bad \"quote\", comma\nnewline");
    assert_string_equal(sb_row_get(back, "flights"), "[{\"dir\":\"c2s\",\"bytes\":3,\"packets\":1}]");
    assert_true(sb_row_num(back, "time_ms") == 1.235);
    assert_true(sb_row_num(back, "ok") == 0);
    assert_null(sb_row_get(back, "c2s_bytes"));
    char *c = to_text(r, 1);
    assert_non_null(strstr(c, "\"bad \"\"quote\"\", comma\nnewline\""));
    assert_non_null(strstr(c, "\"[{\"\"dir\"\":\"\"c2s\"\",\"\"bytes\"\":3,\"\"packets\"\":1}]\""));
    free(j);
    free(c);
    sb_row_free(r);
    sb_row_free(back);
}

static void atomic_write(void **state)
{
    (void)state;
    char path[] = "/tmp/sb-row-test-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(sb_write_atomic(path, "hello\n", 6), SB_OK);
    size_t len;
    char *got = sb_read_file(path, &len);
    assert_string_equal(got, "hello\n");
    free(got);
    unlink(path);
    assert_int_equal(sb_write_atomic("/nonexistent-dir/x", "a", 1), SB_EIO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(required_keys_present),
        cmocka_unit_test(null_is_not_zero),
        cmocka_unit_test(strings_escaped_and_parsed_back),
        cmocka_unit_test(atomic_write),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
