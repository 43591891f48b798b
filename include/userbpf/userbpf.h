/* SPDX-License-Identifier: Apache-2.0 */
/*
 * userbpf.h: the public API of libuserbpf, the eBPF runtime for user space.
 *
 * Conventions (all functions):
 *  - an int return is 0 (or a count) on success and a negative errno on failure;
 *  - a constructor returns a pointer, or NULL with errno set;
 *  - every object has one destructor, NULL-safe; children die with their parent;
 *  - diagnostics go to the log sink of the environment (struct userbpf_env), never to stderr;
 *  - options structs start with `size_t sz` (set it to sizeof the struct) so they can grow.
 */
#ifndef USERBPF_USERBPF_H
#define USERBPF_USERBPF_H

#include <stddef.h>
#include <stdint.h>

#include "userbpf/insn.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifndef USERBPF_API
#define USERBPF_API __attribute__((visibility("default")))
#endif

#define USERBPF_VERSION_MAJOR 0
#define USERBPF_VERSION_MINOR 1
#define USERBPF_VERSION_PATCH 0

/* "0.1.0": the version of the library actually linked. */
USERBPF_API const char *userbpf_version(void);

/* ==== Environment: log sink, allocator, registered helpers ================================== */

enum userbpf_log_level {
	USERBPF_LOG_ERROR = 0,
	USERBPF_LOG_WARN = 1,
	USERBPF_LOG_INFO = 2,
	USERBPF_LOG_DEBUG = 3,
};

/* Receives one message at a time, without trailing newline. `user` is the opts' log_user. */
typedef void (*userbpf_log_fn)(void *user, int level, const char *msg);

/* A caller-supplied allocator; all three functions are required when one is given. */
struct userbpf_allocator {
	void *(*alloc)(void *user, size_t size);
	void *(*realloc)(void *user, void *ptr, size_t size);
	void (*free)(void *user, void *ptr);
	void *user;
};

struct userbpf_env_opts {
	size_t sz;
	userbpf_log_fn log_fn;   /* NULL: diagnostics are dropped */
	void *log_user;
	int log_level;           /* highest level delivered; 0 means USERBPF_LOG_INFO */
	const struct userbpf_allocator *alloc; /* NULL: malloc/realloc/free */
};

struct userbpf_env;

/*
 * Create an environment: the root object that owns programs and holds the log sink.
 * opts may be NULL. Returns NULL with errno ENOMEM or EINVAL.
 */
USERBPF_API struct userbpf_env *userbpf_env_new(const struct userbpf_env_opts *opts);
/* Free an environment and every object it still owns. NULL-safe. */
USERBPF_API void userbpf_env_free(struct userbpf_env *env);

/*
 * A helper function, called by `call ID` with the program's r1..r5; its return value lands in r0.
 */
typedef uint64_t (*userbpf_helper_fn)(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
				      uint64_t r5);

/*
 * Register (or replace) helper `id` for programs loaded afterwards in this environment.
 * name is copied. Returns 0, -EINVAL (id >= USERBPF_MAX_HELPER_ID, fn NULL), -ENOMEM.
 */
#define USERBPF_MAX_HELPER_ID 1024
USERBPF_API int userbpf_env_add_helper(struct userbpf_env *env, uint32_t id, const char *name,
				       userbpf_helper_fn fn);

/* ==== Instructions: validation, assembly, disassembly ======================================= */

/*
 * Check the encoding of every instruction (known opcode, registers, reserved fields, lddw pairs,
 * jump targets, no write to r10, no fall-through off the end). Diagnostics name the instruction
 * index and the reason. env may be NULL (no diagnostics).
 * Returns 0, -EINVAL (malformed), -E2BIG (more than 1M instructions).
 */
USERBPF_API int userbpf_insns_validate(struct userbpf_env *env, const struct userbpf_insn *insns,
				       size_t cnt);

enum userbpf_syntax {
	USERBPF_SYNTAX_LLVM = 0,        /* kernel/LLVM pseudo-C: r0 = *(u32 *)(r1 + 4) */
	USERBPF_SYNTAX_CONFORMANCE = 1, /* bpf_conformance: ldxw %r0, [%r1+4] */
};

/*
 * Assemble `text` (NUL-terminated) in the given syntax. On success *insns is a new array of
 * *cnt instructions, to be freed with userbpf_insns_free(). Errors name the line and the token.
 * Returns 0, -EINVAL (syntax error), -ENOMEM.
 */
