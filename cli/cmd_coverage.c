/* SPDX-License-Identifier: GPL-3.0-or-later */
/* platsa coverage: parse options, call pl_coverage_run. */
#include <stdio.h>
#include <string.h>

#include "analyses/coverage/coverage.h"
#include "commands.h"

int cmd_coverage(pl_ctx *ctx, int argc, char **argv)
{
    pl_coverage_opts o;
    memset(&o, 0, sizeof o);
    pl_error err = {0};
    char *pos[1];
    int npos = 0;
    int rc = pl_options_parse(pl_coverage_options, &o, argc, argv, pos, 0, &npos, &err);
    if (rc == -1) {
        pl_options_help(stdout, pl_coverage_usage, pl_coverage_summary, pl_coverage_options);
        pl_options_free(pl_coverage_options, &o);
        return 0;
    }
    if (rc == PL_OK)
        rc = pl_coverage_check_opts(&o, &err);
    if (rc == PL_OK)
        rc = pl_coverage_run(ctx, &o, cli_command_line(), &err);
    pl_options_free(pl_coverage_options, &o);
    return rc == PL_OK ? 0 : cli_fail("coverage", &err);
}
