/* SPDX-License-Identifier: GPL-3.0-or-later */
/* GeoPackage R-tree spatial index: see gpkg_rtree.h. */
#include "gpkg_rtree.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int pl_rtree_list_add(pl_rtree_list *l, int64_t fid, const pl_envelope *e)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 4096;
        pl_rtree_entry *v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return -1;
        l->v = v;
        l->cap = cap;
    }
    if (l->n == 0) {
        l->extent = *e;
    } else {
        if (e->minx < l->extent.minx) l->extent.minx = e->minx;
        if (e->maxx > l->extent.maxx) l->extent.maxx = e->maxx;
        if (e->miny < l->extent.miny) l->extent.miny = e->miny;
        if (e->maxy > l->extent.maxy) l->extent.maxy = e->maxy;
    }
    l->v[l->n++] = (pl_rtree_entry){fid, *e};
    return 0;
}

void pl_rtree_list_free(pl_rtree_list *l)
{
    free(l->v);
    memset(l, 0, sizeof *l);
}

static int exec_owned(sqlite3 *db, char *sql)
{
    if (!sql)
        return -1;
    int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    sqlite3_free(sql);
    return rc == SQLITE_OK ? 0 : -1;
}

/* ------------------------------------------------------------------ bulk load
 *
 * Inserting a million envelopes one by one into SQLite's R*-tree costs as much as
 * inserting the rows themselves. The tree is instead packed bottom-up (Sort-Tile-Recursive)
 * and its shadow tables written directly, in the format of SQLite's rtree.c: node blobs of
 * the size SQLite chose for the root (2-byte depth in the root, 2-byte cell count, cells of a
 * big-endian 64-bit id and four big-endian float32 minx, maxx, miny, maxy), %_rowid mapping
 * each entry to its leaf, %_parent each non-root node to its parent; node 1 is the root.
 * Coordinates are rounded outward to float32 exactly as rtree.c's rtreeValueDown/Up do. */

typedef struct rt_ent {
    int64_t id;   /* fid (leaves) or child node number */
    float box[4]; /* minx, maxx, miny, maxy */
} rt_ent;

static float value_down(double d)
{
    float f = (float)d;
    if (f > d)
        f = (float)(d * (d < 0 ? 1.0 + 1.0 / 8388608.0 : 1.0 - 1.0 / 8388608.0));
    return f;
}

static float value_up(double d)
{
    float f = (float)d;
    if (f < d)
        f = (float)(d * (d < 0 ? 1.0 - 1.0 / 8388608.0 : 1.0 + 1.0 / 8388608.0));
    return f;
}

/* Sort keys: box centres, ties by id so the tree (and the file) is deterministic. */
static int cmp_axis(const rt_ent *a, const rt_ent *b, int axis)
{
    float ca = a->box[2 * axis] + a->box[2 * axis + 1], cb = b->box[2 * axis] + b->box[2 * axis + 1];
    if (ca != cb)
        return ca < cb ? -1 : 1;
    return (a->id > b->id) - (a->id < b->id);
}
static int cmp_x(const void *a, const void *b) { return cmp_axis(a, b, 0); }
static int cmp_y(const void *a, const void *b) { return cmp_axis(a, b, 1); }

/* Sorts keys[0..n-1] (each with its position in idx) ascending: a byte-wise LSD radix sort,
 * skipping the bytes all keys share. tmp_k and tmp_i hold n each; returns idx or tmp_i,
 * whichever holds the sorted positions. */
static const uint32_t *radix_sort64(uint64_t *keys, uint32_t *idx, uint64_t *tmp_k, uint32_t *tmp_i, size_t n)
{
    uint64_t all_or = 0, all_and = ~(uint64_t)0;
    for (size_t i = 0; i < n; i++) {
        all_or |= keys[i];
        all_and &= keys[i];
    }
    for (int shift = 0; shift < 64; shift += 8) {
        if ((((all_or ^ all_and) >> shift) & 0xff) == 0)
            continue;  /* every key has the same byte here */
        size_t count[257] = {0};
        for (size_t i = 0; i < n; i++)
            count[((keys[i] >> shift) & 0xff) + 1]++;
        for (int b = 0; b < 256; b++)
            count[b + 1] += count[b];
        for (size_t i = 0; i < n; i++) {
            size_t to = count[(keys[i] >> shift) & 0xff]++;
            tmp_k[to] = keys[i];
            tmp_i[to] = idx[i];
        }
        uint64_t *sk = keys;
        keys = tmp_k;
        tmp_k = sk;
        uint32_t *si = idx;
        idx = tmp_i;
        tmp_i = si;
    }
    return idx;
}

