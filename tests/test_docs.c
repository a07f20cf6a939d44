/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The documentation generated from the option tables (--help-md, --help-json, --help-man,
 * the command READMEs), make install, and the licence lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "gis/options.h"
#include "support/testutil.h"

/* The platsa binary the CLI tests run ($PLATSA_BIN, e.g. the sanitizer build, or build/platsa). */
static const char *platsa_bin(void)
{
    const char *b = getenv("PLATSA_BIN");
    return b && *b ? b : "build/platsa";
}

/* JSON that python's parser accepts, listing every command with every option and the fields
 * a QGIS Processing provider needs to build its parameters. */
static void test_help_json_valid_and_complete(void **state)
{
    (void)state;
    const char *dir = scratch_dir("docs_json");
    assert_int_equal(run_cmd("%s --help-json > %s/all.json", platsa_bin(), dir), 0);
    assert_int_equal(run_cmd("python3 -m json.tool %s/all.json > /dev/null", dir), 0);
    assert_int_equal(
        run_cmd("%s --commands > %s/commands.txt && python3 -c '\n"
                "import json, sys\n"
                "d = json.load(open(sys.argv[1]))\n"
                "names = open(sys.argv[2]).read().split()\n"
                "assert [c[\"name\"] for c in d[\"commands\"]] == names, names\n"
                "keys = {\"name\", \"short\", \"type\", \"metavar\", \"required\", \"default\", \"default_text\",\n"
                "        \"choices\", \"range\", \"output_path\", \"repeatable\", \"description\"}\n"
                "for c in d[\"commands\"]:\n"
                "    assert c[\"summary\"] and c[\"usage\"].startswith(\"platsa \" + c[\"name\"]), c[\"name\"]\n"
                "    assert c[\"options\"], c[\"name\"]\n"
                "    for o in c[\"options\"]:\n"
                "        assert set(o) == keys, (c[\"name\"], o)\n"
                "        assert o[\"type\"] in (\"string\", \"int\", \"double\", \"flag\", \"doubles\", \"strings\")\n"
                "        if o[\"type\"] in (\"int\", \"double\", \"doubles\"): assert o[\"range\"] is not None, o\n"
                "        if o[\"type\"] in (\"int\", \"double\") and o[\"default_text\"] is not None:\n"
                "            assert isinstance(o[\"default\"], (int, float)), o\n"
                "acc = {o[\"name\"]: o for c in d[\"commands\"] if c[\"name\"] == \"access\" for o in c[\"options\"]}\n"
                "assert acc[\"output\"][\"required\"] and acc[\"output\"][\"output_path\"]\n"
                "assert acc[\"within\"][\"default\"] == 10 and acc[\"within\"][\"range\"][\"min_exclusive\"]\n"
                "assert acc[\"bands-km\"][\"range\"][\"increasing\"] and acc[\"types\"][\"repeatable\"]\n"
                "rte = {o[\"name\"]: o for c in d[\"commands\"] if c[\"name\"] == \"route\" for o in c[\"options\"]}\n"
                "assert rte[\"mode\"][\"choices\"] == [\"car\", \"bike\", \"walk\"], rte[\"mode\"]\n"
                "assert acc[\"road-profile\"][\"choices\"] is None and acc[\"output\"][\"choices\"] is None\n"
                "syn = {o[\"name\"]: o for c in d[\"commands\"] if c[\"name\"] == \"synth\" for o in c[\"options\"]}\n"
                "assert syn[\"size\"][\"choices\"] == [\"S\", \"M\", \"L\"] and syn[\"cells\"][\"choices\"] == [\"1km\", \"250m\"]\n"
                "' %s/all.json %s/commands.txt",
                platsa_bin(), dir, dir, dir),
        0);
    /* One command alone is the same object as in the whole list. */
    assert_int_equal(run_cmd("%s --help-json access | python3 -c 'import json,sys; d=json.load(sys.stdin); "
                             "assert [c[\"name\"] for c in d[\"commands\"]] == [\"access\"]'",
                             platsa_bin()),
                     0);
}

