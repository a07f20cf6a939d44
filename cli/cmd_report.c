/* platsa report OUT.gpkg -o FOLDER: HTML map report from a platsa GeoPackage. */
#include <stdio.h>
#include <string.h>

#include "../analyses/report.h"
#include "commands.h"

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
        o.input = pos[0];
        rc = pl_report_run(ctx, &o, &err);
    }
    pl_options_free(pl_report_options, &o);
    return rc == PL_OK ? PL_OK : cli_fail(argv[0], &err);
}