/* The sort key of cmp_axis as one unsigned number: the centre (as the float cmp_axis
 * compares, -0 as +0, mapped to an order-preserving integer) above a 32-bit id. Returns 0
 * when an entry has no such key (a NaN centre, an id outside 0..2^32-1): qsort then. */
static int axis_key(const rt_ent *a, int axis, uint64_t *key)
{
    float c = a->box[2 * axis] + a->box[2 * axis + 1];
    if (isnan(c) || a->id < 0 || a->id > (int64_t)UINT32_MAX)
        return 0;
    if (c == 0)
        c = 0;  /* -0 and +0 compare equal: the id decides, as in cmp_axis */
    uint32_t bits;
    memcpy(&bits, &c, 4);
    bits = bits & 0x80000000u ? ~bits : bits | 0x80000000u;
    *key = (uint64_t)bits << 32 | (uint64_t)a->id;
    return 1;
}

/* qsort(e, n, sizeof *e, axis ? cmp_y : cmp_x), in the same order (cmp_axis is a total
 * order on distinct ids) but by radix: sorting the national layer's envelopes took a
 * third of a second. */
static void sort_axis(rt_ent *e, size_t n, int axis)
{
    uint64_t *k = n > 1 ? malloc(2 * n * sizeof *k) : NULL;
    uint32_t *ix = k && n <= UINT32_MAX ? malloc(2 * n * sizeof *ix) : NULL;
    rt_ent *out = ix ? malloc(n * sizeof *out) : NULL;
    size_t i = 0;
    for (; out && i < n && axis_key(&e[i], axis, &k[i]); i++)
        ix[i] = (uint32_t)i;
    if (!out || i < n) {  /* out of memory or no integer key: as before */
        free(k);
        free(ix);
        free(out);
        if (n > 1)
            qsort(e, n, sizeof *e, axis ? cmp_y : cmp_x);
        return;
    }
    const uint32_t *order = radix_sort64(k, ix, k + n, ix + n, n);
    for (size_t j = 0; j < n; j++)
        out[j] = e[order[j]];
    memcpy(e, out, n * sizeof *e);
    free(k);
    free(ix);
    free(out);
}

static void put_be(unsigned char *p, uint64_t v, int bytes)
{
    for (int i = bytes - 1; i >= 0; i--, v >>= 8)
        p[i] = (unsigned char)v;
}

/* A row of the %_rowid table (which leaf holds a feature) or of %_parent (a node's parent). */
typedef struct rt_link {
    int64_t rowid, nodeno;
} rt_link;

#define LINK_ROWS 64 /* %_rowid rows per INSERT in write_links */

/* The packed tree in memory (pl_rtree_plan_new), in the order bulk_load writes it: node by
 * node, each non-leaf node followed by its children's %_parent rows, the %_rowid rows (in
 * rowid order) after the leaves. */
struct pl_rtree_plan {
    int node_size;
    size_t n_nodes, cap_nodes;
    size_t n_leaves;       /* the first n_leaves nodes are the leaves */
    int64_t *node_no;
    unsigned char *blobs;  /* n_nodes x node_size */
    size_t *parents_end;   /* node i's %_parent rows end at parents[parents_end[i]] */
    rt_link *parents;      /* (child, parent) */
    size_t n_parents;
    rt_link *links;        /* leaf cells (feature, leaf), sorted by rowid */
    size_t n_links;
    int64_t next_node;
};

/* Packs cells e[0..n-1] as node `no` (depth is written only in the root). */
static void plan_node(pl_rtree_plan *p, int64_t no, int depth, const rt_ent *e, int n, int leaf)
{
    size_t k = p->n_nodes++;
    unsigned char *blob = p->blobs + k * (size_t)p->node_size;
    memset(blob, 0, (size_t)p->node_size);
    put_be(blob, no == 1 ? (uint64_t)depth : 0, 2);
    put_be(blob + 2, (uint64_t)n, 2);
    for (int i = 0; i < n; i++) {
        unsigned char *c = blob + 4 + 24 * i;
        put_be(c, (uint64_t)e[i].id, 8);
        for (int b = 0; b < 4; b++) {
            uint32_t bits;
            memcpy(&bits, &e[i].box[b], 4);
            put_be(c + 8 + 4 * b, bits, 4);
        }
        if (leaf)
            p->links[p->n_links++] = (rt_link){e[i].id, no};
        else
            p->parents[p->n_parents++] = (rt_link){e[i].id, no};
    }
    p->node_no[k] = no;
    p->parents_end[k] = p->n_parents;
}

