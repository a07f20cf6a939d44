/* SPDX-License-Identifier: GPL-3.0-or-later */
/* platsa partition-task D ID: one tile's units against the roads and services of its halo,
 * and, for every unit and every service it answers for, whether the answer is proven to be
 * the one a single run over all the data gives (rerun = 0) or needs a wider halo (rerun = 1).
 *
 * The halo is a rectangle: the task's units' (and services') bounding box grown by the halo
 * width H plus GROW; every road and service meeting it is read whole (OGR spatial filter; no
 * line is clipped, lengths stay). Anything within H of a unit is inside.
 *
 * Proof, per answer (README "Partitioned runs (Slurm)"):
 *  - A path's length is at least the straight distance between its ends and the access legs
 *    are straight, so a path of length < H from a unit never leaves the halo; its roads, its
 *    junctions (a vertex within H + GROW - 1 m of the unit has every road through it read) and
 *    its service are all in the task, and a path found in the task is a path of the whole
 *    network. So a nearest (or second) distance < H is the global one.
 *  - Time: a path that leaves the halo covers at least H inside it, on the task's own roads
 *    and legs, so takes at least H / vmax, vmax the fastest arc or access leg of the task. A
 *    time < H / vmax is the global one.
 *  - Tighter, per unit (boundary_bounds): the distance and time along the task's roads to the
 *    nearest end of an edge reaching outside the inner rectangle; a leaving path passes one
 *    first, on edges the whole network has as they are. The larger bound of the two is used.
 *  - Attachment (gis/graph.h pl_graph_snap): a place goes to the nearest eligible edge, passing
 *    over fragments of fewer than min_component_nodes nodes when a larger component is within
 *    --max-snap. A component of the task that reaches within 2 m of the halo's edge ("open")
 *    may be larger in the whole network, so it counts as large here; a place attached is
 *    proven when its leg d is shorter than its distance b to the halo's edge (every edge
 *    within d is the task's) and its component has min_component_nodes nodes here (then
 *    everywhere), or is closed (the same component everywhere) and b > --max-snap.
 *  - A unit's answers are kept only when its own attachment is proven and no service whose
 *    attachment is not lies within the straight distance its second answers reach.
 *  - A task whose rectangle holds the whole extent of the roads and services reads them all:
 *    every answer is a single run's. */
#include "partition.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyses/common/fields.h"
#include "analyses/scenario/scenario.h"
#include "analyses/common/ids.h"
#include "gis/gpkg_writer.h"
#include "gis/util.h"
#include "gis/vector.h"

#define GROW 10.0   /* metres beyond H read too: vertices within the 0.5 m snap tolerance of a
                       road outside would join differently */
#define INNER 2.0   /* a component within this of the rectangle's edge may go on outside */

const char pl_partition_task_usage[] = "platsa partition-task JOB_DIR TASK_ID";
const char pl_partition_task_summary[] =
    "Runs one task of a platsa partition job (what D/array.sbatch runs for $SLURM_ARRAY_TASK_ID): the tile's\n"
    "units against the roads and services of its halo; writes D/tasks/NNNN/out.gpkg, then D/tasks/NNNN/done.";
#define THREADS_OPTION(type)                                                                               \
    {"threads", 0, PL_OPT_INT, offsetof(type, threads), "N", "0",                                             \
     "search threads of each task (e.g. Slurm's --cpus-per-task) [0: as platsa access, the online cores, at " \
     "most 2]", 0, PL_IN(0, 64)}
const pl_option pl_partition_task_options[] = {THREADS_OPTION(pl_partition_task_opts), PL_OPT_END};
int pl_partition_task_opts_init(pl_partition_task_opts *o)
{
    memset(o, 0, sizeof *o);
    return pl_options_defaults(pl_partition_task_options, o, NULL);
}
void pl_partition_task_opts_free(pl_partition_task_opts *o) { pl_options_free(pl_partition_task_options, o); }

/* --threads: the searches read PLATSA_THREADS (analyses/access/access.c). */
void pl_partition_set_threads(int threads)
{
    if (threads > 0) {
        char n[16];
        snprintf(n, sizeof n, "%d", threads);
        setenv("PLATSA_THREADS", n, 1);
    }
}

/* ---------- ids ---------- */

