#include "row.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jsonget.h"
#include "util.h"

#define KEY_NAME(k) #k,
static const char *const keys[] = {SB_ROW_KEYS(KEY_NAME)};
#define NKEYS (sizeof keys / sizeof keys[0])

struct sb_row {
    char *val[NKEYS]; /* JSON text, NULL = null */
};

sb_row *sb_row_new(void)
{
    return calloc(1, sizeof(sb_row));
}

void sb_row_free(sb_row *r)
{
    if (!r) return;
    for (size_t i = 0; i < NKEYS; i++) free(r->val[i]);
    free(r);
}

size_t sb_row_nkeys(void)
{
    return NKEYS;
}

const char *sb_row_key(size_t i)
{
    return i < NKEYS ? keys[i] : NULL;
}

static int key_index(const char *key)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (strcmp(keys[i], key) == 0) return (int)i;
    return -1;
}

static int set_owned(sb_row *r, const char *key, char *json)
{
    int i = key_index(key);
    if (i < 0) {
        free(json);
        return SB_EINVAL;
    }
    free(r->val[i]);
    r->val[i] = json;
    return SB_OK;
}

int sb_row_set_json(sb_row *r, const char *key, const char *json)
{
    return set_owned(r, key, json ? strdup(json) : NULL);
}

int sb_row_set_int(sb_row *r, const char *key, int64_t v)
{
    if (v == SB_NA) return set_owned(r, key, NULL);
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", (long long)v);
    return sb_row_set_json(r, key, buf);
}

int sb_row_set_double(sb_row *r, const char *key, double v, int decimals)
{
    if (!isfinite(v)) return set_owned(r, key, NULL);
    char buf[64];
    snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return sb_row_set_json(r, key, buf);
}

int sb_row_set_bool(sb_row *r, const char *key, int v)
{
    return sb_row_set_json(r, key, v ? "true" : "false");
}

int sb_row_set_str(sb_row *r, const char *key, const char *s)
{
    if (!s) return set_owned(r, key, NULL);
    size_t n = strlen(s);
    char *out = malloc(n * 6 + 3), *o = out;
    if (!out) return SB_ENOMEM;
    *o++ = '"';
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            *o++ = '\\';
            *o++ = (char)*p;
        } else if (*p < 0x20) {
            o += sprintf(o, "\\u%04x", *p);
        } else {
            *o++ = (char)*p;
        }
    }
    *o++ = '"';
    *o = '\0';
    return set_owned(r, key, out);
}

const char *sb_row_get(const sb_row *r, const char *key)
{
    int i = key_index(key);
    return i < 0 ? NULL : r->val[i];
}

double sb_row_num(const sb_row *r, const char *key)
{
    const char *v = sb_row_get(r, key);
    if (!v) return NAN;
    if (strcmp(v, "true") == 0) return 1;
    if (strcmp(v, "false") == 0) return 0;
    char *end;
    double d = strtod(v, &end);
    return end != v && *end == '\0' ? d : NAN;
}

/* Unescape a JSON string literal (the subset sb_row_set_str writes, plus \n \t \/ ). */
static const char *unescape(const char *v, char *buf, size_t cap)
{
    size_t n = 0;
    for (const char *p = v + 1; *p && *p != '"' && n + 1 < cap; p++) {
        char c = *p;
        if (c == '\\' && p[1]) {
            p++;
            c = *p == 'n' ? '\n' : *p == 't' ? '\t' : *p;
            if (*p == 'u' && strlen(p) >= 5) {
                c = (char)strtol((char[]){p[3], p[4], 0}, NULL, 16);
                p += 4;
            }
        }
        buf[n++] = c;
    }
    buf[n] = '\0';
    return buf;
}

const char *sb_row_str(const sb_row *r, const char *key, char *buf, size_t cap)
{
    const char *v = sb_row_get(r, key);
    if (!v || !cap) return NULL;
    if (v[0] != '"') {
        snprintf(buf, cap, "%s", v);
        return buf;
    }
    return unescape(v, buf, cap);
}

void sb_row_write_json(const sb_row *r, FILE *f)
{
    fputc('{', f);
    for (size_t i = 0; i < NKEYS; i++)
        fprintf(f, "%s\"%s\":%s", i ? "," : "", keys[i], r->val[i] ? r->val[i] : "null");
    fputs("}\n", f);
}

