/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The command table and the one dispatcher: parse with the command's option table, --help
 * from the same table, then the command's library call. */
#include "commands.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "include/platsa.h"
#include "gis/map_render.h"

int cli_fail(const char *cmd, const pl_error *err)
{
    fprintf(stderr, "platsa %s: %s\n", cmd, err->msg[0] ? err->msg : "failed");
    return err->code == PL_OK ? PL_EINTERNAL : (int)err->code;
}

/* ---------------------------------------------------------------- runs */

/* info goes on past a file it cannot describe: each such file's error is printed as it
 * happens (after the layers described before it); the last one is kept. */
static void info_file_failed(const pl_error *err, void *user)
{
    fflush(stdout);
    cli_fail("info", err);
    *(pl_error *)user = *err;
}

static int run_info(pl_ctx *ctx, void *o, char **pos, int n_pos, pl_error *err)
{
    pl_error reported = {0};
    int rc = pl_info_run(ctx, o, pos, n_pos, stdout, info_file_failed, &reported, err);
    if (rc != PL_OK && reported.code != PL_OK && strcmp(reported.msg, err->msg) == 0)
        return CLI_REPORTED(rc);
    return rc;
}

static int run_import_osm(pl_ctx *ctx, void *o, char **pos, int n_pos, pl_error *err)
{
    if (n_pos != 1)
        return pl_error_set(err, PL_EINPUT, "give exactly one OSM extract (.osm.pbf or .osm); see --help");
    return pl_import_osm_run(ctx, o, pos[0], cli_command_line(), err);
}

static int run_population(pl_ctx *ctx, void *o, char **pos, int n_pos, pl_error *err)
{
    (void)pos, (void)n_pos;
    return pl_population_run(ctx, o, cli_command_line(), err);
}

static int run_synth(pl_ctx *ctx, void *o, char **pos, int n_pos, pl_error *err)
{
    (void)pos, (void)n_pos;
    return pl_synth_run(ctx, o, cli_command_line(), stdout, err);
}

static int run_route(pl_ctx *ctx, void *o, char **pos, int n_pos, pl_error *err)
{
    (void)pos, (void)n_pos;
    return pl_route_run(ctx, o, stdout, err);
}

static int run_access(pl_ctx *ctx, void *o, char **pos, int n_pos, pl_error *err)
{
    (void)pos, (void)n_pos;
    return pl_access_run(ctx, o, cli_command_line(), err);
}

static int run_classify(pl_ctx *ctx, void *o, char **pos, int n_pos, pl_error *err)
{
    (void)pos, (void)n_pos;
    return pl_classify_run(ctx, o, cli_command_line(), err);
}

static int run_stores(pl_ctx *ctx, void *o, char **pos, int n_pos, pl_error *err)
{
    (void)pos, (void)n_pos;
    return pl_stores_run(ctx, o, cli_command_line(), err);
}

static int run_scenario(pl_ctx *ctx, void *o, char **pos, int n_pos, pl_error *err)
{
    if (n_pos != 1)
        return pl_error_set(err, PL_EINPUT, "give one scenario file: %s", pl_scenario_usage);
    return pl_scenario_run(ctx, o, pos[0], cli_command_line(), err);
}

static int run_coverage(pl_ctx *ctx, void *o, char **pos, int n_pos, pl_error *err)
{
    (void)pos, (void)n_pos;
    return pl_coverage_run(ctx, o, cli_command_line(), err);
}

static int run_green(pl_ctx *ctx, void *o, char **pos, int n_pos, pl_error *err)
{
    (void)pos, (void)n_pos;
    return pl_green_run(ctx, o, cli_command_line(), err);
}

static int run_partition(pl_ctx *ctx, void *o, char **pos, int n_pos, pl_error *err)
{
    (void)pos, (void)n_pos;
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return pl_error_set(err, PL_EINTERNAL, "cannot find the running program (/proc/self/exe) for the Slurm script");
    self[n] = '\0';
    return pl_partition_run(ctx, o, self, stdout, err);
}

