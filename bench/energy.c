#include "energy.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "jsonget.h"
#include "util.h"

const sb_opt_def sb_energy_opts[] = {
    {"interval", "SECONDS", "battery_years: one exchange every SECONDS (default 3600)"},
    {"battery-mah", "MAH", "battery_years: battery capacity in mAh (default: the profile's)"},
    {"battery-v", "VOLTS", "battery_years: battery voltage (default: the profile's)"},
    {NULL, NULL, NULL},
};

/* Julian year, the unit battery-life figures are usually quoted in. */
#define SECONDS_PER_YEAR (365.25 * 86400.0)

static int opt_double(const sb_params *p, const char *name, double max, double *out, char *err,
                      size_t cap)
{
    const char *v = sb_params_get(p, name);
    if (!v) return SB_OK;
    if (sb_parse_double(v, 1e-9, max, out) != SB_OK)
        return sb_fail(err, cap, SB_EINVAL, "--%s: expected a positive number, got '%s'", name,
                       v);
    return SB_OK;
}

int sb_energy_cfg_parse(const sb_params *p, sb_energy_cfg *cfg, char *err, size_t cap)
{
    memset(cfg, 0, sizeof *cfg);
    int rc = opt_double(p, "interval", 1e10, &cfg->interval_s, err, cap);
    if (rc == SB_OK) rc = opt_double(p, "battery-mah", 1e9, &cfg->battery_mah, err, cap);
    if (rc == SB_OK) rc = opt_double(p, "battery-v", 1e3, &cfg->battery_v, err, cap);
    return rc;
}

/* Seconds to send `bytes` at `kbit` kbit/s; NaN when either is unknown. */
static double airtime(double bytes, double kbit)
{
    if (!isfinite(bytes) || !(kbit > 0)) return NAN;
    return bytes * 8.0 / (kbit * 1000.0);
}

static int negative(double v)
{
    return isfinite(v) && v < 0;
}

static void radio(const sb_profile *p, const sb_energy_in *in, sb_energy_out *o)
{
    double up = in->c2s_bytes, down = in->s2c_bytes;
    /* 802.15.4 frames carry MAC headers and 6LoWPAN compression: the air sees ota bytes. */
    if (p->lowpan && isfinite(in->ota_c2s_bytes) && isfinite(in->ota_s2c_bytes)) {
        up = in->ota_c2s_bytes;
        down = in->ota_s2c_bytes;
        o->used_ota = 1;
    }
    o->airtime_up_s = airtime(up, p->up.rate_kbit);
    o->airtime_down_s = airtime(down, p->down.rate_kbit);
    /* A profile without radio powers (ideal) or without a rate models no radio. */
    if (!(p->tx_mw > 0 || p->rx_mw > 0) || !isfinite(o->airtime_up_s) ||
        !isfinite(o->airtime_down_s) || !isfinite(in->time_ms))
        return;
    double t = in->time_ms / 1000.0;
    o->wait_s = t - o->airtime_up_s - o->airtime_down_s;
    if (o->wait_s < 0) o->wait_s = 0; /* rate-limited links overlap directions */
    o->tx_mj = p->tx_mw * o->airtime_up_s;
    o->rx_mj = p->rx_mw * o->airtime_down_s;
    o->wait_mj = p->idle_mw * o->wait_s;
    o->tail_mj = p->idle_mw * p->tail_s;
    o->radio_mj = o->tx_mj + o->rx_mj + o->wait_mj + o->tail_mj;
}

int sb_energy_compute(const sb_profile *p, const sb_energy_in *in, const sb_energy_cfg *cfg,
                      sb_energy_out *o)
{
    if (!p || !in || !o) return SB_EINVAL;
    if (negative(in->c2s_bytes) || negative(in->s2c_bytes) || negative(in->ota_c2s_bytes) ||
        negative(in->ota_s2c_bytes) || negative(in->time_ms) || negative(in->client_instructions))
        return SB_EINVAL;
    sb_energy_cfg c = cfg ? *cfg : (sb_energy_cfg){0};
    double interval = c.interval_s > 0 ? c.interval_s : SB_ENERGY_DEFAULT_INTERVAL_S;
    double mah = c.battery_mah > 0 ? c.battery_mah : p->battery_mah;
    double volts = c.battery_v > 0 ? c.battery_v : p->battery_v;

    *o = (sb_energy_out){.airtime_up_s = NAN, .airtime_down_s = NAN, .wait_s = NAN,
                         .tx_mj = NAN, .rx_mj = NAN, .wait_mj = NAN, .tail_mj = NAN,
                         .radio_mj = NAN, .cpu_mj = NAN, .total_mj = NAN,
                         .battery_years = NAN};
    radio(p, in, o);
    if (isfinite(in->client_instructions) && p->cpu_nj_per_instr > 0)
        o->cpu_mj = in->client_instructions * p->cpu_nj_per_instr * 1e-6; /* nJ -> mJ */
    o->total_mj = o->radio_mj + o->cpu_mj; /* NaN propagates: no partial totals */

    if (!isfinite(o->total_mj) || !(mah > 0) || !(volts > 0)) return SB_OK;
    /* One exchange per interval, asleep in between; the radio stays connected for the
     * exchange and the tail. An exchange longer than the interval leaves no sleep. */
    double active = in->time_ms / 1000.0 + p->tail_s;
    double period = interval > active ? interval : active;
    double per_period_mj = o->total_mj + p->sleep_mw * (period - active);
    double battery_mj = mah * 3.6 * volts * 1000.0; /* 1 mAh = 3.6 C; C x V = J */
    if (per_period_mj > 0) o->battery_years = battery_mj / per_period_mj * period / SECONDS_PER_YEAR;
    return SB_OK;
}

static int set_mj(sb_row *r, const char *key, double v)
{
    return sb_row_set_double(r, key, v, 4);
}

int sb_energy_fill_row(sb_row *r, const sb_profile *p, const sb_energy_cfg *cfg)
{
    if (!r || !p) return SB_EINVAL;
    sb_energy_in in = {
        .c2s_bytes = sb_row_num(r, "c2s_bytes"),
        .s2c_bytes = sb_row_num(r, "s2c_bytes"),
        .ota_c2s_bytes = NAN,
        .ota_s2c_bytes = NAN,
        .time_ms = sb_row_num(r, "time_ms"),
        .client_instructions = sb_row_num(r, "client_instructions"),
    };
    const char *ota = sb_row_get(r, "ota_bytes");
    if (ota && ota[0] == '{') {
        in.ota_c2s_bytes = sb_json_num(ota, "c2s");
        in.ota_s2c_bytes = sb_json_num(ota, "s2c");
    } else if (ota) {
        /* Only a total: split it like the link bytes, the closest measured proxy. */
        double total = sb_row_num(r, "ota_bytes"), link = in.c2s_bytes + in.s2c_bytes;
        if (isfinite(total) && link > 0) {
            in.ota_c2s_bytes = total * in.c2s_bytes / link;
            in.ota_s2c_bytes = total - in.ota_c2s_bytes;
        }
    }
    sb_energy_out o;
    int rc = sb_energy_compute(p, &in, cfg, &o);
    if (rc != SB_OK) return rc;
    set_mj(r, "client_energy_mj", o.total_mj);
    set_mj(r, "client_energy_radio_mj", o.radio_mj);
    set_mj(r, "client_energy_cpu_mj", o.cpu_mj);
    return sb_row_set_double(r, "battery_years", o.battery_years, 3);
}
