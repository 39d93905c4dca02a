/* Tests of netem/profile.c: every shipped profile loads with its cited values, bad lines are
 * rejected naming file:line, unknown names list the known ones, overrides. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>

#include <cmocka.h>

#include "../bench/util.h"
#include "../netem/profile.h"

static void every_shipped_profile_loads(void **state)
{
    (void)state;
    const char *names[16];
    size_t n = sb_profile_list(names, 16);
    assert_true(n >= 6);
    for (size_t i = 0; i < n; i++) {
        sb_profile p;
        char err[256] = "";
        int rc = sb_profile_load(names[i], &p, err, sizeof err);
        if (rc != SB_OK) fail_msg("%s: %s", names[i], err);
        assert_string_equal(p.name, names[i]);
        assert_true(p.mtu >= 1280);
    }
}

/* Every .conf in netem/profiles/ is listed, so --help and error messages never miss one. */
static void every_file_is_listed(void **state)
{
    (void)state;
    char dir[4096];
    assert_int_equal(sb_data_path("netem/profiles", dir, sizeof dir), SB_OK);
    DIR *d = opendir(dir);
    assert_non_null(d);
    const char *names[16];
    size_t n = sb_profile_list(names, 16), files = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".conf")) continue;
        files++;
        int found = 0;
        for (size_t i = 0; i < n; i++)
            found |= strlen(names[i]) == len - 5 && !strncmp(names[i], e->d_name, len - 5);
        if (!found) fail_msg("%s is not in sb_profile_list", e->d_name);
    }
    closedir(d);
    assert_int_equal(files, n);
}

static void shipped_values(void **state)
{
    (void)state;
    sb_profile p;
    char err[256];
    assert_int_equal(sb_profile_load("ideal", &p, err, sizeof err), SB_OK);
    assert_true(p.up.delay_ms == 0 && p.down.rate_kbit == 0 && p.up.loss_pct == 0 && p.tx_mw == 0);
    assert_int_equal(p.mtu, 1500);

    assert_int_equal(sb_profile_load("nbiot", &p, err, sizeof err), SB_OK);
    assert_true(p.up.rate_kbit == 28 && p.down.rate_kbit == 170); /* R1-1701044 */
    assert_true(p.up.delay_ms == 420 && p.down.delay_ms == 420);
    assert_true(p.tx_mw == 500 && p.rx_mw == 80 && p.idle_mw == 3 && p.sleep_mw == 0.015);
    assert_true(p.tail_s == 10 && p.cpu_nj_per_instr == 1.58);
    assert_true(p.battery_mah == 1389 && p.battery_v == 3.6);

    assert_int_equal(sb_profile_load("nbiot-poor", &p, err, sizeof err), SB_OK);
    assert_true(p.up.rate_kbit == 0.37 && p.down.rate_kbit == 2.5);

    assert_int_equal(sb_profile_load("6lowpan", &p, err, sizeof err), SB_OK);
    assert_int_equal(p.lowpan, 1);
    assert_true(p.up.rate_kbit == 250 && p.down.rate_kbit == 250);
    assert_string_equal(p.up.jitter_dist, "uniform");

    assert_int_equal(sb_profile_load("lossy", &p, err, sizeof err), SB_OK);
    assert_true(p.up.ge_p == 5 && p.up.ge_r == 30 && p.up.ge_loss_bad == 80 && p.down.ge_loss_good == 0.5);

    assert_int_equal(sb_profile_load("ltem", &p, err, sizeof err), SB_OK);
    assert_true(p.up.rate_kbit == 375 && p.down.rate_kbit == 300);
}

/* Writes text to a temporary .conf and loads it by path. */
static int load_text(const char *text, sb_profile *p, char *err, size_t cap, char *path, size_t pcap)
{
    snprintf(path, pcap, "/tmp/sb_test_profile_%d.conf", (int)getpid());
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    int rc = sb_profile_load(path, p, err, cap);
    unlink(path);
    return rc;
}

static void expect_bad(const char *text, int line, const char *why)
{
    sb_profile p;
    char err[512] = "", path[128], want[160];
    assert_int_equal(load_text(text, &p, err, sizeof err, path, sizeof path), SB_EINVAL);
    snprintf(want, sizeof want, "%s:%d: ", path, line);
    if (strncmp(err, want, strlen(want)) || !strstr(err, why))
        fail_msg("got '%s', want '%s...%s'", err, want, why);
}

static void bad_lines_name_file_and_line(void **state)
{
    (void)state;
    expect_bad("# c\ndelay_ms = 5\nfoo = 1\n", 3, "unknown key");
    expect_bad("delay_ms 5\n", 1, "expected `key = value`");
    expect_bad("\n\nloss_pct = 150\n", 3, "not a number in range");
    expect_bad("rate_kbit = -1\n", 1, "not a number in range");
    expect_bad("delay_ms = 5ms\n", 1, "not a number in range");
    expect_bad("up_mtu = 1280\n", 1, "no up_/down_ form");
    expect_bad("jitter_dist = gaussian\n", 1, "jitter_dist must be");
    expect_bad("lowpan = 2\n", 1, "0 or 1");
    expect_bad("mtu = 1280.5\n", 1, "integer");
    expect_bad("delay_ms =\n", 1, "expected `key = value`");
    expect_bad("sideways_delay_ms = 3\n", 1, "unknown key");
}

