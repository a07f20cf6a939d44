/* SPDX-License-Identifier: GPL-3.0-or-later */
/* platsa stores: parse options, call pl_stores_run. */
#include <stdio.h>
#include <string.h>

#include "analyses/stores/stores.h"
#include "commands.h"

int cmd_stores(pl_ctx *ctx, int argc, char **argv)
{
    pl_stores_opts o;
    memset(&o, 0, sizeof o);
    pl_error err = {0};
    char *pos[1];
    int npos = 0;
    int rc = pl_options_parse(pl_stores_options, &o, argc, argv, pos, 0, &npos, &err);
    if (rc == -1) {
        pl_options_help(stdout, pl_stores_usage, pl_stores_summary, pl_stores_options);
        pl_options_free(pl_stores_options, &o);
        return 0;
    }
    if (rc == PL_OK)
        rc = pl_stores_run(ctx, &o, cli_command_line(), &err);
    pl_options_free(pl_stores_options, &o);
    return rc == PL_OK ? 0 : cli_fail("stores", &err);
}
