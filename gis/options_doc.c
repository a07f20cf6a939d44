/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A command's option table as documentation: Markdown, JSON and troff (man). The same
 * table parses argv and prints --help (gis/options.c), so the documents cannot drift from
 * what the command accepts. */
#include "options.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static const char *kind_name(pl_opt_kind k)
{
    switch (k) {
    case PL_OPT_STRING: return "string";
    case PL_OPT_INT: return "int";
    case PL_OPT_DOUBLE: return "double";
    case PL_OPT_FLAG: return "flag";
    case PL_OPT_DOUBLES: return "doubles";
    case PL_OPT_STRINGS: return "strings";
    }
    return "string";
}

static const char *metavar(const pl_option *o)
{
    return o->kind == PL_OPT_FLAG ? "" : (o->metavar ? o->metavar : "VALUE");
}

/* ---- JSON ---- */

static void json_str(FILE *out, const char *s)
{
    if (!s) {
        fputs("null", out);
        return;
    }
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", out);
        else if (*p == '\t')
            fputs("\\t", out);
        else if (*p < 0x20)
            fprintf(out, "\\u%04x", *p);
        else
            fputc(*p, out);
    }
    fputc('"', out);
}

/* Numbers as JSON numbers ("%.15g" of a finite double is valid JSON). */
static void json_num(FILE *out, double v) { fprintf(out, "%.15g", v); }

/* The default as a typed value: number, list of numbers, list of strings, boolean or string. */
static void json_default(FILE *out, const pl_option *o)
{
    const char *d = o->default_str;
    if (o->kind == PL_OPT_FLAG) {
        fputs("false", out);
        return;
    }
    if (!d) {
        fputs("null", out);
        return;
    }
    if (o->kind == PL_OPT_INT || o->kind == PL_OPT_DOUBLE) {
        char *end;
        double v = strtod(d, &end);
        if (end != d && !*end) {
            json_num(out, v);
            return;
        }
    }
    if (o->kind == PL_OPT_DOUBLES) {
        pl_doubles list;
        pl_error err = {0};
        if (pl_parse_doubles(d, &list, &err) == PL_OK) {
            fputc('[', out);
            for (int i = 0; i < list.n; i++) {
                fputs(i ? ", " : "", out);
                json_num(out, list.v[i]);
            }
            fputc(']', out);
            return;
        }
    }
    if (o->kind == PL_OPT_STRINGS) {
        fputc('[', out);
        for (const char *p = d; *p;) {
            const char *comma = strchr(p, ',');
            size_t len = comma ? (size_t)(comma - p) : strlen(p);
            char item[256];
            snprintf(item, sizeof item, "%.*s", (int)len, p);
            fputs(p == d ? "" : ", ", out);
            json_str(out, item);
            p += len + (comma ? 1 : 0);
        }
        fputc(']', out);
        return;
    }
    json_str(out, d);
}

static void json_bound(FILE *out, const char *key, int has, double v)
{
    fprintf(out, ", \"%s\": ", key);
    if (has)
        json_num(out, v);
    else
        fputs("null", out);
}

static void json_range(FILE *out, const pl_option *o)
{
    const pl_range *r = &o->range;
    if (!pl_option_is_numeric(o)) {
        fputs("null", out);
        return;
    }
    char text[128];
    pl_option_range_text(o, text, sizeof text);
    fputs("{\"text\": ", out);
    json_str(out, text);
    json_bound(out, "min", (r->flags & (PL_R_MIN | PL_R_MIN_EXCL)) != 0, r->min);
    fprintf(out, ", \"min_exclusive\": %s", (r->flags & PL_R_MIN_EXCL) ? "true" : "false");
    json_bound(out, "max", (r->flags & PL_R_MAX) != 0, r->max);
    if (o->kind == PL_OPT_DOUBLES) {
        fprintf(out, ", \"increasing\": %s", (r->flags & PL_R_INCREASING) ? "true" : "false");
        fprintf(out, ", \"min_count\": %d, \"max_count\": %d", r->min_n ? r->min_n : 1,
                r->max_n ? r->max_n : PL_MAX_LIST);
    }
    fputc('}', out);
}

/* A metavar that lists literal values ("car|bike|walk", "S|M|L") as a JSON array of them, for
 * a choice list; null for a placeholder ("FILE", "NAME|FILE.ini": a part with a '.' or an
 * upper-case word of two or more letters is a placeholder, as in every table). */
