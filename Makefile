# SPDX-License-Identifier: GPL-3.0-or-later
# platsa — build, test, demo. `make demo` and `make test` work on a fresh Debian 12
# machine as the only command typed: both depend on `deps`, which installs what is missing.

# Debian packages the build, tests and demo need.
DEB_PACKAGES := gcc make pkg-config libc6-dev \
    libgdal-dev gdal-bin libgeos-dev libproj-dev proj-bin proj-data libspatialite-dev \
    libsqlite3-dev sqlite3 libcmocka-dev libinih-dev libssl-dev \
    libcairo2-dev libfontconfig-dev libxml2-dev libjson-c-dev fonts-dejavu-core coinor-libcbc-dev libxxhash-dev libreadosm-dev \
    python3 groff-base

BUILD   := build
CC      ?= gcc
PKGS    := gdal geos proj spatialite inih libcrypto cairo fontconfig libxml-2.0 json-c libxxhash readosm
CFLAGS  ?= -O2 -g
# -fPIC: the same objects make libplatsa.a and libplatsa.so (no interposition inside the library).
CFLAGS  += $(EXTRA_CFLAGS) -fPIC -fno-semantic-interposition -std=c17 -D_GNU_SOURCE -I$(CURDIR) -DPLATSA_SOURCE_DIR=\"$(CURDIR)\" -Wall -Wextra -Werror $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS  += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm
# COIN-OR CBC (exact maximal covering / set covering in platsa coverage); its headers are
# included as <coin/...>, so only the libraries are needed here.
LDLIBS  += $(shell pkg-config --libs cbc 2>/dev/null)
TEST_LDLIBS := $(shell pkg-config --libs cmocka 2>/dev/null)

