/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Maximal covering and set covering on a merged instance: lazy greedy, submodular bound,
 * and exact solutions with COIN-OR CBC (branch and cut, the greedy solution offered as the
 * first incumbent). CBC replaced GLPK: on Örebro-size instances it proves optima in
 * seconds where GLPK ran out its time limit (issue #21; figures in the commit message). */
#include "coverage.h"
#include "gis/util.h"

#include <coin/Cbc_C_Interface.h>
#include <coin/Clp_C_Interface.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void pl_cover_solution_free(pl_cover_solution *s)
{
    if (!s)
        return;
    free(s->chosen);
    free(s->marginal);
    memset(s, 0, sizeof *s);
}

void pl_cover_instance_free(pl_cover_instance *I)
{
    if (!I)
        return;
    free(I->weight);
    free(I->begin);
    free(I->rows);
    memset(I, 0, sizeof *I);
}

double pl_cover_value(const pl_cover_instance *I, const uint32_t *cols, uint32_t n)
{
    uint8_t *cov = pl_calloc(I->n_rows ? I->n_rows : 1, 1);
    for (uint32_t k = 0; k < n; k++)
        for (uint64_t e = I->begin[cols[k]]; e < I->begin[cols[k] + 1]; e++)
            cov[I->rows[e]] = 1;
    double v = 0;
    for (uint32_t i = 0; i < I->n_rows; i++)
        if (cov[i])
            v += I->weight[i];
    free(cov);
    return v;
}

/* Set cover target test, with a relative tolerance so that rounding in sums of many
 * weights cannot make a reached target look missed (the same test for greedy and exact). */
static int reached(double value, double need) { return value >= need - 1e-9 * (fabs(need) + 1.0); }

/* ---------- lazy greedy ---------- */

typedef struct gent {
    double gain;
    uint32_t col;
} gent;

static int gbetter(const gent *a, const gent *b) { return a->gain > b->gain || (a->gain == b->gain && a->col < b->col); }

static void gpush(gent *h, size_t *n, gent e)
{
    size_t i = (*n)++;
    while (i > 0 && gbetter(&e, &h[(i - 1) / 2])) {
        h[i] = h[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h[i] = e;
}

static gent gpop(gent *h, size_t *n)
{
    gent top = h[0], last = h[--(*n)];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= *n)
            break;
        if (c + 1 < *n && gbetter(&h[c + 1], &h[c]))
            c++;
        if (!gbetter(&h[c], &last))
            break;
        h[i] = h[c];
        i = c;
    }
    if (*n)
        h[i] = last;
    return top;
}

static double gain_of(const pl_cover_instance *I, const uint8_t *cov, uint32_t j)
{
    double g = 0;
    for (uint64_t e = I->begin[j]; e < I->begin[j + 1]; e++)
        if (!cov[I->rows[e]])
            g += I->weight[I->rows[e]];
    return g;
}

/* Greedy until n_pick columns, the need is reached (need > 0), or nothing more to gain.
 * Exactly the plain greedy (largest marginal gain, lowest index on ties): a column is taken
 * only when its fresh gain beats every other column's stale gain, an upper bound. */
static void greedy(const pl_cover_instance *I, uint32_t n_pick, double need, pl_cover_solution *out)
{
    double t0 = pl_now_s();
    memset(out, 0, sizeof *out);
    uint32_t cap = n_pick < I->n_cand ? n_pick : I->n_cand;
    out->chosen = pl_malloc((cap ? cap : 1) * sizeof *out->chosen);
    out->marginal = pl_malloc((cap ? cap : 1) * sizeof *out->marginal);
    uint8_t *cov = pl_calloc(I->n_rows ? I->n_rows : 1, 1);
    gent *h = pl_malloc((I->n_cand ? I->n_cand : 1) * sizeof *h);
    size_t hn = 0;
    for (uint32_t j = 0; j < I->n_cand; j++) {
        gent e = {gain_of(I, cov, j), j};
        if (e.gain > 0)
            gpush(h, &hn, e);
    }
    while (out->n < cap && hn > 0 && !(need > 0 && reached(out->value, need))) {
        gent top = gpop(h, &hn);
        top.gain = gain_of(I, cov, top.col);
        if (!(top.gain > 0))
            continue;
        if (hn > 0 && !gbetter(&top, &h[0])) {
            gpush(h, &hn, top);
            continue;
        }
        for (uint64_t e = I->begin[top.col]; e < I->begin[top.col + 1]; e++)
            cov[I->rows[e]] = 1;
        out->chosen[out->n] = top.col;
        out->marginal[out->n] = top.gain;
        out->n++;
        out->value += top.gain;
    }
    out->status = PL_COVER_HEURISTIC;
    if (need > 0 && !reached(out->value, need))
        out->status = PL_COVER_INFEASIBLE;
    out->bound = NAN;
    free(h);
    free(cov);
    out->seconds = pl_now_s() - t0;
}

void pl_mclp_greedy(const pl_cover_instance *I, uint32_t n_pick, pl_cover_solution *out)
{
    greedy(I, n_pick, 0, out);
}

void pl_setcover_greedy(const pl_cover_instance *I, double need, pl_cover_solution *out)
{
    greedy(I, I->n_cand, need > 0 ? need : 1e-300, out);
    if (need <= 0) {
        out->n = 0;
        out->value = 0;
        out->status = PL_COVER_HEURISTIC;
    }
}

static int cmp_desc(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x < y) - (x > y);
}

