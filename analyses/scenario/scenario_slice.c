/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Scenario sweeps as a Slurm job array (issue #22): platsa sweep FILE.ini --slices N --job-dir D
 * writes a job folder whose task K runs the baseline and scenarios K, K+N, K+2N, ... (every
 * N-th: expensive scenarios written side by side, e.g. road closures, spread over the tasks);
 * platsa merge D then writes the output of the single platsa scenario run.
 *
 * Why the merge equals the single run: a task runs the same stages as the single run
 * (scenario_run.h) on the same inputs and dumps each scenario's access result (labels, band
 * summaries) as the raw arrays; the merge reads them back into the same structures and calls
 * the same writer. What differs: the metadata's command line, baseline_seconds (task 0's) and
 * the sweep_* parameters with the tasks' outputs among the hashed inputs.
 *
 * The job folder D (besides the tile jobs' files, analyses/partition/partition.h):
 *   platsa-sweep       the options (key=value lines) after a magic line; written last
 *   plan.tsv           task, scenario, name: who runs what
 *   array.sbatch       task $SLURM_ARRAY_TASK_ID runs platsa partition-task D ID
 *   graph.cache        the road graph, built once here (unless --graph-cache names another), so
 *                      no two tasks ever create it at once
 *   tasks/NNNN/out.bin, done   a task's results (written complete, renamed; done last) */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <dirent.h>
#include <unistd.h>

#include "scenario.h"
#include "scenario_run.h"
#include "analyses/common/job_dir.h"
#include "gis/commit.h"
#include "gis/gpkg_writer.h"
#include "gis/util.h"

#define SWEEP_MARK "platsa-sweep"
#define SWEEP_MAGIC "platsa scenario sweep, format 1"
#define DUMP_MAGIC "platsa sweep task, format 2\n"

const char pl_sweep_usage[] = "platsa sweep FILE.ini --slices N --job-dir D -o OUT.gpkg [--graph-cache F]";
const char pl_sweep_summary[] =
    "Splits a platsa scenario run into N slices for a Slurm job array (D/array.sbatch): task K runs the\n"
    "baseline and scenarios K, K+N, K+2N, ... of the file (in file order, counting from 0), on a road\n"
    "graph built once here (D/graph.cache, or --graph-cache). platsa merge D then writes -o: the layers,\n"
    "styles and tables of platsa scenario FILE.ini, byte for byte (the metadata adds the tasks). Run the\n"
    "tasks with sbatch --wait D/array.sbatch, or here with platsa partition-run D. Exit 1 from merge: a\n"
    "task has not finished or its output is damaged; the one-line message names the sbatch command.";

const pl_option pl_sweep_options[] = {
    {"slices", 0, PL_OPT_INT, offsetof(pl_sweep_opts, slices), "N", NULL,
     "tasks of the array; at most the number of scenarios", 1, PL_GE(1)},
    {"job-dir", 0, PL_OPT_STRING, offsetof(pl_sweep_opts, job_dir), "DIR", NULL,
     "the job folder (new or empty): plan, Slurm script, graph cache, the tasks' outputs", 1, PL_NO_RANGE},
    {"output", 'o', PL_OPT_STRING, offsetof(pl_sweep_opts, s.output), "OUT.gpkg", NULL,
     "output GeoPackage, written by platsa merge D", 1, PL_OUTPUT_PATH},
    {"overwrite", 0, PL_OPT_FLAG, offsetof(pl_sweep_opts, s.overwrite), NULL, NULL, "replace an existing output", 0,
     PL_NO_RANGE},
    {"csv", 0, PL_OPT_FLAG, offsetof(pl_sweep_opts, s.csv), NULL, NULL, "also write the tables as CSV", 0,
     PL_NO_RANGE},
    PL_CSV_STYLE_OPTION(pl_sweep_opts, s.csv_style),
    {"graph-cache", 0, PL_OPT_STRING, offsetof(pl_sweep_opts, s.graph_cache), "FILE", NULL,
     "the road graph's cache, shared by the tasks [default: D/graph.cache]; built here when missing or stale", 0,
     PL_OUTPUT_PATH},
    {"no-cells", 0, PL_OPT_FLAG, offsetof(pl_sweep_opts, s.no_cells), NULL, NULL,
     "skip the per-scenario access cell layers (delta_cells and the tables are still written)", 0, PL_NO_RANGE},
    PL_OPT_END,
};

int pl_sweep_opts_init(pl_sweep_opts *o)
{
    memset(o, 0, sizeof *o);
    return pl_options_defaults(pl_sweep_options, o, NULL);
}

void pl_sweep_opts_free(pl_sweep_opts *o)
{
    pl_options_free(pl_sweep_options, o);
}

/* ---------- the job's options ---------- */

typedef struct sweep_job {
    char dir[PATH_MAX - 64];      /* room for its files' names */
    char file[PATH_MAX], output[PATH_MAX], cache[PATH_MAX], csv_style[16];
    int slices, overwrite, csv, no_cells;
    long n_sc;
} sweep_job;

int pl_sweep_is_job(const char *dir)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/" SWEEP_MARK, dir);
    char *text = pl_read_file(path, NULL);
    int is = text && strncmp(text, SWEEP_MAGIC "\n", strlen(SWEEP_MAGIC) + 1) == 0;
    free(text);
    return is;
}

