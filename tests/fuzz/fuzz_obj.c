/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_obj.c: libFuzzer target for the ELF object loader. The input is an object file; opening
 * it must succeed or fail cleanly (with errno set), and an opened object must disassemble,
 * describe its maps and free without leaks. Seeds: real objects from tests/progs in
 * tests/fuzz/seeds/fuzz_obj (regenerate with `make BUILD=b test` and copy $(BUILD)/progs/ *.o).
 *
 *   make BUILD=build-fuzz fuzz && build-fuzz/fuzz/fuzz_obj tests/fuzz/seeds/fuzz_obj -max_total_time=60
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "userbpf/userbpf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int sink(void *user, const char *text, size_t len)
{
	size_t *n = user;

	(void)text;
	*n += len;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct userbpf_env *env;
	struct userbpf_object *obj;
	size_t n = 0;

	if (!env)
		env = userbpf_env_new(NULL);
	if (!env)
		return 0;
	errno = 0;
	obj = userbpf_object_open_mem(env, data, size, NULL);
	if (!obj) {
		if (!errno)
			abort(); /* a failure must say why */
		return 0;
	}
	for (size_t i = 0; i < userbpf_object_prog_cnt(obj); i++)
		userbpf_object_prog_disasm(userbpf_object_prog_at(obj, i), NULL, sink, &n);
	for (size_t i = 0; i < userbpf_object_map_cnt(obj); i++) {
		struct userbpf_map_desc d = { .sz = sizeof(d) };

		if (userbpf_object_map_desc(userbpf_object_map_at(obj, i), &d))
			abort();
	}
	userbpf_object_set_var(obj, "cfg", &n, sizeof(n));
	userbpf_object_free(obj);
	return 0;
}
