/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Walking access to everyday services in Södermalm, Stockholm, with the platsa library: the
 * same analysis as `platsa access` in `make demo`. Usage: access_example SAMPLE_DIR OUT.gpkg
 * Build: cc access_example.c $(pkg-config --cflags --libs platsa) */
#include <stdio.h>
#include <platsa.h>

int main(int argc, char **argv)
{
    char pop[512], svc[512], roads[512], munis[512];
    const char *dir = argc > 1 ? argv[1] : "sample-data/sodermalm", *out = argc > 2 ? argv[2] : "access.gpkg";
    snprintf(pop, sizeof pop, "%s/population.gpkg:population", dir);
    snprintf(svc, sizeof svc, "%s/layers.gpkg:services", dir);
    snprintf(roads, sizeof roads, "%s/layers.gpkg:roads", dir);
    snprintf(munis, sizeof munis, "%s/kommuner.gpkg", dir);
    pl_init();
    pl_ctx *ctx = pl_ctx_new();
    ctx->quiet = 1;
    pl_access_opts o;
    pl_error err = {0};
    pl_access_opts_init(&o);
    o.population = pop, o.services = svc, o.roads = roads, o.municipalities = munis;
    o.output = out, o.overwrite = 1, o.csv = 1, o.mode = "walk", o.within_km = 0.5;
    int rc = pl_parse_doubles("0.25,0.5,1,2", &o.bands_km, &err);
    if (rc == PL_OK)
        rc = pl_parse_doubles("3,5,10,20", &o.bands_min, &err);
    if (rc == PL_OK)
        rc = pl_access_run(ctx, &o, "access_example", &err);
    if (rc != PL_OK)
        fprintf(stderr, "access_example: %s\n", err.msg);
    pl_access_opts_free(&o);
    pl_ctx_free(ctx);
    return rc;
}
