/* Helpers shared by the test programs: where the real data lives, scratch folders. */
#ifndef PLATSA_TESTUTIL_H
#define PLATSA_TESTUTIL_H

/* Path to a file under ../shared/real-data (or $PLATSA_SHARED/real-data).
 * Returns a static buffer, overwritten by the next call. */
const char *real_data(const char *relative);

/* A fresh empty scratch folder under build/test-tmp/NAME; returns a static buffer. */
const char *scratch_dir(const char *name);

/* Runs a shell command, returns its exit status (0..255), or -1. */
int run_cmd(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* True if a file exists. */
int file_exists(const char *path);

#endif
