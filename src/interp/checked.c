/* SPDX-License-Identifier: Apache-2.0 */
/*
 * checked.c: the slow half of a checked run's memory model: static and dynamic regions, and
 * the argument checks around helper calls (each argument against the helper's Linux prototype).
 */
#include <errno.h>
#include <string.h>

#include "interp/checked.h"
#include "maps/map.h"

/* A dynamic region of length 0 stands for a map pointer a helper returned (map-in-map). */
static int is_returned_map(const struct ub_checked_mem *cm, uint64_t v)
{
	for (unsigned i = 0; i < cm->dyn_cnt; i++)
		if (cm->dyn[i].len == 0 && cm->dyn[i].lo == v)
			return 1;
	return 0;
}

int ub_cm_ok_slow(const struct ub_checked_mem *cm, uint64_t a, uint64_t n)
{
	if (ub_region_has(&cm->run_extra, a, n))
		return 1;
	for (size_t i = 0; i < cm->extra_cnt; i++)
		if (ub_region_has(&cm->extra[i], a, n))
			return 1;
	for (unsigned i = 0; i < cm->dyn_cnt; i++)
		if (ub_region_has(&cm->dyn[i], a, n))
			return 1;
	return 0;
}

/* Bytes readable from a onwards inside the region holding a (0 if none holds it). */
static uint64_t room_from(const struct ub_checked_mem *cm, uint64_t a)
{
	struct ub_region r[2] = { { cm->stack_lo, cm->stack_top - cm->stack_lo },
				  { cm->mem_lo, cm->mem_len } };

	for (int i = 0; i < 2; i++)
		if (ub_region_has(&r[i], a, 1))
			return r[i].len - (a - r[i].lo);
	if (ub_region_has(&cm->run_extra, a, 1))
		return cm->run_extra.len - (a - cm->run_extra.lo);
	for (size_t i = 0; i < cm->extra_cnt; i++)
		if (ub_region_has(&cm->extra[i], a, 1))
			return cm->extra[i].len - (a - cm->extra[i].lo);
	for (unsigned i = 0; i < cm->dyn_cnt; i++)
		if (ub_region_has(&cm->dyn[i], a, 1))
			return cm->dyn[i].len - (a - cm->dyn[i].lo);
	return 0;
}

static void dyn_add(struct ub_checked_mem *cm, uint64_t lo, uint64_t len)
{
	cm->dyn[cm->dyn_next] = (struct ub_region){ lo, len };
	cm->dyn_next = (cm->dyn_next + 1) % UB_DYN_REGIONS;
	if (cm->dyn_cnt < UB_DYN_REGIONS)
		cm->dyn_cnt++;
}

static void dyn_remove(struct ub_checked_mem *cm, uint64_t lo)
{
	for (unsigned i = 0; i < cm->dyn_cnt; i++)
		if (cm->dyn[i].lo == lo && cm->dyn[i].len)
			cm->dyn[i].len = 0, cm->dyn[i].lo = 0;
}

static struct userbpf_map *prog_map(const struct userbpf_prog *prog,
				    const struct ub_checked_mem *cm, uint64_t v)
{
	for (size_t i = 0; i < prog->map_cnt; i++)
		if ((uint64_t)(uintptr_t)prog->maps[i] == v)
			return prog->maps[i];
	return v && is_returned_map(cm, v) ? (struct userbpf_map *)(uintptr_t)v : NULL;
}

static int is_size_kind(unsigned kind)
{
	return kind == UB_ARG_CONST_SIZE || kind == UB_ARG_CONST_SIZE_OR_ZERO;
}

