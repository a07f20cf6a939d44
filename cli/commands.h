/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The platsa CLI's one dispatcher: a table of commands, each its library call's option table,
 * options struct and pl_<cmd>_opts_init / pl_<cmd>_run; the same steps parse, print --help and
 * run every one of them. */
#ifndef PLATSA_CLI_COMMANDS_H
#define PLATSA_CLI_COMMANDS_H

#include <stddef.h>

#include "gis/ctx.h"
#include "gis/options.h"

/* Most positional arguments any command takes (platsa info FILE...). */
#define CLI_MAX_POS 64

typedef struct cli_command {
    const char *name;
    const char *summary;          /* one line in platsa --help */
    const char *usage, *help;     /* platsa COMMAND --help */
    const pl_option *options;
    size_t opts_size;             /* sizeof pl_<cmd>_opts */
    int max_pos;                  /* positional arguments it takes */
    int (*init)(void *opts);      /* pl_<cmd>_opts_init */
    /* Checks the positional arguments, calls pl_<cmd>_run. PL_OK, an error code with err set,
     * or CLI_REPORTED(code) when the errors were printed already. */
    int (*run)(pl_ctx *ctx, void *opts, char **pos, int n_pos, pl_error *err);
} cli_command;

#define CLI_REPORTED(code) (-(code))

extern const cli_command cli_commands[];
extern const size_t cli_n_commands;

/* The command named name, or NULL. */
const cli_command *cli_find(const char *name);

/* Parses argv (argv[0] is the command's name) with the command's table, prints --help or
 * runs it; returns the exit code (0, 1 bad input, 2 internal). */
int cli_run(pl_ctx *ctx, const cli_command *cmd, int argc, char **argv);

/* Prints an error line "platsa CMD: MSG" and returns its exit code. */
int cli_fail(const char *cmd, const pl_error *err);

/* The documentation flag's format (--help-md, --help-json, --help-man); PL_HELP_TEXT for any
 * other argument. */
pl_help_format cli_doc_format(const char *flag);

/* platsa --help-md|--help-json|--help-man|--commands [COMMAND...] (cli/help_doc.c): argv[0] is
 * the flag. Returns the exit code. */
int cli_docs(const cli_command *cmds, size_t n, int argc, char **argv);

/* The full command line as one string, for run metadata (static buffer; cli/main.c). */
const char *cli_command_line(void);

#endif