double pl_mclp_online_bound(const pl_cover_instance *I, uint32_t n_pick, const pl_cover_solution *S)
{
    uint8_t *cov = pl_calloc(I->n_rows ? I->n_rows : 1, 1);
    for (uint32_t k = 0; k < S->n; k++)
        for (uint64_t e = I->begin[S->chosen[k]]; e < I->begin[S->chosen[k] + 1]; e++)
            cov[I->rows[e]] = 1;
    double *g = pl_malloc((I->n_cand ? I->n_cand : 1) * sizeof *g);
    for (uint32_t j = 0; j < I->n_cand; j++)
        g[j] = gain_of(I, cov, j);
    qsort(g, I->n_cand, sizeof *g, cmp_desc);
    double b = S->value;
    for (uint32_t k = 0; k < n_pick && k < I->n_cand; k++)
        b += g[k];
    free(g);
    free(cov);
    return b;
}

/* Orders chosen columns by marginal gain among themselves (greedy order within the set). */
static void rank_chosen(const pl_cover_instance *I, uint32_t *cols, uint32_t n, double *marginal)
{
    uint8_t *cov = pl_calloc(I->n_rows ? I->n_rows : 1, 1);
    for (uint32_t k = 0; k < n; k++) {
        uint32_t best = k;
        double bg = -1;
        for (uint32_t m = k; m < n; m++) {
            double g = gain_of(I, cov, cols[m]);
            if (g > bg || (g == bg && cols[m] < cols[best])) {
                bg = g;
                best = m;
            }
        }
        uint32_t t = cols[k];
        cols[k] = cols[best];
        cols[best] = t;
        marginal[k] = bg;
        for (uint64_t e = I->begin[cols[k]]; e < I->begin[cols[k] + 1]; e++)
            cov[I->rows[e]] = 1;
    }
    free(cov);
}

/* ---------- CBC ---------- */

/* Cbc_setMaximumSeconds counts CPU seconds unless told otherwise; --time-limit is wall time. */
static void quiet_and_limited(Cbc_Model *m, double time_limit_s)
{
    Cbc_setLogLevel(m, 0);
    Cbc_setParameter(m, "log", "0");
    Cbc_setParameter(m, "slog", "0");
    Cbc_setParameter(m, "timeMode", "elapsed");
    if (time_limit_s > 0)
        Cbc_setMaximumSeconds(m, time_limit_s);
}

