/* SPDX-License-Identifier: Apache-2.0 */
/* execmem.c: code memory for JIT images: mapped read-write, filled, then read-execute; never both. */
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "jit/jit_int.h"

/*
 * Pages for `size` bytes of code, read-write. `hint` (a host function the code will call) asks
 * the kernel for pages below it so that `call rel32` reaches it; the kernel may ignore the hint,
 * and the driver then falls back to indirect calls.
 */
void *ub_jit_mem_alloc(size_t size, const void *hint, size_t *map_size)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	size_t n = (size + pg - 1) & ~(pg - 1);
	uintptr_t h = (uintptr_t)hint & ~(uintptr_t)(pg - 1);
	void *m;

	if (!n)
		n = pg;
	h = h > (1ull << 28) ? h - (1ull << 28) : 0;
	m = mmap((void *)h, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	*map_size = n;
	return m;
}

/* Switch the pages to read-execute. Returns 0 or -errno. */
int ub_jit_mem_seal(void *mem, size_t map_size)
{
	return mprotect(mem, map_size, PROT_READ | PROT_EXEC) ? -1 : 0;
}

void ub_jit_mem_free(void *mem, size_t map_size)
{
	if (mem)
		munmap(mem, map_size);
}
