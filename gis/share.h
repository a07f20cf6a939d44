/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Where shipped data lives (QML styles, osmconf.ini, service_types.ini). */
#ifndef PLATSA_GIS_SHARE_H
#define PLATSA_GIS_SHARE_H

/* $PLATSA_SHARE, else the first of ../share/platsa, ../../share/platsa and ../share beside
 * the library (or the program linking it statically) that holds service_types.ini, else the
 * source tree's share/ (compile-time path). Static string. */
const char *pl_share_dir(void);

/* pl_share_dir()/relative into buf; returns buf. */
char *pl_share_path(char *buf, unsigned long size, const char *relative);

#endif
