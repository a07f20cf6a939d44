/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "legend.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define NBSP "\xc2\xa0"

/* Five anchors per ramp; classes take evenly spaced colours along them. */
static const pl_rgb RAMPS[][5] = {
    [PL_RAMP_NEAR_FAR] = {{26, 150, 65}, {166, 217, 106}, {255, 255, 191}, {253, 174, 97}, {215, 25, 28}},
    [PL_RAMP_GREEN] = {{237, 248, 233}, {186, 228, 179}, {116, 196, 118}, {49, 163, 84}, {0, 109, 44}},
    [PL_RAMP_ALERT] = {{254, 217, 118}, {254, 178, 76}, {253, 141, 60}, {240, 59, 32}, {189, 0, 38}},
};
static const pl_rgb PASS_GREEN = {26, 150, 65};
static const pl_rgb FAIL_RED = {215, 25, 28};

static pl_rgb ramp_at(pl_ramp ramp, double t)
{
    const pl_rgb *a = RAMPS[ramp];
    if (t <= 0)
        return a[0];
    if (t >= 1)
        return a[4];
    double x = t * 4;
    int i = (int)x;
    double f = x - i;
    pl_rgb c;
    c.r = (unsigned char)lround(a[i].r + f * (a[i + 1].r - a[i].r));
    c.g = (unsigned char)lround(a[i].g + f * (a[i + 1].g - a[i].g));
    c.b = (unsigned char)lround(a[i].b + f * (a[i + 1].b - a[i].b));
    return c;
}

void pl_legend_number(char *buf, size_t size, double v)
{
    char raw[64];
    snprintf(raw, sizeof raw, "%.10g", v);
    if (strchr(raw, 'e')) {  /* not a legend's number; kept readable */
        snprintf(buf, size, "%s", raw);
        return;
    }
    const char *p = raw;
    char out[96];
    size_t n = 0;
    if (*p == '-')
        out[n++] = *p++;
    size_t int_len = strspn(p, "0123456789");
    for (size_t i = 0; i < int_len; i++) {
        if (i > 0 && (int_len - i) % 3 == 0 && int_len >= 4) {
            memcpy(out + n, NBSP, 2);
            n += 2;
        }
        out[n++] = p[i];
    }
    for (p += int_len; *p && n + 1 < sizeof out; p++)
        out[n++] = *p == '.' || *p == ',' ? ',' : *p;
    out[n] = '\0';
    snprintf(buf, size, "%s", out);
}

/* buf = text + " " + unit (no unit: text), cut to size. */
static void with_unit(char *buf, size_t size, const char *text, const char *unit)
{
    size_t n = 0;
    const char *parts[] = {text, unit && *unit ? " " : "", unit ? unit : ""};
    for (int i = 0; i < 3; i++)
        for (const char *p = parts[i]; *p && n + 1 < size; p++)
            buf[n++] = *p;
    buf[n] = '\0';
}

const pl_style *pl_legend_bands(pl_legend *lg, const char *field, const double *breaks, int n_breaks,
                                const char *unit, pl_ramp ramp, unsigned flags, const char *null_label,
                                const char *name)
{
    int k = n_breaks < PL_LEGEND_MAX - 1 ? n_breaks : PL_LEGEND_MAX - 1;
    static const double zero = 0;
    if (k < 1) {  /* no limits: one open class from 0 */
        breaks = &zero;
        k = 1;
    }
    double scale = flags & PL_LEGEND_PERCENT ? 100.0 : 1.0;
    if (flags & PL_LEGEND_PERCENT)
        unit = "%";
    double lower0 = flags & PL_LEGEND_OPEN_BELOW ? -PL_STYLE_OPEN : breaks[0] < 0 ? breaks[0] : 0.0;
    double open_upper = breaks[k - 1] * 10.0 > PL_STYLE_OPEN ? breaks[k - 1] * 10.0 : PL_STYLE_OPEN;
    for (int i = 0; i <= k; i++) {
        pl_style_class *c = &lg->cls[i];
        c->lower = i == 0 ? lower0 : breaks[i - 1];
        c->upper = i < k ? breaks[i] : open_upper;
        c->value = 0;
        c->color = ramp_at(ramp, (double)i / k);
        char a[48], b[48], text[PL_LEGEND_LABEL + 64];
        pl_legend_number(a, sizeof a, c->lower * scale);
        pl_legend_number(b, sizeof b, c->upper * scale);
        if (i == k)
            snprintf(text, sizeof text, "mer än %s", a);
        else if (i == 0 && c->lower == c->upper)
            snprintf(text, sizeof text, "%s", b);
        else if (i == 0)
            snprintf(text, sizeof text, "högst %s", b);
        else
            snprintf(text, sizeof text, "%s–%s", a, b);
        with_unit(lg->label[i], sizeof lg->label[i], text, unit);
        c->label = lg->label[i];
    }
    lg->style = (pl_style){.kind = PL_STYLE_GRADUATED, .field = field, .classes = lg->cls, .n_classes = k + 1,
                           .null_label = null_label, .name = name};
    return &lg->style;
}

const pl_style *pl_legend_pass_fail(pl_legend *lg, const char *field, const char *pass, const char *fail,
                                    const char *null_label, const char *name)
{
    snprintf(lg->label[0], sizeof lg->label[0], "%s", pass);
    snprintf(lg->label[1], sizeof lg->label[1], "%s", fail);
    lg->cls[0] = (pl_style_class){.value = 1, .label = lg->label[0], .color = PASS_GREEN};
    lg->cls[1] = (pl_style_class){.value = 0, .label = lg->label[1], .color = FAIL_RED};
    lg->style = (pl_style){.kind = PL_STYLE_CATEGORIZED, .field = field, .classes = lg->cls, .n_classes = 2,
                           .null_label = null_label, .name = name};
    return &lg->style;
}
