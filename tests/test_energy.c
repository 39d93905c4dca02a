/* Energy model against values worked out by hand (docs/energy.md shows the formulas). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../bench/energy.h"
#include "../bench/jsonget.h"
#include "../bench/params.h"
#include "../bench/util.h"

/* The numbers of netem/profiles/nbiot.conf, written out so the test does not depend on it. */
static sb_profile nbiot(void)
{
    sb_profile p = {0};
    strcpy(p.name, "nbiot");
    p.up.rate_kbit = 28;
    p.down.rate_kbit = 170;
    p.tx_mw = 500;
    p.rx_mw = 80;
    p.idle_mw = 3;
    p.sleep_mw = 0.015;
    p.tail_s = 10;
    p.cpu_nj_per_instr = 1.58;
    p.battery_mah = 1389;
    p.battery_v = 3.6;
    return p;
}

static sb_profile lowpan(void)
{
    sb_profile p = {0};
    strcpy(p.name, "6lowpan");
    p.up.rate_kbit = p.down.rate_kbit = 250;
    p.lowpan = 1;
    p.tx_mw = 41.4;
    p.rx_mw = 35.4;
    p.idle_mw = 0.9;
    p.sleep_mw = 0.00006;
    p.tail_s = 0;
    p.cpu_nj_per_instr = 1.58;
    p.battery_mah = 1667;
    p.battery_v = 3.0;
    return p;
}

static void test_nbiot_by_hand(void **state)
{
    sb_profile p = nbiot();
    sb_energy_in in = {.c2s_bytes = 350, .s2c_bytes = 425, .ota_c2s_bytes = NAN,
                       .ota_s2c_bytes = NAN, .time_ms = 2000, .client_instructions = 1e6};
    sb_energy_out o;
    assert_int_equal(sb_energy_compute(&p, &in, NULL, &o), SB_OK);
    /* 350 B * 8 / 28 kbit/s = 0.1 s; 425 B * 8 / 170 kbit/s = 0.02 s; wait 2 - 0.12 s */
    assert_float_equal(o.airtime_up_s, 0.1, 1e-12);
    assert_float_equal(o.airtime_down_s, 0.02, 1e-12);
    assert_float_equal(o.wait_s, 1.88, 1e-12);
    assert_float_equal(o.tx_mj, 50.0, 1e-9);   /* 500 mW * 0.1 s */
    assert_float_equal(o.rx_mj, 1.6, 1e-9);    /* 80 mW * 0.02 s */
    assert_float_equal(o.wait_mj, 5.64, 1e-9); /* 3 mW * 1.88 s */
    assert_float_equal(o.tail_mj, 30.0, 1e-9); /* 3 mW * 10 s */
    assert_float_equal(o.radio_mj, 87.24, 1e-9);
    assert_float_equal(o.cpu_mj, 1.58, 1e-9); /* 1e6 * 1.58 nJ */
    assert_float_equal(o.total_mj, 88.82, 1e-9);
    /* 1389 mAh * 3.6 C/mAh * 3.6 V = 18 001 440 mJ; per hour 88.82 + 0.015 mW * 3588 s =
     * 142.64 mJ; 126 202.47 hours = 14.3967 years of 365.25 days */
    assert_float_equal(o.battery_years, 14.396749589, 1e-6);
    assert_int_equal(o.used_ota, 0);
}

static void test_options_change_battery(void **state)
{
    sb_profile p = nbiot();
    sb_energy_in in = {.c2s_bytes = 350, .s2c_bytes = 425, .ota_c2s_bytes = NAN,
                       .ota_s2c_bytes = NAN, .time_ms = 2000, .client_instructions = 1e6};
    /* Exchange every second: longer than that (2 s + 10 s tail), so the period is 12 s with
     * no sleep: 18 001 440 / 88.82 * 12 s = 0.077068 years. */
    sb_energy_cfg cfg = {.interval_s = 1};
    sb_energy_out o;
    assert_int_equal(sb_energy_compute(&p, &in, &cfg, &o), SB_OK);
    assert_float_equal(o.battery_years, 0.077067941, 1e-8);
    /* Half the capacity, same voltage: half the life. */
    sb_energy_cfg half = {.battery_mah = 1389.0 / 2};
    assert_int_equal(sb_energy_compute(&p, &in, &half, &o), SB_OK);
    assert_float_equal(o.battery_years, 14.396749589 / 2, 1e-6);
}

