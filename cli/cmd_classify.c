/* SPDX-License-Identifier: GPL-3.0-or-later */
/* platsa classify: parse options, call pl_classify_run. */
#include <stdio.h>
#include <string.h>

#include "analyses/classify/classify.h"
#include "commands.h"

int cmd_classify(pl_ctx *ctx, int argc, char **argv)
{
    pl_classify_opts o;
    memset(&o, 0, sizeof o);
    pl_error err = {0};
    char *pos[1];
    int npos = 0;
    int rc = pl_options_parse(pl_classify_options, &o, argc, argv, pos, 0, &npos, &err);
    if (rc == -1) {
        pl_options_help(stdout, pl_classify_usage, pl_classify_summary, pl_classify_options);
        return 0;
    }
    if (rc == PL_OK)
        rc = pl_classify_check_opts(&o, &err);
    if (rc == PL_OK)
        rc = pl_classify_run(ctx, &o, cli_command_line(), &err);
    pl_options_free(pl_classify_options, &o);
    return rc == PL_OK ? 0 : cli_fail("classify", &err);
}