static int cmp_link(const void *a, const void *b)
{
    int64_t x = ((const rt_link *)a)->rowid, y = ((const rt_link *)b)->rowid;
    return (x > y) - (x < y);
}

/* Leaves are written in spatial order; their %_rowid rows go in rowid order, which SQLite
 * appends to the table's B-tree instead of seeking a page for each (3-4x faster on
 * national layers). */
/* qsort(l, n, sizeof *l, cmp_link), by radix when every rowid is a key of it (rowids are
 * distinct, so the order is the same). */
static void sort_links(rt_link *l, size_t n)
{
    uint64_t *k = n > 1 ? malloc(2 * n * sizeof *k) : NULL;
    uint32_t *ix = k && n <= UINT32_MAX ? malloc(2 * n * sizeof *ix) : NULL;
    rt_link *out = ix ? malloc(n * sizeof *out) : NULL;
    size_t i = 0;
    for (; out && i < n && l[i].rowid >= 0; i++) {
        k[i] = (uint64_t)l[i].rowid;
        ix[i] = (uint32_t)i;
    }
    if (out && i == n) {
        const uint32_t *order = radix_sort64(k, ix, k + n, ix + n, n);
        for (size_t j = 0; j < n; j++)
            out[j] = l[order[j]];
        memcpy(l, out, n * sizeof *l);
    } else if (n > 1) {
        qsort(l, n, sizeof *l, cmp_link);
    }
    free(k);
    free(ix);
    free(out);
}

/* Are the links' rowids 1, 2, ..., n (every row of a new table indexed)? */
static int links_consecutive(const rt_link *l, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (l[i].rowid != (int64_t)i + 1)
            return 0;
    return 1;
}

/* Packs one level: e (n entries) into nodes; returns their entries for the level above
 * in *up (*n_up of them), or packs the root when they fit one node. */
static int pack_level(pl_rtree_plan *p, rt_ent *e, size_t n, int depth, rt_ent **up, size_t *n_up)
{
    size_t m = (size_t)((p->node_size - 4) / 24);
    int leaf = depth == 0;
    *up = NULL;
    *n_up = 0;
    if (n <= m) {
        plan_node(p, 1, depth, e, (int)n, leaf);
        return 0;
    }
    size_t pages = (n + m - 1) / m;
    size_t slices = (size_t)ceil(sqrt((double)pages));
    size_t per_slice = slices * m;
    sort_axis(e, n, 0);
    for (size_t s0 = 0; s0 < n; s0 += per_slice)
        sort_axis(e + s0, n - s0 < per_slice ? n - s0 : per_slice, 1);
    rt_ent *parents = malloc(pages * sizeof *parents);
    if (!parents)
        return -1;
    for (size_t q = 0; q < pages; q++) {
        const rt_ent *c = e + q * m;
        int k = (int)(n - q * m < m ? n - q * m : m);
        rt_ent *pe = &parents[q];
        pe->id = p->next_node++;
        memcpy(pe->box, c[0].box, sizeof pe->box);
        for (int i = 1; i < k; i++) {
            if (c[i].box[0] < pe->box[0]) pe->box[0] = c[i].box[0];
            if (c[i].box[1] > pe->box[1]) pe->box[1] = c[i].box[1];
            if (c[i].box[2] < pe->box[2]) pe->box[2] = c[i].box[2];
            if (c[i].box[3] > pe->box[3]) pe->box[3] = c[i].box[3];
        }
        plan_node(p, pe->id, depth, c, k, leaf);
    }
    *up = parents;
    *n_up = pages;
    return 0;
}

void pl_rtree_plan_free(pl_rtree_plan *p)
{
    if (!p)
        return;
    free(p->node_no);
    free(p->blobs);
    free(p->parents_end);
    free(p->parents);
    free(p->links);
    free(p);
}

