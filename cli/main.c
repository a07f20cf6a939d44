/* SPDX-License-Identifier: GPL-3.0-or-later */
/* platsa: thin command-line front end. Parses global flags, then hands the rest of argv to
 * the dispatcher (cli/commands.c), which parses the command's options and calls the library. */
#include <gdal.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "gis/commit.h"
#include "gis/hugepages.h"
#include "gis/gpkg_writer.h"
#include "gis/init.h"

#include "commands.h"

static char command_line[8192];

const char *cli_command_line(void) { return command_line; }

/* On SIGINT/SIGTERM: remove the temporary files of unfinished outputs (an existing output
 * is only replaced by rename at commit, so it stays untouched), then die by the signal. */
static void on_signal(int sig)
{
    if (pl_commit_defer_signal(sig))  /* an output's files are being renamed: after that */
        return;
    pl_gpkg_cleanup_all();
    pl_commit_cleanup_all();
    signal(sig, SIG_DFL);
    raise(sig);
}

static void usage(FILE *out)
{
    fprintf(out, "usage: platsa [-q|--quiet] [-v|--verbose] COMMAND [options]\n"
                 "       platsa --version\n"
                 "       platsa --help-md|--help-json|--help-man [COMMAND...]\n\n"
                 "GIS analyses for Swedish regional planning (service access, 3-30-300, scenarios).\n\n"
                 "commands:\n");
    for (size_t i = 0; i < cli_n_commands; i++)
        fprintf(out, "  %-12s %s\n", cli_commands[i].name, cli_commands[i].summary);
    fprintf(out, "\n'platsa COMMAND --help' shows a command's options.\n"
                 "Exit codes: 0 ok, 1 bad input or usage, 2 internal failure.\n");
}

static void record_command_line(int argc, char **argv)
{
    size_t used = 0;
    for (int i = 0; i < argc && used + 4 < sizeof command_line; i++) {
        int quote = strpbrk(argv[i], " \t'\"") != NULL;
        int n = snprintf(command_line + used, sizeof command_line - used, "%s%s%s%s",
                         i ? " " : "", quote ? "'" : "", argv[i], quote ? "'" : "");
        if (n < 0 || (size_t)n >= sizeof command_line - used)
            break;
        used += (size_t)n;
    }
}

int main(int argc, char **argv)
{
    pl_hugepages_reexec(argv);
    record_command_line(argc, argv);
    int quiet = 0, verbose = 0, i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet"))
            quiet = 1;
        else if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose"))
            verbose = 1;
        else if (!strcmp(argv[i], "--version")) {
            printf("platsa %s (GDAL %s, GEOS %s)\n", PLATSA_VERSION, GDALVersionInfo("RELEASE_NAME"),
                   GEOSversion());
            return 0;
        } else if (cli_doc_format(argv[i]) != PL_HELP_TEXT || !strcmp(argv[i], "--commands")) {
            return cli_docs(cli_commands, cli_n_commands, argc - i, argv + i);
        } else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "platsa: unknown option '%s'; see platsa --help\n", argv[i]);
            return PL_EINPUT;
        }
    }
    if (i >= argc) {
        usage(stderr);
        return PL_EINPUT;
    }
    const cli_command *cmd = cli_find(argv[i]);
    if (!cmd) {
        fprintf(stderr, "platsa: unknown command '%s'; see platsa --help\n", argv[i]);
        return PL_EINPUT;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGHUP, on_signal);
    pl_init();
    pl_ctx *ctx = pl_ctx_new();
    ctx->quiet = quiet;
    ctx->verbose = verbose;
    if (!quiet) {
        ctx->progress = pl_progress_stderr;
        ctx->echo_warnings = verbose;
    }
    int rc = cli_run(ctx, cmd, argc - i, argv + i);
    if (!quiet)
        pl_warn_summary(ctx);
    pl_ctx_free(ctx);
    return rc;
}
