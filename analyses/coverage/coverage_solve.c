/* Maximal covering and set covering on a merged instance: lazy greedy, submodular bound,
 * and exact solutions with GLPK (glp_simplex for the root LP, then glp_intopt with the
 * greedy solution offered as the first incumbent). */
#include "coverage.h"

#include <glpk.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

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
    double t0 = now_s();
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
    out->seconds = now_s() - t0;
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

/* ---------- GLPK ---------- */

typedef struct glpk_cb {
    double *x;            /* 1-based full column vector of the warm solution, or NULL */
    int offered;
    double bound;         /* best bound seen in the tree */
    int maximize;
} glpk_cb;

static void callback(glp_tree *T, void *info)
{
    glpk_cb *d = info;
    if (glp_ios_reason(T) == GLP_IHEUR && d->x && !d->offered) {
        glp_ios_heur_sol(T, d->x);
        d->offered = 1;
    }
    int p = glp_ios_best_node(T);
    if (p) {
        double b = glp_ios_node_bound(T, p);
        if (isfinite(b))
            d->bound = b;
    }
}

/* Builds the model. kind 0: MCLP (max sum w y, sum x <= n_pick); kind 1: set cover
 * (min sum x, sum w y >= need). Columns 1..n_cand are x, then y. Rows 1..n_rows link
 * y_i <= sum x_j, row n_rows+1 is the budget / target. */
static glp_prob *build_model(const pl_cover_instance *I, int kind, double n_pick, double need)
{
    glp_prob *P = glp_create_prob();
    uint32_t nc = I->n_cand, nr = I->n_rows;
    glp_set_obj_dir(P, kind == 0 ? GLP_MAX : GLP_MIN);
    glp_add_cols(P, (int)(nc + nr));
    for (uint32_t j = 1; j <= nc; j++) {
        glp_set_col_kind(P, (int)j, GLP_BV);
        glp_set_obj_coef(P, (int)j, kind == 0 ? 0.0 : 1.0);
    }
    for (uint32_t i = 0; i < nr; i++) {
        int col = (int)(nc + 1 + i);
        glp_set_col_bnds(P, col, GLP_DB, 0.0, 1.0);
        glp_set_obj_coef(P, col, kind == 0 ? I->weight[i] : 0.0);
    }
    glp_add_rows(P, (int)nr + 1);
    for (uint32_t i = 1; i <= nr; i++)
        glp_set_row_bnds(P, (int)i, GLP_UP, 0.0, 0.0);
    if (kind == 0)
        glp_set_row_bnds(P, (int)nr + 1, GLP_UP, 0.0, n_pick);
    else
        glp_set_row_bnds(P, (int)nr + 1, GLP_LO, need - 1e-9 * (fabs(need) + 1.0), 0.0);
    size_t nnz = I->begin[nc] + nr + (kind == 0 ? nc : nr);
    int *ia = pl_malloc((nnz + 1) * sizeof *ia), *ja = pl_malloc((nnz + 1) * sizeof *ja);
    double *ar = pl_malloc((nnz + 1) * sizeof *ar);
    size_t k = 0;
    for (uint32_t j = 0; j < nc; j++)
        for (uint64_t e = I->begin[j]; e < I->begin[j + 1]; e++) {
            k++;
            ia[k] = (int)I->rows[e] + 1;
            ja[k] = (int)j + 1;
            ar[k] = -1.0;
        }
    for (uint32_t i = 0; i < nr; i++) {
        k++;
        ia[k] = (int)i + 1;
        ja[k] = (int)(nc + 1 + i);
        ar[k] = 1.0;
    }
    if (kind == 0) {
        for (uint32_t j = 0; j < nc; j++) {
            k++;
            ia[k] = (int)nr + 1;
            ja[k] = (int)j + 1;
            ar[k] = 1.0;
        }
    } else {
        for (uint32_t i = 0; i < nr; i++) {
            k++;
            ia[k] = (int)nr + 1;
            ja[k] = (int)(nc + 1 + i);
            ar[k] = I->weight[i];
        }
    }
    glp_load_matrix(P, (int)k, ia, ja, ar);
    free(ia);
    free(ja);
    free(ar);
    return P;
}

/* Column vector (1-based) of a solution: x from the chosen columns, y = covered. */
static double *solution_vector(const pl_cover_instance *I, const pl_cover_solution *S)
{
    double *x = pl_calloc((size_t)I->n_cand + I->n_rows + 1, sizeof *x);
    for (uint32_t k = 0; k < S->n; k++) {
        uint32_t j = S->chosen[k];
        x[1 + j] = 1.0;
        for (uint64_t e = I->begin[j]; e < I->begin[j + 1]; e++)
            x[1 + I->n_cand + I->rows[e]] = 1.0;
    }
    return x;
}

