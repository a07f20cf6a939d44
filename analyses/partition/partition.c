/* SPDX-License-Identifier: GPL-3.0-or-later */
/* platsa partition: the tiles, the plan and the job folder (partition.h). */
#include "partition.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <dirent.h>
#include <unistd.h>

#include "analyses/common/job_dir.h"
#include "analyses/common/attach.h"
#include "analyses/common/units.h"
#include "gis/gpkg_writer.h"
#include "gis/vector.h"

const char pl_partition_usage[] =
    "platsa partition --tiles lan|kommun|grid:KM --halo-km H --job-dir D [platsa access options] -o OUT.gpkg";
const char pl_partition_summary[] =
    "Splits a platsa access run into tiles for a Slurm job array (D/array.sbatch): each task reads only its\n"
    "tile's units plus the roads and services within --halo-km of them. A road distance is never shorter\n"
    "than the straight line, so an answer below the halo found inside it is the global answer (for time:\n"
    "below the halo at the fastest speed of the task's roads); each task marks the units it cannot prove\n"
    "so, and platsa merge D plans a rerun of just those with twice the halo (exit 3, D/rerun.sbatch), or one\n"
    "task of them all over all the data once a tile would read most of the roads (merge --whole-above), until\n"
    "none is left, then writes -o with the layers, styles and summaries of a single run, byte for byte.\n"
    "Run the tasks with sbatch --wait D/array.sbatch, or here with platsa partition-run D.";

#define P(field) offsetof(pl_partition_opts, field)
const pl_option pl_partition_options[] = {
    {"tiles", 0, PL_OPT_STRING, P(tiles), "lan|kommun|grid:KM", "lan",
     "one task per län (2-digit code of the unit's municipality), per kommun (4 digits), or per square of "
     "KM km of the working CRS", 0, PL_NO_RANGE},
    {"halo-km", 0, PL_OPT_DOUBLE, P(halo_km), "KM", NULL,
     "width of the halo of roads and services around each tile's units; units whose answer is not proven "
     "inside it are rerun with twice the width", 1, PL_GT(0)},
    {"job-dir", 0, PL_OPT_STRING, P(job_dir), "DIR", NULL,
     "the job folder (new or empty): plan, Slurm script, the tasks' inputs and outputs", 1, PL_NO_RANGE},
#define A(field) offsetof(pl_access_opts, field)
#include "analyses/access/access_options.inc"
#undef A
    PL_OPT_END,
};
#undef P

int pl_partition_opts_init(pl_partition_opts *o)
{
    memset(o, 0, sizeof *o);
    return pl_options_defaults(pl_partition_options, o, NULL);
}

void pl_partition_opts_free(pl_partition_opts *o)
{
    pl_options_free(pl_partition_options, o);
}


/* ---------- checks ---------- */

/* Tile scheme: 0 lan, 1 kommun, 2 grid (*km set). */
static int parse_tiles(const char *s, double *km, pl_error *err)
{
    if (s && strcmp(s, "lan") == 0)
        return 0;
    if (s && strcmp(s, "kommun") == 0)
        return 1;
    if (s && strncmp(s, "grid:", 5) == 0) {
        char *end = NULL;
        *km = strtod(s + 5, &end);
        if (end != s + 5 && *end == '\0' && isfinite(*km) && *km > 0)
            return 2;
    }
    pl_error_set(err, PL_EINPUT, "--tiles '%s': use lan, kommun or grid:KM (e.g. grid:100, squares of 100 km)",
                 s ? s : "");
    return -1;
}

/* What the tasks do not split (yet): refused before any work. */
static int check_supported(const pl_access_opts *a, pl_error *err)
{
    pl_mode m;
    if (a->mode && strcmp(a->mode, "transit") == 0)
        return pl_error_set(err, PL_EINPUT, "--mode transit is not partitioned; run platsa access on one machine");
    if (a->mode && pl_mode_from_name(a->mode, &m) != PL_OK)
        return pl_error_set(err, PL_EINPUT, "--mode '%s': one road mode (car, bike or walk) per partitioned run",
                            a->mode);
    if (a->classify)
        return pl_error_set(err, PL_EINPUT, "--classify is not partitioned; leave it out or run platsa access on "
                            "one machine");
    if (a->service_areas)
        return pl_error_set(err, PL_EINPUT, "--service-areas is not partitioned; leave it out or run platsa access "
                            "on one machine");
    if (a->graph_cache)
        return pl_error_set(err, PL_EINPUT, "--graph-cache: the tasks read only their halo's roads; leave it out");
    return PL_OK;
}

