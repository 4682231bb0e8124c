/*
 * diag.c -- compiler-style diagnostics (see diag.h).
 */
#include "diag.h"

#include <stdarg.h>

static FILE *diag_out;
static unsigned diag_error_count;

static const char *level_name(ac_diag_level level) {
    switch (level) {
    case AC_DIAG_ERROR:
        return "error";
    case AC_DIAG_WARNING:
        return "warning";
    case AC_DIAG_NOTE:
        return "note";
    }
    return "error";
}

static FILE *stream(void) { return diag_out ? diag_out : stderr; }

void ac_diag_set_stream(FILE *out) { diag_out = out; }

static void count(ac_diag_level level) {
    if (level == AC_DIAG_ERROR)
        diag_error_count++;
}

/* The caret line keeps the source line's tabs so that the caret lines up
 * under the same column in a terminal. */
static void print_caret(FILE *out, const char *line_text, unsigned col) {
    for (unsigned i = 1; i < col && line_text[i - 1]; i++)
        fputc(line_text[i - 1] == '\t' ? '\t' : ' ', out);
    fputs("^\n", out);
}

void ac_diag_at(ac_diag_level level, const char *file, unsigned line,
                unsigned col, const char *line_text, const char *fmt, ...) {
    FILE *out = stream();
    count(level);
    fprintf(out, "%s:%u:%u: %s: ", file, line, col, level_name(level));
    va_list ap;
    va_start(ap, fmt);
    vfprintf(out, fmt, ap);
    va_end(ap);
    fputc('\n', out);
    if (line_text) {
        fprintf(out, "%s\n", line_text);
        print_caret(out, line_text, col);
    }
}

void ac_diag_plain(ac_diag_level level, const char *fmt, ...) {
    FILE *out = stream();
    count(level);
    fprintf(out, "asyncc: %s: ", level_name(level));
    va_list ap;
    va_start(ap, fmt);
    vfprintf(out, fmt, ap);
    va_end(ap);
    fputc('\n', out);
}

unsigned ac_diag_errors(void) { return diag_error_count; }

void ac_diag_reset(void) { diag_error_count = 0; }
