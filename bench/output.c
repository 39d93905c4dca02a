#include "output.h"

#include <string.h>
#include <unistd.h>

void sb_output_row(const sb_row *r, const char *format, int no_header, FILE *f)
{
    if (!format) format = isatty(fileno(f)) ? "human" : "json";
    if (strcmp(format, "csv") == 0) {
        if (!no_header) sb_row_write_csv_header(f);
        sb_row_write_csv(r, f);
    } else if (strcmp(format, "human") == 0) {
        sb_row_write_human(r, f);
    } else {
        sb_row_write_json(r, f);
    }
    fflush(f);
}
