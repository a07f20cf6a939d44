/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The stages of platsa scenario, shared by the single run (scenario_write.c) and a sweep's
 * tasks and merge (scenario_slice.c): open the file and inputs, the baseline, one scenario,
 * the output. Private to analyses/scenario. */
#ifndef PLATSA_ANALYSES_SCENARIO_RUN_H
#define PLATSA_ANALYSES_SCENARIO_RUN_H

#include "scenario.h"

/* One computed scenario. */
typedef struct pl_scen {
    const pl_scenario_def *def;
    pl_services *svc;              /* combined (shares strings with the loaded ones) */
    pl_services *added;            /* loaded additions (owned) */
    pl_population *pop;            /* combined */
    pl_population *added_pop;      /* loaded (owned) */
    pl_roads *roads;               /* changed roads (owned) or NULL */
    pl_graph *graph;               /* rebuilt graph or NULL */
    pl_access_result *r;
    size_t n_closed, n_added, n_added_units, n_roads_removed, n_roads_added;
    double added_residents;
    int full;                      /* 1: full re-run (roads changed) */
    double seconds;
    pl_scenario_work work;
    char layer[64];
} pl_scen;

typedef struct pl_scen_session {
    pl_scenario_file file;
    pl_access_inputs in;
    pl_graph_opts gopts;
    int types[PL_MAX_TYPES], n_types;
    pl_scenario_base *base;        /* a sweep's merge: only base->r, read from task 0 */
    double t_base;                 /* seconds of the baseline */
    pl_scen *sc;                   /* file.n_sc, layer names set for all */
} pl_scen_session;

/* Loads the file and the inputs (no roads nor graph when no_roads: a sweep's merge), checks
 * the output (unless output is NULL) and the graph cache, names every scenario's layer. */
int pl_scen_open(pl_ctx *ctx, const char *path, const pl_scenario_opts *o, int no_roads, pl_scen_session *S,
                 pl_error *err);
int pl_scen_baseline(pl_ctx *ctx, pl_scen_session *S, pl_error *err);
/* Scenario k: its inputs (closures, additions, housing), then, unless inputs_only, its access. */
int pl_scen_build(pl_ctx *ctx, pl_scen_session *S, size_t k, int inputs_only, pl_error *err);
/* The output; params (NULL-terminated name, value pairs) and extra_inputs (NULL-terminated,
 * hashed into the metadata) may be NULL. */
int pl_scen_write(pl_ctx *ctx, pl_scen_session *S, const pl_scenario_opts *o, const char *path,
                  const char *command_line, const char *const *params, const char *const *extra_inputs,
                  pl_error *err);
void pl_scen_free_one(pl_ctx *ctx, pl_scen *s);
void pl_scen_close(pl_ctx *ctx, pl_scen_session *S);

#endif
