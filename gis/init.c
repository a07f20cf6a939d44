/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "gis/init.h"

#include <gdal.h>

#include "gis/gpkg_writer.h"

void pl_init(void)
{
    pl_gpkg_process_init();  /* before GDAL's first SQLite use, or it does nothing */
    GDALAllRegister();
}
