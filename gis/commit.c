/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Commit sets: see commit.h. */
#include "commit.h"
#include "vector.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

/* ------------------------------------------------------------------ checks */

static void dir_of(const char *path, char *dir, size_t size)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, size, ".");
    else if (slash == path)
        snprintf(dir, size, "/");
    else
        snprintf(dir, size, "%.*s", (int)(slash - path), path);
}

int pl_commit_check_path(const char *path, int overwrite, const char *const *inputs, const char *folder_fix,
                         pl_error *err)
{
    char dir[PATH_MAX];
    dir_of(path, dir, sizeof dir);
    struct stat st;
    if (stat(dir, &st) != 0)
        return pl_error_set(err, PL_EINPUT, "%s: folder '%s' does not exist (%s); create it first", path, dir,
                            strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return pl_error_set(err, PL_EINPUT, "%s: '%s' is not a folder; give an output path in an existing folder",
                            path, dir);
    if (access(dir, W_OK | X_OK) != 0)
        return pl_error_set(err, PL_EINPUT, "%s: folder '%s' is not writable (%s); choose another output folder",
                            path, dir, strerror(errno));
    if (lstat(path, &st) != 0)
        return PL_OK;
    struct stat out;
    for (int i = 0; inputs && inputs[i] && stat(path, &out) == 0; i++) {
        char file[PATH_MAX], layer[1024];
        pl_vector_split_spec(inputs[i], file, sizeof file, layer, sizeof layer);
        struct stat in;
        if (stat(file, &in) == 0 && in.st_dev == out.st_dev && in.st_ino == out.st_ino)
            return pl_error_set(err, PL_EINPUT, "%s: is also the input '%s'; choose another output file", path,
                                inputs[i]);
    }
    if (S_ISDIR(st.st_mode))
        return pl_error_set(err, PL_EINPUT, "%s: is a folder; %s", path,
                            folder_fix ? folder_fix : "move it away or choose another output name");
    if (!overwrite)
        return pl_error_set(err, PL_EINPUT, "%s: exists; use --overwrite to replace it", path);
    return PL_OK;
}

/* ------------------------------------------------------------------ temporaries of pl_commit_temp_open */

#define MAX_REGISTERED 64
static char g_reg_path[MAX_REGISTERED][PATH_MAX];
static volatile sig_atomic_t g_reg_used[MAX_REGISTERED];

static int register_temp(const char *path)
{
    for (int i = 0; i < MAX_REGISTERED; i++) {
        if (!g_reg_used[i]) {
            snprintf(g_reg_path[i], sizeof g_reg_path[i], "%s", path);
            g_reg_used[i] = 1;  /* the path is complete before it counts */
            return i;
        }
    }
    return -1;
}

static void unregister_temp(int slot)
{
    if (slot >= 0 && slot < MAX_REGISTERED)
        g_reg_used[slot] = 0;
}

void pl_commit_cleanup_all(void)
{
    for (int i = 0; i < MAX_REGISTERED; i++)
        if (g_reg_used[i])
            unlink(g_reg_path[i]);
}

void pl_commit_abandon_all(void)
{
    pl_commit_cleanup_all();
    for (int i = 0; i < MAX_REGISTERED; i++)
        g_reg_used[i] = 0;
}

/* ------------------------------------------------------------------ signals during the renames */

/* The calling thread blocks the signals during the renames; another thread may still take a
 * process-directed one, so the handler asks here and returns: the signal is raised again
 * when the renames are over. */
static volatile sig_atomic_t g_committing = 0;
static volatile sig_atomic_t g_pending_sig = 0;

int pl_commit_defer_signal(int sig)
{
    if (!g_committing)
        return 0;
    g_pending_sig = sig;
    return 1;
}

/* ------------------------------------------------------------------ stale temporaries */

static char g_host_tag[9];
static pthread_once_t g_host_once = PTHREAD_ONCE_INIT;

/* 8 hex digits of the host name's hash ("00000000" when it has none). */
static void host_tag_init(void)
{
    char host[256] = "";
    if (gethostname(host, sizeof host - 1) != 0)
        host[0] = '\0';
    host[sizeof host - 1] = '\0';
    snprintf(g_host_tag, sizeof g_host_tag, "%08x", host[0] ? (unsigned)XXH32(host, strlen(host), 0) : 0u);
}

static const char *host_tag(void)
{
    pthread_once(&g_host_once, host_tag_init);
    return g_host_tag;
}

const char *pl_temp_owner_of(long pid, char *buf)
{
    snprintf(buf, PL_TEMP_OWNER_MAX, "%ld@%s", pid, host_tag());
    return buf;
}

const char *pl_temp_owner(char *buf)
{
    return pl_temp_owner_of((long)getpid(), buf);
}

int pl_temp_path(char *buf, size_t size, const char *dir, const char *base, int k)
{
    char owner[PL_TEMP_OWNER_MAX];
    pl_temp_owner(owner);
    return k ? snprintf(buf, size, "%s/.%s.tmp-%s-%d", dir, base, owner, k)
             : snprintf(buf, size, "%s/.%s.tmp-%s", dir, base, owner);
}

/* After a PID in a temporary's name: "@HOST" of this machine (1, *p moved past it), of
 * another machine (0), or no "@" at all (1: an older build's name, judged by its PID). */
static int same_host(char **p)
{
    char *s = *p;
    if (*s != '@')
        return 1;
    for (int i = 1; i <= 8; i++)
        if (!isxdigit((unsigned char)s[i]))
            return 0;
    if (strncmp(s + 1, host_tag(), 8) != 0)
        return 0;
    *p = s + 9;
    return 1;
}

long pl_commit_remove_stale(const char *dir, const char *base, int (*ours)(const char *rest),
                            int (*remove_dir)(const char *path))
{
    char prefix[PATH_MAX];
    int plen = snprintf(prefix, sizeof prefix, ".%s.tmp-", base);
    if (plen <= 0 || plen >= (int)sizeof prefix)
        return 0;
    return pl_temp_remove_stale(dir, prefix, ours, remove_dir);
}

long pl_temp_remove_stale(const char *dir, const char *prefix, int (*ours)(const char *rest),
                          int (*remove_dir)(const char *path))
{
    int plen = (int)strlen(prefix);
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    long removed = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, prefix, (size_t)plen) != 0 || !isdigit((unsigned char)e->d_name[plen]))
            continue;
        char *end = NULL;
        errno = 0;
        long pid = strtol(e->d_name + plen, &end, 10);
        if (errno || pid <= 0)
            continue;
        if (!same_host(&end) || pid == (long)getpid())
            continue;
        /* "-K": a second temporary of the same process; "-old": a replaced file kept by a commit. */
        char rest[NAME_MAX + 1];
        if (end[0] == '-' && isdigit((unsigned char)end[1]))
            for (end++; isdigit((unsigned char)*end); end++) {
            }
        snprintf(rest, sizeof rest, "%s", end);
        size_t n = strlen(rest);
        if (n >= 4 && !strcmp(rest + n - 4, "-old"))
            rest[n - 4] = '\0';
        if (ours ? !ours(rest) : rest[0] != '\0')
            continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue;
        char path[PATH_MAX];
        struct stat st;
        if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path || lstat(path, &st) != 0)
            continue;
        if (S_ISREG(st.st_mode) ? unlink(path) == 0 : remove_dir && S_ISDIR(st.st_mode) && remove_dir(path) == 0)
            removed++;
    }
    closedir(d);
    return removed;
}