typedef struct id_set {
    char *text;      /* the file, lines NUL-terminated */
    char **id;       /* sorted by strcmp */
    size_t n;
} id_set;

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int id_set_read(const char *path, id_set *s, pl_error *err)
{
    memset(s, 0, sizeof *s);
    size_t len;
    s->text = pl_read_file(path, &len);
    if (!s->text)
        return pl_error_set(err, PL_EINPUT, "%s: cannot read the task's list; make the job again", path);
    size_t cap = 1;
    for (size_t i = 0; i < len; i++)
        cap += s->text[i] == '\n';
    s->id = pl_malloc(cap * sizeof *s->id);
    for (char *p = s->text; *p;) {
        char *nl = strchr(p, '\n');
        if (nl)
            *nl = '\0';
        s->id[s->n++] = p;
        if (!nl)
            break;
        p = nl + 1;
    }
    qsort(s->id, s->n, sizeof *s->id, cmp_str);
    return PL_OK;
}

static int id_set_has(const id_set *s, const char *id)
{
    return id && bsearch(&id, s->id, s->n, sizeof *s->id, cmp_str) != NULL;
}

static void id_set_free(id_set *s)
{
    free(s->text);
    free(s->id);
}

/* ---------- the halo ---------- */

static int rect_contains(const double *outer, const double *inner)
{
    return inner[0] >= outer[0] && inner[1] >= outer[1] && inner[2] <= outer[2] && inner[3] <= outer[3];
}

/* Extent of a layer in the working CRS; features meeting `within` counted in *n (within may be NULL). */
static int layer_extent(pl_ctx *ctx, const char *spec, const char *assume_crs, const double *within, double *ext,
                        long long *n, pl_error *err)
{
    pl_vector_opts vo = {.assume_crs = assume_crs, .role = "halo"};
    pl_vector *v = pl_vector_open(ctx, spec, &vo, err);
    if (!v)
        return err->code;
    OGREnvelope e;
    int rc = PL_OK;
    if (OGR_L_GetExtent(v->layer, &e, TRUE) != OGRERR_NONE) {
        ext[0] = ext[1] = -INFINITY;  /* unknown: never inside */
        ext[2] = ext[3] = INFINITY;
    } else if (v->to_work) {
        if (!OCTTransformBounds(v->to_work, e.MinX, e.MinY, e.MaxX, e.MaxY, &ext[0], &ext[1], &ext[2], &ext[3], 21))
            ext[0] = ext[1] = -INFINITY, ext[2] = ext[3] = INFINITY;
    } else {
        ext[0] = e.MinX, ext[1] = e.MinY, ext[2] = e.MaxX, ext[3] = e.MaxY;
    }
    pl_vector_close(v);
    if (within) {
        vo.within = within;
        v = pl_vector_open(ctx, spec, &vo, err);
        if (!v)
            return err->code;
        *n = OGR_L_GetFeatureCount(v->layer, TRUE);
        pl_vector_close(v);
    }
    return rc;
}

/* Distance from (x, y) to the edge of rectangle r, 0 outside it. */
static double inside_by(const double *r, double x, double y)
{
    double b = x - r[0];
    if (r[2] - x < b) b = r[2] - x;
    if (y - r[1] < b) b = y - r[1];
    if (r[3] - y < b) b = r[3] - y;
    return b > 0 ? b : 0;
}

typedef struct halo {
    double rect[4], inner[4];
    double bound_m, bound_s;   /* answers below these are proven */
    double vmax;               /* m/s: the fastest arc or access leg */
    double max_snap_m;
    uint32_t min_nodes;
    int complete;              /* every road and service read: nothing to prove */
    double svc_rect[4];        /* services: the rectangle grown by --max-service-snap */
    uint8_t *open;             /* per component */
    uint8_t *edge_out;         /* per edge: a vertex outside the inner rectangle */
    uint32_t *nodes;           /* per component, as built (before open ones count as large) */
} halo;

