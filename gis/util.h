/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Small helpers every floor uses: a monotonic clock for stage timings and the rounding of
 * written numbers. One copy here instead of one per file. */
#ifndef PLATSA_GIS_UTIL_H
#define PLATSA_GIS_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Seconds on the monotonic clock (for durations only). */
double pl_now_s(void);

/* CPU seconds of the whole process (all threads). */
double pl_cpu_s(void);

/* v rounded to 1/per_unit (per_unit 1000: to the thousandth); NaN for NaN or infinite v.
 * Outputs are rounded to what the method can claim, so tables compare byte for byte. */
double pl_round_to(double v, double per_unit);

/* The roundings of written figures: people to 0.001, km to the metre, minutes to 0.01. */
static inline double pl_round_people(double v) { return pl_round_to(v, 1000); }
static inline double pl_round_km(double v) { return pl_round_to(v, 1000); }
static inline double pl_round_min(double v) { return pl_round_to(v, 100); }

/* Sorts n 64-bit keys ascending (LSD radix, 16 bits a pass; in graph_build.c). */
void pl_sort_u64(uint64_t *keys, size_t n);

#endif