static int job_write(const sweep_job *J, pl_error *err)
{
    char text[4 * PATH_MAX + 512], path[PATH_MAX + 32];
    snprintf(text, sizeof text, SWEEP_MAGIC "\nfile=%s\noutput=%s\ngraph_cache=%s\nslices=%d\nscenarios=%ld\n"
             "overwrite=%d\ncsv=%d\ncsv_style=%s\nno_cells=%d\n", J->file, J->output, J->cache, J->slices, J->n_sc,
             J->overwrite, J->csv, J->csv_style, J->no_cells);
    snprintf(path, sizeof path, "%s/" SWEEP_MARK, J->dir);
    return pl_write_file_atomic(path, text, strlen(text), err);
}

static void copy_value(char *dst, size_t size, const char *v)
{
    snprintf(dst, size, "%s", v);
}

static int job_read(const char *dir, sweep_job *J, pl_error *err)
{
    memset(J, 0, sizeof *J);
    snprintf(J->dir, sizeof J->dir, "%s", dir);
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/" SWEEP_MARK, dir);
    char *text = pl_read_file(path, NULL);
    if (!text)
        return pl_error_set(err, PL_EINPUT, "%s: cannot read the sweep's options; make the job again", path);
    int seen = 0;
    for (char *save = NULL, *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *eq = strchr(line, '=');
        if (!eq)
            continue;
        *eq = '\0';
        const char *v = eq + 1;
        seen++;
        if (!strcmp(line, "file")) copy_value(J->file, sizeof J->file, v);
        else if (!strcmp(line, "output")) copy_value(J->output, sizeof J->output, v);
        else if (!strcmp(line, "graph_cache")) copy_value(J->cache, sizeof J->cache, v);
        else if (!strcmp(line, "csv_style")) copy_value(J->csv_style, sizeof J->csv_style, v);
        else if (!strcmp(line, "slices")) J->slices = atoi(v);
        else if (!strcmp(line, "scenarios")) J->n_sc = atol(v);
        else if (!strcmp(line, "overwrite")) J->overwrite = atoi(v);
        else if (!strcmp(line, "csv")) J->csv = atoi(v);
        else if (!strcmp(line, "no_cells")) J->no_cells = atoi(v);
        else seen--;
    }
    free(text);
    if (seen != 9 || J->slices < 1 || !J->file[0] || !J->output[0] || !J->cache[0])
        return pl_error_set(err, PL_EINPUT, "%s: not a complete sweep job; make the job again with platsa sweep", path);
    return PL_OK;
}

/* The scenario options a job's task or merge runs with. */
static pl_scenario_opts job_scenario_opts(const sweep_job *J)
{
    return (pl_scenario_opts){.output = J->output, .overwrite = J->overwrite, .csv = J->csv,
                              .csv_style = J->csv_style, .graph_cache = J->cache, .no_cells = J->no_cells};
}

static void task_path(const sweep_job *J, long task, const char *name, char *buf, size_t size)
{
    if (name)
        snprintf(buf, size, "%s/tasks/%04ld/%s", J->dir, task, name);
    else
        snprintf(buf, size, "%s/tasks/%04ld", J->dir, task);
}

/* The file still has the job's scenarios (an edited file would mix two sweeps). */
static int check_same_file(const sweep_job *J, const pl_scen_session *S, pl_error *err)
{
    if ((long)S->file.n_sc != J->n_sc)
        return pl_error_set(err, PL_EINPUT, "%s: has %zu scenarios, the sweep %s was made for %ld; make the job "
                            "again with platsa sweep", J->file, S->file.n_sc, J->dir, J->n_sc);
    return PL_OK;
}

/* ---------- a task's output: the results as raw arrays, hashed ---------- */

typedef struct dump {
    FILE *f;
    uint64_t h;
    int ok;
} dump;

static void hash_bytes(uint64_t *h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        *h = (*h ^ b[i]) * 1099511628211ULL;  /* FNV-1a: catches a truncated or changed file */
}

