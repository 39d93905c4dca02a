/* Tests of the NFQUEUE emulator's scheduler (netem/emu_nfq.h), separated from netlink: release
 * times worked out by hand, drop patterns recomputed here from the documented RNG streams,
 * Gilbert-Elliott patterns that need no RNG, the jitter distributions' moments, the heap. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../bench/util.h"
#include "../netem/emu_nfq.h"

#define MS 1000000LL

static sb_link_dir dir_cfg(double delay, double jitter, const char *dist, double loss, double rate)
{
    sb_link_dir d;
    memset(&d, 0, sizeof d);
    d.delay_ms = delay;
    d.jitter_ms = jitter;
    strcpy(d.jitter_dist, dist);
    d.loss_pct = loss;
    d.rate_kbit = rate;
    return d;
}

/* splitmix64 of 0 gives the first xoshiro word: a published reference value
 * (https://prng.di.unimi.it/splitmix64.c, first output for seed 0 = 0xe220a8397b1dcdaf). */
static void rng_reference_and_repeatable(void **state)
{
    (void)state;
    sb_nfq_rng a, b;
    sb_nfq_rng_seed(&a, 0);
    assert_true(a.s[0] == 0xe220a8397b1dcdafULL);
    sb_nfq_rng_seed(&a, 42);
    sb_nfq_rng_seed(&b, 42);
    for (int i = 0; i < 1000; i++) {
        double u = sb_nfq_rng_unit(&a);
        assert_true(u >= 0 && u < 1);
        assert_true(u == sb_nfq_rng_unit(&b));
    }
    sb_nfq_rng_seed(&b, 43);
    assert_true(sb_nfq_rng_next(&a) != sb_nfq_rng_next(&b));
}

/* Delay 5 ms, rate 80 kbit/s: a 100-byte packet serialises in 100 * 8 / 80 = 10 ms.
 * Arrivals 0, 0, 0, 25, 50 ms:
 *   #1 start 0,  link free at 10, release 10 + 5 = 15
 *   #2 start 10 (queued), free 20, release 25
 *   #3 start 20, free 30, release 35
 *   #4 arrives 25, link busy until 30: start 30, free 40, release 45
 *   #5 arrives 50, link idle: start 50, free 60, release 65 */
static void delay_and_rate_release_times(void **state)
{
    (void)state;
    sb_link_dir c = dir_cfg(5, 0, "uniform", 0, 80);
    sb_nfq_dir d;
    sb_nfq_dir_init(&d, &c, 1, SB_NFQ_UP);
    const int64_t arrive[] = {0, 0, 0, 25 * MS, 50 * MS};
    const int64_t want[] = {15 * MS, 25 * MS, 35 * MS, 45 * MS, 65 * MS};
    for (int i = 0; i < 5; i++) {
        int64_t rel = -1;
        assert_int_equal(sb_nfq_decide(&d, arrive[i], 100, &rel), 1);
        assert_true(rel == want[i]);
    }
    /* 0.37 kbit/s (nbiot-poor uplink): 64 bytes = 512 bit / 370 bit/s = 1.383784 s, rounded
     * to the nanosecond: 512 / 0.37 ms = 1383.783784 ms. */
    c = dir_cfg(0, 0, "uniform", 0, 0.37);
    sb_nfq_dir_init(&d, &c, 1, SB_NFQ_UP);
    int64_t rel;
    assert_int_equal(sb_nfq_decide(&d, 0, 64, &rel), 1);
    assert_true(rel == 1383783784LL);
    /* no rate, no jitter: release = arrival + delay, in order */
    c = dir_cfg(420, 0, "uniform", 0, 0);
    sb_nfq_dir_init(&d, &c, 1, SB_NFQ_DOWN);
    for (int i = 0; i < 10; i++) {
        assert_int_equal(sb_nfq_decide(&d, i * MS, 1500, &rel), 1);
        assert_true(rel == i * MS + 420 * MS);
    }
}

/* Random loss: one draw per packet from the loss stream of (seed, direction), whose seed is
 * seed ^ (0x6c6f7373 + 2^32 * 2 * dir) as emu_nfq.h documents. Recompute the pattern. */
static void random_loss_pattern(void **state)
{
    (void)state;
    const uint64_t seed = 7;
    for (int dir = 0; dir < 2; dir++) {
        sb_link_dir c = dir_cfg(10, 0, "uniform", 10, 0);
        sb_nfq_dir d;
        sb_nfq_dir_init(&d, &c, seed, dir);
        sb_nfq_rng r;
        sb_nfq_rng_seed(&r, seed ^ (0x6c6f7373ULL + 0x100000000ULL * (uint64_t)(2 * dir)));
        int drops = 0;
        for (int i = 0; i < 10000; i++) {
            int64_t rel;
            int want_drop = sb_nfq_rng_unit(&r) * 100.0 < 10;
            assert_int_equal(sb_nfq_decide(&d, i * MS, 100, &rel), !want_drop);
            drops += want_drop;
        }
        assert_int_equal(d.dropped, drops);
        assert_int_equal(d.passed, 10000 - drops);
        /* 10000 draws at 10 %: sd 30; the exact count is fixed by the seed, checked loosely */
        assert_true(drops > 900 && drops < 1100);
    }
    /* the two directions draw from different streams */
    sb_link_dir c = dir_cfg(0, 0, "uniform", 50, 0);
    sb_nfq_dir up, down;
    sb_nfq_dir_init(&up, &c, seed, SB_NFQ_UP);
    sb_nfq_dir_init(&down, &c, seed, SB_NFQ_DOWN);
    int same = 0;
    for (int i = 0; i < 64; i++) {
        int64_t rel;
        same += sb_nfq_decide(&up, 0, 1, &rel) == sb_nfq_decide(&down, 0, 1, &rel);
    }
    assert_true(same < 64);
}

