/*
 * emit_quiet.c -- keeps the compiler from repeating warnings asyncc has
 * reported (see ac_quiet in ir.h).
 *
 * asyncc showed libclang's warning at the user's line, in clang's words;
 * the compiler would show it again at generated code (NAME__init,
 * _f->field).  The code generated from that function is wrapped in
 * `#pragma GCC diagnostic push / ignored / pop` for exactly the options
 * reported there.  clang reads these pragmas with its own option names;
 * gcc's differ for some, and gcc warns about an option it does not know,
 * so gcc gets the options of the table below and no others.
 */
#include "emit_internal.h"

#include <string.h>

/* clang's name of a warning option, and gcc's for the same warnings. */
static const struct {
    const char *clang, *gcc;
} gcc_names[] = {
    {"address", "address"},
    {"array-bounds", "array-bounds"},
    {"cast-qual", "cast-qual"},
    {"constant-conversion", "overflow"},
    {"conversion", "conversion"},
    {"div-by-zero", "div-by-zero"},
    {"enum-conversion", "enum-conversion"},
    {"float-conversion", "float-conversion"},
    {"format", "format"},
    {"format-extra-args", "format-extra-args"},
    {"format-security", "format-security"},
    {"format-zero-length", "format-zero-length"},
    {"implicit-function-declaration", "implicit-function-declaration"},
    {"implicit-int", "implicit-int"},
    {"incompatible-function-pointer-types", "incompatible-pointer-types"},
    {"incompatible-pointer-types", "incompatible-pointer-types"},
    {"incompatible-pointer-types-discards-qualifiers", "discarded-qualifiers"},
    {"int-conversion", "int-conversion"},
    {"int-to-pointer-cast", "int-to-pointer-cast"},
    {"missing-braces", "missing-braces"},
    {"missing-field-initializers", "missing-field-initializers"},
    {"missing-prototypes", "missing-prototypes"},
    {"parentheses", "parentheses"},
    {"pointer-arith", "pointer-arith"},
    {"pointer-sign", "pointer-sign"},
    {"pointer-to-int-cast", "pointer-to-int-cast"},
    {"return-type", "return-type"},
    {"shadow", "shadow"},
    {"sign-compare", "sign-compare"},
    {"sign-conversion", "sign-conversion"},
    {"sizeof-pointer-div", "sizeof-pointer-div"},
    {"strict-prototypes", "strict-prototypes"},
    {"switch", "switch"},
    {"tautological-compare", "tautological-compare"},
    {"unused-but-set-variable", "unused-but-set-variable"},
    {"unused-function", "unused-function"},
    {"unused-label", "unused-label"},
    {"unused-parameter", "unused-parameter"},
    {"unused-value", "unused-value"},
    {"unused-variable", "unused-variable"},
};

/* gcc's name for clang's option `name`, or NULL when gcc has none. */
static const char *gcc_name(const char *name) {
    for (size_t i = 0; i < sizeof gcc_names / sizeof gcc_names[0]; i++)
        if (strcmp(gcc_names[i].clang, name) == 0)
            return gcc_names[i].gcc;
    return NULL;
}

/* Did an earlier option of `q` map to gcc's `g` already? */
static int gcc_listed(const ac_quiet *q, unsigned upto, const char *g) {
    for (unsigned i = 0; i < upto; i++) {
        const char *o = gcc_name(q->options[i]);
        if (o && strcmp(o, g) == 0)
            return 1;
    }
    return 0;
}

void ac_emit_quiet_push(const ac_quiet *q, ac_buf *out) {
    ac_buf_puts(out, "/* asyncc reported these warnings at the source "
                     "lines: not repeated here */\n");
    ac_buf_puts(out, "#if defined(__clang__)\n#pragma GCC diagnostic push\n");
    for (unsigned i = 0; i < q->noptions; i++)
        ac_buf_printf(out, "#pragma GCC diagnostic ignored \"-W%s\"\n",
                      q->options[i]);
    ac_buf_puts(out, "#elif defined(__GNUC__)\n#pragma GCC diagnostic push\n");
    for (unsigned i = 0; i < q->noptions; i++) {
        const char *g = gcc_name(q->options[i]);
        if (g && !gcc_listed(q, i, g))
            ac_buf_printf(out, "#pragma GCC diagnostic ignored \"-W%s\"\n", g);
    }
    ac_buf_puts(out, "#endif\n");
}

void ac_emit_quiet_pop(ac_buf *out) {
    ac_buf_puts(out, "#if defined(__GNUC__)\n#pragma GCC diagnostic pop\n"
                     "#endif\n");
}