static void put(dump *d, const void *p, size_t n)
{
    if (n == 0 || !d->ok)
        return;
    if (fwrite(p, 1, n, d->f) != n)
        d->ok = 0;
    hash_bytes(&d->h, p, n);
}

static void put_u64(dump *d, uint64_t v) { put(d, &v, sizeof v); }

/* An array: its count, then its elements (count 0 for NULL). */
static void put_array(dump *d, const void *p, size_t elem, size_t n)
{
    put_u64(d, p ? n : 0);
    if (p)
        put(d, p, elem * n);
}

/* Labels field by field (20 bytes each): the struct's padding is not written, so the same
 * answers give the same bytes, and the file is a sixth smaller. */
static void put_labels(dump *d, const pl_label *l, size_t n)
{
    put_u64(d, l ? n : 0);
    unsigned char buf[20 * 1024];
    for (size_t i = 0; l && i < n;) {
        size_t k = 0;
        for (; i < n && k < sizeof buf; i++, k += 20) {
            memcpy(buf + k, &l[i].source, 4);
            memcpy(buf + k + 4, &l[i].dist_m, 8);
            memcpy(buf + k + 12, &l[i].time_s, 8);
        }
        put(d, buf, k);
    }
}

static void put_result(dump *d, const pl_access_result *r)
{
    put(d, r, sizeof *r);  /* the scalars; the pointers are read back as the arrays below */
    put(d, r->types, (size_t)r->n_types * sizeof *r->types);
    for (int t = 0; t < r->n_types; t++) {
        const pl_access_type *at = &r->types[t];
        put_array(d, at->service_index, sizeof *at->service_index, at->n_services);
        put_labels(d, at->by_dist, r->n_cells * 2);
        put_labels(d, at->by_time, r->n_cells * 2);
    }
    put_array(d, r->cell_snap, sizeof *r->cell_snap, r->n_cells);
    put_array(d, r->cell_muni, sizeof *r->cell_muni, r->n_cells);
    put_array(d, r->cell_in_region, sizeof *r->cell_in_region, r->n_cells);
    put_array(d, r->service_level, sizeof *r->service_level, r->n_cells);
    put_array(d, r->muni_stats, sizeof *r->muni_stats, r->n_munis * (size_t)r->n_types);
    put_array(d, r->total_stats, sizeof *r->total_stats, (size_t)r->n_types);
    put_array(d, r->svc_snap, sizeof *r->svc_snap, r->n_svc);
    put_array(d, r->svc_muni, sizeof *r->svc_muni, r->n_svc);
}

/* What the writer reads of a scenario besides its result. */
typedef struct scen_scalars {
    uint64_t index;
    uint64_t n_roads_removed, n_roads_added;
    int64_t units_searched;
    int32_t full;
    double seconds;
} scen_scalars;

typedef struct reader {
    const char *p, *end;
    int ok;
} reader;

static void get(reader *R, void *out, size_t n)
{
    if (!R->ok || (size_t)(R->end - R->p) < n) {
        R->ok = 0;
        memset(out, 0, n);
        return;
    }
    memcpy(out, R->p, n);
    R->p += n;
}

static uint64_t get_u64(reader *R)
{
    uint64_t v;
    get(R, &v, sizeof v);
    return v;
}

/* An array of exactly want elements (or none): NULL when absent, or R->ok = 0 when malformed. */
static void *get_array(reader *R, size_t elem, size_t want)
{
    uint64_t n = get_u64(R);
    if (!R->ok || n == 0)
        return NULL;
    if (n != want || (size_t)(R->end - R->p) / elem < n) {
        R->ok = 0;
        return NULL;
    }
    void *a = pl_malloc(elem * n);
    get(R, a, elem * n);
    return a;
}

static pl_label *get_labels(reader *R, size_t want)
{
    uint64_t n = get_u64(R);
    if (!R->ok || n == 0)
        return NULL;
    if (n != want || (size_t)(R->end - R->p) / 20 < n) {
        R->ok = 0;
        return NULL;
    }
    pl_label *l = pl_malloc(n * sizeof *l);
    for (size_t i = 0; i < n; i++, R->p += 20) {
        memcpy(&l[i].source, R->p, 4);
        memcpy(&l[i].dist_m, R->p + 4, 8);
        memcpy(&l[i].time_s, R->p + 12, 8);
    }
    return l;
}