pl_rtree_plan *pl_rtree_plan_new(const pl_rtree_list *l, int node_size)
{
    size_t m = node_size >= 4 ? (size_t)((node_size - 4) / 24) : 0;
    if (l->n == 0 || m < 4)
        return NULL;
    size_t nodes = 1;  /* the root */
    for (size_t n = l->n; n > m; n = (n + m - 1) / m)
        nodes += (n + m - 1) / m;
    pl_rtree_plan *p = calloc(1, sizeof *p);
    rt_ent *e = p ? malloc(l->n * sizeof *e) : NULL;
    if (e) {
        p->node_size = node_size;
        p->cap_nodes = nodes;
        p->node_no = malloc(nodes * sizeof *p->node_no);
        p->blobs = malloc(nodes * (size_t)node_size);
        p->parents_end = malloc(nodes * sizeof *p->parents_end);
        p->parents = malloc(nodes * sizeof *p->parents);
        p->links = malloc(l->n * sizeof *p->links);
    }
    int rc = e && p->node_no && p->blobs && p->parents_end && p->parents && p->links ? 0 : -1;
    size_t n = l->n;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const pl_envelope *v = &l->v[i].e;
        e[i] = (rt_ent){l->v[i].fid, {value_down(v->minx), value_up(v->maxx), value_down(v->miny), value_up(v->maxy)}};
    }
    if (p)
        p->next_node = 2;
    for (int depth = 0; rc == 0 && e; depth++) {
        rt_ent *up = NULL;
        rc = pack_level(p, e, n, depth, &up, &n);
        if (rc == 0 && depth == 0) {
            p->n_leaves = p->n_nodes;
            sort_links(p->links, p->n_links);
        }
        free(e);
        e = up;
    }
    free(e);
    if (rc != 0) {
        pl_rtree_plan_free(p);
        return NULL;
    }
    return p;
}

/* ------------------------------------------------------------------ writing a plan */

typedef struct rt_writer {
    sqlite3_stmt *node, *rowid, *parent;
    sqlite3_stmt *rowids; /* LINK_ROWS rows at once (NULL: one by one) */
    sqlite3_stmt *appends; /* the same with the rowids SQLite gives (next after the largest) */
} rt_writer;

static int step_reset(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    sqlite3_reset(st);
    return rc;
}

static int write_links(rt_writer *w, const rt_link *links, size_t n_links)
{
    size_t i = 0;
    /* Rowids 1..n into the new, empty table: SQLite gives each row the next rowid, the same
     * one, without the seek that checks an explicit rowid is free (a third of the time of
     * these inserts). */
    if (w->appends && links_consecutive(links, n_links)) {
        for (; i + LINK_ROWS <= n_links; i += LINK_ROWS) {
            for (int k = 0; k < LINK_ROWS; k++)
                sqlite3_bind_int64(w->appends, k + 1, links[i + (size_t)k].nodeno);
            if (step_reset(w->appends) != 0)
                return -1;
        }
    }
    /* LINK_ROWS rows per statement while that many are left (the same rows in the same
     * order: one statement's overhead instead of LINK_ROWS). */
    for (; w->rowids && i + LINK_ROWS <= n_links; i += LINK_ROWS) {
        for (int k = 0; k < LINK_ROWS; k++) {
            sqlite3_bind_int64(w->rowids, 2 * k + 1, links[i + (size_t)k].rowid);
            sqlite3_bind_int64(w->rowids, 2 * k + 2, links[i + (size_t)k].nodeno);
        }
        if (step_reset(w->rowids) != 0)
            return -1;
    }
    for (; i < n_links; i++) {
        sqlite3_bind_int64(w->rowid, 1, links[i].rowid);
        sqlite3_bind_int64(w->rowid, 2, links[i].nodeno);
        if (step_reset(w->rowid) != 0)
            return -1;
    }
    return 0;
}

static int write_plan(rt_writer *w, const pl_rtree_plan *p)
{
    size_t par = 0;
    for (size_t k = 0; k < p->n_nodes; k++) {
        sqlite3_bind_int64(w->node, 1, p->node_no[k]);
        sqlite3_bind_blob(w->node, 2, p->blobs + k * (size_t)p->node_size, p->node_size, SQLITE_STATIC);
        if (step_reset(w->node) != 0)
            return -1;
        for (; par < p->parents_end[k]; par++) {
            sqlite3_bind_int64(w->parent, 1, p->parents[par].rowid);
            sqlite3_bind_int64(w->parent, 2, p->parents[par].nodeno);
            if (step_reset(w->parent) != 0)
                return -1;
        }
        if (k + 1 == p->n_leaves && write_links(w, p->links, p->n_links) != 0)
            return -1;
    }
    return 0;
}

