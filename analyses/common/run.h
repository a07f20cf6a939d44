/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What every public pl_<cmd>_run shares: the out-of-memory guard's clean-up. */
#ifndef PLATSA_ANALYSES_COMMON_RUN_H
#define PLATSA_ANALYSES_COMMON_RUN_H

#include "gis/ctx.h"

/* After a run unwound on out-of-memory (pl_oom_guard): removes the temporary files of the
 * process's unfinished outputs (GeoPackages, CSV twins, dumps, graph caches) and forgets
 * them. An existing output is only ever replaced by the final rename, so it stays untouched.
 * One run at a time: a run on another thread would lose its temporaries too. */
void pl_run_unwind(void);

#endif
