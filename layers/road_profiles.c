/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Road profiles (road_profiles.h): share/road_profiles.ini read with inih, a profile picked
 * per roads layer. */
#include "road_profiles.h"

#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "gis/share.h"
#include "gis/vector.h"

static const char *const role_names[PL_RF_N] = {
    "class", "speed", "speed_backward", "oneway", "forbidden_forward", "forbidden_backward",
    "forbidden_direction", "ferry", "motorway", "motorroad", "car_network", "access", "motor_vehicle",
    "motorcar", "foot", "bicycle", "bridge", "tunnel", "layer", "indoor", "route", "junction",
    "oneway_bicycle", "car", "bike", "id"};

const char *pl_road_role_name(pl_road_role r)
{
    return r >= 0 && r < PL_RF_N ? role_names[r] : "?";
}

typedef struct parse_state {
    pl_road_profiles *p;
    char msg[512];
} parse_state;

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

/* "a, b, c" into a NULL-terminated list of owned copies; 0 when too many names. */
static int split_names(const char *value, char **out)
{
    char *copy = strdup(value);
    if (!copy)
        return 0;
    int n = 0, ok = 1;
    for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *t = trim(tok);
        if (!*t)
            continue;
        if (n == PL_RF_MAX_NAMES) {
            ok = 0;
            break;
        }
        out[n++] = pl_strdup(t);
    }
    out[n] = NULL;
    free(copy);
    return ok;
}

static void free_names(char **names)
{
    for (int i = 0; names[i]; i++) {
        free(names[i]);
        names[i] = NULL;
    }
}

static pl_road_profile *profile_named(pl_road_profiles *p, const char *name)
{
    for (int i = 0; i < p->n; i++)
        if (!strcasecmp(p->p[i].name, name))
            return &p->p[i];
    return NULL;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
    parse_state *st = user;
    pl_road_profiles *p = st->p;
    pl_road_profile *pr = profile_named(p, section);
    if (!pr) {
        if (strlen(section) >= sizeof pr->name || !*section) {
            snprintf(st->msg, sizeof st->msg, "profile name '%.40s' must have 1 to %zu characters", section,
                     sizeof pr->name - 1);
            return 0;
        }
        if (p->n == (int)(sizeof p->p / sizeof p->p[0])) {
            snprintf(st->msg, sizeof st->msg, "more than %zu profiles", sizeof p->p / sizeof p->p[0]);
            return 0;
        }
        pr = &p->p[p->n++];
        snprintf(pr->name, sizeof pr->name, "%s", section);
    }
    char **target = NULL;
    if (!strcmp(name, "description")) {
        snprintf(pr->description, sizeof pr->description, "%s", value);
        return 1;
    }
    if (!strcmp(name, "detect"))
        target = pr->detect;
    else if (!strcmp(name, "car_network_values"))
        target = pr->car_network_values;
    for (int r = 0; !target && r < PL_RF_N; r++)
        if (!strcmp(name, role_names[r]))
            target = pr->fields[r];
    if (!target) {
        snprintf(st->msg, sizeof st->msg, "unknown key '%.60s' in [%s]; keys are description, detect, "
                 "car_network_values and the roles class, speed, oneway, ... (see share/road_profiles.ini)",
                 name, section);
        return 0;
    }
    free_names(target);
    if (!split_names(value, target)) {
        snprintf(st->msg, sizeof st->msg, "'%s' in [%s] lists more than %d field names", name, section,
                 PL_RF_MAX_NAMES);
        return 0;
    }
    return 1;
}

static uint64_t hash_file_bytes(const char *path)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return h;
    int c;
    while ((c = getc(f)) != EOF)
        h = (h ^ (uint64_t)(unsigned char)c) * 0x100000001b3ULL;
    fclose(f);
    return h;
}

pl_road_profiles *pl_road_profiles_load(const char *path, pl_error *err)
{
    char shipped[4096];
    if (!path)
        path = pl_share_path(shipped, sizeof shipped, "road_profiles.ini");
    struct stat sb;
    if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        pl_error_set(err, PL_EINPUT, "%s: cannot read the road profiles file (%s); check the path", path,
                     stat(path, &sb) != 0 ? strerror(errno) : "not a regular file");
        return NULL;
    }
    pl_road_profiles *p = calloc(1, sizeof *p);
    if (!p) {
        pl_error_set(err, PL_EINTERNAL, "out of memory reading road profiles");
        return NULL;
    }
    snprintf(p->path, sizeof p->path, "%s", path);
    parse_state st = {.p = p};
    int rc = ini_parse(path, handler, &st);
    if (rc != 0) {
        if (rc == -1)
            pl_error_set(err, PL_EINPUT, "%s: cannot open the road profiles file (%s); check the path", path,
                         strerror(errno));
        else if (rc == -2)
            pl_error_set(err, PL_EINTERNAL, "%s: out of memory reading road profiles", path);
        else
            pl_error_set(err, PL_EINPUT, "%s:%d: %s", path, rc,
                         st.msg[0] ? st.msg : "cannot parse the line; expected [profile] or key = value");
        pl_road_profiles_free(p);
        return NULL;
    }
    if (p->n == 0) {
        pl_error_set(err, PL_EINPUT, "%s: no [profile] section; see share/road_profiles.ini for the format", path);
        pl_road_profiles_free(p);
        return NULL;
    }
    p->text_hash = hash_file_bytes(path);
    return p;
}