/* Open components (a vertex within INNER of the edge) count as large for the attachment. */
static void mark_components(const pl_graph *g, const pl_roads *roads, halo *h)
{
    h->open = pl_calloc(g->n_components ? g->n_components : 1, 1);
    h->nodes = pl_malloc((g->n_components ? g->n_components : 1) * sizeof *h->nodes);
    memcpy(h->nodes, g->component_nodes, g->n_components * sizeof *h->nodes);
    h->edge_out = pl_calloc(g->n_edges ? g->n_edges : 1, 1);
    for (uint32_t e = 0; e < g->n_edges; e++) {
        for (uint32_t v = g->edge_v0[e]; v <= g->edge_v1[e] && v < roads->first_vertex[roads->n]; v++)
            if (inside_by(h->inner, roads->vx[v], roads->vy[v]) <= 0) {
                h->edge_out[e] = 1;
                break;
            }
        if (h->edge_out[e])
            h->open[g->component[g->edge_a[e]]] = 1;
    }
    for (uint32_t c = 0; c < g->n_components; c++)
        if (h->open[c] && g->component_nodes[c] < h->min_nodes)
            g->component_nodes[c] = h->min_nodes;
    double v = pl_mode_access_speed_kmh(g->mode) / 3.6;
    for (uint32_t a = 0; a < g->n_arcs; a++) {
        double s = g->arc_time_s[a] > 0 ? g->arc_len_m[a] / g->arc_time_s[a] : INFINITY;
        if (s > v)
            v = s;
    }
    h->vmax = v * 1.000001;  /* float rounding of the arcs' lengths and times */
    h->bound_s = h->bound_m / h->vmax;
}

/* Whether a place's attachment is the one the whole network gives (see the top). */
static int snap_proven(const pl_graph *g, const halo *h, const pl_snap *s, double x, double y)
{
    if (h->complete)
        return 1;
    double b = inside_by(h->inner, x, y);
    if (s->status == PL_SNAP_NONE)
        return isfinite(s->access_m) && s->access_m + h->max_snap_m < b;
    if (s->edge >= g->n_edges || !((double)s->access_m < b))
        return 0;
    uint32_t c = g->component[g->edge_a[s->edge]];
    return h->nodes[c] >= h->min_nodes || (!h->open[c] && b > h->max_snap_m);
}

/* ---------- the answers ---------- */

typedef struct task_ctx {
    pl_job *job;
    const pl_job_task *t;
    pl_access_opts a;
    pl_access_inputs in;
    pl_access_result *r;
    halo h;
    uint8_t *unit_rerun, *svc_proven;
    id_set units, services;
} task_ctx;

/* Per unit, along the task's roads: the distance and the time to the nearest end of an edge
 * that reaches outside the inner rectangle. A path of the whole network that leaves the task
 * passes such an end first, on edges inside the rectangle, which the task has as they are
 * everywhere (every junction on them is the task's); so it is at least that long. Far tighter
 * than H / vmax where the fast roads are few. A unit on such an edge itself gets 0 (its edge
 * may end sooner outside). */
static int boundary_bounds(task_ctx *T, double *bd, double *bt, pl_error *err)
{
    const pl_graph *g = T->in.graph;
    const pl_access_result *r = T->r;
    uint8_t *mark = pl_calloc(g->n_nodes ? g->n_nodes : 1, 1);
    uint32_t n_src = 0;
    for (uint32_t e = 0; e < g->n_edges; e++)
        if (T->h.edge_out[e]) {
            n_src += !mark[g->edge_a[e]] + (g->edge_b[e] != g->edge_a[e] && !mark[g->edge_b[e]]);
            mark[g->edge_a[e]] = mark[g->edge_b[e]] = 1;
        }
    pl_snap *src = pl_calloc(n_src ? n_src : 1, sizeof *src);
    uint32_t k = 0;
    for (uint32_t v = 0; v < g->n_nodes; v++)
        if (mark[v]) {
            pl_snap *s = &src[k++];
            s->node_a = s->node_b = v;
            s->to_a = s->to_b = s->from_a = s->from_b = 1;
            s->edge = s->road = UINT32_MAX;  /* a node, on no edge of its own */
            s->status = PL_SNAP_OK;
        }
    free(mark);
    pl_label *lab = pl_malloc((r->n_cells ? r->n_cells : 1) * sizeof *lab);
    int rc = PL_OK;
    for (int m = 0; rc == PL_OK && m < 2; m++) {
        pl_search_opts so = {.metric = m ? PL_METRIC_TIME : PL_METRIC_DISTANCE, .k = 1, .cutoff = INFINITY};
        if (n_src)
            rc = pl_graph_nearest_k(NULL, g, src, n_src, r->cell_snap, r->n_cells, &so, lab, err);
        for (size_t c = 0; rc == PL_OK && c < r->n_cells; c++) {
            const pl_snap *sn = &r->cell_snap[c];
            double v = !n_src ? INFINITY : m ? lab[c].time_s : lab[c].dist_m;
            if (sn->status == PL_SNAP_NONE || sn->edge >= g->n_edges || T->h.edge_out[sn->edge])
                v = 0;
            (m ? bt : bd)[c] = v * (1 - 1e-9);  /* the sums' rounding */
        }
    }
    free(lab);
    free(src);
    return rc;
}