static pl_access_result *get_result(reader *R)
{
    pl_access_result *r = pl_calloc(1, sizeof *r);
    get(R, r, sizeof *r);
    int n_types = r->n_types;
    r->n_types = 0;  /* until the types are read: what pl_access_result_free walks */
    r->types = NULL;
    r->cell_snap = NULL, r->cell_muni = NULL, r->cell_in_region = NULL, r->service_level = NULL;
    r->muni_stats = r->total_stats = NULL, r->svc_snap = NULL, r->svc_muni = NULL;
    if (!R->ok || n_types < 1 || n_types > PL_MAX_TYPES) {
        R->ok = 0;
        return r;
    }
    r->types = pl_calloc((size_t)n_types, sizeof *r->types);
    get(R, r->types, (size_t)n_types * sizeof *r->types);
    for (int t = 0; t < n_types; t++) {
        r->types[t].service_index = NULL;
        r->types[t].by_dist = r->types[t].by_time = NULL;
    }
    r->n_types = n_types;
    for (int t = 0; R->ok && t < n_types; t++) {
        pl_access_type *at = &r->types[t];
        at->service_index = get_array(R, sizeof *at->service_index, at->n_services);
        at->by_dist = get_labels(R, r->n_cells * 2);
        at->by_time = get_labels(R, r->n_cells * 2);
    }
    r->cell_snap = get_array(R, sizeof *r->cell_snap, r->n_cells);
    r->cell_muni = get_array(R, sizeof *r->cell_muni, r->n_cells);
    r->cell_in_region = get_array(R, sizeof *r->cell_in_region, r->n_cells);
    r->service_level = get_array(R, sizeof *r->service_level, r->n_cells);
    r->muni_stats = get_array(R, sizeof *r->muni_stats, r->n_munis * (size_t)n_types);
    r->total_stats = get_array(R, sizeof *r->total_stats, (size_t)n_types);
    r->svc_snap = get_array(R, sizeof *r->svc_snap, r->n_svc);
    r->svc_muni = get_array(R, sizeof *r->svc_muni, r->n_svc);
    /* The writer reads these of every result: a file without them is damaged. */
    for (int t = 0; R->ok && t < n_types; t++)
        if (!r->types[t].by_dist || !r->types[t].by_time || (r->types[t].n_services && !r->types[t].service_index))
            R->ok = 0;
    if (!r->cell_in_region || !r->cell_muni || !r->total_stats || (r->n_munis && !r->muni_stats))
        R->ok = 0;
    return r;
}

/* ---------- platsa sweep: the job folder ---------- */

static char *absolute(const char *p)
{
    if (!p || p[0] == '/')
        return p ? pl_strdup(p) : NULL;
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd))
        return pl_strdup(p);
    size_t n = strlen(cwd) + strlen(p) + 2;
    char *a = pl_malloc(n);
    snprintf(a, n, "%s/%s", cwd, p);
    return a;
}

/* A new folder, or an empty one (*made: this run made it, to remove again on failure). */
static int make_dir(const char *dir, int *made, pl_error *err)
{
    return pl_job_dir_new(dir, pl_sweep_is_job(dir), "sweep", made, err);
}

/* A refused plan leaves the folder as it was: what this run wrote in it goes. */
static void unmake_dir(const char *dir, int made, const char *cache_in_dir)
{
    char path[PATH_MAX + 64];
    if (cache_in_dir) {
        unlink(cache_in_dir);
        snprintf(path, sizeof path, "%s.hashes", cache_in_dir);
        unlink(path);
    }
    const char *names[] = {"plan.tsv", "array.sbatch", SWEEP_MARK};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    snprintf(path, sizeof path, "%s/tasks", dir);
    rmdir(path);
    if (made)
        rmdir(dir);
}

static int write_plan(const sweep_job *J, const pl_scenario_file *f, pl_error *err)
{
    size_t cap = 64, n = 0;
    for (size_t k = 0; k < f->n_sc; k++)
        cap += strlen(f->sc[k].name) + 48;
    char *buf = pl_malloc(cap);
    n += (size_t)snprintf(buf, cap, "task\tscenario\tname\n");
    for (long t = 0; t < J->slices; t++)
        for (size_t k = (size_t)t; k < f->n_sc; k += (size_t)J->slices)
            n += (size_t)snprintf(buf + n, cap - n, "%ld\t%zu\t%s\n", t, k, f->sc[k].name);
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/plan.tsv", J->dir);
    int rc = pl_write_file_atomic(path, buf, strlen(buf), err);
    free(buf);
    return rc;
}

