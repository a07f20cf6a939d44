/* Large pages for malloc'ed memory. A national road graph, its loaded lines and the search
 * labels are hundreds of megabytes touched once each: with 4 KiB pages every first touch
 * is a page fault, and on virtual machines a fault costs microseconds (measured here: the
 * end-to-end routing run on 2 M nodes takes 10 s with 4 KiB pages, 7-8 s with 2 MiB ones).
 * glibc gives malloc'ed memory transparent huge pages when the tunable
 * glibc.malloc.hugetlb=1 is set, but reads tunables only when a program starts.
 *
 * The same start also keeps freed memory for reuse: glibc.malloc.mmap_max=0 takes large
 * blocks from the heap instead of a fresh mapping each (every fresh page is faulted and
 * zeroed again: the graph build frees and allocates ~1 GB of temporaries), and a high
 * glibc.malloc.trim_threshold keeps freed heap memory instead of returning it. Measured on
 * the synthetic Sweden roads (3.7 M lines): reading 4.5 -> 3.7 s, graph 6.9 -> 6.2 s. */
#ifndef PLATSA_GIS_HUGEPAGES_H
#define PLATSA_GIS_HUGEPAGES_H

/* Called first in main(): when the tunables are not set yet, sets them in GLIBC_TUNABLES
 * (keeping what is there) and runs this program again with the same arguments. Returns
 * (doing nothing) when it is set already, when PLATSA_HUGEPAGES=0, under valgrind, or when
 * the new start fails. */
void pl_hugepages_reexec(char **argv);

#endif