/* Units whose answers are not proven. */
static int check_units(task_ctx *T, pl_error *err)
{
    const pl_access_result *r = T->r;
    const pl_population *pop = T->in.pop;
    const pl_services *svc = T->in.svc;
    /* Services attached but not proven: they may stand elsewhere in the whole network. */
    size_t n_doubt = 0;
    size_t *doubt = pl_malloc((svc->n ? svc->n : 1) * sizeof *doubt);
    for (size_t s = 0; s < svc->n; s++) {
        T->svc_proven[s] = (uint8_t)snap_proven(T->in.graph, &T->h, &r->svc_snap[s], svc->x[s], svc->y[s]);
        if (!T->svc_proven[s] && r->svc_snap[s].status != PL_SNAP_NONE)
            doubt[n_doubt++] = s;
    }
    double *bd = pl_malloc((pop->n ? pop->n : 1) * sizeof *bd), *bt = pl_malloc((pop->n ? pop->n : 1) * sizeof *bt);
    int rc = T->h.complete ? PL_OK : boundary_bounds(T, bd, bt, err);
    for (size_t c = 0; rc == PL_OK && c < pop->n; c++) {
        if (!r->cell_in_region[c] || T->h.complete)
            continue;
        int bad = !snap_proven(T->in.graph, &T->h, &r->cell_snap[c], pop->x[c], pop->y[c]);
        double reach = 0;
        /* Either bound holds for every path that leaves: the larger one. */
        double bm = bd[c] > T->h.bound_m ? bd[c] : T->h.bound_m, bs = bt[c] > T->h.bound_s ? bt[c] : T->h.bound_s;
        for (int t = 0; !bad && t < r->n_types; t++) {
            const pl_label *d = &r->types[t].by_dist[c * 2], *tm = &r->types[t].by_time[c * 2];
            bad = !(d[0].dist_m < bm && d[1].dist_m < bm && tm[0].time_s < bs && tm[1].time_s < bs);
            if (d[1].dist_m > reach)
                reach = d[1].dist_m;
            if (tm[1].time_s * T->h.vmax > reach)
                reach = tm[1].time_s * T->h.vmax;
        }
        for (size_t k = 0; !bad && !T->h.complete && k < n_doubt; k++)
            bad = hypot(svc->x[doubt[k]] - pop->x[c], svc->y[doubt[k]] - pop->y[c]) <= reach + 1;
        T->unit_rerun[c] = (uint8_t)bad;
    }
    free(doubt);
    free(bd);
    free(bt);
    return rc;
}

/* ---------- out.gpkg ---------- */

static const char *const LABEL[4] = {"d0", "d1", "t0", "t1"};

