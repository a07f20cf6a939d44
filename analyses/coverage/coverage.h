/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Service-hub coverage and optimal new hubs (platsa coverage).
 *
 * Coverage: a population unit is covered when its nearest hub (existing service point) is
 * within the threshold (--km along the roads, or --min travel time), the same measure as
 * `platsa access`. Uncovered units are reported per municipality and gathered into
 * clusters: units whose representative points lie within --cluster-m of each other
 * (straight line, transitively: single-linkage), so a cluster is a connected patch of
 * uncovered settlement.
 *
 * New hubs (--add N, --target-share S): candidate sites (a points layer, tätorter, or
 * graph nodes sampled on a grid) each cover the uncovered units within the threshold of
 * them. Coverage sets come from one bounded search per candidate over the reverse graph
 * (the resident travels to the hub), pruned by a lower bound: one multi-source search
 * from all uncovered units gives every node its distance from the nearest uncovered unit,
 * h(v); a node with h(v) + d(v -> candidate) > threshold can lead to no coverable unit.
 * The labels are the ones pl_graph_nearest_k would give with the candidate as a source.
 * Units with identical covering-candidate sets are merged into one row (weight = their
 * population) and candidates with identical sets are merged into one column.
 *
 * Maximal covering (MCLP, existing hubs fixed): choose N candidates covering the most
 * uncovered population. Lazy greedy (guarantee 1 - 1/e) always; then exact with COIN-OR
 * CBC (branch and cut, the greedy solution as the first incumbent) within --time-limit.
 * Set covering: the fewest new hubs that bring the covered share to the target, greedy
 * then CBC. An answer CBC did not prove optimal comes with a bound and the gap to it: the
 * size of an instance says little about how hard it is (GLPK ran out 60 s on instances
 * CBC proves in a second), so the time limit decides, not a size check. */
#ifndef PLATSA_ANALYSES_COVERAGE_H
#define PLATSA_ANALYSES_COVERAGE_H

#include "analyses/access/access.h"
#include "analyses/common/transit.h"

/* ---------- the combinatorial problem (tests call these directly) ---------- */

/* Candidates (columns) x rows (merged units, weight = population): column j covers rows
 * rows[begin[j] .. begin[j+1]-1] (ascending). */
typedef struct pl_cover_instance {
    uint32_t n_cand, n_rows;
    double *weight;               /* n_rows */
    uint64_t *begin;              /* n_cand + 1 */
    uint32_t *rows;
} pl_cover_instance;

typedef struct pl_cover_solution {
    uint32_t n;                   /* chosen columns */
    uint32_t *chosen;             /* in selection order (greedy) or ranked by marginal gain (exact) */
    double *marginal;             /* weight each adds given the ones before it */
    double value;                 /* total weight covered */
    int status;                   /* PL_COVER_* */
    double bound;                 /* upper bound on the optimum (MCLP) or lower bound on the count (set cover) */
    double seconds;
} pl_cover_solution;

enum {
    PL_COVER_HEURISTIC = 0,       /* greedy */
    PL_COVER_OPTIMAL = 1,         /* proven optimal by CBC */
    PL_COVER_TIME_LIMIT = 2,      /* CBC stopped at the time limit: best found (at worst the warm
                                     start), bound from the tree (NAN for MCLP when CBC had none) */
    PL_COVER_INFEASIBLE = 3       /* set cover: the target cannot be reached with every candidate */
};

/* Lazy greedy for max coverage with at most n_pick columns (stops early when nothing more
 * can be covered). Ties: lower column index. */
void pl_mclp_greedy(const pl_cover_instance *I, uint32_t n_pick, pl_cover_solution *out);
/* Upper bound on the optimum from submodularity, given a solution S:
 * f(S) + sum of the n_pick largest marginal gains with respect to S. */
double pl_mclp_online_bound(const pl_cover_instance *I, uint32_t n_pick, const pl_cover_solution *S);
/* Exact MCLP with CBC (binary x_j, y_i <= sum x_j, sum x_j <= n_pick, max sum w_i y_i).
 * warm (may be NULL) is offered as the first incumbent. time_limit_s <= 0: none.
 * PL_EINPUT when the instance has more non-zeros than CBC's int indices. */
