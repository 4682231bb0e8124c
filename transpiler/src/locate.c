/*
 * locate.c -- finds async.h relative to the running executable (see
 * locate.h).
 */
#define _XOPEN_SOURCE 700 /* realpath(path, NULL), access */

#include "locate.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The build tree's fallback: the source tree this asyncc was built from. */
#ifndef ASYNCC_RUNTIME_INCLUDE_DIR
#define ASYNCC_RUNTIME_INCLUDE_DIR "/usr/local/include"
#endif
/* Where the headers are installed, relative to the directory of the
 * installed asyncc (or absolute when the install layout is). */
#ifndef ASYNCC_INSTALL_INCLUDE_FROM_BIN
#define ASYNCC_INSTALL_INCLUDE_FROM_BIN "../include"
#endif

static char installed[PATH_MAX];

/* Fills `installed` with the installed include directory next to the
 * running executable; 0 when async.h is there, -1 otherwise. */
static int find_installed(void) {
    char *exe = realpath("/proc/self/exe", NULL);
    if (!exe)
        return -1;
    char *slash = strrchr(exe, '/');
    if (slash)
        *slash = '\0';
    const char *rel = ASYNCC_INSTALL_INCLUDE_FROM_BIN;
    int n = rel[0] == '/'
                ? snprintf(installed, sizeof installed, "%s", rel)
                : snprintf(installed, sizeof installed, "%s/%s", exe, rel);
    free(exe);
    if (n < 0 || (size_t)n >= sizeof installed)
        return -1;
    char probe[PATH_MAX + 16];
    snprintf(probe, sizeof probe, "%s/async.h", installed);
    if (access(probe, R_OK) != 0)
        return -1;
    /* Without ../ in compiler messages and depfiles. */
    char *clean = realpath(installed, NULL);
    if (clean) {
        snprintf(installed, sizeof installed, "%s", clean);
        free(clean);
    }
    return 0;
}

const char *ac_locate_runtime_include_dir(void) {
    static const char *dir;
    if (dir)
        return dir;
    const char *env = getenv("ASYNCC_INCLUDE_DIR");
    if (env && *env)
        return dir = env;
    return dir = find_installed() == 0 ? installed : ASYNCC_RUNTIME_INCLUDE_DIR;
}
