/* SPDX-License-Identifier: GPL-3.0-or-later */
/* GeoPackage writer: the process-wide registry of open outputs and temporary files, removed
 * by pl_gpkg_cleanup_all on the signal path, and the sweep of temporaries dead runs left. */
#include "gpkg_internal.h"
#include "commit.h"
#include "gpkg_blob.h"
#include "gpkg_rtree.h"
#include "share.h"
#include "strbuf.h"
#include "vector.h"

#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_string.h>
#include <sqlite3.h>
#include <proj.h>
#include <openssl/evp.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <dirent.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

/* Open outputs, for pl_gpkg_cleanup_all. */
static pl_gpkg *volatile g_registry[MAX_OPEN_OUTPUTS];

/* ------------------------------------------------------------------ registry */

int pl_gw_registry_add(pl_gpkg *g)
{
    for (int i = 0; i < MAX_OPEN_OUTPUTS; i++) {
        if (!g_registry[i]) {
            g_registry[i] = g;
            g->slot = i;
            return 0;
        }
    }
    return -1;
}

void pl_gw_registry_remove(pl_gpkg *g)
{
    if (g->slot >= 0 && g->slot < MAX_OPEN_OUTPUTS && g_registry[g->slot] == g)
        g_registry[g->slot] = NULL;
    g->slot = -1;
}

int pl_gw_temp_add(pl_gpkg *g, const char *path)
{
    int n = (int)g->n_temps;
    if (n >= MAX_TEMPS)
        return -1;
    snprintf(g->temps[n], sizeof g->temps[n], "%s", path);
    g->n_temps = n + 1;
    return n;
}

/* Temporary files of other writers (the graph cache), removed by pl_gpkg_cleanup_all too.
 * A slot's path is complete before its flag is set, and the flag is cleared before the
 * slot is reused. */
#define MAX_LOOSE_TEMPS 8
static char g_loose[MAX_LOOSE_TEMPS][PATH_MAX];
static volatile sig_atomic_t g_loose_on[MAX_LOOSE_TEMPS];

/* Registration comes from several threads (the graph cache on the main thread, the kept
 * input hashes on the hashing thread): one at a time. */
static pthread_mutex_t g_loose_mu = PTHREAD_MUTEX_INITIALIZER;

int pl_temp_register(const char *path)
{
    if (!path || strlen(path) >= PATH_MAX)
        return -1;
    int slot = -1;
    pthread_mutex_lock(&g_loose_mu);
    for (int i = 0; i < MAX_LOOSE_TEMPS && slot < 0; i++) {
        if (!g_loose_on[i]) {
            snprintf(g_loose[i], sizeof g_loose[i], "%s", path);
            g_loose_on[i] = 1;
            slot = i;
        }
    }
    pthread_mutex_unlock(&g_loose_mu);
    return slot;
}

void pl_temp_unregister(int slot)
{
    if (slot >= 0 && slot < MAX_LOOSE_TEMPS)
        g_loose_on[slot] = 0;
}

void pl_gpkg_cleanup_all(void)
{
    /* Only unlink() of precomputed paths: callable from a signal handler's exit path. */
    for (int i = 0; i < MAX_LOOSE_TEMPS; i++)
        if (g_loose_on[i])
            unlink(g_loose[i]);
    for (int i = 0; i < MAX_OPEN_OUTPUTS; i++) {
        pl_gpkg *g = g_registry[i];
        if (!g)
            continue;
        int n = (int)g->n_temps;
        for (int k = 0; k < n && k < MAX_TEMPS; k++)
            unlink(g->temps[k]);
    }
}

void pl_gpkg_abandon_all(void)
{
    pl_gpkg_cleanup_all();
    for (int i = 0; i < MAX_LOOSE_TEMPS; i++)
        g_loose_on[i] = 0;
    for (int i = 0; i < MAX_OPEN_OUTPUTS; i++)
        g_registry[i] = NULL;
}

void pl_gpkg_process_init(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);  /* SQLITE_MISUSE once SQLite is in use: harmless */
}

/* Is `rest` (what follows ".BASE.tmp-PID[@HOST][-K]" in a file name, without a commit's "-old") one
 * of the writer's own suffixes: "", "-journal", "-wal", "-shm" or "-TABLE.csv"? */
static int temp_suffix(const char *rest)
{
    if (!*rest || !strcmp(rest, "-journal") || !strcmp(rest, "-wal") || !strcmp(rest, "-shm"))
        return 1;
    size_t n = strlen(rest);
    return rest[0] == '-' && n > 5 && !strcmp(rest + n - 4, ".csv") && !memchr(rest, '.', n - 4) &&
           !strchr(rest, '/');
}

/* Removes the temporary files of earlier runs writing the same output that died without
 * cleaning up (SIGKILL, a crash, power loss): ".BASE.tmp-PID@HOST..." in the output folder whose
 * process PID no longer exists. Files of live processes (or of PIDs we cannot judge) are
 * left alone. Returns how many files were removed. */
long pl_gw_remove_stale_temps(const char *dir, const char *base)
{
    return pl_commit_remove_stale(dir, base, temp_suffix, NULL);
}