static void format_directions_comments(void **state)
{
    (void)state;
    sb_profile p;
    char err[256], path[128];
    const char *text = "# header\n\n  delay_ms = 10   # both directions\n"
                       "up_delay_ms = 30\n"
                       "down_rate_kbit = 0.37 # fractional\n"
                       "jitter_ms=2\njitter_dist = pareto\n"
                       "up_ge_p = 1\nup_ge_r = 50\nup_ge_loss_bad = 90\n"
                       "mtu = 1280\nlowpan = 1\ntx_mw = 41.4\n";
    assert_int_equal(load_text(text, &p, err, sizeof err, path, sizeof path), SB_OK);
    assert_true(p.up.delay_ms == 30 && p.down.delay_ms == 10);
    assert_true(p.up.rate_kbit == 0 && p.down.rate_kbit == 0.37);
    assert_true(p.up.jitter_ms == 2 && p.down.jitter_ms == 2);
    assert_string_equal(p.down.jitter_dist, "pareto");
    assert_true(p.up.ge_p == 1 && p.up.ge_r == 50 && p.up.ge_loss_bad == 90 && p.down.ge_p == 0);
    assert_true(p.mtu == 1280 && p.lowpan == 1 && p.tx_mw == 41.4);
    /* the name is the file's base name */
    char want[64];
    snprintf(want, sizeof want, "sb_test_profile_%d", (int)getpid());
    assert_string_equal(p.name, want);
}

static void unknown_name_lists_known(void **state)
{
    (void)state;
    sb_profile p;
    char err[512];
    assert_int_equal(sb_profile_load("nbiot-typo", &p, err, sizeof err), SB_ENOTFOUND);
    assert_non_null(strstr(err, "unknown profile 'nbiot-typo'"));
    assert_non_null(strstr(err, "ideal, nbiot, nbiot-poor, ltem, 6lowpan, lossy"));
    assert_int_equal(sb_profile_load("bad name!", &p, err, sizeof err), SB_ENOTFOUND);
    assert_int_equal(sb_profile_load("", &p, err, sizeof err), SB_ENOTFOUND);
    assert_int_equal(sb_profile_load("/nonexistent/x.conf", &p, err, sizeof err), SB_ENOTFOUND);
}

static void profiles_dir_from_environment(void **state)
{
    (void)state;
    FILE *f = fopen("/tmp/sb_test_envprof.conf", "w");
    assert_non_null(f);
    fputs("delay_ms = 7\n", f);
    fclose(f);
    setenv("SECBENCH_PROFILES", "/tmp", 1);
    sb_profile p;
    char err[256];
    int rc = sb_profile_load("sb_test_envprof", &p, err, sizeof err);
    unsetenv("SECBENCH_PROFILES");
    unlink("/tmp/sb_test_envprof.conf");
    assert_int_equal(rc, SB_OK);
    assert_true(p.up.delay_ms == 7);
}

static void overrides(void **state)
{
    (void)state;
    sb_profile p;
    char err[256];
    assert_int_equal(sb_profile_load("lossy", &p, err, sizeof err), SB_OK);
    /* negative = not given: nothing changes */
    sb_profile before = p;
    sb_profile_override(&p, -1, -1, -1, -1);
    assert_memory_equal(&p, &before, sizeof p);
    /* delay and rate on both directions; --loss replaces Gilbert-Elliott by random loss */
    sb_profile_override(&p, 20, -1, 10, 0.37);
    for (int d = 0; d < 2; d++) {
        const sb_link_dir *l = d ? &p.down : &p.up;
        assert_true(l->delay_ms == 20 && l->loss_pct == 10 && l->rate_kbit == 0.37);
        assert_true(l->ge_p == 0 && l->ge_r == 0 && l->ge_loss_bad == 0 && l->ge_loss_good == 0);
        assert_true(l->jitter_ms == 1.12); /* untouched */
    }
    sb_profile_override(&p, -1, 0, -1, -1);
    assert_true(p.up.jitter_ms == 0 && p.down.jitter_ms == 0);
    assert_int_equal(p.lowpan, 1); /* non-link keys untouched */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_shipped_profile_loads),
        cmocka_unit_test(every_file_is_listed),
        cmocka_unit_test(shipped_values),
        cmocka_unit_test(bad_lines_name_file_and_line),
        cmocka_unit_test(format_directions_comments),
        cmocka_unit_test(unknown_name_lists_known),
        cmocka_unit_test(profiles_dir_from_environment),
        cmocka_unit_test(overrides),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
