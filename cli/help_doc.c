/* SPDX-License-Identifier: GPL-3.0-or-later */
/* platsa --help-md, --help-json, --help-man [COMMAND...] and --commands: the documentation
 * of every command from its option table. Each command is run with --help while the
 * table printer is in the asked format (pl_options_help_mode), so the documents come from
 * exactly the table, usage and summary that `platsa COMMAND --help` shows. */
#include <stdio.h>
#include <string.h>

#include "gis/options.h"
#include "commands.h"

static const char USAGE[] = "platsa [-q|--quiet] [-v|--verbose] COMMAND [options]";

static const struct {
    const char *flag, *help;
} GLOBAL[] = {
    {"-q, --quiet", "no progress or warning summary on stderr"},
    {"-v, --verbose", "echo every warning as it happens"},
    {"--version", "print platsa's, GDAL's and GEOS's versions"},
    {"--help-md [COMMAND...]", "the commands' documentation as Markdown (the READMEs)"},
    {"--help-json [COMMAND...]", "the commands and their options as JSON (for tools such as a QGIS provider)"},
    {"--help-man [COMMAND]", "a man page in troff: platsa(1), or platsa-COMMAND(1)"},
    {"--commands", "the command names, one a line"},
    {"-h, --help", "list the commands"},
};
#define N_GLOBAL (sizeof GLOBAL / sizeof GLOBAL[0])

pl_help_format cli_doc_format(const char *flag)
{
    if (!strcmp(flag, "--help-md"))
        return PL_HELP_MD;
    if (!strcmp(flag, "--help-json"))
        return PL_HELP_JSON;
    if (!strcmp(flag, "--help-man"))
        return PL_HELP_MAN;
    return PL_HELP_TEXT;
}

static const cli_command *find(const cli_command *cmds, size_t n, const char *name)
{
    for (size_t k = 0; k < n; k++)
        if (!strcmp(cmds[k].name, name))
            return &cmds[k];
    return NULL;
}

/* One command's document, through its own --help. */
static int command_doc(pl_help_format f, const cli_command *c)
{
    char name[64], help[] = "--help";
    snprintf(name, sizeof name, "%s", c->name);
    char *av[] = {name, help, NULL};
    pl_ctx *ctx = pl_ctx_new();
    ctx->quiet = 1;
    pl_options_help_mode(f, c->name, c->summary);
    int rc = cli_run(ctx, c, 2, av);
    pl_options_help_mode(PL_HELP_TEXT, NULL, NULL);
    pl_ctx_free(ctx);
    fflush(stdout);
    return rc;
}

static void json_str(const char *s)
{
    putchar('"');
    for (; *s; s++)
        printf(*s == '"' || *s == '\\' ? "\\%c" : "%c", *s);
    putchar('"');
}

static void program_json_head(void)
{
    printf("{\"program\": \"platsa\", \"version\": \"%s\", \"usage\": ", PLATSA_VERSION);
    json_str(USAGE);
    printf(",\n\"exit_codes\": {\"0\": \"ok\", \"1\": \"bad input or usage\", \"2\": \"internal failure\"},\n"
           "\"global_options\": [");
    for (size_t k = 0; k < N_GLOBAL; k++) {
        printf("%s{\"flag\": ", k ? ", " : "");
        json_str(GLOBAL[k].flag);
        printf(", \"description\": ");
        json_str(GLOBAL[k].help);
        putchar('}');
    }
    printf("],\n\"commands\": [\n");
}

static void program_md(const cli_command *cmds, size_t n)
{
    printf("# platsa\n\nGIS analyses for Swedish regional planning (service access, 3-30-300, scenarios).\n\n"
           "```sh\n%s\n```\n\n| command | what it does |\n|---|---|\n", USAGE);
    for (size_t k = 0; k < n; k++)
        printf("| `%s` | %s |\n", cmds[k].name, cmds[k].summary);
    printf("\n| global option | |\n|---|---|\n");
    for (size_t k = 0; k < N_GLOBAL; k++)
        printf("| `%s` | %s |\n", GLOBAL[k].flag, GLOBAL[k].help);
    printf("\nExit codes: 0 ok, 1 bad input or usage, 2 internal failure.\n");
}

