/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Scenarios: the scenario file, the k = 3 baseline, combined inputs, and the incremental
 * recomputation of closures and additions (see scenario.h). */
#include "scenario.h"
#include "analyses/common/attach.h"
#include "gis/min_heap.h"
#include "gis/vector.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdbool.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analyses/common/ids.h"
#include "analyses/common/units.h"
#include "gis/util.h"

#define NONE32 UINT32_MAX

/* CPU seconds of this thread (the phase timings under -v; wall time varies on a shared machine). */
static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---------- the scenario file ---------- */

typedef struct ini_state {
    pl_scenario_file *f;
    const char *path;
    char dir[4096];
    char msg[3072];
    int line;
    int in_baseline;
    long current;                 /* scenario index, -1 none */
    int seen_baseline;
    char **sections;              /* every section's whole name, in file order (check_sections) */
    size_t n_sections, next_section;
    char last_cut[64];            /* the name inih last gave (cut to 49 bytes) */
    const char *section;          /* its whole name */
} ini_state;

static char *keep(pl_scenario_file *f, const char *s)
{
    if (f->n_pool == f->cap_pool) {
        f->cap_pool = f->cap_pool ? 2 * f->cap_pool : 64;
        f->pool = pl_realloc(f->pool, f->cap_pool * sizeof *f->pool);
    }
    return f->pool[f->n_pool++] = pl_strdup(s);
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = 0;
    return s;
}

/* A path relative to the scenario file's folder (":LAYER" kept). */
static char *resolve(ini_state *S, const char *value)
{
    char buf[8192];
    if (value[0] == '/' || S->dir[0] == 0)
        snprintf(buf, sizeof buf, "%s", value);
    else
        snprintf(buf, sizeof buf, "%s/%s", S->dir, value);
    return keep(S->f, buf);
}

static void push_str(char ***v, size_t *n, char *s)
{
    *v = pl_realloc(*v, (*n + 1) * sizeof **v);
    (*v)[(*n)++] = s;
}

/* Splits a comma-separated list, calling fn on each trimmed non-empty item. */
static int each_item(ini_state *S, const char *value, int (*fn)(ini_state *, const char *, void *), void *user)
{
    char *copy = pl_strdup(value), *save = NULL;
    int ok = 1;
    for (char *tok = strtok_r(copy, ",", &save); tok && ok; tok = strtok_r(NULL, ",", &save)) {
        char *t = trim(tok);
        if (*t)
            ok = fn(S, t, user);
    }
    free(copy);
    return ok;
}

static int add_type(ini_state *S, const char *item, void *user)
{
    (void)user;
    pl_strings *l = &S->f->base.types;
    if (l->n >= PL_MAX_LIST) {
        snprintf(S->msg, sizeof S->msg, "types: at most %d types", PL_MAX_LIST);
        return 0;
    }
    l->v[l->n++] = pl_strdup(item);  /* pl_strings owns its strings */
    return 1;
}

static int add_close(ini_state *S, const char *item, void *user)
{
    pl_scenario_def *d = user;
    push_str(&d->close, &d->n_close, keep(S->f, item));
    return 1;
}

static int add_road_id(ini_state *S, const char *item, void *user)
{
    pl_scenario_def *d = user;
    char *end = NULL;
    errno = 0;
    long long v = strtoll(item, &end, 10);
    if (errno || !end || *end) {
        snprintf(S->msg, sizeof S->msg, "remove_roads: '%s' is not a road id (whole numbers, as the roads' id field)",
                 item);
        return 0;
    }
    d->remove_roads = pl_realloc(d->remove_roads, (d->n_remove_roads + 1) * sizeof *d->remove_roads);
    d->remove_roads[d->n_remove_roads++] = (int64_t)v;
    return 1;
}

static int parse_number(ini_state *S, const char *name, const char *value, double *out)
{
    char *end = NULL;
    *out = strtod(value, &end);
    if (!end || end == value || *trim(end)) {
        snprintf(S->msg, sizeof S->msg, "%s: '%s' is not a number", name, value);
        return 0;
    }
    return 1;
}

/* A [baseline] number checked against the range of the access option it sets (the same
 * table platsa access parses with), e.g. "within -5: must be > 0". */
static int baseline_in_range(ini_state *S, const char *key, const char *flag)
{
    for (const pl_option *o = pl_access_options; o->name; o++) {
        if (strcmp(o->name, flag) != 0)
            continue;
        pl_error e = {0};
        if (pl_option_check(o, &S->f->base, &e) == PL_OK)
            return 1;
        size_t skip = strncmp(e.msg, "--", 2) == 0 ? 2 + strlen(flag) : 0;
        snprintf(S->msg, sizeof S->msg, "%s%s", key, e.msg + skip);
        return 0;
    }
    return 1;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
    ini_state *S = user;
    pl_scenario_file *f = S->f;
    S->line++;
    /* The whole name: the next listed section that inih's cut name begins. */
    if (!S->section || strcmp(section, S->last_cut) != 0) {
        snprintf(S->last_cut, sizeof S->last_cut, "%s", section);
        S->section = section;
        for (size_t i = S->next_section; i < S->n_sections; i++)
            if (strncmp(S->sections[i], section, strlen(section)) == 0) {
                S->section = S->sections[i];
                S->next_section = i + 1;
                break;
            }
    }
    char sec[512];
    snprintf(sec, sizeof sec, "%s", S->section);
    char *s = trim(sec);
    if (strcmp(s, "baseline") == 0) {
        S->seen_baseline = 1;
        pl_access_opts *b = &f->base;
        struct { const char *key; const char **field; int is_path; } keys[] = {
            {"population", &b->population, 1}, {"services", &b->services, 1}, {"roads", &b->roads, 1},
            {"municipalities", &b->municipalities, 1}, {"localities", &b->localities, 1}, {"mode", &b->mode, 0},
            {"region", &b->region, 0}, {"pop_field", &b->pop_field, 0}, {"age_field", &b->age_field, 0},
            {"type_field", &b->type_field, 0}, {"code_field", &b->muni_code_field, 0},
            {"name_field", &b->muni_name_field, 0}, {"service_types", &b->service_types_file, 1},
            {"crs", &b->crs, 0}, {"assume_crs", &b->assume_crs, 0}, {"id_field", &b->id_field, 0},
        };
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
            if (strcmp(name, keys[k].key) == 0) {
                *keys[k].field = keys[k].is_path ? resolve(S, value) : keep(f, value);
                return 1;
            }
        if (strcmp(name, "types") == 0)
            return each_item(S, value, add_type, NULL);
        if (strcmp(name, "bands_km") == 0 || strcmp(name, "bands_min") == 0) {
            pl_error e = {0};
            if (pl_parse_doubles(value, name[6] == 'k' ? &b->bands_km : &b->bands_min, &e) != PL_OK) {
                snprintf(S->msg, sizeof S->msg, "%s: %s", name, e.msg);
                return 0;
            }
            return baseline_in_range(S, name, name[6] == 'k' ? "bands-km" : "bands-min");
        }
        if (strcmp(name, "within") == 0)
            return parse_number(S, name, value, &b->within_km) && baseline_in_range(S, name, "within");
        if (strcmp(name, "max_snap") == 0)
            return parse_number(S, name, value, &b->max_snap_m) && baseline_in_range(S, name, "max-snap");
        if (strcmp(name, "max_service_snap") == 0)
            return parse_number(S, name, value, &b->max_service_snap_m) &&
                   baseline_in_range(S, name, "max-service-snap");
        snprintf(S->msg, sizeof S->msg,
                 "[baseline]: unknown key '%s'; use population, services, roads, municipalities, types, mode, "
                 "bands_km, bands_min, within, region, pop_field, age_field, type_field, code_field, name_field, "
                 "service_types, crs, assume_crs, max_snap, max_service_snap, id_field",
                 name);
        return 0;
    }
    if (strncmp(s, "scenario", 8) == 0 && (s[8] == ' ' || s[8] == '\t')) {
        const char *sname = trim(s + 8);
        if (S->current < 0 || strcmp(f->sc[S->current].name, sname) != 0) {
            for (size_t i = 0; i < f->n_sc; i++)
                if (strcmp(f->sc[i].name, sname) == 0) {
                    snprintf(S->msg, sizeof S->msg, "[scenario %s] appears twice; give each scenario its own name",
                             sname);
                    return 0;
                }
            f->sc = pl_realloc(f->sc, (f->n_sc + 1) * sizeof *f->sc);
            memset(&f->sc[f->n_sc], 0, sizeof f->sc[f->n_sc]);
            f->sc[f->n_sc].name = keep(f, sname);
            S->current = (long)f->n_sc++;
        }
        pl_scenario_def *d = &f->sc[S->current];
        if (strcmp(name, "close") == 0)
            return each_item(S, value, add_close, d);
        if (strcmp(name, "remove_roads") == 0)
            return each_item(S, value, add_road_id, d);
        if (strcmp(name, "add") == 0) {
            push_str(&d->add, &d->n_add, resolve(S, value));
            return 1;
        }
        if (strcmp(name, "add_population") == 0) {
            push_str(&d->add_population, &d->n_add_population, resolve(S, value));
            return 1;
        }
        if (strcmp(name, "add_roads") == 0) {
            push_str(&d->add_roads, &d->n_add_roads, resolve(S, value));
            return 1;
        }
        if (strcmp(name, "add_service") == 0 || strcmp(name, "add_housing") == 0) {
            int svc = name[4] == 's';
            int parts = 1;
            for (const char *q = value; *q; q++)
                parts += *q == ';';
            if (parts < 4 || parts > 5) {
                snprintf(S->msg, sizeof S->msg, "%s = %s: give %s separated by ';'", name, value,
                         svc ? "ID; TYPE; X; Y[; NAME]" : "ID; RESIDENTS; X; Y[; AGE_GROUP]");
                return 0;
            }
            if (svc)
                push_str(&d->add_service, &d->n_add_service, keep(f, value));
            else
                push_str(&d->add_housing, &d->n_add_housing, keep(f, value));
            return 1;
        }
        if (strcmp(name, "description") == 0) {
            d->description = keep(f, value);
            return 1;
        }
        snprintf(S->msg, sizeof S->msg,
                 "[scenario %s]: unknown key '%s'; use close, add, add_service, add_population, add_housing, "
                 "remove_roads, add_roads, description",
                 d->name, name);
        return 0;
    }
    snprintf(S->msg, sizeof S->msg, "unknown section [%s]; use [baseline] and [scenario NAME]", s);
    return 0;
}