static void test_lowpan_uses_ota_bytes(void **state)
{
    sb_profile p = lowpan();
    sb_energy_in in = {.c2s_bytes = 400, .s2c_bytes = 200, .ota_c2s_bytes = 500,
                       .ota_s2c_bytes = 250, .time_ms = 100, .client_instructions = NAN};
    sb_energy_out o;
    assert_int_equal(sb_energy_compute(&p, &in, NULL, &o), SB_OK);
    assert_int_equal(o.used_ota, 1);
    /* 500 B * 8 / 250 kbit/s = 16 ms, 250 B -> 8 ms, wait 76 ms */
    assert_float_equal(o.airtime_up_s, 0.016, 1e-12);
    assert_float_equal(o.airtime_down_s, 0.008, 1e-12);
    /* 41.4*0.016 + 35.4*0.008 + 0.9*0.076 + 0 = 0.6624 + 0.2832 + 0.0684 */
    assert_float_equal(o.radio_mj, 1.014, 1e-9);
    /* No instruction count: CPU, total and battery life are unavailable, not zero. */
    assert_true(isnan(o.cpu_mj));
    assert_true(isnan(o.total_mj));
    assert_true(isnan(o.battery_years));
}

static void test_ideal_has_no_radio(void **state)
{
    sb_profile p = {0};
    strcpy(p.name, "ideal");
    sb_energy_in in = {.c2s_bytes = 100, .s2c_bytes = 100, .ota_c2s_bytes = NAN,
                       .ota_s2c_bytes = NAN, .time_ms = 1, .client_instructions = 5e5};
    sb_energy_out o;
    assert_int_equal(sb_energy_compute(&p, &in, NULL, &o), SB_OK);
    assert_true(isnan(o.radio_mj));
    assert_true(isnan(o.cpu_mj)); /* no reference MCU either */
    assert_true(isnan(o.total_mj));
}

static void test_bad_input(void **state)
{
    sb_profile p = nbiot();
    sb_energy_in in = {.c2s_bytes = -1, .s2c_bytes = 1, .ota_c2s_bytes = NAN,
                       .ota_s2c_bytes = NAN, .time_ms = 1, .client_instructions = NAN};
    sb_energy_out o;
    assert_int_equal(sb_energy_compute(&p, &in, NULL, &o), SB_EINVAL);
    assert_int_equal(sb_energy_compute(NULL, &in, NULL, &o), SB_EINVAL);
    /* Unknown bytes: radio energy unknown. */
    in.c2s_bytes = NAN;
    assert_int_equal(sb_energy_compute(&p, &in, NULL, &o), SB_OK);
    assert_true(isnan(o.radio_mj));
}