/* The model, column-major. kind 0: MCLP (max sum w y, sum x <= n_pick); kind 1: set cover
 * (min sum x, sum w y >= need). Columns 0..n_cand-1 are x, then y in [0, 1]. Rows
 * 0..n_rows-1 link y_i <= sum x_j; row n_rows is the budget / target. */
typedef struct lp_arrays {
    int ncol, nrow;
    CoinBigIndex *start;
    int *index;
    double *value, *collb, *colub, *obj, *rowlb, *rowub;
} lp_arrays;

static void lp_arrays_free(lp_arrays *A)
{
    free(A->start);
    free(A->index);
    free(A->value);
    free(A->collb);
    free(A->colub);
    free(A->obj);
    free(A->rowlb);
    free(A->rowub);
}

/* -1 when the instance has more non-zeros than COIN-OR's int indices hold. */
static int lp_arrays_build(const pl_cover_instance *I, int kind, double n_pick, double need, lp_arrays *A)
{
    uint32_t nc = I->n_cand, nr = I->n_rows;
    uint64_t nnz = I->begin[nc] + nr + (kind == 0 ? nc : nr);
    if (nnz > (uint64_t)INT_MAX || (uint64_t)nc + nr + 1 > (uint64_t)INT_MAX)
        return -1;
    size_t ncol = (size_t)nc + nr;
    A->ncol = (int)ncol;
    A->nrow = (int)nr + 1;
    A->start = pl_malloc((ncol + 1) * sizeof *A->start);
    A->index = pl_malloc(nnz * sizeof *A->index);
    A->value = pl_malloc(nnz * sizeof *A->value);
    A->collb = pl_calloc(ncol, sizeof *A->collb);
    A->colub = pl_malloc(ncol * sizeof *A->colub);
    A->obj = pl_calloc(ncol, sizeof *A->obj);
    A->rowlb = pl_malloc(((size_t)nr + 1) * sizeof *A->rowlb);
    A->rowub = pl_malloc(((size_t)nr + 1) * sizeof *A->rowub);
    size_t k = 0;
    for (uint32_t j = 0; j < nc; j++) {
        A->start[j] = (CoinBigIndex)k;
        for (uint64_t e = I->begin[j]; e < I->begin[j + 1]; e++) {
            A->index[k] = (int)I->rows[e];
            A->value[k++] = -1.0;
        }
        if (kind == 0) { /* the budget row; in set cover x is not in the target row */
            A->index[k] = (int)nr;
            A->value[k++] = 1.0;
        }
        A->colub[j] = 1.0;
        A->obj[j] = kind == 0 ? 0.0 : 1.0;
    }
    for (uint32_t i = 0; i < nr; i++) {
        A->start[nc + i] = (CoinBigIndex)k;
        A->index[k] = (int)i;
        A->value[k++] = 1.0;
        if (kind != 0) {
            A->index[k] = (int)nr;
            A->value[k++] = I->weight[i];
        }
        A->colub[nc + i] = 1.0;
        A->obj[nc + i] = kind == 0 ? I->weight[i] : 0.0;
    }
    A->start[ncol] = (CoinBigIndex)k;
    for (uint32_t i = 0; i < nr; i++) {
        A->rowlb[i] = -DBL_MAX;
        A->rowub[i] = 0.0;
    }
    A->rowlb[nr] = kind == 0 ? -DBL_MAX : need - 1e-9 * (fabs(need) + 1.0);
    A->rowub[nr] = kind == 0 ? n_pick : DBL_MAX;
    return 0;
}

/* The CBC model of lp_arrays_build; NULL beyond COIN-OR's int indices. */
static Cbc_Model *build_model(const pl_cover_instance *I, int kind, double n_pick, double need)
{
    lp_arrays A;
    if (lp_arrays_build(I, kind, n_pick, need, &A) != 0)
        return NULL;
    Cbc_Model *m = Cbc_newModel();
    Cbc_loadProblem(m, A.ncol, A.nrow, A.start, A.index, A.value, A.collb, A.colub, A.obj, A.rowlb, A.rowub);
    Cbc_setObjSense(m, kind == 0 ? -1.0 : 1.0);
    lp_arrays_free(&A);
    return m;
}

