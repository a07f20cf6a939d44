/* SPDX-License-Identifier: GPL-3.0-or-later */
/* OSM tag parsing: small pure functions on tag text, kept apart from the reader so they can be
 * unit-tested and fuzzed. None of them allocates; all accept NULL for an absent tag. */
#include "osm.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define KMH_PER_MPH 1.609344
#define KMH_PER_KNOT 1.852
#define WALK_KMH 7.0   /* gångfart: walking pace, as Swedish living streets (gångfartsområden) */

static const char *skip_space(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

static int is_blank(const char *s)
{
    return *skip_space(s) == '\0';
}

/* Case-insensitive equality of s[0..len) with word. */
static int word_eq(const char *s, size_t len, const char *word)
{
    return strlen(word) == len && strncasecmp(s, word, len) == 0;
}

/* Strict decimal number at the start of s ("50", "50.5"; no sign, exponent, hex or inf).
 * Returns the number of characters used, 0 if none. */
static size_t parse_decimal(const char *s, double *out)
{
    size_t i = 0, digits = 0;
    while (isdigit((unsigned char)s[i])) {
        i++;
        digits++;
    }
    if (s[i] == '.' && isdigit((unsigned char)s[i + 1])) {
        i++;
        while (isdigit((unsigned char)s[i]))
            i++;
    }
    if (digits == 0 || i > 32)
        return 0;
    char buf[40];
    memcpy(buf, s, i);
    buf[i] = '\0';
    errno = 0;
    double v = strtod(buf, NULL);
    if (errno || !isfinite(v))
        return 0;
    *out = v;
    return i;
}

/* Implicit maxspeed zones ("SE:urban"). kmh < 0: understood, no limit (PL_OSM_SPEED_NONE). */
typedef struct zone_speed {
    const char *country;
    const char *kind;
    double kmh;
} zone_speed;

static const zone_speed zone_speeds[] = {
    {"SE", "urban", 50}, {"SE", "rural", 70}, {"SE", "motorway", 110}, {"SE", "motorroad", 90},
    {"SE", "living_street", WALK_KMH},
    {"NO", "urban", 50}, {"NO", "rural", 80}, {"NO", "motorway", 90}, {"NO", "living_street", WALK_KMH},
    {"DK", "urban", 50}, {"DK", "rural", 80}, {"DK", "motorway", 130}, {"DK", "living_street", 15},
    {"FI", "urban", 50}, {"FI", "rural", 80}, {"FI", "motorway", 120}, {"FI", "living_street", 20},
    {"DE", "urban", 50}, {"DE", "rural", 100}, {"DE", "motorway", -1}, {"DE", "living_street", WALK_KMH},
    {"DE", "bicycle_road", 30},
    {"FR", "urban", 50}, {"FR", "rural", 80}, {"FR", "motorway", 130}, {"FR", "living_street", 20},
    {"GB", "nsl_single", 60 * KMH_PER_MPH}, {"GB", "nsl_dual", 70 * KMH_PER_MPH},
    {"GB", "motorway", 70 * KMH_PER_MPH},
};

/* One value without ';'. */
static int parse_one_speed(const char *s, size_t len, double *kmh)
{
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    while (len && (*s == ' ' || *s == '\t')) {
        s++;
        len--;
    }
    if (len == 0 || len > 64)
        return PL_OSM_SPEED_BAD;
    char v[72];
    memcpy(v, s, len);
    v[len] = '\0';

    if (!strcasecmp(v, "none") || !strcasecmp(v, "signals") || !strcasecmp(v, "variable"))
        return PL_OSM_SPEED_NONE;
    if (!strcasecmp(v, "walk"))
        return *kmh = WALK_KMH, PL_OSM_SPEED_OK;

    if (isdigit((unsigned char)v[0])) {
        double n;
        size_t used = parse_decimal(v, &n);
        if (!used)
            return PL_OSM_SPEED_BAD;
        const char *unit = skip_space(v + used);
        double factor;
        if (*unit == '\0' || !strcasecmp(unit, "km/h") || !strcasecmp(unit, "kmh") || !strcasecmp(unit, "kph"))
            factor = 1.0;
        else if (!strcasecmp(unit, "mph"))
            factor = KMH_PER_MPH;
        else if (!strcasecmp(unit, "knots") || !strcasecmp(unit, "kn"))
            factor = KMH_PER_KNOT;
        else
            return PL_OSM_SPEED_BAD;
        double r = n * factor;
        if (!(r > 0.0 && r <= 300.0))
            return PL_OSM_SPEED_BAD;
        *kmh = r;
        return PL_OSM_SPEED_OK;
    }

    /* "XX:kind" zone codes. */
    const char *colon = strchr(v, ':');
    if (!colon || colon - v != 2 || !isalpha((unsigned char)v[0]) || !isalpha((unsigned char)v[1]))
        return PL_OSM_SPEED_BAD;
    const char *kind = colon + 1;
    for (size_t i = 0; i < sizeof zone_speeds / sizeof zone_speeds[0]; i++) {
        if (strncasecmp(v, zone_speeds[i].country, 2) == 0 && !strcasecmp(kind, zone_speeds[i].kind)) {
            if (zone_speeds[i].kmh < 0)
                return PL_OSM_SPEED_NONE;
            *kmh = zone_speeds[i].kmh;
            return PL_OSM_SPEED_OK;
        }
    }
    /* Any country: urban areas 50, walking-pace zones, "zone30" / "zone:30". */
    if (!strcasecmp(kind, "urban"))
        return *kmh = 50.0, PL_OSM_SPEED_OK;
    if (!strcasecmp(kind, "walk") || !strcasecmp(kind, "living_street"))
        return *kmh = WALK_KMH, PL_OSM_SPEED_OK;
    if (!strncasecmp(kind, "zone", 4)) {
        const char *num = kind + 4;
        if (*num == ':')
            num++;
        double n;
        size_t used = parse_decimal(num, &n);
        if (used && num[used] == '\0' && n > 0 && n <= 300)
            return *kmh = n, PL_OSM_SPEED_OK;
    }
    return PL_OSM_SPEED_BAD;
}

int pl_osm_parse_maxspeed(const char *text, double *kmh)
{
    if (!text || is_blank(text))
        return PL_OSM_SPEED_NONE;
    size_t total = strnlen(text, 1025);
    if (total > 1024)
        return PL_OSM_SPEED_BAD;
    double best = INFINITY;
    int any_none = 0;
    const char *p = text;
    for (;;) {
        const char *semi = memchr(p, ';', total - (size_t)(p - text));
        size_t len = semi ? (size_t)(semi - p) : total - (size_t)(p - text);
        double v = 0;
        int rc = parse_one_speed(p, len, &v);
        if (rc == PL_OSM_SPEED_BAD)
            return PL_OSM_SPEED_BAD;
        if (rc == PL_OSM_SPEED_NONE)
            any_none = 1;
        else if (v < best)
            best = v;
        if (!semi)
            break;
        p = semi + 1;
    }
    if (isfinite(best)) {
        *kmh = best;
        return PL_OSM_SPEED_OK;
    }
    return any_none ? PL_OSM_SPEED_NONE : PL_OSM_SPEED_BAD;
}

int pl_osm_parse_oneway(const char *oneway, const char *highway, const char *junction, int *dir)
{
    *dir = 0;
    if (oneway && !is_blank(oneway)) {
        const char *v = skip_space(oneway);
        size_t len = strlen(v);
        while (len && (v[len - 1] == ' ' || v[len - 1] == '\t'))
            len--;
        if (word_eq(v, len, "yes") || word_eq(v, len, "true") || word_eq(v, len, "1"))
            *dir = 1;
        else if (word_eq(v, len, "-1") || word_eq(v, len, "reverse"))
            *dir = -1;
        else if (word_eq(v, len, "no") || word_eq(v, len, "false") || word_eq(v, len, "0") ||
                 word_eq(v, len, "reversible") || word_eq(v, len, "alternating"))
            *dir = 0;
        else
            return -1;
        return 0;
    }
    if ((highway && !strcmp(highway, "motorway")) ||
        (junction && (!strcmp(junction, "roundabout") || !strcmp(junction, "circular"))))
        *dir = 1;
    return 0;
}

int pl_osm_is_yes(const char *v)
{
    return v && (!strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcmp(v, "1"));
}

/* 1 allowed, 0 denied, -1 no opinion (absent or unknown value: the next level decides). */
static int access_value(const char *v)
{
    if (!v || is_blank(v))
        return -1;
    static const char *const allow[] = {"yes", "designated", "permissive", "destination", "private",
                                        "customers", "delivery", "permit", "official", "dismount",
                                        "residents", "discouraged", NULL};
    static const char *const deny[] = {"no", "agricultural", "forestry", "use_sidepath", "emergency",
                                       "military", "agricultural;forestry", NULL};
    for (int i = 0; allow[i]; i++)
        if (!strcasecmp(v, allow[i]))
            return 1;
    for (int i = 0; deny[i]; i++)
        if (!strcasecmp(v, deny[i]))
            return 0;
    return -1;
}

typedef struct class_default {
    const char *highway;
    int car, bike, foot;
} class_default;

static const class_default class_defaults[] = {
    {"motorway", 1, 0, 0},     {"motorway_link", 1, 0, 0}, {"trunk", 1, 1, 1},       {"trunk_link", 1, 1, 1},
    {"primary", 1, 1, 1},      {"primary_link", 1, 1, 1},  {"secondary", 1, 1, 1},   {"secondary_link", 1, 1, 1},
    {"tertiary", 1, 1, 1},     {"tertiary_link", 1, 1, 1}, {"unclassified", 1, 1, 1}, {"residential", 1, 1, 1},
    {"living_street", 1, 1, 1}, {"service", 1, 1, 1},      {"track", 1, 1, 1},       {"road", 1, 1, 1},
    {"pedestrian", 0, 1, 1},   {"footway", 0, 0, 1},       {"cycleway", 0, 1, 1},    {"path", 0, 1, 1},
    {"bridleway", 0, 0, 1},    {"steps", 0, 0, 1},         {"corridor", 0, 0, 1},    {"ferry", 1, 1, 1},
};

static const class_default *find_class(const char *highway)
{
    if (!highway)
        return NULL;
    for (size_t i = 0; i < sizeof class_defaults / sizeof class_defaults[0]; i++)
        if (!strcmp(highway, class_defaults[i].highway))
            return &class_defaults[i];
    return NULL;
}

void pl_osm_access(const pl_osm_access_tags *t, int *car, int *bike, int *foot)
{
    const class_default *d = find_class(t->highway);
    int dc = d ? d->car : 0, db = d ? d->bike : 0, df = d ? d->foot : 0;
    if (pl_osm_is_yes(t->motorroad)) {
        db = 0;
        df = 0;
    }
    int general = access_value(t->access);
    int vehicle = access_value(t->vehicle);
    int v;
    v = access_value(t->motorcar);
    if (v < 0)
        v = access_value(t->motor_vehicle);
    if (v < 0)
        v = vehicle;
    if (v < 0)
        v = general;
    *car = v < 0 ? dc : v;
    v = access_value(t->bicycle);
    if (v < 0)
        v = vehicle;
    if (v < 0)
        v = general;
    *bike = v < 0 ? db : v;
    v = access_value(t->foot);
    if (v < 0)
        v = general;
    *foot = v < 0 ? df : v;
}

int pl_osm_road_included(const char *highway)
{
    return find_class(highway) != NULL && strcmp(highway, "ferry") != 0;
}

const char *pl_osm_road_class(const char *highway)
{
    static const char *const same[] = {"motorway", "trunk", "primary", "secondary", "tertiary",
                                       "unclassified", "residential", "living_street", "service",
                                       "track", "pedestrian", "footway", "cycleway", "path", "steps",
                                       "ferry", NULL};
    if (!highway)
        return "other";
    for (int i = 0; same[i]; i++) {
        size_t n = strlen(same[i]);
        if (!strncmp(highway, same[i], n) && (highway[n] == '\0' || !strcmp(highway + n, "_link")))
            return same[i];
    }
    if (!strcmp(highway, "road"))
        return "unclassified";
    if (!strcmp(highway, "bridleway"))
        return "path";
    if (!strcmp(highway, "corridor"))
        return "footway";
    return "other";
}

int pl_osm_parse_length_m(const char *text, double *m)
{
    if (!text)
        return -1;
    const char *s = skip_space(text);
    double n;
    size_t used = parse_decimal(s, &n);
    if (!used)
        return -1;
    const char *u = skip_space(s + used);
    double r;
    if (*u == '\0' || !strcmp(u, "m"))
        r = n;
    else if (!strcmp(u, "ft"))
        r = n * 0.3048;
    else if (*u == '\'') {
        r = n * 0.3048;
        u = skip_space(u + 1);
        if (*u) {
            double inches;
            size_t k = parse_decimal(u, &inches);
            if (!k || strcmp(skip_space(u + k), "\""))
                return -1;
            r += inches * 0.0254;
        }
    } else
        return -1;
    if (!isfinite(r) || r < 0 || r > 10000)
        return -1;
    *m = r;
    return 0;
}

int pl_osm_parse_levels(const char *text, double *levels)
{
    if (!text || is_blank(text))
        return -1;
    double best = -1;
    const char *p = text;
    for (;;) {
        p = skip_space(p);
        double n;
        size_t used = parse_decimal(p, &n);
        if (!used)
            return -1;
        p = skip_space(p + used);
        if (n > best)
            best = n;
        if (*p == ';') {
            p++;
            continue;
        }
        if (*p)
            return -1;
        break;
    }
    if (best <= 0 || best > 200)
        return -1;
    *levels = best;
    return 0;
}

int pl_osm_parse_layer(const char *text)
{
    if (!text)
        return 0;
    const char *s = skip_space(text);
    int neg = 0;
    if (*s == '-' || *s == '+') {
        neg = *s == '-';
        s++;
    }
    if (!isdigit((unsigned char)s[0]))
        return 0;
    int v = 0;
    while (isdigit((unsigned char)*s) && v < 100)
        v = v * 10 + (*s++ - '0');
    if (*skip_space(s))
        return 0;
    if (v > 5)
        v = 5;
    return neg ? -v : v;
}

double pl_osm_crown_radius(const char *diameter_crown, const char *height, double default_m,
                           const char **from)
{
    double v;
    if (pl_osm_parse_length_m(diameter_crown, &v) == 0 && v > 0 && v <= 60) {
        *from = "diameter_crown";
        return v / 2.0;
    }
    if (pl_osm_parse_length_m(height, &v) == 0 && v > 0 && v <= 120) {
        double r = 0.3 * v;
        if (r < 1.0)
            r = 1.0;
        if (r > 10.0)
            r = 10.0;
        *from = "height";
        return r;
    }
    *from = "default";
    return default_m;
}

/* ---------- service types ---------- */

typedef struct service_rule {
    const char *key, *value;   /* value NULL: any value except "no" */
    const char *type;
} service_rule;

static const service_rule service_rules[] = {
    {"shop", "supermarket", "grocery_full"},
    {"shop", "grocery", "grocery_full"},
    {"shop", "hypermarket", "grocery_full"},
    {"shop", "convenience", "grocery_partial"},
    {"shop", "general", "grocery_partial"},
    {"amenity", "fuel", "fuel"},
    {"amenity", "pharmacy", "pharmacy"},
    {"healthcare", "pharmacy", "pharmacy"},
    {"amenity", "post_office", "parcel_post"},
    {"post_office", "post_partner", "parcel_post"},
    {"post_partner", NULL, "parcel_post"},
    {"amenity", "parcel_locker", "parcel_locker"},
    {"amenity", "atm", "cash"},
    {"amenity", "bank", "cash"},
    {"amenity", "charging_station", "ev_charging"},
    {"fuel:biogas", "yes", "biogas"},
    {"fuel:cng", "yes", "biogas"},
    {"fuel:lbg", "yes", "biogas"},
    {"fuel:h2", "yes", "hydrogen"},
    {"fuel:hydrogen", "yes", "hydrogen"},
    {"fuel:h35", "yes", "hydrogen"},
    {"fuel:h70", "yes", "hydrogen"},
    {"fuel:lh2", "yes", "hydrogen"},
};

static int add_match(const char **types, char raw[][64], int n, int max, const char *type, const char *key,
                     const char *value)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(types[i], type))
            return n;
    if (n >= max)
        return n;
    types[n] = type;
    snprintf(raw[n], 64, "%s=%s", key, value);
    return n + 1;
}