static void test_fill_row_splits_ota_total(void **state)
{
    sb_profile p = lowpan();
    sb_row *r = sb_row_new();
    assert_non_null(r);
    sb_row_set_int(r, "c2s_bytes", 300);
    sb_row_set_int(r, "s2c_bytes", 100);
    sb_row_set_int(r, "ota_bytes", 800); /* -> 600 up, 200 down (3:1 like the link bytes) */
    sb_row_set_double(r, "time_ms", 100, 3);
    sb_row_set_int(r, "client_instructions", 1000000);
    assert_int_equal(sb_energy_fill_row(r, &p, NULL), SB_OK);
    /* up 4800/250000 = 19.2 ms, down 6.4 ms, wait 74.4 ms:
     * 41.4*0.0192 + 35.4*0.0064 + 0.9*0.0744 = 0.79488 + 0.22656 + 0.06696 = 1.0884 mJ;
     * CPU 1e6 * 1.58 nJ = 1.58 mJ; total 2.6684 mJ */
    assert_float_equal(sb_row_num(r, "client_energy_radio_mj"), 1.0884, 1e-4);
    assert_float_equal(sb_row_num(r, "client_energy_cpu_mj"), 1.58, 1e-4);
    assert_float_equal(sb_row_num(r, "client_energy_mj"), 2.6684, 1e-4);
    assert_true(sb_row_num(r, "battery_years") > 0);

    /* Per-direction object form, and a missing instruction count -> nulls. */
    sb_row_set_json(r, "ota_bytes", "{\"c2s\":500,\"s2c\":250}");
    sb_row_set_json(r, "client_instructions", NULL);
    assert_int_equal(sb_energy_fill_row(r, &p, NULL), SB_OK);
    assert_float_equal(sb_row_num(r, "client_energy_radio_mj"), 1.014, 1e-4); /* as above */
    assert_null(sb_row_get(r, "client_energy_cpu_mj"));
    assert_null(sb_row_get(r, "client_energy_mj"));
    assert_null(sb_row_get(r, "battery_years"));
    sb_row_free(r);
}

static void test_cfg_parse(void **state)
{
    sb_params *p = sb_params_new();
    sb_energy_cfg cfg;
    char err[200];
    assert_int_equal(sb_energy_cfg_parse(p, &cfg, err, sizeof err), SB_OK);
    assert_true(cfg.interval_s == 0 && cfg.battery_mah == 0 && cfg.battery_v == 0);
    sb_params_set(p, "interval", "60");
    sb_params_set(p, "battery-v", "3.3");
    assert_int_equal(sb_energy_cfg_parse(p, &cfg, err, sizeof err), SB_OK);
    assert_float_equal(cfg.interval_s, 60, 0);
    assert_float_equal(cfg.battery_v, 3.3, 1e-12);
    sb_params_set(p, "battery-mah", "lots");
    assert_int_equal(sb_energy_cfg_parse(p, &cfg, err, sizeof err), SB_EINVAL);
    assert_non_null(strstr(err, "--battery-mah"));
    sb_params_free(p);
}

static void test_json_num(void **state)
{
    const char *l = "{\"request\":{\"ip\":40,\"transport\":8,\"x\":\"a,}\"},"
                    "\"response\": {\"ip\" : 40, \"payload\": 12.5, \"n\": null}}";
    assert_float_equal(sb_json_num(l, "request.ip"), 40, 0);
    assert_float_equal(sb_json_num(l, "request.transport"), 8, 0);
    assert_float_equal(sb_json_num(l, "response.payload"), 12.5, 0);
    assert_true(isnan(sb_json_num(l, "response.n")));
    assert_true(isnan(sb_json_num(l, "response.coap")));
    assert_true(isnan(sb_json_num(l, "request.x")));
    assert_true(isnan(sb_json_num("{\"a\":", "a")));
    assert_true(isnan(sb_json_num("{\"a\"", "a")));
    assert_true(isnan(sb_json_num("", "a")));
    assert_int_equal(sb_json_array_len("[{\"dir\":\"c2s\",\"bytes\":66},{\"dir\":\"s2c\"}]"), 2);
    assert_int_equal(sb_json_array_len(" [ ] "), 0);
    assert_int_equal(sb_json_array_len("[1,\"a,b\",[2,3]]"), 3);
    assert_int_equal(sb_json_array_len("{\"a\":1}"), -1);
    assert_int_equal(sb_json_array_len("[1,2"), -1);
    assert_int_equal(sb_json_array_len(NULL), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nbiot_by_hand),
        cmocka_unit_test(test_options_change_battery),
        cmocka_unit_test(test_lowpan_uses_ota_bytes),
        cmocka_unit_test(test_ideal_has_no_radio),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_fill_row_splits_ota_total),
        cmocka_unit_test(test_cfg_parse),
        cmocka_unit_test(test_json_num),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