static void json_choices(FILE *out, const pl_option *o)
{
    const char *m = o->metavar;
    int literal = o->kind == PL_OPT_STRING && m && strchr(m, '|');
    for (const char *p = m; literal && *p;) {
        size_t len = strcspn(p, "|"), upper = 0;
        for (size_t i = 0; i < len; i++) {
            if (!isalnum((unsigned char)p[i]) && p[i] != '_' && p[i] != '-')
                literal = 0;
            upper += isupper((unsigned char)p[i]) != 0;
        }
        if (len == 0 || upper > 1)
            literal = 0;
        p += len + (p[len] == '|');
    }
    if (!literal) {
        fputs("null", out);
        return;
    }
    fputc('[', out);
    for (const char *p = m; *p;) {
        size_t len = strcspn(p, "|");
        char item[64];
        snprintf(item, sizeof item, "%.*s", (int)len, p);
        fputs(p == m ? "" : ", ", out);
        json_str(out, item);
        p += len + (p[len] == '|');
    }
    fputc(']', out);
}

static void doc_json(FILE *out, const pl_command_doc *doc)
{
    fputs("{\"name\": ", out);
    json_str(out, doc->name);
    fputs(", \"summary\": ", out);
    json_str(out, doc->brief);
    fputs(", \"usage\": ", out);
    json_str(out, doc->usage);
    fputs(", \"description\": ", out);
    json_str(out, doc->summary);
    fputs(", \"options\": [", out);
    for (const pl_option *o = doc->table; o->name; o++) {
        fputs(o == doc->table ? "\n  {\"name\": " : ",\n  {\"name\": ", out);
        json_str(out, o->name);
        char shortname[2] = {o->short_name, 0};
        fputs(", \"short\": ", out);
        json_str(out, o->short_name ? shortname : NULL);
        fprintf(out, ", \"type\": \"%s\", \"metavar\": ", kind_name(o->kind));
        json_str(out, o->kind == PL_OPT_FLAG ? NULL : metavar(o));
        fprintf(out, ", \"required\": %s, \"default\": ", o->required ? "true" : "false");
        json_default(out, o);
        fputs(", \"default_text\": ", out);
        json_str(out, o->kind == PL_OPT_FLAG ? NULL : o->default_str);
        fputs(", \"choices\": ", out);
        json_choices(out, o);
        fputs(", \"range\": ", out);
        json_range(out, o);
        fprintf(out, ", \"output_path\": %s, \"repeatable\": %s, \"description\": ",
                (o->range.flags & PL_R_OUTPUT) ? "true" : "false", o->kind == PL_OPT_STRINGS ? "true" : "false");
        json_str(out, o->help ? o->help : "");
        fputc('}', out);
    }
    fputs("\n]}", out);
}

/* ---- Markdown ---- */

/* Text for a table cell: '|' escaped, line breaks as spaces. */
static void md_cell(FILE *out, const char *s)
{
    for (; s && *s; s++) {
        if (*s == '|')
            fputs("\\|", out);
        else
            fputc(*s == '\n' ? ' ' : *s, out);
    }
}

/* Paragraphs as they are; runs of lines that start with a space (laid-out lists) in a
 * code block so that Markdown keeps their columns. */
static void md_text(FILE *out, const char *s)
{
    int in_block = 0;
    while (s && *s) {
        const char *nl = strchr(s, '\n');
        size_t len = nl ? (size_t)(nl - s) : strlen(s);
        int laid_out = len > 0 && s[0] == ' ';
        if (laid_out != in_block)
            fputs(laid_out ? "```text\n" : "```\n", out);
        in_block = laid_out;
        fprintf(out, "%.*s\n", (int)len, s);
        s += len + (nl ? 1 : 0);
    }
    if (in_block)
        fputs("```\n", out);
}

static void doc_md(FILE *out, const pl_command_doc *doc)
{
    fprintf(out, "<!-- Generated from the option table by `platsa --help-md %s` (make docs); do not edit. -->\n",
            doc->name);
    const char *b = doc->brief ? doc->brief : "";
    fprintf(out, "# platsa %s\n\n%c%s.\n\n```sh\n%s\n```\n\n", doc->name, toupper((unsigned char)b[0]),
            b[0] ? b + 1 : "", doc->usage);
    md_text(out, doc->summary);
    fputs("\n## Options\n\n| option | value | default | allowed | description |\n|---|---|---|---|---|\n", out);
    for (const pl_option *o = doc->table; o->name; o++) {
        fputs("| ", out);
        if (o->short_name)
            fprintf(out, "`-%c`, ", o->short_name);
        fprintf(out, "`--%s` | ", o->name);
        if (o->kind != PL_OPT_FLAG) {
            fputc('`', out);
            md_cell(out, metavar(o));
            fputc('`', out);
        }
        fputs(" | ", out);
        if (o->default_str && o->kind != PL_OPT_FLAG) {
            fputc('`', out);
            md_cell(out, o->default_str);
            fputc('`', out);
        }
        char range[128];
        pl_option_range_text(o, range, sizeof range);
        fputs(" | ", out);
        md_cell(out, range);
        fputs(" | ", out);
        md_cell(out, o->help);
        fputs(o->required ? " (**required**) |\n" : " |\n", out);
    }
    fputs("| `-h`, `--help` | | | | show this help |\n", out);
}