static int write_sbatch(const sweep_job *J, const char *self_exe, pl_error *err)
{
    const char *base = strrchr(J->dir, '/');
    base = base && base[1] ? base + 1 : J->dir;
    char text[3 * PATH_MAX + 1024];
    int n = snprintf(text, sizeof text,
                     "#!/bin/sh\n"
                     "#SBATCH --job-name=platsa-%s\n"
                     "#SBATCH --array=0-%d\n"
                     "#SBATCH --output=%s/tasks/slurm-%%A_%%a.out\n"
                     "# platsa sweep: task K runs the baseline and scenarios K, K+%d, ... (plan.tsv). Submit with\n"
                     "# sbatch --wait %s/array.sbatch, then run platsa merge %s. Without Slurm:\n"
                     "# SLURM_ARRAY_TASK_ID=K sh %s/array.sbatch, or platsa partition-run %s for every pending task.\n"
                     "exec '%s' partition-task '%s' \"${SLURM_ARRAY_TASK_ID:?set SLURM_ARRAY_TASK_ID to a task id}\"\n",
                     base, J->slices - 1, J->dir, J->slices, J->dir, J->dir, J->dir, J->dir, self_exe, J->dir);
    if (n < 0 || (size_t)n >= sizeof text)
        return pl_error_set(err, PL_EINPUT, "%s: the job folder's path is too long", J->dir);
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/array.sbatch", J->dir);
    return pl_write_file_atomic(path, text, strlen(text), err);
}

/* Checks the options against the file, before any folder is made. */
static int check_plan(const pl_sweep_opts *o, const char *path, long *n_sc, pl_error *err)
{
    pl_scenario_file f;
    int rc = pl_scenario_file_load(path, &f, err);
    *n_sc = rc == PL_OK ? (long)f.n_sc : 0;
    if (rc == PL_OK) {  /* the merge's output: refused now, not after the tasks */
        const pl_access_opts *b = &f.base;
        const char *inputs[] = {path, b->population, b->services, b->roads, b->municipalities, NULL};
        const char *twins[] = {"delta_municipalities", "scenario_summary", NULL};
        pl_gpkg_opts check = {.overwrite = o->s.overwrite, .csv = o->s.csv, .csv_style = o->s.csv_style,
                              .inputs = inputs};
        rc = pl_gpkg_check_output(o->s.output, &check, twins, err);
    }
    pl_scenario_file_free(&f);
    if (rc != PL_OK)
        return rc;
    if (o->slices > *n_sc)
        return pl_error_set(err, PL_EINPUT, "--slices %d: %s has %ld scenario%s; give at most %ld slices", o->slices,
                            path, *n_sc, *n_sc == 1 ? "" : "s", *n_sc);
    return PL_OK;
}

/* The plan's steps in order, each refusal leaving the folder as it was. */
static int sweep_plan(pl_ctx *ctx, const pl_sweep_opts *o, const char *path, const char *self_exe, FILE *out,
                      pl_error *err)
{
    sweep_job J = {0};
    int rc = check_plan(o, path, &J.n_sc, err);
    if (rc != PL_OK)
        return rc;
    if (strlen(o->job_dir) >= sizeof J.dir)
        return pl_error_set(err, PL_EINPUT, "--job-dir: the path is too long; give a shorter one");
    snprintf(J.dir, sizeof J.dir, "%s", o->job_dir);
    snprintf(J.file, sizeof J.file, "%s", path);
    snprintf(J.output, sizeof J.output, "%s", o->s.output);
    snprintf(J.csv_style, sizeof J.csv_style, "%s", o->s.csv_style ? o->s.csv_style : "default");
    J.slices = o->slices;
    J.overwrite = o->s.overwrite;
    J.csv = o->s.csv;
    J.no_cells = o->s.no_cells;
    int own_cache = !o->s.graph_cache;
    if (own_cache)
        snprintf(J.cache, sizeof J.cache, "%s/graph.cache", J.dir);
    else
        snprintf(J.cache, sizeof J.cache, "%s", o->s.graph_cache);
    int made = 0;
    rc = make_dir(J.dir, &made, err);
    if (rc != PL_OK)
        return rc;
    char tasks[PATH_MAX + 16];
    snprintf(tasks, sizeof tasks, "%s/tasks", J.dir);
    if (mkdir(tasks, 0777) != 0 && errno != EEXIST)
        rc = pl_error_set(err, PL_EINPUT, "%s: cannot make the folder (%s)", tasks, strerror(errno));
    /* The inputs loaded and every scenario's own inputs checked here, not in N tasks; the graph
     * built into the cache once, so the tasks start warm and never write it. */
    pl_scenario_opts so = job_scenario_opts(&J);
    pl_scen_session S;
    memset(&S, 0, sizeof S);
    double t0 = pl_now_s();
    if (rc == PL_OK)
        rc = pl_scen_open(ctx, J.file, &so, 0, &S, err);
    for (size_t k = 0; rc == PL_OK && k < S.file.n_sc; k++) {
        rc = pl_scen_build(ctx, &S, k, 1, err);
        pl_scen_free_one(ctx, &S.sc[k]);
        memset(&S.sc[k], 0, sizeof S.sc[k]);
    }
    if (rc == PL_OK)
        rc = write_plan(&J, &S.file, err);
    if (rc == PL_OK)
        rc = write_sbatch(&J, self_exe, err);
    if (rc == PL_OK)  /* last: a folder without it is no job */
        rc = job_write(&J, err);
    pl_scen_close(ctx, &S);
    if (rc != PL_OK) {
        unmake_dir(J.dir, made, own_cache ? J.cache : NULL);
        return rc;
    }
    if (out)
        fprintf(out, "platsa sweep: %ld scenarios in %d tasks (graph cache %s, %.1f s) -> %s/array.sbatch; run "
                "sbatch --wait %s/array.sbatch (or platsa partition-run %s), then platsa merge %s\n", J.n_sc, J.slices,
                J.cache, pl_now_s() - t0, J.dir, J.dir, J.dir, J.dir);
    return PL_OK;
}

