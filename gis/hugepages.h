/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Large pages for malloc'ed memory. A national road graph, its loaded lines and the search
 * labels are hundreds of megabytes touched once each: with 4 KiB pages every first touch
 * is a page fault, and on virtual machines a fault costs microseconds (measured here: the
 * end-to-end routing run on 2 M nodes takes 10 s with 4 KiB pages, 7-8 s with 2 MiB ones).
 * glibc gives malloc'ed memory transparent huge pages when the tunable
 * glibc.malloc.hugetlb=1 is set, but reads tunables only when a program starts. The
 * platsa command sets it in its launcher (cli/launcher/platsa.c) before it starts the engine;
 * pl_malloc also asks for huge pages on big blocks itself. */
#ifndef PLATSA_GIS_HUGEPAGES_H
#define PLATSA_GIS_HUGEPAGES_H

/* Called first in main() of programs started directly (the engine run by hand, the
 * benchmarks): when the tunable is not set yet, sets it in GLIBC_TUNABLES
 * (keeping what is there) and runs this program again with the same arguments. Returns
 * (doing nothing) when it is set already, when PLATSA_HUGEPAGES=0, under valgrind, or when
 * the new start fails. */
void pl_hugepages_reexec(char **argv);

#endif
