/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The folder of a Slurm job (platsa partition, platsa sweep): new, or empty. */
#ifndef PLATSA_ANALYSES_COMMON_JOB_DIR_H
#define PLATSA_ANALYSES_COMMON_JOB_DIR_H

#include "gis/ctx.h"

/* Makes `dir` for a new job, or takes it when it is an empty folder. Refused (PL_EINPUT, one line
 * naming --job-dir): a file; a folder that already holds a job (`is_job`, named "a platsa KIND",
 * with the merge that finishes it); any other folder with something in it (or unreadable); a
 * folder that cannot be made. *made (may be NULL) is 1 when this call made the folder, so that a
 * refused plan can remove it again. */
int pl_job_dir_new(const char *dir, int is_job, const char *kind, int *made, pl_error *err);

#endif