int pl_sweep_run(pl_ctx *ctx, const pl_sweep_opts *o, const char *path, const char *self_exe, FILE *out,
                 pl_error *err)
{
    /* Absolute paths: the tasks may run in another folder, on another node. */
    char real[PATH_MAX];
    if (!realpath(path, real))
        return pl_error_set(err, PL_EINPUT, "%s: cannot read the scenario file (%s)", path, strerror(errno));
    pl_sweep_opts a = *o;
    char *owned[3] = {absolute(o->s.output), absolute(o->job_dir), absolute(o->s.graph_cache)};
    a.s.output = owned[0];
    a.job_dir = owned[1];
    a.s.graph_cache = owned[2];
    int rc = sweep_plan(ctx, &a, real, self_exe, out, err);
    for (int i = 0; i < 3; i++)
        free(owned[i]);
    return rc;
}

/* ---------- partition-task D K on a sweep ---------- */

static int dump_scenario(dump *d, const pl_scen *s, size_t k)
{
    scen_scalars v;
    memset(&v, 0, sizeof v);  /* its padding too: the same answers, the same bytes */
    v.index = k;
    v.n_roads_removed = s->n_roads_removed;
    v.n_roads_added = s->n_roads_added;
    v.units_searched = s->work.units_searched;
    v.full = s->full;
    v.seconds = s->seconds;
    put(d, &v, sizeof v);
    put_result(d, s->r);
    return d->ok ? PL_OK : PL_EINTERNAL;
}

/* Opens the dump, runs the baseline, each scenario of the slice dumped and freed as it is done
 * (a task holds one scenario's result at a time), then the hash and the rename. */
static int task_run(pl_ctx *ctx, const sweep_job *J, long task, pl_error *err)
{
    pl_scenario_opts so = job_scenario_opts(J);
    so.output = NULL;  /* the merge writes it */
    pl_scen_session S;
    int rc = pl_scen_open(ctx, J->file, &so, 0, &S, err);
    if (rc == PL_OK)
        rc = check_same_file(J, &S, err);
    if (rc == PL_OK)
        rc = pl_scen_baseline(ctx, &S, err);
    char dir[PATH_MAX + 32], path[PATH_MAX + 64], tmp[PATH_MAX + 96];
    task_path(J, task, NULL, dir, sizeof dir);
    task_path(J, task, "out.bin", path, sizeof path);
    char owner[PL_TEMP_OWNER_MAX];
    snprintf(tmp, sizeof tmp, "%s.tmp-%s", path, pl_temp_owner(owner));
    if (rc == PL_OK && mkdir(dir, 0777) != 0 && errno != EEXIST)
        rc = pl_error_set(err, PL_EINPUT, "%s: cannot make the task folder (%s)", dir, strerror(errno));
    dump d = {.h = 1469598103934665603ULL, .ok = 1};
    if (rc == PL_OK && !(d.f = fopen(tmp, "wb")))
        rc = pl_error_set(err, PL_EINPUT, "%s: cannot write (%s)", tmp, strerror(errno));
    if (rc == PL_OK) {
        uint64_t n_mine = (J->n_sc - task + J->slices - 1) / J->slices;
        uint32_t sizes[4] = {sizeof(pl_access_result), sizeof(pl_access_type), sizeof(pl_label), sizeof(pl_snap)};
        put(&d, DUMP_MAGIC, strlen(DUMP_MAGIC));
        put(&d, sizes, sizeof sizes);
        put_u64(&d, (uint64_t)task);
        put_u64(&d, n_mine);
        put(&d, &S.t_base, sizeof S.t_base);
        if (task == 0)  /* the baseline once, for the merge */
            put_result(&d, S.base->r);
    }
    for (size_t k = (size_t)task; rc == PL_OK && k < S.file.n_sc; k += (size_t)J->slices) {
        rc = pl_scen_build(ctx, &S, k, 0, err);
        if (rc == PL_OK && dump_scenario(&d, &S.sc[k], k) != PL_OK)
            rc = pl_error_set(err, PL_EINPUT, "%s: cannot write (%s); check the free space", tmp, strerror(errno));
        pl_scen_free_one(ctx, &S.sc[k]);
        memset(&S.sc[k], 0, sizeof S.sc[k]);
    }
    if (d.f) {
        uint64_t h = d.h;
        int ok = d.ok && fwrite(&h, sizeof h, 1, d.f) == 1 && fflush(d.f) == 0 && fsync(fileno(d.f)) == 0;
        ok = fclose(d.f) == 0 && ok;
        if (rc == PL_OK && (!ok || rename(tmp, path) != 0))
            rc = pl_error_set(err, PL_EINPUT, "%s: cannot write (%s); check the free space", path, strerror(errno));
        if (rc != PL_OK)
            unlink(tmp);
    }
    pl_scen_close(ctx, &S);
    if (rc == PL_OK) {
        task_path(J, task, "done", path, sizeof path);
        rc = pl_write_file_atomic(path, "done\n", 5, err);
    }
    return rc;
}