/* Registry selectors: ';' or ','-separated "key=value" / "key=*". */
static int registry_types(const pl_service_types *reg, pl_osm_tag_getter get, void *user, const char **types,
                          char raw[][64], int max)
{
    int n = 0;
    for (int i = 0; i < reg->n; i++) {
        const pl_service_type *t = &reg->t[i];
        if (t->n_includes > 0 || !t->osm)
            continue;
        const char *p = t->osm;
        while (*p) {
            size_t len = strcspn(p, ";,");
            char sel[160];
            snprintf(sel, sizeof sel, "%.*s", (int)(len < sizeof sel - 1 ? len : sizeof sel - 1), p);
            p += len + (p[len] ? 1 : 0);
            char *key = sel;
            while (*key == ' ')
                key++;
            char *eq = strchr(key, '=');
            const char *want = "*";
            if (eq) {
                *eq = '\0';
                want = eq + 1;
            }
            for (char *e = key + strlen(key); e > key && e[-1] == ' '; e--)
                e[-1] = '\0';
            while (*want == ' ')
                want++;
            if (!*key)
                continue;
            const char *v = get(key, user);
            if (!v || !*v)
                continue;
            if (strcmp(want, "*") == 0 ? strcasecmp(v, "no") == 0 : strcasecmp(v, want) != 0)
                continue;
            n = add_match(types, raw, n, max, t->key, key, v);
        }
    }
    return n;
}

int pl_osm_service_types(const pl_service_types *reg, pl_osm_tag_getter get, void *user, const char **types,
                         char raw[][64], int max)
{
    if (reg)
        return registry_types(reg, get, user, types, raw, max);
    int n = 0;
    for (size_t i = 0; i < sizeof service_rules / sizeof service_rules[0]; i++) {
        const service_rule *r = &service_rules[i];
        const char *v = get(r->key, user);
        if (!v || !*v)
            continue;
        if (r->value ? strcmp(v, r->value) != 0 : !strcmp(v, "no"))
            continue;
        n = add_match(types, raw, n, max, r->type, r->key, v);
    }
    /* Older parcel-locker tagging: a vending machine for parcel pick-up. */
    const char *amenity = get("amenity", user);
    const char *vending = get("vending", user);
    if (amenity && !strcmp(amenity, "vending_machine") && vending && strstr(vending, "parcel_pickup"))
        n = add_match(types, raw, n, max, "parcel_locker", "vending", vending);
    return n;
}