static int write_cells(task_ctx *T, pl_gpkg *g, pl_error *err)
{
    const pl_access_result *r = T->r;
    pl_field_list fl = {0};
    pl_fields_add(&fl, "cell_id", PL_FIELD_TEXT, NULL, "population unit id");
    pl_fields_add(&fl, "status", PL_FIELD_INT, NULL, "pl_snap_status");
    pl_fields_add(&fl, "access_m", PL_FIELD_REAL, NULL, "access leg, metres (unrounded)");
    pl_fields_add(&fl, "rerun", PL_FIELD_INT, NULL, "1: not proven in this halo");
    char name[128];
    for (int t = 0; t < r->n_types; t++)
        for (int k = 0; k < 4; k++) {
            const char *key = T->in.types->t[r->types[t].type].key;
            snprintf(name, sizeof name, "%s_%s_src", key, LABEL[k]);
            pl_fields_add(&fl, name, PL_FIELD_TEXT, NULL, NULL);
            snprintf(name, sizeof name, "%s_%s_m", key, LABEL[k]);
            pl_fields_add(&fl, name, PL_FIELD_REAL, NULL, NULL);
            snprintf(name, sizeof name, "%s_%s_s", key, LABEL[k]);
            pl_fields_add(&fl, name, PL_FIELD_REAL, NULL, NULL);
        }
    pl_gpkg_layer *l = pl_gpkg_layer_add(g, "task_cells", 100, "platsa partition task: units", fl.defs, fl.n, NULL,
                                         err);
    int rc = l ? PL_OK : PL_EINTERNAL;
    for (size_t c = 0; rc == PL_OK && c < r->n_cells; c++) {
        if (!r->cell_in_region[c])
            continue;
        pl_gpkg_row_begin(l);
        pl_gpkg_set_text(l, 0, T->in.pop->id[c]);
        pl_gpkg_set_int(l, 1, r->cell_snap[c].status);
        pl_gpkg_set_real(l, 2, isfinite(r->cell_snap[c].access_m) ? r->cell_snap[c].access_m : NAN);
        pl_gpkg_set_int(l, 3, T->unit_rerun[c]);
        int f = 4;
        for (int t = 0; t < r->n_types; t++) {
            const pl_access_type *at = &r->types[t];
            const pl_label *lab[4] = {&at->by_dist[c * 2], &at->by_dist[c * 2 + 1], &at->by_time[c * 2],
                                      &at->by_time[c * 2 + 1]};
            for (int k = 0; k < 4; k++, f += 3) {
                if (lab[k]->source == UINT32_MAX)
                    continue;
                pl_gpkg_set_text(l, f, T->in.svc->id[at->service_index[lab[k]->source]]);
                pl_gpkg_set_real(l, f + 1, lab[k]->dist_m);
                pl_gpkg_set_real(l, f + 2, lab[k]->time_s);
            }
        }
        rc = pl_gpkg_row_end(l, err);
    }
    pl_fields_free(&fl);
    return rc;
}

static int write_services(task_ctx *T, pl_gpkg *g, pl_error *err)
{
    static const pl_field_def defs[] = {
        {"service_id", PL_FIELD_TEXT, NULL, NULL},
        {"status", PL_FIELD_INT, NULL, NULL},
        {"access_m", PL_FIELD_REAL, NULL, NULL},
        {"rerun", PL_FIELD_INT, NULL, NULL},
    };
    pl_gpkg_layer *l = pl_gpkg_layer_add(g, "task_services", 100, "platsa partition task: services", defs, 4, NULL,
                                         err);
    int rc = l ? PL_OK : PL_EINTERNAL;
    /* Each listed service: its attachment here, or rerun when it is not in the halo at all. */
    const pl_services *svc = T->in.svc;
    uint8_t *seen = pl_calloc(T->services.n ? T->services.n : 1, 1);
    for (size_t s = 0; rc == PL_OK && s < svc->n; s++) {
        char **hit = bsearch(&svc->id[s], T->services.id, T->services.n, sizeof *T->services.id, cmp_str);
        if (!hit || seen[hit - T->services.id])
            continue;
        seen[hit - T->services.id] = 1;
        const pl_snap *sn = &T->r->svc_snap[s];
        pl_gpkg_row_begin(l);
        pl_gpkg_set_text(l, 0, svc->id[s]);
        pl_gpkg_set_int(l, 1, sn->status);
        pl_gpkg_set_real(l, 2, isfinite(sn->access_m) ? sn->access_m : NAN);
        pl_gpkg_set_int(l, 3, !T->svc_proven[s]);
        rc = pl_gpkg_row_end(l, err);
    }
    for (size_t i = 0; rc == PL_OK && i < T->services.n; i++) {
        if (seen[i])
            continue;
        pl_gpkg_row_begin(l);
        pl_gpkg_set_text(l, 0, T->services.id[i]);
        pl_gpkg_set_int(l, 3, 1);
        rc = pl_gpkg_row_end(l, err);
    }
    free(seen);
    return rc;
}