void sb_row_write_csv_header(FILE *f)
{
    for (size_t i = 0; i < NKEYS; i++) fprintf(f, "%s%s", i ? "," : "", keys[i]);
    fputc('\n', f);
}

/* CSV (RFC 4180): strings unquoted from JSON, then quoted when they hold , " or newline;
 * arrays/objects are written as their JSON text, quoted. */
static void csv_field(const char *v, FILE *f)
{
    if (!v) return;
    char tmp[4096];
    const char *s = v[0] == '"' ? unescape(v, tmp, sizeof tmp) : v;
    if (!strpbrk(s, ",\"\n\r")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

void sb_row_write_csv(const sb_row *r, FILE *f)
{
    for (size_t i = 0; i < NKEYS; i++) {
        if (i) fputc(',', f);
        csv_field(r->val[i], f);
    }
    fputc('\n', f);
}

void sb_row_write_human(const sb_row *r, FILE *f)
{
    char a[256], b[256], c[256], d[64], v[4096];
    int ok = sb_row_num(r, "ok") == 1;
    fprintf(f, "%s  %s  profile=%s emulator=%s scenario=%s\n", ok ? "OK  " : "FAIL",
            sb_row_str(r, "stack", a, sizeof a) ?: "?", sb_row_str(r, "profile", b, sizeof b) ?: "?",
            sb_row_str(r, "emulator", c, sizeof c) ?: "?", sb_row_str(r, "scenario", d, sizeof d) ?: "?");
    if (!ok) fprintf(f, "  error: %s\n", sb_row_str(r, "error", a, sizeof a) ?: "?");
    static const char *const show[] = {
        "time_ms", "handshake_ms", "round_trips", "c2s_bytes", "s2c_bytes", "handshake_bytes",
        "app_bytes", "app_payload_bytes", "retransmissions", "client_cycles",
        "client_instructions", "client_cpu_ns", "client_heap_peak", "server_heap_peak",
        "client_heap_session", "server_heap_session", "client_energy_mj", "flights", "layers"};
    for (size_t i = 0; i < sizeof show / sizeof show[0]; i++)
        fprintf(f, "  %-20s %s\n", show[i], sb_row_str(r, show[i], v, sizeof v) ?: "n/a");
    const char *via = sb_row_str(r, "via", a, sizeof a);
    static const char *const gw[] = {"final_code", "proxy_saw_plaintext", "tamper_detected",
                                     "clients", "proxy_cpu_ns", "proxy_instructions",
                                     "proxy_heap_peak", "proxy_heap_session", "hop2_bytes",
                                     "hop2_packets"};
    for (size_t i = 0; via && !strcmp(via, "proxy") && i < sizeof gw / sizeof gw[0]; i++)
        fprintf(f, "  %-20s %s\n", gw[i], sb_row_str(r, gw[i], v, sizeof v) ?: "n/a");
    fprintf(f, "  %-20s %s\n", "cycles_source", sb_row_str(r, "cycles_source", a, sizeof a) ?: "n/a");
    fprintf(f, "  %-20s %s\n", "bytes_source", sb_row_str(r, "bytes_source", a, sizeof a) ?: "n/a");
}

int sb_row_parse_json(sb_row *r, const char *line)
{
    const char *p = strchr(line, '{');
    if (!p) return SB_EPROTO;
    p++;
    while (*p) {
        while (*p == ' ' || *p == ',' || *p == '\n') p++;
        if (*p == '}') return SB_OK;
        if (*p != '"') return SB_EPROTO;
        const char *ke = strchr(p + 1, '"');
        if (!ke) return SB_EPROTO;
        char key[64];
        snprintf(key, sizeof key, "%.*s", (int)(ke - p - 1), p + 1);
        p = ke + 1;
        while (*p == ' ' || *p == ':') p++;
        const char *ve = sb_json_skip(p);
        if (!ve || ve == p) return SB_EPROTO;
        char *val = strndup(p, (size_t)(ve - p));
        if (!val) return SB_ENOMEM;
        if (strcmp(val, "null") == 0) {
            free(val);
            val = NULL;
        }
        if (key_index(key) >= 0) set_owned(r, key, val);
        else free(val);
        p = ve;
    }
    return SB_EPROTO;
}

int sb_write_atomic(const char *path, const char *data, size_t len)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return SB_EIO;
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(fd, data + done, len - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        done += (size_t)n;
    }
    int ok = done == len && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        return SB_EIO;
    }
    return SB_OK;
}