/* ------------------------------------------------------------------ the set */

typedef struct entry {
    char *temp, *final;
    char backup[PATH_MAX];  /* the replaced final, kept as a hard link during the renames ("" none) */
    FILE *f;                /* pl_commit_temp_open: open until pl_commit_run */
    int owned;              /* made by pl_commit_temp_open: removed by pl_commit_free */
    int slot;               /* in the signal registry, -1 none */
    int existed, renamed;
} entry;

struct pl_commit {
    entry *e;
    int n;
    int fail_at;  /* tests: this rename fails (-1 none) */
};

pl_commit *pl_commit_new(void)
{
    pl_commit *c = pl_calloc(1, sizeof *c);
    c->fail_at = -1;
    return c;
}

static entry *add_entry(pl_commit *c, const char *temp, const char *final)
{
    c->e = pl_realloc(c->e, ((size_t)c->n + 1) * sizeof *c->e);
    entry *e = &c->e[c->n++];
    memset(e, 0, sizeof *e);
    e->temp = pl_strdup(temp);
    e->final = pl_strdup(final);
    e->slot = -1;
    return e;
}

void pl_commit_add(pl_commit *c, const char *temp, const char *final)
{
    if (c && temp && final)
        add_entry(c, temp, final);
}

void pl_commit_fail_rename_at(pl_commit *c, int k)
{
    if (c)
        c->fail_at = k;
}

