#include "units.h"

long pl_assign_municipalities(pl_ctx *ctx, const pl_population *pop, const pl_municipalities *munis,
                              long *muni_of_unit)
{
    long outside_count = 0;
    for (size_t i = 0; i < pop->n; i++) {
        long m = -1;
        if (pop->muni_code && pop->muni_code[i] && pop->muni_code[i][0])
            m = pl_municipalities_find(munis, pop->muni_code[i]);
        if (m < 0) {
            int outside = 0;
            m = pl_municipalities_locate(ctx, munis, pop->x[i], pop->y[i], &outside);
            if (outside) {
                outside_count++;
                pl_warn(ctx, "cell-outside-municipality",
                        "%s: unit %s lies outside every municipality polygon; assigned to the nearest (%s)",
                        pop->source ? pop->source : "population", pop->id[i], m >= 0 ? munis->code[m] : "?");
            }
        }
        muni_of_unit[i] = m;
    }
    return outside_count;
}