static void man_text(const char *s)
{
    pl_options_troff(stdout, s);
}

static void program_man(const cli_command *cmds, size_t n)
{
    printf(".TH PLATSA 1 \"\" \"platsa %s\" \"platsa manual\"\n.SH NAME\nplatsa \\- GIS analyses for "
           "Swedish regional planning (service access, 3\\-30\\-300, scenarios)\n.SH SYNOPSIS\n.nf\n",
           PLATSA_VERSION);
    man_text(USAGE);
    printf("\n.fi\n.SH DESCRIPTION\nRoad distance and travel time from every population unit to the nearest "
           "services, and the analyses built on them; outputs are styled GeoPackages.\n"
           "Every command has its own page and \\fB\\-\\-help\\fR.\n.SH COMMANDS\n");
    for (size_t k = 0; k < n; k++) {
        printf(".TP\n.BR platsa\\-");
        man_text(cmds[k].name);
        printf(" (1)\n");
        man_text(cmds[k].summary);
        putchar('\n');
    }
    printf(".SH OPTIONS\n");
    for (size_t k = 0; k < N_GLOBAL; k++) {
        printf(".TP\n\\fB");
        man_text(GLOBAL[k].flag);
        printf("\\fR\n");
        man_text(GLOBAL[k].help);
        putchar('\n');
    }
    printf(".SH ENVIRONMENT\n.TP\n.B PLATSA_SHARE\nthe folder of platsa's data files (service types, road "
           "profiles, styles) instead of the installed one\n"
           ".SH EXIT STATUS\n0 success, 1 bad input or usage, 2 internal failure.\n.SH SEE ALSO\n");
    for (size_t k = 0; k < n; k++) {
        printf(".BR platsa\\-");
        man_text(cmds[k].name);
        printf(" (1)%s\n", k + 1 < n ? "," : "");
    }
}

int cli_docs(const cli_command *cmds, size_t n, int argc, char **argv)
{
    pl_help_format f = cli_doc_format(argv[0]);
    for (int i = 1; i < argc; i++)
        if (!find(cmds, n, argv[i])) {
            fprintf(stderr, "platsa %s: unknown command '%s'; see platsa --commands\n", argv[0], argv[i]);
            return PL_EINPUT;
        }
    if (!strcmp(argv[0], "--commands")) {
        for (size_t k = 0; k < n; k++)
            printf("%s\n", cmds[k].name);
        return PL_OK;
    }
    if (f == PL_HELP_MAN && argc > 2) {
        fprintf(stderr, "platsa --help-man: one page at a time: give one COMMAND, or none for platsa(1)\n");
        return PL_EINPUT;
    }
    if (f == PL_HELP_MAN && argc == 1) {
        program_man(cmds, n);
        return PL_OK;
    }
    if (f == PL_HELP_JSON)
        program_json_head();
    else if (f == PL_HELP_MD && argc == 1)
        program_md(cmds, n);
    int rc = PL_OK, first = 1;
    for (size_t k = 0; k < n && rc == PL_OK; k++) {
        if (argc > 1) {
            int asked = 0;
            for (int i = 1; i < argc; i++)
                asked |= !strcmp(argv[i], cmds[k].name);
            if (!asked)
                continue;
        }
        if (!first || (f == PL_HELP_MD && argc == 1))
            fputs(f == PL_HELP_JSON ? ",\n" : "\n", stdout);
        first = 0;
        rc = command_doc(f, &cmds[k]);
    }
    if (f == PL_HELP_JSON)
        printf("\n]}\n");
    return rc;
}