/* inih keeps only the first 49 bytes of a section name (MAX_SECTION 50): the handler gets
 * the whole name from check_sections' list instead. Longer than this is refused. */
#define SECTION_NAME_MAX 200
#define INIH_SECTION_CUT 49

/* A section's identity: "baseline", or "scenario NAME" with NAME trimmed. */
static void section_key(const char *inside, char *key, size_t size)
{
    char buf[SECTION_NAME_MAX + 2];
    snprintf(buf, sizeof buf, "%s", inside);
    char *s = trim(buf);
    if (strncmp(s, "scenario", 8) == 0 && (s[8] == ' ' || s[8] == '\t'))
        snprintf(key, size, "scenario %s", trim(s + 8));
    else
        snprintf(key, size, "%s", s);
}

/* Section headers, before inih reads the file: each closed by ']', a name inih keeps
 * whole, and no section twice (inih would merge the two silently). */
static int check_sections(ini_state *S, const char *path, pl_error *err)
{
    FILE *fp = fopen(path, "r");
    if (!fp)
        return pl_error_set(err, PL_EINPUT, "%s: cannot read the scenario file (%s)", path, strerror(errno));
    typedef struct { char key[SECTION_NAME_MAX + 16]; long line; } seen_sec;
    seen_sec *seen = NULL;
    size_t n_seen = 0;
    char *line = NULL;
    size_t cap = 0;
    long lineno = 0;
    int rc = PL_OK;
    while (rc == PL_OK && getline(&line, &cap, fp) >= 0) {
        lineno++;
        char *s = line;
        if (lineno == 1 && (unsigned char)s[0] == 0xEF && (unsigned char)s[1] == 0xBB && (unsigned char)s[2] == 0xBF)
            s += 3;  /* UTF-8 BOM, as inih */
        s = trim(s);
        if (*s != '[')
            continue;
        char *close = strchr(s, ']');
        if (!close) {
            rc = pl_error_set(err, PL_EINPUT, "%s:%ld: section header without ']'; write [baseline] or [scenario "
                              "NAME]", path, lineno);
            break;
        }
        size_t len = (size_t)(close - s - 1);
        if (len > SECTION_NAME_MAX) {
            rc = pl_error_set(err, PL_EINPUT, "%s:%ld: the section name '[%.24s...' is %zu characters long; at most "
                              "%d between the brackets: give the scenario a shorter name", path, lineno, s + 1, len,
                              SECTION_NAME_MAX);
            break;
        }
        *close = '\0';
        seen_sec cur = {.line = lineno};
        section_key(s + 1, cur.key, sizeof cur.key);
        for (size_t i = 0; i < n_seen && rc == PL_OK; i++)
            if (strcmp(seen[i].key, cur.key) == 0)
                rc = pl_error_set(err, PL_EINPUT, "%s: [%s] appears twice, on lines %ld and %ld; merge them into "
                                  "one section or give each scenario its own name", path, cur.key, seen[i].line,
                                  lineno);
        /* inih tells sections apart by their first 49 bytes only. */
        for (size_t i = 0; i < S->n_sections && rc == PL_OK; i++)
            if (len >= INIH_SECTION_CUT && strncmp(S->sections[i], s + 1, INIH_SECTION_CUT) == 0)
                rc = pl_error_set(err, PL_EINPUT, "%s: the sections on lines %ld and %ld begin with the same %d "
                                  "characters; make the names differ sooner", path, seen[i].line, lineno,
                                  INIH_SECTION_CUT);
        seen = pl_realloc(seen, (n_seen + 1) * sizeof *seen);
        seen[n_seen++] = cur;
        S->sections = pl_realloc(S->sections, (S->n_sections + 1) * sizeof *S->sections);
        S->sections[S->n_sections++] = pl_strdup(s + 1);
    }
    free(line);
    free(seen);
    fclose(fp);
    return rc;
}

int pl_scenario_file_load(const char *path, pl_scenario_file *out, pl_error *err)
{
    memset(out, 0, sizeof *out);
    out->base.mode = "car";
    out->base.within_km = 10;
    if (pl_input_text_file_check(path, "scenario", err) != PL_OK)
        return err->code;
    out->base.max_snap_m = 1000;
    out->base.max_service_snap_m = PL_MAX_SERVICE_SNAP_DEFAULT;
    out->base.crs = "EPSG:3006";
    ini_state S;
    memset(&S, 0, sizeof S);
    int rc = check_sections(&S, path, err);
    S.f = out;
    S.path = path;
    S.current = -1;
    const char *slash = strrchr(path, '/');
    if (slash)
        snprintf(S.dir, sizeof S.dir, "%.*s", (int)(slash - path), path);
    /* Lines of any length: a heap line buffer that grows (as layers/service_types.c). */
    bool old_stack = ini_use_stack, old_realloc = ini_allow_realloc;
    int old_max = ini_max_line;
    ini_use_stack = false;
    ini_allow_realloc = true;
    ini_max_line = 1 << 16;
    if (rc == PL_OK)
        rc = ini_parse(path, handler, &S);
    else
        rc = -3;
    ini_use_stack = old_stack;
    ini_allow_realloc = old_realloc;
    ini_max_line = old_max;
    for (size_t i = 0; i < S.n_sections; i++)
        free(S.sections[i]);
    free(S.sections);
    if (rc == -3)
        return err->code;
    if (rc < 0)
        return pl_error_set(err, PL_EINPUT, "%s: cannot read the scenario file (%s)", path,
                            rc == -1 ? strerror(errno) : "out of memory");
    if (rc > 0)
        return pl_error_set(err, PL_EINPUT, "%s:%d: %s", path, rc, S.msg[0] ? S.msg : "syntax error (expected key = value)");
    if (!S.seen_baseline)
        return pl_error_set(err, PL_EINPUT, "%s: no [baseline] section; it names the inputs of the access run", path);
    const pl_access_opts *b = &out->base;
    const char *missing = !b->population ? "population" : !b->services ? "services" : !b->roads ? "roads"
                          : !b->municipalities ? "municipalities" : NULL;
    if (missing)
        return pl_error_set(err, PL_EINPUT, "%s: [baseline] has no %s = FILE[:LAYER]", path, missing);
    if (out->n_sc == 0)
        return pl_error_set(err, PL_EINPUT, "%s: no [scenario NAME] section; add one with close = ID or add = FILE",
                            path);
    return PL_OK;
}

void pl_scenario_file_free(pl_scenario_file *f)
{
    for (size_t i = 0; i < f->n_sc; i++) {
        free(f->sc[i].close);
        free(f->sc[i].add);
        free(f->sc[i].add_population);
        free(f->sc[i].remove_roads);
        free(f->sc[i].add_roads);
        free(f->sc[i].add_service);
        free(f->sc[i].add_housing);
    }
    free(f->sc);
    for (size_t i = 0; i < f->n_pool; i++)
        free(f->pool[i]);
    free(f->pool);
    for (int i = 0; i < f->base.types.n; i++)
        free(f->base.types.v[i]);
    memset(f, 0, sizeof *f);
}

/* ---------- combined inputs ---------- */

