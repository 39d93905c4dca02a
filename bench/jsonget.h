/* jsonget.h: read one number out of a small JSON object text (row values such as `layers`).
 * Contract: read-only scan, no allocation; a dotted path walks nested objects
 * ("request.ip"). Returns NaN when the path is absent, null, not a number or the text is
 * malformed; never reads past the terminating NUL. */
#ifndef SB_JSONGET_H
#define SB_JSONGET_H

double sb_json_num(const char *json, const char *path);
/* End of the JSON value starting at p (string, number, literal, array or object, nesting and
 * escapes aware), or NULL when it is malformed. */
const char *sb_json_skip(const char *p);
/* Number of elements of a JSON array text (e.g. a row's `flights`); -1 if not an array. */
int sb_json_array_len(const char *json);

#endif
