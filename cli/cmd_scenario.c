/* SPDX-License-Identifier: GPL-3.0-or-later */
/* platsa scenario FILE.ini: parse options, call pl_scenario_run. */
#include <stdio.h>
#include <string.h>

#include "analyses/scenario/scenario.h"
#include "commands.h"

int cmd_scenario(pl_ctx *ctx, int argc, char **argv)
{
    pl_scenario_opts o;
    memset(&o, 0, sizeof o);
    pl_error err = {0};
    char *pos[2];
    int npos = 0;
    int rc = pl_options_parse(pl_scenario_options, &o, argc, argv, pos, 2, &npos, &err);
    if (rc == -1) {
        pl_options_help(stdout, pl_scenario_usage, pl_scenario_summary, pl_scenario_options);
        pl_options_free(pl_scenario_options, &o);
        return 0;
    }
    if (rc == PL_OK && npos != 1)
        rc = pl_error_set(&err, PL_EINPUT, "give one scenario file: %s", pl_scenario_usage);
    if (rc == PL_OK)
        rc = pl_scenario_run(ctx, pos[0], &o, cli_command_line(), &err);
    pl_options_free(pl_scenario_options, &o);
    return rc == PL_OK ? 0 : cli_fail("scenario", &err);
}
