/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Deterministic ordering of text ids ("ties broken by id"): numeric ids compare as
 * numbers ("9" < "10"), others as bytes; numbers sort before text. */
#ifndef PLATSA_ANALYSES_IDS_H
#define PLATSA_ANALYSES_IDS_H

#include <stddef.h>
#include <stdint.h>

int pl_id_compare(const char *a, const char *b);

/* Indexes 0..n-1 sorted by id (stable for equal ids). Caller frees. */
uint32_t *pl_ids_sorted_order(const char *const *ids, size_t n);

#endif