static int write_output(pl_ctx *ctx, task_ctx *T, pl_error *err)
{
    char path[4096], value[256];
    pl_job_task_path(T->job, T->t->id, "out.gpkg", path, sizeof path);
    /* No input hashes here: every task would read the whole input files again to hash them;
     * the merged output lists the inputs with their hashes once, and each task's output (its
     * rectangle and counts in its parameters) with its own. */
    pl_gpkg_opts go = {.overwrite = 1, .command_line = "platsa partition-task"};
    pl_gpkg *g = pl_gpkg_create(ctx, path, &go, err);
    if (!g)
        return err->code;
    pl_gpkg_add_parameter(g, "analysis", "partition-task");
    pl_gpkg_add_parameter(g, "tile", T->t->tile);
    snprintf(value, sizeof value, "%ld", T->t->id);
    pl_gpkg_add_parameter(g, "task", value);
    snprintf(value, sizeof value, "%.17g", T->t->halo_km);
    pl_gpkg_add_parameter(g, "halo_km", value);
    snprintf(value, sizeof value, "%.3f %.3f %.3f %.3f", T->h.rect[0], T->h.rect[1], T->h.rect[2], T->h.rect[3]);
    pl_gpkg_add_parameter(g, "halo_rect", T->h.complete ? "all" : value);
    snprintf(value, sizeof value, "%zu roads, %zu services", T->in.roads ? T->in.roads->n : 0, T->in.svc->n);
    pl_gpkg_add_parameter(g, "read", value);
    pl_gpkg_add_parameter(g, "population", T->a.population);
    pl_gpkg_add_parameter(g, "services", T->a.services);
    pl_gpkg_add_parameter(g, "roads", T->a.roads);
    pl_gpkg_add_parameter(g, "municipalities", T->a.municipalities);
    int rc = write_cells(T, g, err);
    if (rc == PL_OK)
        rc = write_services(T, g, err);
    if (rc != PL_OK) {
        pl_gpkg_abort(g);
        return rc;
    }
    return pl_gpkg_commit(g, err);
}

/* ---------- the task ---------- */

static int setup_halo(pl_ctx *ctx, task_ctx *T, int *empty, pl_error *err)
{
    double H = T->t->halo_km * 1000;
    halo *h = &T->h;
    /* halo_km 0: a rerun over all the data (platsa merge --whole-above): read everything. */
    if (T->t->halo_km == 0) {
        h->rect[0] = h->rect[1] = h->svc_rect[0] = h->svc_rect[1] = -INFINITY;
        h->rect[2] = h->rect[3] = h->svc_rect[2] = h->svc_rect[3] = INFINITY;
        memcpy(h->inner, h->rect, sizeof h->inner);
        h->bound_m = INFINITY;
        h->max_snap_m = T->a.max_snap_m;
        h->complete = 1;
        *empty = 0;
        return PL_OK;
    }
    for (int i = 0; i < 2; i++) {
        h->rect[i] = T->t->rect[i] - H - GROW;
        h->rect[i + 2] = T->t->rect[i + 2] + H + GROW;
        h->inner[i] = h->rect[i] + INNER;
        h->inner[i + 2] = h->rect[i + 2] - INNER;
        /* A service farther out cannot attach to a road of the rectangle (--max-service-snap). */
        h->svc_rect[i] = h->rect[i] - T->a.max_service_snap_m;
        h->svc_rect[i + 2] = h->rect[i + 2] + T->a.max_service_snap_m;
    }
    h->bound_m = H * (1 - 1e-9);
    h->max_snap_m = T->a.max_snap_m;
    pl_snap_opts so;
    pl_snap_opts_default(&so);
    h->min_nodes = so.min_component_nodes;
    double ext_roads[4], ext_svc[4];
    long long n_roads = 0, n_svc = 0;
    int rc = layer_extent(ctx, T->a.roads, T->a.assume_crs, h->rect, ext_roads, &n_roads, err);
    if (rc == PL_OK)
        rc = layer_extent(ctx, T->a.services, T->a.assume_crs, h->svc_rect, ext_svc, &n_svc, err);
    if (rc != PL_OK)
        return rc;
    /* Inside means inside the inner rectangle too: then no component is open either. */
    h->complete = rect_contains(h->inner, ext_roads) && rect_contains(h->inner, ext_svc);
    /* Nothing to search in this halo: every unit waits for a wider one. */
    *empty = !h->complete && (n_roads == 0 || n_svc == 0);
    return PL_OK;
}

