/* SPDX-License-Identifier: GPL-3.0-or-later */
/* platsa merge D: the tasks' answers into the result arrays of a single run, then the same
 * summaries and writer (pl_access_finish, pl_access_write): municipality and county figures
 * are computed from the merged units, so the output equals a single run's. Units or services
 * a task could not prove go to a rerun round with twice the halo (D/rerun.sbatch, exit 3). */
#include "partition.h"

#include <gdal.h>
#include <math.h>
#include <ogr_api.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyses/common/ids.h"
#include "analyses/scenario/scenario.h"
#include "gis/vector.h"

const char pl_merge_usage[] = "platsa merge JOB_DIR [-o OUT.gpkg] [--overwrite] [--whole-above PCT]";
const char pl_merge_summary[] =
    "Joins the tasks of a platsa partition job into one GeoPackage: the layers, styles and summaries of a\n"
    "single platsa access run (municipality and county figures recomputed from the merged units), with\n"
    "every task's output and its hash in the metadata. Exit 0: written. Exit 1: a task has not finished or\n"
    "its output is damaged; one line names them and the sbatch command that runs them again. Exit 3: some\n"
    "units (or services) were not proven inside their halo; D/rerun.sbatch runs just those with twice the\n"
    "halo, or, when that would read most of the roads, one task over all the data (--whole-above): run\n"
    "sbatch --wait D/rerun.sbatch (or platsa partition-run D), then platsa merge D again.\n"
    "A platsa sweep job folder is merged the same way into the one comparison table of platsa scenario\n"
    "(exit 0 or 1; a sweep has no reruns).";

const pl_option pl_merge_options[] = {
    {"output", 'o', PL_OPT_STRING, offsetof(pl_merge_opts, output), "OUT.gpkg", NULL,
     "output GeoPackage [default: the -o given to platsa partition]", 0, PL_OUTPUT_PATH},
    {"overwrite", 0, PL_OPT_FLAG, offsetof(pl_merge_opts, overwrite), NULL, NULL, "replace an existing output", 0,
     PL_NO_RANGE},
    {"whole-above", 0, PL_OPT_DOUBLE, offsetof(pl_merge_opts, whole_above), "PCT", "50",
     "when a rerun task's rectangle grown by its new halo would hold more than PCT % of the roads, the round is "
     "one task of all the unproven units over all the data (exact, the last round; at most 100 / PCT times that "
     "task's roads in memory) instead of one per tile; 100: never, each tile's halo doubles again", 0,
     PL_GT_LE(0, 100)},
    PL_OPT_END,
};

int pl_merge_opts_init(pl_merge_opts *o)
{
    memset(o, 0, sizeof *o);
    return pl_options_defaults(pl_merge_options, o, NULL);
}

void pl_merge_opts_free(pl_merge_opts *o)
{
    pl_options_free(pl_merge_options, o);
}

/* ---------- lookups by id ---------- */

typedef struct id_index {
    const char *const *ids;
    uint32_t *order;   /* sorted by strcmp */
    size_t n;
} id_index;

static const id_index *sort_ctx;
static int cmp_order(const void *a, const void *b)
{
    return strcmp(sort_ctx->ids[*(const uint32_t *)a], sort_ctx->ids[*(const uint32_t *)b]);
}

static void id_index_init(id_index *x, char *const *ids, size_t n)
{
    x->ids = (const char *const *)ids;
    x->n = n;
    x->order = pl_malloc((n ? n : 1) * sizeof *x->order);
    for (size_t i = 0; i < n; i++)
        x->order[i] = (uint32_t)i;
    sort_ctx = x;
    qsort(x->order, n, sizeof *x->order, cmp_order);
}

