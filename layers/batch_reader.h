/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Reading a layer in batches through GDAL's Arrow C stream (OGR_L_GetArrowStream): per
 * batch the FIDs, the geometry as WKB and the attribute columns a loader asked for, without
 * an OGRFeature per row. Only for drivers with a fast Arrow implementation and columns whose
 * Arrow form GDAL 3.6 writes faithfully (integers, doubles and text); everything else keeps the
 * per-feature path, and so does PLATSA_READER=feature. */
#ifndef PLATSA_LAYERS_BATCH_READER_H
#define PLATSA_LAYERS_BATCH_READER_H

#include <stddef.h>
#include <pthread.h>
#include <stdint.h>
#include <cpl_error.h>
#include <ogr_recordbatch.h>
#include "gis/vector.h"

typedef struct pl_batch_col {
    char fmt;                    /* Arrow format: 'i' int32, 'l' int64, 's' int16, 'g' double, 'u'/'U' text */
    const struct ArrowArray *a;  /* the column in the current batch */
    int child;                   /* its index among the batch's children */
} pl_batch_col;

typedef struct pl_batch_reader {
    const pl_vector *v;
    struct ArrowArrayStream stream;
    struct ArrowSchema schema;
    struct ArrowArray batch;
    int have_batch;
    int fid_child, geom_child;
    int n_fields;                /* OGR fields of the layer */
    pl_batch_col *cols;          /* per OGR field; fmt 0 when not read */
    long n_rows;                 /* rows in the current batch */
    long rows_read;              /* rows of all batches so far */
    char text[64];               /* an integer formatted as text */
    OGRFeatureH scratch;         /* formats reals as OGR does (OGR_F_GetFieldAsString) */
    char error[512];             /* the first GDAL error while reading (under a lock) */
    pthread_t owner;             /* the thread reading */
    int registered;              /* in the list of open readers (batch_reader.c) */
} pl_batch_reader;

/* True when PLATSA_READER=feature asks for the per-feature path. */
int pl_batch_disabled(void);

/* Starts a batch read of v's layer with the OGR fields listed in `fields` (n entries, -1
 * entries ignored; other fields are not read). Returns 0 when started; 1 when this layer or
 * one of the fields needs the per-feature path (nothing changed then). */
int pl_batch_open(pl_batch_reader *r, const pl_vector *v, const int *fields, int n);

/* The next batch: 1 with r->n_rows rows; 0 at the end of the layer; -1 on a read error
 * (r->error says why). Then the caller reads the layer again the old way. */
int pl_batch_next(pl_batch_reader *r);

/* How many batch reads ran to the end of their layer (for tests: was the batch path used). */
long pl_batch_reads_done(void);

/* Ends the read and restores the layer (all fields read again, reading rewound). */
void pl_batch_close(pl_batch_reader *r);

int64_t pl_batch_fid(const pl_batch_reader *r, long row);
/* The WKB of a row, NULL for a null geometry. */
const uint8_t *pl_batch_wkb(const pl_batch_reader *r, long row, size_t *len);
/* Whether OGR field `field` is null (or not read) in a row. */
int pl_batch_null(const pl_batch_reader *r, int field, long row);
/* An integer field's value. */
int64_t pl_batch_int(const pl_batch_reader *r, int field, long row);
/* Whether a field is an integer column, a real one (else text). */
int pl_batch_is_int(const pl_batch_reader *r, int field);
int pl_batch_is_real(const pl_batch_reader *r, int field);
/* A real field's value. */
double pl_batch_real(const pl_batch_reader *r, int field, long row);
/* The field as OGR_F_GetFieldAsString gives it: text bytes (not NUL-terminated) or the
 * number formatted (valid until the next call). */
const char *pl_batch_text(pl_batch_reader *r, int field, long row, size_t *len);

#endif