/* A new folder, or an empty one; an existing job or anything else is refused. */
static int make_job_dir(const char *dir, pl_error *err)
{
    if (pl_job_dir_new(dir, pl_job_is_job(dir), "job", NULL, err) != PL_OK)
        return PL_EINPUT;
    char path[4096];
    snprintf(path, sizeof path, "%s/tasks", dir);
    if (mkdir(path, 0777) != 0 && errno != EEXIST)
        return pl_error_set(err, PL_EINPUT, "%s: cannot make the folder (%s)", path, strerror(errno));
    return PL_OK;
}

/* ---------- options.args: the parsed options, absolute paths, one per line ---------- */

/* An input spec with its file part made absolute (FILE[:LAYER]; PG: and /vsi left alone). */
static char *absolute_spec(const char *spec, int output)
{
    if (!spec || !*spec || spec[0] == '/' || strncmp(spec, "PG:", 3) == 0 || strncmp(spec, "/vsi", 4) == 0)
        return spec ? pl_strdup(spec) : NULL;
    char file[PATH_MAX], layer[512], real[PATH_MAX];
    pl_vector_split_spec(spec, file, sizeof file, layer, sizeof layer);
    char *abs = NULL;
    if (output) {
        char cwd[PATH_MAX];
        if (getcwd(cwd, sizeof cwd)) {
            size_t n = strlen(cwd) + strlen(spec) + 2;
            abs = pl_malloc(n);
            snprintf(abs, n, "%s/%s", cwd, spec);
        }
    } else if (realpath(file, real)) {
        size_t n = strlen(real) + strlen(layer) + 2;
        abs = pl_malloc(n);
        snprintf(abs, n, layer[0] ? "%s:%s" : "%s%s", real, layer);
    }
    return abs ? abs : pl_strdup(spec);
}

static void add_line(char **buf, size_t *len, size_t *cap, const char *name, const char *value)
{
    size_t need = strlen(name) + (value ? strlen(value) : 0) + 8;
    while (*len + need >= *cap) {
        *cap = *cap ? *cap * 2 : 1024;
        *buf = pl_realloc(*buf, *cap);
    }
    *len += (size_t)snprintf(*buf + *len, *cap - *len, value ? "--%s=%s\n" : "--%s\n", name, value);
}

/* Every option set in o, as --name=value lines that pl_options_parse reads back to the same o. */
static char *options_text(const pl_partition_opts *o, size_t *len)
{
    char *buf = NULL, num[64];
    size_t cap = 0;
    *len = 0;
    for (const pl_option *t = pl_partition_options; t->name; t++) {
        const char *field = (const char *)o + t->offset;
        switch (t->kind) {
        case PL_OPT_STRING: {
            const char *v = *(const char *const *)field;
            if (v)
                add_line(&buf, len, &cap, t->name, v);
            break;
        }
        case PL_OPT_INT:
            snprintf(num, sizeof num, "%d", *(const int *)field);
            add_line(&buf, len, &cap, t->name, num);
            break;
        case PL_OPT_DOUBLE:
            snprintf(num, sizeof num, "%.17g", *(const double *)field);
            add_line(&buf, len, &cap, t->name, num);
            break;
        case PL_OPT_FLAG:
            if (*(const int *)field)
                add_line(&buf, len, &cap, t->name, NULL);
            break;
        case PL_OPT_DOUBLES: {
            const pl_doubles *d = (const pl_doubles *)field;
            char list[PL_MAX_LIST * 26] = "";
            for (int i = 0; i < d->n; i++) {
                size_t used = strlen(list);
                snprintf(list + used, sizeof list - used, "%s%.17g", i ? "," : "", d->v[i]);
            }
            if (d->n)
                add_line(&buf, len, &cap, t->name, list);
            break;
        }
        case PL_OPT_STRINGS: {
            const pl_strings *s = (const pl_strings *)field;
            for (int i = 0; i < s->n; i++)
                add_line(&buf, len, &cap, t->name, s->v[i]);
            break;
        }
        }
    }
    return buf ? buf : pl_strdup("");
}

/* ---------- the plan ---------- */

typedef struct tile_of {
    char key[64];
    size_t unit;
} tile_of;

static int by_key(const void *a, const void *b)
{
    const tile_of *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : (x->unit > y->unit) - (x->unit < y->unit);
}

