/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "analyses/common/run.h"

#include "gis/commit.h"
#include "gis/gpkg_writer.h"

void pl_run_unwind(void)
{
    pl_gpkg_abandon_all();
    pl_commit_abandon_all();
}
