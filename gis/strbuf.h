/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Growable NUL-terminated string builder with HTML/XML/JSON escaping, shared by the
 * GeoPackage writer (QML styles, metadata JSON) and the map report (HTML). */
#ifndef PLATSA_GIS_STRBUF_H
#define PLATSA_GIS_STRBUF_H

#include <stddef.h>

/* Zero-initialise ({0}); s is NULL until something is added, otherwise always
 * NUL-terminated. The caller frees s. */
typedef struct pl_strbuf {
    char *s;
    size_t n, cap;
} pl_strbuf;

void pl_sb_add(pl_strbuf *b, const char *s, size_t n);
void pl_sb_puts(pl_strbuf *b, const char *s);
void pl_sb_printf(pl_strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Text/attribute escaping of & < > " and ': pl_sb_xml writes ' as &apos;, pl_sb_html as
 * &#39; (HTML 4 has no &apos;). NULL adds nothing. */
void pl_sb_xml(pl_strbuf *b, const char *s);
void pl_sb_html(pl_strbuf *b, const char *s);

/* JSON string literal (quoted); NULL becomes null. UTF-8 passes through. */
void pl_sb_json(pl_strbuf *b, const char *s);

#endif
