/* Where shipped data lives (QML styles, osmconf.ini, service_types.ini). */
#ifndef PLATSA_GIS_SHARE_H
#define PLATSA_GIS_SHARE_H

/* $PLATSA_SHARE, else ../share next to the running binary's folder, else the
 * source tree's share/ (compile-time path). Static string. */
const char *pl_share_dir(void);

/* pl_share_dir()/relative into buf; returns buf. */
char *pl_share_path(char *buf, unsigned long size, const char *relative);

#endif