int pl_mclp_exact(const pl_cover_instance *I, uint32_t n_pick, const pl_cover_solution *warm, double time_limit_s,
                  pl_cover_solution *out, pl_error *err);

/* LP relaxation optimum of the MCLP (an upper bound), with CLP; NAN when CLP does not prove it
 * within the time limit (<= 0: none). Not used by platsa coverage (CBC's bound is at least as
 * tight); bench/bench_stores --lp reports it. */
double pl_mclp_lp_bound(const pl_cover_instance *I, uint32_t n_pick, double time_limit_s);

/* Set covering: fewest columns whose rows weigh at least `need`. Greedy adds the largest
 * marginal gain until reached (status INFEASIBLE and every useful column when it cannot be). */
void pl_setcover_greedy(const pl_cover_instance *I, double need, pl_cover_solution *out);
/* Exact set covering with CBC; bound: a lower bound on the count (the optimum when proven;
 * otherwise the better of CBC's and pl_setcover_lower_bound). */
int pl_setcover_exact(const pl_cover_instance *I, double need, const pl_cover_solution *warm, double time_limit_s,
                      pl_cover_solution *out, pl_error *err);
/* Lower bound on the number of columns reaching need, without a solver: the fewest columns
 * whose own weights (heaviest first) add up to need. */
double pl_setcover_lower_bound(const pl_cover_instance *I, double need);

void pl_cover_solution_free(pl_cover_solution *s);
void pl_cover_instance_free(pl_cover_instance *I);
/* Weight covered by a set of columns. */
double pl_cover_value(const pl_cover_instance *I, const uint32_t *cols, uint32_t n);

/* ---------- coverage on the road graph ---------- */

typedef struct pl_coverage_opts {
    pl_access_opts base;          /* population, services (hubs), roads, municipalities, output, mode, region... */
    double km, min;               /* threshold: exactly one > 0 */
    const char *candidates;       /* FILE[:LAYER], localities:FILE[:LAYER], or "roads" */
    double candidate_spacing;     /* roads: one node per square of this side (m) */
    const char *fixed_type;       /* hubs file without a type field: every point is this type */
    int add;                      /* N new hubs (MCLP) */
    double target_share;          /* set covering target (0..1], 0 = none */
    double cluster_m;
    const char *method;           /* auto | greedy | exact */
    double time_limit;            /* seconds for each CBC solve */
    int threads;
} pl_coverage_opts;

extern const pl_option pl_coverage_options[];
/* Zeroes o and sets the table's defaults (PL_OK; PL_EINTERNAL if a default does not parse). */
int pl_coverage_opts_init(pl_coverage_opts *o);
/* Frees the lists the options hold (after opts_init or parsing). */
void pl_coverage_opts_free(pl_coverage_opts *o);
extern const char pl_coverage_usage[];
extern const char pl_coverage_summary[];

/* Candidate sites, already attached to the graph. */
typedef struct pl_candidates {
    size_t n;
    double *x, *y;
    char **id, **name;
    pl_snap *snap;
} pl_candidates;

void pl_candidates_free(pl_candidates *c);
/* Graph nodes thinned to one per square of `spacing` metres (the node nearest the square's
 * centre; squares in row order), as candidates attached exactly at the node. */
pl_candidates *pl_candidates_from_graph(const pl_graph *g, double spacing);

typedef struct pl_coverage_params {
    pl_metric metric;
    double threshold;             /* metres or seconds */
    int threads;                  /* coverage-set searches in parallel (1 or more) */
} pl_coverage_params;

/* Coverage sets: for each candidate the cells (indices into cell_snap) among `cells`
 * within the threshold of it. out_begin (n_cand+1) / out_cells (ascending) are allocated. */
int pl_coverage_sets(pl_ctx *ctx, const pl_graph *g, const pl_snap *cell_snap, const uint32_t *cells, size_t n_cells,
                     const pl_candidates *cand, const pl_coverage_params *p, uint64_t **out_begin,
                     uint32_t **out_cells, pl_error *err);

