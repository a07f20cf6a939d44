#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# make install into a temporary DESTDIR, then use what was installed as a user would, from
# outside the repository: the files are there, pkg-config finds the library and a program
# builds and runs against it, and the installed platsa runs `access` on the sample data with
# the installed share/ and gives the same table as build/platsa. Run by tests/test_docs.c.
# Usage (from the repository root): tests/test_install.sh [BUILD_DIR]
set -eu
BUILD=${1:-build}
ROOT=$(pwd)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/platsa-install.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
fail() { echo "test_install: $*" >&2; exit 1; }

# A nested make must not join the jobserver of a `make test` that ran us.
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s --no-print-directory BUILD="$BUILD" install \
  DESTDIR="$TMP/dest" PREFIX=/opt/platsa > "$TMP/install.log" 2>&1 || { cat "$TMP/install.log"; fail "make install failed"; }
P="$TMP/dest/opt/platsa"
for f in bin/platsa libexec/platsa/platsa-engine lib/libplatsa.so lib/libplatsa.so.0 lib/libplatsa.a \
         lib/pkgconfig/platsa.pc include/platsa/gis/ctx.h include/platsa/gis/options.h \
         include/platsa/analyses/access/access.h share/man/man1/platsa.1 share/man/man1/platsa-access.1 \
         share/platsa/service_types.ini share/platsa/road_profiles.ini share/platsa/osmconf.ini \
         share/platsa/styles/graduated.qml; do
  [ -e "$P/$f" ] || fail "missing $f"
done
[ -x "$P/bin/platsa" ] || fail "bin/platsa is not executable"
for c in $("$BUILD/platsa" --commands); do
  [ -s "$P/share/man/man1/platsa-$c.1" ] || fail "missing man page platsa-$c.1"
done
if [ -f include/platsa.h ]; then [ -f "$P/include/platsa/platsa.h" ] || fail "include/platsa.h not installed"; fi
if ls "$P"/include/platsa/*/*_internal.h "$P"/include/platsa/*/*/*_internal.h > /dev/null 2>&1; then
  fail "internal headers installed"
fi

# pkg-config with the installed .pc, and a program built only from its flags.
PC="$TMP/dest/opt/platsa/lib/pkgconfig"
[ "$(PKG_CONFIG_PATH="$PC" pkg-config --variable=includedir platsa)" = /opt/platsa/include ] \
  || fail "the .pc's includedir is not PREFIX/include"
flags=$(PKG_CONFIG_PATH="$PC" pkg-config --define-variable=prefix="$P" --cflags --libs platsa) \
  || fail "pkg-config --cflags --libs platsa failed"
case "$flags" in *"-I$P/include/platsa"*"-lplatsa"*) ;; *) fail "pkg-config gave '$flags'";; esac
# It includes every installed header (each must build from the .pc's flags alone).
(cd "$P/include/platsa" && find . -name '*.h' | sort | sed 's|^\./\(.*\)|#include "\1"|') > "$TMP/user.c"
cat >> "$TMP/user.c" <<'C'
#include <stdio.h>
int main(void)
{
    const pl_option *o = pl_access_options;
    int n = 0;
    for (; o->name; o++)
        n++;
    printf("%d %s\n", n, pl_share_dir());
    return n > 10 ? 0 : 1;
}
C
# A sanitizer build's library (make test-asan) needs the sanitizers' runtimes in the program too.
san=""
if readelf -d "$P/lib/libplatsa.so" 2>/dev/null | grep -q 'libasan'; then san="-fsanitize=address,undefined"; fi
# shellcheck disable=SC2086
cc -std=c17 -Wall -Werror $san -o "$TMP/user" "$TMP/user.c" $flags || fail "a program with pkg-config's flags does not build"
out=$(env -u PLATSA_SHARE LD_LIBRARY_PATH="$P/lib" "$TMP/user") || fail "the program linked to libplatsa.so failed"
case "$out" in *"$P/lib/../share/platsa") ;; *) fail "the library's share folder is '$out', not the installed one";; esac

# The installed platsa, from outside the repository, reads the installed share/: a type
# added to the installed service_types.ini only is listed.
printf '\n[install_probe]\nlabel_sv = Prov\nlabel_en = Probe\nvalues = install probe\nbands_km = 1, 2\nbands_min = 1, 2\nrsp = 0\n' \
  >> "$P/share/platsa/service_types.ini"
mkdir "$TMP/run"
cp sample-data/sodermalm/population.gpkg sample-data/sodermalm/layers.gpkg sample-data/sodermalm/kommuner.gpkg "$TMP/run/"
cd "$TMP/run"
env -u PLATSA_SHARE "$P/bin/platsa" info --types > types.txt 2>&1 || { cat types.txt; fail "installed platsa info --types failed"; }
grep -q '^install_probe ' types.txt || fail "the installed platsa does not read the installed share/platsa"
env -u PLATSA_SHARE "$ROOT/$BUILD/platsa" info --types | grep -q '^install_probe ' && fail "build/platsa read the installed share"
set -- access --population population.gpkg:population --services layers.gpkg:services \
  --roads layers.gpkg:roads --municipalities kommuner.gpkg --mode walk --bands-km 0.25,0.5,1,2 \
  --bands-min 3,5,10,20 --within 0.5 --csv
env -u PLATSA_SHARE "$P/bin/platsa" -q "$@" -o installed.gpkg > installed.log 2>&1 \
  || { cat installed.log; fail "the installed platsa access failed"; }
env -u PLATSA_SHARE "$ROOT/$BUILD/platsa" -q "$@" -o tree.gpkg > tree.log 2>&1 || { cat tree.log; fail "build/platsa access failed"; }
[ -s installed_access_municipalities_table.csv ] || fail "no table from the installed platsa"
cmp installed_access_municipalities_table.csv tree_access_municipalities_table.csv \
  || fail "the installed platsa gives another table than build/platsa"
"$P/bin/platsa" --version > /dev/null || fail "platsa --version"

# uninstall leaves nothing of platsa behind.
cd "$ROOT"
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s --no-print-directory BUILD="$BUILD" uninstall \
  DESTDIR="$TMP/dest" PREFIX=/opt/platsa > /dev/null 2>&1 || fail "make uninstall failed"
left=$(find "$TMP/dest" -type f | head -n 3)
[ -z "$left" ] || fail "make uninstall left $left"
echo "test_install: ok"
