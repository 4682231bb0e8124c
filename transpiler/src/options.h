/*
 * options.h -- the command line of asyncc.
 */
#ifndef AC_OPTIONS_H
#define AC_OPTIONS_H

typedef struct ac_options {
    const char *input;
    const char *output;  /* NULL or "-": standard output */
    int line_directives; /* 0 with -P */
    int nclang_args;     /* flags after "--", passed to libclang */
    const char *const *clang_args;
    int help, version;
} ac_options;

/* Parses argv.  Returns 0, or -1 after printing what is wrong. */
int ac_options_parse(ac_options *o, int argc, char **argv);

/* Prints the usage text to `out`. */
void ac_options_usage(void *out);

#endif
