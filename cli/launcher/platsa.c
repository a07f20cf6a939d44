/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The platsa command: starts the engine (platsa-engine: beside this file in the build tree,
 * in ../libexec/platsa when installed) with transparent huge pages for malloc'ed memory
 * (glibc.malloc.hugetlb=1, see gis/hugepages.h).
 *
 * glibc reads that tunable only when a program starts. The engine could set it and start
 * itself again, but it links GDAL and its ~130 libraries: each start costs 0.15-0.2 s of
 * dynamic linking on the machines we measure, more than some whole runs with a warm graph
 * cache take to compute. This launcher links only libc, so the engine starts once. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ENGINE "platsa-engine"
#define TUNABLE "glibc.malloc.hugetlb=1"

/* The engine's path: this program's folder + ENGINE (the build tree), else, installed,
 * ../libexec/platsa/ENGINE from it (make install). 0, or -1 when it cannot be made. */
static int engine_path(const char *argv0, char *out, size_t size)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0)
        self[n] = '\0';
    else if (snprintf(self, sizeof self, "%s", argv0) >= (int)sizeof self)
        return -1;
    char *slash = strrchr(self, '/');
    if (!slash) {
        int w = snprintf(out, size, "%s", ENGINE);
        return w > 0 && (size_t)w < size ? 0 : -1;
    }
    int dir = (int)(slash - self);
    int w = snprintf(out, size, "%.*s/%s", dir, self, ENGINE);
    if (w > 0 && (size_t)w < size && access(out, X_OK) == 0)
        return 0;
    w = snprintf(out, size, "%.*s/../libexec/platsa/%s", dir, self, ENGINE);
    if (w > 0 && (size_t)w < size && access(out, X_OK) == 0)
        return 0;
    w = snprintf(out, size, "%.*s/%s", dir, self, ENGINE);  /* for the error message */
    return w > 0 && (size_t)w < size ? 0 : -1;
}

/* Adds the tunable to GLIBC_TUNABLES (keeping what is there), unless PLATSA_HUGEPAGES=0,
 * it is set already, or valgrind's malloc is preloaded (nothing to gain there). */
static void want_huge_pages(void)
{
    const char *off = getenv("PLATSA_HUGEPAGES"), *t = getenv("GLIBC_TUNABLES"), *pre = getenv("LD_PRELOAD");
    if ((off && strcmp(off, "0") == 0) || (t && strstr(t, "glibc.malloc.hugetlb")) || (pre && strstr(pre, "vgpreload")))
        return;
    char value[4096];
    int n = snprintf(value, sizeof value, "%s%s" TUNABLE, t ? t : "", t && *t ? ":" : "");
    if (n > 0 && (size_t)n < sizeof value)
        setenv("GLIBC_TUNABLES", value, 1);
}

int main(int argc, char **argv)
{
    (void)argc;
    char engine[PATH_MAX];
    if (engine_path(argv[0], engine, sizeof engine) != 0) {
        fprintf(stderr, "platsa: cannot find %s beside this program; rebuild with make\n", ENGINE);
        return 127;
    }
    want_huge_pages();
    execv(engine, argv);
    fprintf(stderr, "platsa: cannot start %s: %s; rebuild with make\n", engine, strerror(errno));
    return 127;
}