/* ---- troff (man) ---- */

/* Text safe for troff: backslashes and hyphens escaped (minus signs copy and paste as
 * typed), a leading '.' or '\'' guarded, UTF-8 as \[uXXXX] (groff reads it without preconv). */
static void man_text(FILE *out, const char *s, size_t len)
{
    if (len && (s[0] == '.' || s[0] == '\''))
        fputs("\\&", out);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        int extra = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;
        if (extra && i + (size_t)extra < len) {
            unsigned cp = c & (0x3f >> extra);
            for (int k = 1; k <= extra; k++)
                cp = (cp << 6) | ((unsigned char)s[i + (size_t)k] & 0x3f);
            fprintf(out, "\\[u%04X]", cp);
            i += (size_t)extra;
        } else if (c == '\\')
            fputs("\\e", out);
        else if (c == '-')
            fputs("\\-", out);
        else
            fputc(c, out);
    }
}

void pl_options_troff(FILE *out, const char *s)
{
    man_text(out, s, strlen(s));
}

static void man_line(FILE *out, const char *s)
{
    man_text(out, s, strlen(s));
    fputc('\n', out);
}

static void man_paragraphs(FILE *out, const char *s)
{
    int in_block = 0;
    while (s && *s) {
        const char *nl = strchr(s, '\n');
        size_t len = nl ? (size_t)(nl - s) : strlen(s);
        int laid_out = len > 0 && s[0] == ' ';
        if (laid_out != in_block)
            fputs(laid_out ? ".PP\n.nf\n" : ".fi\n", out);
        in_block = laid_out;
        if (len == 0 && !in_block)
            fputs(".PP\n", out);
        else {
            man_text(out, s, len);
            fputc('\n', out);
        }
        s += len + (nl ? 1 : 0);
    }
    if (in_block)
        fputs(".fi\n", out);
}

static void man_upper(FILE *out, const char *s)
{
    for (; *s; s++)
        fputc(*s >= 'a' && *s <= 'z' ? *s - 'a' + 'A' : *s, out);
}

static void doc_man(FILE *out, const pl_command_doc *doc)
{
    /* No date: the same table gives the same page, byte for byte. */
    fputs(".TH PLATSA\\-", out);
    man_upper(out, doc->name);
    fputs(" 1 \"\" \"platsa " PLATSA_VERSION "\" \"platsa manual\"\n.SH NAME\nplatsa\\-", out);
    man_text(out, doc->name, strlen(doc->name));
    fputs(" \\- ", out);
    man_line(out, doc->brief);
    fputs(".SH SYNOPSIS\n.nf\n", out);
    man_line(out, doc->usage);
    fputs(".fi\n.SH DESCRIPTION\n", out);
    man_paragraphs(out, doc->summary);
    fputs(".SH OPTIONS\n", out);
    for (const pl_option *o = doc->table; o->name; o++) {
        fputs(".TP\n", out);
        if (o->short_name)
            fprintf(out, "\\fB\\-%c\\fR, ", o->short_name);
        fputs("\\fB\\-\\-", out);
        man_text(out, o->name, strlen(o->name));
        fputs("\\fR", out);
        if (o->kind != PL_OPT_FLAG) {
            fputs(" \\fI", out);
            man_text(out, metavar(o), strlen(metavar(o)));
            fputs("\\fR", out);
        }
        fputc('\n', out);
        man_text(out, o->help ? o->help : "", o->help ? strlen(o->help) : 0);
        char range[128];
        pl_option_range_text(o, range, sizeof range);
        if (range[0]) {
            fputs(" Allowed: ", out);
            man_text(out, range, strlen(range));
            fputc('.', out);
        }
        if (o->required)
            fputs(" Required.", out);
        if (o->default_str && o->kind != PL_OPT_FLAG) {
            fputs(" Default: ", out);
            man_text(out, o->default_str, strlen(o->default_str));
            fputc('.', out);
        }
        fputc('\n', out);
    }
    fputs(".TP\n\\fB\\-h\\fR, \\fB\\-\\-help\\fR\nshow this help\n"
          ".SH EXIT STATUS\n0 success, 1 bad input or usage, 2 internal failure.\n"
          ".SH SEE ALSO\n.BR platsa (1)\n", out);
}

void pl_options_doc(FILE *out, pl_help_format format, const pl_command_doc *doc)
{
    switch (format) {
    case PL_HELP_MD:
        doc_md(out, doc);
        return;
    case PL_HELP_JSON:
        doc_json(out, doc);
        return;
    case PL_HELP_MAN:
        doc_man(out, doc);
        return;
    case PL_HELP_TEXT:
        break;
    }
    pl_options_help_text(out, doc->usage, doc->summary, doc->table);
}
