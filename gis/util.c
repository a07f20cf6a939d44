/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "gis/util.h"

#include <math.h>
#include <time.h>

double pl_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

double pl_cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

double pl_round_to(double v, double per_unit)
{
    return isfinite(v) ? round(v * per_unit) / per_unit : NAN; /* division is exact to the nearest double */
}
