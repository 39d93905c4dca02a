/* util.h: error codes, monotonic time, hex and small helpers shared by every module.
 * Contract: no global state; every function is reentrant. Error codes are negative ints,
 * SB_OK is 0; sb_strerror() names them. */
#ifndef SB_UTIL_H
#define SB_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum {
    SB_OK = 0,
    SB_ETIMEOUT = -1, /* deadline passed */
    SB_ECLOSED = -2,  /* peer closed the connection */
    SB_EIO = -3,      /* socket or system call failed */
    SB_EPROTO = -4,   /* malformed or unexpected message */
    SB_EAUTH = -5,    /* authentication or integrity check failed */
    SB_ENOMEM = -6,
    SB_EINVAL = -7,  /* bad argument or configuration */
    SB_EUNSUP = -8,  /* not supported by this build or library */
    SB_ESTOP = -9,   /* the harness asked the endpoint to stop */
    SB_EREPLAY = -10, /* replayed message (OSCORE replay window) */
    SB_ESPACE = -11, /* caller's buffer too small */
    SB_ENOTFOUND = -12,
    SB_EAGAIN = -13, /* nothing yet, call again (library wants more input) */
};

const char *sb_strerror(int err);

/* Nanoseconds on CLOCK_MONOTONIC. Deadlines everywhere are absolute values of this clock. */
int64_t sb_now_ns(void);
#define SB_NS_PER_MS 1000000LL
#define SB_NS_PER_S 1000000000LL
/* Milliseconds left until deadline, clamped to [0, INT32_MAX]; for poll(). */
int sb_ms_left(int64_t deadline_ns);

/* "Not measured": integers use SB_NA, printed as null (JSON) or empty (CSV). */
#define SB_NA INT64_MIN

/* Hex: decode returns the byte count or SB_EINVAL; encode writes lowercase + NUL. */
int sb_hex_decode(const char *hex, uint8_t *out, size_t cap);
void sb_hex_encode(const uint8_t *in, size_t len, char *out);

/* 64-bit FNV-1a, used to match datagrams in the capture with their sender's marks. */
uint64_t sb_fnv64(const uint8_t *p, size_t n);

/* Formatted one-line error into a caller buffer; returns err so callers can `return sb_fail(...)`. */
int sb_fail(char *buf, size_t cap, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Parse helpers for the CLI: 0 on success, SB_EINVAL if the text is not a clean number in range. */
int sb_parse_u64(const char *s, uint64_t max, uint64_t *out);
int sb_parse_double(const char *s, double min, double max, double *out);

/* Read a whole small file into a malloc'd NUL-terminated buffer; NULL on error. */
char *sb_read_file(const char *path, size_t *len);
/* mkdir -p with `mode` for the directories it creates; SB_OK if the path is a directory now
 * (or already was), SB_EIO otherwise (errno tells why). */
int sb_mkdir_p(const char *path, unsigned mode);
/* Room for one more element in a growing array: *vp (a pointer to elem-sized elements) holds
 * *cap of them, n in use. When full, doubles the capacity (first: the initial one).
 * SB_ENOMEM leaves the array as it was. */
int sb_grow(void *vp, size_t *cap, size_t n, size_t elem, size_t first);

/* Path of a file shipped in the source tree (netem/profiles/..., tests/certs/...): under
 * $SECBENCH_HOME if set, else relative to the binary (build/secbench -> ..). */
int sb_data_path(const char *rel, char *out, size_t cap);

#endif
