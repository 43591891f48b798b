/* SPDX-License-Identifier: Apache-2.0 */
/* shm.h: maps whose data lives in a memfd so that other processes can map it. */
#ifndef UB_MAPS_SHM_H
#define UB_MAPS_SHM_H

#include <stdint.h>

#include "maps/map.h"

#define UB_SHM_MAGIC 0x66706275u /* "ubpf" */
#define UB_SHM_VERSION 1
#define UB_PAGE 4096u

/* Page 0 of a shared map's memfd: what another process needs to open it. */
struct ub_shm_hdr {
	uint32_t magic;
	uint32_t version;
	uint32_t type, key_size, value_size, max_entries, flags, ncpus;
	char name[UB_MAP_NAME_LEN];
	uint64_t data_off; /* offset of the data in the memfd */
	uint64_t data_size;
};

/*
 * Create the memfd (header page + bytes), map it, fill the header. Sets map->shm_fd, shm,
 * shm_size. Returns the data (zeroed), or NULL with errno set and the reason logged.
 */
void *ub_shm_create(struct userbpf_map *map, uint64_t bytes);
/* Unmap and close. */
void ub_shm_destroy(struct userbpf_map *map);

/* Type-specific attach of an opened shared map (array.c, ringbuf.c). */
struct userbpf_map *ub_array_open_shared(struct userbpf_env *env, const struct ub_shm_hdr *h,
					 int fd);
struct userbpf_map *ub_ringbuf_open_shared(struct userbpf_env *env, const struct ub_shm_hdr *h,
					   int fd);

#endif /* UB_MAPS_SHM_H */