pl_services *pl_scenario_services(const pl_services *svc, const uint8_t *closed, const pl_services *add,
                                  uint32_t *old_to_new)
{
    size_t cap = svc->n + (add ? add->n : 0) + 1;
    pl_services *o = pl_calloc(1, sizeof *o);
    o->x = pl_malloc(cap * sizeof *o->x);
    o->y = pl_malloc(cap * sizeof *o->y);
    o->type = pl_malloc(cap * sizeof *o->type);
    o->id = pl_malloc(cap * sizeof *o->id);
    o->name = pl_malloc(cap * sizeof *o->name);
    o->raw_type = pl_malloc(cap * sizeof *o->raw_type);
    o->source = svc->source;
    const pl_services *parts[2] = {svc, add};
    for (int p = 0; p < 2; p++) {
        const pl_services *s = parts[p];
        for (size_t i = 0; s && i < s->n; i++) {
            if (p == 0 && closed && closed[i]) {
                if (old_to_new)
                    old_to_new[i] = NONE32;
                continue;
            }
            size_t k = o->n++;
            o->x[k] = s->x[i];
            o->y[k] = s->y[i];
            o->type[k] = s->type[i];
            o->id[k] = s->id[i];
            o->name[k] = s->name[i];
            o->raw_type[k] = s->raw_type ? s->raw_type[i] : NULL;
            if (p == 0 && old_to_new)
                old_to_new[i] = (uint32_t)k;
        }
    }
    return o;
}

void pl_scenario_services_free(pl_services *s)
{
    if (!s)
        return;
    free(s->x);
    free(s->y);
    free(s->type);
    free(s->id);
    free(s->name);
    free(s->raw_type);
    free(s);
}

pl_population *pl_scenario_population(const pl_population *pop, const pl_population *add)
{
    size_t n = pop->n + (add ? add->n : 0);
    pl_population *o = pl_calloc(1, sizeof *o);
    o->n = n;
    o->id = pl_malloc((n ? n : 1) * sizeof *o->id);
    o->x = pl_malloc((n ? n : 1) * sizeof *o->x);
    o->y = pl_malloc((n ? n : 1) * sizeof *o->y);
    o->pop = pl_malloc((n ? n : 1) * sizeof *o->pop);
    o->age_pop = pop->age_pop ? pl_malloc((n ? n : 1) * sizeof *o->age_pop) : NULL;
    o->muni_code = pl_malloc((n ? n : 1) * sizeof *o->muni_code);
    o->geom = pl_malloc((n ? n : 1) * sizeof *o->geom);
    o->is_polygon = pop->is_polygon;
    o->source = pop->source;
    size_t k = 0;
    const pl_population *parts[2] = {pop, add};
    for (int p = 0; p < 2; p++) {
        const pl_population *s = parts[p];
        for (size_t i = 0; s && i < s->n; i++, k++) {
            o->id[k] = s->id[i];
            o->x[k] = s->x[i];
            o->y[k] = s->y[i];
            o->pop[k] = s->pop[i];
            if (o->age_pop)
                o->age_pop[k] = s->age_pop ? s->age_pop[i] : 0;
            o->muni_code[k] = s->muni_code ? s->muni_code[i] : NULL;
            o->geom[k] = s->geom ? s->geom[i] : NULL;
            o->total_pop += s->pop[i];
        }
    }
    return o;
}

void pl_scenario_population_free(pl_population *p)
{
    if (!p)
        return;
    free(p->id);
    free(p->x);
    free(p->y);
    free(p->pop);
    free(p->age_pop);
    free(p->muni_code);
    free(p->geom);
    free(p);
}

pl_roads *pl_scenario_roads(const pl_roads *roads, const int64_t *remove, size_t n_remove, const pl_roads *add,
                            size_t *n_removed)
{
    pl_roads *o = pl_calloc(1, sizeof *o);
    size_t nl = roads->n + (add ? add->n : 0);
    size_t nv = roads->first_vertex[roads->n] + (add ? add->first_vertex[add->n] : 0);
    o->first_vertex = pl_malloc((nl + 1) * sizeof *o->first_vertex);
    o->vx = pl_malloc((nv ? nv : 1) * sizeof *o->vx);
    o->vy = pl_malloc((nv ? nv : 1) * sizeof *o->vy);
    o->id = pl_malloc((nl ? nl : 1) * sizeof *o->id);
    o->road_class = pl_malloc(nl ? nl : 1);
    o->speed_kmh = pl_malloc((nl ? nl : 1) * sizeof *o->speed_kmh);
    o->oneway = pl_malloc(nl ? nl : 1);
    o->flags = pl_malloc(nl ? nl : 1);
    o->layer = pl_malloc(nl ? nl : 1);
    /* Topology ids are kept when every part has them (the caller refuses a mix). */
    int topo = roads->node_source && (!add || add->node_source);
    if (topo) {
        o->node_source = pl_malloc((nl ? nl : 1) * sizeof *o->node_source);
        o->node_target = pl_malloc((nl ? nl : 1) * sizeof *o->node_target);
    }
    o->source = pl_strdup(roads->source ? roads->source : "roads");
    o->first_vertex[0] = 0;
    size_t removed = 0;
    const pl_roads *parts[2] = {roads, add};
    for (int p = 0; p < 2; p++) {
        const pl_roads *r = parts[p];
        for (size_t i = 0; r && i < r->n; i++) {
            int drop = 0;
            for (size_t k = 0; p == 0 && k < n_remove && !drop; k++)
                drop = r->id[i] == remove[k];
            if (drop) {
                removed++;
                continue;
            }
            size_t j = o->n++, v0 = r->first_vertex[i], v1 = r->first_vertex[i + 1], at = o->first_vertex[j];
            memcpy(o->vx + at, r->vx + v0, (v1 - v0) * sizeof *o->vx);
            memcpy(o->vy + at, r->vy + v0, (v1 - v0) * sizeof *o->vy);
            o->first_vertex[j + 1] = at + (v1 - v0);
            o->id[j] = r->id[i];
            o->road_class[j] = r->road_class[i];
            o->speed_kmh[j] = r->speed_kmh[i];
            o->oneway[j] = r->oneway[i];
            o->flags[j] = r->flags[i];
            o->layer[j] = r->layer[i];
            if (topo) {
                o->node_source[j] = r->node_source[i];
                o->node_target[j] = r->node_target[i];
            }
        }
    }
    if (n_removed)
        *n_removed = removed;
    return o;
}

/* ---------- baseline with k = 3 labels ---------- */

static struct pl_scenario_cache *cache_build(const pl_graph *g, const pl_roads *roads, const pl_access_result *r);
static void cache_free(struct pl_scenario_cache *c);

void pl_scenario_base_free(pl_scenario_base *b)
{
    if (!b)
        return;
    if (b->lab3 && b->r)
        for (int i = 0; i < 2 * b->r->n_types; i++)
            free(b->lab3[i]);
    free(b->lab3);
    cache_free(b->cache);
    pl_access_result_free(b->r);
    free(b);
}

int pl_scenario_baseline(pl_ctx *ctx, const pl_population *pop, const pl_services *svc, const pl_service_types *st,
                         const pl_municipalities *munis, const pl_roads *roads, const pl_graph *graph,
                         const pl_access_params *params, pl_scenario_base **out, pl_error *err)
{
    *out = NULL;
    pl_scenario_base *b = pl_calloc(1, sizeof *b);
    b->params = *params;
    if (params->n_types > PL_MAX_TYPES)
        return pl_error_set(err, PL_EINPUT, "too many types");
    memcpy(b->types, params->types, (size_t)params->n_types * sizeof *b->types);
    b->params.types = b->types;
    int rc = pl_access_prepare(ctx, pop, svc, st, munis, roads, graph, params, &b->r, err);
    if (rc != PL_OK) {
        free(b);
        return rc;
    }
    pl_access_result *r = b->r;
    size_t n = r->n_cells;
    b->lab3 = pl_calloc((size_t)r->n_types * 2, sizeof *b->lab3);
    for (int t = 0; rc == PL_OK && t < r->n_types; t++) {
        pl_access_type *at = &r->types[t];
        pl_snap *src = pl_malloc((at->n_services ? at->n_services : 1) * sizeof *src);
        for (uint32_t s = 0; s < at->n_services; s++)
            src[s] = r->svc_snap[at->service_index[s]];
        at->by_dist = pl_malloc((n ? n : 1) * 2 * sizeof *at->by_dist);
        at->by_time = pl_malloc((n ? n : 1) * 2 * sizeof *at->by_time);
        for (int m = 0; rc == PL_OK && m < 2; m++) {
            pl_label *l3 = b->lab3[t * 2 + m] = pl_malloc((n ? n : 1) * 3 * sizeof *l3);
            pl_search_opts so = {.metric = m ? PL_METRIC_TIME : PL_METRIC_DISTANCE, .k = 3, .cutoff = INFINITY};
            rc = pl_graph_nearest_k(ctx, graph, src, at->n_services, r->cell_snap, n, &so, l3, err);
            pl_label *l2 = m ? at->by_time : at->by_dist;
            for (size_t c = 0; c < n; c++) {
                l2[c * 2] = l3[c * 3];
                l2[c * 2 + 1] = l3[c * 3 + 1];
            }
        }
        free(src);
    }
    if (rc != PL_OK) {
        pl_scenario_base_free(b);
        return rc;
    }
    pl_access_finish(ctx, pop, svc, munis, params, r);
    b->cache = cache_build(graph, roads, r);
    *out = b;
    return PL_OK;
}