static int prepare3(sqlite3 *db, sqlite3_stmt **st, const char *fmt, const char *rt)
{
    char *sql = sqlite3_mprintf(fmt, rt);
    int rc = sql && sqlite3_prepare_v2(db, sql, -1, st, NULL) == SQLITE_OK ? 0 : -1;
    sqlite3_free(sql);
    return rc;
}

/* plan: packed from l ahead (pl_rtree_plan_new), or NULL; used when packed for the node size
 * SQLite chose, else the tree is packed here. */
static int bulk_load(sqlite3 *db, const char *rt, const pl_rtree_list *l, const pl_rtree_plan *plan)
{
    if (l->n == 0)
        return 0;  /* the empty root CREATE VIRTUAL TABLE wrote is the whole tree */
    rt_writer w = {0};
    int node_size = 0;
    sqlite3_stmt *size = NULL;
    int rc = prepare3(db, &size, "SELECT length(data) FROM \"%w_node\" WHERE nodeno = 1", rt);
    if (rc == 0 && sqlite3_step(size) == SQLITE_ROW)
        node_size = sqlite3_column_int(size, 0);
    sqlite3_finalize(size);
    if (rc != 0 || (node_size - 4) / 24 < 4)
        return -1;
    rc |= prepare3(db, &w.node, "INSERT OR REPLACE INTO \"%w_node\" (nodeno, data) VALUES (?, ?)", rt);
    rc |= prepare3(db, &w.rowid, "INSERT INTO \"%w_rowid\" (rowid, nodeno) VALUES (?, ?)", rt);
    rc |= prepare3(db, &w.parent, "INSERT INTO \"%w_parent\" (nodeno, parentnode) VALUES (?, ?)", rt);
    if (rc == 0) {
        char values[LINK_ROWS * 8];
        size_t used = 0;
        for (int k = 0; k < LINK_ROWS; k++)
            used += (size_t)snprintf(values + used, sizeof values - used, "%s(?, ?)", k ? ", " : "");
        char *fmt = sqlite3_mprintf("INSERT INTO \"%%w_rowid\" (rowid, nodeno) VALUES %s", values);
        if (!fmt || prepare3(db, &w.rowids, fmt, rt) != 0)
            w.rowids = NULL; /* one by one then */
        sqlite3_free(fmt);
        used = 0;
        for (int k = 0; k < LINK_ROWS; k++)
            used += (size_t)snprintf(values + used, sizeof values - used, "%s(?)", k ? ", " : "");
        fmt = sqlite3_mprintf("INSERT INTO \"%%w_rowid\" (nodeno) VALUES %s", values);
        if (!fmt || prepare3(db, &w.appends, fmt, rt) != 0)
            w.appends = NULL; /* rowids given then */
        sqlite3_free(fmt);
    }
    pl_rtree_plan *own = NULL;
    if (rc == 0 && (!plan || plan->node_size != node_size))
        plan = own = pl_rtree_plan_new(l, node_size);
    if (rc == 0)
        rc = plan ? write_plan(&w, plan) : -1;
    pl_rtree_plan_free(own);
    sqlite3_finalize(w.node);
    sqlite3_finalize(w.rowid);
    sqlite3_finalize(w.rowids);
    sqlite3_finalize(w.appends);
    sqlite3_finalize(w.parent);
    return rc;
}

