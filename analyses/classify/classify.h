/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Territorial classification after Tillväxtverket's urban–rural scheme by car travel time:
 *   1 tätort                        inside a tätort, or less than urban_min (5) minutes from a
 *                                   tätort of at least min_locality_pop (3,000) residents;
 *   2 tätortsnära landsbygd         urban_min to remote_min (45) minutes from such a tätort;
 *   3 landsbygd avlägset belägen    more than remote_min minutes away (or no road connection).
 * "Inside a tätort" means: inside its polygon when localities are polygons; with points
 * only (SCB's reference points), the unit that contains the point (polygon units), or whose
 * representative point lies within the circle of the tätort's area around the point when an
 * area field exists (SCB's `area`, hectares).
 *
 * By public transport (--mode transit, pl_classify_compute_transit): the same classes on the
 * median travel time over the departure window (analyses/common/transit.h: walk, bus or train,
 * walk; the large tätorter's points are the targets), and a fourth class,
 *   4 ingen förbindelse inom fönstret  no journey reaches such a tätort within --max-time in at
 *                                   least half the window's minutes (nor a walk within --max-walk);
 * a unit inside a tätort is class 1 whatever its journeys. */
#ifndef PLATSA_ANALYSES_CLASSIFY_H
#define PLATSA_ANALYSES_CLASSIFY_H

#include "gis/ctx.h"
#include "gis/graph.h"
#include "gis/options.h"
#include "layers/layers.h"
#include "analyses/common/transit.h"

enum { PL_CLASS_URBAN = 1, PL_CLASS_NEAR_URBAN_RURAL = 2, PL_CLASS_REMOTE_RURAL = 3, PL_N_CLASSES = 3,
       PL_CLASS_NO_CONNECTION = 4, PL_N_CLASSES_TRANSIT = 4 };

/* Swedish and English class names (index 1..4). */
const char *pl_class_name_sv(int cls);
const char *pl_class_name_en(int cls);

typedef struct pl_classify_params {
    double urban_min;          /* default 5 */
    double remote_min;         /* default 45 */
    double min_locality_pop;   /* default 3000 */
    double max_snap_m;
} pl_classify_params;

typedef struct pl_classify_result {
    size_t n_cells;
    uint8_t *cls;              /* per cell: 1..3 (car), 1..4 (transit) */
    double *time_min;          /* car time (transit: the window's median) to the nearest large tätort
                                  (INFINITY if unreachable) */
    long *locality;            /* index into localities of that tätort, -1 if none (or not known: transit) */
    uint8_t *inside_locality;  /* 1 if the unit is inside/at any tätort */
    double pop_by_class[PL_N_CLASSES_TRANSIT + 1];
    int transit;               /* 1: by public transport (class 4 exists, walk_min is set) */
    double *walk_min;          /* transit: walking-only time along the walk graph to the nearest large
                                  tätort, no limit (INFINITY: none) */
    uint32_t n_stops, n_stops_linked;
} pl_classify_result;

int pl_classify_compute(pl_ctx *ctx, const pl_population *pop, const pl_localities *loc, const pl_roads *roads,
                        const pl_graph *car_graph, const pl_classify_params *p, pl_classify_result **out,
                        pl_error *err);
/* By public transport: graph is the walk graph of roads, tt's stops projected; tp as
 * pl_transit_params_from_opts gives (pct[0] is the time classified, the median by default). */
int pl_classify_compute_transit(pl_ctx *ctx, const pl_population *pop, const pl_localities *loc,
                                const pl_roads *roads, const pl_graph *walk_graph, const pl_timetable *tt,
                                const pl_classify_params *p, const pl_transit_params *tp, pl_classify_result **out,
                                pl_error *err);
void pl_classify_result_free(pl_classify_result *r);

typedef struct pl_classify_opts {
    const char *population, *localities, *roads, *municipalities, *output;
    int overwrite, csv;
    const char *csv_style;    /* --csv-style: default | sv */
    double urban_min, remote_min, min_locality_pop, max_snap_m;
    const char *pop_field, *locality_pop_field, *crs, *assume_crs, *graph_cache;
    pl_road_fields road;
    const char *id_field;        /* the population units' id field; NULL = auto */
    const char *mode;            /* car | transit */
    pl_transit_opts transit;     /* --mode transit */
} pl_classify_opts;

extern const pl_option pl_classify_options[];
/* Zeroes o and sets the table's defaults (PL_OK; PL_EINTERNAL if a default does not parse). */
int pl_classify_opts_init(pl_classify_opts *o);
/* Frees the lists the options hold (after opts_init or parsing). */
void pl_classify_opts_free(pl_classify_opts *o);
extern const char pl_classify_usage[];
extern const char pl_classify_summary[];

/* Rules between options, checked right after parsing (before any input is read). */
int pl_classify_check_opts(const pl_classify_opts *o, pl_error *err);

int pl_classify_run(pl_ctx *ctx, const pl_classify_opts *o, const char *command_line, pl_error *err);

#endif