/* Each column covers at most its own weight: fewer columns than it takes the heaviest ones
 * to reach need cannot reach it. */
double pl_setcover_lower_bound(const pl_cover_instance *I, double need)
{
    double *w = pl_malloc((I->n_cand ? I->n_cand : 1) * sizeof *w);
    for (uint32_t j = 0; j < I->n_cand; j++) {
        w[j] = 0;
        for (uint64_t e = I->begin[j]; e < I->begin[j + 1]; e++)
            w[j] += I->weight[I->rows[e]];
    }
    qsort(w, I->n_cand, sizeof *w, cmp_desc);
    double sum = 0;
    uint32_t k = 0;
    while (k < I->n_cand && !reached(sum, need))
        sum += w[k++];
    free(w);
    return (double)k;
}

/* A copy of the warm solution (the greedy), used when CBC stops before any integer solution. */
static void copy_solution(const pl_cover_solution *src, pl_cover_solution *dst, uint32_t cap)
{
    dst->chosen = pl_malloc((cap ? cap : 1) * sizeof *dst->chosen);
    dst->marginal = pl_malloc((cap ? cap : 1) * sizeof *dst->marginal);
    dst->n = src ? src->n : 0;
    if (dst->n) {
        memcpy(dst->chosen, src->chosen, dst->n * sizeof *dst->chosen);
        memcpy(dst->marginal, src->marginal, dst->n * sizeof *dst->marginal);
    }
    dst->value = src ? src->value : 0;
}

static int solve(const pl_cover_instance *I, int kind, double n_pick, double need, const pl_cover_solution *warm,
                 double time_limit_s, pl_cover_solution *out, pl_error *err)
{
    double t0 = pl_now_s();
    memset(out, 0, sizeof *out);
    Cbc_Model *m = build_model(I, kind, n_pick, need);
    if (!m)
        return pl_error_set(err, PL_EINPUT, "the covering instance is too large for CBC (%u columns x %u rows); "
                            "use --method greedy", I->n_cand, I->n_rows);
    for (uint32_t j = 0; j < I->n_cand; j++)
        Cbc_setInteger(m, (int)j);
    quiet_and_limited(m, time_limit_s);
    int usable_warm = warm && warm->status != PL_COVER_INFEASIBLE && warm->n > 0;
    if (usable_warm) {
        /* The greedy as the first incumbent, x and y (covered) in full: CBC prunes with it from
         * the start. (Cbc_setMIPStartI goes through column names, which CBC 2.10 mishandles
         * on models loaded without names.) */
        double *sol = pl_calloc((size_t)I->n_cand + I->n_rows, sizeof *sol);
        for (uint32_t k = 0; k < warm->n; k++) {
            uint32_t j = warm->chosen[k];
            sol[j] = 1.0;
            for (uint64_t e = I->begin[j]; e < I->begin[j + 1]; e++)
                sol[I->n_cand + I->rows[e]] = 1.0;
        }
        Cbc_setInitialSolution(m, sol);
        free(sol);
    }
    Cbc_solve(m);
    if (kind == 1 && Cbc_isProvenInfeasible(m)) {
        Cbc_deleteModel(m);
        out->status = PL_COVER_INFEASIBLE;
        out->bound = NAN;
        out->seconds = pl_now_s() - t0;
        return PL_OK;
    }
    if (Cbc_isAbandoned(m)) {
        int st = Cbc_status(m), st2 = Cbc_secondaryStatus(m);
        Cbc_deleteModel(m);
        return pl_error_set(err, PL_EINTERNAL, "CBC gave up on numerical difficulties (status %d, %d)", st, st2);
    }
    int proven = Cbc_isProvenOptimal(m);
    const double *x = Cbc_bestSolution(m);
    double bound = Cbc_getBestPossibleObjValue(m);
    if (x) {
        out->chosen = pl_malloc((I->n_cand ? I->n_cand : 1) * sizeof *out->chosen);
        out->marginal = pl_malloc((I->n_cand ? I->n_cand : 1) * sizeof *out->marginal);
        for (uint32_t j = 0; j < I->n_cand; j++)
            if (x[j] > 0.5)
                out->chosen[out->n++] = j;
        rank_chosen(I, out->chosen, out->n, out->marginal);
        out->value = pl_cover_value(I, out->chosen, out->n);
    } else {
        proven = 0;
        copy_solution(usable_warm ? warm : NULL, out, I->n_cand);
    }
    Cbc_deleteModel(m);
    if (kind == 1 && !reached(out->value, need)) {
        /* Stopped before any solution, and no feasible warm start: nothing to report but the bound. */
        out->n = 0;
        out->value = 0;
    }
    out->status = proven ? PL_COVER_OPTIMAL : PL_COVER_TIME_LIMIT;
    if (proven) {
        out->bound = kind == 0 ? out->value : (double)out->n;
    } else if (kind == 0) {
        /* CBC's bound is only worth something once the root LP is solved. */
        out->bound = isfinite(bound) && bound < 1e299 && bound >= out->value - 1e-6 ? bound : NAN;
    } else {
        double lb = pl_setcover_lower_bound(I, need);
        if (isfinite(bound) && bound > -1e299 && ceil(bound - 1e-6) > lb)
            lb = ceil(bound - 1e-6);
        out->bound = lb;
    }
    out->seconds = pl_now_s() - t0;
    return PL_OK;
}

