/* SPDX-License-Identifier: GPL-3.0-or-later */
/* platsa: the one header a program using the platsa library includes.
 *
 *     #include <platsa.h>        cc prog.c $(pkg-config --cflags --libs platsa)
 *
 * Every command of the platsa CLI is one library call with the same contract:
 *
 *     pl_<cmd>_opts o;                       the options struct, one field per option
 *     pl_<cmd>_options[]                     its table: names, defaults, ranges, help
 *     pl_<cmd>_opts_init(&o);                zeroes o, sets the table's defaults
 *     ... set the fields (strings are borrowed, not copied) ...
 *     pl_<cmd>_run(ctx, &o, ..., &err);      PL_OK, or PL_EINPUT / PL_EINTERNAL with err.msg
 *     pl_<cmd>_opts_free(&o);                frees the lists the table allocated
 *
 * for cmd in info, import_osm, population, synth, route, access, classify, stores, scenario,
 * coverage, green, report, partition, partition_task, partition_run, merge, sweep. Call pl_init() once
 * first; make a context with pl_ctx_new() (its
 * quiet, verbose and progress fields as you want them), free it with pl_ctx_free().
 *
 * Out of memory inside pl_<cmd>_run returns PL_EINTERNAL instead of ending the process, except
 * while worker threads run (see pl_malloc in gis/ctx.h for what is and is not covered).
 *
 * Signals are the program's: the CLI removes unfinished outputs' temporaries on SIGINT/SIGTERM
 * with pl_gpkg_cleanup_all() and pl_commit_cleanup_all(); a host can do the same.
 *
 * Headers live under platsa/ (installed: $PREFIX/include/platsa/gis/ctx.h ...), found through
 * the -I that `pkg-config --cflags platsa` gives (in the source tree: -Iinclude -I.). */
#ifndef PLATSA_H
#define PLATSA_H

#include "gis/ctx.h"
#include "gis/init.h"
#include "gis/options.h"
#include "gis/commit.h"
#include "gis/gpkg_writer.h"

#include "analyses/info/info.h"
#include "analyses/import_osm/import_osm.h"
#include "analyses/population/population.h"
#include "analyses/synth/synth.h"
#include "analyses/route/route.h"
#include "analyses/access/access.h"
#include "analyses/classify/classify.h"
#include "analyses/stores/stores.h"
#include "analyses/scenario/scenario.h"
#include "analyses/coverage/coverage.h"
#include "analyses/green/green.h"
#include "analyses/report/report.h"
#include "analyses/partition/partition.h"

#endif
