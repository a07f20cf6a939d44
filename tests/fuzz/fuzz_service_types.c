/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Fuzz target: the service types INI parser (pl_service_types_load_from, libinih).
 * Input byte 0 picks the mode: even = the input is the only file (base), odd = the shipped
 * share/service_types.ini with the input over it as a region's --service-types file.
 * The rest is the file. A loaded registry is checked and used for value/tag matching. */
#include <math.h>

#include "fuzz_common.h"
#include "layers/service_types.h"

static pl_ctx *st_ctx;
static FILE *st_devnull;

static void st_check_registry(const pl_service_types *t, const char *text)
{
    FUZZ_CHECK(t->n >= 1 && t->n <= PL_MAX_TYPES);
    for (int i = 0; i < t->n; i++) {
        const pl_service_type *ty = &t->t[i];
        size_t klen = strnlen(ty->key, sizeof ty->key);
        FUZZ_CHECK(klen > 0 && klen < sizeof ty->key);
        FUZZ_CHECK(pl_service_types_find(t, ty->key) == i);
        FUZZ_CHECK(strnlen(ty->label_sv, sizeof ty->label_sv) < sizeof ty->label_sv);
        FUZZ_CHECK(strnlen(ty->label_en, sizeof ty->label_en) < sizeof ty->label_en);
        FUZZ_CHECK(ty->n_bands_km >= 0 && ty->n_bands_km <= PL_MAX_BANDS);
        FUZZ_CHECK(ty->n_bands_min >= 0 && ty->n_bands_min <= PL_MAX_BANDS);
        for (int b = 0; b < ty->n_bands_km; b++)
            FUZZ_CHECK(isfinite(ty->bands_km[b]) && ty->bands_km[b] > 0 && (b == 0 || ty->bands_km[b] > ty->bands_km[b - 1]));
        for (int b = 0; b < ty->n_bands_min; b++)
            FUZZ_CHECK(isfinite(ty->bands_min[b]) && ty->bands_min[b] > 0 &&
                       (b == 0 || ty->bands_min[b] > ty->bands_min[b - 1]));
        FUZZ_CHECK(ty->n_includes >= 0 && ty->n_includes <= PL_MAX_INCLUDES);
        for (int k = 0; k < ty->n_includes; k++) {
            int j = ty->includes[k];
            FUZZ_CHECK(j >= 0 && j < t->n && j != i);
            FUZZ_CHECK(!pl_service_types_is_group(t, j));
            FUZZ_CHECK(pl_service_types_counts_for(t, i, j));
        }
        FUZZ_CHECK(pl_service_types_counts_for(t, i, i));
    }
    /* Matching: every line of the input as a value and as key=value. */
    static const char *const probes[] = {"", " ", "Apotek", "apoteksombud", "ICA Nära", "supermarket", "ÅÄÖ",
                                         "\xff\xfe", "shop=supermarket", NULL};
    for (int i = 0; probes[i]; i++) {
        int m = pl_service_types_match_value(t, probes[i]);
        FUZZ_CHECK(m >= -1 && m < t->n);
    }
    const char *p = text;
    for (int lines = 0; *p && lines < 64; lines++) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char line[512];
        snprintf(line, sizeof line, "%.*s", (int)(len < 511 ? len : 511), p);
        int m = pl_service_types_match_value(t, line);
        FUZZ_CHECK(m >= -1 && m < t->n);
        char *eq = strchr(line, '=');
        if (eq) {
            *eq = '\0';
            m = pl_service_types_match_tag(t, line, eq + 1);
            FUZZ_CHECK(m >= -1 && m < t->n);
        }
        p += len + (nl ? 1 : 0);
    }
    pl_service_types_print(t, st_devnull);
}

int pl_fuzz_service_types(const uint8_t *data, size_t size)
{
    if (!st_ctx) {
        st_ctx = pl_ctx_new();
        st_ctx->quiet = 1;
        st_devnull = fopen("/dev/null", "w");
    }
    if (size > 256 * 1024)
        return 0;
    int over_shipped = size > 0 && (data[0] & 1);
    const uint8_t *body = size ? data + 1 : data;
    size_t n = size ? size - 1 : 0;
    char path[700];
    snprintf(path, sizeof path, "%s", pl_fuzz_write_file("types.ini", body, n));
    pl_error err = {0};
    pl_service_types *t = over_shipped ? pl_service_types_load(st_ctx, path, &err)
                                       : pl_service_types_load_from(st_ctx, path, NULL, &err);
    if (!t) {
        pl_fuzz_check_error(&err);
        return 0;
    }
    char *text = malloc(n + 1);
    memcpy(text, body, n);
    text[n] = '\0';
    st_check_registry(t, text);
    free(text);
    pl_service_types_free(t);
    return 0;
}

#ifndef PL_FUZZ_NO_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return pl_fuzz_service_types(data, size);
}
#endif
