# platsa — build, test, demo. `make demo` and `make test` work on a fresh Debian 12
# machine as the only command typed: both depend on `deps`, which installs what is missing.

# Debian packages the build, tests and demo need.
DEB_PACKAGES := gcc make pkg-config libc6-dev \
    libgdal-dev gdal-bin libgeos-dev libproj-dev proj-bin proj-data libspatialite-dev \
    libsqlite3-dev sqlite3 libcmocka-dev libinih-dev libssl-dev \
    libcairo2-dev libfontconfig-dev libxml2-dev libjson-c-dev fonts-dejavu-core libglpk-dev libxxhash-dev libreadosm-dev

BUILD   := build
CC      ?= gcc
PKGS    := gdal geos proj spatialite inih libcrypto cairo fontconfig libxml-2.0 json-c libxxhash readosm
CFLAGS  ?= -O2 -g
CFLAGS  += $(EXTRA_CFLAGS) -std=c17 -D_GNU_SOURCE -DPLATSA_SOURCE_DIR=\"$(CURDIR)\" -Wall -Wextra -Werror $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS  += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm
# GLPK (exact maximal covering / set covering in platsa coverage) ships no .pc file.
LDLIBS  += -lglpk
TEST_LDLIBS := $(shell pkg-config --libs cmocka 2>/dev/null)

LIB_SRC  := $(wildcard gis/*.c layers/*.c analyses/*.c)
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

.PHONY: all deps test test-asan test-pgrouting demo clean bench tests-build sample-data test-qgis test-report-browser fuzz fuzz-build
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

$(ENGINE): $(CLI_OBJ) $(BUILD)/libplatsa.a
	@echo "  LD $@"
	@$(CC) $(CFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/libplatsa.a $(LDLIBS)

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

tests-build: $(PLATSA) $(TEST_BIN)

test: deps
	@$(MAKE) --no-print-directory tests-build
	@sh tests/run_tests.sh $(TEST_BIN)

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

# Big packages only their own targets need (kept out of DEB_PACKAGES).
QGIS_PACKAGES    := python3-qgis
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
test-qgis: demo
	$(call apt_install,$(QGIS_PACKAGES))
	@$(MAKE) --no-print-directory $(PLATSA) $(BUILD)/tests/qgis/sample_gpkg
	@sh tests/qgis/run.sh $(BUILD)/tests/qgis/sample_gpkg $(GPKGS)

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
	done; [ $$fail -eq 0 ]

# The whole test suite under AddressSanitizer + UndefinedBehaviorSanitizer, in its own build folder.
test-asan: deps
	@$(MAKE) --no-print-directory BUILD=build-asan \
	  EXTRA_CFLAGS="-fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined" tests-build
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
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
