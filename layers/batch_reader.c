/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Batch reading through GDAL's Arrow C stream (see batch_reader.h). */
#include "batch_reader.h"

#include <cpl_error.h>
#include <cpl_string.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Atomic long reads_done;

long pl_batch_reads_done(void)
{
    return reads_done;
}

int pl_batch_disabled(void)
{
    const char *e = getenv("PLATSA_READER");
    return e && strcmp(e, "feature") == 0;
}

/* Readers open in any thread (access loads roads in a thread of its own while population
 * loads), and the global GDAL error handler they share while any is open. */
enum { MAX_READERS = 16 };
static pthread_mutex_t readers_lock = PTHREAD_MUTEX_INITIALIZER;
static pl_batch_reader *readers[MAX_READERS];
static int n_readers;
static CPLErrorHandler old_handler;

static void set_error_locked(pl_batch_reader *r, const char *msg)
{
    if (!r->error[0])
        snprintf(r->error, sizeof r->error, "%s", msg && *msg ? msg : "read error");
}

static void set_error(pl_batch_reader *r, const char *msg)
{
    pthread_mutex_lock(&readers_lock);
    set_error_locked(r, msg);
    pthread_mutex_unlock(&readers_lock);
}

static int has_error(pl_batch_reader *r)
{
    pthread_mutex_lock(&readers_lock);
    int e = r->error[0] != 0;
    pthread_mutex_unlock(&readers_lock);
    return e;
}

/* Collects GDAL's errors while a batch is read: the per-feature path reads with a quiet
 * handler too, and fails the load on an error (pl_layer_read_failed). */
static void CPL_STDCALL quiet_collect(CPLErr cls, CPLErrorNum no, const char *msg)
{
    (void)no;
    pl_batch_reader *r = CPLGetErrorHandlerUserData();
    if (cls >= CE_Failure && r)
        set_error(r, msg);
}

/* The driver may read ahead in a thread of its own (the GeoPackage driver does), whose
 * errors go to the global handler. Which reader such a thread serves is unknown, so its
 * failures count for every open reader (each then reads again the old way: slower, the
 * same result); errors of the reading threads themselves go where they went before. */
static void CPL_STDCALL global_collect(CPLErr cls, CPLErrorNum no, const char *msg)
{
    pthread_mutex_lock(&readers_lock);
    int own = 0;
    for (int k = 0; k < n_readers && !own; k++)
        own = pthread_equal(pthread_self(), readers[k]->owner);
    if (!own && cls >= CE_Failure)
        for (int k = 0; k < n_readers; k++)
            set_error_locked(readers[k], msg);
    CPLErrorHandler forward = own ? old_handler : NULL;
    pthread_mutex_unlock(&readers_lock);
    if (forward)
        forward(cls, no, msg);
}

/* Registers r as open; the first installs the global handler. 0 when too many are open. */
static int readers_add(pl_batch_reader *r)
{
    pthread_mutex_lock(&readers_lock);
    int ok = n_readers < MAX_READERS;
    if (ok) {
        if (n_readers == 0)
            old_handler = CPLSetErrorHandler(global_collect);
        readers[n_readers++] = r;
    }
    pthread_mutex_unlock(&readers_lock);
    return ok;
}

/* Unregisters r; the last puts the global handler back. */
static void readers_remove(pl_batch_reader *r)
{
    pthread_mutex_lock(&readers_lock);
    for (int k = 0; k < n_readers; k++)
        if (readers[k] == r) {
            readers[k] = readers[--n_readers];
            if (n_readers == 0)
                CPLSetErrorHandler(old_handler);
            break;
        }
    pthread_mutex_unlock(&readers_lock);
}

/* Only what the per-feature path reads: every other field is ignored, so the driver skips it. */
static void ignore_other_fields(OGRLayerH layer, const int *fields, int n)
{
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer);
    int nf = OGR_FD_GetFieldCount(defn);
    char **ignored = CSLAddString(NULL, "OGR_STYLE");
    for (int k = 0; k < nf; k++) {
        int used = 0;
        for (int j = 0; j < n && !used; j++)
            used = fields[j] == k;
        if (!used)
            ignored = CSLAddString(ignored, OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, k)));
    }
    OGR_L_SetIgnoredFields(layer, (const char **)ignored);
    CSLDestroy(ignored);
}

static int supported_format(const char *f)
{
    return f && f[1] == '\0' && (f[0] == 'i' || f[0] == 'l' || f[0] == 's' || f[0] == 'g' || f[0] == 'u' ||
                                     f[0] == 'U');
}