static int task_run(pl_ctx *ctx, task_ctx *T, pl_error *err)
{
    char path[4096];
    pl_job_task_path(T->job, T->t->id, "units.txt", path, sizeof path);
    int rc = id_set_read(path, &T->units, err);
    pl_job_task_path(T->job, T->t->id, "services.txt", path, sizeof path);
    if (rc == PL_OK)
        rc = id_set_read(path, &T->services, err);
    if (rc != PL_OK)
        return rc;
    if (T->a.crs)
        snprintf(ctx->work_crs, sizeof ctx->work_crs, "%s", T->a.crs);
    int empty = 0;
    rc = setup_halo(ctx, T, &empty, err);
    if (rc != PL_OK)
        return rc;
    double units_rect[4] = {T->t->rect[0] - 1, T->t->rect[1] - 1, T->t->rect[2] + 1, T->t->rect[3] + 1};
    /* A rerun of services only still reads some units (a loader refuses an empty layer). */
    T->a.within_units = T->units.n ? units_rect : T->h.complete ? NULL : T->h.rect;
    T->a.within_halo = T->h.complete ? NULL : T->h.rect;
    T->a.within_services = T->h.complete ? NULL : T->h.svc_rect;
    if (empty)  /* no road or no service: read the units only, all of them to rerun */
        T->a.skip_roads = 1;
    pl_graph_opts gopts;
    pl_graph_opts_default(&gopts);
    pl_mode mode = PL_MODE_CAR;
    if (T->a.mode)
        pl_mode_from_name(T->a.mode, &mode);
    gopts.mode = mode;
    if (empty) {
        pl_access_opts light = T->a;
        light.within_halo = light.within_services = NULL;  /* services: all (only their ids are looked at) */
        rc = pl_access_load_inputs(ctx, &light, &T->in, err);
    } else {
        rc = pl_access_load_inputs_graph(ctx, &T->a, &gopts, &T->in, err);
    }
    if (rc != PL_OK)
        return rc;
    int types[PL_MAX_TYPES], n_types = 0;
    rc = pl_access_resolve_types(&T->a, &T->in, types, &n_types, err);
    if (rc != PL_OK)
        return rc;
    uint8_t *mask = pl_calloc(T->in.pop->n ? T->in.pop->n : 1, 1);
    size_t found = 0;
    for (size_t c = 0; c < T->in.pop->n; c++)
        found += mask[c] = (uint8_t)id_set_has(&T->units, T->in.pop->id[c]);
    if (found != T->units.n) {
        free(mask);
        return pl_error_set(err, PL_EINTERNAL, "task %ld: %zu of its %zu units were not read in their rectangle",
                            T->t->id, T->units.n - found, T->units.n);
    }
    if (T->in.graph)
        mark_components(T->in.graph, T->in.roads, &T->h);
    pl_access_params p = {.types = types, .n_types = n_types, .mode = mode, .within_km = T->a.within_km,
                          .region = NULL, .max_snap_m = T->a.max_snap_m,
                          .max_service_snap_m = T->a.max_service_snap_m, .bands_km = &T->a.bands_km,
                          .bands_min = &T->a.bands_min, .cell_mask = mask};
    if (T->in.graph)
        rc = pl_access_compute(ctx, T->in.pop, T->in.svc, T->in.types, T->in.munis, T->in.roads, T->in.graph, &p,
                               &T->r, err);
    else if ((rc = pl_access_prepare(ctx, T->in.pop, T->in.svc, T->in.types, T->in.munis, NULL, NULL, &p, &T->r,
                                     err)) == PL_OK)
        pl_access_labels_unreachable(T->r);
    free(mask);
    if (rc != PL_OK)
        return rc;
    T->unit_rerun = pl_calloc(T->in.pop->n ? T->in.pop->n : 1, 1);
    T->svc_proven = pl_calloc(T->in.svc->n ? T->in.svc->n : 1, 1);
    if (T->in.graph)
        rc = check_units(T, err);
    else
        memset(T->unit_rerun, 1, T->in.pop->n);
    if (rc != PL_OK)
        return rc;
    rc = write_output(ctx, T, err);
    pl_job_task_path(T->job, T->t->id, "done", path, sizeof path);
    if (rc == PL_OK)
        rc = pl_write_file_atomic(path, "done\n", 5, err);
    long n_rerun = 0;
    for (size_t c = 0; c < T->in.pop->n; c++)
        n_rerun += T->unit_rerun[c];
    if (rc == PL_OK)
        pl_info(ctx, "platsa partition-task %ld (%s, halo %g km%s): %zu units, %ld to rerun; %zu roads, %zu services "
                "read", T->t->id, T->t->tile, T->t->halo_km, T->h.complete ? ", all the data" : "", found, n_rerun,
                T->in.roads ? T->in.roads->n : 0, T->in.svc->n);
    return rc;
}