LIB_SRC  := $(wildcard gis/*.c layers/*.c analyses/*/*.c)
CLI_SRC  := $(wildcard cli/*.c)
TEST_SRC := $(wildcard tests/test_*.c)
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
TEST_SUPPORT := $(wildcard tests/support/*.c)
BENCH_SRC := $(wildcard bench/*.c)
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)
TEST_SUPPORT_OBJ := $(TEST_SUPPORT:%.c=$(BUILD)/%.o)

# build/platsa is a small launcher (cli/launcher/platsa.c) that starts the engine beside it.
PLATSA := $(BUILD)/platsa
ENGINE := $(BUILD)/platsa-engine
DEMO_OUT := demo-output

.PHONY: all deps test test-asan test-pgrouting test-postgis test-slurm demo clean bench readme-perf tests-build sample-data test-qgis plugin-zip screenshots test-report-browser fuzz fuzz-build
.SECONDARY:

all: $(PLATSA) $(ENGINE)

deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing$$missing"; \
	  SUDO=""; [ "$$(id -u)" -ne 0 ] && SUDO=sudo; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(BUILD)/libplatsa.a: $(LIB_OBJ)
	@mkdir -p $(@D)
	@rm -f $@ && ar rcs $@ $^

# ---- Shared library (install: see the install block below) ----
# libplatsa.so.MAJOR is the soname; the engine finds it beside itself in build/ and, installed
# in $(LIBEXECDIR), in ../../lib ($$ORIGIN rpath: relocatable, so DESTDIR installs run too).
VERSION   := $(shell sed -n 's/.*define PLATSA_VERSION "\(.*\)".*/\1/p' gis/ctx.h)
SOMAJOR   := $(firstword $(subst ., ,$(VERSION)))
SONAME    := libplatsa.so.$(SOMAJOR)
SHLIB     := $(BUILD)/libplatsa.so.$(VERSION)
ENGINE_RPATH := -Wl,-rpath,'$$ORIGIN:$$ORIGIN/../../lib'

# Objects built before the library was shared were not -fPIC: this marker, newer than them,
# rebuilds them once.
$(BUILD)/.pic:
	@mkdir -p $(@D) && touch $@
$(LIB_OBJ): $(BUILD)/.pic

$(SHLIB): $(LIB_OBJ)
	@echo "  LD $@"
	@$(CC) $(CFLAGS) -shared -Wl,-soname,$(SONAME) -Wl,-Bsymbolic-functions -o $@ $^ $(LDLIBS)
	@ln -sf $(@F) $(BUILD)/$(SONAME) && ln -sf $(SONAME) $(BUILD)/libplatsa.so

$(ENGINE): $(CLI_OBJ) $(SHLIB)
	@echo "  LD $@"
	@$(CC) $(CFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/libplatsa.so $(LDLIBS) $(ENGINE_RPATH)
# ---- end shared library ----

# Linked with libc only: it starts in a millisecond, the engine once (see the launcher).
$(PLATSA): cli/launcher/platsa.c $(ENGINE)
	@echo "  LD $@"
	@$(CC) $(CFLAGS) -o $@ cli/launcher/platsa.c

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	@echo "  CC $<"
	@$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/tests/%: tests/%.c $(TEST_SUPPORT_OBJ) $(BUILD)/libplatsa.a
	@mkdir -p $(@D)
	@echo "  LD $@"
	@$(CC) $(CFLAGS) -MMD -MP -o $@ $< $(TEST_SUPPORT_OBJ) $(BUILD)/libplatsa.a $(LDLIBS) $(TEST_LDLIBS)

$(BUILD)/bench/%: bench/%.c $(BUILD)/libplatsa.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -MMD -MP -o $@ $< $(BUILD)/libplatsa.a $(LDLIBS)

# The public API (include/platsa.h, #20): examples/*.c include only <platsa.h> and build with
# the flags `pkg-config --cflags --libs platsa` gives, here in the tree: -Iinclude -I. (the
# installed include/platsa/), no platsa-internal defines, the static library.
EXAMPLE_BIN    := $(patsubst examples/%.c,$(BUILD)/examples/%,$(wildcard examples/*.c))
EXAMPLE_CFLAGS := -O2 -g $(EXTRA_CFLAGS) -std=c17 -Wall -Wextra -Werror -I$(CURDIR)/include -I$(CURDIR) $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
$(BUILD)/examples/%: examples/%.c $(BUILD)/libplatsa.a
	@mkdir -p $(@D)
	@echo "  LD $@"
	@$(CC) $(EXAMPLE_CFLAGS) -o $@ $< $(BUILD)/libplatsa.a $(LDLIBS)

tests-build: $(PLATSA) $(TEST_BIN) $(EXAMPLE_BIN)

test: deps
	@$(MAKE) --no-print-directory tests-build
	@sh tests/long_functions.sh --check -q
	@sh tests/run_tests.sh $(TEST_BIN)
	@sh tests/example_check.sh $(PLATSA) $(EXAMPLE_BIN)

demo: deps
	@$(MAKE) --no-print-directory $(PLATSA)
	sh sample-data/demo.sh $(PLATSA) $(DEMO_OUT)

sample-data: deps
	@$(MAKE) --no-print-directory $(PLATSA)
	sh sample-data/build.sh $(PLATSA)

# BENCH_QUICK=1: a short run; BENCH_ONLY=60_osm_import: that block only; BENCH_SLOW_PEERS=1: with
# the national import's slow peers (see bench/run_bench.sh)
bench: deps
	@$(MAKE) --no-print-directory $(PLATSA) $(BENCH_BIN)
	sh bench/run_bench.sh $(PLATSA)

# README.md's performance table from the committed BENCHMARKS.md (make bench also writes it;
# tests/test_docs.c (test_readme_perf_table_current) fails when they disagree)
readme-perf:
	sh bench/readme_table.sh

# ---- Documentation and install (#20) ----
# make man: platsa.1 and platsa-COMMAND.1 from the option tables (platsa --help-man) in
# $(BUILD)/man. make docs: the Markdown pages (analyses/CMD/README.md, docs/commands/CMD.md);
# tests/test_docs.c fails when a committed one is stale.
MAN_DIR := $(BUILD)/man

man: $(PLATSA)
	@rm -rf $(MAN_DIR).tmp && mkdir -p $(MAN_DIR).tmp
	@$(PLATSA) --help-man > $(MAN_DIR).tmp/platsa.1
	@for c in $$($(PLATSA) --commands); do \
	  $(PLATSA) --help-man $$c > $(MAN_DIR).tmp/platsa-$$c.1 || exit 1; done
	@rm -rf $(MAN_DIR) && mv $(MAN_DIR).tmp $(MAN_DIR)
	@echo "  MAN $(MAN_DIR)/platsa.1 and $$(($$(ls $(MAN_DIR) | wc -l) - 1)) command pages"

docs: $(PLATSA)
	@sh docs/generate.sh $(PLATSA)

# make spdx: adds the licence line to every source file without one (tests/test_docs.c checks
# the same list of files): line 1 of C, after the #! line of scripts.
SPDX_FILES = $(shell find gis layers analyses cli tests bench include examples docs sample-data -type f \
  \( -name '*.c' -o -name '*.h' -o -name '*.sh' -o -name '*.py' \) -not -path 'tests/fuzz/regressions/*' \
  -not -path 'tests/fuzz/corpus/*' 2>/dev/null) Makefile
spdx:
	@for f in $$(grep -L 'SPDX-License-Identifier: GPL-3.0-or-later' $(SPDX_FILES)); do \
	  case $$f in *.c|*.h) sed -i '1i /* SPDX-License-Identifier: GPL-3.0-or-later */' $$f ;; \
	  *) if head -n 1 $$f | grep -q '^#!'; then sed -i '1a # SPDX-License-Identifier: GPL-3.0-or-later' $$f; \
	     else sed -i '1i # SPDX-License-Identifier: GPL-3.0-or-later' $$f; fi ;; esac; \
	  echo "  SPDX $$f"; done

# make install [PREFIX=/usr/local] [DESTDIR=...]: GNU directory variables (lower-case prefix
# works too). The engine is a program only the platsa launcher runs: $(LIBEXECDIR). The
# installed platsa finds its data in $(DATADIR)/platsa relative to the library (gis/share.c).
prefix       ?= /usr/local
PREFIX       ?= $(prefix)
BINDIR       ?= $(PREFIX)/bin
LIBDIR       ?= $(PREFIX)/lib
LIBEXECDIR   ?= $(PREFIX)/libexec/platsa
INCLUDEDIR   ?= $(PREFIX)/include
DATADIR      ?= $(PREFIX)/share
MANDIR       ?= $(DATADIR)/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
INSTALL      ?= install
# Headers keep their root-relative paths under include/platsa/, where "gis/ctx.h" resolves
# with the .pc's -I; the *_internal.h ones are not part of the library's interface.
INSTALL_HEADERS := $(filter-out %_internal.h,$(wildcard gis/*.h layers/*.h analyses/*/*.h))
# Libraries whose types the headers use (their Cflags are needed); the rest only link.
PC_REQUIRES  := gdal geos sqlite3
PC_PRIVATE := $(filter-out $(PC_REQUIRES),$(PKGS)) cbc

# A path under PREFIX as $${prefix}/..., so pkg-config --define-variable=prefix=... relocates it.
pc_path = $(patsubst $(PREFIX)/%,$${prefix}/%,$(1))

$(BUILD)/platsa.pc: Makefile gis/ctx.h
	@mkdir -p $(@D)
	@printf '%s\n' 'prefix=$(PREFIX)' 'exec_prefix=$${prefix}' 'libdir=$(call pc_path,$(LIBDIR))' \
	  'includedir=$(call pc_path,$(INCLUDEDIR))' '' \
	  'Name: platsa' \
	  'Description: GIS analyses for Swedish regional planning (road access to services, 3-30-300, scenarios)' \
	  'Version: $(VERSION)' 'Requires: $(PC_REQUIRES)' 'Requires.private: $(PC_PRIVATE)' \
	  'Libs: -L$${libdir} -lplatsa' 'Libs.private: -lm' 'Cflags: -I$${includedir}/platsa' > $@

# The .pc names the install paths: made again on every install (PREFIX may differ).
.PHONY: man docs spdx install uninstall FORCE
$(BUILD)/platsa.pc: FORCE
FORCE:

install: $(PLATSA) $(ENGINE) $(SHLIB) $(BUILD)/libplatsa.a $(BUILD)/platsa.pc man
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PKGCONFIGDIR) \
	  $(DESTDIR)$(INCLUDEDIR)/platsa $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(DATADIR)/platsa
	$(INSTALL) -m 755 $(PLATSA) $(DESTDIR)$(BINDIR)/platsa
	$(INSTALL) -m 755 $(ENGINE) $(DESTDIR)$(LIBEXECDIR)/platsa-engine
	$(INSTALL) -m 644 $(SHLIB) $(BUILD)/libplatsa.a $(DESTDIR)$(LIBDIR)/
	ln -sf $(notdir $(SHLIB)) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libplatsa.so
	$(INSTALL) -m 644 $(BUILD)/platsa.pc $(DESTDIR)$(PKGCONFIGDIR)/platsa.pc
	@for h in $(INSTALL_HEADERS); do $(INSTALL) -D -m 644 $$h $(DESTDIR)$(INCLUDEDIR)/platsa/$$h || exit 1; done
	@if [ -f include/platsa.h ]; then $(INSTALL) -m 644 include/platsa.h $(DESTDIR)$(INCLUDEDIR)/platsa/platsa.h; fi
	$(INSTALL) -m 644 $(MAN_DIR)/*.1 $(DESTDIR)$(MANDIR)/man1/
	@cd share && for f in $$(find . -type f | sort); do \
	  $(INSTALL) -D -m 644 $$f $(DESTDIR)$(DATADIR)/platsa/$$f || exit 1; done

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/platsa $(DESTDIR)$(LIBEXECDIR)/platsa-engine \
	  $(DESTDIR)$(LIBDIR)/libplatsa.so* $(DESTDIR)$(LIBDIR)/libplatsa.a $(DESTDIR)$(PKGCONFIGDIR)/platsa.pc \
	  $(DESTDIR)$(MANDIR)/man1/platsa.1 $(DESTDIR)$(MANDIR)/man1/platsa-*.1
	rm -rf $(DESTDIR)$(INCLUDEDIR)/platsa $(DESTDIR)$(DATADIR)/platsa
	-rmdir $(DESTDIR)$(LIBEXECDIR)
# ---- end documentation and install ----

# Big packages only their own targets need (kept out of DEB_PACKAGES).
QGIS_PACKAGES    := python3-qgis qgis
BROWSER_PACKAGES := chromium

# $(call apt_install,PACKAGES): installs those missing, as `deps` does.
define apt_install
	@missing=""; for p in $(1); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "make $@: installing$$missing"; \
	  SUDO=""; [ "$$(id -u)" -ne 0 ] && SUDO=sudo; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi
endef

$(BUILD)/tests/qgis/sample_gpkg: tests/qgis/sample_gpkg.c $(BUILD)/libplatsa.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -DSAMPLE_MAIN -MMD -MP -o $@ $< $(BUILD)/libplatsa.a $(LDLIBS)

# Real QGIS opens every layer of demo-output/*.gpkg (or GPKGS="a.gpkg b.gpkg") and samples.
# Then the Processing provider, installed from the plugin zip, runs through qgis_process
# (tests/qgis/provider.sh), whatever the first part found.
test-qgis: demo
	$(call apt_install,$(QGIS_PACKAGES))
	@$(MAKE) --no-print-directory $(PLATSA) $(BUILD)/tests/qgis/sample_gpkg plugin-zip
	@rc=0; sh tests/qgis/run.sh $(BUILD)/tests/qgis/sample_gpkg $(GPKGS) || rc=1; \
	  sh tests/qgis/provider.sh $(PLATSA) $(PLUGIN_ZIP) || rc=1; exit $$rc

# The README's pictures of results in QGIS (docs/screenshots/*.png): real QGIS, headless, lays out
# demo layers with their stored styles, a legend and a scale bar (docs/screenshots.py).
screenshots: demo
	$(call apt_install,$(QGIS_PACKAGES))
	QT_QPA_PLATFORM=offscreen /usr/bin/python3 docs/screenshots.py $(DEMO_OUT) docs/screenshots

# The QGIS plugin (qgis/platsa_processing) as a zip for Plugins > Install from ZIP.
PLUGIN_ZIP := $(BUILD)/platsa_processing.zip
plugin-zip: $(PLUGIN_ZIP)
$(PLUGIN_ZIP): $(wildcard qgis/platsa_processing/*.py qgis/platsa_processing/*.txt)
	@rm -rf $(BUILD)/plugin-zip $@ && mkdir -p $(BUILD)/plugin-zip/platsa_processing
	cp $^ $(BUILD)/plugin-zip/platsa_processing/
	cd $(BUILD)/plugin-zip && python3 -m zipfile -c ../platsa_processing.zip platsa_processing

# Headless Chromium opens a report made by `platsa report` and checks its images loaded.
test-report-browser: demo
	$(call apt_install,$(BROWSER_PACKAGES))
	@$(MAKE) --no-print-directory $(PLATSA) $(BUILD)/tests/qgis/sample_gpkg
	@sh tests/report_browser.sh $(PLATSA) $(BUILD)/tests/qgis/sample_gpkg $(GPKGS)

# Cross-check of shortest distances and fastest times against pgRouting's pgr_dijkstraCost on a
# throw-away PostgreSQL cluster the script starts (installs postgresql-15-pgrouting if missing):
# the Stockholm drive network in tests/data (car), Monaco (car) and Södermalm (walk) from the demo's imports, and
# the topology fixture (tests/data/topology: a pedestrian tunnel network, a bridge over a street)
# as a GeoPackage: pgRouting routes its split lines by their source/target ids, platsa routes them
# by the ids and the unsplit ways by position (roads with source/target: see the script).
# Every OpenStreetMap extract in the repository, imported by platsa and by osm2pgrouting (the
# independent oracle of issue #17); O2P_EXTRACTS="../shared/real-data/osm-*/*.pbf" runs the full ones.
O2P_EXTRACTS ?= $(wildcard tests/data/osm-*/*.osm.pbf) sample-data/monaco/monaco.osm.pbf sample-data/sodermalm/stockholm.osm.pbf
test-pgrouting: demo
	@rm -f $(BUILD)/topology.gpkg; \
	ogr2ogr -f GPKG $(BUILD)/topology.gpkg tests/data/topology/roads.geojson -nln roads && \
	ogr2ogr -update -f GPKG $(BUILD)/topology.gpkg tests/data/topology/ways.geojson -nln ways
	@fail=0; \
	for spec in "tests/data/osm-stockholm-drive-network-fmm/edges.shp car" \
	            "$(DEMO_OUT)/monaco-layers.gpkg:roads car" "$(DEMO_OUT)/sodermalm-layers.gpkg:roads walk" \
	            "$(BUILD)/topology.gpkg:roads walk $(BUILD)/topology.gpkg:ways"; do \
	  set -- $$spec; echo "== pgRouting vs platsa: $$1 ($$2)"; \
	  PLATSA=$(PLATSA) COORDS="$${3:-}" sh tests/pgrouting_check.sh "$$1" "$$2" 400 > $(BUILD)/pgrouting.log 2>&1 || fail=1; \
	  tail -n 2 $(BUILD)/pgrouting.log; \
	done; \
	for pbf in $(O2P_EXTRACTS); do for mode in walk car; do \
	  echo "== osm2pgrouting + pgRouting vs platsa import-osm: $$pbf ($$mode)"; \
	  PLATSA=$(PLATSA) sh tests/osm2pgrouting_check.sh "$$pbf" 400 $$mode > $(BUILD)/pgrouting.log 2>&1 || fail=1; \
	  grep -v NOTICE $(BUILD)/pgrouting.log | tail -n 2; \
	done; done; [ $$fail -eq 0 ]

# PostGIS in and out (tests/postgis_check.sh): inputs read as PG:CONNINFO:LAYER give the same CSV
# twins as the files; -o PG:CONNINFO:SCHEMA writes every layer, public.layer_styles and the
# metadata, and refused runs leave the schema identical; real QGIS opens the schema from the
# database (tests/qgis/check_pg.py). A throw-away PostgreSQL 15 cluster.
POSTGIS_PACKAGES := postgresql-15 postgresql-15-postgis-3
test-postgis: $(PLATSA)
	$(call apt_install,$(POSTGIS_PACKAGES) $(QGIS_PACKAGES))
	@PLATSA=$(PLATSA) sh tests/postgis_check.sh

# A partitioned run on Slurm (tests/slurm_check.sh, issue #22): a throw-away single-node cluster
# (tests/slurm_cluster.sh: munge, slurmctld, slurmd in a temporary folder), synthetic Sweden
# (synth --size L) in 21 län tiles as a job array with one task cancelled and rerun, merged, and
# every cell and summary row compared with the single-machine run.
SLURM_PACKAGES := slurmctld slurmd slurm-client munge time
test-slurm: $(PLATSA)
	$(call apt_install,$(SLURM_PACKAGES))
	@PLATSA=$(PLATSA) sh tests/slurm_check.sh

# The whole test suite under AddressSanitizer + UndefinedBehaviorSanitizer, in its own build folder.
test-asan: deps
	@$(MAKE) --no-print-directory BUILD=build-asan \
	  EXTRA_CFLAGS="-fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined" tests-build
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp UBSAN_OPTIONS=print_stacktrace=1 \
	  PLATSA_BIN=build-asan/platsa sh tests/run_tests.sh $(TEST_SRC:tests/%.c=build-asan/tests/%)

# Fuzzing with libFuzzer (clang): the targets tests/fuzz/fuzz_*.c are built with ASan + UBSan
# into build-fuzz/ and each runs for FUZZ_SECONDS on a scratch copy of its seed corpus
# (tests/fuzz/corpus/NAME). Crashing inputs are saved in tests/fuzz/regressions/NAME/, which
# tests/test_robustness.c replays in `make test`. FUZZ_TARGETS picks targets by NAME.
FUZZ_BUILD   := build-fuzz
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_CFLAGS  := -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_SRC     := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_TARGETS ?= $(FUZZ_SRC:tests/fuzz/fuzz_%.c=%)
# libFuzzer's runtime is in libclang-rt-14-dev, only recommended by Debian 12's clang.
FUZZ_DEB_PACKAGES := clang libclang-rt-14-dev

fuzz:
	@$(MAKE) --no-print-directory deps DEB_PACKAGES="$(DEB_PACKAGES) $(FUZZ_DEB_PACKAGES)"
	@$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=$(FUZZ_CC) EXTRA_CFLAGS="$(FUZZ_CFLAGS)" fuzz-build
	@sh tests/fuzz/run_fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-build: $(FUZZ_SRC:tests/fuzz/%.c=$(FUZZ_BUILD)/%)

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_common.h $(FUZZ_BUILD)/libplatsa.a
	$(CC) $(CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_BUILD)/libplatsa.a $(LDLIBS)

clean:
	rm -rf $(BUILD) build-asan $(DEMO_OUT)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