FILE *pl_commit_temp_open(pl_commit *c, const char *final, pl_error *err)
{
    char dir[PATH_MAX], tmp[PATH_MAX];
    dir_of(final, dir, sizeof dir);
    const char *slash = strrchr(final, '/');
    const char *base = slash ? slash + 1 : final;
    pl_commit_remove_stale(dir, base, NULL, NULL);
    int len = pl_temp_path(tmp, sizeof tmp, dir, base, 0);
    for (int k = 1; len > 0 && len < (int)sizeof tmp && access(tmp, F_OK) == 0 && k < 1000; k++)
        len = pl_temp_path(tmp, sizeof tmp, dir, base, k);
    if (len <= 0 || len + 8 >= (int)sizeof tmp) {
        pl_error_set(err, PL_EINPUT, "%s: path too long", final);
        return NULL;
    }
    int slot = register_temp(tmp);
    if (slot < 0) {
        pl_error_set(err, PL_EINTERNAL, "%s: too many temporary files open", final);
        return NULL;
    }
    FILE *f = fopen(tmp, "wx");
    if (!f) {
        pl_error_set(err, PL_EINPUT, "%s: cannot create %s (%s); check the folder", final, tmp, strerror(errno));
        unregister_temp(slot);
        return NULL;
    }
    entry *e = add_entry(c, tmp, final);
    e->f = f;
    e->owned = 1;
    e->slot = slot;
    return f;
}

static int close_temps(pl_commit *c, pl_error *err)
{
    int rc = PL_OK;
    for (int i = 0; i < c->n; i++) {
        entry *e = &c->e[i];
        if (!e->f)
            continue;
        int bad = fflush(e->f) != 0 || fsync(fileno(e->f)) != 0;
        int saved = errno;
        bad |= fclose(e->f) != 0;
        if (bad && saved == 0)
            saved = errno;
        e->f = NULL;
        if (bad && rc == PL_OK)
            rc = pl_error_set(err, PL_EINTERNAL, "%s: cannot write %s: %s", e->final, e->temp, strerror(saved));
    }
    return rc;
}

static void fsync_dir_of(const char *path)
{
    char dir[PATH_MAX];
    dir_of(path, dir, sizeof dir);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

/* Undoes renames 0..k-1 (newest first); returns the first final it could not restore, or NULL. */
static const char *undo(pl_commit *c, int k)
{
    const char *lost = NULL;
    for (int i = k - 1; i >= 0; i--) {
        entry *e = &c->e[i];
        if (!e->renamed)
            continue;
        int ok = e->backup[0] ? rename(e->backup, e->final) == 0 : !e->existed && unlink(e->final) == 0;
        if (ok)
            e->backup[0] = '\0';
        else if (!lost)
            lost = e->final;
        e->renamed = 0;
    }
    return lost;
}

static void *close_thread(void *arg)
{
    close((int)(intptr_t)arg);
    return NULL;
}

/* Removes a replaced file's kept link, its last one: its blocks and cached pages are freed
 * when its last descriptor closes, here on a detached thread of its own (replacing a 65 MB
 * output took 35 ms of the caller's), so the caller goes on meanwhile; on exit the process
 * finishes it. */
static void release_backup(const char *backup)
{
    int fd = open(backup, O_RDONLY | O_CLOEXEC);
    unlink(backup);
    if (fd < 0)
        return;
    pthread_attr_t a;
    pthread_t t;
    if (pthread_attr_init(&a) != 0) {
        close(fd);
        return;
    }
    if (pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED) != 0 ||
        pthread_create(&t, &a, close_thread, (void *)(intptr_t)fd) != 0)
        close(fd);
    pthread_attr_destroy(&a);
}