/* ---------- incremental recomputation ---------- */

/* Lexicographic (p, q) label order and the (p, source) order of k-nearest answers. */
static inline int pq_less(double p, double q, double bp, double bq) { return p < bp || (p == bp && q < bq); }
static inline int ps_less(double p, uint32_t s, double bp, uint32_t bs) { return p < bp || (p == bp && s < bs); }

/* Node-indexed work arrays reused by every search (stamped, never cleared). */
typedef struct work {
    double *p, *q;
    uint32_t *stamp, *done, *pred;
    uint32_t cur;
    pl_min_heap H;
    uint64_t settled;
} work;

static void work_init(work *W, uint32_t n_nodes)
{
    memset(W, 0, sizeof *W);
    size_t n = n_nodes ? n_nodes : 1;
    W->p = pl_malloc(n * sizeof *W->p);
    W->q = pl_malloc(n * sizeof *W->q);
    W->stamp = pl_calloc(n, sizeof *W->stamp);
    W->done = pl_calloc(n, sizeof *W->done);
    W->pred = pl_malloc(n * sizeof *W->pred);
}

static void work_free(work *W)
{
    free(W->p);
    free(W->q);
    free(W->stamp);
    free(W->done);
    free(W->pred);
    free(W->H.h);
}

static void work_next(work *W, uint32_t n_nodes)
{
    if (++W->cur == 0) {  /* wrapped: clear */
        memset(W->stamp, 0, (n_nodes ? n_nodes : 1) * sizeof *W->stamp);
        memset(W->done, 0, (n_nodes ? n_nodes : 1) * sizeof *W->done);
        W->cur = 1;
    }
    W->H.n = 0;
}

/* Offers (p, q) to node v with predecessor info; pushes when it improves. */
static inline void relax(work *W, uint32_t v, double p, double q, uint32_t pred)
{
    if (W->done[v] == W->cur)
        return;
    if (W->stamp[v] != W->cur || pq_less(p, q, W->p[v], W->q[v])) {
        int push = W->stamp[v] != W->cur || p < W->p[v];
        W->stamp[v] = W->cur;
        W->p[v] = p;
        W->q[v] = q;
        W->pred[v] = pred;
        if (push)
            pl_heap_push(&W->H, p, v);
    }
}

/* Services of one type attached to nodes they can be reached from, as sorted keys
 * (node << 32) | (source << 1) | end; and by edge. Sorted arrays, not node-sized tables:
 * a scenario builds them for a few thousand services on a graph of millions of nodes. */
typedef struct svc_index {
    uint64_t *node_ent;
    size_t n_node_ent;
    uint64_t *on_edge;     /* (edge << 32) | source, sorted */
    size_t n_on_edge;
} svc_index;

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* First index of keys[0..n) with key >= k. */
static size_t lower_bound_u64(const uint64_t *keys, size_t n, uint64_t k)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (keys[mid] < k)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void svc_index_build(svc_index *X, const pl_graph *g, const pl_snap *src, uint32_t n_src)
{
    X->node_ent = pl_malloc(((size_t)n_src * 2 + 1) * sizeof *X->node_ent);
    X->on_edge = pl_malloc((n_src ? n_src : 1) * sizeof *X->on_edge);
    X->n_node_ent = X->n_on_edge = 0;
    for (uint32_t s = 0; s < n_src; s++) {
        if (!pl_snap_usable(g, &src[s]))
            continue;
        if (src[s].from_a)
            X->node_ent[X->n_node_ent++] = ((uint64_t)src[s].node_a << 32) | ((uint64_t)s << 1);
        if (src[s].from_b)
            X->node_ent[X->n_node_ent++] = ((uint64_t)src[s].node_b << 32) | ((uint64_t)s << 1) | 1;
        if (src[s].edge != NONE32)
            X->on_edge[X->n_on_edge++] = ((uint64_t)src[s].edge << 32) | s;
    }
    qsort(X->node_ent, X->n_node_ent, sizeof *X->node_ent, cmp_u64);
    qsort(X->on_edge, X->n_on_edge, sizeof *X->on_edge, cmp_u64);
}

static void svc_index_free(svc_index *X)
{
    free(X->node_ent);
    free(X->on_edge);
}

typedef struct cand {
    double p, q;        /* in the search's own (unit-first) sums */
    uint32_t src, node; /* node where it was met, NONE32 for the same edge */
    int end;
} cand;

/* The two nearest sources of unit T among `src` (the type's services of the scenario):
 * a forward search from the unit until the second-nearest is settled; the chosen labels
 * are summed again source end first along the path found, as the multi-source search
 * sums them, so they are the same doubles. */
