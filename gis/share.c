#include "share.h"

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
    char exe[PATH_MAX - 16];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            snprintf(dir, sizeof dir, "%s/../share", exe);
            if (is_share(dir))
                return dir;
        }
    }
    snprintf(dir, sizeof dir, "%s/share", PLATSA_SOURCE_DIR);
    return dir;
}

char *pl_share_path(char *buf, unsigned long size, const char *relative)
{
    snprintf(buf, size, "%s/%s", pl_share_dir(), relative);
    return buf;
}