static int run_sweep(pl_ctx *ctx, void *o, char **pos, int n_pos, pl_error *err)
{
    if (n_pos != 1)
        return pl_error_set(err, PL_EINPUT, "give one scenario file: %s", pl_sweep_usage);
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return pl_error_set(err, PL_EINTERNAL, "cannot find the running program (/proc/self/exe) for the Slurm script");
    self[n] = '\0';
    return pl_sweep_run(ctx, o, pos[0], self, stdout, err);
}

/* A task id: digits only. */
static int task_id(const char *s, long *id, pl_error *err)
{
    char *end = NULL;
    *id = s && *s ? strtol(s, &end, 10) : -1;
    if (!s || !*s || *end || *id < 0)
        return pl_error_set(err, PL_EINPUT, "task id '%s': give a number from plan.tsv (Slurm: "
                            "$SLURM_ARRAY_TASK_ID)", s ? s : "");
    return PL_OK;
}

static int run_partition_task(pl_ctx *ctx, void *o, char **pos, int n_pos, pl_error *err)
{
    pl_partition_set_threads(((pl_partition_task_opts *)o)->threads);
    long id;
    if (n_pos != 2)
        return pl_error_set(err, PL_EINPUT, "give the job folder and a task id: %s", pl_partition_task_usage);
    if (task_id(pos[1], &id, err) != PL_OK)
        return err->code;
    return pl_partition_task_run(ctx, pos[0], id, err);
}

static int run_partition_run(pl_ctx *ctx, void *o, char **pos, int n_pos, pl_error *err)
{
    pl_partition_set_threads(((pl_partition_run_opts *)o)->threads);
    if (n_pos != 1)
        return pl_error_set(err, PL_EINPUT, "give the job folder: %s", pl_partition_run_usage);
    return pl_partition_run_all(ctx, pos[0], stdout, err);
}

static int run_merge(pl_ctx *ctx, void *o, char **pos, int n_pos, pl_error *err)
{
    if (n_pos != 1)
        return pl_error_set(err, PL_EINPUT, "give the job folder: %s", pl_merge_usage);
    int rc = pl_merge_run(ctx, o, pos[0], cli_command_line(), err);
    if (rc == PL_MERGE_RERUN) {  /* not a failure: the next step, with its own exit code */
        fprintf(stderr, "platsa merge: %s\n", err->msg);
        return CLI_REPORTED(PL_MERGE_RERUN);
    }
    return rc;
}

/* Interrupted: the report's temporary folder goes too (the old report, if any, is only
 * ever replaced by the final rename, so it stays untouched). */
static void report_on_signal(int sig)
{
    if (pl_commit_defer_signal(sig))
        return;
    pl_report_cleanup_all();
    pl_gpkg_cleanup_all();
    pl_commit_cleanup_all();
    signal(sig, SIG_DFL);
    raise(sig);
}

static int run_report(pl_ctx *ctx, void *opts, char **pos, int n_pos, pl_error *err)
{
    pl_report_opts *o = opts;
    if (n_pos != 1)
        return pl_error_set(err, PL_EINPUT, "give one GeoPackage; usage: %s", pl_report_usage);
    signal(SIGINT, report_on_signal);
    signal(SIGTERM, report_on_signal);
    signal(SIGHUP, report_on_signal);
    o->input = pos[0];
    int rc = pl_report_run(ctx, o, err);
    pl_map_render_shutdown();  /* cairo and fontconfig caches: nothing for LeakSanitizer to report */
    return rc;
}

/* ---------------------------------------------------------------- the table */

/* pl_<cmd>_opts_init through the table's void pointer. */
#define INIT(cmd) static int init_##cmd(void *o) { return pl_##cmd##_opts_init(o); }
INIT(info)
INIT(import_osm)
INIT(population)
INIT(synth)
INIT(route)
INIT(access)
INIT(classify)
INIT(stores)
INIT(scenario)
INIT(coverage)
INIT(green)
INIT(report)
INIT(partition)
INIT(partition_task)
INIT(partition_run)
INIT(merge)
INIT(sweep)

