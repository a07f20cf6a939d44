/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "share.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef PLATSA_SOURCE_DIR
#define PLATSA_SOURCE_DIR "."
#endif

static int is_share(const char *dir)
{
    char probe[PATH_MAX + 32];
    struct stat st;
    snprintf(probe, sizeof probe, "%s/service_types.ini", dir);
    return stat(probe, &st) == 0;
}

/* The folder of the file that holds this code: libplatsa.so when linked shared (so a host
 * program such as a binding finds the installed data too), else the executable. */
static int code_dir(char *out, size_t size)
{
    Dl_info info;
    char path[PATH_MAX];
    if (!dladdr((void *)&pl_share_dir, &info) || !info.dli_fname || !strchr(info.dli_fname, '/')
        || !realpath(info.dli_fname, path)) {
        ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
        if (n <= 0)
            return -1;
        path[n] = '\0';
    }
    char *slash = strrchr(path, '/');
    if (!slash)
        return -1;
    *slash = '\0';
    return snprintf(out, size, "%s", path) < (int)size ? 0 : -1;
}

const char *pl_share_dir(void)
{
    static char dir[PATH_MAX];
    if (dir[0])
        return dir;
    const char *env = getenv("PLATSA_SHARE");
    if (env && *env) {
        snprintf(dir, sizeof dir, "%s", env);
        return dir;
    }
    /* Installed: PREFIX/lib/libplatsa.so or PREFIX/bin -> PREFIX/share/platsa; in the build
     * tree: build/ -> ../share; a static engine in PREFIX/libexec/platsa -> ../../share/platsa. */
    static const char *const relative[] = {"../share/platsa", "../share", "../../share/platsa"};
    char code[PATH_MAX - 32];
    if (code_dir(code, sizeof code) == 0)
        for (size_t i = 0; i < sizeof relative / sizeof relative[0]; i++) {
            snprintf(dir, sizeof dir, "%s/%s", code, relative[i]);
            if (is_share(dir))
                return dir;
        }
    snprintf(dir, sizeof dir, "%s/share", PLATSA_SOURCE_DIR);
    return dir;
}

char *pl_share_path(char *buf, unsigned long size, const char *relative)
{
    snprintf(buf, size, "%s/%s", pl_share_dir(), relative);
    return buf;
}
