/*
 * fds.h -- the descriptors a runtime test has open, to check that a
 * server, a connection or a ring closed everything it opened.  Include
 * <cmocka.h> first.
 */
#ifndef TESTS_RUNTIME_FDS_H
#define TESTS_RUNTIME_FDS_H

#include <dirent.h>

/* The descriptors this process has open, opendir's own included: two
 * counts taken the same way compare. */
static inline int count_fds(void) {
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int n = 0;

    assert_non_null(d);
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

#endif
