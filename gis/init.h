/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Process-wide set-up of the platsa library. */
#ifndef PLATSA_GIS_INIT_H
#define PLATSA_GIS_INIT_H

/* Call once, first, before any other platsa call (and before the program opens any file with
 * GDAL or SQLite itself): SQLite's process settings for fast writes (pl_gpkg_process_init),
 * then every GDAL driver (GDALAllRegister). Calling it again does no harm. */
void pl_init(void);

#endif
