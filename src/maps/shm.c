/* SPDX-License-Identifier: Apache-2.0 */
/* shm.c: shared-memory backing for maps (memfd + header page) and opening them elsewhere. */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "maps/shm.h"

void *ub_shm_create(struct userbpf_map *map, uint64_t bytes)
{
	uint64_t size = UB_PAGE + ((bytes + UB_PAGE - 1) & ~(uint64_t)(UB_PAGE - 1));
	struct ub_shm_hdr *h;
	int fd;
	void *p;

	fd = memfd_create(map->name[0] ? map->name : "userbpf-map", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, (off_t)size) < 0) {
		int e = errno;

		ub_err(&map->env->log, "map '%s': shared memory of %llu bytes: %s", map->name,
		       (unsigned long long)size, strerror(e));
		if (fd >= 0)
			close(fd);
		errno = e;
		return NULL;
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		int e = errno;

		close(fd);
		errno = e;
		return NULL;
	}
	h = p;
	h->magic = UB_SHM_MAGIC;
	h->version = UB_SHM_VERSION;
	h->type = map->type;
	h->key_size = map->key_size;
	h->value_size = map->value_size;
	h->max_entries = map->max_entries;
	h->flags = map->flags;
	h->ncpus = map->ncpus;
	memcpy(h->name, map->name, UB_MAP_NAME_LEN);
	h->data_off = UB_PAGE;
	h->data_size = bytes;
	map->shm_fd = fd;
	map->shm = p;
	map->shm_size = size;
	return (uint8_t *)p + UB_PAGE;
}

void ub_shm_destroy(struct userbpf_map *map)
{
	if (map->shm)
		munmap(map->shm, map->shm_size);
	if (map->shm_fd >= 0)
		close(map->shm_fd);
	map->shm = NULL;
	map->shm_fd = -1;
}

USERBPF_API struct userbpf_map *userbpf_map_open_shared(struct userbpf_env *env, int fd)
{
	struct ub_shm_hdr h;
	struct userbpf_map *map;

	if (!env || fd < 0) {
		errno = EINVAL;
		return NULL;
	}
	if (pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h) || h.magic != UB_SHM_MAGIC ||
	    h.version != UB_SHM_VERSION) {
		ub_err(&env->log, "fd %d is not a shared userbpf map (bad header)", fd);
		errno = EINVAL;
		return NULL;
	}
	h.name[UB_MAP_NAME_LEN - 1] = 0;
	if (h.type == USERBPF_MAP_TYPE_ARRAY || h.type == USERBPF_MAP_TYPE_PERCPU_ARRAY) {
		map = ub_array_open_shared(env, &h, fd);
	} else if (h.type == USERBPF_MAP_TYPE_RINGBUF) {
		map = ub_ringbuf_open_shared(env, &h, fd);
	} else {
		ub_err(&env->log, "shared map '%s': type %u cannot be shared", h.name, h.type);
		errno = EINVAL;
		return NULL;
	}
	return map;
}
