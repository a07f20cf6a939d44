/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Commit sets: every file a run writes (a GeoPackage, its CSV twins, a diagnostic dump) is
 * made complete in a temporary beside its final path, and only then are they all renamed
 * into place, in a fixed order. If a rename fails, the ones already done are undone (the
 * replaced files were kept as hard links), so a failed run leaves every old output as it
 * was and no temporary behind.
 *
 * Temporaries are named ".BASE.tmp-PID@HOST..." beside the final path (pl_temp_owner): a later
 * run on the same machine removes those of dead processes (pl_commit_remove_stale), and
 * pl_commit_cleanup_all, called from the CLI's signal handler, removes the ones this process
 * made with pl_commit_temp_open. */
#ifndef PLATSA_GIS_COMMIT_H
#define PLATSA_GIS_COMMIT_H

#include <stdio.h>
#include "ctx.h"

/* Checks, before any work, that `path` may be written as an output: its folder exists and
 * is writable, it is not a folder (`folder_fix` says what to do then), it is not one of
 * `inputs` (FILE[:LAYER] specs, NULL-terminated; may be NULL), and it exists only when
 * `overwrite`. PL_EINPUT with a one-line message naming the path and the fix. */
int pl_commit_check_path(const char *path, int overwrite, const char *const *inputs, const char *folder_fix,
                         pl_error *err);

typedef struct pl_commit pl_commit;

pl_commit *pl_commit_new(void);

/* Adds a temporary the caller wrote, complete and flushed (fsync), to be renamed to `final`
 * (same folder). Renames happen in the order of the adds. */
void pl_commit_add(pl_commit *c, const char *temp, const char *final);

/* Opens a new temporary file beside `final` (".BASE.tmp-PID@HOST", first removing those of dead
 * processes), registered for pl_commit_cleanup_all, and adds it to c. pl_commit_run flushes
 * and closes it; do not fclose it yourself. NULL with err set on failure. */
FILE *pl_commit_temp_open(pl_commit *c, const char *final, pl_error *err);

/* Renames every temporary into place. First (nothing renamed yet): closes the temporaries
 * of pl_commit_temp_open (flushed to disk) and checks that no final path has become a folder.
 * Then each existing final is kept as a hard link and the temporaries are renamed in order,
 * with SIGINT/SIGTERM/SIGHUP held back; if one rename fails, the finals already replaced get
 * their old files back (new ones are removed) and the error names what could not be
 * restored, if anything. Temporaries not renamed stay for the caller (pl_commit_free removes
 * those of pl_commit_temp_open). */
int pl_commit_run(pl_commit *c, pl_error *err);

/* Removes the temporaries of pl_commit_temp_open that were not renamed, frees c. */
void pl_commit_free(pl_commit *c);

/* For tests: rename number k (0 = the first) of the next pl_commit_run fails (EIO). */
void pl_commit_fail_rename_at(pl_commit *c, int k);

/* Removes what dead processes left of their temporaries for the output `base` in `dir`:
 * entries ".BASE.tmp-PID[@HOST][-K]REST[-old]" of this machine whose PID no longer exists (kill(pid, 0): ESRCH),
 * where `ours` accepts REST (NULL: only an empty REST). Regular files are unlinked; folders
 * are handed to `remove_dir` (returns 0 when it removed the folder; NULL: folders are left),
 * which knows what in them the process wrote. Entries of live processes, or whose PID cannot
 * be judged, are left alone. Returns how many entries were removed. */
long pl_commit_remove_stale(const char *dir, const char *base, int (*ours)(const char *rest),
                            int (*remove_dir)(const char *path));
/* The same for any naming: entries "PREFIX<PID>[@HOST][-K]REST[-old]" (the graph cache's
 * "NAME.tmp<PID>@HOST"). An entry whose @HOST is another machine's is always left alone: its
 * PID means nothing here (a folder shared by the nodes of a cluster). Entries without @HOST
 * (older platsa builds) are judged by the PID alone, as those builds did. */
long pl_temp_remove_stale(const char *dir, const char *prefix, int (*ours)(const char *rest),
                          int (*remove_dir)(const char *path));

/* "PID@HOST" of this process for a temporary's name: the PID, '@' and 8 hex digits of a hash
 * of the machine's host name. Every temporary platsa makes carries it, so that the sweep
 * above judges by PID only the temporaries of its own machine. buf holds PL_TEMP_OWNER_MAX. */
#define PL_TEMP_OWNER_MAX 40
const char *pl_temp_owner(char *buf);
/* The same for another process of this machine (tests). */
const char *pl_temp_owner_of(long pid, char *buf);
/* The k-th candidate name of this process's temporary for BASE in DIR:
 * "DIR/.BASE.tmp-PID@HOST" (k = 0) or "DIR/.BASE.tmp-PID@HOST-K"; snprintf's result. */
int pl_temp_path(char *buf, size_t size, const char *dir, const char *base, int k);

/* For a SIGINT/SIGTERM/SIGHUP handler, first thing: 1 when a commit set is between its first
 * and last rename (on any thread), in which case the signal is noted and raised again as
 * soon as the set is complete or restored, and the handler must return at once. */
int pl_commit_defer_signal(int sig);

/* Removes the temporaries of pl_commit_temp_open still open. Only unlink() of precomputed
 * paths: callable from a signal handler. */
void pl_commit_cleanup_all(void);
/* pl_commit_cleanup_all, then forgets every registered temporary: after a run unwound on
 * out-of-memory (its commit sets are leaked, never freed), so the slots can be used again. */
void pl_commit_abandon_all(void);

/* A small file (a job's plan, a task's list, a done mark) written to PATH.tmp-PID@HOST, flushed to
 * disk, then renamed into place: readers see the old file or the whole new one. PL_EINPUT with
 * a one-line message naming the path on failure (the temporary removed). */
int pl_write_file_atomic(const char *path, const char *text, size_t len, pl_error *err);

/* Reads a whole file (NUL-terminated; *len its size when len is not NULL; caller frees);
 * NULL when it cannot be opened or read. */
char *pl_read_file(const char *path, size_t *len);

#endif