int pl_sweep_task_run(pl_ctx *ctx, const char *job_dir, long task, pl_error *err)
{
    sweep_job J;
    int rc = job_read(job_dir, &J, err);
    if (rc != PL_OK)
        return rc;
    if (task < 0 || task >= J.slices)
        return pl_error_set(err, PL_EINPUT, "task %ld: the sweep %s has tasks 0 to %d", task, job_dir, J.slices - 1);
    char path[PATH_MAX + 64];
    task_path(&J, task, "done", path, sizeof path);
    unlink(path);  /* a task run again is not done until it has written again */
    return task_run(ctx, &J, task, err);
}

int pl_sweep_run_all(pl_ctx *ctx, const char *job_dir, FILE *out, pl_error *err)
{
    sweep_job J;
    int rc = job_read(job_dir, &J, err);
    long n_run = 0;
    for (long t = 0; rc == PL_OK && t < J.slices; t++) {
        char path[PATH_MAX + 64];
        task_path(&J, t, "done", path, sizeof path);
        if (access(path, F_OK) == 0)
            continue;
        double t0 = pl_now_s();
        rc = pl_sweep_task_run(ctx, job_dir, t, err);
        if (rc == PL_OK && out)
            fprintf(out, "task %ld: %.2f s\n", t, pl_now_s() - t0);
        n_run++;
    }
    if (rc == PL_OK && out)
        fprintf(out, "platsa partition-run: %ld task%s run; now platsa merge %s\n", n_run, n_run == 1 ? "" : "s",
                job_dir);
    return rc;
}

/* ---------- platsa merge D on a sweep ---------- */

static int check_done(const sweep_job *J, pl_error *err)
{
    char list[1024] = "";
    size_t used = 0;
    long n = 0;
    for (long t = 0; t < J->slices; t++) {
        char path[PATH_MAX + 64];
        task_path(J, t, "done", path, sizeof path);
        if (access(path, F_OK) == 0)
            continue;
        if (used + 24 < sizeof list)
            used += (size_t)snprintf(list + used, sizeof list - used, "%s%ld", n ? "," : "", t);
        n++;
    }
    if (n == 0)
        return PL_OK;
    const char *d = J->dir;
    return pl_error_set(err, PL_EINPUT, "%s: %ld task%s not finished (no done file): %s; run %s again: sbatch --wait "
                        "--array=%s %s/array.sbatch (or platsa partition-run %s), then platsa merge %s", d, n,
                        n > 1 ? "s" : "", list, n > 1 ? "them" : "it", list, d, d, d);
}

/* Task t's results into S (the baseline from task 0). -1 when the file is damaged or of
 * another sweep. */