void pl_road_profiles_free(pl_road_profiles *p)
{
    if (!p)
        return;
    for (int i = 0; i < p->n; i++) {
        free_names(p->p[i].detect);
        free_names(p->p[i].car_network_values);
        for (int r = 0; r < PL_RF_N; r++)
            free_names(p->p[i].fields[r]);
    }
    free(p);
}

static int fits(const pl_vector *v, const pl_road_profile *pr)
{
    if (!pr->detect[0])
        return 0;
    for (int i = 0; pr->detect[i]; i++)
        if (pl_vector_field(v, pr->detect[i]) < 0)
            return 0;
    return 1;
}

static void list_names(const pl_road_profiles *p, char *buf, size_t size)
{
    buf[0] = '\0';
    for (int i = 0; i < p->n; i++) {
        size_t used = strlen(buf);
        snprintf(buf + used, size - used, "%s%s", i ? ", " : "", p->p[i].name);
    }
}

/* A file given as the profile: its only profile, or the first that fits, or its first. */
static const pl_road_profile *pick_in(const pl_vector *v, const pl_road_profiles *p)
{
    for (int i = 0; i < p->n; i++)
        if (fits(v, &p->p[i]))
            return &p->p[i];
    for (int i = 0; i < p->n; i++)
        if (!p->p[i].detect[0])
            return &p->p[i];
    return &p->p[0];
}

const pl_road_profile *pl_road_profile_pick(const pl_vector *v, const pl_road_fields *rf,
                                            pl_road_profiles **owned, pl_error *err)
{
    const char *given = rf && rf->profile && *rf->profile ? rf->profile : NULL;
    struct stat sb;
    int is_file = given && (strchr(given, '/') || strstr(given, ".ini")) ;
    if (is_file && stat(given, &sb) != 0) {
        pl_error_set(err, PL_EINPUT, "--road-profile %s: no such file (%s); give a profile name (nvdb, nvdb-dk, "
                     "osm) or a file in share/road_profiles.ini's format", given, strerror(errno));
        return NULL;
    }
    *owned = pl_road_profiles_load(is_file ? given : NULL, err);
    if (!*owned)
        return NULL;
    if (is_file)
        return pick_in(v, *owned);
    if (given) {
        const pl_road_profile *pr = profile_named(*owned, given);
        if (!pr) {
            char names[512];
            list_names(*owned, names, sizeof names);
            pl_error_set(err, PL_EINPUT, "--road-profile %s: no such profile; profiles are: %s (or give a FILE.ini)",
                         given, names);
            pl_road_profiles_free(*owned);
            *owned = NULL;
        }
        return pr;
    }
    return pick_in(v, *owned);
}

static uint64_t mix_str(uint64_t h, const char *s)
{
    h = (h ^ 0xff) * 0x100000001b3ULL;
    for (; s && *s; s++)
        h = (h ^ (uint64_t)(unsigned char)*s) * 0x100000001b3ULL;
    return h;
}

uint64_t pl_road_fields_hash(const pl_road_fields *rf, uint64_t h)
{
    char shipped[4096];
    const char *given = rf && rf->profile && *rf->profile ? rf->profile : NULL;
    int is_file = given && (strchr(given, '/') || strstr(given, ".ini"));
    h ^= hash_file_bytes(is_file ? given : pl_share_path(shipped, sizeof shipped, "road_profiles.ini"));
    h = mix_str(h, given);
    h = mix_str(h, rf ? rf->class_field : NULL);
    h = mix_str(h, rf ? rf->speed_field : NULL);
    h = mix_str(h, rf ? rf->oneway_field : NULL);
    return h;
}

void pl_road_profile_describe(const pl_vector *v, char *buf, size_t size)
{
    pl_road_profiles *owned = NULL;
    pl_error err = {0};
    const pl_road_profile *pr = pl_road_profile_pick(v, NULL, &owned, &err);
    if (!pr) {
        snprintf(buf, size, "(none: %s)", err.msg);
        return;
    }
    snprintf(buf, size, "%s (%s); fields used:", pr->name, pr->description);
    int any = 0;
    for (int r = 0; r < PL_RF_N; r++) {
        int i = pl_vector_field_auto(v, (const char *const *)pr->fields[r]);
        if (i < 0)
            continue;
        size_t used = strlen(buf);
        snprintf(buf + used, size - used, "%s %s %s", any ? "," : "", role_names[r],
                 OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(OGR_L_GetLayerDefn(v->layer), i)));
        any = 1;
    }
    if (!any) {
        size_t used = strlen(buf);
        snprintf(buf + used, size - used, " none (every line is 'other', 50 km/h by car)");
    }
    pl_road_profiles_free(owned);
}
