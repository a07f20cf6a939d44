#include "testutil.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>

const char *real_data(const char *relative)
{
    static char path[4096];
    const char *shared = getenv("PLATSA_SHARED");
    snprintf(path, sizeof path, "%s/real-data/%s", shared && *shared ? shared : "../shared", relative);
    return path;
}

const char *scratch_dir(const char *name)
{
    static char path[4096];
    snprintf(path, sizeof path, "build/test-tmp/%s", name);
    char cmd[8300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", path, path);
    if (system(cmd) != 0)
        fprintf(stderr, "scratch_dir: could not make %s\n", path);
    return path;
}

int run_cmd(const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int rc = system(cmd);
    if (rc == -1 || !WIFEXITED(rc))
        return -1;
    return WEXITSTATUS(rc);
}

int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}
