/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "job_dir.h"

#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

static int dir_is_empty(const char *dir)
{
    DIR *d = opendir(dir);
    int empty = d != NULL; /* one that cannot be read is not taken as empty */
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            empty = 0;
    if (d)
        closedir(d);
    return empty;
}

int pl_job_dir_new(const char *dir, int is_job, const char *kind, int *made, pl_error *err)
{
    struct stat st;
    if (made)
        *made = 0;
    if (stat(dir, &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            return pl_error_set(err, PL_EINPUT, "--job-dir %s: exists and is not a folder; give a new folder", dir);
        if (is_job)
            return pl_error_set(err, PL_EINPUT, "--job-dir %s: already a platsa %s; merge it (platsa merge %s) "
                                "or give a new folder", dir, kind, dir);
        if (!dir_is_empty(dir))
            return pl_error_set(err, PL_EINPUT, "--job-dir %s: exists and is not a platsa job folder (not empty); "
                                "give a new or empty folder", dir);
        return PL_OK;
    }
    if (mkdir(dir, 0777) != 0)
        return pl_error_set(err, PL_EINPUT, "--job-dir %s: cannot make the folder (%s); check that its parent "
                            "exists", dir, strerror(errno));
    if (made)
        *made = 1;
    return PL_OK;
}