/* Index of id, or -1. */
static long id_index_find(const id_index *x, const char *id)
{
    size_t lo = 0, hi = x->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(x->ids[x->order[mid]], id);
        if (c == 0)
            return x->order[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

/* ---------- reading the tasks ---------- */

typedef struct merge_ctx {
    pl_job *job;
    pl_access_opts a;
    pl_access_inputs in;
    pl_access_result *r;
    id_index units, services;
    uint32_t **svc_pos;       /* per type: service -> number in the type's service_index */
    long *cell_task, *svc_task;
    uint8_t *cell_rerun, *svc_rerun;
} merge_ctx;

static double real_or_inf(OGRFeatureH f, int i)
{
    return i < 0 || !OGR_F_IsFieldSetAndNotNull(f, i) ? INFINITY : OGR_F_GetFieldAsDouble(f, i);
}

static int read_cells(merge_ctx *M, long task, OGRLayerH l)
{
    OGRFeatureDefnH d = OGR_L_GetLayerDefn(l);
    int f_id = OGR_FD_GetFieldIndex(d, "cell_id"), f_st = OGR_FD_GetFieldIndex(d, "status");
    int f_acc = OGR_FD_GetFieldIndex(d, "access_m"), f_re = OGR_FD_GetFieldIndex(d, "rerun");
    pl_access_result *r = M->r;
    int (*cols)[4][3] = pl_malloc((size_t)r->n_types * sizeof *cols);
    for (int t = 0; t < r->n_types; t++)
        for (int k = 0; k < 4; k++) {
            static const char *const lab[4] = {"d0", "d1", "t0", "t1"};
            static const char *const part[3] = {"src", "m", "s"};
            for (int p = 0; p < 3; p++) {
                char name[128];
                snprintf(name, sizeof name, "%s_%s_%s", M->in.types->t[r->types[t].type].key, lab[k], part[p]);
                cols[t][k][p] = OGR_FD_GetFieldIndex(d, name);
            }
            if (cols[t][k][0] < 0) {
                free(cols);
                return -1;
            }
        }
    if (f_id < 0 || f_st < 0 || f_acc < 0 || f_re < 0) {
        free(cols);
        return -1;
    }
    OGRFeatureH f;
    int bad = 0;
    OGR_L_ResetReading(l);
    while (!bad && (f = OGR_L_GetNextFeature(l)) != NULL) {
        long c = id_index_find(&M->units, OGR_F_GetFieldAsString(f, f_id));
        if (c < 0) {
            bad = 1;
        } else {
            M->cell_task[c] = task;
            M->cell_rerun[c] = (uint8_t)OGR_F_GetFieldAsInteger(f, f_re);
            pl_snap *sn = &r->cell_snap[c];
            sn->status = (uint8_t)OGR_F_GetFieldAsInteger(f, f_st);
            sn->access_m = (float)real_or_inf(f, f_acc);
            for (int t = 0; t < r->n_types; t++) {
                pl_access_type *at = &r->types[t];
                pl_label *lab[4] = {&at->by_dist[c * 2], &at->by_dist[c * 2 + 1], &at->by_time[c * 2],
                                    &at->by_time[c * 2 + 1]};
                for (int k = 0; k < 4; k++) {
                    *lab[k] = (pl_label){UINT32_MAX, INFINITY, INFINITY};
                    if (!OGR_F_IsFieldSetAndNotNull(f, cols[t][k][0]))
                        continue;
                    long s = id_index_find(&M->services, OGR_F_GetFieldAsString(f, cols[t][k][0]));
                    if (s < 0 || M->svc_pos[t][s] == UINT32_MAX) {
                        bad = 1;
                        break;
                    }
                    *lab[k] = (pl_label){M->svc_pos[t][s], real_or_inf(f, cols[t][k][1]),
                                         real_or_inf(f, cols[t][k][2])};
                }
            }
        }
        OGR_F_Destroy(f);
    }
    free(cols);
    return bad ? -1 : 0;
}

static int read_services(merge_ctx *M, long task, OGRLayerH l)
{
    OGRFeatureDefnH d = OGR_L_GetLayerDefn(l);
    int f_id = OGR_FD_GetFieldIndex(d, "service_id"), f_st = OGR_FD_GetFieldIndex(d, "status");
    int f_acc = OGR_FD_GetFieldIndex(d, "access_m"), f_re = OGR_FD_GetFieldIndex(d, "rerun");
    if (f_id < 0 || f_st < 0 || f_acc < 0 || f_re < 0)
        return -1;
    OGRFeatureH f;
    int bad = 0;
    OGR_L_ResetReading(l);
    while (!bad && (f = OGR_L_GetNextFeature(l)) != NULL) {
        long s = id_index_find(&M->services, OGR_F_GetFieldAsString(f, f_id));
        if (s < 0) {
            bad = 1;
        } else {
            M->svc_task[s] = task;
            M->svc_rerun[s] = (uint8_t)OGR_F_GetFieldAsInteger(f, f_re);
            pl_snap *sn = &M->r->svc_snap[s];
            sn->status = (uint8_t)OGR_F_GetFieldAsInteger(f, f_st);
            sn->access_m = (float)real_or_inf(f, f_acc);
        }
        OGR_F_Destroy(f);
    }
    return bad ? -1 : 0;
}

static int read_task(merge_ctx *M, long task)
{
    char path[4096];
    pl_job_task_path(M->job, task, "out.gpkg", path, sizeof path);
    const char *drivers[] = {"GPKG", NULL};
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, drivers, NULL, NULL);
    if (!ds)
        return -1;
    OGRLayerH cells = GDALDatasetGetLayerByName(ds, "task_cells");
    OGRLayerH svc = GDALDatasetGetLayerByName(ds, "task_services");
    int rc = cells && svc ? read_cells(M, task, cells) : -1;
    if (rc == 0)
        rc = read_services(M, task, svc);
    GDALClose(ds);
    return rc;
}

/* ---------- missing tasks, reruns ---------- */

/* "7,9,12" of the listed tasks (at most ~60 named, then "..."). */
static void task_list(char *buf, size_t size, const long *ids, long n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (long i = 0; i < n && used + 24 < size; i++)
        used += (size_t)snprintf(buf + used, size - used, "%s%ld", i ? "," : "", ids[i]);
}

static int check_done(merge_ctx *M, pl_error *err)
{
    long *missing = pl_malloc((size_t)(M->job->n_tasks ? M->job->n_tasks : 1) * sizeof *missing), n = 0;
    for (long t = 0; t < M->job->n_tasks; t++) {
        char path[4096];
        pl_job_task_path(M->job, t, "done", path, sizeof path);
        if (access(path, F_OK) != 0)
            missing[n++] = t;
    }
    char list[1024];
    task_list(list, sizeof list, missing, n);
    free(missing);
    if (n == 0)
        return PL_OK;
    const char *d = M->job->dir;
    return pl_error_set(err, PL_EINPUT, "%s: %ld task%s not finished (no done file): %s; run %s again: sbatch --wait "
                        "--array=%s %s/array.sbatch (or platsa partition-run %s), then platsa merge %s", d, n,
                        n > 1 ? "s" : "", list, n > 1 ? "them" : "it", list, d, d, d);
}

static void rect_add(double *r, double x, double y)
{
    if (x < r[0]) r[0] = x;
    if (y < r[1]) r[1] = y;
    if (x > r[2]) r[2] = x;
    if (y > r[3]) r[3] = y;
}

/* --whole-above: a rerun task whose rectangle grown by its halo would hold more than that share
 * of the roads reads most of them anyway, so the round is ONE task over all the data (no halo:
 * exact by construction, the last round), needing at most 100 / PCT times that task's roads.
 * Measured on synth L 1 km (21 län tiles, halo 120 km): the first rerun round's 21 tasks would
 * read 10-79 % of the roads each, 10.9 times the roads in all, and three more rounds (480-1,920
 * km) followed for the second answers of sparse types. */
/* The share of the roads (features) whose envelope meets rect grown by m metres: OGR's count
 * with a spatial filter (on a GeoPackage its R-tree, no feature read: 0.3 CPU s for 3.5 M of
 * synth L's 3.7 M roads). 0 when the roads cannot be opened here (the tasks will say why), so
 * the rounds go on as before. */
static double roads_share(pl_ctx *ctx, const pl_access_opts *a, const double *rect, double m)
{
    pl_error e = {0};
    pl_vector_opts vo = {.assume_crs = a->assume_crs, .role = "roads"};
    pl_vector *v = pl_vector_open(ctx, a->roads, &vo, &e);
    if (!v) {  /* still exact, only slower: the halo doubles as before; the tasks report the roads */
        pl_warn(ctx, "merge-roads-unread", "%s: cannot be read here to size the rerun round (%s); the halo doubles "
                "instead of one task over all the data", a->roads, e.msg);
        return 0;
    }
    double r[4] = {rect[0] - m, rect[1] - m, rect[2] + m, rect[3] + m}, b[4];
    memcpy(b, r, sizeof b);
    int ok = 1;
    if (v->to_work) {  /* the rectangle in the layer's CRS: its transformed bounds */
        OGRCoordinateTransformationH back = OCTNewCoordinateTransformation(v->work_srs,
                                                                           OGR_L_GetSpatialRef(v->layer));
        ok = back && OCTTransformBounds(back, r[0], r[1], r[2], r[3], &b[0], &b[1], &b[2], &b[3], 21);
        if (back)
            OCTDestroyCoordinateTransformation(back);
    }
    GIntBig all = OGR_L_GetFeatureCount(v->layer, TRUE), in = 0;
    if (ok && all > 0) {
        OGR_L_SetSpatialFilterRect(v->layer, b[0], b[1], b[2], b[3]);
        in = OGR_L_GetFeatureCount(v->layer, TRUE);
    }
    pl_vector_close(v);
    return all > 0 ? (double)in / (double)all : 0;
}

typedef struct rerun {
    long src;           /* the task whose units and services it takes */
    double rect[4];
    double area;        /* of the rectangle grown by the halo: the likeliest to read most first */
} rerun;

static int by_area_desc(const void *a, const void *b)
{
    double x = ((const rerun *)a)->area, y = ((const rerun *)b)->area;
    return (x < y) - (x > y);
}

/* Whether the unproven units and services of task src (every task when src < 0) go to the
 * rerun task t; its rectangle grows by their points. */
static int take(const merge_ctx *M, long src, int unit, size_t i, double *rect)
{
    long task = unit ? M->cell_task[i] : M->svc_task[i];
    int ok = unit ? M->r->cell_in_region[i] && M->cell_rerun[i] : M->svc_rerun[i];
    if (!ok || (src >= 0 && task != src) || task < 0)
        return 0;
    rect_add(rect, unit ? M->in.pop->x[i] : M->in.svc->x[i], unit ? M->in.pop->y[i] : M->in.svc->y[i]);
    return 1;
}

/* Appends rerun task t (of the units and services of src; all when src < 0) to the plan. */
static int add_rerun(merge_ctx *M, long src, pl_job_task t, char **ids, long *n_units, long *n_svc, pl_error *err)
{
    pl_job *j = M->job;
    const pl_population *pop = M->in.pop;
    const pl_services *svc = M->in.svc;
    t.id = j->n_tasks;
    size_t n = 0, m = 0;
    for (size_t c = 0; c < pop->n; c++)
        if (take(M, src, 1, c, t.rect))
            ids[n++] = pop->id[c];
    char **sids = ids + n;
    for (size_t s = 0; s < svc->n; s++)
        if (take(M, src, 0, s, t.rect))
            sids[m++] = svc->id[s];
    t.n_units = (long)n;
    t.n_services = (long)m;
    if (n + m == 0)
        return PL_OK;
    int rc = pl_job_write_ids(j, t.id, "units.txt", ids, n, err);
    if (rc == PL_OK)
        rc = pl_job_write_ids(j, t.id, "services.txt", sids, m, err);
    j->tasks = pl_realloc(j->tasks, (size_t)(j->n_tasks + 1) * sizeof *j->tasks);
    j->tasks[j->n_tasks++] = t;
    *n_units += (long)n;
    *n_svc += (long)m;
    return rc;
}

/* One rerun task per task with unproven units or services: those, with twice the halo; or,
 * when one of them would read more than whole_above % of the roads, one task of them all over
 * all the data (tile "all", halo_km 0). */
static int plan_reruns(pl_ctx *ctx, merge_ctx *M, double whole_above, const char *self_exe, long *n_units,
                       long *n_svc, pl_error *err)
{
    pl_job *j = M->job;
    long n_before = j->n_tasks;
    const pl_population *pop = M->in.pop;
    const pl_services *svc = M->in.svc;
    rerun *rr = pl_malloc((size_t)(n_before ? n_before : 1) * sizeof *rr);
    long n_rr = 0;
    int round = 0;
    for (long src = 0; src < n_before; src++) {
        rerun *x = &rr[n_rr];
        x->src = src;
        x->rect[0] = x->rect[1] = INFINITY;
        x->rect[2] = x->rect[3] = -INFINITY;
        int any = 0;
        for (size_t c = 0; c < pop->n; c++)
            any |= take(M, src, 1, c, x->rect);
        for (size_t s = 0; s < svc->n; s++)
            any |= take(M, src, 0, s, x->rect);
        if (!any)
            continue;
        double h = j->tasks[src].halo_km * 2000;
        x->area = (x->rect[2] - x->rect[0] + 2 * h) * (x->rect[3] - x->rect[1] + 2 * h);
        if (j->tasks[src].round >= round)
            round = j->tasks[src].round + 1;
        n_rr++;
    }
    qsort(rr, (size_t)n_rr, sizeof *rr, by_area_desc);
    int whole = 0;
    for (long i = 0; whole_above < 100 && i < n_rr && !whole && j->tasks[rr[i].src].halo_km > 0; i++)
        whole = roads_share(ctx, &M->a, rr[i].rect, j->tasks[rr[i].src].halo_km * 2000) * 100 > whole_above;
    char **ids = pl_malloc((pop->n > svc->n ? pop->n : svc->n) * sizeof *ids + sizeof *ids);
    int rc = PL_OK;
    *n_units = *n_svc = 0;
    if (whole) {
        pl_job_task t = {.halo_km = 0, .round = round, .rect = {INFINITY, INFINITY, -INFINITY, -INFINITY}};
        snprintf(t.tile, sizeof t.tile, "all");
        rc = add_rerun(M, -1, t, ids, n_units, n_svc, err);
    }
    for (long src = 0; !whole && rc == PL_OK && src < n_before; src++) {
        pl_job_task t = {.halo_km = j->tasks[src].halo_km * 2, .round = j->tasks[src].round + 1,
                         .rect = {INFINITY, INFINITY, -INFINITY, -INFINITY}};
        snprintf(t.tile, sizeof t.tile, "%s", j->tasks[src].tile);
        rc = add_rerun(M, src, t, ids, n_units, n_svc, err);
    }
    free(ids);
    free(rr);
    if (rc == PL_OK && j->n_tasks > n_before)
        rc = pl_job_write_sbatch(j, "rerun.sbatch", self_exe, n_before, j->n_tasks - 1, err);
    if (rc == PL_OK && j->n_tasks > n_before)  /* the plan last: its new rows make the round */
        rc = pl_job_write_plan(j, err);
    return rc;
}

/* ---------- the merge ---------- */

static int load_and_prepare(pl_ctx *ctx, merge_ctx *M, pl_access_params *p, int *types, pl_error *err)
{
    pl_access_opts light = M->a;
    light.skip_roads = 1;
    int rc = pl_access_load_inputs(ctx, &light, &M->in, err);
    int n_types = 0;
    if (rc == PL_OK)
        rc = pl_access_resolve_types(&M->a, &M->in, types, &n_types, err);
    if (rc != PL_OK)
        return rc;
    pl_mode mode = PL_MODE_CAR;
    if (M->a.mode)
        pl_mode_from_name(M->a.mode, &mode);
    *p = (pl_access_params){.types = types, .n_types = n_types, .mode = mode, .within_km = M->a.within_km,
                            .region = M->a.region, .max_snap_m = M->a.max_snap_m,
                            .max_service_snap_m = M->a.max_service_snap_m, .bands_km = &M->a.bands_km,
                            .bands_min = &M->a.bands_min};
    rc = pl_access_prepare(ctx, M->in.pop, M->in.svc, M->in.types, M->in.munis, NULL, NULL, p, &M->r, err);
    if (rc != PL_OK)
        return rc;
    pl_access_labels_unreachable(M->r);
    size_t n_cells = M->in.pop->n, n_svc = M->in.svc->n;
    id_index_init(&M->units, M->in.pop->id, n_cells);
    id_index_init(&M->services, M->in.svc->id, n_svc);
    M->svc_pos = pl_calloc((size_t)n_types, sizeof *M->svc_pos);
    for (int t = 0; t < n_types; t++) {
        const pl_access_type *at = &M->r->types[t];
        M->svc_pos[t] = pl_malloc((n_svc ? n_svc : 1) * sizeof **M->svc_pos);
        memset(M->svc_pos[t], 0xff, (n_svc ? n_svc : 1) * sizeof **M->svc_pos);
        for (uint32_t s = 0; s < at->n_services; s++)
            M->svc_pos[t][at->service_index[s]] = s;
    }
    M->cell_task = pl_malloc((n_cells ? n_cells : 1) * sizeof *M->cell_task);
    M->svc_task = pl_malloc((n_svc ? n_svc : 1) * sizeof *M->svc_task);
    for (size_t c = 0; c < n_cells; c++)
        M->cell_task[c] = -1;
    for (size_t s = 0; s < n_svc; s++)
        M->svc_task[s] = -1;
    M->cell_rerun = pl_calloc(n_cells ? n_cells : 1, 1);
    M->svc_rerun = pl_calloc(n_svc ? n_svc : 1, 1);
    return PL_OK;
}

/* The metadata: every task's output (hashed as an input) and plan row. */
static int write_merged(pl_ctx *ctx, merge_ctx *M, const char *command_line, pl_error *err)
{
    pl_job *j = M->job;
    char **paths = pl_calloc((size_t)j->n_tasks + 1, sizeof *paths);
    char **params = pl_calloc((size_t)j->n_tasks * 2 + 12, sizeof *params);
    int np = 0, rounds = 0;
    for (long t = 0; t < j->n_tasks; t++)
        if (j->tasks[t].round > rounds)
            rounds = j->tasks[t].round;
    char value[4400];
    params[np++] = pl_strdup("partition_tiles");
    params[np++] = pl_strdup(j->opts.tiles);
    params[np++] = pl_strdup("partition_halo_km");
    snprintf(value, sizeof value, "%g", j->opts.halo_km);
    params[np++] = pl_strdup(value);
    params[np++] = pl_strdup("partition_tasks");
    snprintf(value, sizeof value, "%ld (%d rerun round%s)", j->n_tasks, rounds, rounds == 1 ? "" : "s");
    params[np++] = pl_strdup(value);
    for (long t = 0; t < j->n_tasks; t++) {
        const pl_job_task *k = &j->tasks[t];
        char path[4096];
        pl_job_task_path(j, t, "out.gpkg", path, sizeof path);
        paths[t] = pl_strdup(path);
        snprintf(value, sizeof value, "task_%04ld", t);
        params[np++] = pl_strdup(value);
        char halo[64] = "all the data, no halo";
        if (k->halo_km > 0)
            snprintf(halo, sizeof halo, "halo %g km", k->halo_km);
        snprintf(value, sizeof value, "tile %s, round %d, %s, %ld units, %ld services, %s", k->tile, k->round, halo,
                 k->n_units, k->n_services, path);
        params[np++] = pl_strdup(value);
    }
    int rc = pl_access_write(ctx, &M->a, command_line, &M->in, M->r, (const char *const *)paths,
                             (const char *const *)params, err);
    for (long t = 0; t < j->n_tasks; t++)
        free(paths[t]);
    for (int i = 0; i < np; i++)
        free(params[i]);
    free(paths);
    free(params);
    return rc;
}

static int merge(pl_ctx *ctx, merge_ctx *M, const pl_merge_opts *o, const char *command_line, pl_error *err)
{
    int rc = check_done(M, err);
    if (rc != PL_OK)
        return rc;
    M->a = M->job->opts.access;
    if (o->output)
        M->a.output = o->output;
    M->a.overwrite |= o->overwrite;
    if (M->a.crs)
        snprintf(ctx->work_crs, sizeof ctx->work_crs, "%s", M->a.crs);
    int types[PL_MAX_TYPES];
    pl_access_params p;
    rc = load_and_prepare(ctx, M, &p, types, err);
    for (long t = 0; rc == PL_OK && t < M->job->n_tasks; t++)
        if (read_task(M, t) != 0)
            rc = pl_error_set(err, PL_EINPUT, "%s: task %ld's output (tasks/%04ld/out.gpkg) is damaged or of another "
                              "job; run it again: sbatch --wait --array=%ld %s/array.sbatch (or platsa partition-task "
                              "%s %ld), then platsa merge %s", M->job->dir, t, t, t, M->job->dir, M->job->dir, t,
                              M->job->dir);
    for (size_t c = 0; rc == PL_OK && c < M->in.pop->n; c++)
        if (M->r->cell_in_region[c] && M->cell_task[c] < 0)
            rc = pl_error_set(err, PL_EINPUT, "%s: unit %s is in no task; the inputs changed since platsa partition: "
                              "make the job again", M->job->dir, M->in.pop->id[c]);
    if (rc != PL_OK)
        return rc;
    long n_units = 0, n_svc = 0;
    long before = M->job->n_tasks;
    char self[4096];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    snprintf(self + (len > 0 ? len : 0), sizeof self - (size_t)(len > 0 ? len : 0), "%s", len > 0 ? "" : "platsa");
    rc = plan_reruns(ctx, M, o->whole_above, self, &n_units, &n_svc, err);
    if (rc != PL_OK)
        return rc;
    if (M->job->n_tasks > before) {
        pl_error_set(err, PL_EINPUT, "%s: %ld units and %ld services need a wider halo (rerun tasks %ld-%ld, %d "
                     "round%s so far); run sbatch --wait %s/rerun.sbatch (or platsa partition-run %s), then platsa "
                     "merge %s again", M->job->dir, n_units, n_svc, before, M->job->n_tasks - 1,
                     M->job->tasks[M->job->n_tasks - 1].round, M->job->tasks[M->job->n_tasks - 1].round > 1 ? "s" : "",
                     M->job->dir, M->job->dir, M->job->dir);
        return PL_MERGE_RERUN;
    }
    pl_access_finish(ctx, M->in.pop, M->in.svc, M->in.munis, &p, M->r);
    rc = write_merged(ctx, M, command_line, err);
    if (rc == PL_OK)
        pl_info(ctx, "platsa merge: %ld tasks, %zu units -> %s", M->job->n_tasks, M->r->n_cells, M->a.output);
    return rc;
}

int pl_merge_run(pl_ctx *ctx, const pl_merge_opts *o, const char *job_dir, const char *command_line, pl_error *err)
{
    if (pl_sweep_is_job(job_dir))  /* a scenario sweep (analyses/scenario/scenario_slice.c) */
        return pl_sweep_merge(ctx, o->output, o->overwrite, job_dir, command_line, err);
    merge_ctx M = {0};
    int rc = pl_job_open(job_dir, &M.job, err);
    if (rc == PL_OK)
        rc = merge(ctx, &M, o, command_line, err);
    if (M.r)
        for (int t = 0; t < M.r->n_types && M.svc_pos; t++)
            free(M.svc_pos[t]);
    free(M.svc_pos);
    pl_access_result_free(M.r);
    pl_access_free_inputs(ctx, &M.in);
    free(M.units.order);
    free(M.services.order);
    free(M.cell_task);
    free(M.svc_task);
    free(M.cell_rerun);
    free(M.svc_rerun);
    pl_job_free(M.job);
    return rc;
}