USERBPF_API int userbpf_asm(struct userbpf_env *env, const char *text, enum userbpf_syntax syntax,
			    struct userbpf_insn **insns, size_t *cnt);
USERBPF_API void userbpf_insns_free(struct userbpf_insn *insns);

/* Receives disassembly text in pieces; return non-zero to stop. */
typedef int (*userbpf_write_fn)(void *user, const char *text, size_t len);

#define USERBPF_DISASM_F_NO_INDEX 0x1 /* no "  12: " prefix */
#define USERBPF_DISASM_F_RAW      0x2 /* also print the instruction bytes */
#define USERBPF_DISASM_F_LABELS   0x4 /* print jump targets as labels instead of +off */

struct userbpf_disasm_opts {
	size_t sz;
	enum userbpf_syntax syntax;
	uint32_t flags; /* USERBPF_DISASM_F_* */
};

/*
 * Disassemble a program, one instruction per line, through `out`. Unknown encodings are printed
 * as ".insn 0x..." rather than rejected. opts may be NULL (LLVM syntax, indexes).
 * Returns 0, or the non-zero value returned by `out`.
 */
USERBPF_API int userbpf_disasm(const struct userbpf_insn *insns, size_t cnt,
			       const struct userbpf_disasm_opts *opts, userbpf_write_fn out,
			       void *user);

/*
 * Format one instruction (insns[0], and insns[1] for lddw; `avail` says how many are readable)
 * into buf. Returns the length it would have had (like snprintf), or -EINVAL.
 */
USERBPF_API int userbpf_insn_format(const struct userbpf_insn *insns, size_t avail,
				    enum userbpf_syntax syntax, char *buf, size_t size);

/* ==== Programs ============================================================================== */

/* Program types: Linux's numbers (enum bpf_prog_type). */
enum userbpf_prog_type {
	USERBPF_PROG_TYPE_UNSPEC = 0,        /* raw memory program: r1 = memory, r2 = its length */
	USERBPF_PROG_TYPE_SOCKET_FILTER = 1,
	USERBPF_PROG_TYPE_KPROBE = 2,
	USERBPF_PROG_TYPE_SCHED_CLS = 3,
	USERBPF_PROG_TYPE_SCHED_ACT = 4,
	USERBPF_PROG_TYPE_TRACEPOINT = 5,
	USERBPF_PROG_TYPE_XDP = 6,
	USERBPF_PROG_TYPE_PERF_EVENT = 7,
	USERBPF_PROG_TYPE_RAW_TRACEPOINT = 17,
	USERBPF_PROG_TYPE_TRACING = 26,
	USERBPF_PROG_TYPE_STRUCT_OPS = 27,
	USERBPF_PROG_TYPE_EXT = 28,
	USERBPF_PROG_TYPE_LSM = 29,
	USERBPF_PROG_TYPE_SYSCALL = 31,
};

enum userbpf_engine {
	USERBPF_ENGINE_DEFAULT = 0, /* the JIT where available, else the interpreter */
	USERBPF_ENGINE_INTERP = 1,
	USERBPF_ENGINE_JIT = 2,
};

/*
 * Skip the verifier. The interpreter then checks every memory access against the regions the
 * program was given (its stack, the run's memory) and stops after insn_budget instructions; an
 * out-of-bounds access or an exhausted budget ends the run with an error, never a crash.
 */
#define USERBPF_PROG_F_UNVERIFIED 0x1
/*
 * The caller vouches for the code, as root does in Linux: implies UNVERIFIED and also lets the
 * JIT run it (native code has no run-time checks).
 */
#define USERBPF_PROG_F_TRUSTED 0x2

struct userbpf_map; /* a map object (maps API) */

/* The C source of one instruction, from .BTF.ext line info (the loader fills these). */
struct userbpf_line_info {
	uint32_t insn;     /* instruction index the line starts at */
	uint32_t line;
	uint32_t col;
	const char *file;  /* source file name */
	const char *text;  /* the source line itself, or NULL */
};

/* The name of the function that starts at an instruction (BTF func_info, or symbols). */
struct userbpf_func_info {
	uint32_t insn;
	const char *name;
};