#define COMMAND(name, cmd, max_pos, summary)                                                              \
    {name, summary, pl_##cmd##_usage, pl_##cmd##_summary, pl_##cmd##_options, sizeof(pl_##cmd##_opts), \
     max_pos, init_##cmd, run_##cmd}

const cli_command cli_commands[] = {
    COMMAND("info", info, CLI_MAX_POS, "list layers, CRS, fields and the role each layer fits"),
    COMMAND("import-osm", import_osm, 2, "turn an OpenStreetMap extract into platsa's input layers"),
    COMMAND("population", population, 0, "distribute area population totals over residential buildings"),
    COMMAND("synth", synth, 0, "generate a synthetic national-scale region for benchmarks"),
    COMMAND("route", route, 0, "build the road graph and query distances (diagnostics)"),
    COMMAND("access", access, 0, "distance and travel time to the nearest services (RSP main analysis)"),
    COMMAND("classify", classify, 0, "urban / near-urban rural / remote rural by travel time"),
    COMMAND("stores", stores, 0, "vulnerability of every store: who is pushed far if it closes"),
    COMMAND("scenario", scenario, 2, "run what-if scenarios from a scenario file and compare"),
    COMMAND("coverage", coverage, 0, "service-hub coverage and optimal new hubs"),
    COMMAND("green", green, 0, "3-30-300: trees in view, canopy cover, distance to green areas"),
    COMMAND("report", report, 1, "HTML map report from a platsa GeoPackage"),
    COMMAND("partition", partition, 0, "split an access run into tiles with exact halos for a Slurm job array"),
    COMMAND("partition-task", partition_task, 2, "run one task of a partition job (what the Slurm script runs)"),
    COMMAND("partition-run", partition_run, 1, "run every pending task of a partition job here, one after another"),
    COMMAND("merge", merge, 1, "join a partition or sweep job's tasks into the output of a single run"),
    COMMAND("sweep", sweep, 1, "split a scenario file's scenarios into slices for a Slurm job array"),
};

const size_t cli_n_commands = sizeof cli_commands / sizeof cli_commands[0];

const cli_command *cli_find(const char *name)
{
    for (size_t k = 0; k < cli_n_commands; k++)
        if (!strcmp(cli_commands[k].name, name))
            return &cli_commands[k];
    return NULL;
}

/* ---------------------------------------------------------------- the dispatcher */

/* Parses argv into opts (after the table's defaults); -1 when --help was asked. */
static int parse(const cli_command *cmd, void *opts, int argc, char **argv, char **pos, int *n_pos,
                 pl_error *err)
{
    if (cmd->init(opts) != PL_OK)
        return pl_error_set(err, PL_EINTERNAL, "an option's default does not parse (a bug in the table)");
    int rc = pl_options_parse(cmd->options, opts, argc, argv, pos, cmd->max_pos, n_pos, err);
    /* platsa info FILE...: the limit is on files, not a stray argument. */
    if (rc == PL_EINPUT && cmd->max_pos == CLI_MAX_POS && *n_pos == CLI_MAX_POS &&
        strncmp(err->msg, "unexpected argument", 19) == 0)
        rc = pl_error_set(err, PL_EINPUT, "too many files: at most %d at once; run platsa %s again for the rest",
                          CLI_MAX_POS, cmd->name);
    return rc;
}

int cli_run(pl_ctx *ctx, const cli_command *cmd, int argc, char **argv)
{
    void *opts = calloc(1, cmd->opts_size);
    pl_error err = {0};
    if (!opts) {
        pl_error_set(&err, PL_EINTERNAL, "out of memory");
        return cli_fail(cmd->name, &err);
    }
    char *pos[CLI_MAX_POS];
    int n_pos = 0;
    int rc = parse(cmd, opts, argc, argv, pos, &n_pos, &err);
    if (rc == -1) {
        pl_options_help(stdout, cmd->usage, cmd->help, cmd->options);
        rc = PL_OK;
    } else if (rc == PL_OK) {
        rc = cmd->run(ctx, opts, pos, n_pos, &err);
    }
    pl_options_free(cmd->options, opts);
    free(opts);
    if (rc == PL_OK)
        return 0;
    return rc < 0 ? -rc : cli_fail(cmd->name, &err);
}
