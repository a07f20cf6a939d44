/* SPDX-License-Identifier: GPL-3.0-or-later */
/* String builder: see strbuf.h. */
#include "strbuf.h"
#include "ctx.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void pl_sb_add(pl_strbuf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n + 1)
            cap *= 2;
        b->s = pl_realloc(b->s, cap);
        b->cap = cap;
    }
    memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = '\0';
}

void pl_sb_puts(pl_strbuf *b, const char *s)
{
    pl_sb_add(b, s, strlen(s));
}

void pl_sb_printf(pl_strbuf *b, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof tmp) {
        pl_sb_add(b, tmp, (size_t)n);
        return;
    }
    char *big = pl_malloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    pl_sb_add(b, big, (size_t)n);
    free(big);
}

/* XML and HTML differ only in how the apostrophe is written. */
static void sb_markup(pl_strbuf *b, const char *s, const char *apos)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': pl_sb_puts(b, "&amp;"); break;
        case '<': pl_sb_puts(b, "&lt;"); break;
        case '>': pl_sb_puts(b, "&gt;"); break;
        case '"': pl_sb_puts(b, "&quot;"); break;
        case '\'': pl_sb_puts(b, apos); break;
        default: pl_sb_add(b, s, 1);
        }
    }
}

void pl_sb_xml(pl_strbuf *b, const char *s)
{
    sb_markup(b, s, "&apos;");
}

void pl_sb_html(pl_strbuf *b, const char *s)
{
    sb_markup(b, s, "&#39;");
}

void pl_sb_json(pl_strbuf *b, const char *s)
{
    if (!s) {
        pl_sb_puts(b, "null");
        return;
    }
    pl_sb_puts(b, "\"");
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"')
            pl_sb_puts(b, "\\\"");
        else if (c == '\\')
            pl_sb_puts(b, "\\\\");
        else if (c == '\n')
            pl_sb_puts(b, "\\n");
        else if (c == '\t')
            pl_sb_puts(b, "\\t");
        else if (c == '\r')
            pl_sb_puts(b, "\\r");
        else if (c < 0x20)
            pl_sb_printf(b, "\\u%04x", c);
        else
            pl_sb_add(b, s, 1);
    }
    pl_sb_puts(b, "\"");
}
