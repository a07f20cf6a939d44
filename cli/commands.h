/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Subcommands of the platsa CLI. Each parses its own options (from the table its
 * analysis declares) and calls the library; argv[0] is the subcommand name. */
#ifndef PLATSA_CLI_COMMANDS_H
#define PLATSA_CLI_COMMANDS_H

#include "gis/ctx.h"
#include "gis/options.h"

typedef int (*pl_command_fn)(pl_ctx *ctx, int argc, char **argv);

typedef struct pl_command {
    const char *name;
    pl_command_fn run;
    const char *summary;
} pl_command;

int cmd_info(pl_ctx *ctx, int argc, char **argv);
int cmd_import_osm(pl_ctx *ctx, int argc, char **argv);
int cmd_population(pl_ctx *ctx, int argc, char **argv);
int cmd_synth(pl_ctx *ctx, int argc, char **argv);
int cmd_access(pl_ctx *ctx, int argc, char **argv);
int cmd_classify(pl_ctx *ctx, int argc, char **argv);
int cmd_stores(pl_ctx *ctx, int argc, char **argv);
int cmd_scenario(pl_ctx *ctx, int argc, char **argv);
int cmd_coverage(pl_ctx *ctx, int argc, char **argv);
int cmd_green(pl_ctx *ctx, int argc, char **argv);
int cmd_report(pl_ctx *ctx, int argc, char **argv);
int cmd_route(pl_ctx *ctx, int argc, char **argv);

/* Prints an error line "platsa CMD: MSG" and returns its exit code. */
int cli_fail(const char *cmd, const pl_error *err);

/* The documentation flag's format (--help-md, --help-json, --help-man); PL_HELP_TEXT for any
 * other argument. */
pl_help_format cli_doc_format(const char *flag);

/* platsa --help-md|--help-json|--help-man|--commands [COMMAND...] (cli/help_doc.c): argv[0] is
 * the flag. Returns the exit code. */
int cli_docs(const pl_command *cmds, size_t n, int argc, char **argv);

/* The full command line as one string, for run metadata (static buffer). */
const char *cli_command_line(void);

#endif