int ub_cm_check_call(const struct userbpf_prog *prog, const struct ub_checked_mem *cm,
		     const struct ub_call *c, const uint64_t *r, size_t pc, const void *ctx)
{
	const struct ub_helper_proto *p = c->proto;
	struct ub_log *log = &prog->env->log;
	struct userbpf_map *map = NULL;

	if (!p)
		return 0;
	for (int i = 0; i < 5 && p->args[i] != UB_ARG_NONE; i++) {
		unsigned kind = p->args[i], next = i < 4 ? p->args[i + 1] : UB_ARG_NONE;
		uint64_t v = r[i + 1], size = 0;
		const char *what = ub_arg_kind_name(kind);

		switch (kind) {
		case UB_ARG_ANYTHING:
		case UB_ARG_CONST_SIZE:
		case UB_ARG_CONST_SIZE_OR_ZERO:
		case UB_ARG_CONST_ALLOC_SIZE_OR_ZERO:
			continue;
		case UB_ARG_CONST_MAP_PTR:
			map = prog_map(prog, cm, v);
			if (!map)
				goto not_map;
			continue;
		case UB_ARG_PTR_TO_MAP_KEY:
		case UB_ARG_PTR_TO_MAP_VALUE:
		case UB_ARG_PTR_TO_UNINIT_MAP_VALUE:
			if (!map)
				goto no_map_before;
			size = kind == UB_ARG_PTR_TO_MAP_KEY ? map->key_size : map->value_size;
			break;
		case UB_ARG_PTR_TO_MEM_OR_NULL:
		case UB_ARG_PTR_TO_RDWR_MEM_OR_NULL:
			if (!v) {
				if (is_size_kind(next) && r[i + 2])
					goto null_with_size;
				continue;
			}
			/* fall through */
		case UB_ARG_PTR_TO_MEM:
		case UB_ARG_PTR_TO_UNINIT_MEM:
			if (!is_size_kind(next))
				return UB_BUG(log, "%s: insn %zu: helper %s: memory argument r%d "
					      "has no size argument", prog->name, pc, p->name,
					      i + 1);
			size = r[i + 2];
			if (next == UB_ARG_CONST_SIZE && !size)
				goto zero_size;
			if (!size)
				continue;
			break;
		case UB_ARG_PTR_TO_CTX:
			if (!ctx || v != (uint64_t)(uintptr_t)ctx)
				goto not_ctx;
			continue;
		case UB_ARG_PTR_TO_STACK_OR_NULL:
			if (!v)
				continue;
			if (v < cm->stack_lo || v >= cm->stack_top)
				goto outside;
			continue;
		case UB_ARG_PTR_TO_LONG:
			size = 8;
			if (v & 7)
				goto outside;
			break;
		case UB_ARG_PTR_TO_CONST_STR: {
			uint64_t room = room_from(cm, v);

			if (!room || !memchr((const void *)(uintptr_t)v, 0, room))
				goto bad_str;
			continue;
		}
		case UB_ARG_PTR_TO_RINGBUF_MEM:
			for (unsigned k = 0; k < cm->dyn_cnt; k++)
				if (cm->dyn[k].lo == v && cm->dyn[k].len)
					goto next_arg;
			goto not_ringbuf;
		case UB_ARG_PTR_TO_FUNC: {
			const struct ub_interp *ip = prog->interp;

			for (size_t k = 0; k < ip->func_cnt; k++)
				if (ip->funcs[k] == v)
					goto next_arg;
			ub_err(log, "%s: insn %zu: call %s#%u: r%d = 0x%llx is not a function the "
			       "program loaded with lddw func", prog->name, pc, p->name, p->id,
			       i + 1, (unsigned long long)v);
			return -EINVAL;
		}
		default:
			return UB_BUG(log, "%s: insn %zu: helper %s: unknown argument kind %u",
				      prog->name, pc, p->name, kind);
		}
		if (!ub_cm_ok(cm, v, size))
			goto outside_sized;
next_arg:
		continue;
not_map:
		ub_err(log, "%s: insn %zu: call %s#%u: r%d = 0x%llx is not a map of this program",
		       prog->name, pc, p->name, p->id, i + 1, (unsigned long long)v);
		return -EINVAL;
no_map_before:
		return UB_BUG(log, "%s: insn %zu: helper %s: %s without a map argument before it",
			      prog->name, pc, p->name, what);
null_with_size:
		ub_err(log, "%s: insn %zu: call %s#%u: r%d is NULL but its size r%d is %llu",
		       prog->name, pc, p->name, p->id, i + 1, i + 2,
		       (unsigned long long)r[i + 2]);
		return -EINVAL;
zero_size:
		ub_err(log, "%s: insn %zu: call %s#%u: size r%d must not be 0", prog->name, pc,
		       p->name, p->id, i + 2);
		return -EINVAL;
not_ctx:
		ub_err(log, "%s: insn %zu: call %s#%u: r%d = 0x%llx is not the context", prog->name,
		       pc, p->name, p->id, i + 1, (unsigned long long)v);
		return -EINVAL;
outside:
		ub_err(log, "%s: insn %zu: call %s#%u: r%d = 0x%llx (%s) is outside the stack",
		       prog->name, pc, p->name, p->id, i + 1, (unsigned long long)v, what);
		return -EFAULT;
bad_str:
		ub_err(log, "%s: insn %zu: call %s#%u: r%d = 0x%llx is not a NUL-terminated string "
		       "in the program's memory", prog->name, pc, p->name, p->id, i + 1,
		       (unsigned long long)v);
		return -EFAULT;
not_ringbuf:
		ub_err(log, "%s: insn %zu: call %s#%u: r%d = 0x%llx is not a sample reserved in "
		       "this run", prog->name, pc, p->name, p->id, i + 1, (unsigned long long)v);
		return -EINVAL;
outside_sized:
		ub_err(log, "%s: insn %zu: call %s#%u: r%d = 0x%llx (%s, %llu bytes) is outside "
		       "the memory this program may touch", prog->name, pc, p->name, p->id, i + 1,
		       (unsigned long long)v, what, (unsigned long long)size);
		return -EFAULT;
	}
	return 0;
}

void ub_cm_after_call(struct ub_checked_mem *cm, const struct ub_call *c, const uint64_t *r,
		      uint64_t r0)
{
	const struct ub_helper_proto *p = c->proto;

	if (!p)
		return;
	for (int i = 0; i < 5 && p->args[i] != UB_ARG_NONE; i++)
		if (p->args[i] == UB_ARG_PTR_TO_RINGBUF_MEM)
			dyn_remove(cm, r[i + 1]);
	if (!r0)
		return;
	if (p->ret == UB_RET_PTR_TO_MAP_VALUE_OR_NULL && p->args[0] == UB_ARG_CONST_MAP_PTR) {
		const struct userbpf_map *map = (const struct userbpf_map *)(uintptr_t)r[1];

		/* Map-in-map lookups return the inner map: remember it as a map, not memory. */
		if (map->type == USERBPF_MAP_TYPE_ARRAY_OF_MAPS ||
		    map->type == USERBPF_MAP_TYPE_HASH_OF_MAPS)
			dyn_add(cm, r0, 0);
		else
			dyn_add(cm, r0, map->value_size);
	} else if (p->ret == UB_RET_PTR_TO_RINGBUF_MEM_OR_NULL) {
		for (int i = 0; i < 5 && p->args[i] != UB_ARG_NONE; i++)
			if (p->args[i] == UB_ARG_CONST_ALLOC_SIZE_OR_ZERO)
				dyn_add(cm, r0, r[i + 1]);
	}
}
