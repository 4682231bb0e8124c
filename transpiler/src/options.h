/*
 * options.h -- the command line of asyncc.
 */
#ifndef AC_OPTIONS_H
#define AC_OPTIONS_H

/* What asyncc writes: the transpiled C, or a report on the state
 * machines it would generate. */
typedef enum {
    AC_MODE_C,            /* the transpiled file (default) */
    AC_MODE_INSPECT_TEXT, /* --inspect, --inspect=text */
    AC_MODE_INSPECT_JSON, /* --inspect=json */
    AC_MODE_DOT           /* --dot */
} ac_mode;

typedef struct ac_options {
    ac_mode mode;
    const char *input;
    const char *output;  /* NULL or "-": standard output */
    int line_directives; /* 0 with -P */
    int nclang_args;     /* flags after "--", passed to libclang */
    const char *const *clang_args;
    int help, version;
    /* -MD, -MF FILE, -MT TARGET: a Make-style depfile after success. */
    int depfile_wanted;
    const char *depfile;    /* -MF; NULL: the output file with ".d" added */
    const char *dep_target; /* -MT; NULL: the output file */
    const char *build_dir;  /* -p: where compile_commands.json is */
} ac_options;

/* Parses argv.  Returns 0, or -1 after printing what is wrong. */
int ac_options_parse(ac_options *o, int argc, char **argv);

/* Prints the usage text to `out`. */
void ac_options_usage(void *out);

#endif