static int read_task(const sweep_job *J, pl_scen_session *S, long t)
{
    char path[PATH_MAX + 64];
    task_path(J, t, "out.bin", path, sizeof path);
    size_t len = 0;
    char *buf = pl_read_file(path, &len);
    if (!buf || len < strlen(DUMP_MAGIC) + sizeof(uint64_t)) {
        free(buf);
        return -1;
    }
    uint64_t h = 1469598103934665603ULL, want;
    hash_bytes(&h, buf, len - sizeof want);
    memcpy(&want, buf + len - sizeof want, sizeof want);
    reader R = {buf, buf + len - sizeof want, h == want};
    char magic[64];
    get(&R, magic, strlen(DUMP_MAGIC));
    uint32_t sizes[4], expect[4] = {sizeof(pl_access_result), sizeof(pl_access_type), sizeof(pl_label),
                                    sizeof(pl_snap)};
    get(&R, sizes, sizeof sizes);
    uint64_t task = get_u64(&R), n_mine = get_u64(&R);
    double t_base;
    get(&R, &t_base, sizeof t_base);
    if (memcmp(magic, DUMP_MAGIC, strlen(DUMP_MAGIC)) != 0 || memcmp(sizes, expect, sizeof sizes) != 0 ||
        task != (uint64_t)t || n_mine != (uint64_t)((J->n_sc - t + J->slices - 1) / J->slices))
        R.ok = 0;
    if (R.ok && t == 0) {
        S->t_base = t_base;
        S->base = pl_calloc(1, sizeof *S->base);
        S->base->r = get_result(&R);
    }
    for (uint64_t i = 0; R.ok && i < n_mine; i++) {
        scen_scalars v;
        get(&R, &v, sizeof v);
        if (!R.ok || v.index != (uint64_t)t + i * (uint64_t)J->slices || v.index >= S->file.n_sc) {
            R.ok = 0;
            break;
        }
        pl_scen *s = &S->sc[v.index];
        s->n_roads_removed = v.n_roads_removed;
        s->n_roads_added = v.n_roads_added;
        s->work.units_searched = v.units_searched;
        s->full = v.full;
        s->seconds = v.seconds;
        s->r = get_result(&R);
    }
    if (R.p != R.end)
        R.ok = 0;
    free(buf);
    return R.ok ? 0 : -1;
}

/* The merge's metadata: the slices and each task's output (hashed as an input). */
static int write_merged(pl_ctx *ctx, const sweep_job *J, pl_scen_session *S, const pl_scenario_opts *so,
                        const char *command_line, pl_error *err)
{
    long n = J->slices;
    char **paths = pl_calloc((size_t)n + 1, sizeof *paths);
    char **params = pl_calloc((size_t)n * 2 + 5, sizeof *params);
    int np = 0;
    char value[PATH_MAX + 128];
    params[np++] = pl_strdup("sweep_slices");
    snprintf(value, sizeof value, "%ld (task K: scenarios K, K+%ld, ...)", n, n);
    params[np++] = pl_strdup(value);
    for (long t = 0; t < n; t++) {
        task_path(J, t, "out.bin", value, sizeof value);
        paths[t] = pl_strdup(value);
        snprintf(value, sizeof value, "sweep_task_%04ld", t);
        params[np++] = pl_strdup(value);
        snprintf(value, sizeof value, "%ld scenarios, %s", (J->n_sc - t + n - 1) / n, paths[t]);
        params[np++] = pl_strdup(value);
    }
    int rc = pl_scen_write(ctx, S, so, J->file, command_line, (const char *const *)params,
                           (const char *const *)paths, err);
    for (long t = 0; t < n; t++)
        free(paths[t]);
    for (int i = 0; i < np; i++)
        free(params[i]);
    free(paths);
    free(params);
    return rc;
}

int pl_sweep_merge(pl_ctx *ctx, const char *output, int overwrite, const char *job_dir, const char *command_line,
                   pl_error *err)
{
    sweep_job J;
    int rc = job_read(job_dir, &J, err);
    if (rc == PL_OK)
        rc = check_done(&J, err);
    if (rc != PL_OK)
        return rc;
    pl_scenario_opts so = job_scenario_opts(&J);
    if (output)
        so.output = output;
    so.overwrite |= overwrite;
    pl_scen_session S;
    rc = pl_scen_open(ctx, J.file, &so, 1, &S, err);  /* no roads: the tasks searched them */
    if (rc == PL_OK)
        rc = check_same_file(&J, &S, err);
    for (long t = 0; rc == PL_OK && t < J.slices; t++)
        if (read_task(&J, &S, t) != 0)
            rc = pl_error_set(err, PL_EINPUT, "%s: task %ld's output (tasks/%04ld/out.bin) is damaged or of another "
                              "sweep; run it again: sbatch --wait --array=%ld %s/array.sbatch (or platsa partition-task "
                              "%s %ld), then platsa merge %s", J.dir, t, t, t, J.dir, J.dir, t, J.dir);
    for (size_t k = 0; rc == PL_OK && k < S.file.n_sc; k++)
        rc = pl_scen_build(ctx, &S, k, 1, err);
    if (rc == PL_OK)
        rc = write_merged(ctx, &J, &S, &so, command_line, err);
    if (rc == PL_OK)
        pl_info(ctx, "platsa merge: %d tasks, baseline and %zu scenarios -> %s", J.slices, S.file.n_sc, so.output);
    pl_scen_close(ctx, &S);
    return rc;
}