/* A lost packet takes no link time (as in tc netem): with rate 80 kbit/s and 100-byte packets,
 * the packet after a loss starts at once. */
static void lost_packets_take_no_link_time(void **state)
{
    (void)state;
    sb_link_dir c = dir_cfg(0, 0, "uniform", 100, 80);
    sb_nfq_dir d;
    sb_nfq_dir_init(&d, &c, 1, SB_NFQ_UP);
    int64_t rel;
    assert_int_equal(sb_nfq_decide(&d, 0, 100, &rel), 0);
    assert_true(d.link_free_ns == 0);
    d.cfg.loss_pct = 0;
    assert_int_equal(sb_nfq_decide(&d, 0, 100, &rel), 1);
    assert_true(rel == 10 * MS);
}

/* Gilbert-Elliott with certain transitions needs no RNG to predict (loss uses the state the
 * packet finds, then the state moves):
 *   p = 100 %, r = 0 %, bad 100 %, good 0 %: good first (kept), bad for ever after (lost);
 *   p = 100 %, r = 100 %: the states alternate: kept, lost, kept, lost, ... */
static void gilbert_elliott_deterministic(void **state)
{
    (void)state;
    sb_link_dir c = dir_cfg(0, 0, "uniform", 0, 0);
    c.ge_p = 100, c.ge_r = 0, c.ge_loss_bad = 100, c.ge_loss_good = 0;
    sb_nfq_dir d;
    sb_nfq_dir_init(&d, &c, 99, SB_NFQ_UP);
    int64_t rel;
    assert_int_equal(sb_nfq_decide(&d, 0, 1, &rel), 1);
    for (int i = 0; i < 20; i++) assert_int_equal(sb_nfq_decide(&d, 0, 1, &rel), 0);
    c.ge_r = 100;
    sb_nfq_dir_init(&d, &c, 99, SB_NFQ_UP);
    for (int i = 0; i < 20; i++) assert_int_equal(sb_nfq_decide(&d, 0, 1, &rel), i % 2 == 0);
    /* random loss is ignored while the Gilbert-Elliott model is on */
    c.loss_pct = 100;
    c.ge_loss_bad = 0;
    sb_nfq_dir_init(&d, &c, 99, SB_NFQ_UP);
    for (int i = 0; i < 20; i++) assert_int_equal(sb_nfq_decide(&d, 0, 1, &rel), 1);
}

/* Gilbert-Elliott with the `lossy` profile's parameters, replayed from the loss stream (two draws
 * per packet: loss with the current state's probability, then the transition), and its long-run
 * loss against the stationary value 5/35 * 80 + 30/35 * 0.5 = 11.857 %. */
static void gilbert_elliott_replay_and_mean(void **state)
{
    (void)state;
    sb_link_dir c = dir_cfg(0, 0, "uniform", 0, 0);
    c.ge_p = 5, c.ge_r = 30, c.ge_loss_bad = 80, c.ge_loss_good = 0.5;
    const uint64_t seed = 1234;
    sb_nfq_dir d;
    sb_nfq_dir_init(&d, &c, seed, SB_NFQ_DOWN);
    sb_nfq_rng r;
    sb_nfq_rng_seed(&r, seed ^ (0x6c6f7373ULL + 0x100000000ULL * 2));
    int bad = 0, drops = 0, bursts = 0, prev = 0;
    const int n = 200000;
    for (int i = 0; i < n; i++) {
        double ul = sb_nfq_rng_unit(&r), um = sb_nfq_rng_unit(&r);
        int drop = ul * 100 < (bad ? 80 : 0.5);
        if (bad ? um * 100 < 30 : um * 100 < 5) bad = !bad;
        int64_t rel;
        assert_int_equal(sb_nfq_decide(&d, 0, 1, &rel), !drop);
        drops += drop;
        bursts += drop && !prev;
        prev = drop;
    }
    double loss = 100.0 * drops / n;
    assert_true(fabs(loss - 11.857) < 0.5);
    /* bursty: mean run of losses well above the 1.13 of independent loss at that rate */
    assert_true((double)drops / bursts > 2.0);
}

