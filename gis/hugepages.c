/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Large pages for malloc'ed memory (see hugepages.h). */
#include "hugepages.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HUGETLB_TUNABLE "glibc.malloc.hugetlb"

void pl_hugepages_reexec(char **argv)
{
    const char *off = getenv("PLATSA_HUGEPAGES");
    if (off && strcmp(off, "0") == 0)
        return;
    const char *tunables = getenv("GLIBC_TUNABLES");
    if (tunables && strstr(tunables, HUGETLB_TUNABLE))
        return;  /* set already: by us before the new start, or by the user */
    const char *preload = getenv("LD_PRELOAD");
    if (preload && strstr(preload, "vgpreload"))
        return;  /* valgrind's own malloc: nothing to gain, and it follows exec badly */
    char value[4096];
    int n = snprintf(value, sizeof value, "%s%s" HUGETLB_TUNABLE "=1", tunables ? tunables : "",
                     tunables && *tunables ? ":" : "");
    if (n < 0 || (size_t)n >= sizeof value || setenv("GLIBC_TUNABLES", value, 1) != 0)
        return;
    execv("/proc/self/exe", argv);
    /* No new start (no /proc, say): go on with small pages, and leave the variable as it was. */
    if (tunables)
        setenv("GLIBC_TUNABLES", tunables, 1);
    else
        unsetenv("GLIBC_TUNABLES");
}