/* Quotes, backslashes and control characters in a table are escaped. */
static void test_help_json_escapes(void **state)
{
    (void)state;
    typedef struct { const char *s; double d; } opts;
    const pl_option table[] = {
        {"name", 'n', PL_OPT_STRING, offsetof(opts, s), "A|B", "say \"hi\"\\", "tab\there\nline", 1, PL_NO_RANGE},
        {"dist", 0, PL_OPT_DOUBLE, offsetof(opts, d), "KM", "0.5", "distance", 0, PL_GT_LE(0, 100)},
        PL_OPT_END,
    };
    const char *dir = scratch_dir("docs_escape");
    char path[512];
    snprintf(path, sizeof path, "%s/one.json", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    pl_command_doc doc = {"demo", "a \"quoted\" brief", "platsa demo --name N", "line one\n  laid out\tcol", table};
    pl_options_doc(f, PL_HELP_JSON, &doc);
    fclose(f);
    const char *check = write_text_file(dir, "check.py",
                                        "import json, sys\n"
                                        "c = json.load(open(sys.argv[1]))\n"
                                        "o = c['options']\n"
                                        "assert c['summary'] == 'a \"quoted\" brief', c\n"
                                        "assert o[0]['default'] == 'say \"hi\"\\\\', o[0]\n"
                                        "assert o[0]['description'] == 'tab\\there\\nline', o[0]\n"
                                        "assert o[0]['metavar'] == 'A|B' and o[0]['short'] == 'n'\n"
                                        "assert o[1]['default'] == 0.5 and o[1]['range']['max'] == 100, o[1]\n");
    assert_int_equal(run_cmd("python3 %s %s", check, path), 0);
}

/* Each command's README (analyses/CMD/README.md, else docs/commands/CMD.md) is what
 * `make docs` makes from the table now. */
static void test_command_readmes_current(void **state)
{
    (void)state;
    assert_int_equal(run_cmd("sh docs/generate.sh %s --check", platsa_bin()), 0);
    /* and the check does fail on a stale page (in a copy of the pages: the tree stays as it is) */
    const char *dir = scratch_dir("docs_stale");
    const char *bin = platsa_bin();
    assert_int_equal(run_cmd("mkdir -p %s/analyses %s/docs && cp -R analyses/access %s/analyses/ && "
                             "cp -R docs/commands docs/generate.sh %s/docs/ && printf 'stale\\n' >> %s/analyses/access/README.md",
                             dir, dir, dir, dir, dir),
                     0);
    char cwd[1024];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(run_cmd("cd %s && sh docs/generate.sh %s%s%s --check 2> err.txt", dir, bin[0] == '/' ? "" : cwd,
                             bin[0] == '/' ? "" : "/", bin),
                     1);
    assert_int_equal(run_cmd("grep -q 'stale command pages.*analyses/access/README.md' %s/err.txt", dir), 0);
}

/* Markdown: one row per option of the table, with its range, default and required mark. */
static void test_help_md_rows(void **state)
{
    (void)state;
    const char *dir = scratch_dir("docs_md");
    assert_int_equal(run_cmd("%s --help-md access > %s/access.md", platsa_bin(), dir), 0);
    assert_int_equal(run_cmd("grep -qF '| `-o`, `--output` | `OUT.gpkg` |  |  | output GeoPackage (**required**) |' "
                             "%s/access.md",
                             dir),
                     0);
    assert_int_equal(run_cmd("grep -qF '| `--within` | `KM` | `10` | > 0 |' %s/access.md", dir), 0);
    assert_int_equal(run_cmd("grep -qF '`car\\|bike\\|walk' %s/access.md", dir), 0);
    /* as many option rows as the text help has option lines */
    assert_int_equal(run_cmd("test $(grep -c '^| `-' %s/access.md) -eq $(%s access --help | grep -c '^ *-')",
                             dir, platsa_bin()),
                     0);
}

/* Man pages: groff reads every one without a warning; each names its options. */
static void test_man_pages_clean(void **state)
{
    (void)state;
    const char *dir = scratch_dir("docs_man");
    assert_int_equal(run_cmd("%s --help-man > %s/platsa.1 && groff -man -ww -z %s/platsa.1 2> %s/warn.txt "
                             "&& test ! -s %s/warn.txt",
                             platsa_bin(), dir, dir, dir, dir),
                     0);
    assert_int_equal(run_cmd("for c in $(%s --commands); do %s --help-man $c > %s/p.1 || exit 1; "
                             "groff -man -ww -z %s/p.1 2> %s/warn.txt && test ! -s %s/warn.txt || exit 1; "
                             "grep -q '^.SH OPTIONS' %s/p.1 || exit 1; done",
                             platsa_bin(), platsa_bin(), dir, dir, dir, dir, dir),
                     0);
    assert_int_equal(run_cmd("%s --help-man access | grep -qF '\\fB\\-\\-within\\fR \\fIKM\\fR'", platsa_bin()), 0);
}

/* An unknown command name after a documentation flag: a one-line error, exit 1. */
static void test_docs_unknown_command(void **state)
{
    (void)state;
    const char *dir = scratch_dir("docs_unknown");
    assert_int_equal(run_cmd("%s --help-md nosuch > %s/out.txt 2> %s/err.txt", platsa_bin(), dir, dir), 1);
    assert_int_equal(run_cmd("grep -qx \"platsa --help-md: unknown command 'nosuch'; see platsa --commands\" %s/err.txt",
                             dir),
                     0);
    assert_int_equal(run_cmd("test ! -s %s/out.txt", dir), 0);
    assert_int_equal(run_cmd("%s --help-man access route > /dev/null 2>&1", platsa_bin()), 1);
}

/* make install into a temporary DESTDIR; the installed files used from outside the tree. */
static void test_install_destdir(void **state)
{
    (void)state;
    char build[512];
    snprintf(build, sizeof build, "%s", platsa_bin());
    char *slash = strrchr(build, '/');
    if (slash)
        *slash = '\0';
    else
        snprintf(build, sizeof build, ".");
    assert_int_equal(run_cmd("sh tests/test_install.sh %s", build), 0);
}

/* Every source file carries its licence: SPDX-License-Identifier: GPL-3.0-or-later. */
static void test_spdx_lines(void **state)
{
    (void)state;
    const char *dir = scratch_dir("docs_spdx");
    run_cmd("find gis layers analyses cli tests bench include examples docs sample-data -type f "
            "\\( -name '*.c' -o -name '*.h' -o -name '*.sh' -o -name '*.py' \\) "
            "-not -path 'tests/fuzz/regressions/*' -not -path 'tests/fuzz/corpus/*' 2>/dev/null "
            "| sort > %s/files.txt; echo Makefile >> %s/files.txt",
            dir, dir);
    assert_int_equal(run_cmd("test $(wc -l < %s/files.txt) -gt 100", dir), 0);
    int rc = run_cmd("xargs grep -L 'SPDX-License-Identifier: GPL-3.0-or-later' < %s/files.txt > %s/missing.txt; "
                     "test ! -s %s/missing.txt || { echo 'no SPDX line (make spdx adds it):'; cat %s/missing.txt; exit 1; }",
                     dir, dir, dir, dir);
    assert_int_equal(rc, 0);
}

/* README.md's performance table is what bench/readme_table.sh makes from the committed
 * BENCHMARKS.md (the figures of the last `make bench`, not typed in by hand). */
static void test_readme_perf_table_current(void **state)
{
    (void)state;
    assert_int_equal(run_cmd("sh bench/readme_table.sh --check BENCHMARKS.md README.md"), 0);
    /* and the check fails when a figure changes (in a copy: the tree stays as it is) */
    const char *dir = scratch_dir("docs_perf_stale");
    assert_int_equal(run_cmd("sed '0,/| PASS |$/s/| PASS |$/| FAIL |/' BENCHMARKS.md > %s/B.md && "
                             "! cmp -s BENCHMARKS.md %s/B.md", dir, dir),
                     0);
    assert_int_equal(run_cmd("sh bench/readme_table.sh --check %s/B.md README.md 2> %s/err.txt", dir, dir), 1);
    assert_int_equal(run_cmd("grep -q 'performance table differs' %s/err.txt", dir), 0);
    /* writing it replaces only the block between the markers */
    assert_int_equal(run_cmd("cp README.md %s/R.md && sh bench/readme_table.sh %s/B.md %s/R.md > /dev/null && "
                             "sh bench/readme_table.sh --check %s/B.md %s/R.md && "
                             "diff README.md %s/R.md | grep -c '^[<>]' | grep -qx 2",
                             dir, dir, dir, dir, dir, dir),
                     0);
}

/* The rows the table takes, what each says it measured (CLI or library) and the run it comes
 * from, on a small BENCHMARKS.md: the main table, a block measured with the full run, a block
 * measured alone. */
static void test_readme_perf_table_rows(void **state)
{
    (void)state;
    const char *dir = scratch_dir("docs_perf_rows");
    const char *head = "| task | size | platsa s | platsa peak MB | peer | peer s | peer peak MB | peer/platsa | "
                       "agreement (peer vs platsa) | goal | result |\n"
                       "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n";
    char text[4096];
    snprintf(text, sizeof text,
             "# platsa benchmarks\n\n## This run\n\n2026-12-07 17:25 UTC, commit abc1234, full run, 13 minutes.\n"
             "Load average (1 min) at the start 0.23, at the end 1.31 (2 cores).\n\n## Results\n\n%s"
             "| nearest facility search (k=1), by distance | anchor 2M | 0.190 | 845 | - | - | - | - | - | <= 0.6 s | PASS |\n"
             "| ns per settled label (k=1) | anchor 2M | 95.0 ns | - | - | - | - | - | - | - | - |\n"
             "| nearest facility: search only | small 20k | 0.003 | 42 | SciPy | 0.006 | 46 | 2.0 | same | - | - |\n"
             "| nearest facility: search only | anchor 2M | 0.190 | 845 | SciPy | 5.159 | 379 | 27.2 | same | - | - |\n"
             "| nearest facility: search only | anchor 2M | 0.190 | 845 | pgRouting | 19.383 | 2698 | 102.0 | same | - | - |\n"
             "| platsa access, car, 250m cells | L | 13.45 | 1783 | - | - | - | - | - | <= 30 s | PASS |\n"
             "| same, warm graph cache | L | 10.70 | 1868 | - | - | - | - | - | <= 30 s | FAIL |\n\n"
             "## Load during the run\n\n- 60_osm_import: load 1.63 at the start, 3 min\n\n"
             "<!-- bench section 60_osm_import: written by bench/report.sh -->\n## Import\n\n"
             "Measured in the full run above (its date and commit).\n\n%s"
             "| platsa import-osm, national PBF | L (Sweden) | 44.3 | 1215 | - | - | - | - | - | <= 180 s | PASS |\n\n"
             "<!-- end bench section 60_osm_import -->\n\n"
             "<!-- bench section 35_access_goals: written by bench/report.sh -->\n## Goals\n\n"
             "Measured 2026-12-08 10:00 UTC, commit def5678, by `BENCH_ONLY=35_access_goals make bench`, apart from "
             "the full run above, 6 minutes; load average (1 min) at the start 1.5, at the end 2.0.\n\n%s"
             "| CLI platsa access, anchor, no cache | anchor 2M | 3.80 | 1066 | SciPy | 5.13 | 385 | 1.4 | "
             "platsa / SciPy = 0.74; all equal | <= 0.6 x SciPy | FAIL |\n\n"
             "<!-- end bench section 35_access_goals -->\n",
             head, head, head);
    write_text_file(dir, "B.md", text);
    assert_int_equal(run_cmd("sh bench/readme_table.sh --print %s/B.md > %s/out.md", dir, dir), 0);
    const char *want[] = {
        "| nearest facility search (k=1), by distance | anchor 2M | 0.190 s, 845 MB | - | <= 0.6 s | PASS | "
        "library (bench_routing) | abc1234, 2026-12-07 17:25 UTC, load 0.23–1.31 |",
        "| platsa access, car, 250m cells | L | 13.45 s, 1783 MB | - | <= 30 s | PASS | CLI | abc1234, 2026-12-07 "
        "17:25 UTC, load 0.23–1.31 |",
        "| same, warm graph cache | L | 10.70 s, 1868 MB | - | <= 30 s | **FAIL** | CLI | abc1234, 2026-12-07 17:25 "
        "UTC, load 0.23–1.31 |",
        "| platsa import-osm, national PBF | L (Sweden) | 44.3 s, 1215 MB | - | <= 180 s | PASS | CLI | abc1234, "
        "2026-12-07 17:25 UTC, load 1.63 (section start) |",
        "| CLI platsa access, anchor, no cache | anchor 2M | 3.80 s, 1066 MB | SciPy: 5.13 s (1.4x); platsa / SciPy = "
        "0.74 | <= 0.6 x SciPy | **FAIL** | CLI | def5678, 2026-12-08 10:00 UTC, load 1.5–2.0 (this section alone) |",
        "| nearest facility: search only | anchor 2M | 0.190 s, 845 MB | SciPy 5.159 s (27.2x); pgRouting 19.383 s "
        "(102.0x) | - | - | library (bench_routing) | abc1234, 2026-12-07 17:25 UTC, load 0.23–1.31 |",
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        write_text_file(dir, "want.txt", want[i]);
        int rc = run_cmd("grep -qxF -f %s/want.txt %s/out.md", dir, dir);
        if (rc != 0)
            print_error("missing row: %s\n", want[i]);
        assert_int_equal(rc, 0);
    }
    /* 6 rows: no row without a goal except the anchor's peers, one row for them */
    assert_int_equal(run_cmd("test $(grep -c '^| [^t-]' %s/out.md) -eq 6", dir), 0);
    /* a README without the markers is refused, and left as it was */
    write_text_file(dir, "R.md", "# README\n\n## Performance\n");
    assert_int_equal(run_cmd("sh bench/readme_table.sh %s/B.md %s/R.md 2> %s/err.txt", dir, dir, dir), 2);
    assert_int_equal(run_cmd("grep -q 'needs each marker once' %s/err.txt && "
                             "printf '# README\\n\\n## Performance\\n' | cmp -s - %s/R.md", dir, dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_help_json_valid_and_complete),
        cmocka_unit_test(test_help_json_escapes),
        cmocka_unit_test(test_command_readmes_current),
        cmocka_unit_test(test_help_md_rows),
        cmocka_unit_test(test_man_pages_clean),
        cmocka_unit_test(test_docs_unknown_command),
        cmocka_unit_test(test_install_destdir),
        cmocka_unit_test(test_spdx_lines),
        cmocka_unit_test(test_readme_perf_table_current),
        cmocka_unit_test(test_readme_perf_table_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
