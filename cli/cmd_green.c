/* SPDX-License-Identifier: GPL-3.0-or-later */
/* platsa green: parse options, call pl_green_run. */
#include <stdio.h>
#include <string.h>

#include "analyses/green/green.h"
#include "commands.h"

int cmd_green(pl_ctx *ctx, int argc, char **argv)
{
    pl_green_opts o;
    memset(&o, 0, sizeof o);
    pl_error err = {0};
    char *pos[1];
    int npos = 0;
    int rc = pl_options_parse(pl_green_options, &o, argc, argv, pos, 0, &npos, &err);
    if (rc == -1) {
        pl_options_help(stdout, pl_green_usage, pl_green_summary, pl_green_options);
        pl_options_free(pl_green_options, &o);
        return 0;
    }
    if (rc == PL_OK)
        rc = pl_green_run(ctx, &o, cli_command_line(), &err);
    pl_options_free(pl_green_options, &o);
    return rc == PL_OK ? 0 : cli_fail("green", &err);
}