int pl_mclp_exact(const pl_cover_instance *I, uint32_t n_pick, const pl_cover_solution *warm, double time_limit_s,
                  pl_cover_solution *out, pl_error *err)
{
    if (I->n_cand == 0 || I->n_rows == 0 || n_pick == 0) {
        memset(out, 0, sizeof *out);
        out->status = PL_COVER_OPTIMAL;
        out->chosen = pl_malloc(sizeof *out->chosen);
        out->marginal = pl_malloc(sizeof *out->marginal);
        return PL_OK;
    }
    return solve(I, 0, n_pick, 0, warm, time_limit_s, out, err);
}

int pl_setcover_exact(const pl_cover_instance *I, double need, const pl_cover_solution *warm, double time_limit_s,
                      pl_cover_solution *out, pl_error *err)
{
    double all = 0;
    for (uint32_t i = 0; i < I->n_rows; i++)
        all += I->weight[i];
    if (need <= 0 || I->n_cand == 0 || !reached(all, need)) {
        memset(out, 0, sizeof *out);
        out->status = need <= 0 ? PL_COVER_OPTIMAL : PL_COVER_INFEASIBLE;
        out->chosen = pl_malloc(sizeof *out->chosen);
        out->marginal = pl_malloc(sizeof *out->marginal);
        out->bound = need <= 0 ? 0 : NAN;
        return PL_OK;
    }
    return solve(I, 1, 0, need, warm, time_limit_s, out, err);
}

double pl_mclp_lp_bound(const pl_cover_instance *I, uint32_t n_pick, double time_limit_s)
{
    if (I->n_cand == 0 || I->n_rows == 0)
        return 0;
    lp_arrays A;
    if (lp_arrays_build(I, 0, n_pick, 0, &A) != 0)
        return NAN;
    Clp_Simplex *m = Clp_newModel();
    Clp_setLogLevel(m, 0);
    Clp_loadProblem(m, A.ncol, A.nrow, A.start, A.index, A.value, A.collb, A.colub, A.obj, A.rowlb, A.rowub);
    lp_arrays_free(&A);
    Clp_setObjSense(m, -1.0);
    if (time_limit_s > 0)
        Clp_setMaximumSeconds(m, time_limit_s);
    Clp_initialSolve(m);
    double v = Clp_isProvenOptimal(m) ? Clp_objectiveValue(m) : NAN;
    Clp_deleteModel(m);
    return v;
}