/* The triggers GDAL 3.6 creates (GeoPackage 1.2 Annex F.3), with fid column "fid". */
static int triggers(sqlite3 *db, const char *t, const char *c, const char *r)
{
    const char *i = "fid";
    int rc = exec_owned(db, sqlite3_mprintf(
        "CREATE TRIGGER \"%w_insert\" AFTER INSERT ON \"%w\" WHEN (new.\"%w\" NOT NULL AND NOT ST_IsEmpty(NEW.\"%w\")) "
        "BEGIN INSERT OR REPLACE INTO \"%w\" VALUES (NEW.\"%w\",ST_MinX(NEW.\"%w\"), ST_MaxX(NEW.\"%w\"),"
        "ST_MinY(NEW.\"%w\"), ST_MaxY(NEW.\"%w\")); END",
        r, t, c, c, r, i, c, c, c, c));
    if (rc == 0)
        rc = exec_owned(db, sqlite3_mprintf(
            "CREATE TRIGGER \"%w_update1\" AFTER UPDATE OF \"%w\" ON \"%w\" WHEN OLD.\"%w\" = NEW.\"%w\" AND "
            "(NEW.\"%w\" NOTNULL AND NOT ST_IsEmpty(NEW.\"%w\")) BEGIN INSERT OR REPLACE INTO \"%w\" VALUES "
            "(NEW.\"%w\",ST_MinX(NEW.\"%w\"), ST_MaxX(NEW.\"%w\"),ST_MinY(NEW.\"%w\"), ST_MaxY(NEW.\"%w\")); END",
            r, c, t, i, i, c, c, r, i, c, c, c, c));
    if (rc == 0)
        rc = exec_owned(db, sqlite3_mprintf(
            "CREATE TRIGGER \"%w_update2\" AFTER UPDATE OF \"%w\" ON \"%w\" WHEN OLD.\"%w\" = NEW.\"%w\" AND "
            "(NEW.\"%w\" ISNULL OR ST_IsEmpty(NEW.\"%w\")) BEGIN DELETE FROM \"%w\" WHERE id = OLD.\"%w\"; END",
            r, c, t, i, i, c, c, r, i));
    if (rc == 0)
        rc = exec_owned(db, sqlite3_mprintf(
            "CREATE TRIGGER \"%w_update3\" AFTER UPDATE ON \"%w\" WHEN OLD.\"%w\" != NEW.\"%w\" AND "
            "(NEW.\"%w\" NOTNULL AND NOT ST_IsEmpty(NEW.\"%w\")) BEGIN DELETE FROM \"%w\" WHERE id = OLD.\"%w\"; "
            "INSERT OR REPLACE INTO \"%w\" VALUES (NEW.\"%w\",ST_MinX(NEW.\"%w\"), ST_MaxX(NEW.\"%w\"),"
            "ST_MinY(NEW.\"%w\"), ST_MaxY(NEW.\"%w\")); END",
            r, t, i, i, c, c, r, i, r, i, c, c, c, c));
    if (rc == 0)
        rc = exec_owned(db, sqlite3_mprintf(
            "CREATE TRIGGER \"%w_update4\" AFTER UPDATE ON \"%w\" WHEN OLD.\"%w\" != NEW.\"%w\" AND "
            "(NEW.\"%w\" ISNULL OR ST_IsEmpty(NEW.\"%w\")) BEGIN DELETE FROM \"%w\" WHERE id IN "
            "(OLD.\"%w\", NEW.\"%w\"); END",
            r, t, i, i, c, c, r, i, i));
    if (rc == 0)
        rc = exec_owned(db, sqlite3_mprintf(
            "CREATE TRIGGER \"%w_delete\" AFTER DELETE ON \"%w\" WHEN old.\"%w\" NOT NULL BEGIN DELETE FROM \"%w\" "
            "WHERE id = OLD.\"%w\"; END",
            r, t, c, r, i));
    return rc;
}

int pl_gpkg_extensions_table(sqlite3 *db)
{
    return sqlite3_exec(db, "CREATE TABLE IF NOT EXISTS gpkg_extensions (table_name TEXT,column_name TEXT,"
                            "extension_name TEXT NOT NULL,definition TEXT NOT NULL,scope TEXT NOT NULL,"
                            "CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name))",
                        NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

int pl_gpkg_rtree_build(sqlite3 *db, const char *table, const char *geom_col, const pl_rtree_list *l,
                        const pl_rtree_plan *plan)
{
    char *rt = sqlite3_mprintf("rtree_%s_%s", table, geom_col);
    if (!rt)
        return -1;
    int rc = exec_owned(db, sqlite3_mprintf("CREATE VIRTUAL TABLE \"%w\" USING rtree(id, minx, maxx, miny, maxy)",
                                            rt));
    if (rc == 0)
        rc = bulk_load(db, rt, l, plan);
    if (rc == 0)
        rc = triggers(db, table, geom_col, rt);
    if (rc == 0)
        rc = pl_gpkg_extensions_table(db);
    if (rc == 0)
        rc = exec_owned(db, sqlite3_mprintf(
            "INSERT INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope) "
            "VALUES ('%q', '%q', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', "
            "'write-only')", table, geom_col));
    sqlite3_free(rt);
    return rc;
}
