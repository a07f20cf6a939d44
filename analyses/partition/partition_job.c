/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The job folder of platsa partition: its files read and written (layout in partition.h). */
#include "partition.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gis/util.h"

#define JOB_MARK "platsa-job"
#define JOB_MAGIC "platsa partition job, format 1\n"

int pl_job_is_job(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/" JOB_MARK, dir);
    char *text = pl_read_file(path, NULL);
    int is = text && strcmp(text, JOB_MAGIC) == 0;
    free(text);
    return is;
}

void pl_job_task_path(const pl_job *j, long task, const char *name, char *buf, size_t size)
{
    if (name)
        snprintf(buf, size, "%s/tasks/%04ld/%s", j->dir, task, name);
    else
        snprintf(buf, size, "%s/tasks/%04ld", j->dir, task);
}

static int parse_plan_line(char *line, pl_job_task *t)
{
    char tile[64];
    int n = sscanf(line, "%ld\t%63[^\t]\t%ld\t%lf\t%ld\t%d\t%lf\t%lf\t%lf\t%lf", &t->id, tile, &t->n_units,
                   &t->halo_km, &t->n_services, &t->round, &t->rect[0], &t->rect[1], &t->rect[2], &t->rect[3]);
    if (n != 10)
        return -1;
    snprintf(t->tile, sizeof t->tile, "%s", tile);
    return 0;
}

static int read_plan(pl_job *j, pl_error *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/plan.tsv", j->dir);
    char *text = pl_read_file(path, NULL);
    if (!text)
        return pl_error_set(err, PL_EINPUT, "%s: cannot read the plan (%s); the job folder is incomplete: make it "
                            "again with platsa partition", path, strerror(errno));
    long cap = 64;
    j->tasks = pl_malloc((size_t)cap * sizeof *j->tasks);
    int line_no = 0;
    for (char *save = NULL, *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (line_no++ == 0)
            continue;  /* header */
        if (j->n_tasks == cap) {
            cap *= 2;
            j->tasks = pl_realloc(j->tasks, (size_t)cap * sizeof *j->tasks);
        }
        pl_job_task *t = &j->tasks[j->n_tasks];
        if (parse_plan_line(line, t) != 0 || t->id != j->n_tasks) {
            free(text);
            return pl_error_set(err, PL_EINPUT, "%s: line %d is not a plan row; make the job again with "
                                "platsa partition", path, line_no);
        }
        j->n_tasks++;
    }
    free(text);
    return PL_OK;
}

