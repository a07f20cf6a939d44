/* SPDX-License-Identifier: GPL-3.0-or-later */
/* platsa report OUT.gpkg -o FOLDER: HTML map report from a platsa GeoPackage. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "analyses/report/report.h"
#include "gis/commit.h"
#include "gis/map_render.h"
#include "gis/gpkg_writer.h"
#include "commands.h"

/* Interrupted: the report's temporary folder goes too (the old report, if any, is only
 * ever replaced by the final rename, so it stays untouched). */
static void on_signal(int sig)
{
    if (pl_commit_defer_signal(sig))
        return;
    pl_report_cleanup_all();
    pl_gpkg_cleanup_all();
    pl_commit_cleanup_all();
    signal(sig, SIG_DFL);
    raise(sig);
}

int cmd_report(pl_ctx *ctx, int argc, char **argv)
{
    pl_report_opts o;
    memset(&o, 0, sizeof o);
    pl_error err = {0};
    char *pos[1];
    int n_pos = 0;
    int rc = pl_options_parse(pl_report_options, &o, argc, argv, pos, 1, &n_pos, &err);
    if (rc == -1) {
        pl_options_help(stdout, pl_report_usage, pl_report_summary, pl_report_options);
        pl_options_free(pl_report_options, &o);
        return PL_OK;
    }
    if (rc == PL_OK && n_pos != 1)
        rc = pl_error_set(&err, PL_EINPUT, "give one GeoPackage; usage: %s", pl_report_usage);
    if (rc == PL_OK) {
        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
        signal(SIGHUP, on_signal);
        o.input = pos[0];
        rc = pl_report_run(ctx, &o, &err);
        pl_map_render_shutdown();  /* cairo and fontconfig caches: nothing for LeakSanitizer to report */
    }
    pl_options_free(pl_report_options, &o);
    return rc == PL_OK ? PL_OK : cli_fail(argv[0], &err);
}