int pl_commit_run(pl_commit *c, pl_error *err)
{
    if (!c)
        return pl_error_set(err, PL_EINTERNAL, "pl_commit_run: no commit set");
    int rc = close_temps(c, err);
    /* Everything checked before the first rename: a final that became a folder refuses the
     * whole set, not the files after the ones already replaced. */
    for (int i = 0; rc == PL_OK && i < c->n; i++) {
        entry *e = &c->e[i];
        struct stat st;
        if (lstat(e->temp, &st) != 0 || !S_ISREG(st.st_mode))
            rc = pl_error_set(err, PL_EINTERNAL, "%s: the temporary file %s is missing", e->final, e->temp);
        else if (lstat(e->final, &st) == 0 && S_ISDIR(st.st_mode))
            rc = pl_error_set(err, PL_EINPUT, "%s: is a folder; move it away or write the output to another folder "
                              "(nothing was replaced)", e->final);
        else
            e->existed = lstat(e->final, &st) == 0;
    }
    if (rc != PL_OK)
        return rc;

    /* No SIGINT/SIGTERM/SIGHUP between the first and the last rename: the set is replaced
     * (or restored) as a whole before the handler runs. */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    g_committing = 1;
    for (int i = 0; i < c->n; i++) {
        entry *e = &c->e[i];
        e->backup[0] = '\0';
        if (!e->existed)
            continue;
        char b[PATH_MAX];
        if (snprintf(b, sizeof b, "%s-old", e->temp) >= (int)sizeof b)
            continue;
        unlink(b);
        if (link(e->final, b) == 0)
            snprintf(e->backup, sizeof e->backup, "%s", b);
    }
    int failed = -1, saved = 0;
    for (int i = 0; i < c->n && failed < 0; i++) {
        entry *e = &c->e[i];
        if (i == c->fail_at) {
            failed = i;
            saved = EIO;
        } else if (rename(e->temp, e->final) != 0) {
            failed = i;
            saved = errno;
        } else {
            e->renamed = 1;
        }
    }
    const char *lost = failed >= 0 ? undo(c, failed) : NULL;
    for (int i = 0; i < c->n; i++) {
        if (c->e[i].backup[0])
            release_backup(c->e[i].backup);
        c->e[i].backup[0] = '\0';
    }
    g_committing = 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (g_pending_sig) {  /* taken by another thread meanwhile: now the handler may run */
        int sig = g_pending_sig;
        g_pending_sig = 0;
        raise(sig);
    }
    if (failed >= 0) {
        if (lost)
            return pl_error_set(err, PL_EINTERNAL, "%s: cannot rename %s into place: %s; %s could not be restored "
                                "(its old version is lost)", c->e[failed].final, c->e[failed].temp,
                                strerror(saved), lost);
        return pl_error_set(err, PL_EINTERNAL, "%s: cannot rename %s into place: %s; nothing was replaced",
                            c->e[failed].final, c->e[failed].temp, strerror(saved));
    }
    for (int i = 0; i < c->n; i++) {
        unregister_temp(c->e[i].slot);
        c->e[i].slot = -1;
        c->e[i].owned = 0;  /* renamed: nothing left to remove */
        if (i == 0 || strcmp(c->e[i].final, c->e[i - 1].final) != 0)
            fsync_dir_of(c->e[i].final);
    }
    return PL_OK;
}

void pl_commit_free(pl_commit *c)
{
    if (!c)
        return;
    for (int i = 0; i < c->n; i++) {
        entry *e = &c->e[i];
        if (e->f)
            fclose(e->f);
        if (e->owned)
            unlink(e->temp);
        unregister_temp(e->slot);
        free(e->temp);
        free(e->final);
    }
    free(c->e);
    free(c);
}

/* ------------------------------------------------------------------ small files */

int pl_write_file_atomic(const char *path, const char *text, size_t len, pl_error *err)
{
    size_t n = strlen(path) + 16 + PL_TEMP_OWNER_MAX;
    char *tmp = pl_malloc(n);
    char owner[PL_TEMP_OWNER_MAX];
    snprintf(tmp, n, "%s.tmp-%s", path, pl_temp_owner(owner));
    FILE *f = fopen(tmp, "wb");
    int ok = f && fwrite(text, 1, len, f) == len;
    if (f && fflush(f) != 0)
        ok = 0;
    if (f && fsync(fileno(f)) != 0)
        ok = 0;
    if (f && fclose(f) != 0)
        ok = 0;
    if (ok && rename(tmp, path) != 0)
        ok = 0;
    int saved = errno;
    if (!ok)
        unlink(tmp);
    free(tmp);
    if (!ok)
        return pl_error_set(err, PL_EINPUT, "%s: cannot write (%s); check the folder's permissions and free space",
                            path, strerror(saved));
    return PL_OK;
}

char *pl_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = pl_malloc(cap + 1);
    size_t got;
    while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            cap *= 2;
            buf = pl_realloc(buf, cap + 1);
        }
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}
