/*
 * diag.h -- compiler-style diagnostics.
 *
 * Every message is `file:line:col: error: text`, followed by the source
 * line and a caret under the column, like gcc and clang print them.
 * Passes report and keep going; the driver turns a nonzero error count
 * into exit status 1.
 */
#ifndef AC_DIAG_H
#define AC_DIAG_H

#include <stdio.h>

typedef enum { AC_DIAG_ERROR, AC_DIAG_WARNING, AC_DIAG_NOTE } ac_diag_level;

/* Where diagnostics go (stderr unless a test redirects it). */
void ac_diag_set_stream(FILE *out);

/* Reports a message at `file:line:col`.  `line_text` is the whole source
 * line (without its newline) shown under the message, or NULL to show
 * none; `col` is 1-based and counts bytes. */
void ac_diag_at(ac_diag_level level, const char *file, unsigned line,
                unsigned col, const char *line_text, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* Reports a message that has no source position (`asyncc: error: ...`). */
void ac_diag_plain(ac_diag_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Errors reported since start (or the last reset). */
unsigned ac_diag_errors(void);
void ac_diag_reset(void);

#endif