static double rect_distance(const double *r, double x, double y)
{
    double dx = x < r[0] ? r[0] - x : x > r[2] ? x - r[2] : 0;
    double dy = y < r[1] ? r[1] - y : y > r[3] ? y - r[3] : 0;
    return sqrt(dx * dx + dy * dy);
}

static void rect_add(double *r, double x, double y)
{
    if (x < r[0]) r[0] = x;
    if (y < r[1]) r[1] = y;
    if (x > r[2]) r[2] = x;
    if (y > r[3]) r[3] = y;
}

/* The tile of every reported unit (sorted by tile, then unit), n of them. */
static tile_of *tile_units(pl_ctx *ctx, const pl_partition_opts *o, int scheme, double grid_km,
                           const pl_access_inputs *in, size_t *n, pl_error *err)
{
    long *muni = pl_malloc((in->pop->n ? in->pop->n : 1) * sizeof *muni);
    pl_assign_municipalities(ctx, in->pop, in->munis, muni);
    tile_of *t = pl_malloc((in->pop->n ? in->pop->n : 1) * sizeof *t);
    const char *region = o->access.region;
    *n = 0;
    for (size_t c = 0; c < in->pop->n; c++) {
        const char *code = muni[c] >= 0 ? in->munis->code[muni[c]] : NULL;
        if (region && *region && !(code && strncmp(code, region, strlen(region)) == 0))
            continue;
        tile_of *u = &t[(*n)++];
        u->unit = c;
        if (scheme == 2)
            snprintf(u->key, sizeof u->key, "E%.0fN%.0f", floor(in->pop->x[c] / (grid_km * 1000)) * grid_km,
                     floor(in->pop->y[c] / (grid_km * 1000)) * grid_km);
        else
            snprintf(u->key, sizeof u->key, "%.*s", scheme == 0 ? 2 : 4, code ? code : "none");
    }
    free(muni);
    if (*n == 0) {
        free(t);
        pl_error_set(err, PL_EINPUT, "no population unit to partition%s", region && *region ? " in --region" : "");
        return NULL;
    }
    qsort(t, *n, sizeof *t, by_key);
    return t;
}

/* The tasks (one per tile) with their units; services go to the nearest tile's task. */
static int plan_tasks(pl_job *j, const pl_access_inputs *in, const tile_of *tu, size_t n, pl_error *err)
{
    long cap = 16;
    j->tasks = pl_calloc((size_t)cap, sizeof *j->tasks);
    char **ids = pl_malloc(n * sizeof *ids);
    int rc = PL_OK;
    for (size_t i = 0; i < n && rc == PL_OK;) {
        size_t k = i;
        if (j->n_tasks == cap) {
            cap *= 2;
            j->tasks = pl_realloc(j->tasks, (size_t)cap * sizeof *j->tasks);
        }
        pl_job_task *t = &j->tasks[j->n_tasks];
        memset(t, 0, sizeof *t);
        t->id = j->n_tasks;
        snprintf(t->tile, sizeof t->tile, "%s", tu[i].key);
        t->halo_km = j->opts.halo_km;
        t->rect[0] = t->rect[1] = INFINITY;
        t->rect[2] = t->rect[3] = -INFINITY;
        for (; k < n && strcmp(tu[k].key, tu[i].key) == 0; k++) {
            ids[k - i] = in->pop->id[tu[k].unit];
            rect_add(t->rect, in->pop->x[tu[k].unit], in->pop->y[tu[k].unit]);
        }
        t->n_units = (long)(k - i);
        rc = pl_job_write_ids(j, t->id, "units.txt", ids, k - i, err);
        j->n_tasks++;
        i = k;
    }
    /* Services: the task whose units' rectangle is nearest (the first of equals). */
    long *owner = pl_malloc((in->svc->n ? in->svc->n : 1) * sizeof *owner);
    for (size_t s = 0; s < in->svc->n; s++) {
        double best = INFINITY;
        owner[s] = 0;
        for (long t = 0; t < j->n_tasks; t++) {
            double d = rect_distance(j->tasks[t].rect, in->svc->x[s], in->svc->y[s]);
            if (d < best) {
                best = d;
                owner[s] = t;
            }
        }
    }
    char **sids = pl_malloc((in->svc->n ? in->svc->n : 1) * sizeof *sids);
    for (long t = 0; rc == PL_OK && t < j->n_tasks; t++) {
        size_t m = 0;
        for (size_t s = 0; s < in->svc->n; s++)
            if (owner[s] == t)
                sids[m++] = in->svc->id[s];
        j->tasks[t].n_services = (long)m;
        rc = pl_job_write_ids(j, t, "services.txt", sids, m, err);
    }
    free(sids);
    free(owner);
    free(ids);
    return rc;
}