static int solve(const pl_cover_instance *I, int kind, double n_pick, double need, const pl_cover_solution *warm,
                 double time_limit_s, pl_cover_solution *out, pl_error *err)
{
    double t0 = now_s();
    memset(out, 0, sizeof *out);
    glp_term_out(GLP_OFF);
    glp_prob *P = build_model(I, kind, n_pick, need);
    glp_smcp sp;
    glp_init_smcp(&sp);
    sp.msg_lev = GLP_MSG_OFF;
    sp.presolve = GLP_OFF;
    if (time_limit_s > 0)
        sp.tm_lim = (int)(time_limit_s * 1000);
    int rc = glp_simplex(P, &sp);
    int lp_status = glp_get_status(P);
    if (rc != 0 || lp_status != GLP_OPT) {
        int infeasible = lp_status == GLP_NOFEAS;
        glp_delete_prob(P);
        if (infeasible && kind == 1) {
            out->status = PL_COVER_INFEASIBLE;
            out->bound = NAN;
            out->seconds = now_s() - t0;
            return PL_OK;
        }
        if (rc == GLP_ETMLIM)
            return pl_error_set(err, PL_EINPUT, "GLPK: time limit reached before the LP relaxation was solved; "
                                "raise --time-limit or use --method greedy");
        return pl_error_set(err, PL_EINTERNAL, "GLPK: the LP relaxation was not solved (code %d, status %d)", rc,
                            lp_status);
    }
    glpk_cb cb = {.x = warm && warm->status != PL_COVER_INFEASIBLE ? solution_vector(I, warm) : NULL,
                  .bound = glp_get_obj_val(P), .maximize = kind == 0};
    glp_iocp ip;
    glp_init_iocp(&ip);
    ip.msg_lev = GLP_MSG_OFF;
    ip.presolve = GLP_OFF;
    ip.cb_func = callback;
    ip.cb_info = &cb;
    ip.mip_gap = 0.0;
    if (time_limit_s > 0) {
        double left = time_limit_s - (now_s() - t0);
        ip.tm_lim = (int)((left > 0.05 ? left : 0.05) * 1000);
    }
    rc = glp_intopt(P, &ip);
    int st = glp_mip_status(P);
    if ((rc != 0 && rc != GLP_ETMLIM) || (st != GLP_OPT && st != GLP_FEAS)) {
        free(cb.x);
        glp_delete_prob(P);
        if (kind == 1 && st == GLP_NOFEAS) {
            out->status = PL_COVER_INFEASIBLE;
            out->bound = NAN;
            out->seconds = now_s() - t0;
            return PL_OK;
        }
        return pl_error_set(err, PL_EINTERNAL, "GLPK: no integer solution (code %d, status %d)", rc, st);
    }
    out->chosen = pl_malloc((I->n_cand ? I->n_cand : 1) * sizeof *out->chosen);
    out->marginal = pl_malloc((I->n_cand ? I->n_cand : 1) * sizeof *out->marginal);
    for (uint32_t j = 0; j < I->n_cand; j++)
        if (glp_mip_col_val(P, (int)j + 1) > 0.5)
            out->chosen[out->n++] = j;
    rank_chosen(I, out->chosen, out->n, out->marginal);
    out->value = pl_cover_value(I, out->chosen, out->n);
    out->status = st == GLP_OPT && rc == 0 ? PL_COVER_OPTIMAL : PL_COVER_TIME_LIMIT;
    out->bound = out->status == PL_COVER_OPTIMAL ? (kind == 0 ? out->value : (double)out->n) : cb.bound;
    if (kind == 1 && out->status != PL_COVER_OPTIMAL)
        out->bound = ceil(cb.bound - 1e-6);
    free(cb.x);
    glp_delete_prob(P);
    out->seconds = now_s() - t0;
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
    glp_term_out(GLP_OFF);
    glp_prob *P = build_model(I, 0, n_pick, 0);
    glp_smcp sp;
    glp_init_smcp(&sp);
    sp.msg_lev = GLP_MSG_OFF;
    sp.presolve = GLP_ON;
    if (time_limit_s > 0)
        sp.tm_lim = (int)(time_limit_s * 1000);
    int rc = glp_simplex(P, &sp);
    double v = rc == 0 && glp_get_status(P) == GLP_OPT ? glp_get_obj_val(P) : NAN;
    glp_delete_prob(P);
    return v;
}