int pl_job_write_plan(const pl_job *j, pl_error *err)
{
    size_t cap = 256 + (size_t)j->n_tasks * 200, n = 0;
    char *buf = pl_malloc(cap);
    n += (size_t)snprintf(buf + n, cap - n, "task\ttile\tunits\thalo_km\tservices\tround\tminx\tminy\tmaxx\tmaxy\n");
    for (long i = 0; i < j->n_tasks; i++) {
        const pl_job_task *t = &j->tasks[i];
        n += (size_t)snprintf(buf + n, cap - n, "%ld\t%s\t%ld\t%.17g\t%ld\t%d\t%.17g\t%.17g\t%.17g\t%.17g\n", t->id,
                              t->tile, t->n_units, t->halo_km, t->n_services, t->round, t->rect[0], t->rect[1],
                              t->rect[2], t->rect[3]);
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/plan.tsv", j->dir);
    int rc = pl_write_file_atomic(path, buf, n, err);
    free(buf);
    return rc;
}

int pl_job_open(const char *dir, pl_job **out, pl_error *err)
{
    *out = NULL;
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return pl_error_set(err, PL_EINPUT, "%s: no such job folder; give the --job-dir of platsa partition or platsa "
                            "sweep", dir);
    if (!pl_job_is_job(dir))
        return pl_error_set(err, PL_EINPUT, "%s: not a platsa job folder (no %s file); give the --job-dir of "
                            "platsa partition or platsa sweep", dir, JOB_MARK);
    pl_job *j = pl_calloc(1, sizeof *j);
    j->dir = pl_strdup(dir);
    char path[4096];
    snprintf(path, sizeof path, "%s/options.args", dir);
    char *text = pl_read_file(path, NULL);
    if (!text) {
        pl_job_free(j);
        return pl_error_set(err, PL_EINPUT, "%s: cannot read the job's options; make the job again", path);
    }
    int cap = 16;
    j->argv = pl_malloc((size_t)cap * sizeof *j->argv);
    j->argv[j->argc++] = pl_strdup("partition");
    for (char *save = NULL, *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (j->argc + 1 >= cap) {
            cap *= 2;
            j->argv = pl_realloc(j->argv, (size_t)cap * sizeof *j->argv);
        }
        j->argv[j->argc++] = pl_strdup(line);
    }
    free(text);
    j->argv[j->argc] = NULL;
    pl_partition_opts_init(&j->opts);
    char *pos[1];
    int n_pos = 0;
    int rc = pl_options_parse(pl_partition_options, &j->opts, j->argc, j->argv, pos, 0, &n_pos, err);
    if (rc == PL_OK)
        rc = read_plan(j, err);
    if (rc != PL_OK) {
        pl_job_free(j);
        return rc == -1 ? PL_EINPUT : rc;
    }
    *out = j;
    return PL_OK;
}

void pl_job_free(pl_job *j)
{
    if (!j)
        return;
    pl_partition_opts_free(&j->opts);
    for (int i = 0; i < j->argc; i++)
        free(j->argv[i]);
    free(j->argv);
    free(j->tasks);
    free(j->dir);
    free(j);
}

int pl_job_write_ids(const pl_job *j, long task, const char *name, char *const *ids, size_t n, pl_error *err)
{
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += strlen(ids[i]) + 1;
    char *buf = pl_malloc(len + 1), *p = buf;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(ids[i]);
        memcpy(p, ids[i], l);
        p[l] = '\n';
        p += l + 1;
    }
    char path[4096];
    pl_job_task_path(j, task, NULL, path, sizeof path);
    if (mkdir(path, 0777) != 0 && errno != EEXIST) {
        free(buf);
        return pl_error_set(err, PL_EINPUT, "%s: cannot make the task folder (%s)", path, strerror(errno));
    }
    pl_job_task_path(j, task, name, path, sizeof path);
    int rc = pl_write_file_atomic(path, buf, len, err);
    free(buf);
    return rc;
}

int pl_job_write_sbatch(const pl_job *j, const char *name, const char *self_exe, long first, long last,
                        pl_error *err)
{
    const char *base = strrchr(j->dir, '/');
    base = base && base[1] ? base + 1 : j->dir;
    char text[8192];
    int n = snprintf(text, sizeof text,
                     "#!/bin/sh\n"
                     "#SBATCH --job-name=platsa-%s\n"
                     "#SBATCH --array=%ld-%ld\n"
                     "#SBATCH --output=%s/tasks/slurm-%%A_%%a.out\n"
                     "# platsa partition: one task per tile (plan.tsv). Submit with sbatch --wait %s/%s, then\n"
                     "# run platsa merge %s. Without Slurm: SLURM_ARRAY_TASK_ID=ID sh %s/%s, or\n"
                     "# platsa partition-run %s for every pending task.\n"
                     "exec '%s' partition-task '%s' \"${SLURM_ARRAY_TASK_ID:?set SLURM_ARRAY_TASK_ID to a task id}\"\n",
                     base, first, last, j->dir, j->dir, name, j->dir, j->dir, name, j->dir, self_exe, j->dir);
    if (n < 0 || (size_t)n >= sizeof text)
        return pl_error_set(err, PL_EINPUT, "%s: the job folder's path is too long", j->dir);
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", j->dir, name);
    return pl_write_file_atomic(path, text, (size_t)n, err);
}

int pl_job_mark(const char *dir, pl_error *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/" JOB_MARK, dir);
    return pl_write_file_atomic(path, JOB_MAGIC, strlen(JOB_MAGIC), err);
}