/* Loads what the plan needs: service types, municipalities, population and services (no roads). */
static int load_light(pl_ctx *ctx, const pl_access_opts *a, pl_access_inputs *in, pl_error *err)
{
    pl_access_opts o = *a;
    o.skip_roads = 1;
    o.within_units = o.within_halo = NULL;
    return pl_access_load_inputs(ctx, &o, in, err);
}

static int partition(pl_ctx *ctx, const pl_partition_opts *o, const char *self_exe, FILE *out, pl_error *err)
{
    double grid_km = 0;
    int scheme = parse_tiles(o->tiles, &grid_km, err);
    if (scheme < 0 || check_supported(&o->access, err) != PL_OK)
        return err->code;
    const char *inputs[] = {o->access.population, o->access.services, o->access.roads, o->access.municipalities,
                            o->access.localities, NULL};
    const char *twins[] = {"access_municipalities_table", NULL};
    pl_gpkg_opts check = {.overwrite = o->access.overwrite, .csv = o->access.csv, .csv_style = o->access.csv_style,
                          .inputs = inputs};
    if (pl_gpkg_check_output(o->access.output, &check, twins, err) != PL_OK)
        return err->code;
    if (o->access.crs)
        snprintf(ctx->work_crs, sizeof ctx->work_crs, "%s", o->access.crs);
    pl_access_inputs in = {0};
    int rc = load_light(ctx, &o->access, &in, err);
    int types[PL_MAX_TYPES], n_types = 0;
    if (rc == PL_OK)  /* the types must resolve here, not in every task */
        rc = pl_access_resolve_types(&o->access, &in, types, &n_types, err);
    size_t n = 0;
    tile_of *tu = rc == PL_OK ? tile_units(ctx, o, scheme, grid_km, &in, &n, err) : NULL;
    if (rc == PL_OK && !tu)
        rc = err->code;
    if (rc == PL_OK)
        rc = make_job_dir(o->job_dir, err);
    pl_job j = {0};
    j.dir = (char *)o->job_dir;
    j.opts = *o;
    if (rc == PL_OK)
        rc = plan_tasks(&j, &in, tu, n, err);
    if (rc == PL_OK)
        rc = pl_job_write_plan(&j, err);
    if (rc == PL_OK)
        rc = pl_job_write_sbatch(&j, "array.sbatch", self_exe, 0, j.n_tasks - 1, err);
    if (rc == PL_OK) {
        size_t len;
        char *text = options_text(o, &len);
        /* The types as this whole-data run resolves them: a tile's services alone might lack one. */
        for (int t = 0; o->access.types.n == 0 && t < n_types; t++) {
            size_t cap = len + 1;
            add_line(&text, &len, &cap, "types", in.types->t[types[t]].key);
        }
        char path[4096];
        snprintf(path, sizeof path, "%s/options.args", o->job_dir);
        rc = pl_write_file_atomic(path, text, len, err);
        free(text);
    }
    if (rc == PL_OK)  /* last: a folder without it is no job */
        rc = pl_job_mark(o->job_dir, err);
    if (rc == PL_OK && out)
        fprintf(out, "platsa partition: %ld tasks (%s tiles), %zu units, halo %g km -> %s/array.sbatch; run "
                "sbatch --wait %s/array.sbatch (or platsa partition-run %s), then platsa merge %s\n", j.n_tasks,
                o->tiles, n, o->halo_km, o->job_dir, o->job_dir, o->job_dir, o->job_dir);
    free(j.tasks);
    free(tu);
    pl_access_free_inputs(ctx, &in);
    return rc;
}

int pl_partition_run(pl_ctx *ctx, const pl_partition_opts *o, const char *self_exe, FILE *out, pl_error *err)
{
    /* Absolute paths: the tasks may run in another folder, on another node. */
    pl_partition_opts a = *o;
    char *owned[8] = {NULL};
    const char **fields[] = {&a.access.population, &a.access.services, &a.access.roads, &a.access.municipalities,
                             &a.access.localities, &a.access.service_types_file, &a.access.output, &a.job_dir};
    for (int i = 0; i < 8; i++)
        if (*fields[i])
            *fields[i] = owned[i] = absolute_spec(*fields[i], i >= 6);
    int rc = partition(ctx, &a, self_exe, out, err);
    for (int i = 0; i < 8; i++)
        free(owned[i]);
    return rc;
}
