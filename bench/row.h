/* row.h: one result row (one run of one cell) and its JSON / CSV / human forms.
 * Contract: the set and order of keys is fixed (SB_ROW_KEYS below) so every CSV of every run
 * has the same columns; a value never set is null in JSON and empty in CSV, never 0. Values
 * are stored as JSON text; strings are escaped on set. README.md defines every key. */
#ifndef SB_ROW_H
#define SB_ROW_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* X(key) list; keep README's key table in the same order. */
#define SB_ROW_KEYS(X)                                                                         \
    X(stack) X(protocol) X(library) X(client_library) X(server_library) X(auth) X(cipher)      \
    X(profile) X(emulator) X(scenario) X(requests) X(request_payload) X(response_payload)      \
    X(via) X(backhaul) X(clients) X(seed) X(repeat) X(ok) X(error) X(final_code) X(resumed) X(time_ms)                \
    X(handshake_ms) X(round_trips) X(c2s_bytes) X(s2c_bytes) X(c2s_packets) X(s2c_packets)     \
    X(c2s_payload_bytes) X(s2c_payload_bytes) X(handshake_bytes) X(app_bytes)                  \
    X(teardown_bytes) X(handshake_payload_bytes) X(app_payload_bytes)                          \
    X(teardown_payload_bytes) X(unclassified_bytes) X(flights) X(edhoc_msg_bytes)              \
    X(retransmissions) X(client_cycles) X(server_cycles) X(client_instructions)                \
    X(server_instructions) X(client_cpu_ns) X(server_cpu_ns) X(cycles_source)                  \
    X(client_heap_peak) X(server_heap_peak) X(client_heap_session) X(server_heap_session)      \
    X(heap_source) X(layers) X(bytes_source) X(ota_bytes) X(ota_frames) X(client_energy_mj)    \
    X(client_energy_radio_mj) X(client_energy_cpu_mj) X(battery_years) X(proxy_saw_plaintext)  \
    X(tamper_detected) X(proxy_cycles) X(proxy_instructions) X(proxy_cpu_ns)                   \
    X(proxy_heap_peak) X(proxy_heap_session) X(hop2_bytes) X(hop2_packets) X(delay_ms) X(loss_pct)             \
    X(rate_kbit) X(lib_version) X(kernel) X(commit) X(timestamp)

typedef struct sb_row sb_row;

sb_row *sb_row_new(void);
void sb_row_free(sb_row *r);
size_t sb_row_nkeys(void);
const char *sb_row_key(size_t i);

/* Setters return SB_EINVAL for an unknown key (a programming error, caught by tests). */
int sb_row_set_int(sb_row *r, const char *key, int64_t v); /* SB_NA -> null */
int sb_row_set_double(sb_row *r, const char *key, double v, int decimals); /* NaN -> null */
int sb_row_set_str(sb_row *r, const char *key, const char *s); /* NULL -> null */
int sb_row_set_bool(sb_row *r, const char *key, int v);
int sb_row_set_json(sb_row *r, const char *key, const char *json); /* arrays, objects */
/* The JSON text of a value, or NULL when null / unset. */
const char *sb_row_get(const sb_row *r, const char *key);
/* Numeric value of a key (NaN when null or not a number); string value unescaped into buf. */
double sb_row_num(const sb_row *r, const char *key);
const char *sb_row_str(const sb_row *r, const char *key, char *buf, size_t cap);

void sb_row_write_json(const sb_row *r, FILE *f); /* one line, keys in fixed order */
void sb_row_write_csv_header(FILE *f);
void sb_row_write_csv(const sb_row *r, FILE *f);
void sb_row_write_human(const sb_row *r, FILE *f);
/* Parse one JSON line as written by sb_row_write_json (unknown keys ignored). */
int sb_row_parse_json(sb_row *r, const char *line);

/* Write `data` to `path` atomically (temp file in the same directory, fsync, rename). */
int sb_write_atomic(const char *path, const char *data, size_t len);

#endif