/* Finds the FID, geometry and field columns in the stream's schema. */
static int map_columns(pl_batch_reader *r, const int *fields, int n)
{
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(r->v->layer);
    const struct ArrowSchema *s = &r->schema;
    if (!s->format || strcmp(s->format, "+s") != 0 || s->n_children < 2)
        return 1;
    r->fid_child = 0;
    if (strcmp(s->children[0]->format, "l") != 0)
        return 1;
    r->geom_child = -1;
    for (int c = 1; c < (int)s->n_children; c++) {
        const char *fmt = s->children[c]->format;
        const char *name = s->children[c]->name;
        int field = -1;
        for (int j = 0; j < n && field < 0; j++)
            if (fields[j] >= 0 && !strcmp(name, OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, fields[j]))))
                field = fields[j];
        if (field >= 0) {
            if (!supported_format(fmt))
                return 1;
            r->cols[field] = (pl_batch_col){.fmt = fmt[0], .child = c};
        } else if (!strcmp(fmt, "z") && r->geom_child < 0) {
            r->geom_child = c;
        } else {
            return 1;
        }
    }
    for (int j = 0; j < n; j++)
        if (fields[j] >= 0 && !r->cols[fields[j]].fmt)
            return 1;
    return r->geom_child < 0;
}

/* Field types whose Arrow form is read here: integers (no boolean subtype), doubles (not
 * float32, which GDAL 3.6 narrows) and text. */
static int fields_supported(OGRLayerH layer, const int *fields, int n)
{
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer);
    for (int j = 0; j < n; j++) {
        if (fields[j] < 0)
            continue;
        OGRFieldDefnH fd = OGR_FD_GetFieldDefn(defn, fields[j]);
        OGRFieldType t = OGR_Fld_GetType(fd);
        OGRFieldSubType st = OGR_Fld_GetSubType(fd);
        if (!((t == OFTInteger || t == OFTInteger64 || t == OFTString) && (st == OFSTNone || st == OFSTInt16)) &&
            !(t == OFTReal && st == OFSTNone))
            return 0;
    }
    return 1;
}

int pl_batch_open(pl_batch_reader *r, const pl_vector *v, const int *fields, int n)
{
    memset(r, 0, sizeof *r);
    r->v = v;
    OGRLayerH layer = v->layer;
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer);
    if (pl_batch_disabled() || !OGR_L_TestCapability(layer, OLCFastGetArrowStream) ||
        OGR_FD_GetGeomFieldCount(defn) != 1 || !fields_supported(layer, fields, n))
        return 1;
    r->n_fields = OGR_FD_GetFieldCount(defn);
    r->cols = pl_calloc((size_t)r->n_fields + 1, sizeof *r->cols);
    r->scratch = OGR_F_Create(defn);
    r->owner = pthread_self();
    if (!readers_add(r)) {
        pl_batch_close(r);
        return 1;
    }
    r->registered = 1;
    ignore_other_fields(layer, fields, n);
    OGR_L_ResetReading(layer);
    char **opts = CSLSetNameValue(NULL, "INCLUDE_FID", "YES");
    opts = CSLSetNameValue(opts, "MAX_FEATURES_IN_BATCH", "65536");
    CPLPushErrorHandlerEx(quiet_collect, r);
    int ok = OGR_L_GetArrowStream(layer, &r->stream, opts) && r->stream.get_schema(&r->stream, &r->schema) == 0;
    CPLPopErrorHandler();
    CSLDestroy(opts);
    if (ok && !has_error(r) && map_columns(r, fields, n) == 0)
        return 0;
    pl_batch_close(r);
    return 1;
}

int pl_batch_next(pl_batch_reader *r)
{
    if (r->have_batch && r->batch.release)
        r->batch.release(&r->batch);
    r->have_batch = 0;
    r->n_rows = 0;
    if (has_error(r))
        return -1;
    CPLPushErrorHandlerEx(quiet_collect, r);
    int rc = r->stream.get_next(&r->stream, &r->batch);
    CPLPopErrorHandler();
    if (rc != 0)
        set_error(r, r->stream.get_last_error ? r->stream.get_last_error(&r->stream) : NULL);
    if (rc != 0 || has_error(r)) {
        if (rc == 0 && r->batch.release)
            r->batch.release(&r->batch);
        return -1;
    }
    if (!r->batch.release) {
        reads_done++;
        return 0;
    }
    r->have_batch = 1;
    if (r->batch.n_children != r->schema.n_children || r->batch.offset != 0) {
        set_error(r, "unexpected batch layout");
        return -1;
    }
    for (int k = 0; k < r->n_fields; k++)
        if (r->cols[k].fmt)
            r->cols[k].a = r->batch.children[r->cols[k].child];
    r->n_rows = (long)r->batch.length;
    r->rows_read += r->n_rows;
    return 1;
}

