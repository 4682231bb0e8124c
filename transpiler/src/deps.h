/*
 * deps.h -- Make-style dependency files (-MD) and compilation databases
 * (-p): how asyncc fits into a build like a compiler does.
 */
#ifndef AC_DEPS_H
#define AC_DEPS_H

#include "buf.h"

/* Appends `path` escaped for a Make/Ninja depfile: spaces and tabs as
 * "\ ", '#' as "\#", '$' as "$$". */
void ac_depfile_escape(ac_buf *b, const char *path);

/* Appends "TARGET: DEP0 \\\n DEP1 ...\n": the rule gcc -MD writes, one
 * dependency per line. */
void ac_depfile_format(ac_buf *b, const char *target, const char *const *deps,
                       unsigned ndeps);

/* Splits a shell command line the way sh does for words: blanks
 * separate, '...' is literal, "..." honours \" \\ \$ \` and \newline,
 * a backslash outside quotes escapes the next character.  Returns the
 * number of words (stored in the arena, *argv NULL-terminated), or -1
 * for an unterminated quote. */
int ac_shell_split(ac_arena *a, const char *cmd, char ***argv);

/* `path` made absolute against `dir` (when relative) with "." and ".."
 * and repeated slashes removed, lexically. */
char *ac_path_absolute(ac_arena *a, const char *dir, const char *path);

/* The flags of a database entry that matter for parsing: drops argv[0]
 * (the compiler), the input file (and any other source file), -o, -c,
 * and dependency-file flags with their arguments; makes relative paths
 * of -I, -isystem, -iquote, -idirafter, -include, -imacros, --sysroot and
 * the like absolute against `dir`.  Returns the number kept in *out. */
int ac_compdb_filter(ac_arena *a, const char *dir, int argc,
                     const char *const *argv, const char ***out);

/* Finds `input` in BUILD_DIR/compile_commands.json and returns its
 * filtered flags in *out (count returned).  Returns -1 after reporting
 * a missing or malformed database, or no entry for the file. */
int ac_compdb_load(ac_arena *a, const char *build_dir, const char *input,
                   const char ***out);

#endif
