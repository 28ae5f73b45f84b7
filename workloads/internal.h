/* internal.h -- what workload.c needs from each workload module. */
#ifndef WORKLOADS_INTERNAL_H
#define WORKLOADS_INTERNAL_H

#include "workload.h"

/* Each module defines its workload and registers its task(s) once. */
extern const workload wl_download, wl_hash, wl_prime;
int wl_download_init(void); /* also calls curl_global_init() */
int wl_hash_init(void);
int wl_prime_init(void);

#endif
