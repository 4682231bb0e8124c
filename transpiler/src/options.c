/*
 * options.c -- the command line of asyncc (see options.h).
 */
#include "options.h"

#include "diag.h"

#include <stdio.h>
#include <string.h>

void ac_options_usage(void *stream) {
    FILE *out = stream;
    fputs(
        "usage: asyncc [options] input.c [-o output.c] [-- compiler flags]\n"
        "\n"
        "Transpiles a C file that uses async/await (#include <async.h>)\n"
        "into plain C11 that links with the asyncrt runtime.\n"
        "\n"
        "options:\n"
        "  -o FILE     write the output to FILE (default: standard output)\n"
        "  -P          omit #line directives (for reading the output)\n"
        "  --inspect[=text|json]\n"
        "              instead of C, describe each async function: its\n"
        "              states, the transitions between them and the\n"
        "              layout of its frame (text, or a JSON document)\n"
        "  --dot       instead of C, a Graphviz digraph of the states and\n"
        "              transitions (render with dot -Tsvg)\n"
        "  -MD         also write a Make-style depfile listing the input and\n"
        "              every header it reads, after a successful run\n"
        "              (FILE.d for -o FILE, unless -MF names it)\n"
        "  -MF FILE    write the depfile to FILE (implies -MD)\n"
        "  -MT TARGET  the depfile's target (default: the -o file)\n"
        "  -p DIR      parse with the flags that DIR/compile_commands.json\n"
        "              gives for the input (-I, -D, -std, ...); flags\n"
        "              after -- come after them\n"
        "  --version   print the version of asyncc and of the libclang it\n"
        "              was built with and runs with\n"
        "  -h, --help  print this help\n"
        "\n"
        "Flags after -- (such as -I, -D, -std) are used when parsing the\n"
        "input, as a compiler would use them; asyncc's own options,\n"
        "-MD, -MF, -MT and -p included, go before --.  Warning flags\n"
        "there (-Wall, -Wno-NAME, -Werror) control the compiler warnings\n"
        "asyncc shows about async functions and async_run calls.\n"
        "\n"
        "Exit status: 0 success (warnings included), 1 errors in the\n"
        "input, 2 usage or I/O errors.\n",
        out);
}

static const char *mode_flag(ac_mode m) {
    switch (m) {
    case AC_MODE_INSPECT_TEXT:
        return "--inspect";
    case AC_MODE_INSPECT_JSON:
        return "--inspect=json";
    case AC_MODE_DOT:
        return "--dot";
    default:
        return "";
    }
}

/* One report at a time: each replaces the C output. */
static int set_mode(ac_options *o, ac_mode m) {
    if (o->mode != AC_MODE_C && o->mode != m) {
        ac_diag_plain(AC_DIAG_ERROR,
                      "%s and %s cannot be used together: each replaces "
                      "the output; run asyncc once for each",
                      mode_flag(o->mode), mode_flag(m));
        return -1;
    }
    o->mode = m;
    return 0;
}

/* The value of an option written "-MF FILE" or "-MFFILE" (with `eq`,
 * also "-p=DIR"); NULL after reporting a missing one. */
static const char *option_value(const char *flag, int argc, char **argv, int *i,
                                int eq) {
    const char *a = argv[*i] + strlen(flag);
    if (eq && *a == '=')
        return a + 1;
    if (*a)
        return a;
    if (*i + 1 >= argc) {
        ac_diag_plain(AC_DIAG_ERROR, "%s needs %s", flag,
                      strcmp(flag, "-MT") == 0  ? "a target"
                      : strcmp(flag, "-p") == 0 ? "a build directory"
                                                : "a file name");
        return NULL;
    }
    return argv[++*i];
}

int ac_options_parse(ac_options *o, int argc, char **argv) {
    memset(o, 0, sizeof *o);
    o->line_directives = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            o->clang_args = (const char *const *)argv + i + 1;
            o->nclang_args = argc - i - 1;
            break;
        } else if (strcmp(a, "-o") == 0) {
            if (i + 1 >= argc) {
                ac_diag_plain(AC_DIAG_ERROR, "-o needs a file name");
                return -1;
            }
            o->output = argv[++i];
        } else if (strncmp(a, "-o", 2) == 0 && a[2]) {
            o->output = a + 2;
        } else if (strcmp(a, "-MD") == 0) {
            o->depfile_wanted = 1;
        } else if (strncmp(a, "-MF", 3) == 0) {
            if (!(o->depfile = option_value("-MF", argc, argv, &i, 0)))
                return -1;
            o->depfile_wanted = 1;
        } else if (strncmp(a, "-MT", 3) == 0) {
            if (!(o->dep_target = option_value("-MT", argc, argv, &i, 0)))
                return -1;
        } else if (strcmp(a, "-p") == 0 || strncmp(a, "-p=", 3) == 0) {
            if (!(o->build_dir = option_value("-p", argc, argv, &i, 1)))
                return -1;
        } else if (strcmp(a, "-P") == 0) {
            o->line_directives = 0;
        } else if (strcmp(a, "--inspect") == 0 ||
                   strcmp(a, "--inspect=text") == 0) {
            if (set_mode(o, AC_MODE_INSPECT_TEXT) != 0)
                return -1;
        } else if (strcmp(a, "--inspect=json") == 0) {
            if (set_mode(o, AC_MODE_INSPECT_JSON) != 0)
                return -1;
        } else if (strncmp(a, "--inspect=", 10) == 0) {
            ac_diag_plain(AC_DIAG_ERROR,
                          "unknown --inspect format '%s' (text or json)",
                          a + 10);
            return -1;
        } else if (strcmp(a, "--dot") == 0) {
            if (set_mode(o, AC_MODE_DOT) != 0)
                return -1;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            o->help = 1;
        } else if (strcmp(a, "--version") == 0) {
            o->version = 1;
        } else if (a[0] == '-' && a[1]) {
            ac_diag_plain(AC_DIAG_ERROR,
                          "unknown option '%s' (compiler flags go after --)",
                          a);
            return -1;
        } else if (o->input) {
            ac_diag_plain(AC_DIAG_ERROR,
                          "more than one input file ('%s' and '%s')", o->input,
                          a);
            return -1;
        } else {
            o->input = a;
        }
    }
    if (!o->input && !o->help && !o->version) {
        ac_diag_plain(AC_DIAG_ERROR, "no input file (try --help)");
        return -1;
    }
    /* The depfile is named after the output, like a compiler's: without
     * a file to name it after, the user must say. */
    int to_stdout = !o->output || strcmp(o->output, "-") == 0;
    if (o->depfile_wanted && to_stdout && (!o->depfile || !o->dep_target) &&
        !o->help && !o->version) {
        ac_diag_plain(AC_DIAG_ERROR, "-MD with standard output needs -MF FILE "
                                     "and -MT TARGET");
        return -1;
    }
    return 0;
}
