/* SPDX-License-Identifier: Apache-2.0 */
/* core.h: the environment and program objects shared by every stage (loader to hooks). */
#ifndef UB_CORE_H
#define UB_CORE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "userbpf/userbpf.h"
#include "util/log.h"

/* One helper slot of an environment, indexed by Linux helper id. */
struct ub_helper {
	userbpf_helper_fn fn; /* NULL: no such helper */
	const char *name;     /* static or env-owned copy */
	uint8_t owned_name;
};

struct userbpf_env {
	struct ub_log log;
	struct userbpf_allocator alloc;
	pthread_mutex_t lock;            /* guards the program list; never taken on a run path */
	struct userbpf_prog *progs;      /* every live program, freed with the env */
	struct ub_helper helpers[USERBPF_MAX_HELPER_ID];
	/* Maps (src/maps): every live map, under lock; ids count from 1. */
	struct userbpf_map *maps;
	uint32_t next_map_id;
	/* Hooks (src/hooks): count run_cnt/run_time_ns of programs run from hooks. */
	int hook_stats;
};

struct userbpf_prog {
	struct userbpf_env *env;
	struct userbpf_prog *next, *prev; /* env->progs list */
	char *name;
	char *license;
	uint32_t type;                    /* enum userbpf_prog_type */
	uint32_t flags;                   /* USERBPF_PROG_F_* */
	enum userbpf_engine engine;       /* resolved: INTERP or JIT */
	uint64_t insn_budget;             /* for unverified runs */
	struct userbpf_insn *insns;       /* what the engines run (verifier rewrites applied) */
	struct userbpf_insn *orig_insns;  /* as loaded, when the verifier rewrote insns; else NULL */
	uint32_t min_mem_len;             /* verified: runs need at least this much memory */
	void *vrecord;                    /* USERBPF_VERIFY_F_RECORD: per-insn abstract values */
	size_t cnt;
	struct userbpf_map **maps;        /* lddw map references resolve to maps[imm] */
	size_t map_cnt;
	struct userbpf_line_info *line_info; /* sorted by insn; strings owned by the prog */
	size_t line_info_cnt;
	struct userbpf_func_info *func_info; /* sorted by insn; strings owned by the prog */
	size_t func_info_cnt;
	void *interp;                     /* interpreter's prepared form (src/interp) */
	void *jit;                        /* JIT image (src/jit) */
	/* JITed entry: r1 = ctx, r2 = len; returns r0. */
	uint64_t (*jit_fn)(void *ctx, uint64_t len);
	/* Hooks (src/hooks): bpf_stats-like counters, updated with atomic adds. */
	uint64_t run_cnt;                 /* only while env->hook_stats */
	uint64_t run_time_ns;             /* only while env->hook_stats */
	uint64_t recursion_misses;
};

/* Source line of instruction `insn` (the last line_info entry at or before it), or NULL. */
const struct userbpf_line_info *ub_prog_line(const struct userbpf_prog *prog, size_t insn);

/*
 * Map reference counting, implemented by the maps module (src/maps). A program holds one
 * reference on each of its maps.
 */
void ub_map_get(struct userbpf_map *map);
void ub_map_put(struct userbpf_map *map);

/* Allocation through the environment's allocator. ub_zalloc zeroes. */
void *ub_alloc(struct userbpf_env *env, size_t size);
void *ub_zalloc(struct userbpf_env *env, size_t size);
void *ub_realloc(struct userbpf_env *env, void *ptr, size_t size);
void ub_free(struct userbpf_env *env, void *ptr);
char *ub_strdup(struct userbpf_env *env, const char *s);

#endif /* UB_CORE_H */
