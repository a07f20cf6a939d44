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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
