/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `platsa access` beyond one machine: a run split into tiles, each a task of a Slurm job
 * array that reads only its tile's units plus a halo of roads and services, joined again by
 * platsa merge into the output a single run writes. The exactness argument: README
 * "Partitioned runs (Slurm)" and partition_task.c.
 *
 *   platsa partition --tiles lan|kommun|grid:KM --halo-km H --job-dir D [access options]
 *   sbatch --wait D/array.sbatch          (or platsa partition-run D, on this machine)
 *   platsa merge D                        exit 0: written; 1: tasks missing; 3: rerun needed
 *
 * The job folder D:
 *   platsa-job          marks the folder as platsa's (a job is only ever made in a new or empty one)
 *   options.args        the partition command's options, one per line, read by the tasks and merge
 *   plan.tsv            task, tile, units, halo_km, services, round, minx, miny, maxx, maxy (the
 *                       rectangle of the task's units and services, before the halo)
 *   array.sbatch        the Slurm script: task $SLURM_ARRAY_TASK_ID runs platsa partition-task D ID
 *   rerun.sbatch        the same for the tasks of the latest rerun round (platsa merge writes it)
 *   tasks/NNNN/units.txt, services.txt   the unit ids and the service ids the task answers for
 *   tasks/NNNN/out.gpkg, done            its answers (written complete, then renamed; done last) */
#ifndef PLATSA_ANALYSES_PARTITION_H
#define PLATSA_ANALYSES_PARTITION_H

#include <stdio.h>

#include "gis/ctx.h"
#include "gis/commit.h"
#include "gis/options.h"
#include "analyses/access/access.h"

/* Exit code of platsa merge when some units or services need a wider halo (D/rerun.sbatch). */
#define PL_MERGE_RERUN 3

typedef struct pl_partition_opts {
    pl_access_opts access;   /* first: the access options' table offsets are valid here too */
    const char *tiles;       /* lan | kommun | grid:KM */
    double halo_km;
    const char *job_dir;
} pl_partition_opts;

extern const pl_option pl_partition_options[];
extern const char pl_partition_usage[];
extern const char pl_partition_summary[];
int pl_partition_opts_init(pl_partition_opts *o);
void pl_partition_opts_free(pl_partition_opts *o);
/* Plans the tiles and writes the job folder. PL_OK, or PL_EINPUT / PL_EINTERNAL. */
int pl_partition_run(pl_ctx *ctx, const pl_partition_opts *o, const char *self_exe, FILE *out, pl_error *err);

/* platsa partition-task D ID: one task. */
typedef struct pl_partition_task_opts {
    int threads;             /* search threads (PLATSA_THREADS); 0 = as platsa access */
} pl_partition_task_opts;
extern const pl_option pl_partition_task_options[];
extern const char pl_partition_task_usage[];
extern const char pl_partition_task_summary[];
int pl_partition_task_opts_init(pl_partition_task_opts *o);
void pl_partition_task_opts_free(pl_partition_task_opts *o);
int pl_partition_task_run(pl_ctx *ctx, const char *job_dir, long task, pl_error *err);
/* --threads N (> 0): the searches' threads, through PLATSA_THREADS. */
void pl_partition_set_threads(int threads);

/* platsa partition-run D: every task without its done file, one after another, here. */
typedef pl_partition_task_opts pl_partition_run_opts;
extern const pl_option pl_partition_run_options[];
extern const char pl_partition_run_usage[];
extern const char pl_partition_run_summary[];
int pl_partition_run_opts_init(pl_partition_run_opts *o);
void pl_partition_run_opts_free(pl_partition_run_opts *o);
int pl_partition_run_all(pl_ctx *ctx, const char *job_dir, FILE *out, pl_error *err);

/* platsa merge D [-o OUT]. */
typedef struct pl_merge_opts {
    const char *output;      /* NULL: the -o of the partition command */
    int overwrite;
    double whole_above;      /* percent of the roads: a rerun round past it is one task over all */
} pl_merge_opts;
extern const pl_option pl_merge_options[];
extern const char pl_merge_usage[];
extern const char pl_merge_summary[];
int pl_merge_opts_init(pl_merge_opts *o);
void pl_merge_opts_free(pl_merge_opts *o);
/* PL_OK: written. PL_EINPUT with err set when tasks are missing or failed (the message names
 * them and the sbatch line that reruns them); PL_MERGE_RERUN with err set when a rerun round
 * was planned (D/rerun.sbatch). */
int pl_merge_run(pl_ctx *ctx, const pl_merge_opts *o, const char *job_dir, const char *command_line, pl_error *err);

/* ---- shared by the three parts (partition_job.c) ---- */

typedef struct pl_job_task {
    long id;
    char tile[64];
    long n_units, n_services;
    double halo_km;
    int round;
    double rect[4];          /* units' and services' points, before the halo */
} pl_job_task;

typedef struct pl_job {
    char *dir;
    pl_partition_opts opts;  /* parsed from options.args */
    char **argv;             /* the lines of options.args (opts' strings point into them) */
    int argc;
    pl_job_task *tasks;
    long n_tasks;
} pl_job;

/* Whether dir holds a platsa job (its platsa-job file). */
int pl_job_is_job(const char *dir);
/* Reads D's options and plan. PL_EINPUT with a one-line message when D is not a job. */
int pl_job_open(const char *dir, pl_job **out, pl_error *err);
void pl_job_free(pl_job *j);
/* The plan written complete, then renamed into place. */
int pl_job_write_plan(const pl_job *j, pl_error *err);
/* D/tasks/NNNN[/name] into buf. */
void pl_job_task_path(const pl_job *j, long task, const char *name, char *buf, size_t size);
/* Writes the ids (one per line) to D/tasks/NNNN/name. */
int pl_job_write_ids(const pl_job *j, long task, const char *name, char *const *ids, size_t n, pl_error *err);
/* Marks dir as a platsa job (its platsa-job file, written last). */
int pl_job_mark(const char *dir, pl_error *err);
/* The Slurm script for tasks first..last (array.sbatch, rerun.sbatch). */
int pl_job_write_sbatch(const pl_job *j, const char *name, const char *self_exe, long first, long last,
                        pl_error *err);

#endif