void pl_batch_close(pl_batch_reader *r)
{
    CPLPushErrorHandlerEx(quiet_collect, r);
    if (r->have_batch && r->batch.release)
        r->batch.release(&r->batch);
    if (r->schema.release)
        r->schema.release(&r->schema);
    if (r->stream.release)
        r->stream.release(&r->stream);
    if (r->v) {
        OGR_L_SetIgnoredFields(r->v->layer, NULL);
        OGR_L_ResetReading(r->v->layer);
    }
    CPLPopErrorHandler();
    if (r->registered)
        readers_remove(r);
    free(r->cols);
    if (r->scratch)
        OGR_F_Destroy(r->scratch);
    memset(r, 0, sizeof *r);
}

static int valid_at(const struct ArrowArray *a, long row)
{
    const uint8_t *bits = a->buffers[0];
    if (a->null_count == 0 || !bits)
        return 1;
    int64_t j = a->offset + row;
    return (bits[j >> 3] >> (j & 7)) & 1;
}

int64_t pl_batch_fid(const pl_batch_reader *r, long row)
{
    const struct ArrowArray *a = r->batch.children[r->fid_child];
    return ((const int64_t *)a->buffers[1])[a->offset + row];
}

const uint8_t *pl_batch_wkb(const pl_batch_reader *r, long row, size_t *len)
{
    const struct ArrowArray *a = r->batch.children[r->geom_child];
    if (!valid_at(a, row))
        return NULL;
    const int32_t *off = a->buffers[1];
    int64_t j = a->offset + row;
    *len = (size_t)(off[j + 1] - off[j]);
    return (const uint8_t *)a->buffers[2] + off[j];
}

int pl_batch_null(const pl_batch_reader *r, int field, long row)
{
    if (field < 0 || field >= r->n_fields || !r->cols[field].fmt)
        return 1;
    return !valid_at(r->cols[field].a, row);
}

int pl_batch_is_int(const pl_batch_reader *r, int field)
{
    char f = r->cols[field].fmt;
    return f == 'i' || f == 'l' || f == 's';
}

int pl_batch_is_real(const pl_batch_reader *r, int field)
{
    return r->cols[field].fmt == 'g';
}

double pl_batch_real(const pl_batch_reader *r, int field, long row)
{
    const struct ArrowArray *a = r->cols[field].a;
    return ((const double *)a->buffers[1])[a->offset + row];
}

int64_t pl_batch_int(const pl_batch_reader *r, int field, long row)
{
    const struct ArrowArray *a = r->cols[field].a;
    int64_t j = a->offset + row;
    switch (r->cols[field].fmt) {
    case 'i':
        return ((const int32_t *)a->buffers[1])[j];
    case 's':
        return ((const int16_t *)a->buffers[1])[j];
    default:
        return ((const int64_t *)a->buffers[1])[j];
    }
}

const char *pl_batch_text(pl_batch_reader *r, int field, long row, size_t *len)
{
    const pl_batch_col *c = &r->cols[field];
    int64_t j = c->a->offset + row;
    if (c->fmt == 'u') {
        const int32_t *off = c->a->buffers[1];
        *len = (size_t)(off[j + 1] - off[j]);
        return (const char *)c->a->buffers[2] + off[j];
    }
    if (c->fmt == 'U') {
        const int64_t *off = c->a->buffers[1];
        *len = (size_t)(off[j + 1] - off[j]);
        return (const char *)c->a->buffers[2] + off[j];
    }
    if (c->fmt == 'g') {
        /* OGR's own formatting (width, precision, %.15g), through a feature of the layer */
        OGR_F_SetFieldDouble(r->scratch, field, pl_batch_real(r, field, row));
        const char *t = OGR_F_GetFieldAsString(r->scratch, field);
        *len = strlen(t);
        return t;
    }
    /* OGR_F_GetFieldAsString: "%d" for Integer, CPL_FRMT_GIB for Integer64; by hand, as
     * snprintf per value was a tenth of a roads load. */
    int64_t v = pl_batch_int(r, field, row);
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    char *end = r->text + sizeof r->text, *p = end;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    *len = (size_t)(end - p);
    return p;
}