static void nearest2_forward(work *W, const pl_graph *g, const pl_snap *T, const pl_snap *src, const svc_index *X,
                             int M, pl_label *out)
{
    out[0] = out[1] = (pl_label){NONE32, INFINITY, INFINITY};
    if (!pl_snap_usable(g, T))
        return;
    work_next(W, g->n_nodes);
    enum { NCAND = 8 };
    cand cs[NCAND];
    int nc = 0;
    double tap = pl_snap_access_p(T, M), taq = pl_snap_access_q(T, M);
    for (int end = 0; end < 2; end++) {
        if (!(end ? T->to_b : T->to_a))
            continue;
        uint32_t v = end ? T->node_b : T->node_a;
        relax(W, v, tap + pl_snap_part_p(T, end, M), taq + pl_snap_part_q(T, end, M), NONE32 - 1 - (uint32_t)end);
    }
    /* Sources on the unit's own edge. */
    uint64_t key = (uint64_t)T->edge << 32;
    size_t lo = 0, hi = T->edge == NONE32 ? 0 : X->n_on_edge;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (X->on_edge[mid] < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    cand edge_c[8];
    int ne = 0;
    for (size_t i = lo; T->edge != NONE32 && i < X->n_on_edge && (X->on_edge[i] >> 32) == T->edge && ne < 8; i++) {
        uint32_t s = (uint32_t)X->on_edge[i];
        double p, q;
        if (pl_snap_along_edge(T, &src[s], M, &p, &q))
            edge_c[ne++] = (cand){(pl_snap_access_p(&src[s], M) + p) + tap, (pl_snap_access_q(&src[s], M) + q) + taq, s, NONE32, 0};
    }
    /* Best two distinct sources by the search's sums: stop when the heap passes the second. */
    double second = INFINITY;
    while (W->H.n) {
        pl_heap_entry e = pl_heap_pop(&W->H);
        uint32_t u = e.v;
        if (W->done[u] == W->cur || e.p > W->p[u])
            continue;
        if (nc >= 2 && e.p > second * (1 + 1e-12) + 1e-9)
            break;
        W->done[u] = W->cur;
        W->settled++;
        double p = W->p[u], q = W->q[u];
        for (size_t k = lower_bound_u64(X->node_ent, X->n_node_ent, (uint64_t)u << 32);
             k < X->n_node_ent && (uint32_t)(X->node_ent[k] >> 32) == u; k++) {
            uint32_t s = (uint32_t)X->node_ent[k] >> 1;
            int end = (int)(X->node_ent[k] & 1);
            double cp = (p + pl_snap_part_p(&src[s], end, M)) + pl_snap_access_p(&src[s], M);
            double cq = (q + pl_snap_part_q(&src[s], end, M)) + pl_snap_access_q(&src[s], M);
            int found = 0;
            for (int i = 0; i < nc; i++)
                if (cs[i].src == s) {
                    found = 1;
                    if (pq_less(cp, cq, cs[i].p, cs[i].q))
                        cs[i] = (cand){cp, cq, s, u, end};
                }
            if (!found) {
                if (nc < NCAND) {
                    cs[nc++] = (cand){cp, cq, s, u, end};
                } else {
                    /* Full: the new one replaces the worst when better (only the best two matter,
                     * the rest keep near-ties for the exact re-summing). */
                    int w = 0;
                    for (int i = 1; i < nc; i++)
                        if (cs[i].p > cs[w].p)
                            w = i;
                    if (cp < cs[w].p)
                        cs[w] = (cand){cp, cq, s, u, end};
                }
            }
            /* second-best p among distinct sources */
            double b1 = INFINITY, b2 = INFINITY;
            for (int i = 0; i < nc; i++) {
                if (cs[i].p < b1) {
                    b2 = b1;
                    b1 = cs[i].p;
                } else if (cs[i].p < b2) {
                    b2 = cs[i].p;
                }
            }
            second = b2;
        }
        for (uint32_t a = g->out_begin[u]; a < g->out_begin[u + 1]; a++) {
            double w = M == PL_METRIC_DISTANCE ? g->arc_len_m[a] : g->arc_time_s[a];
            double w2 = M == PL_METRIC_DISTANCE ? g->arc_time_s[a] : g->arc_len_m[a];
            relax(W, g->arc_head[a], p + w, q + w2, a);
        }
    }
    /* Re-sum each candidate source end first along its path, like the multi-source search. */
    cand fin[NCAND + 8];
    int nf = 0;
    for (int i = 0; i < nc; i++) {
        const pl_snap *S = &src[cs[i].src];
        int end = cs[i].end;
        double p = pl_snap_access_p(S, M) + pl_snap_part_p(S, end, M), q = pl_snap_access_q(S, M) + pl_snap_part_q(S, end, M);
        uint32_t v = cs[i].node;
        while (W->pred[v] < NONE32 - 2) {
            uint32_t a = W->pred[v];
            p += M == PL_METRIC_DISTANCE ? g->arc_len_m[a] : g->arc_time_s[a];
            q += M == PL_METRIC_DISTANCE ? g->arc_time_s[a] : g->arc_len_m[a];
            /* tail of arc a: the node whose out-range holds a */
            uint32_t lo2 = 0, hi2 = g->n_nodes;
            while (lo2 + 1 < hi2) {
                uint32_t mid = (lo2 + hi2) / 2;
                if (g->out_begin[mid] <= a)
                    lo2 = mid;
                else
                    hi2 = mid;
            }
            v = lo2;
        }
        int tend = (int)(NONE32 - 1 - W->pred[v]);
        p = (p + pl_snap_part_p(T, tend, M)) + tap;
        q = (q + pl_snap_part_q(T, tend, M)) + taq;
        fin[nf++] = (cand){p, q, cs[i].src, 0, 0};
    }
    for (int i = 0; i < ne; i++)
        fin[nf++] = edge_c[i];
    /* Per source the best (p, q); then the two best by (p, source). */
    for (int i = 0; i < nf; i++)
        for (int j = i + 1; j < nf; j++)
            if (fin[j].src == fin[i].src) {
                if (pq_less(fin[j].p, fin[j].q, fin[i].p, fin[i].q))
                    fin[i] = fin[j];
                fin[j--] = fin[--nf];
            }
    for (int i = 0; i < nf; i++) {
        const cand *c = &fin[i];
        pl_label l = {c->src, M == PL_METRIC_DISTANCE ? c->p : c->q, M == PL_METRIC_DISTANCE ? c->q : c->p};
        double lp = c->p;
        double p0 = M == PL_METRIC_DISTANCE ? out[0].dist_m : out[0].time_s;
        double p1 = M == PL_METRIC_DISTANCE ? out[1].dist_m : out[1].time_s;
        if (ps_less(lp, c->src, p0, out[0].source)) {
            out[1] = out[0];
            out[0] = l;
        } else if (ps_less(lp, c->src, p1, out[1].source)) {
            out[1] = l;
        }
    }
}

/* Units attached to nodes they can travel to: entry (unit << 1) | end, as a node table for
 * the baseline's units (built once) and sorted keys (node << 32) | entry for added housing;
 * and by edge. */
typedef struct unit_index {
    uint32_t *begin, *ent;
    uint64_t *on_edge;
    size_t n_on_edge;
    uint64_t *x_node;      /* added units */
    size_t n_x_node;
    uint64_t *x_edge;
    size_t n_x_edge;
} unit_index;

static void unit_index_build(unit_index *U, const pl_graph *g, const pl_snap *cells, size_t n)
{
    memset(U, 0, sizeof *U);
    U->begin = pl_calloc((size_t)g->n_nodes + 1, sizeof *U->begin);
    U->on_edge = pl_malloc((n ? n : 1) * sizeof *U->on_edge);
    U->n_on_edge = 0;
    for (size_t c = 0; c < n; c++) {
        if (!pl_snap_usable(g, &cells[c]))
            continue;
        if (cells[c].to_a)
            U->begin[cells[c].node_a + 1]++;
        if (cells[c].to_b)
            U->begin[cells[c].node_b + 1]++;
        if (cells[c].edge != NONE32)
            U->on_edge[U->n_on_edge++] = ((uint64_t)cells[c].edge << 32) | c;
    }
    for (uint32_t v = 0; v < g->n_nodes; v++)
        U->begin[v + 1] += U->begin[v];
    U->ent = pl_malloc(((size_t)U->begin[g->n_nodes] + 1) * sizeof *U->ent);
    uint32_t *fill = pl_malloc(((size_t)g->n_nodes + 1) * sizeof *fill);
    memcpy(fill, U->begin, ((size_t)g->n_nodes + 1) * sizeof *fill);
    for (size_t c = 0; c < n; c++) {
        if (!pl_snap_usable(g, &cells[c]))
            continue;
        if (cells[c].to_a)
            U->ent[fill[cells[c].node_a]++] = (uint32_t)c << 1;
        if (cells[c].to_b)
            U->ent[fill[cells[c].node_b]++] = ((uint32_t)c << 1) | 1;
    }
    free(fill);
    qsort(U->on_edge, U->n_on_edge, sizeof *U->on_edge, cmp_u64);
}

/* The added units c0..n-1 (replaces earlier ones). */
static void unit_index_extra(unit_index *U, const pl_graph *g, const pl_snap *cells, size_t c0, size_t n)
{
    free(U->x_node);
    free(U->x_edge);
    size_t m = n > c0 ? n - c0 : 0;
    U->x_node = pl_malloc((2 * m + 1) * sizeof *U->x_node);
    U->x_edge = pl_malloc((m + 1) * sizeof *U->x_edge);
    U->n_x_node = U->n_x_edge = 0;
    for (size_t c = c0; c < n; c++) {
        if (!pl_snap_usable(g, &cells[c]))
            continue;
        if (cells[c].to_a)
            U->x_node[U->n_x_node++] = ((uint64_t)cells[c].node_a << 32) | ((uint64_t)c << 1);
        if (cells[c].to_b)
            U->x_node[U->n_x_node++] = ((uint64_t)cells[c].node_b << 32) | ((uint64_t)c << 1) | 1;
        if (cells[c].edge != NONE32)
            U->x_edge[U->n_x_edge++] = ((uint64_t)cells[c].edge << 32) | c;
    }
    qsort(U->x_node, U->n_x_node, sizeof *U->x_node, cmp_u64);
    qsort(U->x_edge, U->n_x_edge, sizeof *U->x_edge, cmp_u64);
}

static void unit_index_free(unit_index *U)
{
    free(U->begin);
    free(U->ent);
    free(U->on_edge);
    free(U->x_node);
    free(U->x_edge);
    memset(U, 0, sizeof *U);
}

/* Enters label l (source s) into a unit's two labels when it belongs there. */
static int merge2(pl_label *o, const pl_label *l, int M)
{
    if (o[0].source == l->source || o[1].source == l->source)
        return 0;
    double p = M == PL_METRIC_DISTANCE ? l->dist_m : l->time_s;
    double p0 = M == PL_METRIC_DISTANCE ? o[0].dist_m : o[0].time_s;
    double p1 = M == PL_METRIC_DISTANCE ? o[1].dist_m : o[1].time_s;
    if (ps_less(p, l->source, p0, o[0].source)) {
        o[1] = o[0];
        o[0] = *l;
        return 1;
    }
    if (ps_less(p, l->source, p1, o[1].source)) {
        o[1] = *l;
        return 1;
    }
    return 0;
}

typedef struct add_scratch {
    uint32_t *stamp;           /* per unit */
    double *bp, *bq;
    uint32_t *touched;
    size_t n_touched;
    uint32_t cur;
} add_scratch;

static inline void offer_unit(add_scratch *A, uint32_t c, double cp, double cq)
{
    if (A->stamp[c] != A->cur) {
        A->stamp[c] = A->cur;
        A->bp[c] = cp;
        A->bq[c] = cq;
        A->touched[A->n_touched++] = c;
    } else if (pq_less(cp, cq, A->bp[c], A->bq[c])) {
        A->bp[c] = cp;
        A->bq[c] = cq;
    }
}

/* Units on edge e of a sorted (edge << 32) | unit list: along the edge from S. */
static void same_edge_units(add_scratch *A, const uint64_t *list, size_t n, const pl_snap *cells, const pl_snap *S, int M,
                            double cutoff)
{
    double sap = pl_snap_access_p(S, M), saq = pl_snap_access_q(S, M);
    for (size_t i = lower_bound_u64(list, n, (uint64_t)S->edge << 32); i < n && (list[i] >> 32) == S->edge; i++) {
        uint32_t c = (uint32_t)list[i];
        double p, q;
        if (!pl_snap_along_edge(&cells[c], S, M, &p, &q))
            continue;
        double cp = (sap + p) + pl_snap_access_p(&cells[c], M), cq = (saq + q) + pl_snap_access_q(&cells[c], M);
        if (cp <= cutoff)
            offer_unit(A, c, cp, cq);
    }
}

/* One added source: a reverse search from it bounded by `cutoff`; every unit it reaches gets
 * its best (p, q) over both ends and the same edge, as the multi-source search combines them. */
static long add_source(work *W, add_scratch *A, const pl_graph *g, const unit_index *U, const pl_snap *cells,
                       const pl_snap *S, uint32_t s, int M, double cutoff, pl_label *lab)
{
    if (!pl_snap_usable(g, S))
        return 0;
    work_next(W, g->n_nodes);
    A->cur++;
    A->n_touched = 0;
    double sap = pl_snap_access_p(S, M), saq = pl_snap_access_q(S, M);
    for (int end = 0; end < 2; end++) {
        if (!(end ? S->from_b : S->from_a))
            continue;
        uint32_t v = end ? S->node_b : S->node_a;
        double p = sap + pl_snap_part_p(S, end, M), q = saq + pl_snap_part_q(S, end, M);
        if (p <= cutoff)
            relax(W, v, p, q, NONE32);
    }
    while (W->H.n) {
        pl_heap_entry e = pl_heap_pop(&W->H);
        uint32_t u = e.v;
        if (W->done[u] == W->cur || e.p > W->p[u])
            continue;
        W->done[u] = W->cur;
        W->settled++;
        double p = W->p[u], q = W->q[u];
        for (uint32_t k = U->begin[u]; k < U->begin[u + 1]; k++) {
            uint32_t c = U->ent[k] >> 1;
            int end = (int)(U->ent[k] & 1);
            double cp = (p + pl_snap_part_p(&cells[c], end, M)) + pl_snap_access_p(&cells[c], M);
            double cq = (q + pl_snap_part_q(&cells[c], end, M)) + pl_snap_access_q(&cells[c], M);
            if (cp <= cutoff)
                offer_unit(A, c, cp, cq);
        }
        if (U->n_x_node)
            for (size_t k = lower_bound_u64(U->x_node, U->n_x_node, (uint64_t)u << 32);
                 k < U->n_x_node && (uint32_t)(U->x_node[k] >> 32) == u; k++) {
                uint32_t c = (uint32_t)U->x_node[k] >> 1;
                int end = (int)(U->x_node[k] & 1);
                double cp = (p + pl_snap_part_p(&cells[c], end, M)) + pl_snap_access_p(&cells[c], M);
                double cq = (q + pl_snap_part_q(&cells[c], end, M)) + pl_snap_access_q(&cells[c], M);
                if (cp <= cutoff)
                    offer_unit(A, c, cp, cq);
            }
        for (uint32_t a = g->in_begin[u]; a < g->in_begin[u + 1]; a++) {
            const pl_rev_arc *arc = &g->in_arc[a];
            double np = p + (M == PL_METRIC_DISTANCE ? arc->len_m : arc->time_s);
            if (np > cutoff)
                continue;
            double nq = q + (M == PL_METRIC_DISTANCE ? arc->time_s : arc->len_m);
            relax(W, arc->tail, np, nq, NONE32);
        }
    }
    /* Units on the source's own edge. */
    if (S->edge != NONE32) {
        same_edge_units(A, U->on_edge, U->n_on_edge, cells, S, M, cutoff);
        same_edge_units(A, U->x_edge, U->n_x_edge, cells, S, M, cutoff);
    }
    long improved = 0;
    for (size_t i = 0; i < A->n_touched; i++) {
        uint32_t c = A->touched[i];
        pl_label l = {s, M == PL_METRIC_DISTANCE ? A->bp[c] : A->bq[c], M == PL_METRIC_DISTANCE ? A->bq[c] : A->bp[c]};
        improved += merge2(&lab[(size_t)c * 2], &l, M);
    }
    return improved;
}

/* ---------- what scenarios keep from the baseline ---------- */

struct pl_scenario_cache {
    work W;                    /* node-sized search arrays */
    unit_index U;              /* the baseline's units by node */
    double vmax;               /* highest speed on arcs and the baseline's access legs, m/s */
    /* Edge grid: edges by the squares their vertices' bounding box covers. */
    double gx0, gy0, gcell;
    int64_t gnx, gny;
    uint32_t *gbegin, *gedge;
    uint32_t *estamp, ecur;
};

static double max_speed(const pl_graph *g, const pl_snap *cells, size_t n, const pl_snap *src, size_t ns);

static void edge_bbox(const pl_graph *g, const pl_roads *roads, uint32_t e, double *x0, double *y0, double *x1,
                      double *y1)
{
    *x0 = *y0 = INFINITY;
    *x1 = *y1 = -INFINITY;
    for (uint32_t v = g->edge_v0[e]; v <= g->edge_v1[e]; v++) {
        *x0 = fmin(*x0, roads->vx[v]);
        *x1 = fmax(*x1, roads->vx[v]);
        *y0 = fmin(*y0, roads->vy[v]);
        *y1 = fmax(*y1, roads->vy[v]);
    }
}

static struct pl_scenario_cache *cache_build(const pl_graph *g, const pl_roads *roads, const pl_access_result *r)
{
    struct pl_scenario_cache *c = pl_calloc(1, sizeof *c);
    work_init(&c->W, g->n_nodes);
    unit_index_build(&c->U, g, r->cell_snap, r->n_cells);
    c->vmax = max_speed(g, r->cell_snap, r->n_cells, r->svc_snap, r->n_svc);
    double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
    for (uint32_t e = 0; e < g->n_edges; e++) {
        double a, b, cc, d;
        edge_bbox(g, roads, e, &a, &b, &cc, &d);
        x0 = fmin(x0, a);
        y0 = fmin(y0, b);
        x1 = fmax(x1, cc);
        y1 = fmax(y1, d);
    }
    if (!(x1 >= x0))
        x0 = y0 = x1 = y1 = 0;
    c->gcell = 1000;
    double w = x1 - x0 + 1, h = y1 - y0 + 1;
    while ((w / c->gcell + 1) * (h / c->gcell + 1) > 16e6)
        c->gcell *= 2;
    c->gx0 = x0;
    c->gy0 = y0;
    c->gnx = (int64_t)(w / c->gcell) + 1;
    c->gny = (int64_t)(h / c->gcell) + 1;
    size_t ncell = (size_t)(c->gnx * c->gny);
    c->gbegin = pl_calloc(ncell + 1, sizeof *c->gbegin);
    for (int pass = 0; pass < 2; pass++) {
        uint32_t *fill = NULL;
        if (pass == 1) {
            for (size_t i = 0; i < ncell; i++)
                c->gbegin[i + 1] += c->gbegin[i];
            c->gedge = pl_malloc(((size_t)c->gbegin[ncell] + 1) * sizeof *c->gedge);
            fill = pl_malloc((ncell + 1) * sizeof *fill);
            memcpy(fill, c->gbegin, (ncell + 1) * sizeof *fill);
        }
        for (uint32_t e = 0; e < g->n_edges; e++) {
            double a, b, cc, d;
            edge_bbox(g, roads, e, &a, &b, &cc, &d);
            int64_t ix0 = (int64_t)((a - x0) / c->gcell), ix1 = (int64_t)((cc - x0) / c->gcell);
            int64_t iy0 = (int64_t)((b - y0) / c->gcell), iy1 = (int64_t)((d - y0) / c->gcell);
            for (int64_t iy = iy0; iy <= iy1; iy++)
                for (int64_t ix = ix0; ix <= ix1; ix++) {
                    size_t cell = (size_t)(iy * c->gnx + ix);
                    if (pass == 0)
                        c->gbegin[cell + 1]++;
                    else
                        c->gedge[fill[cell]++] = e;
                }
        }
        free(fill);
    }
    c->estamp = pl_calloc(g->n_edges ? g->n_edges : 1, sizeof *c->estamp);
    return c;
}

static void cache_free(struct pl_scenario_cache *c)
{
    if (!c)
        return;
    work_free(&c->W);
    unit_index_free(&c->U);
    free(c->gbegin);
    free(c->gedge);
    free(c->estamp);
    free(c);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Attaches new places exactly as pl_graph_snap on the whole graph does, without its index of
 * every road segment: pl_graph_snap runs on a view of the graph holding only the edges whose
 * bounding box comes within R of a place (the edges keep their relative order, so equal
 * distances are still won by the same segment). An answer on the main network (a component of
 * at least min_component_nodes) no farther than R is then the whole graph's answer: every
 * segment nearer than it is in the view. Other places go through pl_graph_snap on the whole
 * graph. */
static int snap_new_places(pl_ctx *ctx, struct pl_scenario_cache *C, const pl_graph *g, const pl_roads *roads,
                           const double *x, const double *y, size_t n, const pl_snap_opts *so, pl_snap *out,
                           pl_error *err)
{
    if (n == 0)
        return PL_OK;
    double R = fmax(2000.0, 2 * so->max_snap_m);
    if (++C->ecur == 0) {
        memset(C->estamp, 0, (g->n_edges ? g->n_edges : 1) * sizeof *C->estamp);
        C->ecur = 1;
    }
    size_t m = 0, cap = 1024;
    uint32_t *sub = pl_malloc(cap * sizeof *sub);
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i]) || !isfinite(y[i]))
            continue;
        int64_t ix0 = (int64_t)floor((x[i] - R - C->gx0) / C->gcell), ix1 = (int64_t)floor((x[i] + R - C->gx0) / C->gcell);
        int64_t iy0 = (int64_t)floor((y[i] - R - C->gy0) / C->gcell), iy1 = (int64_t)floor((y[i] + R - C->gy0) / C->gcell);
        ix0 = ix0 < 0 ? 0 : ix0;
        iy0 = iy0 < 0 ? 0 : iy0;
        ix1 = ix1 >= C->gnx ? C->gnx - 1 : ix1;
        iy1 = iy1 >= C->gny ? C->gny - 1 : iy1;
        for (int64_t iy = iy0; iy <= iy1; iy++)
            for (int64_t ix = ix0; ix <= ix1; ix++) {
                size_t cell = (size_t)(iy * C->gnx + ix);
                for (uint32_t k = C->gbegin[cell]; k < C->gbegin[cell + 1]; k++) {
                    uint32_t e = C->gedge[k];
                    if (C->estamp[e] == C->ecur)
                        continue;
                    C->estamp[e] = C->ecur;
                    if (m == cap) {
                        cap *= 2;
                        sub = pl_realloc(sub, cap * sizeof *sub);
                    }
                    sub[m++] = e;
                }
            }
    }
    int rc = PL_OK;
    uint8_t *redo = pl_calloc(n, 1);
    size_t n_redo = n;
    if (m > 0) {
        qsort(sub, m, sizeof *sub, cmp_u32);
        pl_graph v = *g;
        v.n_edges = (uint32_t)m;
        v.edge_a = pl_malloc(m * sizeof *v.edge_a);
        v.edge_b = pl_malloc(m * sizeof *v.edge_b);
        v.edge_road = pl_malloc(m * sizeof *v.edge_road);
        v.edge_v0 = pl_malloc(m * sizeof *v.edge_v0);
        v.edge_v1 = pl_malloc(m * sizeof *v.edge_v1);
        v.edge_len_m = pl_malloc(m * sizeof *v.edge_len_m);
        v.edge_time_s = pl_malloc(m * sizeof *v.edge_time_s);
        v.edge_dir = pl_malloc(m);
        for (size_t k = 0; k < m; k++) {
            uint32_t e = sub[k];
            v.edge_a[k] = g->edge_a[e];
            v.edge_b[k] = g->edge_b[e];
            v.edge_road[k] = g->edge_road[e];
            v.edge_v0[k] = g->edge_v0[e];
            v.edge_v1[k] = g->edge_v1[e];
            v.edge_len_m[k] = g->edge_len_m[e];
            v.edge_time_s[k] = g->edge_time_s[e];
            v.edge_dir[k] = g->edge_dir[e];
        }
        int quiet = ctx->quiet;
        ctx->quiet = 1;  /* its counts of fragments passed over are the whole graph's business */
        rc = pl_graph_snap(ctx, &v, roads, x, y, n, so, out, err);
        ctx->quiet = quiet;
        n_redo = 0;
        for (size_t i = 0; rc == PL_OK && i < n; i++) {
            pl_snap *s = &out[i];
            int ok = s->status != PL_SNAP_NONE && s->edge < m && s->access_m <= 0.999 * R &&
                     g->component_nodes[g->component[s->node_a]] >= so->min_component_nodes;
            if (ok)
                s->edge = sub[s->edge];
            else
                redo[i] = 1, n_redo++;
        }
        free(v.edge_a);
        free(v.edge_b);
        free(v.edge_road);
        free(v.edge_v0);
        free(v.edge_v1);
        free(v.edge_len_m);
        free(v.edge_time_s);
        free(v.edge_dir);
    } else {
        memset(redo, 1, n);
    }
    if (rc == PL_OK && n_redo > 0) {
        double *rx = pl_malloc(n_redo * sizeof *rx), *ry = pl_malloc(n_redo * sizeof *ry);
        pl_snap *rs = pl_malloc(n_redo * sizeof *rs);
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
            if (redo[i]) {
                rx[k] = x[i];
                ry[k++] = y[i];
            }
        rc = pl_graph_snap(ctx, g, roads, rx, ry, n_redo, so, rs, err);
        k = 0;
        for (size_t i = 0; rc == PL_OK && i < n; i++)
            if (redo[i])
                out[i] = rs[k++];
        free(rx);
        free(ry);
        free(rs);
    }
    free(redo);
    free(sub);
    return rc;
}