/* Verifier modes (userbpf_prog_opts.verify_flags). */
/*
 * Unprivileged: like Linux with CAP_BPF (+ CAP_NET_ADMIN for network types) but without
 * CAP_PERFMON/CAP_SYS_ADMIN: no pointer leaks, no uninitialised stack reads, no perfmon helpers.
 */
#define USERBPF_VERIFY_F_UNPRIV 0x1

/* What the verifier concluded and what it cost (userbpf_prog_opts.verify_stats, optional). */
struct userbpf_verify_stats {
	size_t sz;
	int verdict;              /* 0 accepted, else the negative errno of the load */
	int64_t error_insn;       /* instruction of the rejection, or -1 */
	char error[256];          /* the rejection sentence (Linux's wording where Linux has one) */
	char source[256];         /* "file.c:42" of error_insn when line info exists, else "" */
	uint64_t processed_insns; /* instructions processed (Linux's "processed N insns") */
	uint64_t total_states;
	uint64_t peak_states;
	uint64_t time_ns;
};

struct userbpf_prog_opts {
	size_t sz;
	const char *name;       /* copied; NULL: "prog" */
	uint32_t prog_type;     /* enum userbpf_prog_type */
	const char *license;    /* NULL: "GPL" */
	uint32_t flags;         /* USERBPF_PROG_F_* */
	enum userbpf_engine engine;
	uint64_t insn_budget;   /* unverified programs: instructions per run; 0: 1<<26 */
	/*
	 * Maps the program refers to: an lddw with src USERBPF_PSEUDO_MAP_IDX(_VALUE) and imm = i
	 * (or USERBPF_PSEUDO_MAP_FD(_VALUE) with imm = i) means maps[i]. The program takes a
	 * reference on each map; the caller keeps its own.
	 */
	struct userbpf_map *const *maps;
	size_t map_cnt;
	/* Optional source information, copied: sorted by insn. */
	const struct userbpf_line_info *line_info;
	size_t line_info_cnt;
	const struct userbpf_func_info *func_info;
	size_t func_info_cnt;
	/* Verifier: mode, log (Linux levels 1 and 2, into the caller's buffer), results. */
	uint32_t verify_flags;    /* USERBPF_VERIFY_F_* */
	uint32_t log_level;       /* 0: none, 1: errors and summary, 2: every instruction and state */
	char *log_buf;            /* caller-owned; NUL-terminated, truncated to log_size */
	size_t log_size;
	struct userbpf_verify_stats *verify_stats; /* out */
};

struct userbpf_prog;

/*
 * Load a program: validate, verify (unless opts->flags says otherwise), prepare the engine.
 * insns are copied. The program belongs to env and is freed with it at the latest.
 * Returns NULL with errno: EINVAL (malformed), EACCES (rejected by the verifier), E2BIG,
 * ENOTSUP (engine unavailable, or verification requested but not available), ENOMEM.
 */
USERBPF_API struct userbpf_prog *userbpf_prog_load(struct userbpf_env *env,
						   const struct userbpf_insn *insns, size_t cnt,
						   const struct userbpf_prog_opts *opts);
USERBPF_API void userbpf_prog_free(struct userbpf_prog *prog);

/* The program's instructions as loaded (before any rewrite), and their count. */
USERBPF_API const struct userbpf_insn *userbpf_prog_insns(const struct userbpf_prog *prog,
							   size_t *cnt);
USERBPF_API const char *userbpf_prog_name(const struct userbpf_prog *prog);
/* The engine that runs the program: USERBPF_ENGINE_INTERP or USERBPF_ENGINE_JIT. */
USERBPF_API enum userbpf_engine userbpf_prog_engine(const struct userbpf_prog *prog);

/*
 * Run the program once with r1 = mem, r2 = mem_len (r1 = 0 when mem is NULL), r10 at the top
 * of a fresh 512-byte stack, other registers 0. The return value (r0) lands in *retval.
 * Thread-safe: any number of threads may run one program at once.
 * Returns 0, or for unverified programs: -EFAULT (memory access outside the given regions),
 * -ETIME (instruction budget exhausted), -EINVAL (unknown helper, bad call), -E2BIG (too many
 * frames); the reason, with the instruction index, goes to the log sink.
 */
USERBPF_API int userbpf_prog_run(struct userbpf_prog *prog, void *mem, size_t mem_len,
				 uint64_t *retval);

#ifdef __cplusplus
}
#endif
#endif /* USERBPF_USERBPF_H */