int pl_partition_task_run(pl_ctx *ctx, const char *job_dir, long task, pl_error *err)
{
    if (pl_sweep_is_job(job_dir))  /* a scenario sweep's task (analyses/scenario/scenario_slice.c) */
        return pl_sweep_task_run(ctx, job_dir, task, err);
    task_ctx T = {0};
    int rc = pl_job_open(job_dir, &T.job, err);
    if (rc != PL_OK)
        return rc;
    if (task < 0 || task >= T.job->n_tasks) {
        rc = pl_error_set(err, PL_EINPUT, "task %ld: the job %s has tasks 0 to %ld", task, job_dir,
                          T.job->n_tasks - 1);
    } else {
        T.t = &T.job->tasks[task];
        T.a = T.job->opts.access;
        char path[4096];
        pl_job_task_path(T.job, task, "done", path, sizeof path);
        unlink(path);  /* a task run again is not done until it has written again */
        rc = task_run(ctx, &T, err);
    }
    pl_access_result_free(T.r);
    pl_access_free_inputs(ctx, &T.in);
    free(T.unit_rerun);
    free(T.svc_proven);
    free(T.h.open);
    free(T.h.edge_out);
    free(T.h.nodes);
    id_set_free(&T.units);
    id_set_free(&T.services);
    pl_job_free(T.job);
    return rc;
}

/* ---------- platsa partition-run ---------- */

const char pl_partition_run_usage[] = "platsa partition-run JOB_DIR";
const char pl_partition_run_summary[] =
    "Runs every task of a platsa partition job that has no done file yet, one after another on this machine\n"
    "(the same work as sbatch --wait D/array.sbatch, or D/rerun.sbatch after a merge that asked for reruns).";
const pl_option pl_partition_run_options[] = {THREADS_OPTION(pl_partition_run_opts), PL_OPT_END};
int pl_partition_run_opts_init(pl_partition_run_opts *o)
{
    memset(o, 0, sizeof *o);
    return pl_options_defaults(pl_partition_run_options, o, NULL);
}
void pl_partition_run_opts_free(pl_partition_run_opts *o) { pl_options_free(pl_partition_run_options, o); }

int pl_partition_run_all(pl_ctx *ctx, const char *job_dir, FILE *out, pl_error *err)
{
    if (pl_sweep_is_job(job_dir))
        return pl_sweep_run_all(ctx, job_dir, out, err);
    pl_job *j = NULL;
    int rc = pl_job_open(job_dir, &j, err);
    if (rc != PL_OK)
        return rc;
    long n_run = 0;
    for (long t = 0; rc == PL_OK && t < j->n_tasks; t++) {
        char path[4096];
        pl_job_task_path(j, t, "done", path, sizeof path);
        if (access(path, F_OK) == 0)
            continue;
        double t0 = pl_now_s();
        rc = pl_partition_task_run(ctx, job_dir, t, err);
        if (rc == PL_OK && out)
            fprintf(out, "task %ld (%s, halo %g km): %.2f s\n", t, j->tasks[t].tile, j->tasks[t].halo_km,
                    pl_now_s() - t0);
        n_run++;
    }
    if (rc == PL_OK && out)
        fprintf(out, "platsa partition-run: %ld task%s run; now platsa merge %s\n", n_run, n_run == 1 ? "" : "s",
                job_dir);
    pl_job_free(j);
    return rc;
}