static int in_region(const char *code, const char *region)
{
    if (!region || !*region)
        return 1;
    return code && strncmp(code, region, strlen(region)) == 0;
}

/* Highest speed anywhere in the graph and on access legs (m per s), for lower bounds of time. */
static double max_speed(const pl_graph *g, const pl_snap *cells, size_t n, const pl_snap *src, size_t ns)
{
    double v = 0;
    for (uint32_t a = 0; a < g->n_arcs; a++)
        if (g->arc_time_s[a] > 0 && g->arc_len_m[a] / g->arc_time_s[a] > v)
            v = g->arc_len_m[a] / g->arc_time_s[a];
    const pl_snap *sets[2] = {cells, src};
    size_t ns2[2] = {n, ns};
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < ns2[k]; i++)
            if (sets[k][i].access_s > 0 && sets[k][i].access_m / sets[k][i].access_s > v)
                v = sets[k][i].access_m / sets[k][i].access_s;
    return v > 0 ? v * 1.01 : INFINITY;
}

/* Long: closures, additions, new units and the incremental searches run in this order on the shared
 * snaps and labels, the order a full re-run takes, so that the answers equal one. */
int pl_scenario_apply(pl_ctx *ctx, const pl_scenario_base *base, const pl_population *pop_new,
                      const pl_services *svc_old, const pl_services *svc_new, const uint32_t *old_to_new,
                      const pl_service_types *st, const pl_municipalities *munis, const pl_roads *roads,
                      const pl_graph *graph, pl_access_result **out, pl_scenario_work *work_out, pl_error *err)
{
    double t0 = pl_now_s(), c0 = cpu_now();
    *out = NULL;
    const pl_access_result *B = base->r;
    const pl_access_params *params = &base->params;
    size_t n_old = B->n_cells, n = pop_new->n;
    if (n < n_old)
        return pl_error_set(err, PL_EINTERNAL, "scenario: the units must extend the baseline's");
    pl_scenario_work wk;
    memset(&wk, 0, sizeof wk);
    pl_access_result *r = pl_calloc(1, sizeof *r);
    r->n_cells = n;
    r->n_types = B->n_types;
    r->has_age = pop_new->age_pop != NULL;
    r->types = pl_calloc((size_t)r->n_types, sizeof *r->types);
    r->cell_snap = pl_malloc((n ? n : 1) * sizeof *r->cell_snap);
    r->cell_muni = pl_malloc((n ? n : 1) * sizeof *r->cell_muni);
    r->cell_in_region = pl_malloc(n ? n : 1);
    r->service_level = pl_calloc(n ? n : 1, sizeof *r->service_level);
    memcpy(r->cell_snap, B->cell_snap, n_old * sizeof *r->cell_snap);
    memcpy(r->cell_muni, B->cell_muni, n_old * sizeof *r->cell_muni);
    r->n_outside_muni = B->n_outside_muni;
    pl_snap_opts so;
    pl_snap_opts_default(&so);
    if (params->max_snap_m > 0)
        so.max_snap_m = params->max_snap_m;
    int rc = PL_OK;
    /* Services: the baseline's snaps; new ones below. */
    r->n_svc = svc_new->n;
    r->svc_snap = pl_malloc((svc_new->n ? svc_new->n : 1) * sizeof *r->svc_snap);
    uint8_t *is_new = pl_calloc(svc_new->n ? svc_new->n : 1, 1);
    for (size_t i = 0; i < svc_new->n; i++)
        is_new[i] = 1;
    for (size_t i = 0; i < svc_old->n; i++)
        if (old_to_new[i] != NONE32) {
            r->svc_snap[old_to_new[i]] = B->svc_snap[i];
            is_new[old_to_new[i]] = 0;
        }
    size_t n_added = 0;
    for (size_t i = 0; i < svc_new->n; i++)
        n_added += is_new[i];
    if (n > n_old) {
        /* New units: the loaders' municipality rules, on just them. */
        pl_population add = *pop_new;
        add.n = n - n_old;
        add.id += n_old;
        add.x += n_old;
        add.y += n_old;
        add.pop += n_old;
        if (add.age_pop)
            add.age_pop += n_old;
        if (add.muni_code)
            add.muni_code += n_old;
        if (add.geom)
            add.geom += n_old;
        r->n_outside_muni += pl_assign_municipalities(ctx, &add, munis, r->cell_muni + n_old);
    }
    /* New units and new services attached in one call (one spatial index), as a full run
     * attaches each place: independently of the others. */
    size_t n_new_places = (n - n_old) + n_added;
    if (n_new_places) {
        double *px = pl_malloc(n_new_places * sizeof *px), *py = pl_malloc(n_new_places * sizeof *py);
        pl_snap *ps = pl_malloc(n_new_places * sizeof *ps);
        size_t k = 0;
        for (size_t c = n_old; c < n; c++) {
            px[k] = pop_new->x[c];
            py[k++] = pop_new->y[c];
        }
        for (size_t i = 0; i < svc_new->n; i++)
            if (is_new[i]) {
                px[k] = svc_new->x[i];
                py[k++] = svc_new->y[i];
            }
        rc = snap_new_places(ctx, base->cache, graph, roads, px, py, n_new_places, &so, ps, err);
        k = 0;
        for (size_t c = n_old; c < n; c++)
            r->cell_snap[c] = ps[k++];
        pl_snap *added = ps + (n - n_old);
        if (rc == PL_OK)
            pl_attach_leave_out(ctx, added, n_added, params->max_service_snap_m, graph->mode);
        for (size_t i = 0; i < svc_new->n; i++)
            if (is_new[i])
                r->svc_snap[i] = ps[k++];
        free(px);
        free(py);
        free(ps);
    }
    for (size_t c = 0; c < n; c++) {
        long m = r->cell_muni[c];
        r->cell_in_region[c] = (uint8_t)in_region(m >= 0 ? munis->code[m] : NULL, params->region);
        if (r->cell_in_region[c]) {
            r->pop_total += pop_new->pop[c];
            r->age_total += pop_new->age_pop ? pop_new->age_pop[c] : 0;
        }
    }
    double t_snap = cpu_now();
    uint32_t *order = pl_ids_sorted_order((const char *const *)svc_new->id, svc_new->n);
    uint32_t *src_of_svc = pl_malloc((svc_new->n ? svc_new->n : 1) * sizeof *src_of_svc);
    struct pl_scenario_cache *CC = base->cache;
    work *Wp = &CC->W;
    unit_index *Up = &CC->U;
    uint64_t settled0 = Wp->settled;
    unit_index_extra(Up, graph, r->cell_snap, n_old, n);
    add_scratch A = {0};
    A.stamp = pl_calloc(n ? n : 1, sizeof *A.stamp);
    A.bp = pl_malloc((n ? n : 1) * sizeof *A.bp);
    A.bq = pl_malloc((n ? n : 1) * sizeof *A.bq);
    A.touched = pl_malloc((n ? n : 1) * sizeof *A.touched);
    uint32_t *affected = pl_malloc((n ? n : 1) * sizeof *affected);
    double vmax = INFINITY;
    double t_index = cpu_now(), t_lists = 0, t_forward = 0, t_cutoff = 0, t_added = 0;
    for (int t = 0; rc == PL_OK && t < r->n_types; t++) {
        const pl_access_type *bt = &B->types[t];
        pl_access_type *at = &r->types[t];
        at->type = bt->type;
        at->in_level = bt->in_level;
        memcpy(at->bands_km, bt->bands_km, sizeof at->bands_km);
        memcpy(at->bands_min, bt->bands_min, sizeof at->bands_min);
        at->n_bands_km = bt->n_bands_km;
        at->n_bands_min = bt->n_bands_min;
        at->service_index = pl_malloc((svc_new->n ? svc_new->n : 1) * sizeof *at->service_index);
        for (size_t i = 0; i < svc_new->n; i++)
            src_of_svc[i] = NONE32;
        for (size_t j = 0; j < svc_new->n; j++)
            if (pl_service_types_counts_for(st, at->type, svc_new->type[order[j]])) {
                src_of_svc[order[j]] = at->n_services;
                at->service_index[at->n_services++] = order[j];
            }
        if (at->n_services == 0)
            pl_warn(ctx, "type-without-services", "no service of type '%s' in the data; every unit is unreachable for it",
                    st->t[at->type].key);
        /* Old source index -> new source index (NONE32 when closed). */
        uint32_t *map = pl_malloc((bt->n_services ? bt->n_services : 1) * sizeof *map);
        for (uint32_t s = 0; s < bt->n_services; s++) {
            uint32_t i = old_to_new[bt->service_index[s]];
            map[s] = i == NONE32 ? NONE32 : src_of_svc[i];
        }
        pl_snap *src = pl_malloc((at->n_services ? at->n_services : 1) * sizeof *src);
        for (uint32_t s = 0; s < at->n_services; s++)
            src[s] = r->svc_snap[at->service_index[s]];
        svc_index X;
        svc_index_build(&X, graph, src, at->n_services);
        at->by_dist = pl_malloc((n ? n : 1) * 2 * sizeof *at->by_dist);
        at->by_time = pl_malloc((n ? n : 1) * 2 * sizeof *at->by_time);
        for (int M = 0; M < 2; M++) {
            const pl_label *l3 = base->lab3[t * 2 + M];
            pl_label *o = M ? at->by_time : at->by_dist;
            size_t na = 0;
            double ta = cpu_now();
            for (size_t c = 0; c < n_old; c++) {
                pl_label keep[3];
                int nk = 0, valid = 0;
                for (int j = 0; j < 3; j++) {
                    const pl_label *l = &l3[c * 3 + j];
                    if (l->source == NONE32)
                        continue;
                    valid++;
                    if (map[l->source] != NONE32) {
                        keep[nk] = *l;
                        keep[nk++].source = map[l->source];
                    }
                }
                o[c * 2] = nk > 0 ? keep[0] : (pl_label){NONE32, INFINITY, INFINITY};
                o[c * 2 + 1] = nk > 1 ? keep[1] : (pl_label){NONE32, INFINITY, INFINITY};
                if (nk < 2 && valid == 3)
                    affected[na++] = (uint32_t)c;
            }
            for (size_t c = n_old; c < n; c++)
                affected[na++] = (uint32_t)c;
            double tb = cpu_now();
            for (size_t i = 0; i < na; i++)
                nearest2_forward(Wp, graph, &r->cell_snap[affected[i]], src, &X, M, &o[(size_t)affected[i] * 2]);
            double tc = cpu_now();
            t_lists += tb - ta;
            t_forward += tc - tb;
            wk.units_searched += (long)na;
            /* Added services of the type: bounded reverse searches. */
            for (size_t i = 0; i < svc_new->n; i++) {
                if (!is_new[i] || src_of_svc[i] == NONE32)
                    continue;
                const pl_snap *S = &r->svc_snap[i];
                if (!pl_snap_usable(graph, S))
                    continue;
                if (M == 1 && !isfinite(vmax)) {
                    /* The baseline's, and the new places' access legs. */
                    vmax = CC->vmax;
                    for (size_t k = n_old; k < n; k++)
                        if (r->cell_snap[k].access_s > 0)
                            vmax = fmax(vmax, 1.01 * r->cell_snap[k].access_m / r->cell_snap[k].access_s);
                    for (size_t k = 0; k < svc_new->n; k++)
                        if (is_new[k] && r->svc_snap[k].access_s > 0)
                            vmax = fmax(vmax, 1.01 * r->svc_snap[k].access_m / r->svc_snap[k].access_s);
                }
                /* Cutoff: the largest second-nearest value among units of the source's road
                 * component that could get it (straight line no longer than that value). */
                uint32_t comp = graph->component[S->node_a];
                double cutoff = 0;
                for (size_t c = 0; c < n && isfinite(cutoff); c++) {
                    const pl_snap *C = &r->cell_snap[c];
                    if (!pl_snap_usable(graph, C) || graph->component[C->node_a] != comp)
                        continue;
                    double v2 = M ? o[c * 2 + 1].time_s : o[c * 2 + 1].dist_m;
                    if (!(v2 > cutoff))
                        continue;
                    double dx = pop_new->x[c] - svc_new->x[i], dy = pop_new->y[c] - svc_new->y[i];
                    double lb = 0.99 * sqrt(dx * dx + dy * dy) - 100.0;
                    if (M)
                        lb /= vmax;
                    if (lb <= v2)
                        cutoff = v2;
                }
                double td = cpu_now();
                t_cutoff += td - tc;
                if (cutoff == 0) {
                    tc = cpu_now();
                    continue;
                }
                wk.added_searches++;
                wk.units_improved += add_source(Wp, &A, graph, Up, r->cell_snap, S, src_of_svc[i], M, cutoff, o);
                tc = cpu_now();
                t_added += tc - td;
            }
        }
        svc_index_free(&X);
        free(src);
        free(map);
    }
    free(affected);
    free(A.stamp);
    free(A.bp);
    free(A.bq);
    free(A.touched);
    unit_index_extra(Up, graph, r->cell_snap, 0, 0);
    wk.nodes_settled = Wp->settled - settled0;
    free(src_of_svc);
    free(order);
    free(is_new);
    if (rc != PL_OK) {
        pl_access_result_free(r);
        return rc;
    }
    double t_fin = cpu_now();
    pl_access_finish(ctx, pop_new, svc_new, munis, params, r);
    wk.seconds = pl_now_s() - t0;
    if (ctx->verbose)
        pl_info(ctx, "scenario CPU: snapping %.3f s, indexes %.3f s, label lists %.3f s, unit searches %.3f s, "
                "cutoffs %.3f s, added-service searches %.3f s, summaries %.3f s",
                t_snap - c0, t_index - t_snap, t_lists, t_forward, t_cutoff, t_added, cpu_now() - t_fin);
    if (work_out)
        *work_out = wk;
    *out = r;
    return PL_OK;
}