static void moments(const char *dist, double j, double *mean, double *sd)
{
    sb_nfq_rng r;
    sb_nfq_rng_seed(&r, 5);
    const int n = 400000;
    double s = 0, s2 = 0;
    for (int i = 0; i < n; i++) {
        double x = sb_nfq_jitter_ms(dist, j, &r);
        if (!strcmp(dist, "uniform")) assert_true(x >= -j && x < j);
        if (!strcmp(dist, "pareto")) assert_true(x >= -j * 1.5 / sqrt(0.75) - 1e-9);
        s += x, s2 += x * x;
    }
    *mean = s / n;
    *sd = sqrt(s2 / n - *mean * *mean);
}

/* Uniform +-j has sd j / sqrt(3); the others are standardised to sd j. Pareto with shape 3 has
 * an infinite fourth moment, so its sample sd converges slowly: wider tolerance. */
static void jitter_distributions(void **state)
{
    (void)state;
    double m, sd;
    moments("uniform", 10, &m, &sd);
    assert_true(fabs(m) < 0.05 && fabs(sd - 10 / sqrt(3)) < 0.05);
    moments("normal", 10, &m, &sd);
    assert_true(fabs(m) < 0.05 && fabs(sd - 10) < 0.1);
    moments("pareto", 10, &m, &sd);
    assert_true(fabs(m) < 0.1 && fabs(sd - 10) < 1.0);
    moments("paretonormal", 10, &m, &sd);
    assert_true(fabs(m) < 0.1 && fabs(sd - 10) < 1.0);
    sb_nfq_rng r;
    sb_nfq_rng_seed(&r, 5);
    assert_true(sb_nfq_jitter_ms("normal", 0, &r) == 0);
}

/* Jitter may reorder (release = link free + delay + sample); a sample below -delay is clamped,
 * never released before the link is free. */
static void jitter_reorders_and_clamps(void **state)
{
    (void)state;
    sb_link_dir c = dir_cfg(1, 10, "normal", 0, 0);
    sb_nfq_dir d;
    sb_nfq_dir_init(&d, &c, 3, SB_NFQ_UP);
    int64_t prev = 0, rel;
    int reordered = 0, clamped = 0;
    for (int i = 0; i < 1000; i++) {
        int64_t at = i * MS;
        assert_int_equal(sb_nfq_decide(&d, at, 100, &rel), 1);
        assert_true(rel >= at);
        clamped += rel == at;
        reordered += rel < prev;
        prev = rel;
    }
    assert_true(reordered > 0 && clamped > 0);
}

static void heap_orders_by_release_then_arrival(void **state)
{
    (void)state;
    sb_nfq_heap h;
    assert_int_equal(sb_nfq_heap_init(&h, 1000), SB_OK);
    sb_nfq_rng r;
    sb_nfq_rng_seed(&r, 11);
    for (uint32_t i = 0; i < 1000; i++)
        assert_int_equal(sb_nfq_heap_push(&h, (int64_t)(sb_nfq_rng_next(&r) % 50), i, (int)(i & 1)), SB_OK);
    assert_int_equal(sb_nfq_heap_push(&h, 0, 0, 0), SB_ESPACE);
    sb_nfq_item it, last = {-1, 0, 0, 0};
    int n = 0;
    while (sb_nfq_heap_pop(&h, &it)) {
        assert_true(it.release_ns > last.release_ns ||
                    (it.release_ns == last.release_ns && it.seq > last.seq));
        assert_int_equal(it.id, (uint32_t)it.seq); /* pushed in id order */
        last = it;
        n++;
    }
    assert_int_equal(n, 1000);
    assert_int_equal(sb_nfq_heap_pop(&h, &it), 0);
    sb_nfq_heap_free(&h);
}

static void link_bytes_from_headers(void **state)
{
    (void)state;
    uint8_t v4[28] = {0x45, 0, 0x05, 0xdc}; /* total length 1500 */
    assert_int_equal(sb_nfq_link_bytes(v4, sizeof v4, 0), 1500);
    assert_int_equal(sb_nfq_link_bytes(v4, sizeof v4, 1), 1500); /* 6LoWPAN is IPv6 only */
    uint8_t v6[48] = {0x60, 0, 0, 0, 0, 18, 17, 64};          /* payload 18: UDP 8 + 10 */
    v6[40] = 0x16, v6[41] = 0x33, v6[42] = 0x16, v6[43] = 0x33; /* 5683 -> 5683 */
    assert_int_equal(sb_nfq_link_bytes(v6, sizeof v6, 0), 58);
    assert_int_equal(sb_nfq_link_bytes(v6, sizeof v6, 1), 36); /* test_lowpan.c's first case */
    assert_int_equal(sb_nfq_link_bytes(v6, 20, 0), 0);
    assert_int_equal(sb_nfq_link_bytes(v6, 0, 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rng_reference_and_repeatable),
        cmocka_unit_test(delay_and_rate_release_times),
        cmocka_unit_test(random_loss_pattern),
        cmocka_unit_test(lost_packets_take_no_link_time),
        cmocka_unit_test(gilbert_elliott_deterministic),
        cmocka_unit_test(gilbert_elliott_replay_and_mean),
        cmocka_unit_test(jitter_distributions),
        cmocka_unit_test(jitter_reorders_and_clamps),
        cmocka_unit_test(heap_orders_by_release_then_arrival),
        cmocka_unit_test(link_bytes_from_headers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
