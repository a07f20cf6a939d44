/* Placeholder until the analysis lands; replaced by the issue that implements it. */
#include <stdio.h>
#include "commands.h"

int cmd_route(pl_ctx *ctx, int argc, char **argv)
{
    (void)ctx;
    (void)argc;
    fprintf(stderr, "platsa %s: not implemented yet\n", argv[0]);
    return PL_EINTERNAL;
}