/* ---------- coverage by public transport (--mode transit, analyses/common/transit.h) ---------- */

/* The existing hubs by transit on the walk graph: hub[c].dist_m holds the walking distance to
 * the nearest hub (pl_graph_nearest_k by distance, as access's *_km); sets hub[c].time_s to the
 * window's median (tp->pct[0]) to the nearest hub, with a walk all the way within --max-walk,
 * and source to UINT32_MAX (which hub a journey reaches is not tracked): the same time as
 * `platsa access --mode transit` gives for the hubs' type. *net: the street side, for the sets. */
int pl_coverage_transit_hubs(pl_ctx *ctx, const pl_graph *walk_graph, const pl_roads *roads, const pl_timetable *tt,
                             const pl_transit_params *tp, const pl_snap *cell_snap, size_t n_cells,
                             const pl_snap *hub_snap, uint32_t n_hubs, pl_label *hub, pl_transit_net **net,
                             pl_error *err);

/* Which way the transit coverage sets are searched: one backward profile per candidate, or
 * one forward range search per uncovered unit (reading every candidate's egress legs); AUTO
 * takes the one with fewer searches (they cost about the same: measured on Porto Alegre,
 * 2.1 ms a profile against 2.8 ms a range search from 6 random stops at a 15-minute threshold,
 * 3.1 against 3.2 at 30, 6.2 against 5.3 at 120 minutes). */
enum { PL_COVER_TRANSIT_AUTO = 0, PL_COVER_TRANSIT_BACKWARD = 1, PL_COVER_TRANSIT_FORWARD = 2 };

/* A transit coverage run whose sets are estimated to take longer than this (CPU seconds, from
 * the sizes and the costs measured on Porto Alegre, see coverage_transit.c) is refused: half an
 * hour, thirty times the "a county in a minute" (about 60,000 searches on 4,000 stops,
 * or 15,000 candidates x 15,000 uncovered units). */
#define PL_COVERAGE_TRANSIT_MAX_S 1800.0

/* Coverage sets by transit: for each candidate, the units cells[i] (i < n_cells) whose median
 * time to it alone over the window (a walk all the way within --max-walk counts) is at most
 * threshold_s. Same output as pl_coverage_sets; the same sets whichever direction. PL_EINPUT
 * (one line, what to do) when the estimate exceeds PL_COVERAGE_TRANSIT_MAX_S. */
int pl_coverage_transit_sets(pl_ctx *ctx, const pl_transit_net *net, const uint32_t *cells, size_t n_cells,
                             const pl_candidates *cand, const pl_transit_params *tp, double threshold_s, int direction,
                             uint64_t **out_begin, uint32_t **out_cells, pl_error *err);
/* The estimate the refusal uses, in CPU seconds. */
double pl_coverage_transit_estimate_s(const pl_transit_net *net, size_t n_cells, size_t n_cand);

/* Builds the merged instance from coverage sets over cells with weights; cell_row (may be
 * NULL, indexed like the sets' cell ids, size n_total_cells) gets each cell's row or
 * UINT32_MAX; col_of_cand (n_cand) the merged column of each candidate or UINT32_MAX when
 * it covers nothing; rep_cand (n_cols) the first candidate of each column. */
void pl_cover_instance_build(size_t n_cand, const uint64_t *begin, const uint32_t *cells, const double *cell_weight,
                             size_t n_total_cells, pl_cover_instance *I, uint32_t *cell_row, uint32_t *col_of_cand,
                             uint32_t **rep_cand);

/* Single-linkage clusters of points within dist_m: cluster id per point (0.. in order of
 * first appearance), returns the number of clusters. */
uint32_t pl_cluster_points(const double *x, const double *y, size_t n, double dist_m, uint32_t *cluster);

/* Rules between options (--km or --min, --candidates for --add...), checked right after
 * parsing, before any input is read. */
int pl_coverage_check_opts(const pl_coverage_opts *o, pl_error *err);

int pl_coverage_run(pl_ctx *ctx, const pl_coverage_opts *opts, const char *command_line, pl_error *err);

#endif
